// The upstream HTTP transport: the narrow interface every layer above the
// wire (NeoClient, the SSE relay) talks to, and the value types it carries.
// One implementation (CurlTransport) and one test fake (FakeHttpTransport).

#ifndef NEOBRIDGE_BRIDGE_UPSTREAM_HTTP_TRANSPORT_H_
#define NEOBRIDGE_BRIDGE_UPSTREAM_HTTP_TRANSPORT_H_

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace neobridge::upstream {

enum class HttpMethod { kGet, kPost, kPatch, kPut, kDelete };

// "GET", "POST", ... as sent on the wire.
std::string_view HttpMethodName(HttpMethod method);

// ASCII case-insensitive equality, as for HTTP field names.
bool EqualsIgnoreAsciiCase(std::string_view a, std::string_view b);

// Response header fields in arrival order. Names are stored lower-cased
// (HTTP field names are case-insensitive); values are stored with surrounding
// whitespace trimmed. Repeated fields keep every occurrence.
class HttpHeaders {
 public:
  using Field = std::pair<std::string, std::string>;

  HttpHeaders() = default;
  HttpHeaders(std::initializer_list<Field> fields);

  // Lower-cases `name` and trims `value` before storing.
  void Add(std::string_view name, std::string_view value);
  void Clear() { fields_.clear(); }

  // The first field called `name` (any case), or nullopt. The view points
  // into this object and is invalidated by Add/Clear/destruction.
  std::optional<std::string_view> Get(std::string_view name) const;

  const std::vector<Field>& fields() const { return fields_; }
  bool empty() const { return fields_.empty(); }
  size_t size() const { return fields_.size(); }

  friend bool operator==(const HttpHeaders&, const HttpHeaders&) = default;

 private:
  std::vector<Field> fields_;
};

struct HttpRequest {
  HttpMethod method = HttpMethod::kGet;
  // Absolute http:// or https:// URL, already percent-encoded by the caller.
  std::string url;
  // Sent as given, in order. Names and values must not contain CR, LF or
  // NUL (the transport fails the request with INVALID_ARGUMENT otherwise).
  // Values may carry credentials: no transport logs them or puts them into
  // an error message.
  std::vector<std::pair<std::string, std::string>> headers;
  // Sent for POST/PATCH/PUT (empty means Content-Length: 0), and for
  // DELETE/GET only when non-empty.
  std::string body;
  // Send(): bounds the whole transfer (connect + send + the full response);
  // the caller derives it from the gRPC deadline. OpenStream(): bounds the
  // time until the response headers have arrived. Zero or negative fails
  // the request with DEADLINE_EXCEEDED without touching the network;
  // absl::InfiniteDuration() means no bound.
  absl::Duration timeout = absl::Seconds(20);
  // OpenStream() only: once the response has started, a gap of this long
  // without a byte from upstream (while not paused) ends the stream with
  // DEADLINE_EXCEEDED "upstream read idle for ...". Infinite disables it.
  absl::Duration idle_timeout = absl::InfiniteDuration();
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;

  std::optional<std::string_view> Header(std::string_view name) const {
    return headers.Get(name);
  }
};

// What a stream observer wants after seeing a chunk.
enum class StreamAction {
  kContinue,
  // Pause the transfer (libcurl's write pause): the chunk just offered was
  // NOT consumed. No more OnData until HttpTransport::Resume(); then this
  // chunk, and whatever arrived meanwhile, is offered again. While paused
  // the transport stops reading the socket and the idle timeout is off.
  kPause,
};

// Receives one streamed response. Every method is called on the transport's
// callback thread (CurlTransport: its loop thread), never concurrently, and
// never from inside the OpenStream() call. The transport keeps the observer
// alive (shared ownership) until OnDone has returned.
class StreamObserver {
 public:
  virtual ~StreamObserver() = default;

  // At most once, before any OnData, when the final response head (status
  // >= 200) has arrived. Called for every status, 2xx or not; what a non-2xx
  // means is decided above the transport. Its body follows through OnData.
  virtual void OnResponseStart(int status, const HttpHeaders& headers) = 0;

  // A piece of the response body, in order, of arbitrary size and split.
  // The view is valid only during the call.
  virtual StreamAction OnData(std::string_view chunk) = 0;

  // Exactly once, last. OK on a clean end of the body; otherwise the
  // transport error (UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED, ...), also
  // when OnResponseStart was never called.
  virtual void OnDone(absl::Status status) = 0;
};

// An asynchronous HTTP client. Thread-safe: every method may be called from
// any thread, including from inside its own callbacks.
//
// Errors are transport errors only; any HTTP answer, 2xx or not, is a
// successful HttpResponse (the HTTP -> gRPC mapping is done above):
//   connect refused/reset, DNS, TLS, connection lost -> UNAVAILABLE (the
//     message names the host and the library's error text; never a header);
//   the request's timeout (or idle_timeout)           -> DEADLINE_EXCEEDED;
//   Cancel() or transport shut down                   -> CANCELLED;
//   response body over the transport's size cap       -> RESOURCE_EXHAUSTED;
//   malformed request (URL, header bytes)             -> INVALID_ARGUMENT.
class HttpTransport {
 public:
  // Identifies one Send/OpenStream. Never 0; never reused by an instance.
  using RequestId = uint64_t;
  using DoneCallback =
      absl::AnyInvocable<void(absl::StatusOr<HttpResponse>) &&>;

  virtual ~HttpTransport() = default;

  // Starts `request`. `done` is called exactly once, on the transport's
  // callback thread and never inline from Send, with the full response or
  // a transport error. Destroying the transport completes every pending
  // request with CANCELLED before the destructor returns.
  virtual RequestId Send(HttpRequest request, DoneCallback done) = 0;

  // Starts a streamed request: the response is delivered piecewise to
  // `observer` (see StreamObserver) with no size cap. `request.timeout`
  // bounds the wait for the response head, `request.idle_timeout` the gaps
  // between bytes afterwards.
  virtual RequestId OpenStream(HttpRequest request,
                               std::shared_ptr<StreamObserver> observer) = 0;

  // Aborts request `id` if it is still in flight: the connection carrying an
  // HTTP/1.1 transfer is closed (an HTTP/2 stream is reset) so upstream sees
  // the abort promptly, and its done/OnDone gets CANCELLED. A no-op when
  // `id` has already completed or is unknown. Asynchronous: the callback
  // may already be running or queued when Cancel returns, and then it
  // reports whatever that completion was.
  virtual void Cancel(RequestId id) = 0;

  // Resumes stream `id` after its observer returned StreamAction::kPause.
  // A no-op when the stream is not paused, finished or unknown.
  // Asynchronous, like Cancel; it is applied after the OnData that returned
  // kPause has returned, so the observer may call Resume (from any thread)
  // as soon as it has decided to pause, even before returning kPause.
  virtual void Resume(RequestId id) = 0;
};

}  // namespace neobridge::upstream

#endif  // NEOBRIDGE_BRIDGE_UPSTREAM_HTTP_TRANSPORT_H_
