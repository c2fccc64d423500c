#include "bridge/sse/sse_parser.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace neobridge::sse {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;
using namespace std::string_literals;

constexpr size_t kDefaultMax = SseParserOptions().max_event_bytes;
constexpr char kFffd[] = "\xEF\xBF\xBD";  // U+FFFD as UTF-8.

// Control, quote, backslash and non-ASCII bytes escaped, so a failure
// message shows exactly which bytes differ. Injective.
std::string Escape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    const auto b = static_cast<uint8_t>(c);
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (b < 0x20 || b >= 0x7F) {
      out += "\\x";
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
    } else {
      out += c;
    }
  }
  return out;
}

// What a visitor saw, one string per callback.
std::string Ev(std::string_view id, std::string_view type,
               std::string_view data) {
  return "event id=\"" + Escape(id) + "\" type=\"" + Escape(type) +
         "\" data=\"" + Escape(data) + "\"";
}
std::string Msg(std::string_view data) { return Ev("", "message", data); }
std::string Comment(std::string_view text) {
  return "comment \"" + Escape(text) + "\"";
}
std::string Retry(int64_t ms) { return "retry " + std::to_string(ms); }

// Records callbacks either formatted as above (readable, for expectations)
// or as a cheap length-prefixed raw log (for the many split comparisons).
class Recorder final : public SseVisitor {
 public:
  explicit Recorder(bool formatted = true) : formatted_(formatted) {}

  void OnEvent(const SseEvent& event) override {
    if (formatted_) {
      items.push_back(Ev(event.id, event.type, event.data));
    } else {
      AddRaw('E', event.id);
      AddRaw('T', event.type);
      AddRaw('D', event.data);
    }
  }
  void OnComment(std::string_view text) override {
    if (formatted_) {
      items.push_back(Comment(text));
    } else {
      AddRaw('C', text);
    }
  }
  void OnRetry(int64_t milliseconds) override {
    if (formatted_) {
      items.push_back(Retry(milliseconds));
    } else {
      AddRaw('R', std::to_string(milliseconds));
    }
  }
  void AddViolation(std::string_view what) {
    if (formatted_) {
      items.push_back("VIOLATION: " + std::string(what));
    } else {
      AddRaw('V', what);
    }
  }
  size_t size() const { return formatted_ ? items.size() : raw.size(); }

  std::vector<std::string> items;  // When formatted.
  std::string raw;                 // Otherwise.

 private:
  void AddRaw(char kind, std::string_view text) {
    raw += kind;
    raw += std::to_string(text.size());
    raw += ':';
    raw.append(text);
  }

  bool formatted_;
};

std::string EndText(const absl::StatusOr<SseStreamEnd>& end) {
  if (!end.ok()) return end.status().ToString();
  return *end == SseStreamEnd::kClean ? "clean" : "partial event discarded";
}

// Everything observable about parsing one stream.
struct Outcome {
  std::vector<std::string> items;  // When parsed with `formatted`.
  std::string raw;                 // Otherwise.
  std::string end;                 // EndText of Finish.
  std::string last_event_id;
};

// Feeds `chunks` in order (all of them, even after a failure), then Finish.
// Contract violations seen on the way are recorded as items, so that they
// fail the comparison with the expected outcome.
Outcome ParseChunks(const std::vector<std::string_view>& chunks, size_t max,
                    bool formatted = true) {
  SseParser parser(SseParserOptions{.max_event_bytes = max});
  Recorder recorder(formatted);
  for (const std::string_view chunk : chunks) {
    const absl::Status before = parser.status();
    const size_t seen = recorder.size();
    const absl::Status status = parser.Feed(chunk, recorder);
    if (status != parser.status()) {
      recorder.AddViolation("Feed result != status()");
    }
    if (!before.ok() && (status != before || recorder.size() != seen)) {
      recorder.AddViolation("failed parser changed");
    }
  }
  Outcome outcome;
  outcome.end = EndText(parser.Finish());
  outcome.items = std::move(recorder.items);
  outcome.raw = std::move(recorder.raw);
  outcome.last_event_id = std::string(parser.last_event_id());
  return outcome;
}

