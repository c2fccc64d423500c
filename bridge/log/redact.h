// Redaction of secrets from text that is about to be logged: Pulumi access
// tokens, authorization header values, API keys and any JSON string member
// whose name says it holds a secret (e.g. encrypted_pulumi_access_token).
// Pure and cheap on text without secrets.
#ifndef NEOBRIDGE_BRIDGE_LOG_REDACT_H_
#define NEOBRIDGE_BRIDGE_LOG_REDACT_H_

#include <string>

#include "absl/strings/string_view.h"

namespace neobridge::log {

// What replaces a secret.
inline constexpr char kRedacted[] = "[REDACTED]";

// Whether a field called `name` holds a secret by its name alone: it
// contains "token", "authorization", "secret", "password", "api_key",
// "api-key", "apikey" or "cookie" (any case). "tokens_used" and the like
// are not secrets: names ending in "tokens" or "tokens_used" are allowed,
// and so are names ending in "policy" (settings about secrets).
bool IsSecretName(absl::string_view name);

// `text` with every secret replaced by kRedacted:
//  - Pulumi access tokens: "pul-" followed by 8 or more letters or digits
//    (wherever it starts);
//  - "Bearer X", and the value after "authorization" or "x-api-key"
//    followed by ':' or '=' (header or query form);
//  - the string value of a JSON member whose name IsSecretName, e.g.
//    "encrypted_pulumi_access_token":"..." (also with escaped quotes, as in
//    JSON embedded in a JSON string).
std::string RedactSecrets(absl::string_view text);

}  // namespace neobridge::log

#endif  // NEOBRIDGE_BRIDGE_LOG_REDACT_H_
