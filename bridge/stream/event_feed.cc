#include "bridge/stream/event_feed.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "bridge/codec/error_body_codec.h"
#include "bridge/codec/event_codec.h"
#include "bridge/log/json_log.h"
#include "bridge/status/error_details.h"
#include "bridge/status/status_mapping.h"

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
// callbacks of an abandoned transfer are recognised and ignored. Keeps the
// feed alive until the transfer is done.
class EventFeed::TransferObserver final : public upstream::StreamObserver {
 public:
  TransferObserver(std::shared_ptr<EventFeed> feed, uint64_t generation)
      : feed_(std::move(feed)), generation_(generation) {}

  void OnResponseStart(int status,
                       const upstream::HttpHeaders& headers) override {
    std::optional<std::string_view> request_id =
        headers.Get("x-pulumi-request-id");
    feed_->OnUpstreamStart(
        generation_, status,
        request_id.has_value() ? std::string(*request_id) : std::string());
  }
  upstream::StreamAction OnData(std::string_view chunk) override {
    return feed_->OnUpstreamData(generation_, chunk);
  }
  void OnDone(absl::Status status) override {
    feed_->OnUpstreamDone(generation_, std::move(status));
  }

 private:
  const std::shared_ptr<EventFeed> feed_;
  const uint64_t generation_;
};

// Collects what one Feed() produced.
class EventFeed::Parsed final : public sse::SseVisitor {
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

EventFeed::EventFeed(client::NeoClient& client,
                     v1::StreamTaskEventsRequest request,
                     std::string access_token, StreamOptions options,
                     FeedHooks hooks)
    : client_(client),
      request_(std::move(request)),
      access_token_(std::move(access_token)),
      options_(std::move(options)),
      observer_(*hooks.observer),
      on_closed_(std::move(hooks.on_closed)),
      on_destroyed_(std::move(hooks.on_destroyed)),
      parser_(
          sse::SseParserOptions{.max_event_bytes = options_.max_event_bytes}),
      last_progress_(absl::Now()),
      last_event_id_(request_.last_event_id()) {}

EventFeed::~EventFeed() {
  if (on_destroyed_) std::move(on_destroyed_)(this);
}

void EventFeed::Start() {
  {
    absl::MutexLock lock(&mu_);
    if (started_ || ended_) return;
    started_ = true;
  }
  observer_.OnUpstreamStreams(+1);
  Actions actions;
  actions.open_upstream = true;
  Execute(std::move(actions));
}

bool EventFeed::Attach(FeedSubscriber* subscriber,
                       absl::string_view last_event_id,
                       client::CallId* resume) {
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    if (ended_) return false;
    const uint64_t head = first_seq_ + history_.size();
    uint64_t next;
    if (last_event_id == request_.last_event_id() && history_complete_) {
      next = first_seq_;
    } else if (auto it = seq_of_id_.find(last_event_id);
               !last_event_id.empty() && it != seq_of_id_.end()) {
      next = it->second + 1;
    } else {
      return false;
    }
    subscribers_[subscriber] = SubscriberState{.next = next, .joined_at = head};
    // A feed that waits to close keeps serving; one paused for a caller
    // that is behind goes on, so the newcomer is not held up by it.
    linger_alarm_.swap(actions.old_linger);
    if (upstream_paused_ && upstream_active_ && upstream_id_ != 0) {
      upstream_paused_ = false;
      *resume = upstream_id_;
    }
  }
  Execute(std::move(actions));
  return true;
}

void EventFeed::Detach(FeedSubscriber* subscriber) {
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    if (subscribers_.erase(subscriber) == 0) return;
    if (!subscribers_.empty() || ended_) {
      // The others may be able to go on now.
      if (upstream_paused_ && upstream_active_ && upstream_id_ != 0 &&
          MinLagLocked() <= options_.queue_capacity / 2) {
        upstream_paused_ = false;
        actions.resume_upstream = upstream_id_;
      }
    } else if (options_.linger <= absl::ZeroDuration()) {
      EndLocked(absl::CancelledError("every caller left"), actions);
    } else {
      actions.arm_linger = true;
    }
  }
  Execute(std::move(actions));
}

