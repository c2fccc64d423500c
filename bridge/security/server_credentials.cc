#include "bridge/security/server_credentials.h"

#include <grpc/grpc_security_constants.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace neobridge::security {
namespace {

constexpr char kCertFlag[] = "--tls-cert-file";
constexpr char kKeyFlag[] = "--tls-key-file";
constexpr char kClientCaFlag[] = "--tls-client-ca-file";
constexpr char kClientAuthFlag[] = "--tls-client-auth";

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Deleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct KeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyDeleter>;

// Leaves OpenSSL's thread-local error queue empty on every path, so a failed
// parse here never shows up as a stale error in a later TLS handshake.
class OpenSslErrorGuard {
 public:
  OpenSslErrorGuard() { ERR_clear_error(); }
  ~OpenSslErrorGuard() { ERR_clear_error(); }
  OpenSslErrorGuard(const OpenSslErrorGuard&) = delete;
  OpenSslErrorGuard& operator=(const OpenSslErrorGuard&) = delete;
};

// Refuses to prompt for a passphrase (OpenSSL's default callback would read
// the terminal): an encrypted key is reported as unusable instead.
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) {
  return 0;
}

absl::StatusOr<std::string> ReadSettingFile(absl::string_view flag,
                                            const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, ": ", path,
        " is a directory; give the PEM file in it (e.g. the tls.crt, tls.key "
        "or ca.crt of a mounted Kubernetes Secret)"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno;
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": cannot read ", path, " (", std::strerror(error),
                     "); give the path of a readable PEM file"));
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": cannot read ", path,
                     "; give the path of a readable PEM file"));
  }
  return contents.str();
}

BioPtr MemoryBio(const std::string& data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

// Every PEM certificate in `pem`, in order. Blocks of other kinds (the key
// of a combined key-and-chain file) are skipped; a certificate block that
// does not parse ends the list.
std::vector<X509Ptr> ParseCertificates(const std::string& pem) {
  OpenSslErrorGuard guard;
  std::vector<X509Ptr> certs;
  BioPtr bio = MemoryBio(pem);
  if (bio == nullptr) return certs;
  while (X509* cert =
             PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr)) {
    certs.emplace_back(cert);
  }
  return certs;
}

KeyPtr ParsePrivateKey(const std::string& pem) {
  OpenSslErrorGuard guard;
  BioPtr bio = MemoryBio(pem);
  if (bio == nullptr) return nullptr;
  return KeyPtr(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
}

bool KeyMatchesCertificate(X509* cert, EVP_PKEY* key) {
  OpenSslErrorGuard guard;
  return X509_check_private_key(cert, key) == 1;
}

absl::Status CheckPlaintext(const ListenerTlsOptions& options) {
  if (!options.key_file.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        kKeyFlag, " is set but ", kCertFlag,
        " is not: set both to serve TLS, or neither for a plaintext listener"));
  }
  if (!options.client_ca_file.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        kClientCaFlag, " is set but ", kCertFlag,
        " is not: client certificates need a TLS listener; set ", kCertFlag,
        " and ", kKeyFlag, ", or remove ", kClientCaFlag));
  }
  if (options.client_auth != ClientAuth::kNone) {
    return absl::InvalidArgumentError(absl::StrCat(
        kClientAuthFlag, "=", ClientAuthName(options.client_auth),
        " needs a TLS listener: set ", kCertFlag, ", ", kKeyFlag, " and ",
        kClientCaFlag, ", or set ", kClientAuthFlag, "=none"));
  }
  return absl::OkStatus();
}

grpc_ssl_client_certificate_request_type RequestType(ClientAuth client_auth) {
  switch (client_auth) {
    case ClientAuth::kNone:
      return GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE;
    case ClientAuth::kRequest:
      return GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
    case ClientAuth::kRequire:
      return GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
}

}  // namespace

bool ParseClientAuth(absl::string_view text, ClientAuth* client_auth) {
  if (text == "none") {
    *client_auth = ClientAuth::kNone;
  } else if (text == "request") {
    *client_auth = ClientAuth::kRequest;
  } else if (text == "require") {
    *client_auth = ClientAuth::kRequire;
  } else {
    return false;
  }
  return true;
}

