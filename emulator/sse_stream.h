// One open `text/event-stream` response on an evhttp request.
#ifndef NEO_EMULATOR_SSE_STREAM_H_
#define NEO_EMULATOR_SSE_STREAM_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/strings/string_view.h"
#include "emulator/fault_plan.h"

struct event;
struct event_base;
struct evbuffer;
struct evbuffer_cb_entry;
struct evbuffer_cb_info;
struct evhttp_connection;
struct evhttp_request;
struct timeval;

namespace neo_emulator {

// Writes SSE frames (`id: <id>\ndata: <json>\n\n`) and heartbeat comments
// (`: heartbeat\n\n`) to a chunked 200 response, and notices when the client
// goes away (connection close or EOF on the socket). Every byte goes through
// Write, which applies the stream's StreamFaults (drop, stall, tiny chunks,
// line endings, malformed frames); a default StreamFaults writes cleanly.
//
// Thread: created, used and destroyed on the event-loop thread. Owned by the
// HttpServer; `on_closed` runs (from a libevent callback) when the
// connection is gone, and the owner must delete the stream from inside it
// without touching the request again.
class SseStream {
 public:
  using ClosedCallback = std::function<void(SseStream*)>;

  // Sends the response head (and a malformed frame or a drop/stall due
  // after 0 events). `heartbeat` is a (common) timeout for the heartbeat
  // timer; it must outlive the stream. Never calls `on_closed` itself.
  SseStream(evhttp_request* request, event_base* base, const timeval* heartbeat,
            StreamFaults faults, ClosedCallback on_closed);
  ~SseStream();
  SseStream(const SseStream&) = delete;
  SseStream& operator=(const SseStream&) = delete;

  // Sends one event frame (discarded once the stream stalls or drops). May
  // detect a stuck client (more than 8 MiB buffered) and close the
  // connection, which runs `on_closed` and deletes this object before
  // returning: do not touch the stream afterwards. A fault drop never
  // deletes synchronously: it closes from a later loop callback.
  void SendEvent(absl::string_view id, absl::string_view json);

  // Finishes the response (terminating chunk) for a server shutdown. The
  // connection's close callback is handed to `drain_closecb`/`drain_arg`
  // and `on_complete` is registered for when the end is flushed; exactly
  // one of the two fires. The stream must be deleted right after.
  void End(void (*drain_closecb)(evhttp_connection*, void*),
           void (*on_complete)(evhttp_request*, void*), void* drain_arg);

  // Stops timers and unregisters the close callback, so freeing the
  // connection afterwards (evhttp_free) does not call back. The stream must
  // be deleted right after.
  void Detach();

  evhttp_connection* connection() const { return connection_; }
  uint64_t subscription_id() const { return subscription_id_; }
  void set_subscription_id(uint64_t id) { subscription_id_ = id; }

 private:
  static void OnConnectionClosed(evhttp_connection* connection, void* arg);
  static void OnHeartbeat(int fd, short what, void* arg);
  // Watches the socket for the client going away: EOF (or, over TLS, a
  // close_notify) aborts the stream.
  static void OnPeerReadable(int fd, short what, void* arg);
  void StopPeerWatch();

  static void OnOutputChanged(evbuffer* output, const evbuffer_cb_info* info,
                              void* arg);
  static void OnDropDue(int fd, short what, void* arg);

  enum class State {
    kOpen,      // Writing.
    kStalled,   // Writes nothing more; the connection stays open.
    kDropping,  // Writes nothing more; closes once the output is flushed.
  };

  // Writes `frame` (already in the stream's line ending) as one HTTP chunk,
  // or as chunks of at most chunk_bytes. No-op unless kOpen.
  void Write(absl::string_view frame);
  // Applies the faults due now that events_written_ event frames are out.
  void AfterEvents();
  void Stall();
  // Stops writing; closes the connection (without the terminating chunk)
  // from a loop callback once everything written so far is flushed.
  void BeginDrop();
  // Drops the connection; runs on_closed_ (which deletes this).
  void Abort();
  void StopTimers();

  evhttp_request* request_;
  evhttp_connection* connection_;
  event_base* base_;
  StreamFaults faults_;
  ClosedCallback on_closed_;
  evbuffer* buffer_ = nullptr;
  event* heartbeat_ = nullptr;
  event* peer_watch_ = nullptr;
  // While dropping: the connection's output buffer being watched, and the
  // event that closes the connection once it is empty.
  evbuffer* watched_output_ = nullptr;
  evbuffer_cb_entry* output_watch_ = nullptr;
  event* drop_ = nullptr;
  State state_ = State::kOpen;
  int events_written_ = 0;
  bool malformed_written_ = false;
  uint64_t subscription_id_ = 0;
};

}  // namespace neo_emulator

#endif  // NEO_EMULATOR_SSE_STREAM_H_
