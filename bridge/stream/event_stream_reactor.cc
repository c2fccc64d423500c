#include "bridge/stream/event_stream_reactor.h"

#include <chrono>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bridge/codec/error_body_codec.h"
#include "bridge/codec/event_codec.h"
#include "bridge/log/json_log.h"
#include "bridge/status/error_details.h"
#include "bridge/status/grpc_status.h"
#include "bridge/status/status_mapping.h"
#include "google/protobuf/util/time_util.h"

namespace neobridge::stream {
namespace {

constexpr char kOperation[] = "StreamTaskEvents";
// Error bodies of a failed open are read up to this size.
constexpr size_t kMaxErrorBody = 64 * 1024;
// A malformed event's data is logged (at debug) up to this size.
constexpr size_t kMaxLoggedData = 1024;

std::chrono::system_clock::time_point Deadline(absl::Duration delay) {
  return std::chrono::system_clock::now() +
         absl::ToChronoNanoseconds(std::max(delay, absl::ZeroDuration()));
}

// After a successful open, a non-2xx answer to a reconnect is worth another
// try only when it is transient.
bool IsRetryableHttpStatus(int status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

}  // namespace

// Forwards one upstream transfer's callbacks, tagged with its generation, so
// callbacks of an abandoned transfer are recognised and ignored.
class EventStreamReactor::UpstreamObserver final
    : public upstream::StreamObserver {
 public:
  UpstreamObserver(EventStreamReactor* reactor, uint64_t generation)
      : reactor_(reactor), generation_(generation) {}

  void OnResponseStart(int status,
                       const upstream::HttpHeaders& headers) override {
    std::optional<std::string_view> request_id =
        headers.Get("x-pulumi-request-id");
    reactor_->OnUpstreamStart(
        generation_, status,
        request_id.has_value() ? std::string(*request_id) : std::string());
  }
  upstream::StreamAction OnData(std::string_view chunk) override {
    return reactor_->OnUpstreamData(generation_, chunk);
  }
  void OnDone(absl::Status status) override {
    // The reactor holds a reference for this transfer until here.
    reactor_->OnUpstreamDone(generation_, std::move(status));
  }

 private:
  EventStreamReactor* const reactor_;
  const uint64_t generation_;
};

// Collects what one Feed() produced.
class EventStreamReactor::Parsed final : public sse::SseVisitor {
 public:
  struct Event {
    std::string sse_id;
    std::string data;
  };
  void OnEvent(const sse::SseEvent& event) override {
    events.push_back({std::string(event.id), std::string(event.data)});
  }
  void OnComment(std::string_view) override { ++comments; }
  void OnRetry(int64_t) override {}

  std::vector<Event> events;
  int comments = 0;
};

EventStreamReactor::EventStreamReactor(client::NeoClient& client,
                                       v1::StreamTaskEventsRequest request,
                                       std::string access_token,
                                       StreamOptions options, StreamHooks hooks)
    : client_(client),
      request_(std::move(request)),
      access_token_(std::move(access_token)),
      options_(std::move(options)),
      observer_(*hooks.observer),
      on_done_(std::move(hooks.on_done)),
      parser_(
          sse::SseParserOptions{.max_event_bytes = options_.max_event_bytes}),
      last_progress_(absl::Now()),
      last_event_id_(request_.last_event_id()) {}

void EventStreamReactor::Start() {
  observer_.OnActiveStreams(+1);
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    actions.open_upstream = true;
    actions.arm_heartbeat = true;
  }
  Execute(std::move(actions));
}

void EventStreamReactor::OpenUpstream() {
  uint64_t generation;
  v1::StreamTaskEventsRequest request = request_;
  {
    absl::MutexLock lock(&mu_);
    if (finishing_) return;
    generation = ++generation_;
    upstream_active_ = true;
    upstream_paused_ = false;
    http_status_ = 0;
    error_body_.clear();
    request_id_.clear();
    parser_ = sse::SseParser(
        sse::SseParserOptions{.max_event_bytes = options_.max_event_bytes});
    request.set_last_event_id(last_event_id_);
    Ref();  // Released in OnUpstreamDone of this generation.
  }
  client::CallId id = client_.OpenEventStream(
      request,
      client::StreamCallOptions{.access_token = access_token_,
                                .open_timeout = options_.open_timeout,
                                .idle_timeout = options_.upstream_idle_timeout},
      std::make_shared<UpstreamObserver>(this, generation));
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    if (generation != generation_ || !upstream_active_) return;
    upstream_id_ = id;
    // The call may have ended, or the transfer paused, before its id was
    // known here.
    if (finishing_) actions.cancel_upstream = id;
    PumpLocked(actions);
  }
  Execute(std::move(actions));
}