EventFeed::Taken EventFeed::Take(FeedSubscriber* subscriber) {
  Taken taken;
  absl::MutexLock lock(&mu_);
  auto it = subscribers_.find(subscriber);
  if (it == subscribers_.end()) {
    taken.end = absl::CancelledError("not attached");
    return taken;
  }
  SubscriberState& state = it->second;
  if (!state.cut && state.next < first_seq_) state.cut = true;
  if (state.cut) {
    taken.end = absl::ResourceExhaustedError("behind");
    taken.cut = true;
    return taken;
  }
  const uint64_t head = first_seq_ + history_.size();
  if (state.next < head) {
    taken.item = history_[state.next - first_seq_];
    ++state.next;
    if (upstream_paused_ && upstream_active_ && upstream_id_ != 0 &&
        MinLagLocked() <= options_.queue_capacity / 2) {
      upstream_paused_ = false;
      taken.resume = upstream_id_;
    }
  } else if (ended_) {
    taken.end = end_status_;
  }
  return taken;
}

void EventFeed::Resume(client::CallId id) {
  if (id != 0) client_.ResumeStream(id);
}

void EventFeed::Close(absl::Status status) {
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    EndLocked(std::move(status), actions);
  }
  Execute(std::move(actions));
}

bool EventFeed::closed() {
  absl::MutexLock lock(&mu_);
  return ended_;
}

void EventFeed::OpenUpstream() {
  uint64_t generation;
  v1::StreamTaskEventsRequest request = request_;
  {
    absl::MutexLock lock(&mu_);
    if (ended_) return;
    generation = ++generation_;
    upstream_active_ = true;
    upstream_paused_ = false;
    http_status_ = 0;
    error_body_.clear();
    request_id_.clear();
    parser_ = sse::SseParser(
        sse::SseParserOptions{.max_event_bytes = options_.max_event_bytes});
    request.set_last_event_id(last_event_id_);
  }
  client::CallId id = client_.OpenEventStream(
      request,
      client::StreamCallOptions{.access_token = access_token_,
                                .open_timeout = options_.open_timeout,
                                .idle_timeout = options_.upstream_idle_timeout},
      std::make_shared<TransferObserver>(shared_from_this(), generation));
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    if (generation != generation_ || !upstream_active_) return;
    upstream_id_ = id;
    // The feed may have been closed before the id was known here.
    if (ended_) actions.cancel_upstream = id;
  }
  Execute(std::move(actions));
}

void EventFeed::OnUpstreamStart(uint64_t generation, int status,
                                std::string request_id) {
  absl::MutexLock lock(&mu_);
  if (generation != generation_) return;
  http_status_ = status;
  request_id_ = std::move(request_id);
  if (status >= 200 && status < 300) {
    ever_opened_ = true;
    attempt_ = 0;
    last_progress_ = absl::Now();
  }
}

upstream::StreamAction EventFeed::OnUpstreamData(uint64_t generation,
                                                 std::string_view chunk) {
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    if (generation != generation_ || ended_) {
      return upstream::StreamAction::kContinue;
    }
    if (http_status_ < 200 || http_status_ >= 300) {
      if (error_body_.size() < kMaxErrorBody) {
        error_body_.append(chunk.substr(0, kMaxErrorBody - error_body_.size()));
      }
      return upstream::StreamAction::kContinue;
    }
    if (!subscribers_.empty() && MinLagLocked() >= options_.queue_capacity) {
      // Every caller is behind: stop reading upstream until one catches up.
      // The chunk is offered again after ResumeStream.
      upstream_paused_ = true;
      return upstream::StreamAction::kPause;
    }
    Parsed parsed;
    absl::Status fed = parser_.Feed(chunk, parsed);
    if (!parsed.events.empty() || parsed.comments > 0) {
      last_progress_ = absl::Now();
      attempt_ = 0;
    }
    const uint64_t head_before = first_seq_ + history_.size();
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
      AppendLocked(*std::move(event), raw.data.size());
    }
    if (!fed.ok()) {
      // An oversized event: the stream cannot continue.
      EndLocked(status::UpstreamTransportError(kOperation, fed), actions);
    }
    if (first_seq_ + history_.size() != head_before) {
      CutLaggardsLocked();
      TrimHistoryLocked();
      actions.notify = true;
    }
  }
  Execute(std::move(actions));
  return upstream::StreamAction::kContinue;
}

