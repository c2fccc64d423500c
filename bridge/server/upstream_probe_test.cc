#include "bridge/server/upstream_probe.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "bridge/upstream/fake_http_transport.h"

namespace neobridge::server {
namespace {

using upstream::FakeHttpTransport;
using upstream::HttpMethod;
using Reply = FakeHttpTransport::Reply;

constexpr absl::Duration kWait = absl::Seconds(10);

TEST(IsReachableTest, AnyAnswerBelow500) {
  std::string detail;
  for (int status : {200, 204, 301, 401, 404, 429}) {
    upstream::HttpResponse response{.status = status};
    EXPECT_TRUE(IsReachable(response, &detail)) << status;
    EXPECT_EQ(detail, absl::StrCat("HTTP ", status));
  }
  for (int status : {500, 502, 503, 504}) {
    upstream::HttpResponse response{.status = status};
    EXPECT_FALSE(IsReachable(response, &detail)) << status;
  }
  EXPECT_FALSE(
      IsReachable(absl::UnavailableError("connection refused"), &detail));
  EXPECT_EQ(detail, "connection refused");
}

// Records the probe's reports.
class Reports {
 public:
  UpstreamProbe::OnChange Callback() {
    return [this](bool reachable, const std::string&) {
      absl::MutexLock lock(&mu_);
      seen_.push_back(reachable);
    };
  }
  bool WaitFor(std::vector<bool> expected) {
    absl::MutexLock lock(&mu_);
    auto done = [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
      return seen_ == expected;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&done), kWait);
  }
  std::vector<bool> seen() {
    absl::MutexLock lock(&mu_);
    return seen_;
  }

 private:
  absl::Mutex mu_;
  std::vector<bool> seen_ ABSL_GUARDED_BY(mu_);
};

TEST(UpstreamProbeTest, ReportsChangesOnly) {
  FakeHttpTransport transport;
  transport.PushReply(Reply::Respond(404));  // Up: an anonymous GET / → 404.
  transport.PushReply(Reply::Respond(404));  // Same: not reported again.
  transport.PushReply(Reply::Error(absl::UnavailableError("refused")));
  transport.PushReply(Reply::Respond(503));  // Still down.
  transport.SetDefaultReply(Reply::Respond(200));
  Reports reports;
  UpstreamProbe probe(transport,
                      {.url = "http://upstream.test/",
                       .interval = absl::Milliseconds(10),
                       .timeout = absl::Seconds(1)},
                      reports.Callback());
  ASSERT_TRUE(reports.WaitFor({true, false, true})) << reports.seen().size();
  ASSERT_TRUE(transport.WaitForRequests(5, kWait));
  const FakeHttpTransport::RecordedRequest first = transport.requests()[0];
  EXPECT_EQ(first.request.method, HttpMethod::kGet);
  EXPECT_EQ(first.request.url, "http://upstream.test/");
  EXPECT_EQ(first.request.timeout, absl::Seconds(1));
}

TEST(UpstreamProbeTest, StopsPromptlyWhileAProbeIsInFlight) {
  FakeHttpTransport transport;
  transport.SetDefaultReply(Reply::Hold());
  Reports reports;
  absl::Time stopped_at;
  {
    UpstreamProbe probe(transport,
                        {.url = "http://upstream.test/",
                         .interval = absl::Seconds(30),
                         .timeout = absl::Seconds(30)},
                        reports.Callback());
    ASSERT_TRUE(transport.WaitForRequests(1, kWait));
    stopped_at = absl::Now();
  }
  EXPECT_LT(absl::Now() - stopped_at, absl::Seconds(5));
  EXPECT_TRUE(reports.seen().empty());
}

}  // namespace
}  // namespace neobridge::server
