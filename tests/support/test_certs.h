// Certificates for TLS tests, minted at run time with OpenSSL (ECDSA P-256,
// SHA-256): a CA, and server or client leaves it signs, with chosen subject
// alternative names and validity. Nothing secret is committed.
#ifndef NEOBRIDGE_TESTS_SUPPORT_TEST_CERTS_H_
#define NEOBRIDGE_TESTS_SUPPORT_TEST_CERTS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace neobridge::test_support {

// A certificate and its private key, both PEM.
struct CertAndKey {
  std::string cert_pem;
  std::string key_pem;
};

struct LeafOptions {
  std::string common_name = "neo-bridge-test";
  // Subject alternative names, e.g. "localhost", "127.0.0.1",
  // "spiffe://acme/ns/ci/sa/deployer".
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  std::vector<std::string> uris;
  // Validity window relative to now: [now + not_before, now + not_after].
  // A negative not_after gives an expired certificate.
  absl::Duration not_before = -absl::Hours(1);
  absl::Duration not_after = absl::Hours(24);
};

// A self-signed certificate authority that issues leaf certificates.
class TestCa {
 public:
  // Aborts the test binary if OpenSSL fails (it does not, short of memory).
  explicit TestCa(const std::string& common_name = "neo-bridge test CA");
  ~TestCa();
  TestCa(const TestCa&) = delete;
  TestCa& operator=(const TestCa&) = delete;

  const std::string& cert_pem() const { return cert_pem_; }

  // A leaf usable for both TLS server and client authentication.
  CertAndKey Issue(const LeafOptions& options) const;

  // A server leaf for "localhost" and 127.0.0.1.
  CertAndKey IssueLocalhost() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string cert_pem_;
};

// A fresh directory under $TMPDIR (or /tmp), removed with its files.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // `path()/name`.
  std::string File(const std::string& name) const;

 private:
  std::string path_;
};

// Replaces `path` with `contents` atomically (write + rename), as a
// Kubernetes Secret update does. Aborts on failure.
void WriteFileAtomically(const std::string& path, const std::string& contents);

// The whole file; aborts on failure.
std::string ReadFileOrDie(const std::string& path);

}  // namespace neobridge::test_support

#endif  // NEOBRIDGE_TESTS_SUPPORT_TEST_CERTS_H_