::testing::AssertionResult SameOutcome(const Outcome& want,
                                       const Outcome& got) {
  if (want.items == got.items && want.end == got.end &&
      want.last_event_id == got.last_event_id) {
    return ::testing::AssertionSuccess();
  }
  auto failure = ::testing::AssertionFailure();
  failure << "\nwant:";
  for (const std::string& item : want.items) failure << "\n  " << item;
  failure << "\n  end: " << want.end
          << "\n  last_event_id: " << Escape(want.last_event_id) << "\ngot:";
  for (const std::string& item : got.items) failure << "\n  " << item;
  failure << "\n  end: " << got.end
          << "\n  last_event_id: " << Escape(got.last_event_id);
  return failure;
}

// One test stream and what parsing it must give, however it is chunked.
struct StreamCase {
  std::string name;
  std::string input;
  std::vector<std::string> expected;
  SseStreamEnd end = SseStreamEnd::kClean;
  std::string last_event_id;
  size_t max_event_bytes = kDefaultMax;
  // When set, Finish fails with RESOURCE_EXHAUSTED and this message prefix.
  std::string error;
};

// Names the case in gtest output instead of dumping its bytes.
void PrintTo(const StreamCase& c, std::ostream* os) { *os << c.name; }

std::string Uuid(int n) {
  std::string tail = std::to_string(100000000000 + n);
  return "3b241101-e2bb-4255-8caf-" + tail.substr(0, 12);
}

std::string NeoJson(const std::string& id, int n) {
  return R"({"id":")" + id +
         R"(","type":"agentResponse","timestamp":"2025-05-01T12:00:0)" +
         std::to_string(n % 10) + R"(Z","content":"step \")" +
         std::to_string(n) + R"(\" done"})";
}

// Forty-eight Neo-like frames with heartbeats, rotating line ends and
// multi-line data; the expected result is built alongside, not by a parser.
StreamCase LongStream() {
  StreamCase c{.name = "long_stream_rotating_line_ends"};
  const char* const kEol[] = {"\n", "\r\n", "\r"};
  std::string last_id;
  for (int k = 0; k < 48; ++k) {
    const std::string eol = kEol[k % 3];
    if (k % 7 == 3) {
      c.input += ": heartbeat" + eol + eol;
      c.expected.push_back(Comment(" heartbeat"));
      continue;
    }
    std::string data = NeoJson(Uuid(k), k);
    if (k % 11 == 0) {
      last_id = Uuid(k);
      c.input += "id: " + last_id + eol;
    }
    c.input += "data: " + data + eol;
    if (k % 10 == 4) {
      c.input += "data:" + eol + "data:  more" + eol;
      data += "\n\n more";
    }
    c.input += eol;
    c.expected.push_back(Ev(last_id, "message", data));
  }
  c.last_event_id = last_id;
  return c;
}

StreamCase NeoFrames() {
  const std::string a = Uuid(1);
  const std::string b = Uuid(2);
  return {
      .name = "neo_frames",
      .input = "id: " + a + "\ndata: " + NeoJson(a, 1) +
               "\n\n: heartbeat\n\n: heartbeat\n\nid: " + b +
               "\ndata: " + NeoJson(b, 2) + "\n\n",
      .expected = {Ev(a, "message", NeoJson(a, 1)), Comment(" heartbeat"),
                   Comment(" heartbeat"), Ev(b, "message", NeoJson(b, 2))},
      .last_event_id = b,
  };
}

