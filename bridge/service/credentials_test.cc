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

absl::StatusOr<std::string> Open() { return std::string("open"); }

absl::StatusOr<CallCredentials> Resolve(
    const Metadata& metadata, ServiceTokenSource* service,
    ServiceTokenAuthorizer authorize = Open) {
  return ResolveCredentials(metadata, service, authorize, "ipv4:10.0.0.7:5");
}

TEST(ResolveCredentialsTest, UsesTheCallersBearerOrTokenScheme) {
  EXPECT_EQ(Resolve(WithAuthorization("Bearer pul-abc"), nullptr)->access_token,
            "pul-abc");
  EXPECT_EQ(Resolve(WithAuthorization("token pul-abc"), nullptr)->access_token,
            "pul-abc");
  EXPECT_EQ(
      Resolve(WithAuthorization("bEaReR   pul-abc "), nullptr)->access_token,
      "pul-abc");
  ServiceTokenSource service("pul-service", "");
  EXPECT_EQ(Resolve(WithAuthorization("Bearer mine"), &service)->access_token,
            "mine");
}

TEST(ResolveCredentialsTest, OwnTokensPassUnderEveryPolicy) {
  ServiceTokenSource service("pul-service", "");
  auto deny = []() -> absl::StatusOr<std::string> {
    return absl::PermissionDeniedError("denied");
  };
  absl::StatusOr<CallCredentials> credentials =
      Resolve(WithAuthorization("Bearer mine"), &service, deny);
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  EXPECT_EQ(credentials->access_token, "mine");
  // The caller is named by a hash of its token, never the token.
  EXPECT_THAT(credentials->caller, ::testing::StartsWith("token:"));
  EXPECT_THAT(credentials->caller, ::testing::Not(HasSubstr("mine")));
}

TEST(ResolveCredentialsTest, RefusesMalformedAuthorization) {
  for (const char* value : {"pul-abc", "Basic dXNlcjpwYXNz", "Bearer",
                            "Bearer a b", "Bearer a\x7f"}) {
    absl::StatusOr<CallCredentials> credentials =
        Resolve(WithAuthorization(value), nullptr);
    ASSERT_FALSE(credentials.ok()) << value;
    EXPECT_EQ(credentials.status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_THAT(credentials.status().message(), HasSubstr("Bearer <Pulumi"));
    // The token must not be echoed back.
    EXPECT_THAT(credentials.status().message(),
                ::testing::Not(HasSubstr("dXNlcjpwYXNz")));
  }
}

TEST(ResolveCredentialsTest, LendsTheServiceTokenWhenThePolicyAllows) {
  ServiceTokenSource service("pul-service", "");
  absl::StatusOr<CallCredentials> credentials = Resolve(Metadata(), &service);
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  EXPECT_EQ(credentials->access_token, "pul-service");
  EXPECT_EQ(credentials->caller, "open");
}

TEST(ResolveCredentialsTest, ThePolicysRefusalIsReturnedAsItIs) {
  ServiceTokenSource service("pul-service", "");
  auto deny = []() -> absl::StatusOr<std::string> {
    return absl::PermissionDeniedError("not on the allow list");
  };
  absl::StatusOr<CallCredentials> credentials =
      Resolve(Metadata(), &service, deny);
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(credentials.status().message(), "not on the allow list");
}

TEST(ResolveCredentialsTest, SaysHowToSupplyOne) {
  ServiceTokenSource none("", "");
  bool asked = false;
  auto authorize = [&asked]() -> absl::StatusOr<std::string> {
    asked = true;
    return std::string("open");
  };
  for (ServiceTokenSource* source :
       {&none, static_cast<ServiceTokenSource*>(nullptr)}) {
    absl::StatusOr<CallCredentials> credentials =
        Resolve(Metadata(), source, authorize);
    ASSERT_FALSE(credentials.ok());
    EXPECT_EQ(credentials.status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_THAT(credentials.status().message(),
                HasSubstr("authorization: Bearer <token>"));
    EXPECT_THAT(credentials.status().message(),
                HasSubstr("PULUMI_ACCESS_TOKEN or --token-file"));
    EXPECT_EQ(status::GetErrorInfo(credentials.status())->reason(),
              "MISSING_CREDENTIALS");
  }
  // No service token: the policy is not even consulted.
  EXPECT_FALSE(asked);
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

// Regression (issue 8): a PULUMI_ACCESS_TOKEN with CR/LF inside was
// accepted at start and failed every call it was lent to; a token file
// with the same content was refused at start.
TEST(ServiceTokenSourceTest, CheckFixedTokenRefusesControlCharacters) {
  EXPECT_TRUE(ServiceTokenSource("", "").CheckFixedToken().ok());
  EXPECT_TRUE(ServiceTokenSource(" pul-ok\n", "").CheckFixedToken().ok());
  for (const std::string& token :
       {std::string("pul-a\r\nX-Injected: 1"), std::string("pul a"),
        std::string("pul-\x01"), std::string("pul-\0a", 6)}) {
    const absl::Status status = ServiceTokenSource(token, "").CheckFixedToken();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(status.message(), HasSubstr("PULUMI_ACCESS_TOKEN must hold"));
    EXPECT_THAT(status.message(), ::testing::Not(HasSubstr("pul-")));
  }
  // With a token file the fixed token is unused, so not checked.
  EXPECT_TRUE(ServiceTokenSource("pul a", "/some/file").CheckFixedToken().ok());
}

}  // namespace
}  // namespace neobridge::service
