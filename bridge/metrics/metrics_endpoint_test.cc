// MetricsEndpoint on loopback: a scrape over HTTP with libcurl sees the
// registry; a second endpoint on a taken port fails with a clear message.
#include "bridge/metrics/metrics_endpoint.h"

#include <curl/curl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "bridge/metrics/metrics.h"

namespace neobridge::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

struct HttpResult {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string content_type;
  std::string body;
};

size_t Append(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// GET `url` with a 10 s bound.
HttpResult Get(const std::string& url) {
  HttpResult result;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(),
                                                           &curl_easy_cleanup);
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &Append);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  result.code = curl_easy_perform(curl.get());
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &result.status);
  char* content_type = nullptr;
  curl_easy_getinfo(curl.get(), CURLINFO_CONTENT_TYPE, &content_type);
  if (content_type != nullptr) result.content_type = content_type;
  return result;
}

TEST(MetricsEndpointTest, ServesTheRegistryAtMetrics) {
  Metrics metrics("9.9.9");
  metrics.OnUpstreamRetry("ListTasks", "503");
  absl::StatusOr<std::unique_ptr<MetricsEndpoint>> endpoint =
      MetricsEndpoint::Start("127.0.0.1:0", metrics.registry());
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  ASSERT_GT((*endpoint)->port(), 0);

  HttpResult result =
      Get(absl::StrCat("http://127.0.0.1:", (*endpoint)->port(), "/metrics"));
  ASSERT_EQ(result.code, CURLE_OK) << curl_easy_strerror(result.code);
  EXPECT_EQ(result.status, 200);
  EXPECT_THAT(result.content_type, StartsWith("text/plain"));
  EXPECT_THAT(result.body,
              HasSubstr("neobridge_build_info{version=\"9.9.9\"} 1\n"));
  EXPECT_THAT(
      result.body,
      HasSubstr(
          "neobridge_upstream_retries_total{operation=\"ListTasks\",reason="
          "\"503\"} 1\n"));

  // Later changes show in the next scrape.
  metrics.OnUpstreamRetry("ListTasks", "503");
  result =
      Get(absl::StrCat("http://127.0.0.1:", (*endpoint)->port(), "/metrics"));
  EXPECT_THAT(
      result.body,
      HasSubstr(
          "neobridge_upstream_retries_total{operation=\"ListTasks\",reason="
          "\"503\"} 2\n"));
}

TEST(MetricsEndpointTest, OtherPathsAreNotFound) {
  Metrics metrics("test");
  absl::StatusOr<std::unique_ptr<MetricsEndpoint>> endpoint =
      MetricsEndpoint::Start("127.0.0.1:0", metrics.registry());
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  HttpResult result =
      Get(absl::StrCat("http://127.0.0.1:", (*endpoint)->port(), "/"));
  ASSERT_EQ(result.code, CURLE_OK) << curl_easy_strerror(result.code);
  EXPECT_EQ(result.status, 404);
}

TEST(MetricsEndpointTest, APortInUseFailsNamingTheAddress) {
  Metrics metrics("test");
  absl::StatusOr<std::unique_ptr<MetricsEndpoint>> first =
      MetricsEndpoint::Start("127.0.0.1:0", metrics.registry());
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string taken = absl::StrCat("127.0.0.1:", (*first)->port());

  absl::StatusOr<std::unique_ptr<MetricsEndpoint>> second =
      MetricsEndpoint::Start(taken, metrics.registry());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(
      std::string(second.status().message()),
      StartsWith(absl::StrCat("--metrics-listen: cannot listen on ", taken)));
  EXPECT_THAT(std::string(second.status().message()),
              HasSubstr("choose a free port"));
}

TEST(MetricsEndpointTest, MalformedAddressIsInvalidArgument) {
  Metrics metrics("test");
  for (const char* bad : {"", "9464", "127.0.0.1", "127.0.0.1:", ":9464",
                          "127.0.0.1:http", "127.0.0.1:65536"}) {
    absl::StatusOr<std::unique_ptr<MetricsEndpoint>> endpoint =
        MetricsEndpoint::Start(bad, metrics.registry());
    ASSERT_FALSE(endpoint.ok()) << bad;
    EXPECT_EQ(endpoint.status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
    EXPECT_THAT(std::string(endpoint.status().message()),
                StartsWith("--metrics-listen: expected HOST:PORT"))
        << bad;
  }
}

}  // namespace
}  // namespace neobridge::metrics