void EventFeed::AppendLocked(v1::TaskEvent event, size_t bytes) {
  const uint64_t seq = first_seq_ + history_.size();
  if (!event.id().empty()) {
    // Replayed after a reconnect: delivered before.
    if (!seq_of_id_.try_emplace(event.id(), seq).second) return;
    last_event_id_ = event.id();
  }
  auto item = std::make_shared<v1::StreamTaskEventsResponse>();
  *item->mutable_event() = std::move(event);
  history_.push_back(std::move(item));
  history_sizes_.push_back(bytes);
  history_bytes_ += bytes;
}

void EventFeed::TrimHistoryLocked() {
  auto over = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return history_.size() > options_.history_events ||
           history_bytes_ > options_.history_bytes;
  };
  if (!over()) return;
  // Items a caller has yet to take stay (the callers' lag bounds them).
  uint64_t needed = first_seq_ + history_.size();
  for (const auto& [subscriber, state] : subscribers_) {
    if (!state.cut) needed = std::min(needed, state.next);
  }
  while (!history_.empty() && first_seq_ < needed && over()) {
    const std::string& id = history_.front()->event().id();
    if (!id.empty()) seq_of_id_.erase(id);
    history_bytes_ -= history_sizes_.front();
    history_.pop_front();
    history_sizes_.pop_front();
    ++first_seq_;
    history_complete_ = false;
  }
}

uint64_t EventFeed::LagLocked(const SubscriberState& state) const {
  const uint64_t head = first_seq_ + history_.size();
  const uint64_t from = std::max(state.next, state.joined_at);
  return head > from ? head - from : 0;
}

uint64_t EventFeed::MinLagLocked() const {
  uint64_t min = std::numeric_limits<uint64_t>::max();
  for (const auto& [subscriber, state] : subscribers_) {
    if (!state.cut) min = std::min(min, LagLocked(state));
  }
  return min == std::numeric_limits<uint64_t>::max() ? 0 : min;
}

void EventFeed::CutLaggardsLocked() {
  // Only while another caller keeps up: when every caller is behind, the
  // upstream pauses instead.
  if (subscribers_.size() < 2 || MinLagLocked() >= options_.queue_capacity) {
    return;
  }
  for (auto& [subscriber, state] : subscribers_) {
    if (!state.cut && LagLocked(state) > options_.max_lag) {
      state.cut = true;
      observer_.OnSlowCallerEnded();
    }
  }
}

void EventFeed::OnUpstreamDone(uint64_t generation, absl::Status status) {
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    if (generation != generation_) return;
    upstream_active_ = false;
    upstream_id_ = 0;
    if (ended_) return;
    const int http = http_status_;
    if (http != 0 && (http < 200 || http >= 300)) {
      codec::UpstreamError error = codec::ParseErrorBody(error_body_);
      absl::Status failure = status::UpstreamHttpError(
          {.operation = kOperation,
           .http_status = http,
           .upstream_message = std::move(error.message),
           .request_id = request_id_,
           .secrets = {access_token_}});
      if (ever_opened_ && IsRetryableHttpStatus(http)) {
        RetryLocked(failure, actions);
      } else {
        EndLocked(failure, actions);
      }
    } else if (!ever_opened_) {
      // The first open failed: report it, do not retry.
      EndLocked(status::UpstreamTransportError(kOperation, status), actions);
    } else if (status.ok()) {
      absl::StatusOr<sse::SseStreamEnd> end = parser_.Finish();
      if (end.ok() && *end == sse::SseStreamEnd::kClean) {
        EndLocked(absl::OkStatus(), actions);
      } else {
        RetryLocked(absl::UnavailableError(
                        "upstream stream ended in the middle of an event"),
                    actions);
      }
    } else {
      RetryLocked(status, actions);
    }
  }
  Execute(std::move(actions));
}

