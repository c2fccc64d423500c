// Unit tests of Metrics: what UpstreamObserver calls and build info look
// like in the text exposition, and the label-naming policy functions.
#include "bridge/metrics/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "bridge/metrics/grpc_server_metrics.h"
#include "bridge/metrics/test_util.h"

namespace neobridge::metrics {
namespace {

using ::grpc::experimental::ServerRpcInfo;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;
using testing::SampleValue;

TEST(MetricsTest, BuildInfoCarriesTheVersion) {
  Metrics metrics("1.2.3");
  EXPECT_THAT(SampleValue(metrics.TextExposition(),
                          R"(neobridge_build_info{version="1.2.3"})"),
              Optional(1.0));
}

TEST(MetricsTest, UpstreamRequestsByOperationMethodAndCode) {
  Metrics metrics("test");
  metrics.OnUpstreamRequest("GetTask", "GET", "200", absl::Milliseconds(20));
  metrics.OnUpstreamRequest("GetTask", "GET", "200", absl::Milliseconds(40));
  metrics.OnUpstreamRequest("GetTask", "GET", "404", absl::Seconds(3));
  metrics.OnUpstreamRequest("CreateTask", "POST", "UNAVAILABLE",
                            absl::Seconds(90));
  const std::string text = metrics.TextExposition();

  EXPECT_THAT(
      SampleValue(
          text,
          R"(neobridge_upstream_requests_total{code="200",method="GET",operation="GetTask"})"),
      Optional(2.0));
  EXPECT_THAT(
      SampleValue(
          text,
          R"(neobridge_upstream_requests_total{code="404",method="GET",operation="GetTask"})"),
      Optional(1.0));
  EXPECT_THAT(
      SampleValue(
          text,
          R"(neobridge_upstream_requests_total{code="UNAVAILABLE",method="POST",operation="CreateTask"})"),
      Optional(1.0));

  EXPECT_THAT(
      SampleValue(
          text,
          R"(neobridge_upstream_request_duration_seconds_count{method="GET",operation="GetTask"})"),
      Optional(3.0));
  EXPECT_THAT(
      SampleValue(
          text,
          R"(neobridge_upstream_request_duration_seconds_sum{method="GET",operation="GetTask"})"),
      Optional(::testing::DoubleNear(3.06, 1e-9)));
  EXPECT_THAT(
      SampleValue(
          text,
          R"(neobridge_upstream_request_duration_seconds_bucket{method="GET",operation="GetTask",le="0.05"})"),
      Optional(2.0));
  // CreateTask can take minutes: the buckets go up to 120 s.
  EXPECT_THAT(
      SampleValue(
          text,
          R"(neobridge_upstream_request_duration_seconds_bucket{method="POST",operation="CreateTask",le="60"})"),
      Optional(0.0));
  EXPECT_THAT(
      SampleValue(
          text,
          R"(neobridge_upstream_request_duration_seconds_bucket{method="POST",operation="CreateTask",le="120"})"),
      Optional(1.0));
}

TEST(MetricsTest, RetriesByOperationAndReason) {
  Metrics metrics("test");
  metrics.OnUpstreamRetry("ListTasks", "503");
  metrics.OnUpstreamRetry("ListTasks", "503");
  metrics.OnUpstreamRetry("ListTasks", "UNAVAILABLE");
  const std::string text = metrics.TextExposition();
  EXPECT_THAT(
      SampleValue(
          text,
          R"(neobridge_upstream_retries_total{operation="ListTasks",reason="503"})"),
      Optional(2.0));
  EXPECT_THAT(
      SampleValue(
          text,
          R"(neobridge_upstream_retries_total{operation="ListTasks",reason="UNAVAILABLE"})"),
      Optional(1.0));
}

TEST(MetricsTest, StreamReconnectsAndActiveStreams) {
  Metrics metrics("test");
  // Both exist from the start, at zero.
  EXPECT_THAT(SampleValue(metrics.TextExposition(),
                          "neobridge_stream_reconnects_total"),
              Optional(0.0));
  EXPECT_THAT(SampleValue(metrics.TextExposition(), "neobridge_active_streams"),
              Optional(0.0));

  metrics.OnStreamReconnect();
  metrics.OnStreamReconnect();
  metrics.OnActiveStreams(+1);
  metrics.OnActiveStreams(+1);
  metrics.OnActiveStreams(+1);
  metrics.OnActiveStreams(-1);
  std::string text = metrics.TextExposition();
  EXPECT_THAT(SampleValue(text, "neobridge_stream_reconnects_total"),
              Optional(2.0));
  EXPECT_THAT(SampleValue(text, "neobridge_active_streams"), Optional(2.0));

  metrics.OnActiveStreams(-1);
  metrics.OnActiveStreams(-1);
  EXPECT_THAT(SampleValue(metrics.TextExposition(), "neobridge_active_streams"),
              Optional(0.0));
}

TEST(MetricsTest, EveryFamilyHasHelpAndType) {
  Metrics metrics("test");
  // A family is exposed once it has a series. (The grpc_server_* families:
  // GrpcServerMetricsTest.EveryFamilyHasHelpAndType.)
  metrics.OnUpstreamRequest("GetTask", "GET", "200", absl::Milliseconds(1));
  metrics.OnUpstreamRetry("GetTask", "503");
  const std::string text = metrics.TextExposition();
  for (const char* family : {
           "neobridge_upstream_requests_total counter",
           "neobridge_upstream_request_duration_seconds histogram",
           "neobridge_upstream_retries_total counter",
           "neobridge_stream_reconnects_total counter",
           "neobridge_active_streams gauge",
           "neobridge_build_info gauge",
       }) {
    const std::string name =
        std::string(family).substr(0, std::string_view(family).find(' '));
    EXPECT_THAT(text, HasSubstr("# HELP " + name + " ")) << family;
    EXPECT_THAT(text, HasSubstr(std::string("# TYPE ") + family)) << family;
  }
}

TEST(GrpcCodeNameTest, GoNames) {
  const std::pair<grpc::StatusCode, std::string_view> cases[] = {
      {grpc::StatusCode::OK, "OK"},
      {grpc::StatusCode::CANCELLED, "Canceled"},
      {grpc::StatusCode::UNKNOWN, "Unknown"},
      {grpc::StatusCode::INVALID_ARGUMENT, "InvalidArgument"},
      {grpc::StatusCode::DEADLINE_EXCEEDED, "DeadlineExceeded"},
      {grpc::StatusCode::NOT_FOUND, "NotFound"},
      {grpc::StatusCode::ALREADY_EXISTS, "AlreadyExists"},
      {grpc::StatusCode::PERMISSION_DENIED, "PermissionDenied"},
      {grpc::StatusCode::RESOURCE_EXHAUSTED, "ResourceExhausted"},
      {grpc::StatusCode::FAILED_PRECONDITION, "FailedPrecondition"},
      {grpc::StatusCode::ABORTED, "Aborted"},
      {grpc::StatusCode::OUT_OF_RANGE, "OutOfRange"},
      {grpc::StatusCode::UNIMPLEMENTED, "Unimplemented"},
      {grpc::StatusCode::INTERNAL, "Internal"},
      {grpc::StatusCode::UNAVAILABLE, "Unavailable"},
      {grpc::StatusCode::DATA_LOSS, "DataLoss"},
      {grpc::StatusCode::UNAUTHENTICATED, "Unauthenticated"},
      // Outside the defined range: still a bounded label value.
      {static_cast<grpc::StatusCode>(17), "Unknown"},
      {static_cast<grpc::StatusCode>(-1), "Unknown"},
  };
  for (const auto& [code, name] : cases) {
    EXPECT_EQ(GrpcCodeName(code), name) << static_cast<int>(code);
  }
}

TEST(GrpcTypeNameTest, GoNames) {
  EXPECT_EQ(GrpcTypeName(ServerRpcInfo::Type::UNARY), "unary");
  EXPECT_EQ(GrpcTypeName(ServerRpcInfo::Type::CLIENT_STREAMING),
            "client_stream");
  EXPECT_EQ(GrpcTypeName(ServerRpcInfo::Type::SERVER_STREAMING),
            "server_stream");
  EXPECT_EQ(GrpcTypeName(ServerRpcInfo::Type::BIDI_STREAMING), "bidi_stream");
}

TEST(SplitFullMethodNameTest, SplitsServiceAndMethod) {
  std::optional<MethodName> name =
      SplitFullMethodName("/neobridge.v1.AgentTasksService/GetTask");
  ASSERT_TRUE(name.has_value());
  EXPECT_EQ(name->service, "neobridge.v1.AgentTasksService");
  EXPECT_EQ(name->method, "GetTask");
}

TEST(SplitFullMethodNameTest, RejectsOtherShapes) {
  for (const char* bad : {"", "/", "//", "/a/", "//b", "a/b", "/a", "/a/b/c",
                          "neobridge.v1.AgentTasksService/GetTask"}) {
    EXPECT_EQ(SplitFullMethodName(bad), std::nullopt) << bad;
  }
}

// The registry in the text exposition format.
std::string Text(const prometheus::Registry& registry) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry.Collect());
  return out.str();
}

