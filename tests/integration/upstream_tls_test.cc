// Integration: the bridge's upstream stack (RestNeoClient over CurlTransport)
// against neo-emulator serving HTTPS with a certificate minted at run time.
// Verification is always on: the test CA given as ca_file is trusted; the
// system store, another CA, or a certificate for another host name are not.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bridge/client/rest_neo_client.h"
#include "bridge/upstream/curl_transport.h"
#include "bridge/upstream/http_transport.h"
#include "emulator/emulator.h"
#include "tests/support/test_certs.h"

namespace neobridge {
namespace {

namespace v1 = ::neobridge::v1;
using ::neobridge::test_support::CertAndKey;
using ::neobridge::test_support::LeafOptions;
using ::neobridge::test_support::TempDir;
using ::neobridge::test_support::TestCa;
using ::neobridge::test_support::WriteFileAtomically;
using ::testing::HasSubstr;

constexpr char kAliceToken[] = "pul-emulator-alice";
constexpr absl::Duration kWait = absl::Seconds(20);

// Waits for one NeoClient callback.
template <typename Response>
class Result {
 public:
  client::Callback<Response> Callback() {
    return [state = state_](absl::StatusOr<Response> result) mutable {
      absl::MutexLock lock(&state->mu);
      state->result = std::move(result);
      state->done = true;
    };
  }

  absl::StatusOr<Response> Wait() {
    absl::MutexLock lock(&state_->mu);
    if (!state_->mu.AwaitWithTimeout(absl::Condition(&state_->done), kWait)) {
      return absl::InternalError("test: no callback in time");
    }
    return state_->result;
  }

 private:
  struct State {
    absl::Mutex mu;
    bool done = false;
    absl::StatusOr<Response> result = absl::UnknownError("unset");
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

// Collects a raw event stream.
class StreamRecorder : public upstream::StreamObserver {
 public:
  void OnResponseStart(int status,
                       const upstream::HttpHeaders& /*headers*/) override {
    absl::MutexLock lock(&mu_);
    status_ = status;
  }
  upstream::StreamAction OnData(std::string_view chunk) override {
    absl::MutexLock lock(&mu_);
    body_.append(chunk);
    return upstream::StreamAction::kContinue;
  }
  void OnDone(absl::Status status) override {
    absl::MutexLock lock(&mu_);
    done_ = std::move(status);
  }

  // Waits until the body contains `text`.
  bool WaitForBody(absl::string_view text) {
    absl::MutexLock lock(&mu_);
    auto has = [this, text]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return absl::StrContains(body_, text);
    };
    return mu_.AwaitWithTimeout(absl::Condition(&has), kWait);
  }
  // The final status, or a test failure status if none arrives in time.
  absl::Status WaitForDone() {
    absl::MutexLock lock(&mu_);
    auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return done_.has_value();
    };
    if (!mu_.AwaitWithTimeout(absl::Condition(&done), kWait)) {
      return absl::InternalError("test: stream did not end in time");
    }
    return *done_;
  }
  int status() {
    absl::MutexLock lock(&mu_);
    return status_;
  }
  std::string body() {
    absl::MutexLock lock(&mu_);
    return body_;
  }

 private:
  absl::Mutex mu_;
  int status_ ABSL_GUARDED_BY(mu_) = 0;
  std::string body_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Status> done_ ABSL_GUARDED_BY(mu_);
};

class UpstreamTlsTest : public ::testing::Test {
 protected:
  UpstreamTlsTest() {
    WriteFileAtomically(ca_file(), ca_.cert_pem());
    WriteFileAtomically(other_ca_file(), other_ca_.cert_pem());
  }

  std::string ca_file() const { return dir_.File("ca.pem"); }
  std::string other_ca_file() const { return dir_.File("other-ca.pem"); }