std::vector<StreamCase> Cases() {
  const std::string fffd = kFffd;
  const std::string kEventTooLarge = "SSE event exceeds 5 bytes: its data";
  const std::string kLineTooLong =
      "SSE event exceeds 5 bytes: a field name, field value or comment";
  constexpr SseStreamEnd kPartial = SseStreamEnd::kPartialEventDiscarded;
  return {
      // Line ends.
      {.name = "empty_stream", .input = ""},
      {.name = "lf_single_event",
       .input = "data: hello\n\n",
       .expected = {Msg("hello")}},
      {.name = "lf_two_events",
       .input = "data: 1\n\ndata: 2\n\n",
       .expected = {Msg("1"), Msg("2")}},
      {.name = "cr_line_ends",
       .input = "data: a\rdata: b\r\rdata: c\r\r",
       .expected = {Msg("a\nb"), Msg("c")}},
      {.name = "crlf_line_ends",
       .input = "data: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n",
       .expected = {Msg("a\nb"), Msg("c")}},
      {.name = "mixed_line_ends",
       .input = "data: a\rdata: b\ndata: c\r\n\ndata: d\n\r\n",
       .expected = {Msg("a\nb\nc"), Msg("d")}},
      {.name = "cr_cr_lf_is_line_then_blank_line",
       .input = "data: a\r\r\n",
       .expected = {Msg("a")}},
      {.name = "lf_cr_is_two_line_ends",
       .input = "data: a\n\rdata: b\n\n",
       .expected = {Msg("a"), Msg("b")}},
      {.name = "extra_blank_lines_dispatch_nothing",
       .input = "\n\r\n\rdata: a\r\n\r\n\r\n\n\r",
       .expected = {Msg("a")}},

      // Byte order mark.
      {.name = "bom_skipped",
       .input = "\xEF\xBB\xBF"
                "data: a\n\n",
       .expected = {Msg("a")}},
      {.name = "bom_then_comment",
       .input = "\xEF\xBB\xBF: hi\n",
       .expected = {Comment(" hi")}},
      {.name = "bom_only", .input = "\xEF\xBB\xBF"},
      {.name = "second_bom_belongs_to_field_name",
       .input = "\xEF\xBB\xBF\xEF\xBB\xBF"
                "data: 1\n\ndata: 2\n\n",
       .expected = {Msg("2")}},
      {.name = "bom_after_start_belongs_to_field_name",
       .input = "data: 1\n\n\xEF\xBB\xBF"
                "data: 2\n\n",
       .expected = {Msg("1")}},
      {.name = "bom_in_value_is_data",
       .input = "data: \xEF\xBB\xBFx\n\n",
       .expected = {Msg("\xEF\xBB\xBFx")}},
      {.name = "partial_bom_starts_the_first_line",
       .input = "\xEF\xBB"
                "data: 1\n\ndata: 2\n\n",
       .expected = {Msg("2")}},
      {.name = "partial_bom_then_colon_is_a_field_not_a_comment",
       .input = "\xEF: x\ndata: 2\n\n",
       .expected = {Msg("2")}},
      {.name = "partial_bom_at_end", .input = "\xEF\xBB", .end = kPartial},

      // Comments.
      {.name = "comment_heartbeat",
       .input = ": heartbeat\n\n",
       .expected = {Comment(" heartbeat")}},
      {.name = "comment_forms",
       .input = ":\n:no space\r\n::double\r: \xE2\x9C\x93\n",
       .expected = {Comment(""), Comment("no space"), Comment(":double"),
                    Comment(" \xE2\x9C\x93")}},
      {.name = "comment_inside_event",
       .input = "data: a\n: keepalive\ndata: b\n\n",
       .expected = {Comment(" keepalive"), Msg("a\nb")}},

      // Fields and values.
      {.name = "field_without_colon_has_empty_value",
       .input = "data\n\ndata\ndata\n\nevent\ndata: x\n\n",
       .expected = {Msg(""), Msg("\n"), Msg("x")}},
      {.name = "leading_space_stripped_exactly_once",
       .input = "data:no\n\ndata: one\n\ndata:  two\n\ndata: \n\n"
                "data:\t tab\n\n",
       .expected = {Msg("no"), Msg("one"), Msg(" two"), Msg(""),
                    Msg("\t tab")}},
      {.name = "colons_in_value_kept",
       .input = "data: a: b:c\n\n",
       .expected = {Msg("a: b:c")}},
      {.name = "multi_line_data",
       .input = "data: {\ndata:   \"a\": 1,\ndata:\ndata: }\n\n",
       .expected = {Msg("{\n  \"a\": 1,\n\n}")}},
      {.name = "nul_in_data_kept",
       .input = "data: a\0b\n\n"s,
       .expected = {Msg("a\0b"s)}},
      {.name = "unknown_fields_ignored",
       .input = "foo: bar\nData: x\nDATA: y\ndata : z\n data: w\ndatax: v\n"
                "id : 4\nevents: e\nretry : 1\nverylongfieldname: 1\n"
                "data: a\n\n",
       .expected = {Msg("a")}},
      {.name = "unknown_field_alone_is_clean", .input = "foo: bar\n"},

      // Event type.
      {.name = "event_names",
       .input = "event: add\ndata: 1\n\nevent: remove\ndata: 2\n\n"
                "data: 3\n\n",
       .expected = {Ev("", "add", "1"), Ev("", "remove", "2"), Msg("3")}},
      {.name = "event_name_last_wins_and_empty_means_message",
       .input = "event: a\nevent: b\ndata: 1\n\nevent: x\nevent:\n"
                "data: 2\n\n",
       .expected = {Ev("", "b", "1"), Msg("2")}},
      {.name = "event_without_data_resets_type",
       .input = "event: lost\n\ndata: 1\n\n",
       .expected = {Msg("1")}},

      // Last event ID.
      {.name = "id_persists_across_events",
       .input = "id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\n",
       .expected = {Ev("1", "message", "a"), Ev("1", "message", "b"),
                    Ev("2", "message", "c")},
       .last_event_id = "2"},
      {.name = "id_empty_resets",
       .input = "id: 1\ndata: a\n\nid:\ndata: b\n\ndata: c\n\n",
       .expected = {Ev("1", "message", "a"), Msg("b"), Msg("c")}},
      {.name = "id_without_colon_resets",
       .input = "id: 5\n\nid\ndata: x\n\n",
       .expected = {Msg("x")}},
      {.name = "id_only_block_updates_buffer",
       .input = "id: 7\n\ndata: a\n\n",
       .expected = {Ev("7", "message", "a")},
       .last_event_id = "7"},
      {.name = "id_with_nul_ignored",
       .input = "id: 1\n\nid: 2\0x\ndata: a\n\nid: \0\ndata: b\n\n"s,
       .expected = {Ev("1", "message", "a"), Ev("1", "message", "b")},
       .last_event_id = "1"},
      {.name = "id_value_verbatim_after_one_space",
       .input = "id:  spaced \ndata: a\n\n",
       .expected = {Ev(" spaced ", "message", "a")},
       .last_event_id = " spaced "},
      {.name = "id_after_data_applies_to_that_event",
       .input = "data: a\nid: 9\n\n",
       .expected = {Ev("9", "message", "a")},
       .last_event_id = "9"},

      // Retry.
      {.name = "retry_digits",
       .input = "retry: 1000\nretry:0\nretry: 007\n"
                "retry: 9223372036854775807\n"
                "retry: 00000000000000000000000000042\n",
       .expected = {Retry(1000), Retry(0), Retry(7),
                    Retry(std::numeric_limits<int64_t>::max()), Retry(42)}},
      {.name = "retry_not_digits_ignored",
       .input = "retry: 1e3\nretry: -1\nretry:  10\nretry: 10 \nretry:\n"
                "retry\nretry: +5\nretry: 0x10\nretry: \xD9\xA1\n"
                "retry: 9223372036854775808\n"
                "retry: 99999999999999999999999\n"},
      {.name = "retry_does_not_dispatch",
       .input = "data: a\nretry: 5\n\n",
       .expected = {Retry(5), Msg("a")}},

      // Empty data, end of stream.
      {.name = "empty_data_not_dispatched",
       .input = "\n\nevent: x\n\nid: 3\n\n",
       .last_event_id = "3"},
      {.name = "unterminated_event_discarded",
       .input = "data: a\n\ndata: b\n",
       .expected = {Msg("a")},
       .end = kPartial},
      {.name = "unterminated_line_discarded",
       .input = "data: a\n\ndata: b",
       .expected = {Msg("a")},
       .end = kPartial},
      {.name = "unterminated_cr_event_discarded",
       .input = "data: x\r",
       .end = kPartial},
      {.name = "unterminated_comment_discarded",
       .input = ": c",
       .end = kPartial},
      {.name = "unterminated_retry_discarded",
       .input = "retry: 5",
       .end = kPartial},
      {.name = "undispatched_id_discarded",
       .input = "id: 1\n\ndata: a\n\nid: 2\n",
       .expected = {Ev("1", "message", "a")},
       .end = kPartial,
       .last_event_id = "1"},
      {.name = "trailing_comment_and_retry_are_clean",
       .input = "data: a\n\n: bye\nretry: 10\nfoo: bar\n",
       .expected = {Msg("a"), Comment(" bye"), Retry(10)}},

      // UTF-8 decoding with replacement.
      {.name = "utf8_valid_kept",
       .input = "event: \xC3\xA9\ndata: \xE2\x82\xAC \xF0\x9F\x98\x80\n\n",
       .expected = {Ev("", "\xC3\xA9", "\xE2\x82\xAC \xF0\x9F\x98\x80")}},
      {.name = "utf8_invalid_replaced",
       .input = "data: a\xFF"
                "b\n\ndata: \xE2\x82x\n\ndata: \xED\xA0\x80\n\n"
                "data: \xF4\x90\x80\x80\n\ndata: \xC0\xAF\n\n",
       .expected = {Msg("a" + fffd + "b"), Msg(fffd + "x"),
                    Msg(fffd + fffd + fffd), Msg(fffd + fffd + fffd + fffd),
                    Msg(fffd + fffd)}},
      {.name = "utf8_cut_by_line_end",
       .input = "data: \xE2\x82\rdata: \xE2\n\n",
       .expected = {Msg(fffd + "\n" + fffd)}},
      {.name = "utf8_invalid_in_type_id_and_comment",
       .input = "event: \xFF\nid: \xC3\ndata: 1\n\n:\xE0\x80\n",
       .expected = {Ev(fffd, fffd, "1"), Comment(fffd + fffd)},
       .last_event_id = fffd},

      // Streams.
      NeoFrames(),
      LongStream(),
      {.name = "long_line",
       .input = "data: " + std::string(3000, 'x') + "\n\n",
       .expected = {Msg(std::string(3000, 'x'))}},

      // max_event_bytes = 5 unless stated.
      {.name = "limit_exact_data",
       .input = "data: 12345\n\n",
       .expected = {Msg("12345")},
       .max_event_bytes = 5},
      {.name = "limit_plus_one_data",
       .input = "data: 1\n\ndata: 123456\n\ndata: 2\n\n",
       .expected = {Msg("1")},
       .max_event_bytes = 5,
       .error = kEventTooLarge},
      {.name = "limit_exact_multi_line",
       .input = "data: 12\ndata: 34\n\n",
       .expected = {Msg("12\n34")},
       .max_event_bytes = 5},
      {.name = "limit_counts_joining_newline",
       .input = "data: 12\ndata: 345\n\n",
       .max_event_bytes = 5,
       .error = kEventTooLarge},
      {.name = "limit_joining_newline_alone_exceeds",
       .input = "data: 12345\ndata\n\n",
       .max_event_bytes = 5,
       .error = kEventTooLarge},
      {.name = "limit_exact_data_plus_type",
       .input = "event: ab\ndata: 123\n\ndata: 123\nevent: ab\n\n",
       .expected = {Ev("", "ab", "123"), Ev("", "ab", "123")},
       .max_event_bytes = 5},
      {.name = "limit_type_then_data_exceeds",
       .input = "event: abc\ndata: 123\n\n",
       .max_event_bytes = 5,
       .error = kEventTooLarge},
      {.name = "limit_data_then_type_exceeds",
       .input = "data: 123\nevent: abc\n\n",
       .max_event_bytes = 5,
       .error = kEventTooLarge},
      {.name = "limit_is_per_event",
       .input = "event: ab\ndata: 123\n\nevent: cd\ndata: 456\n\n",
       .expected = {Ev("", "ab", "123"), Ev("", "cd", "456")},
       .max_event_bytes = 5},
      {.name = "limit_comment",
       .input = ":12345\n:123456\n",
       .expected = {Comment("12345")},
       .max_event_bytes = 5,
       .error = kLineTooLong},
      {.name = "limit_id",
       .input = "id: abcde\ndata: x\n\nid: abcdef\n",
       .expected = {Ev("abcde", "message", "x")},
       .last_event_id = "abcde",
       .max_event_bytes = 5,
       .error = kLineTooLong},
      {.name = "limit_field_name",
       .input = "abcde: x\nabcdef: x\n",
       .max_event_bytes = 5,
       .error = kLineTooLong},
      {.name = "limit_unterminated_field_name",
       .input = "abcdef",
       .max_event_bytes = 5,
       .error = kLineTooLong},
      {.name = "limit_ignored_value",
       .input = "x: 12345\nx: 123456\n",
       .max_event_bytes = 5,
       .error = kLineTooLong},
      {.name = "limit_retry_value",
       .input = "retry: 12345\nretry: 123456\n",
       .expected = {Retry(12345)},
       .max_event_bytes = 5,
       .error = kLineTooLong},
      {.name = "limit_counts_decoded_bytes",
       .input = "data: 12\xFF\n\ndata: 123\xFF\n\n",
       .expected = {Msg("12" + fffd)},
       .max_event_bytes = 5,
       .error = kEventTooLarge},
      {.name = "limit_counts_replacement_at_line_end",
       .input = "data: 1\xE2\x82\n\ndata: 123\xE2\x82\n\n",
       .expected = {Msg("1" + fffd)},
       .max_event_bytes = 5,
       .error = kEventTooLarge},
      {.name = "limit_zero",
       .input = ":\n\n: \n",
       .expected = {Comment("")},
       .max_event_bytes = 0,
       .error = "SSE event exceeds 0 bytes: a field name"},
  };
}

