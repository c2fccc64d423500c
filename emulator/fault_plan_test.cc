#include "emulator/fault_plan.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace neo_emulator {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

constexpr char kStreamPath[] =
    "/api/preview/agents/acme/tasks/t1/events/stream";

TEST(ParseFaultPlanTest, EmptyObjectAndNullsAreTheCleanPlan) {
  for (const char* text :
       {"{}", R"({"latencyMs": null, "stream": null, "fail": null})"}) {
    absl::StatusOr<FaultPlan> plan = ParseFaultPlan(text);
    ASSERT_TRUE(plan.ok()) << text << ": " << plan.status();
    EXPECT_EQ(*plan, FaultPlan{}) << text;
    EXPECT_EQ(FaultPlanToJson(*plan), Json::object());
  }
}

TEST(ParseFaultPlanTest, ReadsEveryKnob) {
  absl::StatusOr<FaultPlan> plan = ParseFaultPlan(R"({
    "latencyMs": 250,
    "stream": {"dropAfterEvents": 2, "dropMidFrame": true, "chunkBytes": 7,
               "lineEnding": "crlf", "times": 100,
               "malformed": {"afterEvents": 1, "kind": "truncatedJson"}},
    "fail": {"status": 429, "times": 3, "retryAfterSeconds": 5,
             "scope": "requests", "method": "POST",
             "path": "/api/preview/agents/*/tasks", "message": "slow down"}
  })");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->latency, absl::Milliseconds(250));
  ASSERT_TRUE(plan->stream.has_value());
  EXPECT_EQ(plan->stream->drop_after_events, 2);
  EXPECT_TRUE(plan->stream->drop_mid_frame);
  EXPECT_EQ(plan->stream->stall_after_events, std::nullopt);
  EXPECT_EQ(plan->stream->chunk_bytes, 7);
  EXPECT_EQ(plan->stream->line_ending, LineEnding::kCrLf);
  EXPECT_EQ(plan->stream->times, 100);
  ASSERT_TRUE(plan->stream->malformed.has_value());
  EXPECT_EQ(plan->stream->malformed->after_events, 1);
  EXPECT_EQ(plan->stream->malformed->kind, MalformedKind::kTruncatedJson);
  ASSERT_TRUE(plan->fail.has_value());
  EXPECT_EQ(plan->fail->status, 429);
  EXPECT_EQ(plan->fail->times, 3);
  EXPECT_EQ(plan->fail->retry_after_seconds, 5);
  EXPECT_EQ(plan->fail->scope, FailScope::kRequests);
  EXPECT_EQ(plan->fail->method, HttpMethod::kPost);
  EXPECT_EQ(plan->fail->path_pattern, "/api/preview/agents/*/tasks");
  EXPECT_EQ(plan->fail->message, "slow down");
}

TEST(ParseFaultPlanTest, Defaults) {
  absl::StatusOr<FaultPlan> plan = ParseFaultPlan(
      R"({"stream": {"malformed": {}}, "fail": {"status": 503}})");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->stream->line_ending, LineEnding::kLf);
  EXPECT_EQ(plan->stream->times, std::nullopt);  // Every stream.
  EXPECT_EQ(plan->stream->malformed->after_events, 0);
  EXPECT_EQ(plan->stream->malformed->kind, MalformedKind::kNotJson);
  EXPECT_EQ(plan->fail->times, 1);
  EXPECT_EQ(plan->fail->scope, FailScope::kStreamOpens);
  EXPECT_EQ(plan->fail->retry_after_seconds, std::nullopt);
  EXPECT_EQ(plan->fail->method, std::nullopt);
  EXPECT_EQ(plan->fail->path_pattern, "");
}

TEST(ParseFaultPlanTest, CustomMalformedData) {
  absl::StatusOr<FaultPlan> plan =
      ParseFaultPlan(R"({"stream": {"malformed": {"data": "{oops"}}})");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->stream->malformed->kind, MalformedKind::kCustom);
  EXPECT_EQ(MalformedData(*plan->stream->malformed), "{oops");
}

