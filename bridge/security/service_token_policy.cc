#include "bridge/security/service_token_policy.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bridge/log/json_log.h"

namespace neobridge::security {
namespace {

constexpr char kPolicyFlag[] = "--service-token-policy";
constexpr char kAllowFlag[] = "--service-token-mtls-allow";
constexpr char kKeysFlag[] = "--api-keys-file";
constexpr char kHashPrefix[] = "sha256:";
constexpr size_t kMaxNameLength = 128;
constexpr char kOwnToken[] =
    "send your own Pulumi access token as `authorization: token "
    "<pulumi-token>` metadata";
constexpr char kExpectedLine[] =
    "expected \"NAME sha256:<64 hex digits>\", NAME being 1 to 128 of "
    "A-Z a-z 0-9 . _ @ - and the hex digits the SHA-256 of the key (printf "
    "%s \"$KEY\" | sha256sum), never the key itself";

using Digest = std::array<unsigned char, 32>;

Digest Sha256(absl::string_view data) {
  Digest digest{};
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(),
             nullptr);
  return digest;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "sha256:" and 64 hex digits (either case) → the digest.
bool ParseHash(absl::string_view text, Digest* digest) {
  if (!absl::ConsumePrefix(&text, kHashPrefix)) return false;
  if (text.size() != 2 * digest->size()) return false;
  for (size_t i = 0; i < digest->size(); ++i) {
    const int high = HexValue(text[2 * i]);
    const int low = HexValue(text[2 * i + 1]);
    if (high < 0 || low < 0) return false;
    (*digest)[i] = static_cast<unsigned char>(high * 16 + low);
  }
  return true;
}

bool IsValidKeyName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' &&
        c != '_' && c != '@' && c != '-') {
      return false;
    }
  }
  return true;
}

absl::Status KeysFileError(const std::string& path, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat(kKeysFlag, " ", path, ": ", what));
}

// An entry matches `name` exactly, or as a prefix when it ends in '*'.
bool AllowEntryMatches(absl::string_view entry, absl::string_view name) {
  if (absl::ConsumeSuffix(&entry, "*")) return absl::StartsWith(name, entry);
  return entry == name;
}

