// Which Pulumi access token an RPC uses upstream: the caller's own (from the
// `authorization` metadata), or the bridge's service token. Tokens are never
// logged or put into error messages.
#ifndef NEOBRIDGE_BRIDGE_SERVICE_CREDENTIALS_H_
#define NEOBRIDGE_BRIDGE_SERVICE_CREDENTIALS_H_

#include <grpcpp/support/string_ref.h>

#include <ctime>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"

namespace neobridge::service {

// The bridge's own Pulumi access token: a fixed value (from
// PULUMI_ACCESS_TOKEN) or a file (e.g. a mounted Kubernetes Secret) that is
// re-read when it changes, so rotation needs no restart. Thread-safe.
class ServiceTokenSource {
 public:
  // `file` wins over `fixed_token` when both are set; either may be empty.
  ServiceTokenSource(std::string fixed_token, std::string file,
                     absl::Duration recheck_interval = absl::Seconds(1));

  // Reads `file` once; fails with a message naming the file when it is set
  // but unreadable or empty. For start-up checks.
  absl::Status CheckReadable();

  // Fails when the fixed token is in use (no file) but is not one token
  // (visible ASCII, no spaces), naming PULUMI_ACCESS_TOKEN and never
  // echoing it: such a value could only fail every call it is lent to. For
  // start-up checks.
  absl::Status CheckFixedToken() const;

  // The current token, or nullopt when none is configured. When the file is
  // temporarily unreadable (mid-rotation) the last good token is kept.
  absl::optional<std::string> Get();

  bool configured() const { return !fixed_token_.empty() || !file_.empty(); }

 private:
  absl::StatusOr<std::string> ReadFile() const;

  const std::string fixed_token_;
  const std::string file_;
  const absl::Duration recheck_interval_;
  absl::Mutex mu_;
  std::string file_token_ ABSL_GUARDED_BY(mu_);
  absl::Time last_check_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  timespec last_mtime_ ABSL_GUARDED_BY(mu_) = {};
  off_t last_size_ ABSL_GUARDED_BY(mu_) = -1;
};

using Metadata = std::multimap<grpc::string_ref, grpc::string_ref>;

// The caller's own Pulumi token, from `authorization` metadata of the form
// "Bearer <token>" or "token <token>" (scheme case-insensitive); nullopt
// when the call sends no such metadata; UNAUTHENTICATED, saying the expected
// form, when it is malformed.
absl::StatusOr<absl::optional<std::string>> CallerToken(
    const Metadata& metadata);

// Which token a call sends upstream, and who the caller is.
struct CallCredentials {
  std::string access_token;
  // Names the caller for per-caller limits and logs (see CallerKey in
  // call_limits.h); never a secret.
  std::string caller;
};

// Decides, when a call brings no token of its own, whether it may use the
// service token: the caller's name, or the refusal (UNAUTHENTICATED or
// PERMISSION_DENIED saying what to do).
using ServiceTokenAuthorizer = absl::FunctionRef<absl::StatusOr<std::string>()>;

// The credentials of one call. A caller's own token always passes through.
// Without one, the service token is used when `authorize` allows it.
// UNAUTHENTICATED, saying how to supply a token, when the metadata is
// malformed or no token is available; `authorize`'s refusal as it is.
absl::StatusOr<CallCredentials> ResolveCredentials(
    const Metadata& metadata, ServiceTokenSource* service_tokens,
    ServiceTokenAuthorizer authorize, const std::string& peer);

}  // namespace neobridge::service

#endif  // NEOBRIDGE_BRIDGE_SERVICE_CREDENTIALS_H_
