#include "bridge/security/service_token_policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "tests/support/test_certs.h"

namespace neobridge::security {
namespace {

using ::neobridge::test_support::TempDir;
using ::neobridge::test_support::WriteFileAtomically;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kCiKey[] = "nb_ci_6f1e0c2d9a7b4e3f";
constexpr char kOldKey[] = "nb_old_0a9b8c7d6e5f4a3b";
constexpr char kStrangerKey[] = "nb_stranger_1234567890";
constexpr char kOwnTokenHint[] =
    "send your own Pulumi access token as `authorization: token "
    "<pulumi-token>` metadata";

std::string KeysFile(
    const std::vector<std::pair<std::string, std::string>>& names_and_keys) {
  std::string text = "# neo-bridge API keys\n\n";
  for (const auto& [name, key] : names_and_keys) {
    absl::StrAppend(&text, name, " ", HashApiKey(key), "\n");
  }
  return text;
}

CallerIdentity Verified(std::vector<std::string> names) {
  return {.names = std::move(names),
          .authenticated_by_certificate = true,
          .peer = "ipv4:10.0.0.7:41234"};
}

// --- The policy matrix -----------------------------------------------------

enum class Caller {
  kNoIdentity,        // no certificate, no key
  kUnverified,        // names without a verified certificate, no key
  kAllowedIdentity,   // certificate named exactly as an allow entry, no key
  kOtherIdentity,     // certificate not on the allow list, no key
  kPrefixIdentity,    // certificate under an allowed "…/*" prefix, no key
  kNoKey,             // allowed certificate and an empty metadata set
  kValidKey,          // a listed key, no certificate
  kWrongKey,          // a key that was never listed, no certificate
  kRemovedKeyRotated  // a key removed from the file by a rotation
};

struct MatrixRow {
  ServiceTokenPolicyKind kind;
  Caller caller;
  absl::StatusCode code;
  // The caller name when OK, else a part of the message.
  std::string expected;
};

std::string CallerName(Caller caller) {
  switch (caller) {
    case Caller::kNoIdentity:
      return "NoIdentity";
    case Caller::kUnverified:
      return "Unverified";
    case Caller::kAllowedIdentity:
      return "AllowedIdentity";
    case Caller::kOtherIdentity:
      return "OtherIdentity";
    case Caller::kPrefixIdentity:
      return "PrefixIdentity";
    case Caller::kNoKey:
      return "NoKey";
    case Caller::kValidKey:
      return "ValidKey";
    case Caller::kWrongKey:
      return "WrongKey";
    case Caller::kRemovedKeyRotated:
      return "RemovedKeyRotated";
  }
  return "Unknown";
}

std::string KindName(ServiceTokenPolicyKind kind) {
  switch (kind) {
    case ServiceTokenPolicyKind::kDisabled:
      return "Disabled";
    case ServiceTokenPolicyKind::kMtls:
      return "Mtls";
    case ServiceTokenPolicyKind::kApiKeys:
      return "ApiKeys";
    case ServiceTokenPolicyKind::kOpen:
      return "Open";
  }
  return "Unknown";
}

constexpr absl::StatusCode kOk = absl::StatusCode::kOk;
constexpr absl::StatusCode kUnauthenticated =
    absl::StatusCode::kUnauthenticated;
constexpr absl::StatusCode kPermissionDenied =
    absl::StatusCode::kPermissionDenied;

std::vector<MatrixRow> MatrixRows() {
  using K = ServiceTokenPolicyKind;
  using C = Caller;
  const std::string nobody = "lends its service token to nobody";
  const std::string no_cert = "no verified client certificate";
  const std::string not_allowed = "may not use this neo-bridge's service token";
  const std::string no_key = "no API key";
  const std::string bad_key = "is not a valid API key";
  const std::string deployer = "mtls:spiffe://acme/ns/ci/sa/deployer";
  return {
      {K::kDisabled, C::kNoIdentity, kUnauthenticated, nobody},
      {K::kDisabled, C::kUnverified, kUnauthenticated, nobody},
      {K::kDisabled, C::kAllowedIdentity, kUnauthenticated, nobody},
      {K::kDisabled, C::kOtherIdentity, kUnauthenticated, nobody},
      {K::kDisabled, C::kPrefixIdentity, kUnauthenticated, nobody},
      {K::kDisabled, C::kNoKey, kUnauthenticated, nobody},
      {K::kDisabled, C::kValidKey, kUnauthenticated, nobody},
      {K::kDisabled, C::kWrongKey, kUnauthenticated, nobody},
      {K::kDisabled, C::kRemovedKeyRotated, kUnauthenticated, nobody},

      {K::kMtls, C::kNoIdentity, kUnauthenticated, no_cert},
      {K::kMtls, C::kUnverified, kUnauthenticated, no_cert},
      {K::kMtls, C::kAllowedIdentity, kOk, deployer},
      {K::kMtls, C::kOtherIdentity, kPermissionDenied, not_allowed},
      {K::kMtls, C::kPrefixIdentity, kOk,
       "mtls:spiffe://acme/ns/ops/sa/oncall"},
      {K::kMtls, C::kNoKey, kOk, deployer},
      {K::kMtls, C::kValidKey, kUnauthenticated, no_cert},
      {K::kMtls, C::kWrongKey, kUnauthenticated, no_cert},
      {K::kMtls, C::kRemovedKeyRotated, kUnauthenticated, no_cert},

      {K::kApiKeys, C::kNoIdentity, kUnauthenticated, no_key},
      {K::kApiKeys, C::kUnverified, kUnauthenticated, no_key},
      {K::kApiKeys, C::kAllowedIdentity, kUnauthenticated, no_key},
      {K::kApiKeys, C::kOtherIdentity, kUnauthenticated, no_key},
      {K::kApiKeys, C::kPrefixIdentity, kUnauthenticated, no_key},
      {K::kApiKeys, C::kNoKey, kUnauthenticated, no_key},
      {K::kApiKeys, C::kValidKey, kOk, "api-key:ci"},
      {K::kApiKeys, C::kWrongKey, kUnauthenticated, bad_key},
      {K::kApiKeys, C::kRemovedKeyRotated, kUnauthenticated, bad_key},

      {K::kOpen, C::kNoIdentity, kOk, "open"},
      {K::kOpen, C::kUnverified, kOk, "open"},
      {K::kOpen, C::kAllowedIdentity, kOk, "open"},
      {K::kOpen, C::kOtherIdentity, kOk, "open"},
      {K::kOpen, C::kPrefixIdentity, kOk, "open"},
      {K::kOpen, C::kNoKey, kOk, "open"},
      {K::kOpen, C::kValidKey, kOk, "open"},
      {K::kOpen, C::kWrongKey, kOk, "open"},
      {K::kOpen, C::kRemovedKeyRotated, kOk, "open"},
  };
}

class PolicyMatrixTest : public testing::TestWithParam<MatrixRow> {};

TEST_P(PolicyMatrixTest, Authorize) {
  const MatrixRow& row = GetParam();
  TempDir dir;
  const std::string keys_file = dir.File("api-keys");
  WriteFileAtomically(keys_file, KeysFile({{"ci", kCiKey}, {"old", kOldKey}}));

  ServiceTokenPolicyOptions options{.kind = row.kind,
                                    .recheck_interval = absl::ZeroDuration()};
  if (row.kind == ServiceTokenPolicyKind::kMtls) {
    options.mtls_allow = {"spiffe://acme/ns/ci/sa/deployer",
                          "spiffe://acme/ns/ops/*"};
  }
  if (row.kind == ServiceTokenPolicyKind::kApiKeys) {
    options.api_keys_file = keys_file;
  }
  absl::StatusOr<std::unique_ptr<ServiceTokenPolicy>> policy =
      ServiceTokenPolicy::Create(options);
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ((*policy)->kind(), row.kind);

  CallerIdentity identity{.peer = "ipv4:10.0.0.7:41234"};
  absl::optional<absl::string_view> key;
  switch (row.caller) {
    case Caller::kNoIdentity:
      break;
    case Caller::kUnverified:
      identity.names = {"spiffe://acme/ns/ci/sa/deployer"};
      break;
    case Caller::kAllowedIdentity:
    case Caller::kNoKey:
      identity = Verified({"deployer.ci.acme.internal",
                           "spiffe://acme/ns/ci/sa/deployer", "CN=deployer"});
      break;
    case Caller::kOtherIdentity:
      identity = Verified({"spiffe://acme/ns/ci/sa/intruder",
                           "spiffe://acme/ns/opsx/sa/oncall", "CN=intruder"});
      break;
    case Caller::kPrefixIdentity:
      identity = Verified({"spiffe://acme/ns/ops/sa/oncall", "CN=oncall"});
      break;
    case Caller::kValidKey:
      key = kCiKey;
      break;
    case Caller::kWrongKey:
      key = kStrangerKey;
      break;
    case Caller::kRemovedKeyRotated:
      key = kOldKey;
      if (row.kind == ServiceTokenPolicyKind::kApiKeys) {
        // The old key works before the rotation, not after it.
        ASSERT_TRUE((*policy)->Authorize(identity, key).ok());
      }
      WriteFileAtomically(keys_file, KeysFile({{"ci", kCiKey}}));
      break;
  }

  absl::StatusOr<std::string> result = (*policy)->Authorize(identity, key);
  ASSERT_EQ(result.status().code(), row.code) << result.status();
  if (row.code == kOk) {
    EXPECT_EQ(*result, row.expected);
    return;
  }
  EXPECT_THAT(result.status().message(), HasSubstr(row.expected));
  // Every refusal says how to go on without the service token, and never
  // repeats a key.
  EXPECT_THAT(result.status().message(), HasSubstr(kOwnTokenHint));
  for (const char* secret : {kCiKey, kOldKey, kStrangerKey}) {
    EXPECT_THAT(result.status().message(), Not(HasSubstr(secret)));
  }
}

INSTANTIATE_TEST_SUITE_P(AllKindsAllCallers, PolicyMatrixTest,
                         testing::ValuesIn(MatrixRows()),
                         [](const testing::TestParamInfo<MatrixRow>& info) {
                           return KindName(info.param.kind) + "_" +
                                  CallerName(info.param.caller);
                         });

TEST(ServiceTokenPolicyTest, RefusalMessagesPointAtTheRightFlags) {
  TempDir dir;
  WriteFileAtomically(dir.File("keys"), KeysFile({{"ci", kCiKey}}));
  auto mtls = ServiceTokenPolicy::Create(
      {.kind = ServiceTokenPolicyKind::kMtls, .mtls_allow = {"CN=deployer"}});
  ASSERT_TRUE(mtls.ok()) << mtls.status();
  absl::StatusOr<std::string> denied = (*mtls)->Authorize(
      Verified({"spiffe://acme/ns/ci/sa/intruder", "CN=intruder"}),
      absl::nullopt);
  EXPECT_EQ(denied.status().code(), kPermissionDenied);
  EXPECT_THAT(denied.status().message(),
              HasSubstr("(spiffe://acme/ns/ci/sa/intruder, CN=intruder)"));
  EXPECT_THAT(denied.status().message(),
              HasSubstr("--service-token-mtls-allow"));

  auto keys =
      ServiceTokenPolicy::Create({.kind = ServiceTokenPolicyKind::kApiKeys,
                                  .api_keys_file = dir.File("keys")});
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_THAT((*keys)->Authorize({}, absl::nullopt).status().message(),
              HasSubstr("`x-api-key` metadata"));
  EXPECT_THAT((*keys)->Authorize({}, "nope").status().message(),
              HasSubstr("--api-keys-file"));
}

TEST(ServiceTokenPolicyTest, SubjectAndCommonNameMatchExactly) {
  auto policy = ServiceTokenPolicy::Create(
      {.kind = ServiceTokenPolicyKind::kMtls,
       .mtls_allow = {"CN=deployer,O=acme", "builder"}});
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(*(*policy)->Authorize(Verified({"CN=deployer,O=acme"}), {}),
            "mtls:CN=deployer,O=acme");
  EXPECT_EQ(*(*policy)->Authorize(Verified({"x", "builder"}), {}),
            "mtls:builder");
  // No implicit prefix or suffix matching.
  EXPECT_EQ((*policy)
                ->Authorize(Verified({"builder2", "CN=deployer"}), {})
                .status()
                .code(),
            kPermissionDenied);
}

TEST(ServiceTokenPolicyTest, EmptyKeyIsRefused) {
  TempDir dir;
  WriteFileAtomically(dir.File("keys"), KeysFile({{"empty", ""}}));
  auto policy =
      ServiceTokenPolicy::Create({.kind = ServiceTokenPolicyKind::kApiKeys,
                                  .api_keys_file = dir.File("keys")});
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ((*policy)->Authorize({}, "").status().code(), kUnauthenticated);
}

// --- The API keys file -------------------------------------------------------

TEST(ServiceTokenPolicyTest, KeysFileAcceptsCommentsBlankLinesCrlfAndUpperHex) {
  TempDir dir;
  std::string upper_hash = HashApiKey(kOldKey);
  for (size_t i = 7; i < upper_hash.size(); ++i) {
    upper_hash[i] = absl::ascii_toupper(upper_hash[i]);
  }
  WriteFileAtomically(
      dir.File("keys"),
      absl::StrCat("# who may use the service token\r\n", "\r\n", "   ci\t",
                   HashApiKey(kCiKey), "   # the CI system\r\n", "old ",
                   upper_hash, "\n   \n"));
  auto policy =
      ServiceTokenPolicy::Create({.kind = ServiceTokenPolicyKind::kApiKeys,
                                  .api_keys_file = dir.File("keys")});
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(*(*policy)->Authorize({}, kCiKey), "api-key:ci");
  EXPECT_EQ(*(*policy)->Authorize({}, kOldKey), "api-key:old");
}

struct FileErrorRow {
  std::string name;
  std::string contents;
  std::vector<std::string> message_parts;
};

class KeysFileErrorTest : public testing::TestWithParam<FileErrorRow> {};

TEST_P(KeysFileErrorTest, CreateFailsNamingFlagAndLine) {
  const FileErrorRow& row = GetParam();
  TempDir dir;
  const std::string path = dir.File("api-keys");
  WriteFileAtomically(path, row.contents);
  auto policy = ServiceTokenPolicy::Create(
      {.kind = ServiceTokenPolicyKind::kApiKeys, .api_keys_file = path});
  ASSERT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument)
      << policy.status();
  EXPECT_THAT(policy.status().message(),
              HasSubstr(absl::StrCat("--api-keys-file ", path, ": ")));
  for (const std::string& part : row.message_parts) {
    EXPECT_THAT(policy.status().message(), HasSubstr(part));
  }
  // A raw key written into the file by mistake is never echoed.
  EXPECT_THAT(policy.status().message(), Not(HasSubstr(kCiKey)));
}

std::vector<FileErrorRow> FileErrorRows() {
  const std::string ci = absl::StrCat("ci ", HashApiKey(kCiKey), "\n");
  const std::string expected = "expected \"NAME sha256:<64 hex digits>\"";
  return {
      {"Empty", "", {"holds no API keys"}},
      {"OnlyComments",
       "# nothing yet\n\n  # still nothing\n",
       {"holds no API keys"}},
      {"RawKeyInsteadOfLine",
       absl::StrCat("# keys\n", kCiKey, "\n"),
       {"line 2 has 1 field;", expected, "never the key itself"}},
      {"RawKeyInsteadOfHash",
       absl::StrCat(ci, "old ", kCiKey, "\n"),
       {"line 2: the hash is not \"sha256:\" and 64 hex digits", expected}},
      {"ThreeFields",
       absl::StrCat(ci, "\n", "old ", HashApiKey(kOldKey), " extra\n"),
       {"line 3 has 3 fields;", expected}},
      {"ShortHash",
       absl::StrCat("ci sha256:ba7816bf\n"),
       {"line 1: the hash is not", expected}},
      {"NonHexHash",
       absl::StrCat("ci sha256:", std::string(63, 'a'), "g\n"),
       {"line 1: the hash is not"}},
      {"OtherAlgorithm",
       absl::StrCat("ci sha512:", std::string(64, 'a'), "\n"),
       {"line 1: the hash is not"}},
      {"BadName",
       absl::StrCat("c/i ", HashApiKey(kCiKey), "\n"),
       {"line 1: the name is not valid", "A-Z a-z 0-9 . _ @ -"}},
      {"LongName",
       absl::StrCat(std::string(129, 'n'), " ", HashApiKey(kCiKey), "\n"),
       {"line 1: the name is not valid"}},
      {"DuplicateName",
       absl::StrCat(ci, "# rotated\n", "ci ", HashApiKey(kOldKey), "\n"),
       {"line 3 repeats the name \"ci\" of line 1",
        "give each key its own name"}},
      {"DuplicateHash",
       absl::StrCat(ci, "other ", HashApiKey(kCiKey), "\n"),
       {"line 2 (\"other\") has the same key hash as line 1 (\"ci\")",
        "give each caller its own key"}},
  };
}

INSTANTIATE_TEST_SUITE_P(Malformed, KeysFileErrorTest,
                         testing::ValuesIn(FileErrorRows()),
                         [](const testing::TestParamInfo<FileErrorRow>& info) {
                           return info.param.name;
                         });

TEST(ServiceTokenPolicyTest, UnreadableKeysFileFailsCreate) {
  TempDir dir;
  const std::string path = dir.File("missing");
  auto policy = ServiceTokenPolicy::Create(
      {.kind = ServiceTokenPolicyKind::kApiKeys, .api_keys_file = path});
  ASSERT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(policy.status().message(),
              HasSubstr(absl::StrCat("--api-keys-file ", path,
                                     ": cannot read it (No such file")));
}

TEST(ServiceTokenPolicyTest, DirectoryInsteadOfKeysFileFailsCreate) {
  TempDir dir;
  auto policy = ServiceTokenPolicy::Create(
      {.kind = ServiceTokenPolicyKind::kApiKeys, .api_keys_file = dir.path()});
  ASSERT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(policy.status().message(),
              HasSubstr(absl::StrCat("--api-keys-file ", dir.path(),
                                     ": is a directory; give the keys file")));
}

// --- Options the kind lacks or does not use ----------------------------------

struct OptionErrorRow {
  std::string name;
  ServiceTokenPolicyOptions options;
  std::vector<std::string> message_parts;
};

class PolicyOptionErrorTest : public testing::TestWithParam<OptionErrorRow> {};

TEST_P(PolicyOptionErrorTest, CreateFailsNamingTheFlag) {
  const OptionErrorRow& row = GetParam();
  auto policy = ServiceTokenPolicy::Create(row.options);
  ASSERT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument)
      << policy.status();
  for (const std::string& part : row.message_parts) {
    EXPECT_THAT(policy.status().message(), HasSubstr(part));
  }
}

