#include "emulator/sse_stream.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>
#include <utility>

#include "emulator/sse_format.h"

namespace neo_emulator {
namespace {

// A client that has not read this much is considered stuck and dropped.
constexpr size_t kMaxBufferedBytes = 8 << 20;

}  // namespace

SseStream::SseStream(evhttp_request* request, event_base* base,
                     const timeval* heartbeat, StreamFaults faults,
                     ClosedCallback on_closed)
    : request_(request),
      connection_(evhttp_request_get_connection(request)),
      base_(base),
      faults_(std::move(faults)),
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
    // Frames are small and written one by one: without this, Nagle's
    // algorithm holds each behind the client's delayed ACK (up to 40 ms).
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    peer_watch_ = event_new(base, fd, EV_READ | EV_PERSIST,
                            &SseStream::OnPeerReadable, this);
    event_add(peer_watch_, nullptr);
  }
  AfterEvents();
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
  if (output_watch_ != nullptr) {
    // The connection (and so its output buffer) is still alive here: the
    // close callback runs before evhttp frees the bufferevent.
    evbuffer_remove_cb_entry(watched_output_, output_watch_);
    output_watch_ = nullptr;
    watched_output_ = nullptr;
  }
  if (drop_ != nullptr) {
    event_free(drop_);
    drop_ = nullptr;
  }
}

void SseStream::Write(absl::string_view frame) {
  if (state_ != State::kOpen) return;
  for (absl::string_view piece :
       SplitIntoChunks(frame, faults_.chunk_bytes.value_or(0))) {
    // Each call is one HTTP chunk (size line, data, CRLF).
    evbuffer_add(buffer_, piece.data(), piece.size());
    evhttp_send_reply_chunk(request_, buffer_);
  }
}

void SseStream::AfterEvents() {
  if (state_ != State::kOpen) return;
  if (faults_.malformed && !malformed_written_ &&
      events_written_ == faults_.malformed->after_events) {
    malformed_written_ = true;
    Write(FormatDataFrame(MalformedData(*faults_.malformed),
                          faults_.line_ending));
  }
  if (faults_.drop_after_events && !faults_.drop_mid_frame &&
      events_written_ >= *faults_.drop_after_events) {
    BeginDrop();
  } else if (faults_.stall_after_events &&
             events_written_ >= *faults_.stall_after_events) {
    Stall();
  }
}

void SseStream::Stall() {
  state_ = State::kStalled;
  if (heartbeat_ != nullptr) {
    event_free(heartbeat_);
    heartbeat_ = nullptr;
  }
}

void SseStream::BeginDrop() {
  Stall();
  state_ = State::kDropping;
  drop_ = event_new(base_, -1, 0, &SseStream::OnDropDue, this);
  bufferevent* bev = evhttp_connection_get_bufferevent(connection_);
  evbuffer* output = bev != nullptr ? bufferevent_get_output(bev) : nullptr;
  if (output == nullptr || evbuffer_get_length(output) == 0) {
    event_active(drop_, EV_TIMEOUT, 0);
    return;
  }
  watched_output_ = output;
  output_watch_ = evbuffer_add_cb(output, &SseStream::OnOutputChanged, this);
}

void SseStream::OnOutputChanged(evbuffer* output,
                                const evbuffer_cb_info* /*info*/, void* arg) {
  // Runs inside the bufferevent's write path: only schedule the close.
  auto* self = static_cast<SseStream*>(arg);
  if (evbuffer_get_length(output) == 0) {
    event_active(self->drop_, EV_TIMEOUT, 0);
  }
}

void SseStream::OnDropDue(int /*fd*/, short /*what*/, void* arg) {
  static_cast<SseStream*>(arg)->Abort();  // Deletes the stream.
}

void SseStream::SendEvent(absl::string_view id, absl::string_view json) {
  if (state_ != State::kOpen) return;
  const std::string frame = FormatEventFrame(id, json, faults_.line_ending);
  if (faults_.drop_mid_frame &&
      events_written_ >= faults_.drop_after_events.value_or(0)) {
    Write(absl::string_view(frame).substr(0, frame.size() / 2));
    BeginDrop();
    return;
  }
  Write(frame);
  ++events_written_;
  AfterEvents();
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
  auto* self = static_cast<SseStream*>(arg);
  self->Write(FormatCommentFrame("heartbeat", self->faults_.line_ending));
}

void SseStream::OnPeerReadable(int fd, short /*what*/, void* arg) {
  auto* self = static_cast<SseStream*>(arg);
  bufferevent* bev = evhttp_connection_get_bufferevent(self->connection_);
  if (SSL* ssl = bev != nullptr ? bufferevent_openssl_get_ssl(bev) : nullptr) {
    // TLS: the bytes may be a record without data (a client's close_notify
    // comes before its FIN); let OpenSSL read it.
    char byte;
    ERR_clear_error();
    const int n = SSL_peek(ssl, &byte, 1);
    if (n > 0) {
      self->StopPeerWatch();  // Data: a pipelined request, as below.
      return;
    }
    const int error = SSL_get_error(ssl, n);
    ERR_clear_error();
    if (error == SSL_ERROR_WANT_READ) return;  // Not a whole record yet.
    if (error == SSL_ERROR_WANT_WRITE) {
      self->StopPeerWatch();  // Blocked on a write; noticed on write.
      return;
    }
    self->Abort();  // close_notify, EOF or a broken record. Deletes self.
    return;
  }
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
    self->StopPeerWatch();
  }
}

void SseStream::StopPeerWatch() {
  event_free(peer_watch_);
  peer_watch_ = nullptr;
}

}  // namespace neo_emulator
