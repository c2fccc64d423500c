#include "bridge/service/credentials.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "bridge/status/error_details.h"

namespace neobridge::service {
namespace {

using ::testing::HasSubstr;

Metadata WithAuthorization(const std::string& value) {
  Metadata metadata;
  // string_refs must point at storage that outlives the map: keep statics.
  static std::vector<std::unique_ptr<std::string>> storage;
  storage.push_back(std::make_unique<std::string>(value));
  metadata.emplace("authorization", *storage.back());
  return metadata;
}

TEST(ResolveAccessTokenTest, UsesTheCallersBearerOrTokenScheme) {
  EXPECT_EQ(*ResolveAccessToken(WithAuthorization("Bearer pul-abc"), nullptr),
            "pul-abc");
  EXPECT_EQ(*ResolveAccessToken(WithAuthorization("token pul-abc"), nullptr),
            "pul-abc");
  EXPECT_EQ(
      *ResolveAccessToken(WithAuthorization("bEaReR   pul-abc "), nullptr),
      "pul-abc");
  ServiceTokenSource service("pul-service", "");
  EXPECT_EQ(*ResolveAccessToken(WithAuthorization("Bearer mine"), &service),
            "mine");
}

TEST(ResolveAccessTokenTest, RefusesMalformedAuthorization) {
  for (const char* value : {"pul-abc", "Basic dXNlcjpwYXNz", "Bearer",
                            "Bearer a b", "Bearer a\x7f"}) {
    absl::StatusOr<std::string> token =
        ResolveAccessToken(WithAuthorization(value), nullptr);
    ASSERT_FALSE(token.ok()) << value;
    EXPECT_EQ(token.status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_THAT(token.status().message(), HasSubstr("Bearer <Pulumi"));
    // The token must not be echoed back.
    EXPECT_THAT(token.status().message(),
                ::testing::Not(HasSubstr("dXNlcjpwYXNz")));
  }
}

TEST(ResolveAccessTokenTest, FallsBackToTheServiceToken) {
  ServiceTokenSource service("pul-service", "");
  EXPECT_EQ(*ResolveAccessToken(Metadata(), &service), "pul-service");
}

TEST(ResolveAccessTokenTest, SaysHowToSupplyOne) {
  ServiceTokenSource none("", "");
  for (ServiceTokenSource* source :
       {&none, static_cast<ServiceTokenSource*>(nullptr)}) {
    absl::StatusOr<std::string> token = ResolveAccessToken(Metadata(), source);
    ASSERT_FALSE(token.ok());
    EXPECT_EQ(token.status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_THAT(token.status().message(), HasSubstr("PULUMI_ACCESS_TOKEN"));
    EXPECT_THAT(token.status().message(), HasSubstr("--token-file"));
    EXPECT_EQ(status::GetErrorInfo(token.status())->reason(),
              "MISSING_CREDENTIALS");
  }
}

class TokenFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char path[] = "/tmp/neo-bridge-token-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    path_ = path;
  }
  void TearDown() override { std::remove(path_.c_str()); }
  void Write(const std::string& contents) {
    std::ofstream(path_, std::ios::trunc) << contents;
  }
  std::string path_;
};

TEST_F(TokenFileTest, ReadsAndFollowsRotation) {
  Write("pul-first\n");
  ServiceTokenSource source("pul-env", path_, absl::ZeroDuration());
  EXPECT_TRUE(source.CheckReadable().ok());
  EXPECT_EQ(source.Get(), "pul-first");  // The file wins over the env token.
  Write("pul-second-and-longer\n");
  EXPECT_EQ(source.Get(), "pul-second-and-longer");
}

TEST_F(TokenFileTest, KeepsTheLastGoodTokenWhileTheFileIsGone) {
  Write("pul-first");
  ServiceTokenSource source("", path_, absl::ZeroDuration());
  EXPECT_EQ(source.Get(), "pul-first");
  std::remove(path_.c_str());
  EXPECT_EQ(source.Get(), "pul-first");
}

TEST_F(TokenFileTest, CheckReadableNamesTheFile) {
  Write("   \n");
  ServiceTokenSource empty("", path_);
  EXPECT_THAT(empty.CheckReadable().message(), HasSubstr(path_));
  ServiceTokenSource missing("", path_ + ".missing");
  EXPECT_THAT(missing.CheckReadable().message(),
              HasSubstr("cannot read the token file"));
}

}  // namespace
}  // namespace neobridge::service
