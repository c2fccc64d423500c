#include "tests/faults/fault_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <list>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace neobridge::faults {
namespace {

constexpr size_t kReadBytes = 64 << 10;
// A side is not read while this much is queued for the other side.
constexpr size_t kMaxQueuedBytes = 1 << 20;
// Bandwidth-limited writes are at most this much time's worth of bytes, so
// the rate stays smooth.
constexpr absl::Duration kPacingQuantum = absl::Milliseconds(10);

int Index(Direction direction) {
  return direction == Direction::kUpstream ? 0 : 1;
}

absl::Status Errno(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// Closes `fd` with a TCP RST instead of a FIN.
void CloseWithReset(int fd) {
  if (fd < 0) return;
  const linger reset = {.l_onoff = 1, .l_linger = 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
  close(fd);
}

void SetNonBlocking(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

}  // namespace

// The proxy thread's state: every connection, touched by that thread only.
class FaultProxy::Loop {
 public:
  explicit Loop(FaultProxy* proxy) : proxy_(proxy) {}
  ~Loop() {
    for (Connection& connection : connections_) Close(connection, false);
  }

  void Run();

 private:
  struct Chunk {
    std::string bytes;
    size_t offset = 0;
    absl::Time due;  // Read time plus latency.
  };
  // One direction of a connection.
  struct Flow {
    std::deque<Chunk> queue;
    size_t queued = 0;
    bool eof = false;       // The reading side sent FIN.
    bool shut = false;      // FIN passed on to the writing side.
    absl::Time next_write;  // Pacing: nothing is written before this.
    int64_t written = 0;
  };
  struct Connection {
    int client = -1;
    int upstream = -1;
    bool connecting = true;
    bool stalled = false;
    bool done = false;
    int64_t down_generation = 0;
    Flow flows[2];  // Indexed by Index(Direction).
  };

  int From(const Connection& c, int flow) const {
    return flow == 0 ? c.client : c.upstream;
  }
  int To(const Connection& c, int flow) const {
    return flow == 0 ? c.upstream : c.client;
  }

  // Accepts what is pending; reads `down` live, not from the loop's
  // snapshot, so a connection made after SetDown(false) returned is served.
  void Accept();
  void Close(Connection& connection, bool reset_client);
  // Reads what `flow`'s source has; false when the connection ended.
  bool Read(Connection& connection, int flow, const Toxics& toxics,
            absl::Time now);
  // Writes what is due; false when the connection ended.
  bool Write(Connection& connection, int flow, const Toxics& toxics,
             absl::Time now);
  // Whether a write could happen now, else when (InfiniteFuture = never).
  absl::Time WriteDue(const Connection& connection, int flow) const;

  FaultProxy* proxy_;
  std::list<Connection> connections_;
};

absl::StatusOr<std::unique_ptr<FaultProxy>> FaultProxy::Start(
    FaultProxyOptions options) {
  std::unique_ptr<FaultProxy> proxy(new FaultProxy());
  proxy->options_ = std::move(options);
  proxy->listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (proxy->listen_fd_ < 0) return Errno("socket");
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (bind(proxy->listen_fd_, reinterpret_cast<sockaddr*>(&address),
           sizeof(address)) != 0 ||
      listen(proxy->listen_fd_, 128) != 0) {
    return Errno("bind/listen on 127.0.0.1:0");
  }
  socklen_t length = sizeof(address);
  getsockname(proxy->listen_fd_, reinterpret_cast<sockaddr*>(&address),
              &length);
  proxy->port_ = ntohs(address.sin_port);
  SetNonBlocking(proxy->listen_fd_);
  if (pipe2(proxy->wake_fds_, O_CLOEXEC | O_NONBLOCK) != 0) {
    return Errno("pipe2");
  }
  proxy->loop_ = std::make_unique<Loop>(proxy.get());
  proxy->thread_ = std::jthread([raw = proxy.get()] { raw->loop_->Run(); });
  return proxy;
}

FaultProxy::~FaultProxy() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  Wake();
  if (thread_.joinable()) thread_.join();
  loop_.reset();
  for (int fd : {listen_fd_, wake_fds_[0], wake_fds_[1]}) {
    if (fd >= 0) close(fd);
  }
}

void FaultProxy::Wake() {
  const char byte = 0;
  // A full pipe already holds a wake-up.
  (void)!write(wake_fds_[1], &byte, 1);
}

void FaultProxy::SetLatency(Direction direction, absl::Duration latency) {
  {
    absl::MutexLock lock(&mu_);
    toxics_.latency[Index(direction)] = latency;
  }
  Wake();
}

void FaultProxy::SetBandwidth(Direction direction, int64_t bytes_per_second) {
  {
    absl::MutexLock lock(&mu_);
    toxics_.bytes_per_second[Index(direction)] = bytes_per_second;
  }
  Wake();
}

void FaultProxy::SetSlicing(Direction direction, int bytes,
                            absl::Duration delay) {
  {
    absl::MutexLock lock(&mu_);
    toxics_.slice_bytes[Index(direction)] = bytes;
    toxics_.slice_delay[Index(direction)] = delay;
  }
  Wake();
}

void FaultProxy::ResetAfter(int64_t bytes, int connections) {
  {
    absl::MutexLock lock(&mu_);
    toxics_.reset_after_bytes = bytes;
    toxics_.reset_budget = connections;
  }
  Wake();
}

void FaultProxy::StallAfter(int64_t bytes, int connections) {
  {
    absl::MutexLock lock(&mu_);
    toxics_.stall_after_bytes = bytes;
    toxics_.stall_budget = connections;
  }
  Wake();
}

void FaultProxy::SetDown(bool down) {
  {
    absl::MutexLock lock(&mu_);
    if (down && !toxics_.down) ++toxics_.down_generation;
    toxics_.down = down;
  }
  Wake();
}

void FaultProxy::Clear() {
  {
    absl::MutexLock lock(&mu_);
    const int64_t generation = toxics_.down_generation;
    toxics_ = Toxics{};
    toxics_.down_generation = generation;
  }
  Wake();
}

FaultProxyStats FaultProxy::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

void FaultProxy::Loop::Run() {
  std::vector<pollfd> fds;
  std::vector<std::pair<Connection*, int>> owners;  // (connection, side)
  while (true) {
    Toxics toxics;
    {
      absl::MutexLock lock(&proxy_->mu_);
      if (proxy_->stopping_) return;
      toxics = proxy_->toxics_;
    }
    const absl::Time now = absl::Now();
    // Going down resets every connection open at that moment.
    for (Connection& c : connections_) {
      if (c.down_generation != toxics.down_generation) {
        Close(c, /*reset_client=*/true);
      }
    }
    connections_.remove_if([](const Connection& c) { return c.done; });
    {
      absl::MutexLock lock(&proxy_->mu_);
      proxy_->stats_.open = static_cast<int64_t>(connections_.size());
    }

    fds.clear();
    owners.clear();
    fds.push_back({proxy_->wake_fds_[0], POLLIN, 0});
    fds.push_back({proxy_->listen_fd_, POLLIN, 0});
    absl::Time wake_at = absl::InfiniteFuture();
    for (Connection& c : connections_) {
      short events[2] = {0, 0};  // client, upstream
      if (c.connecting) {
        events[1] |= POLLOUT;
      } else {
        for (int flow = 0; flow < 2; ++flow) {
          const int from_side = flow == 0 ? 0 : 1;
          const int to_side = 1 - from_side;
          if (!c.flows[flow].eof && c.flows[flow].queued < kMaxQueuedBytes) {
            events[from_side] |= POLLIN;
          }
          const absl::Time due = WriteDue(c, flow);
          if (due <= now) {
            events[to_side] |= POLLOUT;
          } else {
            wake_at = std::min(wake_at, due);
          }
        }
      }
      // A side that has sent its FIN and been sent ours only reports
      // POLLHUP from now on: stop polling it.
      const bool client_over = c.flows[0].eof && c.flows[1].shut;
      const bool upstream_over = c.flows[1].eof && c.flows[0].shut;
      fds.push_back({client_over ? -1 : c.client, events[0], 0});
      owners.emplace_back(&c, 0);
      fds.push_back({upstream_over ? -1 : c.upstream, events[1], 0});
      owners.emplace_back(&c, 1);
    }
    int timeout_ms = 1000;
    if (wake_at != absl::InfiniteFuture()) {
      timeout_ms = static_cast<int>(std::clamp<int64_t>(
          absl::ToInt64Milliseconds(wake_at - now) + 1, 0, 1000));
    }
    if (poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR) {
      return;
    }
    if (fds[0].revents != 0) {
      char drain[64];
      while (read(proxy_->wake_fds_[0], drain, sizeof(drain)) > 0) {
      }
    }
    if (fds[1].revents & POLLIN) Accept();

    const absl::Time later = absl::Now();
    for (size_t i = 2; i < fds.size(); ++i) {
      auto [c, side] = owners[i - 2];
      if (c->done || fds[i].revents == 0) continue;
      if (c->connecting) {
        if (side != 1) {
          if (fds[i].revents & (POLLERR | POLLHUP)) Close(*c, true);
          continue;
        }
        int error = 0;
        socklen_t length = sizeof(error);
        getsockopt(c->upstream, SOL_SOCKET, SO_ERROR, &error, &length);
        if (error != 0) {
          Close(*c, /*reset_client=*/true);  // Like a refused connect.
          continue;
        }
        c->connecting = false;
        continue;
      }
      if (fds[i].revents & POLLERR) {
        Close(*c, /*reset_client=*/true);  // A reset on either side.
        continue;
      }
      // Reading first notices a FIN; then write what is due.
      const int read_flow = side == 0 ? 0 : 1;
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
          !c->flows[read_flow].eof) {
        if (!Read(*c, read_flow, toxics, later)) continue;
      }
      const int write_flow = 1 - read_flow;
      if (fds[i].revents & POLLOUT) Write(*c, write_flow, toxics, later);
    }
    // Writes whose pacing or latency came due without socket events.
    const absl::Time after = absl::Now();
    for (Connection& c : connections_) {
      for (int flow = 0; flow < 2 && !c.done && !c.connecting; ++flow) {
        if (WriteDue(c, flow) <= after) Write(c, flow, toxics, after);
      }
    }
  }
}

void FaultProxy::Loop::Accept() {
  while (true) {
    const int client =
        accept4(proxy_->listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) return;
    SetNonBlocking(client);
    bool down = false;
    int64_t down_generation = 0;
    {
      absl::MutexLock lock(&proxy_->mu_);
      down = proxy_->toxics_.down;
      down_generation = proxy_->toxics_.down_generation;
      ++proxy_->stats_.accepted;
      if (down) ++proxy_->stats_.refused;
    }
    if (down) {
      CloseWithReset(client);
      continue;
    }
    const int one = 1;
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    const int upstream = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (upstream < 0) {
      CloseWithReset(client);
      continue;
    }
    SetNonBlocking(upstream);
    setsockopt(upstream, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_port =
        htons(static_cast<uint16_t>(proxy_->options_.upstream_port));
    inet_pton(AF_INET, proxy_->options_.upstream_host.c_str(),
              &address.sin_addr);
    if (connect(upstream, reinterpret_cast<sockaddr*>(&address),
                sizeof(address)) != 0 &&
        errno != EINPROGRESS) {
      close(upstream);
      CloseWithReset(client);
      continue;
    }
    Connection& c = connections_.emplace_back();
    c.client = client;
    c.upstream = upstream;
    c.down_generation = down_generation;
  }
}

void FaultProxy::Loop::Close(Connection& c, bool reset_client) {
  if (c.done) return;
  c.done = true;
  if (reset_client) {
    CloseWithReset(c.client);
  } else {
    close(c.client);
  }
  close(c.upstream);
  c.client = c.upstream = -1;
}

absl::Time FaultProxy::Loop::WriteDue(const Connection& c, int flow) const {
  const Flow& f = c.flows[flow];
  if (c.stalled || c.done) return absl::InfiniteFuture();
  if (f.queue.empty()) {
    // A FIN to pass on once everything before it is written.
    return f.eof && !f.shut ? absl::InfinitePast() : absl::InfiniteFuture();
  }
  return std::max(f.queue.front().due, f.next_write);
}

bool FaultProxy::Loop::Read(Connection& c, int flow, const Toxics& toxics,
                            absl::Time now) {
  Flow& f = c.flows[flow];
  std::string buffer(kReadBytes, '\0');
  const ssize_t n = recv(From(c, flow), buffer.data(), buffer.size(), 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return true;
    Close(c, /*reset_client=*/true);  // A reset on either side.
    return false;
  }
  if (n == 0) {
    f.eof = true;
    // A stalled connection forwards nothing, a FIN included: once a side
    // hangs up, the connection is over.
    if (c.stalled) {
      Close(c, /*reset_client=*/false);
      return false;
    }
    return true;
  }
  buffer.resize(static_cast<size_t>(n));
  f.queued += buffer.size();
  f.queue.push_back({.bytes = std::move(buffer),
                     .offset = 0,
                     .due = now + toxics.latency[flow]});
  return true;
}

bool FaultProxy::Loop::Write(Connection& c, int flow, const Toxics& toxics,
                             absl::Time now) {
  Flow& f = c.flows[flow];
  while (!c.done && !c.stalled && WriteDue(c, flow) <= now) {
    if (f.queue.empty()) {
      // Everything before the FIN is out: pass the FIN on.
      shutdown(To(c, flow), SHUT_WR);
      f.shut = true;
      if (c.flows[1 - flow].shut) {
        Close(c, false);
        return false;
      }
      return true;
    }
    Chunk& chunk = f.queue.front();
    size_t n = chunk.bytes.size() - chunk.offset;
    if (toxics.slice_bytes[flow] > 0) {
      n = std::min(n, static_cast<size_t>(toxics.slice_bytes[flow]));
    }
    const int64_t rate = toxics.bytes_per_second[flow];
    if (rate > 0) {
      const int64_t quantum = std::max<int64_t>(
          1, rate * absl::ToInt64Microseconds(kPacingQuantum) / 1000000);
      n = std::min(n, static_cast<size_t>(quantum));
    }
    const bool downstream = flow == Index(Direction::kDownstream);
    bool reset_now = false;
    bool stall_now = false;
    if (downstream) {
      absl::MutexLock lock(&proxy_->mu_);
      Toxics& live = proxy_->toxics_;
      if (live.reset_budget > 0 &&
          f.written + static_cast<int64_t>(n) >= live.reset_after_bytes) {
        n = static_cast<size_t>(
            std::max<int64_t>(0, live.reset_after_bytes - f.written));
        reset_now = true;
      } else if (live.stall_budget > 0 && f.written + static_cast<int64_t>(n) >=
                                              live.stall_after_bytes) {
        n = static_cast<size_t>(
            std::max<int64_t>(0, live.stall_after_bytes - f.written));
        stall_now = true;
      }
    }
    ssize_t sent = 0;
    if (n > 0) {
      sent =
          send(To(c, flow), chunk.bytes.data() + chunk.offset, n, MSG_NOSIGNAL);
      if (sent < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
          return true;
        }
        Close(c, /*reset_client=*/true);
        return false;
      }
    }
    chunk.offset += static_cast<size_t>(sent);
    f.queued -= static_cast<size_t>(sent);
    f.written += sent;
    if (chunk.offset == chunk.bytes.size()) f.queue.pop_front();
    if (static_cast<size_t>(sent) < n) return true;  // Socket full.
    if ((reset_now || stall_now)) {
      absl::MutexLock lock(&proxy_->mu_);
      Toxics& live = proxy_->toxics_;
      if (reset_now && live.reset_budget > 0) {
        --live.reset_budget;
        ++proxy_->stats_.resets;
      } else if (stall_now && live.stall_budget > 0) {
        --live.stall_budget;
        ++proxy_->stats_.stalls;
      } else {
        reset_now = stall_now = false;  // Cleared meanwhile.
      }
    }
    if (reset_now) {
      Close(c, /*reset_client=*/true);
      return false;
    }
    if (stall_now) {
      c.stalled = true;
      return true;
    }
    if (rate > 0) f.next_write = now + absl::Seconds(1) * sent / rate;
    if (toxics.slice_bytes[flow] > 0) {
      f.next_write = std::max(f.next_write, now + toxics.slice_delay[flow]);
    }
  }
  return true;
}

}  // namespace neobridge::faults
