// The gRPC listener's transport security: plaintext, TLS, or mutual TLS, with
// the certificate, key and client CA files re-read on rotation (e.g. a
// mounted Kubernetes Secret or cert-manager certificate) without a restart.
#ifndef NEOBRIDGE_BRIDGE_SECURITY_SERVER_CREDENTIALS_H_
#define NEOBRIDGE_BRIDGE_SECURITY_SERVER_CREDENTIALS_H_

#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace neobridge::security {

// Whether the listener asks TLS clients for a certificate (mTLS). A client
// certificate, when one is sent, is always verified against the client CA;
// the listener never accepts an unverified one.
enum class ClientAuth {
  kNone,     // no client certificate is requested
  kRequest,  // verified if the client sends one; clients without one connect
  kRequire,  // clients without a valid certificate are refused
};

// Parses "none", "request" or "require" (the --tls-client-auth values);
// false, leaving `*client_auth` unchanged, otherwise.
bool ParseClientAuth(absl::string_view text, ClientAuth* client_auth);

// "none", "request" or "require".
absl::string_view ClientAuthName(ClientAuth client_auth);

struct ListenerTlsOptions {
  // PEM certificate chain, leaf first (--tls-cert-file). Empty: the listener
  // is plaintext, and every other field must be left at its default.
  std::string cert_file;
  // PEM private key of the leaf certificate (--tls-key-file).
  std::string key_file;
  // PEM CA certificates that client certificates must chain to
  // (--tls-client-ca-file). Required exactly when client_auth is not kNone.
  std::string client_ca_file;
  ClientAuth client_auth = ClientAuth::kNone;  // --tls-client-auth
  // How often the three files are checked for changes. Rounded up to whole
  // seconds, at least one.
  absl::Duration refresh_interval = absl::Seconds(10);
};

// Checks `options` and reads its files once: every file must be readable
// and hold what its flag promises, the key must belong to the leaf
// certificate, and client_auth and client_ca_file must be set together.
// INVALID_ARGUMENT naming the flag (and file) and what to do otherwise.
// For start-up checks; MakeServerCredentials runs it too.
absl::Status ValidateListenerTlsOptions(const ListenerTlsOptions& options);

// Server credentials for `options`: insecure when cert_file is empty, else
// TLS served from the files through gRPC's file watcher, which re-reads them
// every refresh_interval on a thread of its own and swaps in changed
// contents; connections already open keep their session. Fails as
// ValidateListenerTlsOptions does.
//
// The key and certificate must change together. The watcher (gRPC 1.51)
// reads them as two files and, should it read a certificate with a key that
// does not match, serves no TLS handshake at all until a later read is
// consistent again. Safe ways to rotate: swap a directory symlink (what a
// Kubernetes Secret volume does), or keep key and chain in one PEM file,
// given as both --tls-cert-file and --tls-key-file, replaced by a rename.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ListenerTlsOptions& options);

}  // namespace neobridge::security

#endif  // NEOBRIDGE_BRIDGE_SECURITY_SERVER_CREDENTIALS_H_
