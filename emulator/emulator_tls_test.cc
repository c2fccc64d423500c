// neo-emulator over HTTPS: the emulator in-process with a certificate minted
// at run time (tests/support/test_certs.h), driven by the libcurl test
// client trusting the test CA (CURLOPT_CAINFO). Unary requests, event
// streams and their fault knobs over TLS, and the start-up errors.
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "emulator/emulator.h"
#include "emulator/sse_format.h"
#include "emulator/test_http_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/test_certs.h"

namespace neo_emulator {
namespace {

using ::neo_emulator::testing::ParseSseFrames;
using ::neo_emulator::testing::SseFrame;
using ::neo_emulator::testing::TestHttpClient;
using ::neo_emulator::testing::TestResponse;
using ::neo_emulator::testing::TestSseClient;
using ::neo_emulator::testing::WaitUntil;
using ::neobridge::test_support::CertAndKey;
using ::neobridge::test_support::LeafOptions;
using ::neobridge::test_support::TempDir;
using ::neobridge::test_support::TestCa;
using ::neobridge::test_support::WriteFileAtomically;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Json = nlohmann::json;

constexpr char kAlice[] = "pul-emulator-alice";
constexpr char kTasks[] = "/api/preview/agents/acme/tasks";
constexpr absl::Duration kWait = absl::Seconds(10);

std::string TaskPath(const std::string& id) {
  return absl::StrCat(kTasks, "/", id);
}

std::string EventFrame(const Json& event, LineEnding ending = LineEnding::kLf) {
  return FormatEventFrame(event["id"].get<std::string>(), event.dump(), ending);
}

size_t EventCount(const std::vector<SseFrame>& frames) {
  size_t count = 0;
  for (const SseFrame& frame : frames) count += frame.id.empty() ? 0 : 1;
  return count;
}

// The test CA and a localhost certificate it issued, as PEM files.
class TlsFiles {
 public:
  TlsFiles() : leaf_(ca_.IssueLocalhost()) {
    WriteFileAtomically(ca_file(), ca_.cert_pem());
    WriteFileAtomically(cert_file(), leaf_.cert_pem);
    WriteFileAtomically(key_file(), leaf_.key_pem);
  }

  const TestCa& ca() const { return ca_; }
  std::string ca_file() const { return dir_.File("ca.pem"); }
  std::string cert_file() const { return dir_.File("cert.pem"); }
  std::string key_file() const { return dir_.File("key.pem"); }
  // Writes `contents` to a new file in the directory; its path.
  std::string Write(const std::string& name,
                    const std::string& contents) const {
    WriteFileAtomically(dir_.File(name), contents);
    return dir_.File(name);
  }

 private:
  TempDir dir_;
  TestCa ca_;
  CertAndKey leaf_;
};

class EmulatorTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Emulator>> started =
        Emulator::Start({.agent_step_delay = absl::Milliseconds(2),
                         .heartbeat_interval = absl::Milliseconds(100),
                         .tls_cert_file = files_.cert_file(),
                         .tls_key_file = files_.key_file()});
    ASSERT_TRUE(started.ok()) << started.status();
    emulator_ = *std::move(started);
    client_ = std::make_unique<TestHttpClient>(emulator_->base_url(),
                                               files_.ca_file());
  }

  TestHttpClient& client() { return *client_; }

  // A task whose scripted turn is over, and its events.
  std::string CreateIdleTask(Json* events) {
    TestResponse created = client().Post(
        kTasks, kAlice,
        Json{{"message", {{"type", "user_message"}, {"content", "tls"}}}}
            .dump());
    EXPECT_EQ(created.status, 201) << created.error << created.body;
    const std::string id = created.Json().value("taskId", "");
    EXPECT_TRUE(WaitUntil(
        [&] {
          return client()
                     .Get(TaskPath(id), kAlice)
                     .Json()
                     .value("status", "") == "idle";
        },
        kWait));
    TestResponse listed = client().Get(
        absl::StrCat(TaskPath(id), "/events?pageSize=1000"), kAlice);
    EXPECT_EQ(listed.status, 200);
    *events = listed.Json()["events"];
    EXPECT_GE(events->size(), 5u);
    return id;
  }

  std::unique_ptr<TestSseClient> OpenStream(
      const std::string& id, std::vector<std::string> extra_headers = {}) {
    extra_headers.push_back(absl::StrCat("Authorization: token ", kAlice));
    return std::make_unique<TestSseClient>(
        absl::StrCat(emulator_->base_url(), TaskPath(id), "/events/stream"),
        std::move(extra_headers), files_.ca_file());
  }

  TlsFiles files_;
  std::unique_ptr<Emulator> emulator_;
  std::unique_ptr<TestHttpClient> client_;
};

TEST_F(EmulatorTlsTest, ServesHttpsToClientsTrustingTheCa) {
  EXPECT_TRUE(std::regex_match(emulator_->base_url(),
                               std::regex("https://127\\.0\\.0\\.1:[0-9]+")))
      << emulator_->base_url();
  TestResponse listed = client().Get(kTasks, kAlice);
  EXPECT_EQ(listed.status, 200) << listed.error;
  EXPECT_EQ(listed.Json()["tasks"], Json::array());
  Json events;
  CreateIdleTask(&events);
  EXPECT_EQ(client().Get(kTasks, kAlice).Json()["tasks"].size(), 1u);
}