void EventFeed::RetryLocked(const absl::Status& cause, Actions& actions) {
  ++attempt_;
  const absl::Duration delay = BackoffDelay(
      options_.backoff, attempt_, absl::Uniform<double>(bitgen_, 0.0, 1.0));
  if (absl::Now() + delay - last_progress_ > options_.retry_budget) {
    EndLocked(
        status::WithReason(
            absl::UnavailableError(absl::StrCat(
                kOperation, ": upstream stream lost and not restored within ",
                absl::FormatDuration(options_.retry_budget), " (", attempt_,
                " attempts; last error: ", cause.message(),
                "); resume with last_event_id")),
            status::kReasonUpstreamUnreachable),
        actions);
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

void EventFeed::EndLocked(absl::Status status, Actions& actions) {
  if (ended_) return;
  ended_ = true;
  end_status_ = std::move(status);
  if (upstream_active_) actions.cancel_upstream = upstream_id_;
  upstream_paused_ = false;
  reconnect_alarm_.swap(actions.old_reconnect);
  linger_alarm_.swap(actions.old_linger);
  actions.notify = true;
  actions.closed = true;
  if (started_) actions.stream_closed = true;
}

void EventFeed::OnReconnectAlarm(bool ok) {
  bool open;
  {
    absl::MutexLock lock(&mu_);
    open = ok && !ended_;
  }
  if (open) OpenUpstream();
}

void EventFeed::OnLingerAlarm(bool ok) {
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    if (!ok || ended_ || !subscribers_.empty()) return;
    EndLocked(absl::CancelledError("every caller left"), actions);
  }
  Execute(std::move(actions));
}

void EventFeed::Execute(Actions actions) {
  // Alarms are made and destroyed outside the lock: either may take gRPC's
  // library lock (init/shutdown), under which gRPC may run a cancelled
  // alarm's callback, which takes `mu_`. They are set under it (a future
  // deadline never runs the callback inline).
  std::unique_ptr<grpc::Alarm> reconnect =
      actions.arm_reconnect ? std::make_unique<grpc::Alarm>() : nullptr;
  std::unique_ptr<grpc::Alarm> linger =
      actions.arm_linger ? std::make_unique<grpc::Alarm>() : nullptr;
  {
    absl::MutexLock lock(&mu_);
    if (reconnect != nullptr && !ended_) {
      std::swap(reconnect_alarm_, reconnect);
      reconnect_alarm_->Set(
          Deadline(actions.reconnect_delay),
          [self = shared_from_this()](bool ok) { self->OnReconnectAlarm(ok); });
    }
    if (linger != nullptr && !ended_ && subscribers_.empty()) {
      std::swap(linger_alarm_, linger);
      linger_alarm_->Set(
          Deadline(options_.linger),
          [self = shared_from_this()](bool ok) { self->OnLingerAlarm(ok); });
    }
  }
  reconnect.reset();
  linger.reset();
  actions.old_reconnect.reset();
  actions.old_linger.reset();
  if (actions.cancel_upstream != 0) client_.Cancel(actions.cancel_upstream);
  if (actions.resume_upstream != 0)
    client_.ResumeStream(actions.resume_upstream);
  if (actions.stream_closed) observer_.OnUpstreamStreams(-1);
  if (actions.notify) NotifySubscribers();
  if (actions.closed && on_closed_) std::move(on_closed_)(this);
  if (actions.open_upstream) OpenUpstream();
}

void EventFeed::NotifySubscribers() {
  std::vector<FeedSubscriber*> subscribers;
  {
    absl::MutexLock lock(&mu_);
    subscribers.reserve(subscribers_.size());
    for (const auto& [subscriber, state] : subscribers_) {
      subscriber->AddRef();
      subscribers.push_back(subscriber);
    }
  }
  for (FeedSubscriber* subscriber : subscribers) {
    subscriber->OnFeedUpdate();
    subscriber->Release();
  }
}

}  // namespace neobridge::stream
