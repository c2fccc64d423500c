#include "bridge/security/server_credentials.h"

#include <gmock/gmock.h>
#include <grpc/grpc_security_constants.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/support/byte_buffer.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bridge/security/caller_identity.h"
#include "tests/support/test_certs.h"

namespace neobridge::security {
namespace {

using ::neobridge::test_support::CertAndKey;
using ::neobridge::test_support::ReadFileOrDie;
using ::neobridge::test_support::TempDir;
using ::neobridge::test_support::TestCa;
using ::neobridge::test_support::WriteFileAtomically;
using ::testing::HasSubstr;

constexpr char kIdentityMethod[] = "/neobridge.test.Echo/Identity";
constexpr char kPropertiesMethod[] = "/neobridge.test.Echo/AuthProperties";
constexpr char kDeployer[] = "spiffe://acme/ns/ci/sa/deployer";

// --- Option validation -------------------------------------------------------

class ListenerOptionsTest : public testing::Test {
 protected:
  ListenerOptionsTest() {
    CertAndKey server = ca_.IssueLocalhost();
    CertAndKey other = ca_.IssueLocalhost();
    WriteFileAtomically(File("server.crt"), server.cert_pem);
    WriteFileAtomically(File("server.key"), server.key_pem);
    WriteFileAtomically(File("other.key"), other.key_pem);
    WriteFileAtomically(File("ca.crt"), ca_.cert_pem());
    WriteFileAtomically(File("garbage"), "not PEM at all\n");
  }

  std::string File(const std::string& name) const { return dir_.File(name); }

  // Expects INVALID_ARGUMENT whose message holds every part.
  void ExpectInvalid(const ListenerTlsOptions& options,
                     const std::vector<std::string>& parts) {
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
        MakeServerCredentials(options);
    ASSERT_EQ(credentials.status().code(), absl::StatusCode::kInvalidArgument)
        << credentials.status();
    for (const std::string& part : parts) {
      EXPECT_THAT(credentials.status().message(), HasSubstr(part));
    }
    EXPECT_EQ(ValidateListenerTlsOptions(options), credentials.status());
  }