std::vector<OptionErrorRow> OptionErrorRows() {
  using K = ServiceTokenPolicyKind;
  return {
      {"MtlsWithoutAllowList",
       {.kind = K::kMtls},
       {"--service-token-policy=mtls needs --service-token-mtls-allow",
        "\"spiffe://acme/ns/ci/*\""}},
      {"MtlsAllowEntryEmpty",
       {.kind = K::kMtls, .mtls_allow = {"CN=deployer", ""}},
       {"--service-token-mtls-allow entry 2 is empty or \"*\""}},
      {"MtlsAllowEverything",
       {.kind = K::kMtls, .mtls_allow = {"*"}},
       {"--service-token-mtls-allow entry 1 is empty or \"*\""}},
      {"MtlsAllowInnerStar",
       {.kind = K::kMtls, .mtls_allow = {"spiffe://acme/*/sa/deployer"}},
       {"--service-token-mtls-allow entry \"spiffe://acme/*/sa/deployer\"",
        "'*' may only end an entry"}},
      {"MtlsWithKeysFile",
       {.kind = K::kMtls,
        .mtls_allow = {"CN=deployer"},
        .api_keys_file = "/etc/neo-bridge/api-keys"},
       {"--api-keys-file is set but --service-token-policy=mtls does not use "
        "it",
        "set --service-token-policy=api-keys, or remove --api-keys-file"}},
      {"ApiKeysWithoutFile",
       {.kind = K::kApiKeys},
       {"--service-token-policy=api-keys needs --api-keys-file"}},
      {"ApiKeysWithAllowList",
       {.kind = K::kApiKeys,
        .mtls_allow = {"CN=deployer"},
        .api_keys_file = "/etc/neo-bridge/api-keys"},
       {"--service-token-mtls-allow is set but "
        "--service-token-policy=api-keys does not use it",
        "set --service-token-policy=mtls, or remove "
        "--service-token-mtls-allow"}},
      {"DisabledWithAllowList",
       {.kind = K::kDisabled, .mtls_allow = {"CN=deployer"}},
       {"--service-token-mtls-allow is set but "
        "--service-token-policy=disabled does not use it"}},
      {"DisabledWithKeysFile",
       {.kind = K::kDisabled, .api_keys_file = "/etc/neo-bridge/api-keys"},
       {"--api-keys-file is set but --service-token-policy=disabled does not "
        "use it"}},
      {"OpenWithAllowList",
       {.kind = K::kOpen, .mtls_allow = {"CN=deployer"}},
       {"--service-token-mtls-allow is set but --service-token-policy=open "
        "does not use it"}},
      {"OpenWithKeysFile",
       {.kind = K::kOpen, .api_keys_file = "/etc/neo-bridge/api-keys"},
       {"--api-keys-file is set but --service-token-policy=open does not use "
        "it"}},
  };
}