TEST(ParseFaultPlanTest, ErrorsNameTheField) {
  struct Case {
    const char* json;
    const char* message;
  };
  for (const Case& c : {
           Case{"", "fault plan is not valid JSON"},
           Case{"{", "fault plan is not valid JSON"},
           Case{"[]", "fault plan must be a JSON object"},
           Case{R"({"latency": 5})",
                "unknown field 'latency': allowed fields are latencyMs, "
                "stream, fail, body"},
           Case{R"({"latencyMs": -1})",
                "latencyMs must be an integer between 0 and 60000"},
           Case{R"({"latencyMs": 1.5})",
                "latencyMs must be an integer between 0 and 60000"},
           Case{R"({"latencyMs": "5"})",
                "latencyMs must be an integer between 0 and 60000"},
           Case{R"({"latencyMs": 60001})",
                "latencyMs must be an integer between 0 and 60000"},
           Case{R"({"latencyMs": 18446744073709551615})",
                "latencyMs must be an integer between 0 and 60000"},
           Case{R"({"stream": 1})", "stream must be an object"},
           Case{R"({"stream": {"bogus": 1}})",
                "unknown field 'stream.bogus': allowed fields are "
                "dropAfterEvents, dropMidFrame, stallAfterEvents, chunkBytes, "
                "lineEnding, malformed, times"},
           Case{R"({"stream": {"dropAfterEvents": -1}})",
                "stream.dropAfterEvents must be an integer between 0 and "
                "1000000"},
           Case{R"({"stream": {"stallAfterEvents": "2"}})",
                "stream.stallAfterEvents must be an integer between 0 and "
                "1000000"},
           Case{R"({"stream": {"chunkBytes": 0}})",
                "stream.chunkBytes must be an integer between 1 and 65536"},
           Case{R"({"stream": {"times": 0}})",
                "stream.times must be an integer between 1 and 1000000"},
           Case{R"({"stream": {"dropAfterEvents": 1, "dropMidFrame": 1}})",
                "stream.dropMidFrame must be a boolean"},
           Case{R"({"stream": {"dropMidFrame": true}})",
                "stream.dropMidFrame needs stream.dropAfterEvents"},
           Case{R"({"stream": {"dropAfterEvents": 1, "stallAfterEvents": 1}})",
                "stream.dropAfterEvents and stream.stallAfterEvents cannot "
                "both be set"},
           Case{R"({"stream": {"lineEnding": "lfcr"}})",
                "invalid stream.lineEnding 'lfcr': allowed values are lf, cr, "
                "crlf"},
           Case{R"({"stream": {"lineEnding": 1}})",
                "stream.lineEnding must be a string"},
           Case{R"({"stream": {"malformed": true}})",
                "stream.malformed must be an object"},
           Case{R"({"stream": {"malformed": {"at": 1}}})",
                "unknown field 'stream.malformed.at': allowed fields are "
                "afterEvents, kind, data"},
           Case{R"({"stream": {"malformed": {"kind": "xml"}}})",
                "invalid stream.malformed.kind 'xml': allowed values are "
                "notJson, truncatedJson"},
           Case{
               R"({"stream": {"malformed": {"kind": "notJson", "data": "x"}}})",
               "stream.malformed takes kind or data, not both"},
           Case{R"({"stream": {"malformed": {"data": "a\nb"}}})",
                "stream.malformed.data must be 1 to 65536 bytes without CR or "
                "LF"},
           Case{R"({"stream": {"malformed": {"data": ""}}})",
                "stream.malformed.data must be 1 to 65536 bytes"},
           Case{R"({"stream": {"malformed": {"afterEvents": -2}}})",
                "stream.malformed.afterEvents must be an integer between 0 "
                "and 1000000"},
           Case{R"({"fail": []})", "fail must be an object"},
           Case{R"({"fail": {}})",
                "fail.status is required: one of 429, 500, 502, 503, 504"},
           Case{R"({"fail": {"status": 404}})",
                "fail.status must be one of 429, 500, 502, 503, 504"},
           Case{R"({"fail": {"status": "429"}})",
                "fail.status must be one of 429, 500, 502, 503, 504"},
           Case{R"({"fail": {"status": 429, "times": 0}})",
                "fail.times must be an integer between 1 and 1000000"},
           Case{R"({"fail": {"status": 500, "retryAfterSeconds": 1}})",
                "fail.retryAfterSeconds is only allowed with status 429 or "
                "503"},
           Case{R"({"fail": {"status": 429, "retryAfterSeconds": -1}})",
                "fail.retryAfterSeconds must be an integer between 0 and "
                "86400"},
           Case{R"({"fail": {"status": 503, "scope": "all"}})",
                "invalid fail.scope 'all': allowed values are streamOpens, "
                "requests"},
           Case{R"({"fail": {"status": 503, "method": "GET"}})",
                "fail.method and fail.path need fail.scope \"requests\""},
           Case{R"({"fail": {"status": 503, "path": "/x"}})",
                "fail.method and fail.path need fail.scope \"requests\""},
           Case{R"({"fail": {"status": 503, "scope": "requests",
                             "method": "get"}})",
                "invalid fail.method 'get': allowed values are GET, POST, "
                "PATCH, PUT, DELETE, HEAD, OPTIONS"},
           Case{R"({"fail": {"status": 503, "scope": "requests",
                             "path": "api/*"}})",
                "fail.path must start with '/'"},
           Case{R"({"fail": {"status": 503, "scope": "requests", "path": ""}})",
                "fail.path must start with '/'"},
           Case{R"({"fail": {"status": 503, "message": 7}})",
                "fail.message must be a string"},
           Case{R"({"body": "truncated"})", "body must be an object"},
           Case{R"({"body": {}})",
                "body.kind is required: one of malformedJson, truncated, "
                "oversized"},
           Case{R"({"body": {"kind": "short"}})",
                "invalid body.kind 'short': allowed values are malformedJson, "
                "truncated, oversized"},
           Case{R"({"body": {"kind": "truncated", "bytes": 10}})",
                "body.bytes is only allowed with body.kind \"oversized\""},
           Case{R"({"body": {"kind": "oversized", "bytes": 0}})",
                "body.bytes must be an integer between 1 and 268435456"},
           Case{R"({"body": {"kind": "oversized", "times": 0}})",
                "body.times must be an integer between 1 and 1000000"},
           Case{R"({"body": {"kind": "truncated", "method": "get"}})",
                "invalid body.method 'get'"},
           Case{R"({"body": {"kind": "truncated", "path": "api"}})",
                "body.path must start with '/'"},
           Case{R"({"body": {"kind": "truncated", "status": 200}})",
                "unknown field 'body.status': allowed fields are kind, bytes, "
                "times, method, path"},
       }) {
    absl::StatusOr<FaultPlan> plan = ParseFaultPlan(c.json);
    ASSERT_FALSE(plan.ok()) << c.json;
    EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(plan.status().message(), HasSubstr(c.message)) << c.json;
  }
}