  TestCa ca_;
  TempDir dir_;
};

TEST_F(ListenerOptionsTest, PlaintextWhenNothingIsSet) {
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      MakeServerCredentials({});
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  EXPECT_NE(*credentials, nullptr);
}

TEST_F(ListenerOptionsTest, TlsAndMtlsSettingsThatFitAreAccepted) {
  EXPECT_TRUE(MakeServerCredentials({.cert_file = File("server.crt"),
                                     .key_file = File("server.key")})
                  .ok());
  for (ClientAuth client_auth : {ClientAuth::kRequest, ClientAuth::kRequire}) {
    EXPECT_TRUE(MakeServerCredentials({.cert_file = File("server.crt"),
                                       .key_file = File("server.key"),
                                       .client_ca_file = File("ca.crt"),
                                       .client_auth = client_auth})
                    .ok());
  }
}

TEST_F(ListenerOptionsTest, PlaintextListenerRefusesTlsOnlySettings) {
  ExpectInvalid({.key_file = File("server.key")},
                {"--tls-key-file is set but --tls-cert-file is not",
                 "set both to serve TLS"});
  ExpectInvalid({.client_ca_file = File("ca.crt")},
                {"--tls-client-ca-file is set but --tls-cert-file is not"});
  ExpectInvalid({.client_auth = ClientAuth::kRequire},
                {"--tls-client-auth=require needs a TLS listener",
                 "or set --tls-client-auth=none"});
}

TEST_F(ListenerOptionsTest, CertificateWithoutKey) {
  ExpectInvalid({.cert_file = File("server.crt")},
                {"--tls-cert-file is set but --tls-key-file is not",
                 "give the PEM private key"});
}

TEST_F(ListenerOptionsTest, UnreadableFilesNameTheirFlag) {
  ExpectInvalid(
      {.cert_file = File("missing.crt"), .key_file = File("server.key")},
      {absl::StrCat("--tls-cert-file: cannot read ", File("missing.crt"),
                    " (No such file")});
  ExpectInvalid(
      {.cert_file = File("server.crt"), .key_file = File("missing.key")},
      {absl::StrCat("--tls-key-file: cannot read ", File("missing.key"))});
  ExpectInvalid({.cert_file = File("server.crt"),
                 .key_file = File("server.key"),
                 .client_ca_file = File("missing-ca.crt"),
                 .client_auth = ClientAuth::kRequire},
                {absl::StrCat("--tls-client-ca-file: cannot read ",
                              File("missing-ca.crt"))});
}

TEST_F(ListenerOptionsTest, DirectoryInsteadOfFile) {
  ExpectInvalid({.cert_file = dir_.path(), .key_file = File("server.key")},
                {absl::StrCat("--tls-cert-file: ", dir_.path(),
                              " is a directory; give the PEM file in it")});
  ExpectInvalid(
      {.cert_file = File("server.crt"), .key_file = dir_.path()},
      {absl::StrCat("--tls-key-file: ", dir_.path(), " is a directory")});
}

TEST_F(ListenerOptionsTest, CombinedKeyAndChainFileServesAsBoth) {
  WriteFileAtomically(File("combined.pem"),
                      absl::StrCat(ReadFileOrDie(File("server.key")),
                                   ReadFileOrDie(File("server.crt"))));
  EXPECT_TRUE(MakeServerCredentials({.cert_file = File("combined.pem"),
                                     .key_file = File("combined.pem")})
                  .ok());
}

TEST_F(ListenerOptionsTest, CertificateFileWithoutCertificate) {
  ExpectInvalid({.cert_file = File("garbage"), .key_file = File("server.key")},
                {absl::StrCat("--tls-cert-file: ", File("garbage"),
                              " holds no PEM certificate")});
  // A key where the certificate belongs.
  ExpectInvalid(
      {.cert_file = File("server.key"), .key_file = File("server.key")},
      {"--tls-cert-file", "holds no PEM certificate"});
}

TEST_F(ListenerOptionsTest, UnparsableKey) {
  ExpectInvalid({.cert_file = File("server.crt"), .key_file = File("garbage")},
                {absl::StrCat("--tls-key-file: ", File("garbage"),
                              " holds no usable PEM private key")});
  // A certificate where the key belongs.
  ExpectInvalid(
      {.cert_file = File("server.crt"), .key_file = File("server.crt")},
      {"--tls-key-file", "holds no usable PEM private key"});
}

TEST_F(ListenerOptionsTest, KeyOfAnotherCertificate) {
  ExpectInvalid(
      {.cert_file = File("server.crt"), .key_file = File("other.key")},
      {absl::StrCat("--tls-key-file: the key in ", File("other.key"),
                    " does not belong to the first certificate in ",
                    File("server.crt"), " (--tls-cert-file)")});
}

TEST_F(ListenerOptionsTest, ClientAuthAndClientCaGoTogether) {
  ExpectInvalid({.cert_file = File("server.crt"),
                 .key_file = File("server.key"),
                 .client_auth = ClientAuth::kRequire},
                {"--tls-client-auth=require needs --tls-client-ca-file"});
  ExpectInvalid({.cert_file = File("server.crt"),
                 .key_file = File("server.key"),
                 .client_auth = ClientAuth::kRequest},
                {"--tls-client-auth=request needs --tls-client-ca-file"});
  ExpectInvalid({.cert_file = File("server.crt"),
                 .key_file = File("server.key"),
                 .client_ca_file = File("ca.crt")},
                {"--tls-client-ca-file is set but --tls-client-auth is none",
                 "set --tls-client-auth=require (or request)"});
}

TEST_F(ListenerOptionsTest, UnparsableClientCa) {
  ExpectInvalid({.cert_file = File("server.crt"),
                 .key_file = File("server.key"),
                 .client_ca_file = File("garbage"),
                 .client_auth = ClientAuth::kRequire},
                {absl::StrCat("--tls-client-ca-file: ", File("garbage"),
                              " holds no PEM certificate")});
}

TEST(ClientAuthTest, ParsesTheFlagValues) {
  ClientAuth client_auth = ClientAuth::kRequest;
  ASSERT_TRUE(ParseClientAuth("none", &client_auth));
  EXPECT_EQ(client_auth, ClientAuth::kNone);
  ASSERT_TRUE(ParseClientAuth("require", &client_auth));
  EXPECT_EQ(client_auth, ClientAuth::kRequire);
  ASSERT_TRUE(ParseClientAuth("request", &client_auth));
  EXPECT_EQ(client_auth, ClientAuth::kRequest);
  for (const char* bad : {"", "Require", "optional", "true"}) {
    EXPECT_FALSE(ParseClientAuth(bad, &client_auth)) << bad;
  }
  EXPECT_EQ(client_auth, ClientAuth::kRequest);
  EXPECT_EQ(ClientAuthName(ClientAuth::kRequire), "require");
}

// --- Handshakes
// ----------------------------------------------------------------

// Answers every method: kIdentityMethod with the caller's identity (one name
// per line, after "verified" or "anonymous"), kPropertiesMethod with every
// auth context property as "name=value" lines.
class EchoIdentityService final : public grpc::CallbackGenericService {
 public:
  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    return new Reactor(context);
  }

