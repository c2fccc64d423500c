// libFuzzer target for SseParser. For every input it checks that:
//  - feeding it whole, split in two at a position derived from the input,
//    in small input-derived chunks (some empty), and byte by byte all give
//    the same events, comments, retries and final status;
//  - everything reported is valid UTF-8 and within max_event_bytes;
//  - with the default limit, the result equals a deliberately naive
//    reference model that follows the WHATWG text step by step (decode the
//    whole body, split it into lines, interpret each line);
//  - with a small limit derived from the input, the parser fails exactly
//    when a model of the limits says something exceeds it, and reports
//    nothing different from the unlimited run before failing.
// A violated check prints the transcripts and aborts.
//
// Built with -DNEOBRIDGE_FUZZ=ON (clang); sse_parser_corpus_test
// (tests/support/fuzz_corpus_test.cc) also links this file to replay
// tests/fuzz/sse_corpus in every build.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bridge/sse/sse_parser.h"

namespace neobridge::sse {
namespace {

[[noreturn]] void Die(const char* what, const std::string& detail) {
  std::fprintf(stderr, "sse_parser_fuzzer: %s\n%s\n", what, detail.c_str());
  std::abort();
}

void Check(bool ok, const char* what) {
  if (!ok) Die(what, "");
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<uint8_t>(s[i]);
    size_t len = 0;
    uint32_t cp = 0;
    if (b < 0x80) {
      ++i;
      continue;
    } else if ((b & 0xE0) == 0xC0) {
      len = 2;
      cp = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
      len = 3;
      cp = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
      len = 4;
      cp = b & 0x07;
    } else {
      return false;
    }
    if (s.size() - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto c = static_cast<uint8_t>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    const uint32_t min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

void AppendField(std::string& log, std::string_view s) {
  log += std::to_string(s.size());
  log += ':';
  log.append(s);
}

// Writes every callback to a transcript, checking what it can on the way.
class Recorder final : public SseVisitor {
 public:
  explicit Recorder(size_t max_event_bytes) : max_(max_event_bytes) {}

  void OnEvent(const SseEvent& event) override {
    Check(IsValidUtf8(event.id) && IsValidUtf8(event.type) &&
              IsValidUtf8(event.data),
          "event is not valid UTF-8");
    Check(!event.type.empty(), "event type is empty");
    Check(event.id.find('\0') == std::string_view::npos, "event id has NUL");
    Check(event.id.size() <= max_, "event id exceeds the limit");
    // "message" may be the default, which the limit does not count.
    const size_t type = event.type == "message" ? 0 : event.type.size();
    Check(event.data.size() + type <= max_, "event exceeds the limit");
    log += 'E';
    AppendField(log, event.id);
    AppendField(log, event.type);
    AppendField(log, event.data);
    log += '\n';
  }

  void OnComment(std::string_view text) override {
    Check(IsValidUtf8(text), "comment is not valid UTF-8");
    Check(text.size() <= max_, "comment exceeds the limit");
    log += 'C';
    AppendField(log, text);
    log += '\n';
  }

  void OnRetry(int64_t milliseconds) override {
    Check(milliseconds >= 0, "negative retry");
    log += 'R';
    log += std::to_string(milliseconds);
    log += '\n';
  }

  std::string log;

 private:
  size_t max_;
};

std::string EndText(const absl::StatusOr<SseStreamEnd>& end) {
  if (!end.ok()) return "status " + end.status().ToString();
  return *end == SseStreamEnd::kClean ? "clean" : "partial event discarded";
}

// Everything observable about parsing one stream.
struct Transcript {
  std::string items;  // The callbacks, in order.
  std::string end;    // What Finish returned.
  std::string last_event_id;
  bool failed = false;

  std::string ToString() const {
    return items + "end: " + end + "\nlast_event_id: " + last_event_id + "\n";
  }
};

// Feeds `chunks` in order, then Finish.
Transcript Run(const std::vector<std::string_view>& chunks,
               SseParserOptions options) {
  SseParser parser(options);
  Recorder recorder(options.max_event_bytes);
  uint64_t fed = 0;
  for (const std::string_view chunk : chunks) {
    const bool failed_before = !parser.status().ok();
    const size_t log_before = recorder.log.size();
    const absl::Status status = parser.Feed(chunk, recorder);
    Check(status == parser.status(), "Feed's result differs from status()");
    if (failed_before) {
      Check(recorder.log.size() == log_before, "failed parser reported");
    } else {
      fed += chunk.size();
    }
    Check(parser.bytes_fed() == fed, "bytes_fed is wrong");
  }
  const absl::StatusOr<SseStreamEnd> end = parser.Finish();
  Check(EndText(parser.Finish()) == EndText(end), "Finish not idempotent");
  Check(parser.Feed("data: x\n\n", recorder).code() ==
            (end.ok() ? absl::StatusCode::kFailedPrecondition
                      : absl::StatusCode::kResourceExhausted),
        "Feed after Finish did not fail");
  if (!end.ok()) {
    Check(end.status().code() == absl::StatusCode::kResourceExhausted,
          "failure is not RESOURCE_EXHAUSTED");
  }
  return Transcript{.items = std::move(recorder.log),
                    .end = EndText(end),
                    .last_event_id = std::string(parser.last_event_id()),
                    .failed = !end.ok()};
}

// --- The reference model: the WHATWG steps, literally, on a whole body. ---

// WHATWG "UTF-8 decode" of a whole byte string, invalid sequences replaced.
// With `flush` false, a sequence cut by the end of `in` is kept as is (it
// may still complete), which is how the limits count a partial line.
std::string ReferenceDecode(std::string_view in, bool flush = true) {
  std::string out;
  size_t i = 0;
  while (i < in.size()) {
    const auto b = static_cast<uint8_t>(in[i]);
    size_t needed = 0;
    uint8_t lower = 0x80;
    uint8_t upper = 0xBF;
    if (b < 0x80) {
      out += static_cast<char>(b);
      ++i;
      continue;
    } else if (b >= 0xC2 && b <= 0xDF) {
      needed = 1;
    } else if (b >= 0xE0 && b <= 0xEF) {
      needed = 2;
      if (b == 0xE0) lower = 0xA0;
      if (b == 0xED) upper = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      needed = 3;
      if (b == 0xF0) lower = 0x90;
      if (b == 0xF4) upper = 0x8F;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    size_t seen = 0;
    while (seen < needed && i + 1 + seen < in.size()) {
      const auto c = static_cast<uint8_t>(in[i + 1 + seen]);
      if (c < lower || c > upper) break;
      lower = 0x80;
      upper = 0xBF;
      ++seen;
    }
    if (seen == needed || (!flush && i + 1 + seen == in.size())) {
      out.append(in.substr(i, 1 + seen));
    } else {
      out += "\xEF\xBF\xBD";  // The bytes after the sequence are decoded anew.
    }
    i += 1 + seen;
  }
  return out;
}

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

Transcript Reference(std::string_view body) {
  Recorder recorder(std::numeric_limits<size_t>::max());
  if (body.substr(0, 3) == "\xEF\xBB\xBF") body.remove_prefix(3);
  const std::string text = ReferenceDecode(body);
  std::string data;  // The WHATWG data buffer, with its trailing LFs.
  std::string type;
  std::string id_buffer;
  std::string last_event_id;
  bool pending = false;
  size_t pos = 0;
  while (true) {
    const size_t eol = text.find_first_of("\r\n", pos);
    if (eol == std::string::npos) break;  // An unterminated line is dropped.
    const std::string line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (text[eol] == '\r' && pos < text.size() && text[pos] == '\n') ++pos;

    if (line.empty()) {  // Dispatch the event.
      pending = false;
      last_event_id = id_buffer;
      if (!data.empty()) {
        data.pop_back();
        const std::string_view event_type = type;
        recorder.OnEvent(
            SseEvent{.id = last_event_id,
                     .type = event_type.empty() ? "message" : event_type,
                     .data = data});
      }
      data.clear();
      type.clear();
      continue;
    }
    if (line[0] == ':') {
      recorder.OnComment(std::string_view(line).substr(1));
      continue;
    }
    std::string field = line;
    std::string value;
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      field = line.substr(0, colon);
      value = line.substr(colon + 1);
      if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    }
    if (field == "event") {
      pending = true;
      type = value;
    } else if (field == "data") {
      pending = true;
      data += value;
      data += '\n';
    } else if (field == "id") {
      pending = true;
      if (value.find('\0') == std::string::npos) id_buffer = value;
    } else if (field == "retry") {
      // Only ASCII digits, at least one, and the number must fit int64_t.
      bool digits = !value.empty();
      for (const char c : value) digits = digits && c >= '0' && c <= '9';
      if (!digits) continue;
      const size_t nonzero = value.find_first_not_of('0');
      const std::string n =
          nonzero == std::string::npos ? "0" : value.substr(nonzero);
      const std::string max = std::to_string(kInt64Max);
      if (n.size() < max.size() || (n.size() == max.size() && n <= max)) {
        int64_t ms = 0;
        for (const char c : n) ms = ms * 10 + (c - '0');
        recorder.OnRetry(ms);
      }
    }
  }
  const bool partial = pos < text.size() || pending;
  return Transcript{.items = std::move(recorder.log),
                    .end = partial ? "partial event discarded" : "clean",
                    .last_event_id = last_event_id};
}

// The limits of SseParserOptions, as a model: the largest of every field
// name, every field value or comment text (decoded, except ignored and
// `retry` values, which count raw), and every event's data plus type, over
// all of `body` including a partial last line. The parser must fail exactly
// when this exceeds max_event_bytes.
size_t LargestLimitedSize(std::string_view body) {
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (body.size() < 3 && kBom.substr(0, body.size()) == body) return 0;
  if (body.substr(0, 3) == kBom) body.remove_prefix(3);
  size_t largest = 0;
  size_t data = 0;
  bool has_data = false;
  size_t type = 0;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t eol = body.find_first_of("\r\n", pos);
    const bool complete = eol != std::string_view::npos;
    if (!complete) eol = body.size();
    const std::string_view line = body.substr(pos, eol - pos);
    pos = eol + 1;
    if (complete && body[eol] == '\r' && pos < body.size() &&
        body[pos] == '\n') {
      ++pos;
    }
    const auto decoded = [complete](std::string_view value) {
      return ReferenceDecode(value, /*flush=*/complete).size();
    };
    if (line.empty()) {
      data = 0;
      has_data = false;
      type = 0;
      continue;
    }
    if (line[0] == ':') {
      largest = std::max(largest, decoded(line.substr(1)));
      continue;
    }
    const size_t colon = line.find(':');
    const std::string_view name = line.substr(0, colon);
    largest = std::max(largest, name.size());
    if (colon == std::string_view::npos && !complete) break;  // Name only.
    std::string_view value;
    if (colon != std::string_view::npos) value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
    if (name == "data") {
      if (has_data) ++data;  // The joining '\n'.
      has_data = true;
      data += decoded(value);
      largest = std::max(largest, data + type);
    } else if (name == "event") {
      type = decoded(value);
      largest = std::max(largest, data + type);
    } else if (name == "id") {
      largest = std::max(largest, decoded(value));
    } else {
      largest = std::max(largest, value.size());
    }
  }
  return largest;
}

uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 14695981039346656037ull;
  for (const char c : s) {
    h ^= static_cast<uint8_t>(c);
    h *= 1099511628211ull;
  }
  return h;
}

void Expect(const Transcript& expected, const Transcript& actual,
            const char* what) {
  if (expected.ToString() != actual.ToString()) {
    Die(what, "--- expected ---\n" + expected.ToString() + "--- actual ---\n" +
                  actual.ToString());
  }
}

// Checks that every chunking gives the one-chunk transcript, and returns it.
Transcript CheckChunkings(std::string_view input, SseParserOptions options,
                          uint64_t hash) {
  const Transcript whole = Run({input}, options);

  const size_t cut = hash % (input.size() + 1);
  Expect(whole, Run({input.substr(0, cut), input.substr(cut)}, options),
         "two chunks differ from one");

  std::vector<std::string_view> chunks;
  uint64_t lcg = hash | 1;
  for (size_t at = 0; at < input.size();) {
    lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
    const size_t n = std::min<size_t>((lcg >> 33) % 17, input.size() - at);
    chunks.push_back(input.substr(at, n));
    at += n;
  }
  Expect(whole, Run(chunks, options), "small chunks differ from one");

  chunks.clear();
  for (size_t at = 0; at < input.size(); ++at) {
    chunks.push_back(input.substr(at, 1));
  }
  Expect(whole, Run(chunks, options), "byte by byte differs from one");
  return whole;
}

void CheckInput(std::string_view input) {
  const uint64_t hash = Fnv1a(input);

  const SseParserOptions defaults;
  const Transcript unlimited = CheckChunkings(input, defaults, hash);
  // Decoding at most triples a byte, so inputs this small cannot reach the
  // default limit, and the reference model needs no limits.
  if (input.size() <= defaults.max_event_bytes / 3) {
    Expect(Reference(input), unlimited,
           "parser differs from the reference model");
  }

  // A small limit: it fails exactly when something exceeds it, and until
  // then the parser reports exactly what it reports without the limit.
  const SseParserOptions small{.max_event_bytes = (hash >> 8) % 48};
  const Transcript limited = CheckChunkings(input, small, hash);
  const size_t largest = LargestLimitedSize(input);
  if (limited.failed != (largest > small.max_event_bytes)) {
    Die("limit failure does not match the limit model",
        "max_event_bytes " + std::to_string(small.max_event_bytes) +
            ", largest limited size " + std::to_string(largest) + "\n" +
            limited.ToString());
  }
  if (limited.failed) {
    if (unlimited.items.compare(0, limited.items.size(), limited.items) != 0) {
      Expect(unlimited, limited, "the limit changed what came before it");
    }
  } else {
    Expect(unlimited, limited, "a limit that was not hit changed the result");
  }
}

}  // namespace
}  // namespace neobridge::sse

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  neobridge::sse::CheckInput(
      std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
