#include "benchmarks/sse_reader.h"

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

absl::string_view StripCr(absl::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace

absl::Status SseResponseReader::Feed(absl::string_view bytes) {
  while (!bytes.empty()) {
    switch (state_) {
      case State::kHead: {
        // The head ends at the first empty line.
        const size_t before = head_.size();
        head_.append(bytes.data(), bytes.size());
        size_t end = head_.find("\r\n\r\n");
        size_t terminator = 4;
        if (end == std::string::npos) {
          end = head_.find("\n\n");
          terminator = 2;
        }
        if (end == std::string::npos) {
          if (head_.size() > kMaxHeadBytes) {
            return absl::InvalidArgumentError("response head too large");
          }
          return absl::OkStatus();
        }
        const size_t body_start = end + terminator;
        bytes.remove_prefix(body_start - before);
        if (absl::Status status =
                ParseHead(absl::string_view(head_).substr(0, end));
            !status.ok()) {
          return status;
        }
        head_.clear();
        break;
      }
      case State::kChunkSize:
      case State::kTrailers: {
        if (!TakeLine(&bytes)) {
          if (line_.size() > kMaxHeadBytes) {
            return absl::InvalidArgumentError("chunk-size line too long");
          }
          return absl::OkStatus();
        }
        absl::string_view line = StripCr(line_);
        if (state_ == State::kTrailers) {
          if (line.empty()) state_ = State::kEnded;
          line_.clear();
          break;
        }
        line = line.substr(0, line.find(';'));  // Chunk extensions.
        line = absl::StripAsciiWhitespace(line);
        uint64_t size = 0;
        if (line.empty() || !absl::SimpleHexAtoi(line, &size) ||
            size > (uint64_t{1} << 40)) {
          return absl::InvalidArgumentError(
              absl::StrCat("malformed chunk size '", line, "'"));
        }
        line_.clear();
        remaining_ = static_cast<int64_t>(size);
        state_ = size == 0 ? State::kTrailers : State::kChunkData;
        break;
      }
      case State::kChunkData: {
        const size_t take =
            static_cast<size_t>(std::min<int64_t>(remaining_, bytes.size()));
        Body(bytes.substr(0, take));
        bytes.remove_prefix(take);
        remaining_ -= static_cast<int64_t>(take);
        if (remaining_ == 0) state_ = State::kChunkDataEnd;
        break;
      }
      case State::kChunkDataEnd: {
        if (!TakeLine(&bytes)) return absl::OkStatus();
        if (!StripCr(line_).empty()) {
          return absl::InvalidArgumentError("chunk data longer than its size");
        }
        line_.clear();
        state_ = State::kChunkSize;
        break;
      }
      case State::kIdentity:
        Body(bytes);
        return absl::OkStatus();
      case State::kEnded:
        return absl::InvalidArgumentError("bytes after the end of the body");
    }
  }
  return absl::OkStatus();
}

absl::Status SseResponseReader::ParseHead(absl::string_view head) {
  std::vector<absl::string_view> lines = absl::StrSplit(head, '\n');
  absl::string_view status_line = StripCr(lines[0]);
  // "HTTP/1.1 200 OK"
  std::vector<absl::string_view> parts =
      absl::StrSplit(status_line, absl::MaxSplits(' ', 2));
  int status = 0;
  if (parts.size() < 2 || !absl::StartsWith(parts[0], "HTTP/1.") ||
      !absl::SimpleAtoi(parts[1], &status)) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed status line '", status_line, "'"));
  }
  status_ = status;
  if (status != 200) {
    return absl::FailedPreconditionError(
        absl::StrCat("HTTP ", status, " instead of 200"));
  }
  bool chunked = false;
  for (size_t i = 1; i < lines.size(); ++i) {
    absl::string_view line = StripCr(lines[i]);
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    if (absl::EqualsIgnoreCase(
            absl::StripAsciiWhitespace(line.substr(0, colon)),
            "transfer-encoding") &&
        absl::StrContains(absl::AsciiStrToLower(line.substr(colon + 1)),
                          "chunked")) {
      chunked = true;
    }
  }
  state_ = chunked ? State::kChunkSize : State::kIdentity;
  return absl::OkStatus();
}

bool SseResponseReader::TakeLine(absl::string_view* bytes) {
  const size_t lf = bytes->find('\n');
  const size_t take = lf == absl::string_view::npos ? bytes->size() : lf + 1;
  line_.append(bytes->data(), take);
  bytes->remove_prefix(take);
  return lf != absl::string_view::npos;
}

void SseResponseReader::Body(absl::string_view bytes) {
  while (!bytes.empty()) {
    const size_t lf = bytes.find('\n');
    if (lf == absl::string_view::npos) {
      if (sse_line_.size() + bytes.size() <= kMaxLineBytes) {
        sse_line_.append(bytes.data(), bytes.size());
      }
      return;
    }
    if (sse_line_.empty()) {
      Line(StripCr(bytes.substr(0, lf)));  // The whole line is here.
    } else {
      sse_line_.append(bytes.data(), lf);
      Line(StripCr(sse_line_));
      sse_line_.clear();
    }
    bytes.remove_prefix(lf + 1);
  }
}

void SseResponseReader::Line(absl::string_view line) {
  if (line.empty()) {
    if (has_data_) on_data_(data_);
    data_.clear();
    has_data_ = false;
    return;
  }
  if (line.front() == ':') {
    line.remove_prefix(1);
    absl::ConsumePrefix(&line, " ");
    on_comment_(line);
    return;
  }
  const size_t colon = line.find(':');
  absl::string_view field = line.substr(0, colon);
  if (field != "data") return;
  absl::string_view value =
      colon == absl::string_view::npos ? "" : line.substr(colon + 1);
  absl::ConsumePrefix(&value, " ");
  if (has_data_) data_.push_back('\n');
  data_.append(value.data(), value.size());
  has_data_ = true;
}

}  // namespace neobridge::bench
