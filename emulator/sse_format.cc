#include "emulator/sse_format.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace neo_emulator {

absl::string_view LineTerminator(LineEnding ending) {
  switch (ending) {
    case LineEnding::kLf:
      return "\n";
    case LineEnding::kCr:
      return "\r";
    case LineEnding::kCrLf:
      return "\r\n";
  }
  return "\n";
}

std::string FormatEventFrame(absl::string_view id, absl::string_view data,
                             LineEnding ending) {
  const absl::string_view eol = LineTerminator(ending);
  return absl::StrCat("id: ", id, eol, "data: ", data, eol, eol);
}

std::string FormatDataFrame(absl::string_view data, LineEnding ending) {
  const absl::string_view eol = LineTerminator(ending);
  return absl::StrCat("data: ", data, eol, eol);
}

std::string FormatCommentFrame(absl::string_view text, LineEnding ending) {
  const absl::string_view eol = LineTerminator(ending);
  return absl::StrCat(": ", text, eol, eol);
}

std::vector<absl::string_view> SplitIntoChunks(absl::string_view bytes,
                                               int max_bytes) {
  std::vector<absl::string_view> pieces;
  if (bytes.empty()) return pieces;
  if (max_bytes <= 0) {
    pieces.push_back(bytes);
    return pieces;
  }
  const size_t step = static_cast<size_t>(max_bytes);
  for (size_t offset = 0; offset < bytes.size(); offset += step) {
    pieces.push_back(
        bytes.substr(offset, std::min(step, bytes.size() - offset)));
  }
  return pieces;
}

}  // namespace neo_emulator