 private:
  class Reactor final : public grpc::ServerGenericBidiReactor {
   public:
    explicit Reactor(grpc::GenericCallbackServerContext* context) {
      std::string text;
      if (context->method() == kPropertiesMethod) {
        std::shared_ptr<const grpc::AuthContext> auth = context->auth_context();
        if (auth != nullptr) {
          for (const grpc::AuthProperty& property : *auth) {
            const std::string name(property.first.data(),
                                   property.first.size());
            if (name == GRPC_X509_PEM_CERT_PROPERTY_NAME ||
                name == GRPC_X509_PEM_CERT_CHAIN_PROPERTY_NAME) {
              continue;
            }
            absl::StrAppend(&text, name, "=",
                            absl::string_view(property.second.data(),
                                              property.second.size()),
                            "\n");
          }
        }
      } else {
        CallerIdentity identity = IdentityOf(*context);
        text = absl::StrCat(
            identity.authenticated_by_certificate ? "verified" : "anonymous",
            "\n", absl::StrJoin(identity.names, "\n"));
      }
      grpc::Slice slice(text);
      response_ = grpc::ByteBuffer(&slice, 1);
      StartRead(&request_);
    }

    void OnReadDone(bool ok) override {
      if (!ok) {
        Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request"));
        return;
      }
      StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
    }

    void OnDone() override { delete this; }

   private:
    grpc::ByteBuffer request_;
    grpc::ByteBuffer response_;
  };
};

struct CallResult {
  grpc::Status status;
  std::string body;
};

// One unary call on a fresh channel (with its own subchannel, so no
// connection is reused between calls).
CallResult Call(int port,
                const std::shared_ptr<grpc::ChannelCredentials>& credentials,
                const std::string& method = kIdentityMethod) {
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  std::shared_ptr<grpc::Channel> channel = grpc::CreateCustomChannel(
      absl::StrCat("127.0.0.1:", port), credentials, args);
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(5));
  grpc::Slice request_slice(std::string("?"));
  grpc::ByteBuffer request(&request_slice, 1);
  grpc::ByteBuffer response;
  CallResult result;
  absl::Notification done;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                 [&](grpc::Status status) {
                   result.status = std::move(status);
                   done.Notify();
                 });
  done.WaitForNotification();
  if (result.status.ok()) {
    std::vector<grpc::Slice> slices;
    if (response.Dump(&slices).ok()) {
      for (const grpc::Slice& slice : slices) {
        result.body.append(reinterpret_cast<const char*>(slice.begin()),
                           slice.size());
      }
    }
  }
  return result;
}

std::shared_ptr<grpc::ChannelCredentials> Trusting(
    const std::string& ca_pem, const CertAndKey* client = nullptr) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ca_pem;
  if (client != nullptr) {
    options.pem_private_key = client->key_pem;
    options.pem_cert_chain = client->cert_pem;
  }
  return grpc::SslCredentials(options);
}

// A gRPC server on 127.0.0.1:0 serving EchoIdentityService with the
// listener credentials of `options`.
class TestServer {
 public:
  explicit TestServer(const ListenerTlsOptions& options) {
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
        MakeServerCredentials(options);
    if (!credentials.ok()) {
      ADD_FAILURE() << credentials.status();
      return;
    }
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", *credentials, &port_);
    builder.RegisterCallbackGenericService(&service_);
    server_ = builder.BuildAndStart();
    if (server_ == nullptr || port_ == 0) ADD_FAILURE() << "server not started";
  }
  ~TestServer() {
    if (server_ != nullptr) {
      server_->Shutdown(std::chrono::system_clock::now() +
                        std::chrono::seconds(2));
    }
  }

  int port() const { return port_; }

 private:
  EchoIdentityService service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

class HandshakeTest : public testing::Test {
 protected:
  HandshakeTest() {
    const CertAndKey server = server_ca_.IssueLocalhost();
    WriteFileAtomically(File("server.crt"), server.cert_pem);
    WriteFileAtomically(File("server.key"), server.key_pem);
    WriteFileAtomically(File("clients-ca.crt"), client_ca_.cert_pem());
  }

  std::string File(const std::string& name) const { return dir_.File(name); }

  ListenerTlsOptions Tls() const {
    return {.cert_file = File("server.crt"), .key_file = File("server.key")};
  }
  ListenerTlsOptions Mtls(ClientAuth client_auth) const {
    return {.cert_file = File("server.crt"),
            .key_file = File("server.key"),
            .client_ca_file = File("clients-ca.crt"),
            .client_auth = client_auth};
  }

