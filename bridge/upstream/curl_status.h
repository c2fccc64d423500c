// Pure mapping from a failed libcurl transfer to the transport's status.

#ifndef NEOBRIDGE_BRIDGE_UPSTREAM_CURL_STATUS_H_
#define NEOBRIDGE_BRIDGE_UPSTREAM_CURL_STATUS_H_

#include <curl/curl.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace neobridge::upstream {

// The status for a transfer that libcurl finished with `code` (not
// CURLE_OK). `host` is the upstream host name; `error_text` is libcurl's
// error buffer (may be empty: curl_easy_strerror(code) is used then). Both
// end up in the message, nothing else of the request does.
// `deadline_passed` says whether the request's own timeout had elapsed when
// it failed: CURLE_OPERATION_TIMEDOUT is then DEADLINE_EXCEEDED, otherwise
// it was the transport's connect timeout, which is UNAVAILABLE. A
// certificate that does not verify (CURLE_PEER_FAILED_VERIFICATION) is
// UNAVAILABLE "upstream TLS certificate of <host> not trusted: <text>; give
// its CA with --ca-file (and check that the certificate is for <host>)".
absl::Status CurlResultToStatus(CURLcode code, absl::string_view host,
                                absl::string_view error_text,
                                bool deadline_passed);

}  // namespace neobridge::upstream

#endif  // NEOBRIDGE_BRIDGE_UPSTREAM_CURL_STATUS_H_
