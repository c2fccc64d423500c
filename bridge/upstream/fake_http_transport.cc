#include "bridge/upstream/fake_http_transport.h"

#include <utility>

namespace neobridge::upstream {

namespace {

std::string_view WithoutQuery(std::string_view url) {
  return url.substr(0, url.find('?'));
}

absl::Status CancelledStatus() {
  return absl::CancelledError("upstream request cancelled");
}

absl::Status ShutdownStatus() {
  return absl::CancelledError("HTTP transport is shutting down");
}

}  // namespace

FakeHttpTransport::Reply FakeHttpTransport::Reply::Respond(
    int status, std::string body, HttpHeaders headers) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  response.headers = std::move(headers);
  return Response(std::move(response));
}

FakeHttpTransport::Reply FakeHttpTransport::Reply::Response(
    HttpResponse response) {
  return Reply(false, std::move(response));
}

FakeHttpTransport::Reply FakeHttpTransport::Reply::Error(absl::Status status) {
  if (status.ok()) status = absl::InternalError("Reply::Error with OK status");
  return Reply(false, std::move(status));
}

FakeHttpTransport::Reply FakeHttpTransport::Reply::Hold() {
  return Reply(true, absl::UnknownError("held"));
}

FakeHttpTransport::FakeHttpTransport()
    : default_reply_(Reply::Error(absl::UnimplementedError(
          "FakeHttpTransport: no scripted reply for this request"))) {
  thread_ = std::jthread([this] { Run(); });
}

FakeHttpTransport::~FakeHttpTransport() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    for (auto& [id, done] : held_) {
      PostLocked([done = std::move(done)]() mutable {
        std::move(done)(ShutdownStatus());
      });
    }
    held_.clear();
    for (auto& [id, stream] : streams_) {
      PostLocked([observer = std::move(stream.observer)]() mutable {
        observer->OnDone(ShutdownStatus());
      });
    }
    streams_.clear();
  }
  thread_.join();
}

void FakeHttpTransport::Run() {
  for (;;) {
    Task task;
    {
      absl::MutexLock lock(&mu_);
      running_task_ = false;
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !tasks_.empty() || stopping_;
      };
      mu_.Await(absl::Condition(&ready));
      if (tasks_.empty()) return;  // stopping, and nothing left to run
      task = std::move(tasks_.front());
      tasks_.pop_front();
      running_task_ = true;
    }
    std::move(task)();
  }
}

void FakeHttpTransport::PostLocked(Task task) {
  tasks_.push_back(std::move(task));
}

FakeHttpTransport::Reply FakeHttpTransport::PickReplyLocked(
    const HttpRequest& request) {
  if (!replies_.empty()) {
    Reply reply = std::move(replies_.front());
    replies_.pop_front();
    return reply;
  }
  for (const Route& route : routes_) {
    if (route.method == request.method &&
        (route.url == request.url || route.url == WithoutQuery(request.url))) {
      return route.reply;
    }
  }
  return default_reply_;
}

HttpTransport::RequestId FakeHttpTransport::Send(HttpRequest request,
                                                 DoneCallback done) {
  absl::MutexLock lock(&mu_);
  const RequestId id = next_id_++;
  Reply reply = PickReplyLocked(request);
  requests_.push_back(RecordedRequest{id, false, std::move(request)});
  if (stopping_) {
    PostLocked([done = std::move(done)]() mutable {
      std::move(done)(ShutdownStatus());
    });
  } else if (reply.held()) {
    held_.emplace(id, std::move(done));
  } else {
    PostLocked([done = std::move(done), result = reply.result()]() mutable {
      std::move(done)(std::move(result));
    });
  }
  return id;
}

HttpTransport::RequestId FakeHttpTransport::OpenStream(
    HttpRequest request, std::shared_ptr<StreamObserver> observer) {
  absl::MutexLock lock(&mu_);
  const RequestId id = next_id_++;
  requests_.push_back(RecordedRequest{id, true, std::move(request)});
  if (stopping_) {
    PostLocked([observer = std::move(observer)]() mutable {
      observer->OnDone(ShutdownStatus());
    });
  } else {
    streams_[id].observer = std::move(observer);
  }
  return id;
}

void FakeHttpTransport::Cancel(RequestId id) {
  absl::MutexLock lock(&mu_);
  if (auto node = held_.extract(id); !node.empty()) {
    cancelled_.push_back(id);
    PostLocked([done = std::move(node.mapped())]() mutable {
      std::move(done)(CancelledStatus());
    });
    return;
  }
  if (auto node = streams_.extract(id); !node.empty()) {
    cancelled_.push_back(id);
    PostLocked([observer = std::move(node.mapped().observer)]() mutable {
      observer->OnDone(CancelledStatus());
    });
  }
}

void FakeHttpTransport::Resume(RequestId id) {
  absl::MutexLock lock(&mu_);
  auto it = streams_.find(id);
  if (it == streams_.end() || !it->second.paused) return;
  it->second.paused = false;
  PostLocked([this, id]() mutable { Pump(id); });
}

