#include "bridge/stream/event_stream_reactor.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "bridge/status/error_details.h"
#include "bridge/status/grpc_status.h"
#include "google/protobuf/util/time_util.h"

namespace neobridge::stream {

EventStreamReactor::EventStreamReactor(StreamHub& hub,
                                       v1::StreamTaskEventsRequest request,
                                       std::string access_token,
                                       std::string credential_fingerprint,
                                       StreamHooks hooks)
    : hub_(hub),
      request_(std::move(request)),
      access_token_(std::move(access_token)),
      credential_fingerprint_(std::move(credential_fingerprint)),
      observer_(*hooks.observer),
      on_done_(std::move(hooks.on_done)),
      last_event_id_(request_.last_event_id()) {}

void EventStreamReactor::Start() {
  observer_.OnActiveStreams(+1);
  std::shared_ptr<EventFeed> feed = hub_.Subscribe(
      request_, std::move(access_token_), credential_fingerprint_, this);
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    feed_ = std::move(feed);
    // The call may have ended before it had a feed to leave.
    if (finishing_) actions.detach = true;
    PumpLocked(actions);
  }
  Execute(std::move(actions));
}

void EventStreamReactor::PumpLocked(Actions& actions) {
  if (finish_called_ || write_in_flight_) return;
  const v1::StreamTaskEventsResponse* next = nullptr;
  if (!finishing_) {
    if (heartbeat_due_) {
      heartbeat_due_ = false;
      *heartbeat_.mutable_heartbeat()->mutable_time() =
          google::protobuf::util::TimeUtil::GetCurrentTime();
      next = &heartbeat_;
    } else if (feed_ != nullptr) {
      EventFeed::Taken taken = feed_->Take(this);
      actions.resume_upstream = taken.resume;
      if (taken.item != nullptr) {
        in_flight_ = std::move(taken.item);
        if (!in_flight_->event().id().empty()) {
          last_event_id_ = in_flight_->event().id();
        }
        // A heartbeat does not count: the next tick sends another if
        // nothing else was written.
        wrote_since_tick_ = true;
        next = in_flight_.get();
      } else if (taken.cut) {
        FinishLocked(
            status::WithReason(
                absl::ResourceExhaustedError(absl::StrCat(
                    "StreamTaskEvents: this call fell too far behind the "
                    "task's newest event (more than --stream-max-lag events) "
                    "while other calls watching the task kept up; read "
                    "faster, or call again with last_event_id \"",
                    last_event_id_, "\" to resume")),
                status::kReasonCallerTooSlow),
            actions);
      } else if (taken.end.has_value()) {
        FinishLocked(*std::move(taken.end), actions);
      }
    }
  }
  if (next != nullptr) {
    write_in_flight_ = true;
    actions.start_write = true;
    write_ = next;
  } else if (finishing_) {
    finish_called_ = true;
    actions.finish = true;
    actions.finish_status = status::ToGrpcStatus(final_status_);
  }
}

void EventStreamReactor::FinishLocked(absl::Status status, Actions& actions) {
  if (finishing_) return;
  finishing_ = true;
  final_status_ = std::move(status);
  actions.detach = true;
}

void EventStreamReactor::OnFeedUpdate() {
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    PumpLocked(actions);
  }
  Execute(std::move(actions));
}

void EventStreamReactor::OnWriteDone(bool ok) {
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    write_in_flight_ = false;
    in_flight_.reset();
    if (!ok) {
      // The caller is gone; OnCancel follows or already ran.
      FinishLocked(absl::CancelledError("the caller went away"), actions);
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
                 actions);
    PumpLocked(actions);
  }
  Execute(std::move(actions));
}

void EventStreamReactor::OnDone() {
  absl::Status final_status;
  std::shared_ptr<EventFeed> feed;
  {
    absl::MutexLock lock(&mu_);
    final_status = final_status_;
    feed = std::move(feed_);
  }
  feed.reset();
  observer_.OnActiveStreams(-1);
  if (on_done_) std::move(on_done_)(this, final_status);
  Release();
}

void EventStreamReactor::Shutdown(absl::Status status) {
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    FinishLocked(std::move(status), actions);
    PumpLocked(actions);
  }
  Execute(std::move(actions));
}

void EventStreamReactor::Release() {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
}

std::string EventStreamReactor::last_event_id() {
  absl::MutexLock lock(&mu_);
  return last_event_id_;
}

void EventStreamReactor::OnHeartbeatTick() {
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    if (finishing_) return;
    if (!wrote_since_tick_) heartbeat_due_ = true;
    wrote_since_tick_ = false;
    PumpLocked(actions);
  }
  Execute(std::move(actions));
}

void EventStreamReactor::Execute(Actions actions) {
  std::shared_ptr<EventFeed> feed;
  const v1::StreamTaskEventsResponse* write = nullptr;
  {
    absl::MutexLock lock(&mu_);
    if (actions.detach || actions.resume_upstream != 0) feed = feed_;
    if (actions.start_write) write = write_;
  }
  if (feed != nullptr) {
    if (actions.detach) feed->Detach(this);
    if (actions.resume_upstream != 0) feed->Resume(actions.resume_upstream);
  }
  if (write != nullptr) StartWrite(write);
  if (actions.finish) Finish(actions.finish_status);
}

}  // namespace neobridge::stream