TEST(GrpcServerMetricsTest, OnlyMethodsOfThisBinaryBecomeLabels) {
  prometheus::Registry registry;
  GrpcServerMetrics grpc_metrics(registry);
  // gRPC's health service. (Services found in protobuf's generated pool are
  // covered by grpc_server_metrics_test, which links one.)
  grpc_metrics
      .ForMethod("/grpc.health.v1.Health/Check", ServerRpcInfo::Type::UNARY)
      .OnStarted();
  // Names a caller made up.
  grpc_metrics
      .ForMethod("/acme.Secret/org-4711", ServerRpcInfo::Type::BIDI_STREAMING)
      .OnStarted();
  grpc_metrics.ForMethod("not a method", ServerRpcInfo::Type::BIDI_STREAMING)
      .OnStarted();
  const std::string text = Text(registry);
  EXPECT_THAT(
      SampleValue(
          text,
          R"(grpc_server_started_total{grpc_method="Check",grpc_service="grpc.health.v1.Health",grpc_type="unary"})"),
      Optional(1.0));
  EXPECT_THAT(
      SampleValue(
          text,
          R"(grpc_server_started_total{grpc_method="unknown",grpc_service="unknown",grpc_type="bidi_stream"})"),
      Optional(2.0));
  EXPECT_THAT(text, Not(HasSubstr("org-4711")));
  EXPECT_THAT(text, Not(HasSubstr("acme")));
}