class SseStreamTest : public ::testing::TestWithParam<StreamCase> {
 protected:
  Outcome Parse(const std::vector<std::string_view>& chunks,
                bool formatted = true) const {
    return ParseChunks(chunks, GetParam().max_event_bytes, formatted);
  }

  // Whether parsing `chunks` gives exactly what parsing the whole input in
  // one chunk gives. Compares raw logs; formats both only on a mismatch.
  ::testing::AssertionResult SameAsWhole(
      const std::vector<std::string_view>& chunks) {
    const std::string_view input = GetParam().input;
    if (!whole_raw_.has_value()) whole_raw_ = Parse({input}, false);
    const Outcome got = Parse(chunks, false);
    if (got.raw == whole_raw_->raw && got.end == whole_raw_->end &&
        got.last_event_id == whole_raw_->last_event_id) {
      return ::testing::AssertionSuccess();
    }
    return SameOutcome(Parse({input}), Parse(chunks));
  }

 private:
  std::optional<Outcome> whole_raw_;
};

TEST_P(SseStreamTest, UnsplitGivesExpected) {
  const StreamCase& c = GetParam();
  const Outcome outcome = Parse({c.input});
  EXPECT_EQ(outcome.items, c.expected);
  EXPECT_EQ(outcome.last_event_id, c.last_event_id);
  if (c.error.empty()) {
    EXPECT_EQ(outcome.end, EndText(c.end));
  } else {
    EXPECT_THAT(outcome.end, StartsWith("RESOURCE_EXHAUSTED: " + c.error));
  }
}

