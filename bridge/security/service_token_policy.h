// Who may have the bridge's own Pulumi access token (the service token) used
// for them when a call brings no token of its own. Callers that send their
// own `authorization` metadata pass under every policy; that check is the
// caller's (see bridge/service/credentials.h), not this module's.
#ifndef NEOBRIDGE_BRIDGE_SECURITY_SERVICE_TOKEN_POLICY_H_
#define NEOBRIDGE_BRIDGE_SECURITY_SERVICE_TOKEN_POLICY_H_

#include <sys/types.h>

#include <array>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "bridge/security/caller_identity.h"
#include "bridge/security/server_credentials.h"

namespace neobridge::security {

// The --service-token-policy values.
enum class ServiceTokenPolicyKind {
  kDisabled,  // "disabled": nobody; every caller sends its own token
  kMtls,      // "mtls": callers with an allowed, verified client certificate
  kApiKeys,   // "api-keys": callers sending a known `x-api-key`
  kOpen,      // "open": everyone who can reach the port (NetworkPolicy)
};

// Parses "disabled", "mtls", "api-keys" or "open"; false, leaving `*kind`
// unchanged, otherwise.
bool ParseServiceTokenPolicyKind(absl::string_view text,
                                 ServiceTokenPolicyKind* kind);

// "disabled", "mtls", "api-keys" or "open".
absl::string_view ServiceTokenPolicyKindName(ServiceTokenPolicyKind kind);

// The metadata key a caller sends its bridge API key in.
inline constexpr char kApiKeyMetadata[] = "x-api-key";

struct ServiceTokenPolicyOptions {
  ServiceTokenPolicyKind kind = ServiceTokenPolicyKind::kDisabled;
  // kMtls only (--service-token-mtls-allow): client certificate names that
  // may use the service token. An entry matches a name of the certificate
  // (a SAN, the common name or the full subject) exactly, or, ending in '*',
  // every name starting with what precedes the '*' (e.g.
  // "spiffe://acme/ns/ci/*"). '*' is allowed only at the end.
  std::vector<std::string> mtls_allow;
  // kApiKeys only (--api-keys-file): one key per line, "NAME sha256:HEX",
  // HEX being the 64 hex digits of the SHA-256 of the key (see HashApiKey),
  // NAME [A-Za-z0-9._@-]{1,128}; '#' starts a comment, blank lines are
  // ignored. Names and hashes are unique. Re-read when it changes.
  std::string api_keys_file;
  // At most how often the API keys file is checked for changes (its
  // modification time, size and inode).
  absl::Duration recheck_interval = absl::Seconds(1);
};

// Decides, per call, whether the caller may use the service token.
// Thread-safe: Authorize may run on any number of threads at once.
class ServiceTokenPolicy {
 public:
  // Checks `options` (and reads the API keys file once): INVALID_ARGUMENT
  // naming the flag (--service-token-policy, --service-token-mtls-allow or
  // --api-keys-file) and, for a file, the line, when the kind lacks what it
  // needs, is given what it does not use, or the file is unreadable, empty
  // or malformed.
  static absl::StatusOr<std::unique_ptr<ServiceTokenPolicy>> Create(
      ServiceTokenPolicyOptions options);

  ServiceTokenPolicy(const ServiceTokenPolicy&) = delete;
  ServiceTokenPolicy& operator=(const ServiceTokenPolicy&) = delete;

  // For a call that brings no token of its own: OK with the caller's name
  // for logs and per-caller limits ("mtls:<matching certificate name>",
  // "api-key:<NAME>" or "open") when it may use the service token;
  // otherwise UNAUTHENTICATED (no or an unknown credential) or
  // PERMISSION_DENIED (a verified certificate that is not allowed), with a
  // message saying what to send instead. `api_key` is the `x-api-key`
  // metadata value, if any; it never appears in a message. Under kApiKeys
  // this may re-read a changed keys file; a file that fails to read or parse
  // then is logged and the last good keys stay in force.
  absl::StatusOr<std::string> Authorize(
      const CallerIdentity& caller, absl::optional<absl::string_view> api_key);

  ServiceTokenPolicyKind kind() const { return options_.kind; }

 private:
  struct ApiKey {
    std::string name;
    std::array<unsigned char, 32> sha256;
  };
  using ApiKeys = std::vector<ApiKey>;

  explicit ServiceTokenPolicy(ServiceTokenPolicyOptions options);

  // Reads and parses the API keys file at `path`.
  static absl::StatusOr<std::shared_ptr<const ApiKeys>> LoadApiKeys(
      const std::string& path);

  // The current keys, re-reading the file first when it is due and changed.
  std::shared_ptr<const ApiKeys> CurrentApiKeys();
  absl::StatusOr<std::string> AuthorizeMtls(const CallerIdentity& caller) const;
  absl::StatusOr<std::string> AuthorizeApiKey(
      absl::optional<absl::string_view> api_key);

  const ServiceTokenPolicyOptions options_;
  absl::Mutex mu_;
  std::shared_ptr<const ApiKeys> api_keys_ ABSL_GUARDED_BY(mu_);
  absl::Time last_check_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  timespec last_mtime_ ABSL_GUARDED_BY(mu_) = {};
  off_t last_size_ ABSL_GUARDED_BY(mu_) = -1;
  ino_t last_inode_ ABSL_GUARDED_BY(mu_) = 0;
};

// "sha256:" and the 64 lowercase hex digits of the SHA-256 of `key`, the
// form the API keys file holds (the same as
// `printf %s "$KEY" | sha256sum`).
std::string HashApiKey(absl::string_view key);

// OK unless `kind` is kMtls and `listener` does not verify client
// certificates (plaintext, or --tls-client-auth=none): then
// INVALID_ARGUMENT saying which --tls-* flags to set. For start-up wiring.
absl::Status CheckPolicyFitsListener(ServiceTokenPolicyKind kind,
                                     const ListenerTlsOptions& listener);

}  // namespace neobridge::security

#endif  // NEOBRIDGE_BRIDGE_SECURITY_SERVICE_TOKEN_POLICY_H_
