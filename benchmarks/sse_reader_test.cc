#include "benchmarks/sse_reader.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace neobridge::bench {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr absl::string_view kChunkedHead =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
    "Transfer-Encoding: chunked\r\nCache-Control: no-cache\r\n\r\n";

std::string Chunk(absl::string_view data) {
  return absl::StrCat(absl::Hex(data.size()), "\r\n", data, "\r\n");
}

struct Read {
  absl::Status status;
  std::vector<std::string> data;
  std::vector<std::string> comments;
  int status_code = 0;
  bool ended = false;
};

// Feeds `wire` in pieces of `piece` bytes.
Read FeedInPieces(absl::string_view wire, size_t piece) {
  Read read;
  SseResponseReader reader(
      [&](absl::string_view data) { read.data.emplace_back(data); },
      [&](absl::string_view comment) { read.comments.emplace_back(comment); });
  for (size_t at = 0; at < wire.size() && read.status.ok(); at += piece) {
    read.status = reader.Feed(wire.substr(at, piece));
  }
  read.status_code = reader.status();
  read.ended = reader.ended();
  return read;
}

TEST(SseResponseReaderTest, ChunkedEventsAndHeartbeatsInAnySplit) {
  const std::string wire = absl::StrCat(
      kChunkedHead, Chunk("id: e1\ndata: {\"a\":1}\n\n"),
      Chunk(": heartbeat\n\n"),
      // One event over three chunks, with CRLF line endings.
      Chunk("id: e2\r\nda"), Chunk("ta: line one\r\ndata: line two\r"),
      Chunk("\n\r\n"), "0\r\n\r\n");
  for (size_t piece : {size_t{1}, size_t{2}, size_t{7}, wire.size()}) {
    SCOPED_TRACE(piece);
    Read read = FeedInPieces(wire, piece);
    ASSERT_TRUE(read.status.ok()) << read.status;
    EXPECT_EQ(read.status_code, 200);
    EXPECT_THAT(read.data, ElementsAre("{\"a\":1}", "line one\nline two"));
    EXPECT_THAT(read.comments, ElementsAre("heartbeat"));
    EXPECT_TRUE(read.ended);
  }
}

TEST(SseResponseReaderTest, UnchunkedBodyRunsUntilClose) {
  Read read = FeedInPieces(
      "HTTP/1.1 200 OK\nContent-Type: text/event-stream\n\ndata:x\n\ndata: y\n",
      3);
  ASSERT_TRUE(read.status.ok()) << read.status;
  EXPECT_THAT(read.data, ElementsAre("x"));  // "y" has no blank line yet.
  EXPECT_FALSE(read.ended);
}

TEST(SseResponseReaderTest, NonOkStatusAndMalformedChunksAreErrors) {
  Read refused =
      FeedInPieces("HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}", 5);
  EXPECT_EQ(refused.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.status.message(), "HTTP 404 instead of 200");
  EXPECT_EQ(refused.status_code, 404);

  Read garbage = FeedInPieces("SSH-2.0-OpenSSH\r\n\r\n", 64);
  EXPECT_THAT(garbage.status.message(), HasSubstr("malformed status line"));

  Read bad_size =
      FeedInPieces(absl::StrCat(kChunkedHead, "zz\r\ndata: x\n\n\r\n"), 64);
  EXPECT_THAT(bad_size.status.message(),
              HasSubstr("malformed chunk size 'zz'"));

  Read too_long = FeedInPieces(absl::StrCat(kChunkedHead, "2\r\nabc\r\n"), 64);
  EXPECT_EQ(too_long.status.message(), "chunk data longer than its size");
}

}  // namespace
}  // namespace neobridge::bench