absl::Status CheckAllowList(const std::vector<std::string>& allow) {
  if (allow.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        kPolicyFlag, "=mtls needs ", kAllowFlag,
        ": list the client certificate names (a URI or DNS SAN, the common "
        "name or the subject; a trailing '*' matches a prefix, e.g. "
        "\"spiffe://acme/ns/ci/*\") that may use the service token"));
  }
  for (size_t i = 0; i < allow.size(); ++i) {
    absl::string_view entry = allow[i];
    if (entry.empty() || entry == "*") {
      return absl::InvalidArgumentError(absl::StrCat(
          kAllowFlag, " entry ", i + 1,
          " is empty or \"*\": give a certificate name, or a prefix ending "
          "in '*' such as \"spiffe://acme/ns/ci/*\""));
    }
    absl::string_view body = entry.substr(0, entry.size() - 1);
    if (absl::StrContains(body, '*')) {
      return absl::InvalidArgumentError(absl::StrCat(
          kAllowFlag, " entry \"", entry,
          "\" has a '*' before its end: '*' may only end an entry, to match "
          "every name starting with what precedes it"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadKeysFile(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return KeysFileError(path,
                         "is a directory; give the keys file in it (e.g. a "
                         "key of a mounted Kubernetes Secret)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno;
    return KeysFileError(path,
                         absl::StrCat("cannot read it (", std::strerror(error),
                                      "); give a readable file of \"NAME "
                                      "sha256:<hex>\" lines"));
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) {
    return KeysFileError(path,
                         "cannot read it; give a readable file of \"NAME "
                         "sha256:<hex>\" lines");
  }
  return contents.str();
}

}  // namespace

bool ParseServiceTokenPolicyKind(absl::string_view text,
                                 ServiceTokenPolicyKind* kind) {
  for (ServiceTokenPolicyKind candidate :
       {ServiceTokenPolicyKind::kDisabled, ServiceTokenPolicyKind::kMtls,
        ServiceTokenPolicyKind::kApiKeys, ServiceTokenPolicyKind::kOpen}) {
    if (text == ServiceTokenPolicyKindName(candidate)) {
      *kind = candidate;
      return true;
    }
  }
  return false;
}

absl::string_view ServiceTokenPolicyKindName(ServiceTokenPolicyKind kind) {
  switch (kind) {
    case ServiceTokenPolicyKind::kDisabled:
      return "disabled";
    case ServiceTokenPolicyKind::kMtls:
      return "mtls";
    case ServiceTokenPolicyKind::kApiKeys:
      return "api-keys";
    case ServiceTokenPolicyKind::kOpen:
      return "open";
  }
  return "unknown";
}

std::string HashApiKey(absl::string_view key) {
  static constexpr char kHex[] = "0123456789abcdef";
  const Digest digest = Sha256(key);
  std::string text = kHashPrefix;
  for (unsigned char byte : digest) {
    text.push_back(kHex[byte >> 4]);
    text.push_back(kHex[byte & 0xF]);
  }
  return text;
}

absl::Status CheckPolicyFitsListener(ServiceTokenPolicyKind kind,
                                     const ListenerTlsOptions& listener) {
  if (kind != ServiceTokenPolicyKind::kMtls) return absl::OkStatus();
  if (listener.cert_file.empty() || listener.client_auth == ClientAuth::kNone) {
    return absl::InvalidArgumentError(absl::StrCat(
        kPolicyFlag,
        "=mtls needs a listener that verifies client certificates: set "
        "--tls-cert-file, --tls-key-file, --tls-client-ca-file and "
        "--tls-client-auth=require (or request)"));
  }
  return absl::OkStatus();
}

namespace {

// Parses the API keys file. Messages name the line, never its contents
// beyond a valid key name (a line could hold a raw key by mistake).
absl::StatusOr<std::vector<std::pair<std::string, Digest>>> ParseKeys(
    const std::string& path, absl::string_view contents) {
  std::vector<std::pair<std::string, Digest>> keys;
  std::map<std::string, size_t> line_of_name;
  std::map<Digest, std::pair<std::string, size_t>> owner_of_hash;
  size_t line_number = 0;
  for (absl::string_view line : absl::StrSplit(contents, '\n')) {
    ++line_number;
    if (size_t hash = line.find('#'); hash != absl::string_view::npos) {
      line = line.substr(0, hash);
    }
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t\r\v\f"), absl::SkipEmpty());
    if (fields.empty()) continue;
    if (fields.size() != 2) {
      return KeysFileError(
          path, absl::StrCat("line ", line_number, " has ", fields.size(),
                             fields.size() == 1 ? " field; " : " fields; ",
                             kExpectedLine));
    }
    if (!IsValidKeyName(fields[0])) {
      return KeysFileError(
          path, absl::StrCat("line ", line_number, ": the name is not valid; ",
                             kExpectedLine));
    }
    Digest digest;
    if (!ParseHash(fields[1], &digest)) {
      return KeysFileError(path,
                           absl::StrCat("line ", line_number,
                                        ": the hash is not \"sha256:\" and "
                                        "64 hex digits; ",
                                        kExpectedLine));
    }
    std::string name(fields[0]);
    if (auto it = line_of_name.find(name); it != line_of_name.end()) {
      return KeysFileError(
          path, absl::StrCat("line ", line_number, " repeats the name \"", name,
                             "\" of line ", it->second,
                             ": give each key its own name"));
    }
    if (auto it = owner_of_hash.find(digest); it != owner_of_hash.end()) {
      return KeysFileError(
          path, absl::StrCat("line ", line_number, " (\"", name,
                             "\") has the same key hash as line ",
                             it->second.second, " (\"", it->second.first,
                             "\"): give each caller its own key"));
    }
    line_of_name.emplace(name, line_number);
    owner_of_hash.emplace(digest, std::make_pair(name, line_number));
    keys.emplace_back(std::move(name), digest);
  }
  if (keys.empty()) {
    return KeysFileError(path,
                         "holds no API keys; add one line \"NAME "
                         "sha256:<64 hex digits>\" per key");
  }
  return keys;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ServiceTokenPolicy>> ServiceTokenPolicy::Create(
    ServiceTokenPolicyOptions options) {
  const absl::string_view kind = ServiceTokenPolicyKindName(options.kind);
  const bool uses_allow = options.kind == ServiceTokenPolicyKind::kMtls;
  const bool uses_keys = options.kind == ServiceTokenPolicyKind::kApiKeys;
  if (!uses_allow && !options.mtls_allow.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(kAllowFlag, " is set but ", kPolicyFlag, "=", kind,
                     " does not use it: set ", kPolicyFlag, "=mtls, or remove ",
                     kAllowFlag));
  }
  if (!uses_keys && !options.api_keys_file.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(kKeysFlag, " is set but ", kPolicyFlag, "=", kind,
                     " does not use it: set ", kPolicyFlag,
                     "=api-keys, or remove ", kKeysFlag));
  }
  if (uses_allow) {
    if (absl::Status allow = CheckAllowList(options.mtls_allow); !allow.ok()) {
      return allow;
    }
  }
  if (uses_keys && options.api_keys_file.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        kPolicyFlag, "=api-keys needs ", kKeysFlag,
        ": give a file of \"NAME sha256:<64 hex digits>\" lines, one per "
        "caller"));
  }
  std::unique_ptr<ServiceTokenPolicy> policy(
      new ServiceTokenPolicy(std::move(options)));
  if (uses_keys) {
    const std::string& path = policy->options_.api_keys_file;
    struct stat st;
    const bool have_stat = stat(path.c_str(), &st) == 0;
    absl::StatusOr<std::shared_ptr<const ApiKeys>> keys = LoadApiKeys(path);
    if (!keys.ok()) return keys.status();
    absl::MutexLock lock(&policy->mu_);
    policy->api_keys_ = *std::move(keys);
    policy->last_check_ = absl::Now();
    if (have_stat) {
      policy->last_mtime_ = st.st_mtim;
      policy->last_size_ = st.st_size;
      policy->last_inode_ = st.st_ino;
    }
  }
  return policy;
}

ServiceTokenPolicy::ServiceTokenPolicy(ServiceTokenPolicyOptions options)
    : options_(std::move(options)) {}

absl::StatusOr<std::shared_ptr<const ServiceTokenPolicy::ApiKeys>>
ServiceTokenPolicy::LoadApiKeys(const std::string& path) {
  absl::StatusOr<std::string> contents = ReadKeysFile(path);
  if (!contents.ok()) return contents.status();
  auto parsed = ParseKeys(path, *contents);
  if (!parsed.ok()) return parsed.status();
  auto keys = std::make_shared<ApiKeys>();
  for (auto& [name, digest] : *parsed) {
    keys->push_back({.name = std::move(name), .sha256 = digest});
  }
  return std::shared_ptr<const ApiKeys>(std::move(keys));
}

std::shared_ptr<const ServiceTokenPolicy::ApiKeys>
ServiceTokenPolicy::CurrentApiKeys() {
  absl::MutexLock lock(&mu_);
  const absl::Time now = absl::Now();
  if (now - last_check_ < options_.recheck_interval) return api_keys_;
  last_check_ = now;
  const std::string& path = options_.api_keys_file;
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    // Mid-rotation or removed: keep serving the last good keys.
    return api_keys_;
  }
  if (st.st_mtim.tv_sec == last_mtime_.tv_sec &&
      st.st_mtim.tv_nsec == last_mtime_.tv_nsec && st.st_size == last_size_ &&
      st.st_ino == last_inode_) {
    return api_keys_;
  }
  // Whatever the outcome, this version of the file is not read again.
  last_mtime_ = st.st_mtim;
  last_size_ = st.st_size;
  last_inode_ = st.st_ino;
  absl::StatusOr<std::shared_ptr<const ApiKeys>> keys = LoadApiKeys(path);
  if (!keys.ok()) {
    log::Log(log::Level::kWarn,
             "the API keys file changed but cannot be used; the previous keys "
             "stay in force until it is fixed",
             {{"error", std::string(keys.status().message())}});
    return api_keys_;
  }
  log::Log(log::Level::kInfo, "API keys reloaded",
           {{"file", path}, {"keys", absl::StrCat((*keys)->size())}});
  api_keys_ = *std::move(keys);
  return api_keys_;
}

