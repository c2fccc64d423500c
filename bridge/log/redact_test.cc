#include "bridge/log/redact.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace neobridge::log {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "pul-0123456789abcdef0123456789abcdef01234567";

struct Case {
  const char* name;
  std::string in;
  std::string want;
};

TEST(RedactSecretsTest, Table) {
  const std::vector<Case> cases = {
      {"plain text is unchanged", "GetTask NOT_FOUND in 12ms",
       "GetTask NOT_FOUND in 12ms"},
      {"pulumi token", absl::StrCat("token is ", kToken, "!"),
       "token is [REDACTED]!"},
      {"short pul- word kept", "pul-abc", "pul-abc"},
      {"token glued to a word", "xpul-0123456789", "x[REDACTED]"},
      {"bearer", "Bearer abc.def-ghi rest", "Bearer [REDACTED] rest"},
      {"authorization header", "Authorization: token secret-1, next",
       "Authorization: [REDACTED], next"},
      {"authorization query", "a=1&authorization=xyz&b=2",
       "a=1&authorization=[REDACTED]&b=2"},
      {"api key header", "x-api-key: k-123\nmore",
       "x-api-key: [REDACTED]\nmore"},
      {"json secret member",
       R"({"type":"provide_pulumi_access_token","encrypted_pulumi_access_token":"QUJD\"x","n":1})",
       R"({"type":"provide_pulumi_access_token","encrypted_pulumi_access_token":"[REDACTED]","n":1})"},
      {"json in a json string",
       R"(data: {\"encrypted_pulumi_access_token\": \"QUJD\"})",
       R"(data: {\"encrypted_pulumi_access_token\": \"[REDACTED]\"})"},
      {"token counts kept",
       R"({"tokensUsed":5,"token_usage":"x","input_tokens":"7"})",
       R"({"tokensUsed":5,"token_usage":"x","input_tokens":"7"})"},
      {"access token member", R"({"accessToken":"abc"})",
       R"({"accessToken":"[REDACTED]"})"},
      {"unterminated value", R"({"password":"abc)",
       R"({"password":"[REDACTED])"},
      {"empty", "", ""},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(RedactSecrets(c.in), c.want) << c.name;
  }
}

TEST(RedactSecretsTest, SecretNames) {
  for (const char* name :
       {"authorization", "Authorization", "token", "access_token",
        "encrypted_pulumi_access_token", "x-api-key", "apiKey", "client_secret",
        "password", "set-cookie", "continuationToken"}) {
    EXPECT_TRUE(IsSecretName(name)) << name;
  }
  for (const char* name :
       {"tokensUsed", "tokens_used", "token_usage", "service_token_policy",
        "cache_read_input_tokens", "rpc", "task", "org"}) {
    EXPECT_FALSE(IsSecretName(name)) << name;
  }
}

TEST(RedactSecretsTest, NeverLeaksAPlantedTokenWhateverSurroundsIt) {
  const std::vector<std::string> frames = {
      absl::StrCat("[", kToken, "]"), absl::StrCat("\"", kToken, "\""),
      absl::StrCat("token ", kToken), absl::StrCat("Bearer ", kToken),
      absl::StrCat("x", kToken),      absl::StrCat("authorization=", kToken),
  };
  for (const std::string& frame : frames) {
    EXPECT_THAT(RedactSecrets(frame), Not(HasSubstr("0123456789abcdef")))
        << frame;
  }
}

}  // namespace
}  // namespace neobridge::log