TEST_F(EmulatorTlsTest, LocalhostNameVerifiesToo) {
  TestHttpClient by_name(absl::StrCat("https://localhost:", emulator_->port()),
                         files_.ca_file());
  TestResponse listed = by_name.Get(kTasks, kAlice);
  EXPECT_EQ(listed.status, 200) << listed.error;
}

TEST_F(EmulatorTlsTest, ClientWithoutTheCaIsRefused) {
  // The system's CAs do not include the test CA.
  TestHttpClient untrusting(emulator_->base_url());
  TestResponse response = untrusting.Get(kTasks, kAlice);
  EXPECT_EQ(response.status, 0);
  EXPECT_THAT(response.error, HasSubstr("certificate"));
}

TEST_F(EmulatorTlsTest, PlainHttpOnTheTlsPortGetsNoAnswer) {
  TestHttpClient plain(absl::StrCat("http://127.0.0.1:", emulator_->port()));
  TestResponse response = plain.Get(kTasks, kAlice);
  EXPECT_EQ(response.status, 0);
  // And the emulator keeps serving TLS clients.
  EXPECT_EQ(client().Get(kTasks, kAlice).status, 200);
}

TEST_F(EmulatorTlsTest, EventStreamDeliversEventsAndHeartbeats) {
  Json events;
  const std::string id = CreateIdleTask(&events);
  auto stream = OpenStream(id);
  ASSERT_TRUE(stream->WaitForFrames(
      [&](const std::vector<SseFrame>& frames) {
        return EventCount(frames) == events.size() &&
               frames.back().comment == "heartbeat";
      },
      kWait));
  EXPECT_EQ(stream->status(), 200);
  std::string expected;
  for (const Json& event : events) expected += EventFrame(event);
  EXPECT_THAT(stream->raw(), StartsWith(expected));
  EXPECT_FALSE(stream->ended());
}

TEST_F(EmulatorTlsTest, TinyChunksAndCrlfOverTls) {
  Json events;
  const std::string id = CreateIdleTask(&events);
  auto stream =
      OpenStream(id, {R"(X-Emulator-Fault: {"stream": {"chunkBytes": 7, )"
                      R"("lineEnding": "crlf", "dropAfterEvents": 3}})"});
  ASSERT_TRUE(stream->WaitForEnd(kWait));
  EXPECT_EQ(stream->raw(), EventFrame(events[0], LineEnding::kCrLf) +
                               EventFrame(events[1], LineEnding::kCrLf) +
                               EventFrame(events[2], LineEnding::kCrLf));
}

// A drop closes the TCP connection without a TLS close_notify and without
// the terminating chunk: a truncated body, never a clean end.
TEST_F(EmulatorTlsTest, DropAfterTwoEventsIsATransportError) {
  Json events;
  const std::string id = CreateIdleTask(&events);
  ASSERT_TRUE(emulator_
                  ->SetFaults({.stream = StreamFaults{.drop_after_events = 2,
                                                      .times = 20}})
                  .ok());
  for (int i = 0; i < 20; ++i) {
    auto stream = OpenStream(id);
    ASSERT_TRUE(stream->WaitForEnd(kWait)) << i;
    EXPECT_EQ(stream->status(), 200);
    EXPECT_EQ(stream->curl_result(), CURLE_PARTIAL_FILE) << i;
    ASSERT_EQ(stream->raw(), EventFrame(events[0]) + EventFrame(events[1]))
        << i;
  }
  EXPECT_TRUE(
      WaitUntil([&] { return emulator_->open_stream_count() == 0; }, kWait));
}

TEST_F(EmulatorTlsTest, DropMidFrameIsATransportError) {
  Json events;
  const std::string id = CreateIdleTask(&events);
  auto stream =
      OpenStream(id, {R"(X-Emulator-Fault: {"stream": {"dropAfterEvents": 1, )"
                      R"("dropMidFrame": true}})"});
  ASSERT_TRUE(stream->WaitForEnd(kWait));
  EXPECT_EQ(stream->curl_result(), CURLE_PARTIAL_FILE);
  const std::string second = EventFrame(events[1]);
  EXPECT_EQ(stream->raw(),
            EventFrame(events[0]) + second.substr(0, second.size() / 2));
}

TEST_F(EmulatorTlsTest, ClientHangUpOnAStalledStreamIsNoticed) {
  Json events;
  const std::string id = CreateIdleTask(&events);
  auto stream = OpenStream(
      id, {R"(X-Emulator-Fault: {"stream": {"stallAfterEvents": 1}})"});
  ASSERT_TRUE(stream->WaitForFrames(
      [](const std::vector<SseFrame>& frames) { return !frames.empty(); },
      kWait));
  ASSERT_EQ(emulator_->open_stream_count(), 1u);
  // Nothing is written any more, so only the socket (the client's
  // close_notify, then EOF) can tell.
  stream.reset();
  EXPECT_TRUE(
      WaitUntil([&] { return emulator_->open_stream_count() == 0; }, kWait));
}