  CertAndKey Deployer(const TestCa& ca) const {
    return ca.Issue({.common_name = "deployer",
                     .dns_names = {"deployer.ci.acme.internal"},
                     .uris = {kDeployer}});
  }

  TestCa server_ca_{"neo-bridge test server CA"};
  TestCa client_ca_{"neo-bridge test client CA"};
  TestCa stranger_ca_{"some other CA"};
  TempDir dir_;
};

TEST_F(HandshakeTest, PlaintextListenerServesPlaintextClients) {
  TestServer server({});
  CallResult result = Call(server.port(), grpc::InsecureChannelCredentials());
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  EXPECT_EQ(result.body, "anonymous\n");
}

TEST_F(HandshakeTest, TlsClientTrustingTheCaConnects) {
  TestServer server(Tls());
  CallResult result = Call(server.port(), Trusting(server_ca_.cert_pem()));
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  EXPECT_EQ(result.body, "anonymous\n");
}

TEST_F(HandshakeTest, TlsClientTrustingAnotherCaFails) {
  TestServer server(Tls());
  CallResult result = Call(server.port(), Trusting(stranger_ca_.cert_pem()));
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << result.status.error_message();
}

TEST_F(HandshakeTest, PlaintextClientAgainstTlsListenerFails) {
  TestServer server(Tls());
  CallResult result = Call(server.port(), grpc::InsecureChannelCredentials());
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << result.status.error_message();
}

TEST_F(HandshakeTest, TlsListenerWithoutClientAuthIgnoresClientCertificates) {
  TestServer server(Tls());
  const CertAndKey deployer = Deployer(client_ca_);
  CallResult result =
      Call(server.port(), Trusting(server_ca_.cert_pem(), &deployer));
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  EXPECT_EQ(result.body, "anonymous\n");
}

TEST_F(HandshakeTest, MtlsRequireRefusesClientsWithoutCertificate) {
  TestServer server(Mtls(ClientAuth::kRequire));
  CallResult result = Call(server.port(), Trusting(server_ca_.cert_pem()));
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << result.status.error_message();
}

TEST_F(HandshakeTest, MtlsRequireRefusesCertificatesOfAnotherCa) {
  TestServer server(Mtls(ClientAuth::kRequire));
  const CertAndKey impostor = Deployer(stranger_ca_);
  CallResult result =
      Call(server.port(), Trusting(server_ca_.cert_pem(), &impostor));
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << result.status.error_message();
}

TEST_F(HandshakeTest, MtlsRequireRefusesExpiredCertificates) {
  TestServer server(Mtls(ClientAuth::kRequire));
  const CertAndKey expired = client_ca_.Issue({.common_name = "deployer",
                                               .uris = {kDeployer},
                                               .not_before = -absl::Hours(48),
                                               .not_after = -absl::Hours(24)});
  CallResult result =
      Call(server.port(), Trusting(server_ca_.cert_pem(), &expired));
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << result.status.error_message();
}

TEST_F(HandshakeTest, MtlsRequireAcceptsAGoodCertificateAndSeesItsNames) {
  TestServer server(Mtls(ClientAuth::kRequire));
  const CertAndKey deployer = Deployer(client_ca_);
  CallResult result =
      Call(server.port(), Trusting(server_ca_.cert_pem(), &deployer));
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  EXPECT_EQ(result.body,
            absl::StrCat("verified\n", "deployer.ci.acme.internal\n", kDeployer,
                         "\n", "deployer\n", "CN=deployer,O=neo-bridge tests"));
}

// Documents what gRPC 1.51 puts into the server's auth context for a
// verified client certificate: the URI SAN is among the
// x509_subject_alternative_name values (and also in peer_uri/peer_spiffe_id),
// and the transport type of TlsServerCredentials is "tls", not "ssl".
TEST_F(HandshakeTest, AuthContextOfAVerifiedClientCertificate) {
  TestServer server(Mtls(ClientAuth::kRequire));
  const CertAndKey deployer = Deployer(client_ca_);
  CallResult result =
      Call(server.port(), Trusting(server_ca_.cert_pem(), &deployer),
           kPropertiesMethod);
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  EXPECT_THAT(result.body, HasSubstr("transport_security_type=tls\n"));
  EXPECT_THAT(result.body,
              HasSubstr(absl::StrCat(
                  "x509_subject_alternative_name=", kDeployer, "\n")));
  EXPECT_THAT(result.body, HasSubstr("x509_subject_alternative_name="
                                     "deployer.ci.acme.internal\n"));
  EXPECT_THAT(result.body,
              HasSubstr(absl::StrCat("peer_uri=", kDeployer, "\n")));
  EXPECT_THAT(result.body,
              HasSubstr(absl::StrCat("peer_spiffe_id=", kDeployer, "\n")));
  EXPECT_THAT(result.body, HasSubstr("x509_common_name=deployer\n"));
  EXPECT_THAT(result.body,
              HasSubstr("x509_subject=CN=deployer,O=neo-bridge tests\n"));
}

TEST_F(HandshakeTest, MtlsRequestLetsClientsWithoutCertificateInAnonymously) {
  TestServer server(Mtls(ClientAuth::kRequest));
  CallResult result = Call(server.port(), Trusting(server_ca_.cert_pem()));
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  EXPECT_EQ(result.body, "anonymous\n");

  const CertAndKey deployer = Deployer(client_ca_);
  result = Call(server.port(), Trusting(server_ca_.cert_pem(), &deployer));
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  EXPECT_THAT(result.body, HasSubstr(absl::StrCat("verified\n")));
  EXPECT_THAT(result.body, HasSubstr(kDeployer));
}

TEST_F(HandshakeTest, MtlsRequestStillRefusesCertificatesOfAnotherCa) {
  TestServer server(Mtls(ClientAuth::kRequest));
  const CertAndKey impostor = Deployer(stranger_ca_);
  CallResult result =
      Call(server.port(), Trusting(server_ca_.cert_pem(), &impostor));
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << result.status.error_message();
}

TEST_F(HandshakeTest, RotatedCertificateIsServedWithoutRestart) {
  ListenerTlsOptions options = Tls();
  options.refresh_interval = absl::Seconds(1);
  TestServer server(options);
  ASSERT_TRUE(Call(server.port(), Trusting(server_ca_.cert_pem())).status.ok());

  TestCa new_ca("neo-bridge test rotated CA");
  const CertAndKey rotated = new_ca.IssueLocalhost();
  WriteFileAtomically(File("server.key"), rotated.key_pem);
  WriteFileAtomically(File("server.crt"), rotated.cert_pem);

  // Poll with a fresh channel per attempt until the new certificate is
  // served; the watcher re-reads the files every second.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  CallResult result;
  int attempts = 0;
  do {
    ++attempts;
    result = Call(server.port(), Trusting(new_ca.cert_pem()));
    if (result.status.ok()) break;
    absl::SleepFor(absl::Milliseconds(100));
  } while (absl::Now() < deadline);
  ASSERT_TRUE(result.status.ok())
      << "after " << attempts << " attempts: " << result.status.error_message();
  // The old certificate is gone.
  EXPECT_EQ(
      Call(server.port(), Trusting(server_ca_.cert_pem())).status.error_code(),
      grpc::StatusCode::UNAVAILABLE);
}

TEST_F(HandshakeTest, CombinedKeyAndChainFileRotatesWithoutAGap) {
  const std::string combined = File("combined.pem");
  const CertAndKey first = server_ca_.IssueLocalhost();
  WriteFileAtomically(combined, absl::StrCat(first.key_pem, first.cert_pem));
  // As if written long ago, so the watcher's before/after modification-time
  // check (whole seconds) sees a rename that lands between its two reads.
  std::filesystem::last_write_time(
      combined,
      std::filesystem::file_time_type::clock::now() - std::chrono::hours(1));
  TestServer server({.cert_file = combined,
                     .key_file = combined,
                     .refresh_interval = absl::Seconds(1)});
  TestCa new_ca("neo-bridge test rotated CA");
  const std::string both_cas =
      absl::StrCat(server_ca_.cert_pem(), new_ca.cert_pem());
  ASSERT_TRUE(Call(server.port(), Trusting(both_cas)).status.ok());

  const CertAndKey rotated = new_ca.IssueLocalhost();
  WriteFileAtomically(combined,
                      absl::StrCat(rotated.key_pem, rotated.cert_pem));

  // A client trusting both CAs connects at every moment of the rotation.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  bool rotated_seen = false;
  int attempts = 0;
  while (!rotated_seen && absl::Now() < deadline) {
    ++attempts;
    CallResult either = Call(server.port(), Trusting(both_cas));
    ASSERT_TRUE(either.status.ok())
        << "attempt " << attempts << ": " << either.status.error_message();
    rotated_seen = Call(server.port(), Trusting(new_ca.cert_pem())).status.ok();
    if (!rotated_seen) absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE(rotated_seen) << "after " << attempts << " attempts";
}

}  // namespace
}  // namespace neobridge::security