TEST_P(SseStreamTest, EveryTwoChunkSplitGivesUnsplit) {
  const std::string_view input = GetParam().input;
  for (size_t cut = 0; cut <= input.size(); ++cut) {
    ASSERT_TRUE(SameAsWhole({input.substr(0, cut), input.substr(cut)}))
        << "split at byte " << cut;
  }
}

TEST_P(SseStreamTest, ByteByByteGivesUnsplit) {
  const std::string_view input = GetParam().input;
  std::vector<std::string_view> chunks;
  for (size_t i = 0; i < input.size(); ++i) {
    chunks.push_back(input.substr(i, 1));
  }
  EXPECT_TRUE(SameAsWhole(chunks));
}

TEST_P(SseStreamTest, RandomChunkingsGiveUnsplit) {
  const std::string_view input = GetParam().input;
  std::mt19937 rng(20250501);  // Fixed seed: the same chunkings every run.
  for (int round = 0; round < 40; ++round) {
    std::vector<std::string_view> chunks;
    std::string sizes;
    for (size_t at = 0; at < input.size();) {
      // Mostly tiny chunks (some empty), sometimes larger ones.
      const size_t bound = rng() % 4 == 0 ? 64 : 6;
      const size_t n = std::min<size_t>(rng() % bound, input.size() - at);
      chunks.push_back(input.substr(at, n));
      sizes += std::to_string(n) + " ";
      at += n;
    }
    ASSERT_TRUE(SameAsWhole(chunks))
        << "round " << round << ", chunk sizes: " << sizes;
  }
}