TEST(ValidateFaultPlanTest, ChecksPlansBuiltInCpp) {
  EXPECT_TRUE(ValidateFaultPlan({}).ok());
  EXPECT_TRUE(ValidateFaultPlan({.stream = StreamFaults{.drop_after_events = 0,
                                                        .times = 100}})
                  .ok());
  struct Case {
    FaultPlan plan;
    const char* message;
  };
  for (const Case& c : {
           Case{{.latency = absl::Milliseconds(-1)},
                "latencyMs must be an integer between 0 and 60000"},
           Case{{.latency = absl::Minutes(2)},
                "latencyMs must be an integer between 0 and 60000"},
           Case{{.stream = StreamFaults{.chunk_bytes = 0}},
                "stream.chunkBytes must be an integer between 1 and 65536"},
           Case{{.stream = StreamFaults{.times = -3}},
                "stream.times must be an integer between 1 and 1000000"},
           Case{{.stream = StreamFaults{.drop_mid_frame = true}},
                "stream.dropMidFrame needs stream.dropAfterEvents"},
           Case{{.stream =
                     StreamFaults{
                         .malformed =
                             MalformedFrame{.kind = MalformedKind::kCustom}}},
                "stream.malformed.data must be 1 to 65536 bytes"},
           Case{{.stream = StreamFaults{.malformed =
                                            MalformedFrame{
                                                .kind = MalformedKind::kNotJson,
                                 .data = "x"}}},
                "stream.malformed takes kind or data, not both"},
           Case{{.fail = RequestFailure{.status = 200}},
                "fail.status must be one of 429, 500, 502, 503, 504"},
           Case{{.fail = RequestFailure{.status = 429, .times = 0}},
                "fail.times must be an integer between 1 and 1000000"},
           Case{{.fail = RequestFailure{.status = 503,
                         .scope = FailScope::kRequests,
                         .method = HttpMethod::kOther}},
                "invalid fail.method"},
           Case{{.body = BodyFault{.kind = BodyFaultKind::kOversized,
                         .oversized_bytes = 0}},
                "body.bytes must be an integer between 1 and 268435456"},
           Case{{.body = BodyFault{.times = 0}},
                "body.times must be an integer between 1 and 1000000"},
           Case{{.body = BodyFault{.method = HttpMethod::kOther}},
                "invalid body.method"},
           Case{{.body = BodyFault{.path_pattern = "x"}},
                "body.path must start with '/'"},
       }) {
    absl::Status status = ValidateFaultPlan(c.plan);
    ASSERT_FALSE(status.ok()) << c.message;
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(status.message(), HasSubstr(c.message));
  }
}

