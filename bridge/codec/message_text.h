// Making untrusted text (upstream bodies, values quoted in errors) safe to
// put in a status message, a log line or a protobuf string field.
#ifndef NEOBRIDGE_BRIDGE_CODEC_MESSAGE_TEXT_H_
#define NEOBRIDGE_BRIDGE_CODEC_MESSAGE_TEXT_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace neobridge::codec {

// `text` as one line of valid UTF-8 of at most `max_bytes` bytes: invalid
// UTF-8 bytes become U+FFFD, control characters and runs of white space
// become one space, leading and trailing white space is trimmed, and a text
// that is still too long is cut at a character boundary and ends in "…"
// (the ellipsis counts toward `max_bytes`; `max_bytes` must be at least 3).
std::string OneLine(std::string_view text, std::size_t max_bytes);

}  // namespace neobridge::codec

#endif  // NEOBRIDGE_BRIDGE_CODEC_MESSAGE_TEXT_H_