INSTANTIATE_TEST_SUITE_P(Streams, SseStreamTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<StreamCase>& info) {
                           return info.param.name;
                         });

TEST(SseParserTest, CrAtChunkEndAndLfAtNextStartAreOneLineEnd) {
  SseParser parser;
  Recorder recorder;
  ASSERT_TRUE(parser.Feed("data: a\r", recorder).ok());
  ASSERT_TRUE(parser.Feed("\ndata: b\r", recorder).ok());
  ASSERT_TRUE(parser.Feed("\n\r", recorder).ok());
  EXPECT_THAT(recorder.items, ElementsAre(Msg("a\nb")));
  ASSERT_TRUE(parser.Feed("\n", recorder).ok());  // Ends the CRLF: no line.
  ASSERT_TRUE(parser.Feed("data: c\n\n", recorder).ok());
  EXPECT_THAT(recorder.items, ElementsAre(Msg("a\nb"), Msg("c")));
}

TEST(SseParserTest, LimitFailureIsSticky) {
  SseParser parser(SseParserOptions{.max_event_bytes = 5});
  Recorder recorder;
  const absl::Status status =
      parser.Feed("data: ok\n\ndata: 123456\n\ndata: lost\n\n", recorder);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(status.message()),
              StartsWith("SSE event exceeds 5 bytes"));
  EXPECT_THAT(recorder.items, ElementsAre(Msg("ok")));
  EXPECT_EQ(parser.status(), status);

  EXPECT_EQ(parser.Feed("data: x\n\n: c\nretry: 1\n", recorder), status);
  EXPECT_THAT(recorder.items, ElementsAre(Msg("ok")));
  EXPECT_EQ(parser.Finish().status(), status);
  EXPECT_EQ(parser.Feed("", recorder), status);
}