  // Starts the emulator serving `leaf` over TLS.
  void StartEmulator(const CertAndKey& leaf) {
    emulator_.reset();
    WriteFileAtomically(dir_.File("cert.pem"), leaf.cert_pem);
    WriteFileAtomically(dir_.File("key.pem"), leaf.key_pem);
    absl::StatusOr<std::unique_ptr<neo_emulator::Emulator>> started =
        neo_emulator::Emulator::Start(
            {.agent_step_delay = absl::Milliseconds(2),
             .heartbeat_interval = absl::Milliseconds(100),
             .tls_cert_file = dir_.File("cert.pem"),
             .tls_key_file = dir_.File("key.pem")});
    ASSERT_TRUE(started.ok()) << started.status();
    emulator_ = *std::move(started);
  }

  // A transport with `ca_file` ("" = the system's CAs) and a client of the
  // emulator at `base_url`.
  void Connect(const std::string& ca_file, const std::string& base_url) {
    client_.reset();
    transport_.reset();
    absl::StatusOr<std::unique_ptr<upstream::CurlTransport>> transport =
        upstream::CurlTransport::Create({.ca_file = ca_file});
    ASSERT_TRUE(transport.ok()) << transport.status();
    transport_ = *std::move(transport);
    client_ = std::make_unique<client::RestNeoClient>(
        *transport_, client::RestNeoClientOptions{.base_url = base_url});
  }

  absl::StatusOr<v1::ListTasksResponse> ListTasks() {
    v1::ListTasksRequest request;
    request.set_org("acme");
    Result<v1::ListTasksResponse> result;
    client_->ListTasks(request, {.access_token = kAliceToken},
                       result.Callback());
    return result.Wait();
  }

  absl::StatusOr<std::string> CreateTask(const std::string& prompt) {
    v1::CreateTaskRequest request;
    request.set_org("acme");
    request.mutable_message()->mutable_user_message()->set_content(prompt);
    Result<v1::CreateTaskResponse> result;
    client_->CreateTask(request, {.access_token = kAliceToken},
                        result.Callback());
    absl::StatusOr<v1::CreateTaskResponse> created = result.Wait();
    if (!created.ok()) return created.status();
    return created->task_id();
  }

  std::shared_ptr<StreamRecorder> OpenStream(const std::string& task_id) {
    v1::StreamTaskEventsRequest request;
    request.set_org("acme");
    request.set_task_id(task_id);
    auto recorder = std::make_shared<StreamRecorder>();
    client_->OpenEventStream(request, {.access_token = kAliceToken}, recorder);
    return recorder;
  }

  TempDir dir_;
  TestCa ca_{"neo-bridge upstream test CA"};
  TestCa other_ca_{"some other CA"};
  std::unique_ptr<neo_emulator::Emulator> emulator_;
  std::unique_ptr<upstream::CurlTransport> transport_;
  std::unique_ptr<client::RestNeoClient> client_;
};

TEST_F(UpstreamTlsTest, TrustedWithTheCaFile) {
  StartEmulator(ca_.IssueLocalhost());
  ASSERT_TRUE(absl::StartsWith(emulator_->base_url(), "https://127.0.0.1:"));
  Connect(ca_file(), emulator_->base_url());

  absl::StatusOr<v1::ListTasksResponse> listed = ListTasks();
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->tasks_size(), 0);

  absl::StatusOr<std::string> task_id = CreateTask("check the dev stack");
  ASSERT_TRUE(task_id.ok()) << task_id.status();
  std::shared_ptr<StreamRecorder> stream = OpenStream(*task_id);
  // The whole scripted turn arrives, then heartbeats keep coming.
  EXPECT_TRUE(stream->WaitForBody("Done: 3 resources to update"));
  EXPECT_TRUE(stream->WaitForBody(": heartbeat"));
  EXPECT_EQ(stream->status(), 200);

  listed = ListTasks();
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->tasks_size(), 1);
  transport_.reset();  // Cancels the stream.
  EXPECT_EQ(stream->WaitForDone().code(), absl::StatusCode::kCancelled);
}

