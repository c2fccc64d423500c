#include "bridge/codec/message_text.h"

#include <cstdint>

namespace neobridge::codec {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr std::string_view kEllipsis = "\xE2\x80\xA6";     // U+2026

// Length of the valid UTF-8 sequence at text[pos], or 0 if it is invalid
// (overlong forms, surrogates and code points past U+10FFFF included).
// Stores the code point in *code_point.
std::size_t DecodeUtf8(std::string_view text, std::size_t pos,
                       std::uint32_t* code_point) {
  const auto byte = [&](std::size_t i) {
    return static_cast<unsigned char>(text[pos + i]);
  };
  const unsigned char lead = byte(0);
  if (lead < 0x80) {
    *code_point = lead;
    return 1;
  }
  std::size_t length;
  std::uint32_t cp;
  std::uint32_t min;
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    cp = lead & 0x1F;
    min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    cp = lead & 0x0F;
    min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    cp = lead & 0x07;
    min = 0x10000;
  } else {
    return 0;
  }
  if (pos + length > text.size()) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  *code_point = cp;
  return length;
}

// Control characters and the white space that should not survive into a
// one-line message.
bool IsSpaceOrControl(std::uint32_t cp) {
  return cp <= 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0xA0) ||
         cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF;
}

}  // namespace

std::string OneLine(std::string_view text, std::size_t max_bytes) {
  std::string out;
  bool pending_space = false;
  bool too_long = false;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::uint32_t cp = 0;
    std::size_t length = DecodeUtf8(text, pos, &cp);
    const bool valid = length != 0;
    std::string_view piece = valid ? text.substr(pos, length) : kReplacement;
    pos += valid ? length : 1;
    if (valid && IsSpaceOrControl(cp)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) {
      out += ' ';
      pending_space = false;
    }
    out += piece;
    if (out.size() > max_bytes) {
      too_long = true;
      break;
    }
  }
  if (!too_long) return out;
  // Cut at a character boundary leaving room for the ellipsis.
  std::size_t cut =
      max_bytes >= kEllipsis.size() ? max_bytes - kEllipsis.size() : 0;
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  out.resize(cut);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  out += kEllipsis;
  return out;
}

}  // namespace neobridge::codec