TEST(SseParserTest, DefaultLimitExactPassesAndPlusOneFails) {
  ASSERT_EQ(kDefaultMax, size_t{4} << 20);
  for (const size_t size : {kDefaultMax, kDefaultMax + 1}) {
    SseParser parser;
    Recorder recorder;
    const absl::Status status = parser.Feed(
        "event: big\ndata: " + std::string(size - 3, 'x') + "\n\n", recorder);
    if (size == kDefaultMax) {
      EXPECT_TRUE(status.ok()) << status;
      EXPECT_EQ(recorder.items.size(), 1u);
    } else {
      EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
      EXPECT_THAT(std::string(status.message()),
                  HasSubstr("exceeds 4194304 bytes"));
      EXPECT_THAT(recorder.items, IsEmpty());
    }
  }
}

TEST(SseParserTest, FeedAfterFinishFailsAndFinishIsIdempotent) {
  SseParser parser;
  Recorder recorder;
  ASSERT_TRUE(parser.Feed("data: a\n\ndata: b", recorder).ok());
  EXPECT_EQ(EndText(parser.Finish()), "partial event discarded");
  EXPECT_EQ(EndText(parser.Finish()), "partial event discarded");
  const absl::Status status = parser.Feed("\n\n", recorder);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(status.message()), HasSubstr("after Finish"));
  EXPECT_THAT(recorder.items, ElementsAre(Msg("a")));
  EXPECT_TRUE(parser.status().ok());
}

TEST(SseParserTest, LastEventIdIsCommittedOnlyByBlankLine) {
  SseParser parser;
  Recorder recorder;
  ASSERT_TRUE(parser.Feed("id: 1\n", recorder).ok());
  EXPECT_EQ(parser.last_event_id(), "");
  ASSERT_TRUE(parser.Feed("\n", recorder).ok());
  EXPECT_EQ(parser.last_event_id(), "1");
  ASSERT_TRUE(parser.Feed("id: 2\ndata: x\n", recorder).ok());
  EXPECT_EQ(parser.last_event_id(), "1");  // Not dispatched yet.
  EXPECT_EQ(EndText(parser.Finish()), "partial event discarded");
  EXPECT_EQ(parser.last_event_id(), "1");  // Reconnect with Last-Event-ID 1.
  EXPECT_THAT(recorder.items, IsEmpty());
}

TEST(SseParserTest, BytesFedCountsEveryAcceptedByte) {
  SseParser parser(SseParserOptions{.max_event_bytes = 5});
  Recorder recorder;
  EXPECT_EQ(parser.bytes_fed(), 0u);
  ASSERT_TRUE(parser.Feed("\xEF\xBB", recorder).ok());
  EXPECT_EQ(parser.bytes_fed(), 2u);
  ASSERT_TRUE(parser.Feed("\xBF: ping\n", recorder).ok());
  EXPECT_EQ(parser.bytes_fed(), 10u);
  ASSERT_TRUE(parser.Feed("", recorder).ok());
  ASSERT_TRUE(parser.Feed("da", recorder).ok());  // A partial line counts.
  EXPECT_EQ(parser.bytes_fed(), 12u);
  EXPECT_FALSE(parser.Feed("ta: 123456\n", recorder).ok());
  EXPECT_EQ(parser.bytes_fed(), 23u);
  EXPECT_FALSE(parser.Feed("more", recorder).ok());
  EXPECT_EQ(parser.bytes_fed(), 23u);  // Refused: not accepted.
  EXPECT_THAT(recorder.items, ElementsAre(Comment(" ping")));
}

