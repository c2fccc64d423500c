#include "bridge/sse/sse_parser.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace neobridge::sse {
namespace {

constexpr char kBom[] = "\xEF\xBB\xBF";
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr std::string_view kDefaultType = "message";

bool IsLineEnd(char c) { return c == '\r' || c == '\n'; }

// The index of the first CR or LF in `bytes` at or after `from`, or size().
size_t FindLineEnd(std::string_view bytes, size_t from) {
  for (size_t i = from; i < bytes.size(); ++i) {
    if (IsLineEnd(bytes[i])) return i;
  }
  return bytes.size();
}

// Appends `bytes` to `dest` unless that would make dest longer than `cap`.
bool AppendBounded(std::string& dest, std::string_view bytes, size_t cap) {
  if (dest.size() > cap || bytes.size() > cap - dest.size()) return false;
  dest.append(bytes);
  return true;
}

bool NameIs(const char* name, size_t size, std::string_view expected) {
  return size == expected.size() &&
         std::memcmp(name, expected.data(), size) == 0;
}

}  // namespace

SseParser::SseParser(SseParserOptions options) : options_(options) {}

absl::Status SseParser::Feed(std::string_view chunk, SseVisitor& visitor) {
  if (!status_.ok()) return status_;
  if (finished_) {
    return absl::FailedPreconditionError(
        "SseParser::Feed called after Finish; start a new parser for a new "
        "stream");
  }
  bytes_fed_ += chunk.size();
  if (state_ == State::kBom) {
    size_t i = 0;
    while (i < chunk.size() && bom_matched_ < 3 &&
           chunk[i] == kBom[bom_matched_]) {
      ++bom_matched_;
      ++i;
    }
    if (bom_matched_ < 3 && i == chunk.size()) return absl::OkStatus();
    chunk.remove_prefix(i);
    state_ = State::kLineStart;
    if (bom_matched_ < 3) {
      // Not a BOM after all: its matched bytes start the first line.
      if (!Parse(std::string_view(kBom, bom_matched_), visitor)) {
        return status_;
      }
    }
  }
  if (!Parse(chunk, visitor)) return status_;
  return absl::OkStatus();
}

absl::StatusOr<SseStreamEnd> SseParser::Finish() {
  if (!status_.ok()) return status_;
  if (!finished_) {
    finished_ = true;
    const bool mid_line =
        state_ == State::kBom ? bom_matched_ > 0 : state_ != State::kLineStart;
    end_ = mid_line || fields_pending_ ? SseStreamEnd::kPartialEventDiscarded
                                       : SseStreamEnd::kClean;
    ReleaseBuffers();
  }
  return end_;
}

bool SseParser::Parse(std::string_view bytes, SseVisitor& visitor) {
  size_t i = 0;
  while (i < bytes.size()) {
    if (after_cr_) {
      after_cr_ = false;
      if (bytes[i] == '\n') {
        ++i;
        continue;
      }
    }
    switch (state_) {
      case State::kBom:  // Feed leaves kBom before parsing.
      case State::kLineStart: {
        const char c = bytes[i];
        if (IsLineEnd(c)) {
          ++i;
          after_cr_ = c == '\r';
          DispatchEvent(visitor);
        } else if (c == ':') {
          ++i;
          field_ = Field::kComment;
          line_value_.clear();
          value_bytes_ = 0;
          utf8_ = Utf8State();
          state_ = State::kValue;
        } else {
          name_bytes_ = 0;
          state_ = State::kName;
        }
        break;
      }
      case State::kName: {
        size_t end = i;
        while (end < bytes.size() && bytes[end] != ':' &&
               !IsLineEnd(bytes[end])) {
          ++end;
        }
        const size_t n = end - i;
        if (n > options_.max_event_bytes - name_bytes_) {
          return FailLineTooLong();
        }
        if (name_bytes_ < sizeof(name_)) {
          std::memcpy(name_ + name_bytes_, bytes.data() + i,
                      std::min(n, sizeof(name_) - name_bytes_));
        }
        name_bytes_ += n;
        i = end;
        if (i == bytes.size()) break;
        if (!BeginField()) return false;
        if (bytes[i] == ':') {
          ++i;
          state_ = State::kValueStart;
        } else {  // A field name without a colon: the value is empty.
          after_cr_ = bytes[i] == '\r';
          ++i;
          if (!EndLine(visitor)) return false;
        }
        break;
      }
      case State::kValueStart:
        if (bytes[i] == ' ') ++i;
        state_ = State::kValue;
        break;
      case State::kValue: {
        const size_t end = FindLineEnd(bytes, i);
        if (!AppendValue(bytes.substr(i, end - i))) return false;
        i = end;
        if (i == bytes.size()) break;
        after_cr_ = bytes[i] == '\r';
        ++i;
        if (!EndLine(visitor)) return false;
        break;
      }
    }
  }
  return true;
}

