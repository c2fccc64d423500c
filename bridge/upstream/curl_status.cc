#include "bridge/upstream/curl_status.h"

#include "absl/strings/str_cat.h"

namespace neobridge::upstream {

absl::Status CurlResultToStatus(CURLcode code, absl::string_view host,
                                absl::string_view error_text,
                                bool deadline_passed) {
  const absl::string_view text =
      error_text.empty() ? absl::string_view(curl_easy_strerror(code))
                         : error_text;
  switch (code) {
    case CURLE_OK:
      return absl::OkStatus();
    case CURLE_OPERATION_TIMEDOUT:
      if (deadline_passed) {
        return absl::DeadlineExceededError(
            absl::StrCat("upstream request to ", host, " timed out: ", text));
      }
      return absl::UnavailableError(
          absl::StrCat("could not connect to upstream ", host,
                       " within the connect timeout: ", text));
    case CURLE_FILESIZE_EXCEEDED:
      return absl::ResourceExhaustedError(absl::StrCat(
          "upstream response from ", host, " is too large: ", text));
    case CURLE_OUT_OF_MEMORY:
      return absl::ResourceExhaustedError(
          absl::StrCat("out of memory talking to upstream ", host, ": ", text));
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return absl::InvalidArgumentError(
          absl::StrCat("invalid upstream URL for ", host, ": ", text));
    // The peer's certificate chain did not verify against the trusted CAs,
    // or does not name `host` (CURLE_SSL_CACERT is the same code).
    case CURLE_PEER_FAILED_VERIFICATION:
      return absl::UnavailableError(
          absl::StrCat("upstream TLS certificate of ", host,
                       " not trusted: ", text, "; give its CA with --ca-file",
                       " (and check that the certificate is for ", host, ")"));
    case CURLE_ABORTED_BY_CALLBACK:
      return absl::CancelledError(
          absl::StrCat("upstream request to ", host, " was cancelled"));
    case CURLE_FAILED_INIT:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_UNKNOWN_OPTION:
    case CURLE_SSL_ENGINE_INITFAILED:
      return absl::InternalError(absl::StrCat(
          "HTTP client misconfigured for upstream ", host, ": ", text));
    // Everything else is the network or the peer: DNS, connect, TLS
    // handshake or verification, send/receive failures, a connection closed
    // mid-response, HTTP/2 framing. Retrying elsewhere or later may work.
    default:
      return absl::UnavailableError(
          absl::StrCat("upstream request to ", host, " failed: ", text));
  }
}

}  // namespace neobridge::upstream
