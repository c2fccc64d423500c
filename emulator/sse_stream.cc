#include "emulator/sse_stream.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <sys/socket.h>

#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"

namespace neo_emulator {
namespace {

// A client that has not read this much is considered stuck and dropped.
constexpr size_t kMaxBufferedBytes = 8 << 20;

}  // namespace

SseStream::SseStream(evhttp_request* request, event_base* base,
                     const timeval* heartbeat, ClosedCallback on_closed)
    : request_(request),
      connection_(evhttp_request_get_connection(request)),
      on_closed_(std::move(on_closed)),
      buffer_(evbuffer_new()) {
  evhttp_connection_set_closecb(connection_, &SseStream::OnConnectionClosed,
                                this);
  evhttp_send_reply_start(request_, 200, "OK");

  heartbeat_ = event_new(base, -1, EV_PERSIST, &SseStream::OnHeartbeat, this);
  event_add(heartbeat_, heartbeat);

  // evhttp stops reading a connection while it writes a response, so a
  // client that hangs up is only noticed on the next failed write. Watch the
  // socket for EOF ourselves.
  bufferevent* bev = evhttp_connection_get_bufferevent(connection_);
  const evutil_socket_t fd = bev != nullptr ? bufferevent_getfd(bev) : -1;
  if (fd >= 0) {
    peer_watch_ = event_new(base, fd, EV_READ | EV_PERSIST,
                            &SseStream::OnPeerReadable, this);
    event_add(peer_watch_, nullptr);
  }
}

SseStream::~SseStream() {
  StopTimers();
  if (buffer_ != nullptr) evbuffer_free(buffer_);
}

void SseStream::StopTimers() {
  if (heartbeat_ != nullptr) {
    event_free(heartbeat_);
    heartbeat_ = nullptr;
  }
  if (peer_watch_ != nullptr) {
    event_free(peer_watch_);
    peer_watch_ = nullptr;
  }
}

void SseStream::Write(absl::string_view data) {
  evbuffer_add(buffer_, data.data(), data.size());
  evhttp_send_reply_chunk(request_, buffer_);
}

void SseStream::SendEvent(absl::string_view id, absl::string_view json) {
  Write(absl::StrCat("id: ", id, "\ndata: ", json, "\n\n"));
  bufferevent* bev = evhttp_connection_get_bufferevent(connection_);
  if (bev != nullptr &&
      evbuffer_get_length(bufferevent_get_output(bev)) > kMaxBufferedBytes) {
    Abort();  // Deletes this.
  }
}

void SseStream::End(void (*drain_closecb)(evhttp_connection*, void*),
                    void (*on_complete)(evhttp_request*, void*),
                    void* drain_arg) {
  StopTimers();
  evhttp_connection_set_closecb(connection_, drain_closecb, drain_arg);
  evhttp_request_set_on_complete_cb(request_, on_complete, drain_arg);
  evhttp_send_reply_end(request_);
  request_ = nullptr;
  connection_ = nullptr;
}

void SseStream::Detach() {
  StopTimers();
  if (connection_ != nullptr) {
    evhttp_connection_set_closecb(connection_, nullptr, nullptr);
  }
  request_ = nullptr;
  connection_ = nullptr;
}

void SseStream::Abort() {
  // Runs OnConnectionClosed -> on_closed_, which deletes this.
  evhttp_connection_free(connection_);
}

void SseStream::OnConnectionClosed(evhttp_connection* /*connection*/,
                                   void* arg) {
  auto* self = static_cast<SseStream*>(arg);
  self->on_closed_(self);  // Deletes self.
}

void SseStream::OnHeartbeat(int /*fd*/, short /*what*/, void* arg) {
  static_cast<SseStream*>(arg)->Write(": heartbeat\n\n");
}

void SseStream::OnPeerReadable(int fd, short /*what*/, void* arg) {
  auto* self = static_cast<SseStream*>(arg);
  char byte;
  const ssize_t n = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0 ||
      (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
    self->Abort();  // Deletes self.
    return;
  }
  if (n > 0) {
    // The client sent more data (e.g. a pipelined request). Stop watching
    // so the loop does not spin; a hang-up is then noticed on write.
    event_free(self->peer_watch_);
    self->peer_watch_ = nullptr;
  }
}

}  // namespace neo_emulator