absl::StatusOr<std::string> ServiceTokenPolicy::Authorize(
    const CallerIdentity& caller, absl::optional<absl::string_view> api_key) {
  switch (options_.kind) {
    case ServiceTokenPolicyKind::kDisabled:
      return absl::UnauthenticatedError(absl::StrCat(
          "no Pulumi access token: this neo-bridge lends its service token to "
          "nobody (",
          kPolicyFlag, "=disabled); ", kOwnToken));
    case ServiceTokenPolicyKind::kMtls:
      return AuthorizeMtls(caller);
    case ServiceTokenPolicyKind::kApiKeys:
      return AuthorizeApiKey(api_key);
    case ServiceTokenPolicyKind::kOpen:
      return std::string("open");
  }
  return absl::InternalError("unknown service-token policy");
}

absl::StatusOr<std::string> ServiceTokenPolicy::AuthorizeMtls(
    const CallerIdentity& caller) const {
  if (!caller.authenticated_by_certificate || caller.names.empty()) {
    return absl::UnauthenticatedError(absl::StrCat(
        "no Pulumi access token and no verified client certificate: present "
        "a client certificate allowed by ",
        kAllowFlag, " to use this neo-bridge's service token, or ", kOwnToken));
  }
  for (const std::string& entry : options_.mtls_allow) {
    for (const std::string& name : caller.names) {
      if (AllowEntryMatches(entry, name)) return absl::StrCat("mtls:", name);
    }
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "the client certificate (", absl::StrJoin(caller.names, ", "),
      ") may not use this neo-bridge's service token: ask its operator to "
      "add one of its names to ",
      kAllowFlag, ", or ", kOwnToken));
}

