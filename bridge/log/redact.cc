#include "bridge/log/redact.h"

#include <initializer_list>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace neobridge::log {
namespace {

bool IsAlnum(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c));
}

// Whether `text` has `word` (lower case) at `pos`, ignoring case.
bool HasWordAt(absl::string_view text, size_t pos, absl::string_view word) {
  return pos + word.size() <= text.size() &&
         absl::EqualsIgnoreCase(text.substr(pos, word.size()), word);
}

// A quote at `pos`: `"` (1) or `\"` (2), as in JSON embedded in a string;
// 0 when there is none.
size_t QuoteAt(absl::string_view text, size_t pos) {
  if (pos < text.size() && text[pos] == '"') return 1;
  if (pos + 1 < text.size() && text[pos] == '\\' && text[pos + 1] == '"') {
    return 2;
  }
  return 0;
}

size_t SkipSpaces(absl::string_view text, size_t pos) {
  while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
  return pos;
}

// The end of a quoted value whose opening quote (of width `quote`) ended
// just before `pos`: the position of its closing quote, or text.size().
size_t QuotedEnd(absl::string_view text, size_t pos, size_t quote) {
  while (pos < text.size()) {
    if (quote == 1) {
      if (text[pos] == '\\') {
        pos += 2;
        continue;
      }
      if (text[pos] == '"') return pos;
    } else if (text[pos] == '\\' && pos + 1 < text.size() &&
               text[pos + 1] == '"') {
      return pos;
    }
    ++pos;
  }
  return text.size();
}

// The end of an unquoted header or query value starting at `pos`.
size_t BareValueEnd(absl::string_view text, size_t pos) {
  while (pos < text.size() && text[pos] != '\n' && text[pos] != '\r' &&
         text[pos] != ',' && text[pos] != ';' && text[pos] != '&' &&
         text[pos] != '"' && text[pos] != '\\') {
    ++pos;
  }
  return pos;
}

// The end of a single token (no spaces) starting at `pos`.
size_t TokenEnd(absl::string_view text, size_t pos) {
  while (pos < text.size() && text[pos] != ' ' && text[pos] != '\t' &&
         text[pos] != '\n' && text[pos] != '\r' && text[pos] != '"' &&
         text[pos] != '\\' && text[pos] != ',' && text[pos] != ';') {
    ++pos;
  }
  return pos;
}

// At `pos`, "authorization" or "x-api-key" followed by ':' or '=' and a
// value: appends the key with the value redacted to `out` and returns the
// end of the value; returns `pos` (appending nothing) otherwise.
size_t HeaderValueRedacted(absl::string_view text, size_t pos,
                           std::string& out) {
  for (absl::string_view key : {"authorization", "x-api-key"}) {
    if (!HasWordAt(text, pos, key)) continue;
    size_t p = SkipSpaces(text, pos + key.size());
    if (p >= text.size() || (text[p] != ':' && text[p] != '=')) continue;
    p = SkipSpaces(text, p + 1);
    const size_t value_end = BareValueEnd(text, p);
    if (value_end == p) continue;
    absl::StrAppend(&out, text.substr(pos, p - pos));
    out.append(kRedacted);
    return value_end;
  }
  return pos;
}

}  // namespace

bool IsSecretName(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  // Settings about secrets are not secrets (e.g. service_token_policy).
  if (absl::EndsWith(lower, "policy")) return false;
  for (absl::string_view word : {"authorization", "secret", "password",
                                 "api_key", "api-key", "apikey", "cookie"}) {
    if (absl::StrContains(lower, word)) return true;
  }
  // "token" is a secret unless it counts tokens ("tokens", "token_usage").
  for (size_t pos = lower.find("token"); pos != std::string::npos;
       pos = lower.find("token", pos + 1)) {
    absl::string_view rest = absl::string_view(lower).substr(pos + 5);
    if (absl::StartsWith(rest, "s") || absl::StartsWith(rest, "_usage") ||
        absl::StartsWith(rest, "usage")) {
      continue;
    }
    return true;
  }
  return false;
}

std::string RedactSecrets(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const bool word_start = i == 0 || !IsAlnum(text[i - 1]);
    // A JSON member name that says it holds a secret, with a string value.
    if (size_t quote = QuoteAt(text, i); quote > 0) {
      const size_t name_begin = i + quote;
      const size_t name_end = QuotedEnd(text, name_begin, quote);
      if (name_end < text.size() && name_end - name_begin <= 64 &&
          IsSecretName(text.substr(name_begin, name_end - name_begin))) {
        size_t p = SkipSpaces(text, name_end + quote);
        if (p < text.size() && text[p] == ':') {
          p = SkipSpaces(text, p + 1);
          if (size_t value_quote = QuoteAt(text, p); value_quote > 0) {
            const size_t value_begin = p + value_quote;
            const size_t value_end = QuotedEnd(text, value_begin, value_quote);
            absl::StrAppend(&out, text.substr(i, value_begin - i));
            out.append(kRedacted);
            i = value_end;
            continue;
          }
        }
      }
      absl::StrAppend(&out, text.substr(i, quote));
      i += quote;
      continue;
    }
    // A Pulumi access token.
    if (HasWordAt(text, i, "pul-")) {
      size_t end = i + 4;
      while (end < text.size() && IsAlnum(text[end])) ++end;
      if (end - (i + 4) >= 8) {
        out.append(kRedacted);
        i = end;
        continue;
      }
    }
    // "Bearer X".
    if (word_start && HasWordAt(text, i, "bearer ")) {
      const size_t value_begin = SkipSpaces(text, i + 7);
      const size_t value_end = TokenEnd(text, value_begin);
      if (value_end > value_begin) {
        absl::StrAppend(&out, text.substr(i, value_begin - i));
        out.append(kRedacted);
        i = value_end;
        continue;
      }
    }
    // "authorization: X" / "x-api-key=X" (header or query form).
    if (word_start) {
      if (size_t end = HeaderValueRedacted(text, i, out); end > i) {
        i = end;
        continue;
      }
    }
    out.push_back(text[i]);
    ++i;
  }
  return out;
}

}  // namespace neobridge::log