void EventStreamReactor::OnUpstreamStart(uint64_t generation, int status,
                                         std::string request_id) {
  absl::MutexLock lock(&mu_);
  if (generation != generation_) return;
  {
    http_status_ = status;
    request_id_ = std::move(request_id);
    if (status >= 200 && status < 300) {
      ever_opened_ = true;
      attempt_ = 0;
      last_progress_ = absl::Now();
    }
  }
}

upstream::StreamAction EventStreamReactor::OnUpstreamData(
    uint64_t generation, std::string_view chunk) {
  Actions actions;
  upstream::StreamAction result = upstream::StreamAction::kContinue;
  {
    absl::MutexLock lock(&mu_);
    if (generation != generation_ || finishing_) return result;
    if (http_status_ < 200 || http_status_ >= 300) {
      if (error_body_.size() < kMaxErrorBody) {
        error_body_.append(chunk.substr(0, kMaxErrorBody - error_body_.size()));
      }
      return result;
    }
    if (queue_.size() >= options_.queue_capacity) {
      // The caller is slow: stop reading upstream. The chunk is offered
      // again after ResumeStream.
      upstream_paused_ = true;
      return upstream::StreamAction::kPause;
    }
    Parsed parsed;
    absl::Status fed = parser_.Feed(chunk, parsed);
    if (!parsed.events.empty() || parsed.comments > 0) {
      last_progress_ = absl::Now();
      attempt_ = 0;
    }
    for (Parsed::Event& raw : parsed.events) {
      absl::StatusOr<v1::TaskEvent> event = codec::ParseTaskEvent(raw.data);
      if (!event.ok()) {
        // Not a console event: nothing to relay. Its id still marks the
        // resume point, so it is not fetched again.
        log::Log(log::Level::kWarn, "skipped a malformed upstream event",
                 {{"rpc", kOperation},
                  {"org", request_.org()},
                  {"task", request_.task_id()},
                  {"event_id", raw.sse_id},
                  {"error", std::string(event.status().message())}});
        // What it was, for whoever debugs the upstream; the log layer
        // redacts any token in it.
        log::Log(log::Level::kDebug, "malformed upstream event data",
                 {{"rpc", kOperation},
                  {"task", request_.task_id()},
                  {"data", raw.data.substr(0, kMaxLoggedData)}});
        if (!raw.sse_id.empty()) last_event_id_ = raw.sse_id;
        continue;
      }
      if (event->id().empty()) event->set_id(raw.sse_id);
      EnqueueEventLocked(*std::move(event));
    }
    if (!fed.ok()) {
      // An oversized event: the stream cannot continue.
      FinishLocked(status::UpstreamTransportError(kOperation, fed),
                   /*drain=*/true, actions);
      actions.cancel_upstream = upstream_id_;
    }
    PumpLocked(actions);
  }
  Execute(std::move(actions));
  return result;
}

void EventStreamReactor::EnqueueEventLocked(v1::TaskEvent event) {
  const std::string& id = event.id();
  if (!id.empty()) {
    if (recent_id_set_.contains(id)) return;  // Replayed: delivered before.
    recent_ids_.push_back(id);
    recent_id_set_.insert(recent_ids_.back());
    if (recent_ids_.size() > options_.dedupe_window) {
      recent_id_set_.erase(recent_ids_.front());
      recent_ids_.pop_front();
    }
    last_event_id_ = id;
  }
  v1::StreamTaskEventsResponse item;
  *item.mutable_event() = std::move(event);
  queue_.push_back(std::move(item));
}

