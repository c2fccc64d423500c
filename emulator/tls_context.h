// The emulator's server-side TLS configuration: one SSL_CTX built from a PEM
// certificate (chain) file and a PEM private key file.
#ifndef NEO_EMULATOR_TLS_CONTEXT_H_
#define NEO_EMULATOR_TLS_CONTEXT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX.

namespace neo_emulator {

struct SslCtxDeleter {
  void operator()(ssl_ctx_st* context) const;
};
using SslCtxPtr = std::unique_ptr<ssl_ctx_st, SslCtxDeleter>;

// A server context accepting TLS 1.2 and 1.3 with `cert_file` (the leaf
// first, then any intermediates) and its unencrypted `key_file`. Never
// prompts for a pass phrase. InvalidArgument naming the flag
// (--tls-cert-file / --tls-key-file) and the path when a file cannot be
// read, holds no usable PEM certificate or key, or the key does not belong
// to the certificate.
absl::StatusOr<SslCtxPtr> LoadServerTlsContext(const std::string& cert_file,
                                               const std::string& key_file);

}  // namespace neo_emulator

#endif  // NEO_EMULATOR_TLS_CONTEXT_H_