TEST(SseParserTest, CopyContinuesIndependently) {
  SseParser parser;
  Recorder first;
  ASSERT_TRUE(parser.Feed("id: 1\ndata: a\ndata: ", first).ok());
  SseParser copy = parser;
  Recorder second;
  ASSERT_TRUE(parser.Feed("b\n\n", first).ok());
  ASSERT_TRUE(copy.Feed("c\n\n", second).ok());
  EXPECT_THAT(first.items, ElementsAre(Ev("1", "message", "a\nb")));
  EXPECT_THAT(second.items, ElementsAre(Ev("1", "message", "a\nc")));
}

// Counts callbacks without formatting them, for the large tests below.
class Counter final : public SseVisitor {
 public:
  void OnEvent(const SseEvent& event) override {
    ++events;
    data_bytes += event.data.size();
    last_data_size = event.data.size();
  }
  void OnComment(std::string_view) override { ++comments; }
  void OnRetry(int64_t) override { ++retries; }

  size_t events = 0;
  size_t comments = 0;
  size_t retries = 0;
  size_t data_bytes = 0;
  size_t last_data_size = 0;
};

// Wall-clock bound for the linearity tests below. Linear, each takes a few
// milliseconds (under 100 ms with sanitizers); a parser that re-scanned
// buffered bytes or copied the id per blank line would take minutes to
// hours. The bound is a thousand times the linear cost, so load cannot flake
// it, and a regression fails instead of hanging until the ctest timeout.
constexpr auto kLinearBound = std::chrono::seconds(10);

TEST(SseParserTest, HugeLineFedByteByByteIsLinear) {
  const auto start = std::chrono::steady_clock::now();
  SseParser parser;
  Counter counter;
  const std::string line = "data: " + std::string(size_t{1} << 20, 'x');
  for (size_t i = 0; i < line.size(); ++i) {
    ASSERT_TRUE(parser.Feed(std::string_view(line).substr(i, 1), counter).ok());
    if (i % 4096 == 0) {
      ASSERT_LT(std::chrono::steady_clock::now() - start, kLinearBound)
          << "after " << i << " bytes";
    }
  }
  ASSERT_TRUE(parser.Feed("\r\n\r\n", counter).ok());
  EXPECT_EQ(counter.events, 1u);
  EXPECT_EQ(counter.last_data_size, size_t{1} << 20);
  EXPECT_EQ(EndText(parser.Finish()), "clean");
}

TEST(SseParserTest, LongIdThenManyBlankLinesIsLinear) {
  const auto start = std::chrono::steady_clock::now();
  SseParser parser;
  Counter counter;
  const std::string id(size_t{1} << 20, 'i');
  ASSERT_TRUE(parser.Feed("id: " + id + "\n", counter).ok());
  const std::string blank_lines(1000, '\n');
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE(parser.Feed(blank_lines, counter).ok());
    ASSERT_LT(std::chrono::steady_clock::now() - start, kLinearBound)
        << "after " << i << " thousand blank lines";
  }
  EXPECT_EQ(parser.last_event_id(), id);
  EXPECT_EQ(counter.events, 0u);
}

TEST(SseParserTest, ManyEventsInOneChunk) {
  std::string stream;
  for (int i = 0; i < 100000; ++i) {
    stream += "id: " + std::to_string(i) + "\ndata: " + std::to_string(i) +
              "\n\n: heartbeat\n\n";
  }
  stream += "retry: 3000\n";
  SseParser parser;
  Counter counter;
  ASSERT_TRUE(parser.Feed(stream, counter).ok());
  EXPECT_EQ(counter.events, 100000u);
  EXPECT_EQ(counter.comments, 100000u);
  EXPECT_EQ(counter.retries, 1u);
  EXPECT_EQ(parser.last_event_id(), "99999");
  EXPECT_EQ(EndText(parser.Finish()), "clean");
}

}  // namespace
}  // namespace neobridge::sse