void EventStreamReactor::OnUpstreamDone(uint64_t generation,
                                        absl::Status status) {
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    if (generation == generation_) {
      upstream_active_ = false;
      upstream_id_ = 0;
      if (!finishing_) {
        const int http = http_status_;
        if (http != 0 && (http < 200 || http >= 300)) {
          codec::UpstreamError error = codec::ParseErrorBody(error_body_);
          absl::Status failure = status::UpstreamHttpError(
              {.operation = kOperation,
               .http_status = http,
               .upstream_message = std::move(error.message),
               .request_id = request_id_});
          if (ever_opened_ && IsRetryableHttpStatus(http)) {
            RetryLocked(failure, actions);
          } else {
            FinishLocked(failure, /*drain=*/true, actions);
          }
        } else if (!ever_opened_) {
          // The first open failed: report it, do not retry.
          FinishLocked(status::UpstreamTransportError(kOperation, status),
                       /*drain=*/true, actions);
        } else if (status.ok()) {
          absl::StatusOr<sse::SseStreamEnd> end = parser_.Finish();
          if (end.ok() && *end == sse::SseStreamEnd::kClean) {
            FinishLocked(absl::OkStatus(), /*drain=*/true, actions);
          } else {
            RetryLocked(absl::UnavailableError(
                            "upstream stream ended in the middle of an event"),
                        actions);
          }
        } else {
          RetryLocked(status, actions);
        }
      }
      PumpLocked(actions);
    }
  }
  Execute(std::move(actions));
  Unref();
}

void EventStreamReactor::RetryLocked(const absl::Status& cause,
                                     Actions& actions) {
  ++attempt_;
  const absl::Duration delay = BackoffDelay(
      options_.backoff, attempt_, absl::Uniform<double>(bitgen_, 0.0, 1.0));
  if (absl::Now() + delay - last_progress_ > options_.retry_budget) {
    FinishLocked(
        status::WithReason(
            absl::UnavailableError(absl::StrCat(
                kOperation, ": upstream stream lost and not restored within ",
                absl::FormatDuration(options_.retry_budget), " (", attempt_,
                " attempts; last error: ", cause.message(),
                "); resume with last_event_id")),
            status::kReasonUpstreamUnreachable),
        /*drain=*/true, actions);
    return;
  }
  log::Log(log::Level::kInfo, "reconnecting upstream stream",
           {{"rpc", kOperation},
            {"org", request_.org()},
            {"task", request_.task_id()},
            {"attempt", absl::StrCat(attempt_)},
            {"delay", absl::FormatDuration(delay)},
            {"last_event_id", last_event_id_},
            {"cause", std::string(cause.message())}});
  observer_.OnStreamReconnect();
  actions.arm_reconnect = true;
  actions.reconnect_delay = delay;
}

void EventStreamReactor::FinishLocked(absl::Status status, bool drain,
                                      Actions& actions) {
  if (finishing_) return;
  finishing_ = true;
  drain_ = drain;
  final_status_ = std::move(status);
  actions.cancel_alarms = true;
  if (upstream_active_) actions.cancel_upstream = upstream_id_;
}

void EventStreamReactor::PumpLocked(Actions& actions) {
  if (finish_called_) return;
  if (finishing_ && !drain_) queue_.clear();
  if (!write_in_flight_ && !queue_.empty()) {
    in_flight_ = std::move(queue_.front());
    queue_.pop_front();
    write_in_flight_ = true;
    // A heartbeat does not count: the next tick sends another if nothing
    // else was written.
    if (in_flight_.has_event()) wrote_since_tick_ = true;
    actions.start_write = true;
  }
  if (upstream_paused_ && upstream_active_ && upstream_id_ != 0 &&
      !finishing_ && queue_.size() <= options_.queue_capacity / 2) {
    upstream_paused_ = false;
    actions.resume_upstream = true;
    actions.resume_id = upstream_id_;
  }
  if (finishing_ && !write_in_flight_ && queue_.empty()) {
    finish_called_ = true;
    actions.finish = true;
    actions.finish_status = status::ToGrpcStatus(final_status_);
  }
}

