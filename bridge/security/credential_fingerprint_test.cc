#include "bridge/security/credential_fingerprint.h"

#include <gtest/gtest.h>

namespace neobridge::security {
namespace {

TEST(CredentialFingerprintTest, EqualCredentialsGiveEqualFingerprints) {
  EXPECT_EQ(CredentialFingerprint("pul-alice"),
            CredentialFingerprint("pul-alice"));
}

TEST(CredentialFingerprintTest, DifferentCredentialsDiffer) {
  EXPECT_NE(CredentialFingerprint("pul-alice"),
            CredentialFingerprint("pul-alicf"));
  EXPECT_NE(CredentialFingerprint(""), CredentialFingerprint("pul-alice"));
}

TEST(CredentialFingerprintTest, IsHexAndHidesTheCredential) {
  const std::string fingerprint = CredentialFingerprint("pul-secret-token");
  ASSERT_EQ(fingerprint.size(), 64u);
  EXPECT_EQ(fingerprint.find_first_not_of("0123456789abcdef"),
            std::string::npos);
  EXPECT_EQ(fingerprint.find("secret"), std::string::npos);
}

}  // namespace
}  // namespace neobridge::security