absl::string_view ClientAuthName(ClientAuth client_auth) {
  switch (client_auth) {
    case ClientAuth::kNone:
      return "none";
    case ClientAuth::kRequest:
      return "request";
    case ClientAuth::kRequire:
      return "require";
  }
  return "unknown";
}

absl::Status ValidateListenerTlsOptions(const ListenerTlsOptions& options) {
  if (options.cert_file.empty()) return CheckPlaintext(options);
  if (options.key_file.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        kCertFlag, " is set but ", kKeyFlag,
        " is not: give the PEM private key of the certificate in ", kKeyFlag));
  }
  if (options.client_auth != ClientAuth::kNone &&
      options.client_ca_file.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        kClientAuthFlag, "=", ClientAuthName(options.client_auth), " needs ",
        kClientCaFlag,
        ": give the PEM CA certificates that client certificates must chain "
        "to"));
  }
  if (options.client_auth == ClientAuth::kNone &&
      !options.client_ca_file.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        kClientCaFlag, " is set but ", kClientAuthFlag,
        " is none, so no client certificate would be asked for: set ",
        kClientAuthFlag, "=require (or request), or remove ", kClientCaFlag));
  }

  absl::StatusOr<std::string> cert_pem =
      ReadSettingFile(kCertFlag, options.cert_file);
  if (!cert_pem.ok()) return cert_pem.status();
  std::vector<X509Ptr> chain = ParseCertificates(*cert_pem);
  if (chain.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        kCertFlag, ": ", options.cert_file,
        " holds no PEM certificate; give the server certificate chain, leaf "
        "first, as \"-----BEGIN CERTIFICATE-----\" blocks"));
  }

  absl::StatusOr<std::string> key_pem =
      ReadSettingFile(kKeyFlag, options.key_file);
  if (!key_pem.ok()) return key_pem.status();
  KeyPtr key = ParsePrivateKey(*key_pem);
  if (key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        kKeyFlag, ": ", options.key_file,
        " holds no usable PEM private key; give the unencrypted key (PKCS#8, "
        "PKCS#1 or SEC1 PEM) of the certificate in ",
        kCertFlag));
  }
  if (!KeyMatchesCertificate(chain.front().get(), key.get())) {
    return absl::InvalidArgumentError(absl::StrCat(
        kKeyFlag, ": the key in ", options.key_file,
        " does not belong to the first certificate in ", options.cert_file,
        " (", kCertFlag,
        "); give the key and certificate issued together, leaf first"));
  }

  if (!options.client_ca_file.empty()) {
    absl::StatusOr<std::string> ca_pem =
        ReadSettingFile(kClientCaFlag, options.client_ca_file);
    if (!ca_pem.ok()) return ca_pem.status();
    if (ParseCertificates(*ca_pem).empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          kClientCaFlag, ": ", options.client_ca_file,
          " holds no PEM certificate; give the CA certificates that client "
          "certificates must chain to, as \"-----BEGIN CERTIFICATE-----\" "
          "blocks"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ListenerTlsOptions& options) {
  if (absl::Status valid = ValidateListenerTlsOptions(options); !valid.ok()) {
    return valid;
  }
  if (options.cert_file.empty()) return grpc::InsecureServerCredentials();

  const int64_t refresh_seconds =
      std::max<int64_t>(1, absl::ToInt64Seconds(absl::Ceil(
                               options.refresh_interval, absl::Seconds(1))));
  // The provider starts a thread that re-reads the files every interval and
  // hands changed contents to the handshaker; it lives as long as the
  // credentials (they hold it through the options).
  auto provider =
      std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
          options.key_file, options.cert_file, options.client_ca_file,
          static_cast<unsigned int>(std::min<int64_t>(refresh_seconds, 86400)));
  grpc::experimental::TlsServerCredentialsOptions tls_options(provider);
  tls_options.watch_identity_key_cert_pairs();
  if (!options.client_ca_file.empty()) tls_options.watch_root_certs();
  tls_options.set_cert_request_type(RequestType(options.client_auth));
  std::shared_ptr<grpc::ServerCredentials> credentials =
      grpc::experimental::TlsServerCredentials(tls_options);
  if (credentials == nullptr) {
    return absl::InternalError(
        "gRPC could not create TLS server credentials from --tls-cert-file, "
        "--tls-key-file and --tls-client-ca-file; check its log above");
  }
  return credentials;
}

}  // namespace neobridge::security
