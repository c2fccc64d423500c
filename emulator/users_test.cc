#include "emulator/users.h"

#include "gtest/gtest.h"

namespace neo_emulator {
namespace {

TEST(UsersTest, DefaultsAreAliceAndBobInAcme) {
  std::vector<User> users = DefaultUsers();
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0].token, "pul-emulator-alice");
  EXPECT_EQ(users[0].login, "alice");
  EXPECT_EQ(users[0].name, "Alice Example");
  EXPECT_EQ(users[0].avatar_url, "https://avatars.example.com/alice.png");
  EXPECT_EQ(users[1].token, "pul-emulator-bob");
  EXPECT_EQ(users[1].login, "bob");
  for (const User& user : users) {
    EXPECT_TRUE(user.IsMemberOf("acme"));
    EXPECT_FALSE(user.IsMemberOf("globex"));
  }
  EXPECT_TRUE(ValidateUsers(users).ok());
}

TEST(UsersTest, ParsesAUsersFile) {
  absl::StatusOr<std::vector<User>> users = ParseUsersJson(R"([
    {"token": "t1", "login": "carol", "name": "Carol C",
     "avatarUrl": "https://x/c.png", "orgs": ["a", "b"]},
    {"token": "t2", "login": "dave"}
  ])");
  ASSERT_TRUE(users.ok()) << users.status();
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ((*users)[0].name, "Carol C");
  EXPECT_EQ((*users)[0].avatar_url, "https://x/c.png");
  EXPECT_EQ((*users)[0].orgs, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ((*users)[1].name, "dave");
  EXPECT_EQ((*users)[1].avatar_url, "https://avatars.example.com/dave.png");
  EXPECT_TRUE((*users)[1].orgs.empty());
}

TEST(UsersTest, RejectsBadUsersFiles) {
  for (const char* text :
       {"", "{}", "[1]", "[]", R"([{"login":"x"}])", R"([{"token":"t"}])",
        R"([{"token":"t","login":"a"},{"token":"t","login":"b"}])",
        R"([{"token":"t","login":"a"},{"token":"u","login":"a"}])",
        R"([{"token":"t","login":"a","orgs":"acme"}])",
        R"([{"token":"t","login":"a","orgs":[""]}])",
        R"([{"token":"t","login":"a","name":5}])"}) {
    EXPECT_FALSE(ParseUsersJson(text).ok()) << text;
  }
  EXPECT_FALSE(LoadUsersFile("/nonexistent/users.json").ok());
}

TEST(UsersTest, TokenFromAuthorization) {
  EXPECT_EQ(TokenFromAuthorization("token abc"), "abc");
  EXPECT_EQ(TokenFromAuthorization("Token abc"), "abc");
  EXPECT_EQ(TokenFromAuthorization("Bearer abc"), "abc");
  EXPECT_EQ(TokenFromAuthorization("BEARER   abc  "), "abc");
  EXPECT_EQ(TokenFromAuthorization("Basic abc"), std::nullopt);
  EXPECT_EQ(TokenFromAuthorization("token"), std::nullopt);
  EXPECT_EQ(TokenFromAuthorization("token "), std::nullopt);
  EXPECT_EQ(TokenFromAuthorization(""), std::nullopt);
  EXPECT_EQ(TokenFromAuthorization("abc"), std::nullopt);
}

TEST(UsersTest, DirectoryLooksUpByToken) {
  UserDirectory directory(DefaultUsers());
  ASSERT_NE(directory.FindByToken("pul-emulator-bob"), nullptr);
  EXPECT_EQ(directory.FindByToken("pul-emulator-bob")->login, "bob");
  EXPECT_EQ(directory.FindByToken("bob"), nullptr);
  EXPECT_EQ(directory.FindByToken(""), nullptr);
}

}  // namespace
}  // namespace neo_emulator