TEST(FaultPlanToJsonTest, PrintsOnlySetFieldsAndRoundTrips) {
  for (const char* text : {
           R"({})",
           R"({"latencyMs": 250})",
           R"({"stream": {"stallAfterEvents": 0, "lineEnding": "cr"}})",
           R"({"stream": {"dropAfterEvents": 2, "dropMidFrame": true,
                          "chunkBytes": 1, "times": 100,
                          "malformed": {"afterEvents": 3, "data": "x y"}}})",
           R"({"stream": {"malformed": {"kind": "truncatedJson"}}})",
           R"({"fail": {"status": 429}})",
           R"({"fail": {"status": 503, "retryAfterSeconds": 0, "times": 4,
                        "scope": "requests", "method": "DELETE",
                        "path": "/api/*", "message": "m"}})",
           R"({"body": {"kind": "malformedJson"}})",
           R"({"body": {"kind": "truncated", "times": 3, "method": "GET",
                        "path": "/api/*"}})",
           R"({"body": {"kind": "oversized", "bytes": 1000}})",
       }) {
    absl::StatusOr<FaultPlan> plan = ParseFaultPlan(text);
    ASSERT_TRUE(plan.ok()) << text << ": " << plan.status();
    const Json printed = FaultPlanToJson(*plan);
    absl::StatusOr<FaultPlan> again = ParseFaultPlan(printed.dump());
    ASSERT_TRUE(again.ok()) << printed.dump() << ": " << again.status();
    EXPECT_EQ(*again, *plan) << printed.dump();
  }
  absl::StatusOr<FaultPlan> plan = ParseFaultPlan(
      R"({"stream": {"dropAfterEvents": 2, "times": 5},
          "fail": {"status": 429}})");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(FaultPlanToJson(*plan),
            Json::parse(R"({"stream": {"dropAfterEvents": 2, "times": 5},
                            "fail": {"status": 429, "times": 1,
                                     "scope": "streamOpens"}})"));
}

TEST(ParseFaultPlanTest, ReadsBodyFaults) {
  absl::StatusOr<FaultPlan> plan = ParseFaultPlan(
      R"({"body": {"kind": "oversized", "bytes": 4096, "times": 2,
                   "method": "GET", "path": "/api/preview/agents/*"}})");
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_TRUE(plan->body.has_value());
  EXPECT_EQ(plan->body->kind, BodyFaultKind::kOversized);
  EXPECT_EQ(plan->body->oversized_bytes, 4096);
  EXPECT_EQ(plan->body->times, 2);
  EXPECT_EQ(plan->body->method, HttpMethod::kGet);
  EXPECT_EQ(plan->body->path_pattern, "/api/preview/agents/*");

  absl::StatusOr<FaultPlan> defaults =
      ParseFaultPlan(R"({"body": {"kind": "truncated"}})");
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->body->kind, BodyFaultKind::kTruncated);
  EXPECT_EQ(defaults->body->times, 1);
  EXPECT_EQ(defaults->body->method, std::nullopt);
  EXPECT_EQ(defaults->body->path_pattern, "");
  // Over the bridge's default 16 MiB response cap.
  EXPECT_EQ(defaults->body->oversized_bytes, (16 << 20) + 1);
  EXPECT_EQ(FaultPlanToJson(*defaults),
            Json::parse(R"({"body": {"kind": "truncated", "times": 1}})"));
}

