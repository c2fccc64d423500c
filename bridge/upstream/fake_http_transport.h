// FakeHttpTransport: a scripted, in-memory HttpTransport for testing the
// layers above the wire (NeoClient, the SSE relay) without a network.

#ifndef NEOBRIDGE_BRIDGE_UPSTREAM_FAKE_HTTP_TRANSPORT_H_
#define NEOBRIDGE_BRIDGE_UPSTREAM_FAKE_HTTP_TRANSPORT_H_

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bridge/upstream/http_transport.h"

namespace neobridge::upstream {

// Behaves like CurlTransport as seen through HttpTransport: every callback
// runs on the fake's own thread, in order, never inline from a call, never
// under its lock; Cancel/Resume are asynchronous the same way; destruction
// cancels whatever is pending. Instead of a network it
//  - records every request (method, URL, headers, body, timeouts);
//  - answers Send() from scripted replies: first the queue of PushReply()
//    (one per call, in order), then the first SetRoute() matching method
//    and URL, then the default reply (UNIMPLEMENTED unless changed);
//  - can hold a Send() until the test calls Complete() (or Cancel() hits it);
//  - keeps every OpenStream() open for the test to drive with
//    StreamStart/StreamPush/StreamEnd, honouring kPause like libcurl: the
//    refused chunk and everything after it wait for Resume().
// All methods are thread-safe.
class FakeHttpTransport final : public HttpTransport {
 public:
  // A scripted answer to a Send().
  class Reply {
   public:
    static Reply Respond(int status, std::string body = {},
                         HttpHeaders headers = {});
    static Reply Response(HttpResponse response);
    static Reply Error(absl::Status status);  // a transport error
    static Reply Hold();  // pending until Complete() or Cancel()

    bool held() const { return held_; }
    const absl::StatusOr<HttpResponse>& result() const { return result_; }

   private:
    Reply(bool held, absl::StatusOr<HttpResponse> result)
        : held_(held), result_(std::move(result)) {}

    bool held_;
    absl::StatusOr<HttpResponse> result_;
  };

  struct RecordedRequest {
    RequestId id = 0;
    bool stream = false;  // OpenStream() rather than Send()
    HttpRequest request;
  };

  FakeHttpTransport();
  FakeHttpTransport(const FakeHttpTransport&) = delete;
  FakeHttpTransport& operator=(const FakeHttpTransport&) = delete;
  // Cancels everything pending (callbacks get CANCELLED on the fake's
  // thread), runs every queued callback, joins the thread.
  ~FakeHttpTransport() override;

  // HttpTransport.
  RequestId Send(HttpRequest request, DoneCallback done) override;
  RequestId OpenStream(HttpRequest request,
                       std::shared_ptr<StreamObserver> observer) override;
  void Cancel(RequestId id) override;
  void Resume(RequestId id) override;

  // Scripting Send().
  void PushReply(Reply reply);
  // Every Send() with `method` whose URL equals `url`, or whose URL without
  // its query equals `url`. A later route for the same pair replaces it.
  void SetRoute(HttpMethod method, std::string url, Reply reply);
  void SetDefaultReply(Reply reply);
  // Completes held Send() `id` with `result`. False if `id` is not held
  // (unknown, already completed or cancelled).
  bool Complete(RequestId id, absl::StatusOr<HttpResponse> result);

  // Driving OpenStream() `id`; each is delivered in order after what was
  // pushed before. False if the stream is unknown or already ended.
  bool StreamStart(RequestId id, int status, HttpHeaders headers = {});
  // Implies StreamStart(id, 200) if the stream was not started.
  bool StreamPush(RequestId id, std::string chunk);
  // OnDone(status) once everything pushed before has been consumed.
  bool StreamEnd(RequestId id, absl::Status status = absl::OkStatus());

  // Observations.
  std::vector<RecordedRequest> requests() const;
  // Waits until at least `n` requests have been made; false on timeout.
  bool WaitForRequests(size_t n, absl::Duration timeout) const;
  // Ids that Cancel() found pending (and completed with CANCELLED).
  std::vector<RequestId> cancelled() const;
  bool WaitForCancelled(RequestId id, absl::Duration timeout) const;
  // A held Send() or a stream whose OnDone has not been scheduled.
  bool IsPending(RequestId id) const;
  // The stream's observer returned kPause and no Resume() came yet.
  bool IsPaused(RequestId id) const;
  bool WaitForPaused(RequestId id, absl::Duration timeout) const;
  // Waits until every callback scheduled so far has run; false on timeout.
  bool WaitIdle(absl::Duration timeout) const;

 private:
  struct StreamStartEvent {
    int status;
    HttpHeaders headers;
  };
  struct StreamDataEvent {
    std::string data;
  };
  struct StreamEndEvent {
    absl::Status status;
  };
  using StreamEvent =
      std::variant<StreamStartEvent, StreamDataEvent, StreamEndEvent>;
  struct Stream {
    std::shared_ptr<StreamObserver> observer;
    std::deque<StreamEvent> events;  // not yet delivered
    bool started = false;            // a start event has been queued
    bool ended = false;              // an end event has been queued
    bool paused = false;
  };
  struct Route {
    HttpMethod method;
    std::string url;
    Reply reply;
  };
  using Task = absl::AnyInvocable<void() &&>;

  void PostLocked(Task task) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Reply PickReplyLocked(const HttpRequest& request)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Pump(RequestId id);  // fake thread: delivers queued stream events
  void Run();               // fake thread

  mutable absl::Mutex mu_;
  RequestId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::vector<RecordedRequest> requests_ ABSL_GUARDED_BY(mu_);
  std::deque<Reply> replies_ ABSL_GUARDED_BY(mu_);
  std::vector<Route> routes_ ABSL_GUARDED_BY(mu_);
  Reply default_reply_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<RequestId, DoneCallback> held_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<RequestId, Stream> streams_ ABSL_GUARDED_BY(mu_);
  std::vector<RequestId> cancelled_ ABSL_GUARDED_BY(mu_);
  std::deque<Task> tasks_ ABSL_GUARDED_BY(mu_);
  bool running_task_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  std::jthread thread_;  // last: started after everything it uses
};

}  // namespace neobridge::upstream

#endif  // NEOBRIDGE_BRIDGE_UPSTREAM_FAKE_HTTP_TRANSPORT_H_