void EventStreamReactor::OnWriteDone(bool ok) {
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    write_in_flight_ = false;
    if (!ok) {
      // The caller is gone; OnCancel follows or already ran.
      FinishLocked(absl::CancelledError("the caller went away"),
                   /*drain=*/false, actions);
    }
    PumpLocked(actions);
  }
  Execute(std::move(actions));
}

void EventStreamReactor::OnCancel() {
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    FinishLocked(absl::CancelledError("the caller cancelled the stream"),
                 /*drain=*/false, actions);
    PumpLocked(actions);
  }
  Execute(std::move(actions));
}

void EventStreamReactor::OnDone() {
  absl::Status final_status;
  {
    absl::MutexLock lock(&mu_);
    grpc_done_ = true;
    final_status = final_status_;
  }
  observer_.OnActiveStreams(-1);
  if (on_done_) std::move(on_done_)(this, final_status);
  Unref();
}

void EventStreamReactor::Shutdown(absl::Status status) {
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    FinishLocked(std::move(status), /*drain=*/true, actions);
    PumpLocked(actions);
  }
  Execute(std::move(actions));
}

void EventStreamReactor::AddRef() {
  absl::MutexLock lock(&mu_);
  Ref();
}

std::string EventStreamReactor::last_event_id() {
  absl::MutexLock lock(&mu_);
  return last_event_id_;
}

void EventStreamReactor::OnHeartbeatAlarm(bool ok) {
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    if (ok && !finishing_) {
      if (!wrote_since_tick_) {
        v1::StreamTaskEventsResponse item;
        *item.mutable_heartbeat()->mutable_time() =
            google::protobuf::util::TimeUtil::GetCurrentTime();
        queue_.push_back(std::move(item));
      }
      wrote_since_tick_ = false;
      actions.arm_heartbeat = true;
      PumpLocked(actions);
    }
  }
  Execute(std::move(actions));
  Unref();
}

void EventStreamReactor::OnReconnectAlarm(bool ok) {
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    actions.open_upstream = ok && !finishing_;
  }
  Execute(std::move(actions));
  Unref();
}

void EventStreamReactor::Execute(Actions actions) {
  std::unique_ptr<grpc::Alarm> old_heartbeat;
  std::unique_ptr<grpc::Alarm> old_reconnect;
  {
    absl::MutexLock lock(&mu_);
    // Alarms are armed under the lock (a future deadline never runs the
    // callback inline) and destroyed outside it (destruction cancels, and a
    // cancelled alarm's callback may run at once).
    if (actions.arm_heartbeat && !finishing_) {
      old_heartbeat = std::move(heartbeat_alarm_);
      heartbeat_alarm_ = std::make_unique<grpc::Alarm>();
      Ref();
      heartbeat_alarm_->Set(Deadline(options_.heartbeat_interval),
                            [this](bool ok) { OnHeartbeatAlarm(ok); });
    }
    if (actions.arm_reconnect && !finishing_) {
      old_reconnect = std::move(reconnect_alarm_);
      reconnect_alarm_ = std::make_unique<grpc::Alarm>();
      Ref();
      reconnect_alarm_->Set(Deadline(actions.reconnect_delay),
                            [this](bool ok) { OnReconnectAlarm(ok); });
    }
    if (actions.cancel_alarms) {
      old_heartbeat = std::move(heartbeat_alarm_);
      old_reconnect = std::move(reconnect_alarm_);
    }
  }
  old_heartbeat.reset();
  old_reconnect.reset();
  if (actions.cancel_upstream != 0) client_.Cancel(actions.cancel_upstream);
  if (actions.resume_upstream && actions.resume_id != 0) {
    client_.ResumeStream(actions.resume_id);
  }
  if (actions.start_write) StartWrite(&in_flight_);
  if (actions.finish) Finish(actions.finish_status);
  if (actions.open_upstream) OpenUpstream();
}

void EventStreamReactor::Unref() {
  bool last;
  {
    absl::MutexLock lock(&mu_);
    last = --refs_ == 0;
  }
  if (last) delete this;
}

}  // namespace neobridge::stream