TEST(BodyFaultMatchesTest, MatchesMethodAndPatternButNeverStreams) {
  const BodyFault any{.kind = BodyFaultKind::kMalformedJson};
  EXPECT_TRUE(BodyFaultMatches(any, HttpMethod::kGet,
                               "/api/preview/agents/acme/tasks/t1"));
  EXPECT_TRUE(BodyFaultMatches(any, HttpMethod::kPost,
                               "/api/preview/agents/acme/tasks"));
  EXPECT_FALSE(BodyFaultMatches(any, HttpMethod::kGet, kStreamPath));
  const BodyFault gets{.method = HttpMethod::kGet,
                       .path_pattern = "/api/preview/agents/*/tasks/t1"};
  EXPECT_TRUE(BodyFaultMatches(gets, HttpMethod::kGet,
                               "/api/preview/agents/acme/tasks/t1"));
  EXPECT_FALSE(BodyFaultMatches(gets, HttpMethod::kPatch,
                                "/api/preview/agents/acme/tasks/t1"));
  EXPECT_FALSE(BodyFaultMatches(gets, HttpMethod::kGet,
                                "/api/preview/agents/acme/tasks/t2"));
}

TEST(MalformedJsonBodyTest, IsNotJson) {
  EXPECT_TRUE(Json::parse(MalformedJsonBody(), nullptr, false).is_discarded());
}

TEST(FailureMatchesTest, StreamOpensMatchOnlyGetOnTheStreamRoute) {
  const RequestFailure failure{.status = 503};
  EXPECT_TRUE(FailureMatches(failure, HttpMethod::kGet, kStreamPath));
  EXPECT_FALSE(FailureMatches(failure, HttpMethod::kPost, kStreamPath));
  EXPECT_FALSE(FailureMatches(failure, HttpMethod::kGet,
                              "/api/preview/agents/acme/tasks/t1/events"));
  EXPECT_FALSE(FailureMatches(failure, HttpMethod::kGet,
                              "/api/preview/agents/acme/tasks"));
  EXPECT_FALSE(FailureMatches(failure, HttpMethod::kGet, "/elsewhere/stream"));
}

TEST(FailureMatchesTest, RequestsMatchMethodAndPattern) {
  const RequestFailure any{.status = 500, .scope = FailScope::kRequests};
  EXPECT_TRUE(FailureMatches(any, HttpMethod::kPatch, "/anything"));
  const RequestFailure posts{.status = 500,
                             .scope = FailScope::kRequests,
                             .method = HttpMethod::kPost,
                             .path_pattern = "/api/preview/agents/*/tasks"};
  EXPECT_TRUE(FailureMatches(posts, HttpMethod::kPost,
                             "/api/preview/agents/acme/tasks"));
  EXPECT_FALSE(FailureMatches(posts, HttpMethod::kGet,
                              "/api/preview/agents/acme/tasks"));
  EXPECT_FALSE(FailureMatches(posts, HttpMethod::kPost,
                              "/api/preview/agents/acme/tasks/t1"));
}

TEST(PathPatternMatchesTest, StarMatchesAnyRun) {
  struct Case {
    const char* pattern;
    const char* path;
    bool matches;
  };
  for (const Case& c : {
           Case{"", "", true},
           Case{"", "/a", false},
           Case{"*", "", true},
           Case{"*", "/a/b", true},
           Case{"/a", "/a", true},
           Case{"/a", "/ab", false},
           Case{"/a*", "/ab/c", true},
           Case{"*/stream", "/x/events/stream", true},
           Case{"*/stream", "/x/events/streams", false},
           Case{"/api/*/tasks/*", "/api/acme/tasks/t1/events", true},
           Case{"/api/*/tasks", "/api/acme/tasks/t1", false},
           Case{"/a*b*c", "/aXbYbZc", true},
           Case{"/a*b*c", "/aXbYc/d", false},
           Case{"**", "/x", true},
       }) {
    EXPECT_EQ(PathPatternMatches(c.pattern, c.path), c.matches)
        << c.pattern << " vs " << c.path;
  }
}

TEST(MalformedDataTest, BuiltInPayloadsAreNotJson) {
  const std::string not_json = MalformedData({.kind = MalformedKind::kNotJson});
  const std::string truncated =
      MalformedData({.kind = MalformedKind::kTruncatedJson});
  for (const std::string& data : {not_json, truncated}) {
    EXPECT_TRUE(Json::parse(data, nullptr, false).is_discarded()) << data;
    EXPECT_EQ(data.find_first_of("\r\n"), std::string::npos);
  }
  EXPECT_EQ(truncated.front(), '{');
  EXPECT_EQ(not_json, "this is not json");
}

}  // namespace
}  // namespace neo_emulator
