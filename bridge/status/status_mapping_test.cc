#include "bridge/status/status_mapping.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bridge/status/error_details.h"
#include "bridge/status/grpc_status.h"
#include "google/rpc/status.pb.h"

namespace neobridge::status {
namespace {

using ::testing::HasSubstr;

struct MappingCase {
  int http_status;
  absl::StatusCode code;
  absl::string_view reason;
};

class HttpMappingTest : public ::testing::TestWithParam<MappingCase> {};

TEST_P(HttpMappingTest, MapsCodeAndReason) {
  const MappingCase& c = GetParam();
  EXPECT_EQ(CodeForHttpStatus(c.http_status), c.code) << c.http_status;
  EXPECT_EQ(ReasonForHttpStatus(c.http_status), c.reason) << c.http_status;
}

INSTANTIATE_TEST_SUITE_P(
    DesignTable, HttpMappingTest,
    ::testing::Values(
        MappingCase{400, absl::StatusCode::kInvalidArgument,
                    "UPSTREAM_INVALID_ARGUMENT"},
        MappingCase{401, absl::StatusCode::kUnauthenticated,
                    "UPSTREAM_UNAUTHENTICATED"},
        MappingCase{403, absl::StatusCode::kPermissionDenied,
                    "UPSTREAM_PERMISSION_DENIED"},
        MappingCase{404, absl::StatusCode::kNotFound, "UPSTREAM_NOT_FOUND"},
        MappingCase{409, absl::StatusCode::kAborted, "UPSTREAM_CONFLICT"},
        MappingCase{429, absl::StatusCode::kResourceExhausted,
                    "UPSTREAM_RATE_LIMITED"},
        MappingCase{500, absl::StatusCode::kInternal, "UPSTREAM_SERVER_ERROR"},
        MappingCase{501, absl::StatusCode::kUnimplemented,
                    "UPSTREAM_SERVER_ERROR"},
        MappingCase{502, absl::StatusCode::kUnavailable,
                    "UPSTREAM_SERVER_ERROR"},
        MappingCase{503, absl::StatusCode::kUnavailable,
                    "UPSTREAM_SERVER_ERROR"},
        MappingCase{504, absl::StatusCode::kDeadlineExceeded,
                    "UPSTREAM_TIMEOUT"},
        // By class, beyond the DESIGN.md table.
        MappingCase{408, absl::StatusCode::kDeadlineExceeded,
                    "UPSTREAM_TIMEOUT"},
        MappingCase{418, absl::StatusCode::kFailedPrecondition,
                    "UPSTREAM_HTTP_ERROR"},
        MappingCase{599, absl::StatusCode::kUnavailable,
                    "UPSTREAM_SERVER_ERROR"},
        MappingCase{302, absl::StatusCode::kUnknown, "UPSTREAM_HTTP_ERROR"}));

TEST(StatusMappingTest, NeverUsesTheIntermediaryTable) {
  // grpc/grpc's HTTP-to-gRPC table maps 404 to UNIMPLEMENTED; ours must not.
  EXPECT_NE(CodeForHttpStatus(404), absl::StatusCode::kUnimplemented);
}

TEST(RetryAfterTest, ParsesDeltaSeconds) {
  const absl::Time now = absl::FromUnixSeconds(1'000'000);
  EXPECT_EQ(ParseRetryAfter("7", now), absl::Seconds(7));
  EXPECT_EQ(ParseRetryAfter(" 0 ", now), absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter("999999999", now), absl::Hours(24));
}

TEST(RetryAfterTest, ParsesHttpDate) {
  const absl::Time now = absl::FromUnixSeconds(784111777);  // 08:49:37 GMT
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:47 GMT", now),
            absl::Seconds(10));
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:00 GMT", now),
            absl::ZeroDuration());
}

TEST(RetryAfterTest, RejectsGarbage) {
  const absl::Time now = absl::Now();
  EXPECT_EQ(ParseRetryAfter("", now), absl::nullopt);
  EXPECT_EQ(ParseRetryAfter("soon", now), absl::nullopt);
  EXPECT_EQ(ParseRetryAfter("-1", now), absl::nullopt);
  EXPECT_EQ(ParseRetryAfter("1.5", now), absl::nullopt);
}

