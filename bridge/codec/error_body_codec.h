// Upstream error bodies → a plain struct with a message fit to show.
//
// Pulumi Cloud answers errors with `{"code": <http status>, "message": "…",
// "documentationUrl"?: "…", "errors"?: [{resource, attribute?, errorType,
// customMessage?}]}`, but proxies and load balancers in front of it answer
// with HTML or plain text; both give a usable message.
#ifndef NEOBRIDGE_BRIDGE_CODEC_ERROR_BODY_CODEC_H_
#define NEOBRIDGE_BRIDGE_CODEC_ERROR_BODY_CODEC_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace neobridge::codec {

// Longest `UpstreamError::message`, in bytes.
inline constexpr std::size_t kMaxErrorMessageBytes = 1024;
// Longest text kept from each member of an `errors` entry, in bytes.
inline constexpr std::size_t kMaxErrorDetailBytes = 256;
// Most `errors` entries kept.
inline constexpr std::size_t kMaxErrorDetails = 20;

// One entry of an error body's `errors` list. Absent members are empty.
struct UpstreamFieldError {
  std::string resource;        // `resource`
  std::string attribute;       // `attribute`
  std::string error_type;      // `errorType`
  std::string custom_message;  // `customMessage`
};

// What an upstream error body says. Every string is one line of valid UTF-8
// (see OneLine), safe for status messages, logs and protobuf fields.
struct UpstreamError {
  // True when the body was a JSON object with a string `message`: the
  // upstream's own error format.
  bool structured = false;
  // The body's `code` member (the HTTP status the upstream meant), or 0 when
  // absent or not an integer.
  int code = 0;
  // What to show: for a structured body its `message`, followed by the
  // `errors` entries in parentheses ("invalid entities (entity.type:
  // unknown)"); otherwise the body text itself (a JSON string's value, or
  // the text trimmed with white space collapsed). At most
  // kMaxErrorMessageBytes. Empty only when the body is empty or blank.
  std::string message;
  // `documentationUrl`, or empty.
  std::string documentation_url;
  // `errors`, at most kMaxErrorDetails of them; entries that are not objects
  // are skipped.
  std::vector<UpstreamFieldError> errors;
};

// Reads an error body of any shape. Never fails, never throws.
UpstreamError ParseErrorBody(std::string_view body);

}  // namespace neobridge::codec

#endif  // NEOBRIDGE_BRIDGE_CODEC_ERROR_BODY_CODEC_H_
