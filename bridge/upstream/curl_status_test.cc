#include "bridge/upstream/curl_status.h"

#include <curl/curl.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace neobridge::upstream {
namespace {

using ::testing::HasSubstr;

struct Case {
  CURLcode code;
  bool deadline_passed;
  absl::StatusCode want;
};

TEST(CurlResultToStatusTest, MapsEachFailureClass) {
  const Case cases[] = {
      {CURLE_COULDNT_RESOLVE_HOST, false, absl::StatusCode::kUnavailable},
      {CURLE_COULDNT_RESOLVE_PROXY, false, absl::StatusCode::kUnavailable},
      {CURLE_COULDNT_CONNECT, false, absl::StatusCode::kUnavailable},
      {CURLE_SEND_ERROR, false, absl::StatusCode::kUnavailable},
      {CURLE_RECV_ERROR, false, absl::StatusCode::kUnavailable},
      {CURLE_GOT_NOTHING, false, absl::StatusCode::kUnavailable},
      {CURLE_PARTIAL_FILE, false, absl::StatusCode::kUnavailable},
      {CURLE_SSL_CONNECT_ERROR, false, absl::StatusCode::kUnavailable},
      {CURLE_PEER_FAILED_VERIFICATION, false, absl::StatusCode::kUnavailable},
      {CURLE_HTTP2_STREAM, false, absl::StatusCode::kUnavailable},
      {CURLE_OPERATION_TIMEDOUT, true, absl::StatusCode::kDeadlineExceeded},
      // Timed out before the request's own deadline: the connect timeout.
      {CURLE_OPERATION_TIMEDOUT, false, absl::StatusCode::kUnavailable},
      {CURLE_FILESIZE_EXCEEDED, false, absl::StatusCode::kResourceExhausted},
      {CURLE_OUT_OF_MEMORY, false, absl::StatusCode::kResourceExhausted},
      {CURLE_URL_MALFORMAT, false, absl::StatusCode::kInvalidArgument},
      {CURLE_UNSUPPORTED_PROTOCOL, false, absl::StatusCode::kInvalidArgument},
      {CURLE_ABORTED_BY_CALLBACK, false, absl::StatusCode::kCancelled},
      {CURLE_BAD_FUNCTION_ARGUMENT, false, absl::StatusCode::kInternal},
      {CURLE_OK, false, absl::StatusCode::kOk},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(
        CurlResultToStatus(c.code, "api.pulumi.com", "", c.deadline_passed)
            .code(),
        c.want)
        << curl_easy_strerror(c.code)
        << " deadline_passed=" << c.deadline_passed;
  }
}

TEST(CurlResultToStatusTest, MessageNamesHostAndCurlText) {
  const absl::Status status = CurlResultToStatus(
      CURLE_COULDNT_CONNECT, "api.pulumi.com",
      "Failed to connect to api.pulumi.com port 443: Connection refused",
      false);
  EXPECT_THAT(status.message(), HasSubstr("api.pulumi.com"));
  EXPECT_THAT(status.message(), HasSubstr("Connection refused"));
}

TEST(CurlResultToStatusTest, UntrustedCertificateSaysToGiveTheCa) {
  const absl::Status status = CurlResultToStatus(
      CURLE_PEER_FAILED_VERIFICATION, "neo.internal",
      "SSL certificate problem: unable to get local issuer certificate", false);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status.message(),
            "upstream TLS certificate of neo.internal not trusted: SSL "
            "certificate problem: unable to get local issuer certificate; give "
            "its CA with --ca-file (and check that the certificate is for "
            "neo.internal)");
  // CURLE_SSL_CACERT is the same code.
  EXPECT_EQ(
      CurlResultToStatus(CURLE_SSL_CACERT, "neo.internal", "", false).message(),
      CurlResultToStatus(CURLE_PEER_FAILED_VERIFICATION, "neo.internal", "",
                         false)
          .message());
}

TEST(CurlResultToStatusTest, FallsBackToCurlsDescriptionWithoutErrorText) {
  const absl::Status status =
      CurlResultToStatus(CURLE_COULDNT_RESOLVE_HOST, "nope.invalid", "", false);
  EXPECT_THAT(status.message(), HasSubstr("nope.invalid"));
  EXPECT_THAT(status.message(),
              HasSubstr(curl_easy_strerror(CURLE_COULDNT_RESOLVE_HOST)));
}

}  // namespace
}  // namespace neobridge::upstream