TEST(GrpcServerMetricsTest, EveryFamilyHasHelpAndType) {
  prometheus::Registry registry;
  GrpcServerMetrics grpc_metrics(registry);
  grpc_metrics
      .ForMethod("/grpc.health.v1.Health/Check", ServerRpcInfo::Type::UNARY)
      .OnHandled(grpc::StatusCode::OK, absl::Milliseconds(1));
  const std::string text = Text(registry);
  for (const char* family : {
           "grpc_server_started_total counter",
           "grpc_server_handled_total counter",
           "grpc_server_handling_seconds histogram",
           "grpc_server_msg_received_total counter",
           "grpc_server_msg_sent_total counter",
       }) {
    const std::string name =
        std::string(family).substr(0, std::string_view(family).find(' '));
    EXPECT_THAT(text, HasSubstr("# HELP " + name + " ")) << family;
    EXPECT_THAT(text, HasSubstr(std::string("# TYPE ") + family)) << family;
  }
}

TEST(GrpcServerMetricsTest, HandledCountsEachCodeAndTimesUnaryCalls) {
  prometheus::Registry registry;
  GrpcServerMetrics grpc_metrics(registry);
  GrpcServerMetrics::MethodSeries& check = grpc_metrics.ForMethod(
      "/grpc.health.v1.Health/Check", ServerRpcInfo::Type::UNARY);
  check.OnHandled(grpc::StatusCode::OK, absl::Milliseconds(3));
  check.OnHandled(grpc::StatusCode::OK, absl::Milliseconds(30));
  check.OnHandled(grpc::StatusCode::NOT_FOUND, absl::Seconds(45));
  GrpcServerMetrics::MethodSeries& watch = grpc_metrics.ForMethod(
      "/grpc.health.v1.Health/Watch", ServerRpcInfo::Type::SERVER_STREAMING);
  watch.OnSent();
  watch.OnSent();
  watch.OnHandled(grpc::StatusCode::CANCELLED, absl::Minutes(10));
  const std::string text = Text(registry);
  constexpr char kCheck[] =
      R"(grpc_method="Check",grpc_service="grpc.health.v1.Health",grpc_type="unary")";
  constexpr char kWatch[] =
      R"(grpc_method="Watch",grpc_service="grpc.health.v1.Health",grpc_type="server_stream")";
  EXPECT_THAT(SampleValue(text, absl::StrCat("grpc_server_handled_total{",
                                             kCheck, R"(,grpc_code="OK"})")),
              std::nullopt)
      << "labels are sorted by name";
  EXPECT_THAT(
      SampleValue(text,
                  absl::StrCat(R"(grpc_server_handled_total{grpc_code="OK",)",
                               kCheck, "}")),
      Optional(2.0));
  EXPECT_THAT(
      SampleValue(
          text,
          absl::StrCat(R"(grpc_server_handled_total{grpc_code="NotFound",)",
                       kCheck, "}")),
      Optional(1.0));
  EXPECT_THAT(
      SampleValue(text, absl::StrCat("grpc_server_handling_seconds_count{",
                                     kCheck, "}")),
      Optional(3.0));
  EXPECT_THAT(
      SampleValue(text, absl::StrCat("grpc_server_handling_seconds_bucket{",
                                     kCheck, R"(,le="0.005"})")),
      Optional(1.0));
  EXPECT_THAT(
      SampleValue(text, absl::StrCat("grpc_server_handling_seconds_bucket{",
                                     kCheck, R"(,le="60"})")),
      Optional(3.0));
  EXPECT_THAT(
      SampleValue(
          text,
          absl::StrCat(R"(grpc_server_handled_total{grpc_code="Canceled",)",
                       kWatch, "}")),
      Optional(1.0));
  EXPECT_THAT(SampleValue(text, absl::StrCat("grpc_server_msg_sent_total{",
                                             kWatch, "}")),
              Optional(2.0));
  // Streams are not timed.
  EXPECT_THAT(text, Not(HasSubstr(absl::StrCat(
                        "grpc_server_handling_seconds_count{", kWatch))));
}

}  // namespace
}  // namespace neobridge::metrics