INSTANTIATE_TEST_SUITE_P(
    Invalid, PolicyOptionErrorTest, testing::ValuesIn(OptionErrorRows()),
    [](const testing::TestParamInfo<OptionErrorRow>& info) {
      return info.param.name;
    });

TEST(ServiceTokenPolicyTest, DefaultOptionsAreTheDisabledPolicy) {
  auto policy = ServiceTokenPolicy::Create({});
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ((*policy)->kind(), ServiceTokenPolicyKind::kDisabled);
}

// --- Rotation ----------------------------------------------------------------

TEST(ServiceTokenPolicyTest, RotationAddsNewKeysAndDropsRemovedOnes) {
  TempDir dir;
  const std::string path = dir.File("api-keys");
  WriteFileAtomically(path, KeysFile({{"ci", kCiKey}, {"old", kOldKey}}));
  auto policy =
      ServiceTokenPolicy::Create({.kind = ServiceTokenPolicyKind::kApiKeys,
                                  .api_keys_file = path,
                                  .recheck_interval = absl::ZeroDuration()});
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(*(*policy)->Authorize({}, kOldKey), "api-key:old");
  EXPECT_FALSE((*policy)->Authorize({}, kStrangerKey).ok());

  WriteFileAtomically(path, KeysFile({{"ci", kCiKey}, {"new", kStrangerKey}}));
  EXPECT_EQ(*(*policy)->Authorize({}, kStrangerKey), "api-key:new");
  EXPECT_EQ(*(*policy)->Authorize({}, kCiKey), "api-key:ci");
  EXPECT_EQ((*policy)->Authorize({}, kOldKey).status().code(),
            kUnauthenticated);
}

