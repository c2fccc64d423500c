// Bytes of SSE frames as the emulator writes them. Pure.
#ifndef NEO_EMULATOR_SSE_FORMAT_H_
#define NEO_EMULATOR_SSE_FORMAT_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "emulator/fault_plan.h"

namespace neo_emulator {

// "\n", "\r" or "\r\n".
absl::string_view LineTerminator(LineEnding ending);

// `id: <id>` `data: <data>` and a blank line. `data` must not contain line
// breaks (event JSON is printed on one line).
std::string FormatEventFrame(absl::string_view id, absl::string_view data,
                             LineEnding ending = LineEnding::kLf);
// `data: <data>` and a blank line, without an id.
std::string FormatDataFrame(absl::string_view data,
                            LineEnding ending = LineEnding::kLf);
// `: <text>` and a blank line (e.g. the heartbeat).
std::string FormatCommentFrame(absl::string_view text,
                               LineEnding ending = LineEnding::kLf);

// Splits `bytes` into consecutive pieces of `max_bytes` (the last one
// shorter); the whole as one piece when max_bytes <= 0. Empty input gives
// no pieces.
std::vector<absl::string_view> SplitIntoChunks(absl::string_view bytes,
                                               int max_bytes);

}  // namespace neo_emulator

#endif  // NEO_EMULATOR_SSE_FORMAT_H_
