#include "benchmarks/http_response_parser.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace neobridge::bench {
namespace {

constexpr char kHeadEnd[] = "\r\n\r\n";
constexpr size_t kHeadEndSize = 4;

// A line without its CRLF (or bare LF).
absl::string_view Chomp(absl::string_view line) {
  absl::ConsumeSuffix(&line, "\n");
  absl::ConsumeSuffix(&line, "\r");
  return line;
}

}  // namespace

void HttpResponseParser::Reset() {
  state_ = State::kHead;
  line_.clear();
  remaining_ = 0;
  head_ = HttpResponseHead();
}

absl::Status HttpResponseParser::ParseHead(absl::string_view head) {
  std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
  // "HTTP/1.1 200 OK"
  absl::string_view status_line = lines[0];
  const bool http10 = absl::StartsWith(status_line, "HTTP/1.0 ");
  if (!http10 && !absl::StartsWith(status_line, "HTTP/1.1 ")) {
    return absl::DataLossError(
        absl::StrCat("not an HTTP/1.x status line: ", status_line));
  }
  if (status_line.size() < 12 ||
      !absl::SimpleAtoi(status_line.substr(9, 3), &head_.status) ||
      head_.status < 100 || head_.status > 599) {
    return absl::DataLossError(absl::StrCat("bad status line: ", status_line));
  }
  head_.keep_alive = !http10;
  bool chunked = false;
  int64_t content_length = -1;
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    const size_t colon = lines[i].find(':');
    if (colon == absl::string_view::npos) {
      return absl::DataLossError(absl::StrCat("bad header line: ", lines[i]));
    }
    const absl::string_view name = lines[i].substr(0, colon);
    const absl::string_view value =
        absl::StripAsciiWhitespace(lines[i].substr(colon + 1));
    if (absl::EqualsIgnoreCase(name, "content-length")) {
      if (!absl::SimpleAtoi(value, &content_length) || content_length < 0) {
        return absl::DataLossError(absl::StrCat("bad Content-Length: ", value));
      }
    } else if (absl::EqualsIgnoreCase(name, "transfer-encoding")) {
      chunked = absl::StrContains(absl::AsciiStrToLower(value), "chunked");
    } else if (absl::EqualsIgnoreCase(name, "connection")) {
      const std::string tokens = absl::AsciiStrToLower(value);
      if (absl::StrContains(tokens, "close")) head_.keep_alive = false;
      if (absl::StrContains(tokens, "keep-alive")) head_.keep_alive = true;
    }
  }
  if (head_.status == 204 || head_.status == 304 || head_.status < 200) {
    if (head_.status < 200) {
      return absl::UnimplementedError(
          absl::StrCat("interim responses are not expected: ", status_line));
    }
    state_ = State::kDone;
  } else if (chunked) {
    state_ = State::kChunkSize;
  } else if (content_length >= 0) {
    remaining_ = content_length;
    state_ = remaining_ == 0 ? State::kDone : State::kFixedBody;
  } else {
    head_.keep_alive = false;
    state_ = State::kUntilClose;
  }
  return absl::OkStatus();
}

absl::Status HttpResponseParser::TakeLine(absl::string_view data, size_t* taken,
                                          bool* complete) {
  const size_t lf = data.find('\n');
  *complete = lf != absl::string_view::npos;
  *taken = *complete ? lf + 1 : data.size();
  if (line_.size() + *taken > kMaxHeaderBytes) {
    return absl::DataLossError("a line longer than 64 KiB");
  }
  line_.append(data.data(), *taken);
  return absl::OkStatus();
}

absl::Status HttpResponseParser::Feed(absl::string_view data, size_t* consumed,
                                      bool* done) {
  *consumed = 0;
  *done = state_ == State::kDone;
  while (!*done && *consumed < data.size()) {
    absl::string_view rest = data.substr(*consumed);
    switch (state_) {
      case State::kHead: {
        // The head's end may straddle the previous chunk: search from 3
        // bytes before the new data.
        const size_t old_size = line_.size();
        const size_t limit = kMaxHeaderBytes - old_size;
        line_.append(rest.data(), std::min(rest.size(), limit));
        const size_t end =
            line_.find(kHeadEnd, old_size < 3 ? 0 : old_size - 3);
        if (end == std::string::npos) {
          if (line_.size() >= kMaxHeaderBytes) {
            return absl::DataLossError("response head longer than 64 KiB");
          }
          *consumed += line_.size() - old_size;
          break;
        }
        const size_t head_size = end + kHeadEndSize;
        *consumed += head_size - old_size;
        line_.resize(head_size);
        absl::Status status = ParseHead(line_.substr(0, end));
        line_.clear();
        if (!status.ok()) return status;
        break;
      }
      case State::kFixedBody:
      case State::kChunkData: {
        const int64_t take =
            std::min<int64_t>(remaining_, static_cast<int64_t>(rest.size()));
        remaining_ -= take;
        head_.body_bytes += take;
        *consumed += static_cast<size_t>(take);
        if (remaining_ == 0) {
          state_ =
              state_ == State::kFixedBody ? State::kDone : State::kChunkDataEnd;
        }
        break;
      }
      case State::kUntilClose:
        head_.body_bytes += static_cast<int64_t>(rest.size());
        *consumed += rest.size();
        break;
      case State::kChunkSize:
      case State::kChunkDataEnd:
      case State::kTrailers: {
        size_t taken = 0;
        bool complete = false;
        absl::Status status = TakeLine(rest, &taken, &complete);
        if (!status.ok()) return status;
        *consumed += taken;
        if (!complete) break;
        const absl::string_view line = Chomp(line_);
        if (state_ == State::kChunkSize) {
          // "1a3f" or "1a3f;extension=value"
          absl::string_view size = line.substr(0, line.find(';'));
          size = absl::StripAsciiWhitespace(size);
          uint64_t bytes = 0;
          if (size.empty() || size.size() > 15 ||
              !absl::SimpleHexAtoi(size, &bytes)) {
            return absl::DataLossError(absl::StrCat("bad chunk size: ", line));
          }
          remaining_ = static_cast<int64_t>(bytes);
          state_ = remaining_ == 0 ? State::kTrailers : State::kChunkData;
        } else if (state_ == State::kChunkDataEnd) {
          if (!line.empty()) {
            return absl::DataLossError("chunk data longer than its size");
          }
          state_ = State::kChunkSize;
        } else if (line.empty()) {
          state_ = State::kDone;  // The empty line after the trailers.
        }
        line_.clear();
        break;
      }
      case State::kDone:
        break;
    }
    *done = state_ == State::kDone;
  }
  return absl::OkStatus();
}

absl::Status HttpResponseParser::Close(bool* done) {
  *done = state_ == State::kDone || state_ == State::kUntilClose;
  if (state_ == State::kUntilClose) state_ = State::kDone;
  if (*done) return absl::OkStatus();
  return absl::DataLossError(state_ == State::kHead && line_.empty()
                                 ? "connection closed before a response"
                                 : "connection closed mid-response");
}

}  // namespace neobridge::bench