absl::StatusOr<std::string> ServiceTokenPolicy::AuthorizeApiKey(
    absl::optional<absl::string_view> api_key) {
  if (!api_key.has_value()) {
    return absl::UnauthenticatedError(absl::StrCat(
        "no Pulumi access token and no API key: send a key this neo-bridge "
        "knows as `",
        kApiKeyMetadata, "` metadata to use its service token, or ",
        kOwnToken));
  }
  const Digest presented = Sha256(*api_key);
  std::shared_ptr<const ApiKeys> keys = CurrentApiKeys();
  // Every stored hash is compared, in constant time each, so the time taken
  // does not depend on where (or whether) the key matches.
  const ApiKey* match = nullptr;
  if (keys != nullptr) {
    for (const ApiKey& key : *keys) {
      const bool equal = CRYPTO_memcmp(key.sha256.data(), presented.data(),
                                       presented.size()) == 0;
      if (equal) match = &key;
    }
  }
  if (match == nullptr || api_key->empty()) {
    return absl::UnauthenticatedError(absl::StrCat(
        "the `", kApiKeyMetadata,
        "` metadata is not a valid API key for this neo-bridge (it may have "
        "been revoked): ask its operator for a key listed in ",
        kKeysFlag, ", or ", kOwnToken));
  }
  return absl::StrCat("api-key:", match->name);
}

}  // namespace neobridge::security