TEST(UpstreamHttpErrorTest, CarriesErrorInfoAndRetryInfo) {
  absl::Status status = UpstreamHttpError({.operation = "ListTasks",
                                           .http_status = 429,
                                           .upstream_message = "slow down",
                                           .request_id = "req-1",
                                           .retry_after = absl::Seconds(3)});
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(status.message(),
            "ListTasks: Neo API returned HTTP 429: slow down");
  absl::optional<google::rpc::ErrorInfo> info = GetErrorInfo(status);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->domain(), "neobridge.v1");
  EXPECT_EQ(info->reason(), "UPSTREAM_RATE_LIMITED");
  EXPECT_EQ(info->metadata().at("http_status"), "429");
  EXPECT_EQ(info->metadata().at("upstream_message"), "slow down");
  EXPECT_EQ(info->metadata().at("request_id"), "req-1");
  EXPECT_EQ(info->metadata().at("operation"), "ListTasks");
  absl::optional<google::rpc::RetryInfo> retry = GetRetryInfo(status);
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->retry_delay().seconds(), 3);
}

TEST(UpstreamTransportErrorTest, KeepsCodeAndNamesOperation) {
  absl::Status status = UpstreamTransportError(
      "GetTask", absl::UnavailableError("connect to 127.0.0.1:1 failed"));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status.message(), "GetTask: connect to 127.0.0.1:1 failed");
  EXPECT_EQ(GetErrorInfo(status)->reason(), "UPSTREAM_UNREACHABLE");
  EXPECT_EQ(GetErrorInfo(UpstreamTransportError(
                             "GetTask", absl::DeadlineExceededError("slow")))
                ->reason(),
            "UPSTREAM_TIMEOUT");
}

TEST(MalformedUpstreamResponseTest, IsInternalAndSaysWhat) {
  absl::Status status = MalformedUpstreamResponse(
      "GetTask", 200, "req-9",
      absl::InvalidArgumentError("createdAt: expected a string"));
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(status.message(), HasSubstr("createdAt: expected a string"));
  EXPECT_EQ(GetErrorInfo(status)->reason(), "UPSTREAM_MALFORMED_RESPONSE");
}

TEST(InvalidRequestTest, NamesEveryField) {
  absl::Status status = InvalidRequest(
      {{"task_id", "must not be empty"}, {"page_size", "must be 0..1000"}});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "invalid request: task_id: must not be empty; page_size: must be "
            "0..1000");
  absl::optional<google::rpc::BadRequest> bad = GetBadRequest(status);
  ASSERT_TRUE(bad.has_value());
  ASSERT_EQ(bad->field_violations_size(), 2);
  EXPECT_EQ(bad->field_violations(1).field(), "page_size");
}

// Regression (issue 8): an upstream that echoed the request's token in its
// error message made the bridge relay the token to callers and logs.
TEST(UpstreamHttpErrorTest, NeverRelaysTheRequestsSecrets) {
  absl::Status status = UpstreamHttpError(
      {.operation = "GetTask",
       .http_status = 401,
       .upstream_message = "token svc-secret-1 is not valid (svc-secret-1); "
                           "also pul-0123456789abcdef",
       .secrets = {"svc-secret-1", ""}});
  EXPECT_EQ(status.message(),
            "GetTask: Neo API returned HTTP 401: token [REDACTED] is not "
            "valid ([REDACTED]); also [REDACTED]");
  const absl::optional<google::rpc::ErrorInfo> info = GetErrorInfo(status);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->metadata().at("upstream_message"),
            "token [REDACTED] is not valid ([REDACTED]); also [REDACTED]");
}

TEST(GrpcStatusTest, PayloadsBecomeDetails) {
  absl::Status status = UpstreamHttpError(
      {.operation = "GetTask", .http_status = 404, .upstream_message = "nope"});
  grpc::Status grpc_status = ToGrpcStatus(status);
  EXPECT_EQ(grpc_status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(grpc_status.error_message(), status.message());
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(grpc_status.error_details()));
  EXPECT_EQ(details.code(), static_cast<int>(grpc::StatusCode::NOT_FOUND));
  ASSERT_EQ(details.details_size(), 1);
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(details.details(0).UnpackTo(&info));
  EXPECT_EQ(info.reason(), "UPSTREAM_NOT_FOUND");
}

TEST(GrpcStatusTest, OkIsOk) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
}

TEST(WithReasonTest, KeepsAnExistingErrorInfo) {
  absl::Status status = WithReason(
      UpstreamHttpError({.operation = "GetTask", .http_status = 404}),
      kReasonCancelled);
  EXPECT_EQ(GetErrorInfo(status)->reason(), "UPSTREAM_NOT_FOUND");
  EXPECT_EQ(
      GetErrorInfo(WithReason(absl::CancelledError("x"), kReasonCancelled))
          ->reason(),
      "CANCELLED");
  EXPECT_TRUE(WithReason(absl::OkStatus(), kReasonCancelled).ok());
}

}  // namespace
}  // namespace neobridge::status