bool SseParser::BeginField() {
  value_bytes_ = 0;
  utf8_ = Utf8State();
  if (NameIs(name_, name_bytes_, "data")) {
    field_ = Field::kData;
    fields_pending_ = true;
    if (has_data_) {
      // The '\n' that joins this line to the previous one.
      if (data_.size() + type_.size() >= options_.max_event_bytes) {
        return FailEventTooLarge();
      }
      data_.push_back('\n');
    }
    has_data_ = true;
  } else if (NameIs(name_, name_bytes_, "event")) {
    field_ = Field::kEvent;
    fields_pending_ = true;
    type_.clear();
  } else if (NameIs(name_, name_bytes_, "id")) {
    field_ = Field::kId;
    fields_pending_ = true;
    line_value_.clear();
    id_has_nul_ = false;
  } else if (NameIs(name_, name_bytes_, "retry")) {
    field_ = Field::kRetry;
    retry_ = 0;
    retry_valid_ = true;
  } else {
    field_ = Field::kIgnored;
  }
  return true;
}

bool SseParser::AppendValue(std::string_view bytes) {
  const size_t max = options_.max_event_bytes;
  switch (field_) {
    case Field::kData:
      if (!DecodeAppend(bytes, data_, max - type_.size())) {
        return FailEventTooLarge();
      }
      break;
    case Field::kEvent:
      if (!DecodeAppend(bytes, type_, max - data_.size())) {
        return FailEventTooLarge();
      }
      break;
    case Field::kId:
      if (std::memchr(bytes.data(), '\0', bytes.size()) != nullptr) {
        id_has_nul_ = true;
      }
      [[fallthrough]];
    case Field::kComment:
      if (!DecodeAppend(bytes, line_value_, max)) return FailLineTooLong();
      break;
    case Field::kRetry:
    case Field::kIgnored:
      if (bytes.size() > max - value_bytes_) return FailLineTooLong();
      if (field_ == Field::kRetry && retry_valid_) {
        constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
        for (const char c : bytes) {
          const int digit = c - '0';
          if (digit < 0 || digit > 9 || retry_ > (kMax - digit) / 10) {
            retry_valid_ = false;  // Not a digit, or too big for int64_t.
            break;
          }
          retry_ = retry_ * 10 + digit;
        }
      }
      break;
  }
  value_bytes_ += bytes.size();
  return true;
}

bool SseParser::EndLine(SseVisitor& visitor) {
  state_ = State::kLineStart;
  const size_t max = options_.max_event_bytes;
  switch (field_) {
    case Field::kData:
      if (!FlushDecoder(data_, max - type_.size())) return FailEventTooLarge();
      break;
    case Field::kEvent:
      if (!FlushDecoder(type_, max - data_.size())) return FailEventTooLarge();
      break;
    case Field::kId:
      if (!FlushDecoder(line_value_, max)) return FailLineTooLong();
      if (!id_has_nul_) {
        id_buffer_.swap(line_value_);
        id_changed_ = true;
      }
      break;
    case Field::kComment:
      if (!FlushDecoder(line_value_, max)) return FailLineTooLong();
      visitor.OnComment(line_value_);
      break;
    case Field::kRetry:
      if (retry_valid_ && value_bytes_ > 0) visitor.OnRetry(retry_);
      break;
    case Field::kIgnored:
      break;
  }
  return true;
}