TEST(ServiceTokenPolicyTest, ChangesAreCheckedAtMostEveryRecheckInterval) {
  TempDir dir;
  const std::string path = dir.File("api-keys");
  WriteFileAtomically(path, KeysFile({{"ci", kCiKey}}));
  auto policy =
      ServiceTokenPolicy::Create({.kind = ServiceTokenPolicyKind::kApiKeys,
                                  .api_keys_file = path,
                                  .recheck_interval = absl::Hours(1)});
  ASSERT_TRUE(policy.ok()) << policy.status();
  WriteFileAtomically(path, KeysFile({{"new", kStrangerKey}}));
  // Within the interval the file is not looked at again.
  EXPECT_EQ(*(*policy)->Authorize({}, kCiKey), "api-key:ci");
  EXPECT_FALSE((*policy)->Authorize({}, kStrangerKey).ok());
}

TEST(ServiceTokenPolicyTest, BrokenOrMissingFileKeepsTheLastGoodKeys) {
  TempDir dir;
  const std::string path = dir.File("api-keys");
  WriteFileAtomically(path, KeysFile({{"ci", kCiKey}}));
  auto policy =
      ServiceTokenPolicy::Create({.kind = ServiceTokenPolicyKind::kApiKeys,
                                  .api_keys_file = path,
                                  .recheck_interval = absl::ZeroDuration()});
  ASSERT_TRUE(policy.ok()) << policy.status();

  WriteFileAtomically(path, "ci not-a-hash\n");
  EXPECT_EQ(*(*policy)->Authorize({}, kCiKey), "api-key:ci");
  WriteFileAtomically(path, "");
  EXPECT_EQ(*(*policy)->Authorize({}, kCiKey), "api-key:ci");
  ASSERT_EQ(std::remove(path.c_str()), 0);
  EXPECT_EQ(*(*policy)->Authorize({}, kCiKey), "api-key:ci");

  // Once fixed, the file counts again.
  WriteFileAtomically(path, KeysFile({{"new", kStrangerKey}}));
  EXPECT_EQ(*(*policy)->Authorize({}, kStrangerKey), "api-key:new");
  EXPECT_FALSE((*policy)->Authorize({}, kCiKey).ok());
}

