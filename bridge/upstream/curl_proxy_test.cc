// CurlTransport honours the proxy environment variables (it never sets
// CURLOPT_PROXY, so libcurl reads http_proxy / no_proxy / ... for each new
// connection). Its own executable: setenv must not race the transport
// threads of other tests, and every variable is set before any transport
// or server thread of the test exists.
#include <stdlib.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bridge/upstream/curl_transport.h"
#include "bridge/upstream/http_transport.h"
#include "bridge/upstream/testing/test_http_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace neobridge::upstream {
namespace {

using ::neobridge::upstream::testing::TestHttpServer;
using ::neobridge::upstream::testing::TestRequest;
using ::neobridge::upstream::testing::TestResponse;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Optional;

constexpr absl::Duration kWait = absl::Seconds(10);
// Resolves nowhere (RFC 6761): reached only through the proxy.
constexpr char kUpstreamUrl[] = "http://neo-upstream.invalid/api/x";

// Every variable libcurl reads for proxies, so that the machine's own
// settings do not leak into the test.
void ClearProxyEnvironment() {
  for (const char* name :
       {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
        "ALL_PROXY", "no_proxy", "NO_PROXY"}) {
    ::unsetenv(name);
  }
}

// Sends one GET and waits for its completion.
absl::StatusOr<HttpResponse> Get(HttpTransport& transport,
                                 const std::string& url) {
  struct State {
    absl::Mutex mu;
    bool done ABSL_GUARDED_BY(mu) = false;
    absl::StatusOr<HttpResponse> result ABSL_GUARDED_BY(mu) =
        absl::UnknownError("unset");
  };
  auto state = std::make_shared<State>();
  transport.Send(HttpRequest{.url = url, .timeout = kWait},
                 [state](absl::StatusOr<HttpResponse> result) {
                   absl::MutexLock lock(&state->mu);
                   state->result = std::move(result);
                   state->done = true;
                 });
  absl::MutexLock lock(&state->mu);
  if (!state->mu.AwaitWithTimeout(absl::Condition(&state->done),
                                  kWait + absl::Seconds(5))) {
    return absl::InternalError("test: no completion in time");
  }
  return state->result;
}

std::unique_ptr<TestHttpServer> StartProxy() {
  absl::StatusOr<std::unique_ptr<TestHttpServer>> proxy =
      TestHttpServer::Start();
  EXPECT_TRUE(proxy.ok()) << proxy.status();
  if (!proxy.ok()) return nullptr;
  TestResponse reply;
  reply.body = "via the proxy";
  (*proxy)->Route("/api/x", reply);
  return *std::move(proxy);
}

TEST(CurlProxyTest, HttpProxyFromTheEnvironmentGetsTheAbsoluteUrl) {
  ClearProxyEnvironment();
  std::unique_ptr<TestHttpServer> proxy = StartProxy();
  ASSERT_NE(proxy, nullptr);
  ::setenv("http_proxy",
           absl::StrCat("http://127.0.0.1:", proxy->port()).c_str(), 1);
  absl::StatusOr<std::unique_ptr<CurlTransport>> transport =
      CurlTransport::Create();
  ASSERT_TRUE(transport.ok()) << transport.status();

  absl::StatusOr<HttpResponse> response = Get(**transport, kUpstreamUrl);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "via the proxy");
  const std::vector<TestRequest> requests = proxy->requests();
  ASSERT_EQ(requests.size(), 1u);
  // "GET http://neo-upstream.invalid/api/x HTTP/1.1": a proxy request.
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].uri, kUpstreamUrl);
  EXPECT_EQ(requests[0].path, "/api/x");
  EXPECT_THAT(requests[0].Header("Host"),
              Optional(std::string("neo-upstream.invalid")));
}

TEST(CurlProxyTest, NoProxyHostGoesDirect) {
  ClearProxyEnvironment();
  std::unique_ptr<TestHttpServer> proxy = StartProxy();
  ASSERT_NE(proxy, nullptr);
  ::setenv("http_proxy",
           absl::StrCat("http://127.0.0.1:", proxy->port()).c_str(), 1);
  ::setenv("no_proxy", "neo-upstream.invalid", 1);
  absl::StatusOr<std::unique_ptr<CurlTransport>> transport =
      CurlTransport::Create();
  ASSERT_TRUE(transport.ok()) << transport.status();

  // Direct: the name does not resolve.
  absl::StatusOr<HttpResponse> response = Get(**transport, kUpstreamUrl);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable)
      << response.status();
  EXPECT_THAT(response.status().message(), HasSubstr("neo-upstream.invalid"));
  EXPECT_THAT(proxy->requests(), IsEmpty());
  EXPECT_EQ(proxy->accepted_connections(), 0);
}

}  // namespace
}  // namespace neobridge::upstream
