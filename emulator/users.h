// Users known to the emulator: access token -> identity and org membership.
#ifndef NEO_EMULATOR_USERS_H_
#define NEO_EMULATOR_USERS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace neo_emulator {

// One account. `token` is what clients send in `Authorization: token <tok>`;
// `login`, `name` and `avatar_url` become the task's `createdBy`
// (`githubLogin`, `name`, `avatarUrl`); `orgs` are the organizations whose
// tasks the user may see.
struct User {
  std::string token;
  std::string login;
  std::string name;
  std::string avatar_url;
  std::vector<std::string> orgs;

  bool IsMemberOf(absl::string_view org) const;
};

// alice (token pul-emulator-alice) and bob (token pul-emulator-bob), both
// members of org "acme".
std::vector<User> DefaultUsers();

// Parses a users file: a JSON array of
// {"token", "login", "name", "avatarUrl", "orgs": [..]} objects. token and
// login are required and must be unique; name defaults to login; avatarUrl
// defaults to https://avatars.example.com/<login>.png.
absl::StatusOr<std::vector<User>> ParseUsersJson(absl::string_view json_text);

// Reads and parses a users file; errors name the path.
absl::StatusOr<std::vector<User>> LoadUsersFile(const std::string& path);

// Checks a user list given programmatically (non-empty, unique tokens and
// logins, no empty token/login).
absl::Status ValidateUsers(const std::vector<User>& users);

// Extracts the token from an Authorization header value: "token <t>" or
// "Bearer <t>", scheme case-insensitive. nullopt when malformed.
std::optional<std::string> TokenFromAuthorization(absl::string_view header);

// Immutable token -> user index. Thread-compatible (read-only after
// construction).
class UserDirectory {
 public:
  explicit UserDirectory(std::vector<User> users);
  // nullptr when the token is unknown. The pointer lives as long as the
  // directory.
  const User* FindByToken(absl::string_view token) const;

 private:
  std::vector<User> users_;
};

}  // namespace neo_emulator

#endif  // NEO_EMULATOR_USERS_H_