void FakeHttpTransport::PushReply(Reply reply) {
  absl::MutexLock lock(&mu_);
  replies_.push_back(std::move(reply));
}

void FakeHttpTransport::SetRoute(HttpMethod method, std::string url,
                                 Reply reply) {
  absl::MutexLock lock(&mu_);
  for (Route& route : routes_) {
    if (route.method == method && route.url == url) {
      route.reply = std::move(reply);
      return;
    }
  }
  routes_.push_back(Route{method, std::move(url), std::move(reply)});
}

void FakeHttpTransport::SetDefaultReply(Reply reply) {
  absl::MutexLock lock(&mu_);
  default_reply_ = std::move(reply);
}

bool FakeHttpTransport::Complete(RequestId id,
                                 absl::StatusOr<HttpResponse> result) {
  absl::MutexLock lock(&mu_);
  auto node = held_.extract(id);
  if (node.empty()) return false;
  PostLocked(
      [done = std::move(node.mapped()), result = std::move(result)]() mutable {
        std::move(done)(std::move(result));
      });
  return true;
}

bool FakeHttpTransport::StreamStart(RequestId id, int status,
                                    HttpHeaders headers) {
  absl::MutexLock lock(&mu_);
  auto it = streams_.find(id);
  if (it == streams_.end() || it->second.ended || it->second.started) {
    return false;
  }
  it->second.started = true;
  it->second.events.push_back(StreamStartEvent{status, std::move(headers)});
  PostLocked([this, id]() mutable { Pump(id); });
  return true;
}

bool FakeHttpTransport::StreamPush(RequestId id, std::string chunk) {
  absl::MutexLock lock(&mu_);
  auto it = streams_.find(id);
  if (it == streams_.end() || it->second.ended) return false;
  Stream& stream = it->second;
  if (!stream.started) {
    stream.started = true;
    stream.events.push_back(StreamStartEvent{200, {}});
  }
  stream.events.push_back(StreamDataEvent{std::move(chunk)});
  PostLocked([this, id]() mutable { Pump(id); });
  return true;
}

bool FakeHttpTransport::StreamEnd(RequestId id, absl::Status status) {
  absl::MutexLock lock(&mu_);
  auto it = streams_.find(id);
  if (it == streams_.end() || it->second.ended) return false;
  it->second.ended = true;
  it->second.events.push_back(StreamEndEvent{std::move(status)});
  PostLocked([this, id]() mutable { Pump(id); });
  return true;
}

void FakeHttpTransport::Pump(RequestId id) {
  for (;;) {
    StreamEvent event;
    std::shared_ptr<StreamObserver> observer;
    {
      absl::MutexLock lock(&mu_);
      auto it = streams_.find(id);
      if (it == streams_.end()) return;  // cancelled or ended
      Stream& stream = it->second;
      if (stream.paused || stream.events.empty()) return;
      observer = stream.observer;
      if (std::holds_alternative<StreamDataEvent>(stream.events.front())) {
        // Stays queued until the observer accepts it.
        event = stream.events.front();
      } else {
        event = std::move(stream.events.front());
        stream.events.pop_front();
        if (std::holds_alternative<StreamEndEvent>(event)) streams_.erase(it);
      }
    }
    if (auto* start = std::get_if<StreamStartEvent>(&event)) {
      observer->OnResponseStart(start->status, start->headers);
    } else if (auto* end = std::get_if<StreamEndEvent>(&event)) {
      observer->OnDone(std::move(end->status));
      return;
    } else {
      const StreamAction action =
          observer->OnData(std::get<StreamDataEvent>(event).data);
      absl::MutexLock lock(&mu_);
      auto it = streams_.find(id);
      if (it == streams_.end()) return;  // cancelled from inside OnData
      if (action == StreamAction::kPause) {
        it->second.paused = true;
        return;
      }
      it->second.events.pop_front();
    }
  }
}

std::vector<FakeHttpTransport::RecordedRequest> FakeHttpTransport::requests()
    const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

bool FakeHttpTransport::WaitForRequests(size_t n,
                                        absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto reached = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return requests_.size() >= n;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

std::vector<HttpTransport::RequestId> FakeHttpTransport::cancelled() const {
  absl::MutexLock lock(&mu_);
  return cancelled_;
}

bool FakeHttpTransport::WaitForCancelled(RequestId id,
                                         absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto reached = [this, id]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (RequestId c : cancelled_) {
      if (c == id) return true;
    }
    return false;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

bool FakeHttpTransport::IsPending(RequestId id) const {
  absl::MutexLock lock(&mu_);
  return held_.contains(id) || streams_.contains(id);
}

bool FakeHttpTransport::IsPaused(RequestId id) const {
  absl::MutexLock lock(&mu_);
  auto it = streams_.find(id);
  return it != streams_.end() && it->second.paused;
}

bool FakeHttpTransport::WaitForPaused(RequestId id,
                                      absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto reached = [this, id]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = streams_.find(id);
    return it != streams_.end() && it->second.paused;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

bool FakeHttpTransport::WaitIdle(absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return tasks_.empty() && !running_task_;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&idle), timeout);
}

}  // namespace neobridge::upstream