TEST_F(EmulatorTlsTest, StoppingTheEmulatorEndsStreamsCleanly) {
  Json events;
  const std::string id = CreateIdleTask(&events);
  auto stream = OpenStream(id);
  // Stop once the history has arrived, so the checks below are about the
  // stop, not a race with the history's first write (the test failed once,
  // under load, on a fresh clone's ctest -j2).
  ASSERT_TRUE(WaitUntil(
      [&] {
        return emulator_->open_stream_count() == 1 &&
               EventCount(ParseSseFrames(stream->raw())) == events.size();
      },
      kWait));
  emulator_.reset();
  ASSERT_TRUE(stream->WaitForEnd(kWait));
  EXPECT_EQ(stream->curl_result(), CURLE_OK);
  EXPECT_EQ(EventCount(ParseSseFrames(stream->raw())), events.size());
}

// --- Start-up errors --------------------------------------------------------

absl::Status StartWith(const std::string& cert_file,
                       const std::string& key_file) {
  return Emulator::Start({.tls_cert_file = cert_file, .tls_key_file = key_file})
      .status();
}

std::string EncryptedKeyPem(const std::string& key_pem) {
  BIO* in = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr);
  BIO_free(in);
  EXPECT_NE(key, nullptr);
  BIO* out = BIO_new(BIO_s_mem());
  EXPECT_EQ(PEM_write_bio_PKCS8PrivateKey(out, key, EVP_aes_256_cbc(), "secret",
                                          6, nullptr, nullptr),
            1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(out, &data);
  std::string pem(data, static_cast<size_t>(size));
  BIO_free(out);
  EVP_PKEY_free(key);
  return pem;
}

TEST(EmulatorTlsStartTest, ErrorsNameTheFlagAndTheFile) {
  const TlsFiles files;
  const CertAndKey other = files.ca().Issue(LeafOptions{.dns_names = {"x"}});
  const std::string garbage = files.Write("garbage.pem", "not a PEM file\n");
  const std::string other_key = files.Write("other-key.pem", other.key_pem);
  const std::string encrypted_key =
      files.Write("encrypted-key.pem",
                  EncryptedKeyPem(files.ca().IssueLocalhost().key_pem));
  struct Case {
    std::string cert;
    std::string key;
    std::string message;
  };
  const std::string missing = "/nonexistent/neo-emulator/cert.pem";
  for (const Case& c : {
           Case{missing, files.key_file(),
                absl::StrCat("invalid --tls-cert-file '", missing,
                             "': cannot read it: No such file or directory")},
           Case{files.cert_file(), missing,
                absl::StrCat("invalid --tls-key-file '", missing,
                             "': cannot read it: No such file or directory")},
           Case{garbage, files.key_file(),
                absl::StrCat("invalid --tls-cert-file '", garbage,
                             "': no PEM certificate in it (OpenSSL: ")},
           // A key where the certificate should be.
           Case{files.key_file(), files.key_file(),
                absl::StrCat("invalid --tls-cert-file '", files.key_file(),
                             "': no PEM certificate in it")},
           Case{files.cert_file(), garbage,
                absl::StrCat("invalid --tls-key-file '", garbage,
                             "': no unencrypted PEM private key in it")},
           Case{files.cert_file(), encrypted_key,
                absl::StrCat("invalid --tls-key-file '", encrypted_key,
                             "': no unencrypted PEM private key in it")},
           Case{files.cert_file(), other_key,
                absl::StrCat("invalid --tls-key-file '", other_key,
                             "': the key does not belong to the certificate "
                             "in --tls-cert-file '",
                             files.cert_file(), "'")},
           Case{files.cert_file(), "",
                "tls_cert_file and tls_key_file (--tls-cert-file, "
                "--tls-key-file) must be given together"},
           Case{"", files.key_file(),
                "tls_cert_file and tls_key_file (--tls-cert-file, "
                "--tls-key-file) must be given together"},
       }) {
    const absl::Status status = StartWith(c.cert, c.key);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_THAT(status.message(), HasSubstr(c.message));
  }
  // The same files the right way round work.
  EXPECT_TRUE(StartWith(files.cert_file(), files.key_file()).ok());
}

TEST(EmulatorTlsStartTest, ACertificateChainIsServed) {
  // Leaf first, then the CA: a client trusting the CA still verifies.
  const TlsFiles files;
  const CertAndKey leaf = files.ca().IssueLocalhost();
  const std::string chain =
      files.Write("chain.pem", leaf.cert_pem + files.ca().cert_pem());
  const std::string key = files.Write("chain-key.pem", leaf.key_pem);
  absl::StatusOr<std::unique_ptr<Emulator>> emulator =
      Emulator::Start({.tls_cert_file = chain, .tls_key_file = key});
  ASSERT_TRUE(emulator.ok()) << emulator.status();
  TestHttpClient client((*emulator)->base_url(), files.ca_file());
  TestResponse listed = client.Get(kTasks, kAlice);
  EXPECT_EQ(listed.status, 200) << listed.error;
}

}  // namespace
}  // namespace neo_emulator