TEST(ServiceTokenPolicyTest, AuthorizeIsSafeWhileTheFileRotates) {
  TempDir dir;
  const std::string path = dir.File("api-keys");
  WriteFileAtomically(path, KeysFile({{"ci", kCiKey}}));
  auto policy =
      ServiceTokenPolicy::Create({.kind = ServiceTokenPolicyKind::kApiKeys,
                                  .api_keys_file = path,
                                  .recheck_interval = absl::ZeroDuration()});
  ASSERT_TRUE(policy.ok()) << policy.status();
  ServiceTokenPolicy* shared = policy->get();

  std::atomic<int> refused{0};
  std::vector<std::jthread> callers;
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([shared, &refused] {
      for (int i = 0; i < 300; ++i) {
        // "ci" stays in every version of the file.
        if (!shared->Authorize({}, kCiKey).ok()) ++refused;
      }
    });
  }
  for (int i = 0; i < 50; ++i) {
    WriteFileAtomically(
        path, KeysFile({{"ci", kCiKey},
                        {absl::StrCat("extra", i), absl::StrCat("key", i)}}));
  }
  callers.clear();
  EXPECT_EQ(refused.load(), 0);
}

// --- Helpers
// -------------------------------------------------------------------

TEST(HashApiKeyTest, KnownVectors) {
  EXPECT_EQ(HashApiKey("abc"),
            "sha256:"
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HashApiKey(""),
            "sha256:"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(ServiceTokenPolicyKindTest, ParsesTheFlagValues) {
  ServiceTokenPolicyKind kind = ServiceTokenPolicyKind::kOpen;
  for (auto [text, expected] :
       std::vector<std::pair<std::string, ServiceTokenPolicyKind>>{
           {"disabled", ServiceTokenPolicyKind::kDisabled},
           {"mtls", ServiceTokenPolicyKind::kMtls},
           {"api-keys", ServiceTokenPolicyKind::kApiKeys},
           {"open", ServiceTokenPolicyKind::kOpen}}) {
    ASSERT_TRUE(ParseServiceTokenPolicyKind(text, &kind)) << text;
    EXPECT_EQ(kind, expected);
    EXPECT_EQ(ServiceTokenPolicyKindName(kind), text);
  }
  kind = ServiceTokenPolicyKind::kMtls;
  for (const char* bad : {"", "Disabled", "api_keys", "apikeys", "none"}) {
    EXPECT_FALSE(ParseServiceTokenPolicyKind(bad, &kind)) << bad;
    EXPECT_EQ(kind, ServiceTokenPolicyKind::kMtls);
  }
}

TEST(CheckPolicyFitsListenerTest, MtlsNeedsAListenerThatVerifiesClients) {
  const ListenerTlsOptions plaintext;
  const ListenerTlsOptions tls{.cert_file = "c", .key_file = "k"};
  const ListenerTlsOptions mtls{.cert_file = "c",
                                .key_file = "k",
                                .client_ca_file = "ca",
                                .client_auth = ClientAuth::kRequire};
  const ListenerTlsOptions mtls_request{.cert_file = "c",
                                        .key_file = "k",
                                        .client_ca_file = "ca",
                                        .client_auth = ClientAuth::kRequest};
  for (const ListenerTlsOptions* listener : {&plaintext, &tls}) {
    absl::Status status =
        CheckPolicyFitsListener(ServiceTokenPolicyKind::kMtls, *listener);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(status.message(),
                HasSubstr("--service-token-policy=mtls needs a listener that "
                          "verifies client certificates"));
    EXPECT_THAT(status.message(), HasSubstr("--tls-client-auth=require"));
  }
  EXPECT_TRUE(
      CheckPolicyFitsListener(ServiceTokenPolicyKind::kMtls, mtls).ok());
  EXPECT_TRUE(
      CheckPolicyFitsListener(ServiceTokenPolicyKind::kMtls, mtls_request)
          .ok());
  for (ServiceTokenPolicyKind kind :
       {ServiceTokenPolicyKind::kDisabled, ServiceTokenPolicyKind::kApiKeys,
        ServiceTokenPolicyKind::kOpen}) {
    EXPECT_TRUE(CheckPolicyFitsListener(kind, plaintext).ok());
  }
}

}  // namespace
}  // namespace neobridge::security
