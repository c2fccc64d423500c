#include "emulator/tls_context.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace neo_emulator {
namespace {

constexpr absl::string_view kCertFlag = "--tls-cert-file";
constexpr absl::string_view kKeyFlag = "--tls-key-file";

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Deleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

// Refuses every pass phrase request: an encrypted key fails to load instead
// of OpenSSL prompting on the terminal.
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/,
                 void* /*userdata*/) {
  return 0;
}

// The reason of the oldest queued OpenSSL error (e.g. "no start line");
// empties the queue.
std::string TakeOpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  if (const char* reason = ERR_reason_error_string(code); reason != nullptr) {
    return reason;
  }
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

absl::Status Invalid(absl::string_view flag, const std::string& path,
                     absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid ", flag, " '", path, "': ", problem));
}

// The whole file, or why it cannot be read.
absl::StatusOr<std::string> ReadWholeFile(absl::string_view flag,
                                          const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Invalid(flag, path,
                   absl::StrCat("cannot read it: ", std::strerror(errno)));
  }
  std::string contents;
  char buffer[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      ::close(fd);
      return Invalid(flag, path,
                     absl::StrCat("cannot read it: ", std::strerror(error)));
    }
    contents.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return contents;
}

BioPtr MemoryBio(const std::string& contents) {
  return BioPtr(
      BIO_new_mem_buf(contents.data(), static_cast<int>(contents.size())));
}

// Installs the leaf and any further certificates (the chain) of `pem`.
absl::Status UseCertificateChain(SSL_CTX* context, const std::string& path,
                                 const std::string& pem) {
  BioPtr bio = MemoryBio(pem);
  if (bio == nullptr) return absl::ResourceExhaustedError("out of memory");
  X509Ptr leaf(
      PEM_read_bio_X509_AUX(bio.get(), nullptr, &NoPassphrase, nullptr));
  if (leaf == nullptr) {
    return Invalid(kCertFlag, path,
                   absl::StrCat("no PEM certificate in it (OpenSSL: ",
                                TakeOpenSslError(), ")"));
  }
  if (SSL_CTX_use_certificate(context, leaf.get()) != 1) {
    return Invalid(kCertFlag, path,
                   absl::StrCat("the certificate cannot be used (OpenSSL: ",
                                TakeOpenSslError(), ")"));
  }
  for (;;) {
    X509Ptr next(PEM_read_bio_X509(bio.get(), nullptr, &NoPassphrase, nullptr));
    if (next == nullptr) break;
    if (SSL_CTX_add0_chain_cert(context, next.get()) != 1) {
      return Invalid(kCertFlag, path,
                     absl::StrCat("a chain certificate cannot be used "
                                  "(OpenSSL: ",
                                  TakeOpenSslError(), ")"));
    }
    (void)next.release();  // Owned by the context now.
  }
  // The loop ends at the end of the file ("no start line"); anything else
  // is a damaged certificate after the first.
  const unsigned long last = ERR_peek_last_error();
  if (last != 0 && !(ERR_GET_LIB(last) == ERR_LIB_PEM &&
                     ERR_GET_REASON(last) == PEM_R_NO_START_LINE)) {
    return Invalid(kCertFlag, path,
                   absl::StrCat("a certificate after the first is malformed "
                                "(OpenSSL: ",
                                TakeOpenSslError(), ")"));
  }
  ERR_clear_error();
  return absl::OkStatus();
}

}  // namespace

void SslCtxDeleter::operator()(ssl_ctx_st* context) const {
  SSL_CTX_free(context);
}

absl::StatusOr<SslCtxPtr> LoadServerTlsContext(const std::string& cert_file,
                                               const std::string& key_file) {
  absl::StatusOr<std::string> cert_pem = ReadWholeFile(kCertFlag, cert_file);
  if (!cert_pem.ok()) return cert_pem.status();
  absl::StatusOr<std::string> key_pem = ReadWholeFile(kKeyFlag, key_file);
  if (!key_pem.ok()) return key_pem.status();

  ERR_clear_error();
  SslCtxPtr context(SSL_CTX_new(TLS_server_method()));
  if (context == nullptr) {
    return absl::InternalError(absl::StrCat(
        "cannot create a TLS context (OpenSSL: ", TakeOpenSslError(), ")"));
  }
  SSL_CTX* ctx = context.get();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
  // Idle event streams are the common case: do not keep 2 x 16 KiB of
  // record buffers per idle connection.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_default_passwd_cb(ctx, &NoPassphrase);

  if (absl::Status status = UseCertificateChain(ctx, cert_file, *cert_pem);
      !status.ok()) {
    return status;
  }

  BioPtr key_bio = MemoryBio(*key_pem);
  if (key_bio == nullptr) return absl::ResourceExhaustedError("out of memory");
  PkeyPtr key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, &NoPassphrase, nullptr));
  if (key == nullptr) {
    return Invalid(kKeyFlag, key_file,
                   absl::StrCat("no unencrypted PEM private key in it "
                                "(OpenSSL: ",
                                TakeOpenSslError(), ")"));
  }
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    return Invalid(kKeyFlag, key_file,
                   absl::StrCat("the key does not belong to the certificate "
                                "in ",
                                kCertFlag, " '", cert_file,
                                "' (OpenSSL: ", TakeOpenSslError(), ")"));
  }
  ERR_clear_error();
  return context;
}

}  // namespace neo_emulator