void SseParser::DispatchEvent(SseVisitor& visitor) {
  fields_pending_ = false;
  if (id_changed_) {
    // Copied only when an `id` line changed the buffer, so a run of blank
    // lines after a long id costs O(1) each.
    last_event_id_ = id_buffer_;
    id_changed_ = false;
  }
  if (has_data_) {
    const SseEvent event{
        .id = last_event_id_,
        .type = type_.empty() ? kDefaultType : std::string_view(type_),
        .data = data_,
    };
    visitor.OnEvent(event);
  }
  data_.clear();
  has_data_ = false;
  type_.clear();
}

// WHATWG "UTF-8 decode" with replacement, one segment at a time: a valid
// sequence cut by a chunk boundary is appended as it arrives; if it then
// turns out invalid, its bytes (the tail of `dest`) become one U+FFFD. The
// size of `dest` never shrinks that way (1 to 3 bytes become 3), so where a
// limit is hit does not depend on how the input was split.
bool SseParser::DecodeAppend(std::string_view bytes, std::string& dest,
                             size_t cap) {
  Utf8State& u = utf8_;
  size_t run = 0;  // bytes[run, i) are valid so far and not yet appended.
  size_t i = 0;
  while (i < bytes.size()) {
    const auto b = static_cast<uint8_t>(bytes[i]);
    if (u.needed == 0) {
      if (b < 0x80) {
        ++i;
        continue;
      }
      if (b >= 0xC2 && b <= 0xDF) {
        u.needed = 1;
      } else if (b >= 0xE0 && b <= 0xEF) {
        u.needed = 2;
        if (b == 0xE0) u.lower = 0xA0;
        if (b == 0xED) u.upper = 0x9F;
      } else if (b >= 0xF0 && b <= 0xF4) {
        u.needed = 3;
        if (b == 0xF0) u.lower = 0x90;
        if (b == 0xF4) u.upper = 0x8F;
      } else {  // Not a lead byte: U+FFFD for it alone.
        if (!AppendBounded(dest, bytes.substr(run, i - run), cap) ||
            !AppendBounded(dest, kReplacement, cap)) {
          return false;
        }
        run = ++i;
        continue;
      }
      u.seen = 0;
      ++i;
      continue;
    }
    if (b < u.lower || b > u.upper) {
      // The partial sequence becomes one U+FFFD and `b` is decoded afresh.
      // Its bytes lie at the end of bytes[run, i), or, if it began in an
      // earlier segment, partly at the end of `dest`.
      const size_t partial = size_t{1} + u.seen;
      const size_t here = std::min(partial, i - run);
      if (!AppendBounded(dest, bytes.substr(run, i - run - here), cap)) {
        return false;
      }
      dest.resize(dest.size() - (partial - here));
      u = Utf8State();
      if (!AppendBounded(dest, kReplacement, cap)) return false;
      run = i;
      continue;
    }
    u.lower = 0x80;
    u.upper = 0xBF;
    ++i;
    if (++u.seen == u.needed) {
      u.needed = 0;
      u.seen = 0;
    }
  }
  return AppendBounded(dest, bytes.substr(run), cap);
}

bool SseParser::FlushDecoder(std::string& dest, size_t cap) {
  if (utf8_.needed == 0) return true;
  // A sequence cut by the line end: its bytes, all in `dest`, become U+FFFD.
  dest.resize(dest.size() - (size_t{1} + utf8_.seen));
  utf8_ = Utf8State();
  return AppendBounded(dest, kReplacement, cap);
}

bool SseParser::FailEventTooLarge() {
  status_ = absl::ResourceExhaustedError(absl::StrCat(
      "SSE event exceeds ", options_.max_event_bytes,
      " bytes: its data and event type grew past max_event_bytes; raise the "
      "limit if the upstream legitimately sends events this large"));
  ReleaseBuffers();
  return false;
}

bool SseParser::FailLineTooLong() {
  status_ = absl::ResourceExhaustedError(absl::StrCat(
      "SSE event exceeds ", options_.max_event_bytes,
      " bytes: a field name, field value or comment on one line grew past "
      "max_event_bytes; the upstream body may not be an event stream"));
  ReleaseBuffers();
  return false;
}

void SseParser::ReleaseBuffers() {
  std::string().swap(data_);
  std::string().swap(type_);
  std::string().swap(line_value_);
  std::string().swap(id_buffer_);
  has_data_ = false;
  utf8_ = Utf8State();
}

}  // namespace neobridge::sse
