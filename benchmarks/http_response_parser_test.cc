#include "benchmarks/http_response_parser.h"

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace neobridge::bench {
namespace {

using ::testing::HasSubstr;

struct Parsed {
  absl::Status status;
  bool done = false;
  size_t consumed = 0;  // Bytes of the input that the response took.
  HttpResponseHead head;
};

// Feeds `wire` in pieces of `piece` bytes until the response is done.
Parsed FeedInPieces(absl::string_view wire, size_t piece) {
  HttpResponseParser parser;
  Parsed parsed;
  while (parsed.consumed < wire.size() && !parsed.done) {
    absl::string_view chunk = wire.substr(parsed.consumed, piece);
    size_t used = 0;
    parsed.status = parser.Feed(chunk, &used, &parsed.done);
    if (!parsed.status.ok()) return parsed;
    parsed.consumed += used;
    if (used < chunk.size() && !parsed.done) {
      parsed.status = absl::InternalError("stopped early without done");
      return parsed;
    }
  }
  parsed.head = parser.head();
  return parsed;
}

constexpr absl::string_view kNext = "HTTP/1.1 200 OK\r\n";

struct Case {
  const char* name;
  std::string wire;  // One response; kNext follows it on the wire.
  int status;
  bool keep_alive;
  int64_t body_bytes;
};

class CompleteResponses : public ::testing::TestWithParam<Case> {};

TEST_P(CompleteResponses, EndExactlyWhereTheResponseEndsForEverySplit) {
  const Case& c = GetParam();
  const std::string wire = c.wire + std::string(kNext);
  for (size_t piece = 1; piece <= wire.size(); ++piece) {
    Parsed parsed = FeedInPieces(wire, piece);
    ASSERT_TRUE(parsed.status.ok())
        << "piece " << piece << ": " << parsed.status;
    ASSERT_TRUE(parsed.done) << "piece " << piece;
    EXPECT_EQ(parsed.consumed, c.wire.size()) << "piece " << piece;
    EXPECT_EQ(parsed.head.status, c.status);
    EXPECT_EQ(parsed.head.keep_alive, c.keep_alive);
    EXPECT_EQ(parsed.head.body_bytes, c.body_bytes);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Framing, CompleteResponses,
    ::testing::Values(
        Case{"content_length",
             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
             "Content-Length: 11\r\n\r\n{\"id\":\"t1\"}",
             200, true, 11},
        Case{"empty_body",
             "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 404, true,
             0},
        Case{"chunked",
             "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
             "5\r\nhello\r\n1A;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n"
             "0\r\n\r\n",
             200, true, 31},
        Case{"chunked_with_trailers",
             "HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\n"
             "3\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n",
             200, true, 3},
        Case{"connection_close",
             "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n"
             "Content-Length: 2\r\n\r\nno",
             503, false, 2},
        Case{"http10_keep_alive",
             "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n"
             "Content-Length: 1\r\n\r\nx",
             200, true, 1},
        Case{"no_content", "HTTP/1.1 204 No Content\r\n\r\n", 204, true, 0}),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

TEST(HttpResponseParser, BodyUntilCloseEndsAtClose) {
  HttpResponseParser parser;
  const std::string wire = "HTTP/1.1 200 OK\r\n\r\npartial body";
  size_t used = 0;
  bool done = false;
  ASSERT_TRUE(parser.Feed(wire, &used, &done).ok());
  EXPECT_FALSE(done);
  EXPECT_EQ(used, wire.size());
  ASSERT_TRUE(parser.Close(&done).ok());
  EXPECT_TRUE(done);
  EXPECT_FALSE(parser.head().keep_alive);
  EXPECT_EQ(parser.head().body_bytes, 12);
}

TEST(HttpResponseParser, CloseMidResponseIsAnError) {
  HttpResponseParser parser;
  size_t used = 0;
  bool done = false;
  ASSERT_TRUE(parser
                  .Feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
                        &used, &done)
                  .ok());
  absl::Status status = parser.Close(&done);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("mid-response"));
}

TEST(HttpResponseParser, ResetParsesTheNextResponse) {
  HttpResponseParser parser;
  const std::string first = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na";
  const std::string second = "HTTP/1.1 404 X\r\nContent-Length: 2\r\n\r\nbc";
  const std::string wire = first + second;
  size_t used = 0;
  bool done = false;
  ASSERT_TRUE(parser.Feed(wire, &used, &done).ok());
  ASSERT_TRUE(done);
  ASSERT_EQ(used, first.size());
  parser.Reset();
  ASSERT_TRUE(
      parser.Feed(absl::string_view(wire).substr(used), &used, &done).ok());
  EXPECT_TRUE(done);
  EXPECT_EQ(used, second.size());
  EXPECT_EQ(parser.head().status, 404);
  EXPECT_EQ(parser.head().body_bytes, 2);
}

struct BadCase {
  const char* name;
  std::string wire;
  const char* message_part;
};

class MalformedResponses : public ::testing::TestWithParam<BadCase> {};

TEST_P(MalformedResponses, AreDataLoss) {
  HttpResponseParser parser;
  size_t used = 0;
  bool done = false;
  absl::Status status = parser.Feed(GetParam().wire, &used, &done);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr(GetParam().message_part));
}

INSTANTIATE_TEST_SUITE_P(
    Framing, MalformedResponses,
    ::testing::Values(
        BadCase{"not_http", "SSH-2.0-OpenSSH\r\n\r\n", "not an HTTP/1.x"},
        BadCase{"bad_status", "HTTP/1.1 2x0 OK\r\n\r\n", "bad status line"},
        BadCase{"bad_length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
                "bad Content-Length"},
        BadCase{"bad_header", "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n",
                "bad header line"},
        BadCase{"bad_chunk_size",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                "bad chunk size"},
        BadCase{"chunk_too_long",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                "1\r\nab\r\n",
                "longer than its size"}),
    [](const ::testing::TestParamInfo<BadCase>& info) {
      return info.param.name;
    });

}  // namespace
}  // namespace neobridge::bench
