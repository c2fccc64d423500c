#include "emulator/users.h"

#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace neo_emulator {
namespace {

using Json = nlohmann::json;

std::string DefaultAvatar(absl::string_view login) {
  return absl::StrCat("https://avatars.example.com/", login, ".png");
}

absl::StatusOr<std::string> RequiredString(const Json& object,
                                           const char* field, size_t index) {
  auto it = object.find(field);
  if (it == object.end() || !it->is_string() ||
      it->get_ref<const std::string&>().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "users[", index, "].", field, " must be a non-empty string"));
  }
  return it->get<std::string>();
}

}  // namespace

bool User::IsMemberOf(absl::string_view org) const {
  for (const std::string& o : orgs) {
    if (o == org) return true;
  }
  return false;
}

std::vector<User> DefaultUsers() {
  return {
      User{.token = "pul-emulator-alice",
           .login = "alice",
           .name = "Alice Example",
           .avatar_url = DefaultAvatar("alice"),
           .orgs = {"acme"}},
      User{.token = "pul-emulator-bob",
           .login = "bob",
           .name = "Bob Example",
           .avatar_url = DefaultAvatar("bob"),
           .orgs = {"acme"}},
  };
}

absl::Status ValidateUsers(const std::vector<User>& users) {
  if (users.empty()) {
    return absl::InvalidArgumentError("at least one user is required");
  }
  std::set<std::string> tokens;
  std::set<std::string> logins;
  for (size_t i = 0; i < users.size(); ++i) {
    const User& user = users[i];
    if (user.token.empty() || user.login.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("users[", i, "]: token and login must be non-empty"));
    }
    if (!tokens.insert(user.token).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("users[", i, "]: duplicate token"));
    }
    if (!logins.insert(user.login).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("users[", i, "]: duplicate login '", user.login, "'"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<User>> ParseUsersJson(absl::string_view json_text) {
  Json root = Json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    return absl::InvalidArgumentError("users file is not valid JSON");
  }
  if (!root.is_array()) {
    return absl::InvalidArgumentError(
        "users file must be a JSON array of {token, login, name, avatarUrl, "
        "orgs} objects");
  }
  std::vector<User> users;
  for (size_t i = 0; i < root.size(); ++i) {
    const Json& entry = root[i];
    if (!entry.is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat("users[", i, "] must be an object"));
    }
    User user;
    absl::StatusOr<std::string> token = RequiredString(entry, "token", i);
    if (!token.ok()) return token.status();
    absl::StatusOr<std::string> login = RequiredString(entry, "login", i);
    if (!login.ok()) return login.status();
    user.token = *std::move(token);
    user.login = *std::move(login);
    user.name = user.login;
    user.avatar_url = DefaultAvatar(user.login);
    if (auto it = entry.find("name"); it != entry.end() && !it->is_null()) {
      if (!it->is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat("users[", i, "].name must be a string"));
      }
      user.name = it->get<std::string>();
    }
    if (auto it = entry.find("avatarUrl");
        it != entry.end() && !it->is_null()) {
      if (!it->is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat("users[", i, "].avatarUrl must be a string"));
      }
      user.avatar_url = it->get<std::string>();
    }
    if (auto it = entry.find("orgs"); it != entry.end() && !it->is_null()) {
      if (!it->is_array()) {
        return absl::InvalidArgumentError(
            absl::StrCat("users[", i, "].orgs must be an array of strings"));
      }
      for (const Json& org : *it) {
        if (!org.is_string() || org.get_ref<const std::string&>().empty()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "users[", i, "].orgs must be an array of non-empty strings"));
        }
        user.orgs.push_back(org.get<std::string>());
      }
    }
    users.push_back(std::move(user));
  }
  if (absl::Status status = ValidateUsers(users); !status.ok()) return status;
  return users;
}

absl::StatusOr<std::vector<User>> LoadUsersFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot read users file '", path, "'"));
  }
  std::stringstream contents;
  contents << in.rdbuf();
  absl::StatusOr<std::vector<User>> users = ParseUsersJson(contents.str());
  if (!users.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", users.status().message()));
  }
  return users;
}

std::optional<std::string> TokenFromAuthorization(absl::string_view header) {
  header = absl::StripAsciiWhitespace(header);
  const size_t space = header.find(' ');
  if (space == absl::string_view::npos) return std::nullopt;
  const absl::string_view scheme = header.substr(0, space);
  if (!absl::EqualsIgnoreCase(scheme, "token") &&
      !absl::EqualsIgnoreCase(scheme, "bearer")) {
    return std::nullopt;
  }
  const absl::string_view token =
      absl::StripAsciiWhitespace(header.substr(space + 1));
  if (token.empty()) return std::nullopt;
  return std::string(token);
}

UserDirectory::UserDirectory(std::vector<User> users)
    : users_(std::move(users)) {}

const User* UserDirectory::FindByToken(absl::string_view token) const {
  for (const User& user : users_) {
    if (user.token == token) return &user;
  }
  return nullptr;
}

}  // namespace neo_emulator
