#include "bridge/upstream/http_transport.h"

#include <algorithm>
#include <cctype>

namespace neobridge::upstream {

namespace {

// Debian's Abseil has its own absl::string_view, so these stay in std.
bool IsOws(char c) { return c == ' ' || c == '\t'; }

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && IsOws(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsOws(s.back())) s.remove_suffix(1);
  return s;
}

char AsciiLower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

}  // namespace

bool EqualsIgnoreAsciiCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return AsciiLower(x) == AsciiLower(y);
         });
}

std::string_view HttpMethodName(HttpMethod method) {
  switch (method) {
    case HttpMethod::kGet:
      return "GET";
    case HttpMethod::kPost:
      return "POST";
    case HttpMethod::kPatch:
      return "PATCH";
    case HttpMethod::kPut:
      return "PUT";
    case HttpMethod::kDelete:
      return "DELETE";
  }
  return "GET";
}

HttpHeaders::HttpHeaders(std::initializer_list<Field> fields) {
  for (const auto& [name, value] : fields) Add(name, value);
}

void HttpHeaders::Add(std::string_view name, std::string_view value) {
  std::string lower(TrimOws(name));
  std::transform(lower.begin(), lower.end(), lower.begin(), AsciiLower);
  fields_.emplace_back(std::move(lower), std::string(TrimOws(value)));
}

std::optional<std::string_view> HttpHeaders::Get(std::string_view name) const {
  for (const auto& [field_name, value] : fields_) {
    if (EqualsIgnoreAsciiCase(field_name, name)) return value;
  }
  return std::nullopt;
}

}  // namespace neobridge::upstream