TEST_F(UpstreamTlsTest, ByHostNameToo) {
  StartEmulator(ca_.IssueLocalhost());
  Connect(ca_file(), absl::StrCat("https://localhost:", emulator_->port()));
  absl::StatusOr<v1::ListTasksResponse> listed = ListTasks();
  EXPECT_TRUE(listed.ok()) << listed.status();
}

// A drop (fault knob) closes the connection without close_notify and
// without the terminating chunk: a transport error, never a clean end.
TEST_F(UpstreamTlsTest, DroppedStreamIsATransportError) {
  StartEmulator(ca_.IssueLocalhost());
  Connect(ca_file(), emulator_->base_url());
  absl::StatusOr<std::string> task_id = CreateTask("drop me");
  ASSERT_TRUE(task_id.ok()) << task_id.status();
  ASSERT_TRUE(
      emulator_
          ->SetFaults(
              {.stream = neo_emulator::StreamFaults{.drop_after_events = 2}})
          .ok());
  std::shared_ptr<StreamRecorder> stream = OpenStream(*task_id);
  const absl::Status done = stream->WaitForDone();
  EXPECT_EQ(done.code(), absl::StatusCode::kUnavailable) << done;
  EXPECT_THAT(done.message(),
              HasSubstr("transfer closed with outstanding read data"));
  EXPECT_EQ(stream->status(), 200);
}

TEST_F(UpstreamTlsTest, SystemCasDoNotTrustTheTestCa) {
  StartEmulator(ca_.IssueLocalhost());
  Connect("", emulator_->base_url());
  absl::StatusOr<v1::ListTasksResponse> listed = ListTasks();
  EXPECT_EQ(listed.status().code(), absl::StatusCode::kUnavailable)
      << listed.status();
  EXPECT_THAT(listed.status().message(),
              HasSubstr("upstream TLS certificate of 127.0.0.1 not trusted: "
                        "SSL certificate problem: unable to get local issuer "
                        "certificate; give its CA with --ca-file"));
}

TEST_F(UpstreamTlsTest, AnotherCaIsNotTrusted) {
  StartEmulator(ca_.IssueLocalhost());
  Connect(other_ca_file(), emulator_->base_url());
  absl::StatusOr<v1::ListTasksResponse> listed = ListTasks();
  EXPECT_EQ(listed.status().code(), absl::StatusCode::kUnavailable)
      << listed.status();
  EXPECT_THAT(listed.status().message(),
              HasSubstr("upstream TLS certificate of 127.0.0.1 not trusted"));
  EXPECT_THAT(listed.status().message(), HasSubstr("--ca-file"));
}

TEST_F(UpstreamTlsTest, CertificateForAnotherHostIsNotTrusted) {
  StartEmulator(ca_.Issue(LeafOptions{.dns_names = {"other.example"}}));
  for (const std::string host : {"localhost", "127.0.0.1"}) {
    Connect(ca_file(), absl::StrCat("https://", host, ":", emulator_->port()));
    absl::StatusOr<v1::ListTasksResponse> listed = ListTasks();
    EXPECT_EQ(listed.status().code(), absl::StatusCode::kUnavailable)
        << listed.status();
    EXPECT_THAT(listed.status().message(),
                HasSubstr(absl::StrCat("upstream TLS certificate of ", host,
                                       " not trusted")));
    EXPECT_THAT(listed.status().message(),
                HasSubstr(absl::StrCat("check that the certificate is for ",
                                       host, ")")));
  }
}

TEST(UpstreamTlsCreateTest, MissingCaFileNamesTheFlag) {
  absl::StatusOr<std::unique_ptr<upstream::CurlTransport>> transport =
      upstream::CurlTransport::Create({.ca_file = "/nonexistent/neo/ca.pem"});
  EXPECT_EQ(transport.status(),
            absl::InvalidArgumentError(
                "--ca-file: cannot read CA bundle /nonexistent/neo/ca.pem: No "
                "such file or directory"));
}

}  // namespace
}  // namespace neobridge
