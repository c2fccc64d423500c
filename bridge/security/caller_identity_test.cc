#include "bridge/security/caller_identity.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace neobridge::security {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// An AuthPropertyIterator that is its own end: the code under test only
// looks properties up by name.
class NoProperties : public grpc::AuthPropertyIterator {};

// An auth context holding chosen properties, as gRPC fills one in after a
// handshake.
class FakeAuthContext : public grpc::AuthContext {
 public:
  FakeAuthContext(bool authenticated,
                  std::vector<std::pair<std::string, std::string>> properties)
      : authenticated_(authenticated), properties_(std::move(properties)) {}

  bool IsPeerAuthenticated() const override { return authenticated_; }
  std::vector<grpc::string_ref> GetPeerIdentity() const override {
    return FindPropertyValues("x509_subject_alternative_name");
  }
  std::string GetPeerIdentityPropertyName() const override {
    return "x509_subject_alternative_name";
  }
  std::vector<grpc::string_ref> FindPropertyValues(
      const std::string& name) const override {
    std::vector<grpc::string_ref> values;
    for (const auto& [key, value] : properties_) {
      if (key == name) values.emplace_back(value);
    }
    return values;
  }
  grpc::AuthPropertyIterator begin() const override { return NoProperties(); }
  grpc::AuthPropertyIterator end() const override { return NoProperties(); }
  void AddProperty(const std::string& key,
                   const grpc::string_ref& value) override {
    properties_.emplace_back(key, std::string(value.data(), value.size()));
  }
  bool SetPeerIdentityPropertyName(const std::string& /*name*/) override {
    return false;
  }

 private:
  bool authenticated_;
  std::vector<std::pair<std::string, std::string>> properties_;
};

TEST(CallerIdentityTest, NamesOfAVerifiedCertificateInOrderWithoutDuplicates) {
  FakeAuthContext context(
      true,
      {{"transport_security_type", "tls"},
       {"x509_subject_alternative_name", "deployer.acme.internal"},
       {"x509_subject_alternative_name", "spiffe://acme/ns/ci/sa/deployer"},
       {"x509_common_name", "deployer.acme.internal"},
       {"x509_subject", "CN=deployer.acme.internal,O=acme"}});
  CallerIdentity identity = IdentityOf(&context, "ipv4:127.0.0.1:5000");
  EXPECT_TRUE(identity.authenticated_by_certificate);
  EXPECT_THAT(identity.names, ElementsAre("deployer.acme.internal",
                                          "spiffe://acme/ns/ci/sa/deployer",
                                          "CN=deployer.acme.internal,O=acme"));
  EXPECT_EQ(identity.peer, "ipv4:127.0.0.1:5000");
}

TEST(CallerIdentityTest, SslTransportTypeCountsToo) {
  FakeAuthContext context(true, {{"transport_security_type", "ssl"},
                                 {"x509_common_name", "deployer"}});
  CallerIdentity identity = IdentityOf(&context, "");
  EXPECT_TRUE(identity.authenticated_by_certificate);
  EXPECT_THAT(identity.names, ElementsAre("deployer"));
}

TEST(CallerIdentityTest, UnauthenticatedPeerHasNoNames) {
  // A TLS client without a certificate: gRPC leaves the peer
  // unauthenticated.
  FakeAuthContext context(false, {{"transport_security_type", "tls"},
                                  {"x509_common_name", "not-verified"}});
  CallerIdentity identity = IdentityOf(&context, "ipv4:127.0.0.1:5000");
  EXPECT_FALSE(identity.authenticated_by_certificate);
  EXPECT_THAT(identity.names, IsEmpty());
  EXPECT_EQ(identity.peer, "ipv4:127.0.0.1:5000");
}

TEST(CallerIdentityTest, NonTlsTransportHasNoNames) {
  FakeAuthContext context(true, {{"transport_security_type", "insecure"},
                                 {"x509_common_name", "spoofed"}});
  CallerIdentity identity = IdentityOf(&context, "");
  EXPECT_FALSE(identity.authenticated_by_certificate);
  EXPECT_THAT(identity.names, IsEmpty());
}

TEST(CallerIdentityTest, NoAuthContextHasNoNames) {
  CallerIdentity identity = IdentityOf(nullptr, "unix:/tmp/socket");
  EXPECT_FALSE(identity.authenticated_by_certificate);
  EXPECT_THAT(identity.names, IsEmpty());
  EXPECT_EQ(identity.peer, "unix:/tmp/socket");
}

}  // namespace
}  // namespace neobridge::security
