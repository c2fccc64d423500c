#include "bridge/codec/error_body_codec.h"

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bridge/codec/json_value.h"
#include "bridge/codec/message_text.h"
#include "nlohmann/json.hpp"

namespace neobridge::codec {
namespace {

using nlohmann::json;

// The string member `key` of `object`, made one line, or "".
std::string StringMember(const json& object, const char* key,
                         std::size_t max_bytes) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return "";
  return OneLine(it->get_ref<const std::string&>(), max_bytes);
}

// "resource.attribute: customMessage" (or ": errorType" without one).
std::string DescribeFieldError(const UpstreamFieldError& error) {
  std::string where = error.resource;
  if (!error.attribute.empty()) {
    absl::StrAppend(&where, where.empty() ? "" : ".", error.attribute);
  }
  const std::string& what =
      error.custom_message.empty() ? error.error_type : error.custom_message;
  if (where.empty()) return what;
  if (what.empty()) return where;
  return absl::StrCat(where, ": ", what);
}

void ReadStructured(const json& body, const std::string& upstream_message,
                    UpstreamError* out) {
  out->structured = true;
  if (auto it = body.find("code"); it != body.end() && it->is_number()) {
    const double code = it->get<double>();
    if (std::trunc(code) == code && code >= 0 && code <= 999) {
      out->code = static_cast<int>(code);
    }
  }
  out->documentation_url =
      StringMember(body, "documentationUrl", kMaxErrorDetailBytes);
  if (auto it = body.find("errors"); it != body.end() && it->is_array()) {
    for (const json& item : *it) {
      if (out->errors.size() == kMaxErrorDetails) break;
      if (!item.is_object()) continue;
      out->errors.push_back(UpstreamFieldError{
          .resource = StringMember(item, "resource", kMaxErrorDetailBytes),
          .attribute = StringMember(item, "attribute", kMaxErrorDetailBytes),
          .error_type = StringMember(item, "errorType", kMaxErrorDetailBytes),
          .custom_message =
              StringMember(item, "customMessage", kMaxErrorDetailBytes),
      });
    }
  }
  std::string message = upstream_message;
  std::vector<std::string> details;
  for (const UpstreamFieldError& error : out->errors) {
    std::string detail = DescribeFieldError(error);
    if (!detail.empty()) details.push_back(std::move(detail));
  }
  if (!details.empty()) {
    const std::string joined = absl::StrJoin(details, "; ");
    message =
        message.empty() ? joined : absl::StrCat(message, " (", joined, ")");
  }
  out->message = OneLine(message, kMaxErrorMessageBytes);
}

}  // namespace

UpstreamError ParseErrorBody(std::string_view body) {
  UpstreamError out;
  absl::StatusOr<json> parsed = ParseJson(body);
  if (parsed.ok()) {
    if (parsed->is_object()) {
      auto message = parsed->find("message");
      if (message != parsed->end() && message->is_string()) {
        ReadStructured(*parsed, message->get_ref<const std::string&>(), &out);
        if (!out.message.empty()) return out;
      }
    } else if (parsed->is_string()) {
      out.message =
          OneLine(parsed->get_ref<const std::string&>(), kMaxErrorMessageBytes);
      return out;
    }
  }
  // Not the upstream's format: show the text itself.
  out.message = OneLine(body, kMaxErrorMessageBytes);
  return out;
}

}  // namespace neobridge::codec
