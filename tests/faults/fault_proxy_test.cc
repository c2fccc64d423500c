#include "tests/faults/fault_proxy.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace neobridge::faults {
namespace {

// An upstream that echoes every byte back, one thread per connection.
class EchoServer {
 public:
  EchoServer() {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    listen(listen_fd_, 16);
    socklen_t length = sizeof(address);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }
  ~EchoServer() {
    shutdown(listen_fd_, SHUT_RDWR);  // Ends accept().
    acceptor_.join();
    {
      absl::MutexLock lock(&mu_);
      for (int fd : fds_) shutdown(fd, SHUT_RDWR);  // Ends recv().
    }
    for (std::thread& thread : threads_) thread.join();
    close(listen_fd_);
  }

  int port() const { return port_; }

 private:
  void AcceptLoop() {
    while (true) {
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      absl::MutexLock lock(&mu_);
      fds_.push_back(fd);
      threads_.emplace_back([fd] {
        char buffer[4096];
        ssize_t n;
        while ((n = recv(fd, buffer, sizeof(buffer), 0)) > 0) {
          if (send(fd, buffer, static_cast<size_t>(n), MSG_NOSIGNAL) != n) {
            break;
          }
        }
        close(fd);
      });
    }
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::thread acceptor_;
  absl::Mutex mu_;
  std::vector<int> fds_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_;  // Written by the acceptor only.
};

int Connect(int port, absl::Duration receive_timeout = absl::Seconds(10)) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)),
            0);
  const timeval timeout = absl::ToTimeval(receive_timeout);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  return fd;
}

void SendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n =
        send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    ASSERT_GT(n, 0) << std::strerror(errno);
    sent += static_cast<size_t>(n);
  }
}

// Reads until `n` bytes arrived, the peer closed, an error or the receive
// timeout; `error` gets the errno of the last recv (0 on EOF or success).
std::string Receive(int fd, size_t n, int* error = nullptr) {
  std::string data;
  int last_error = 0;
  while (data.size() < n) {
    char buffer[4096];
    const ssize_t got = recv(fd, buffer, sizeof(buffer), 0);
    if (got <= 0) {
      last_error = got < 0 ? errno : 0;
      break;
    }
    data.append(buffer, static_cast<size_t>(got));
  }
  if (error != nullptr) *error = last_error;
  return data;
}

bool WaitUntil(const std::function<bool()>& condition) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

class FaultProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto proxy = FaultProxy::Start({.upstream_port = echo_.port()});
    ASSERT_TRUE(proxy.ok()) << proxy.status();
    proxy_ = *std::move(proxy);
  }

  EchoServer echo_;
  std::unique_ptr<FaultProxy> proxy_;
};

TEST_F(FaultProxyTest, ForwardsBothWaysAndClosesWithTheClient) {
  const int fd = Connect(proxy_->port());
  const std::string payload(100000, 'x');
  SendAll(fd, payload);
  EXPECT_EQ(Receive(fd, payload.size()), payload);
  EXPECT_EQ(proxy_->stats().open, 1);
  close(fd);
  EXPECT_TRUE(WaitUntil([&] { return proxy_->stats().open == 0; }));
  EXPECT_EQ(proxy_->stats().accepted, 1);
}

TEST_F(FaultProxyTest, LatencyDelaysEachDirection) {
  proxy_->SetLatency(Direction::kUpstream, absl::Milliseconds(100));
  proxy_->SetLatency(Direction::kDownstream, absl::Milliseconds(100));
  const int fd = Connect(proxy_->port());
  const absl::Time start = absl::Now();
  SendAll(fd, "ping");
  EXPECT_EQ(Receive(fd, 4), "ping");
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(200));
  close(fd);
}

TEST_F(FaultProxyTest, BandwidthLimitsThroughput) {
  proxy_->SetBandwidth(Direction::kDownstream, 50000);
  const int fd = Connect(proxy_->port());
  const std::string payload(10000, 'b');
  const absl::Time start = absl::Now();
  SendAll(fd, payload);
  EXPECT_EQ(Receive(fd, payload.size()), payload);
  // 10000 bytes at 50000 bytes/s: about 200 ms.
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(150));
  close(fd);
}

TEST_F(FaultProxyTest, SlicingWritesTinyPiecesApart) {
  proxy_->SetSlicing(Direction::kDownstream, 10, absl::Milliseconds(5));
  const int fd = Connect(proxy_->port());
  std::string payload;
  for (int i = 0; i < 200; ++i)
    payload.push_back(static_cast<char>('a' + i % 26));
  const absl::Time start = absl::Now();
  SendAll(fd, payload);
  EXPECT_EQ(Receive(fd, payload.size()), payload);
  // 20 slices, 5 ms apart.
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(90));
  close(fd);
}

TEST_F(FaultProxyTest, ResetAfterCutsTheResponseWithARst) {
  proxy_->ResetAfter(1000, 1);
  const int fd = Connect(proxy_->port());
  SendAll(fd, std::string(5000, 'r'));
  int error = 0;
  EXPECT_EQ(Receive(fd, 5000, &error).size(), 1000u);
  EXPECT_EQ(error, ECONNRESET);
  close(fd);
  EXPECT_EQ(proxy_->stats().resets, 1);
  // The budget is spent: the next connection is left alone.
  const int next = Connect(proxy_->port());
  SendAll(next, std::string(5000, 'n'));
  EXPECT_EQ(Receive(next, 5000).size(), 5000u);
  close(next);
}

TEST_F(FaultProxyTest, StallKeepsTheConnectionOpenWithoutFin) {
  proxy_->StallAfter(100, 1);
  const int fd = Connect(proxy_->port(), absl::Milliseconds(300));
  SendAll(fd, std::string(500, 's'));
  int error = 0;
  EXPECT_EQ(Receive(fd, 500, &error).size(), 100u);
  // Neither a FIN (error 0) nor a reset: the receive timed out.
  EXPECT_EQ(error, EAGAIN);
  EXPECT_EQ(proxy_->stats().stalls, 1);
  EXPECT_EQ(proxy_->stats().open, 1);
  close(fd);
  EXPECT_TRUE(WaitUntil([&] { return proxy_->stats().open == 0; }));
}

TEST_F(FaultProxyTest, DownResetsOpenConnectionsAndRefusesNewOnes) {
  const int before = Connect(proxy_->port());
  SendAll(before, "up");
  EXPECT_EQ(Receive(before, 2), "up");
  proxy_->SetDown(true);
  int error = 0;
  EXPECT_EQ(Receive(before, 1, &error), "");
  EXPECT_EQ(error, ECONNRESET);
  close(before);

  const int refused = Connect(proxy_->port());
  EXPECT_EQ(Receive(refused, 1, &error), "");
  EXPECT_EQ(error, ECONNRESET);
  close(refused);
  EXPECT_EQ(proxy_->stats().refused, 1);

  proxy_->SetDown(false);
  const int after = Connect(proxy_->port());
  SendAll(after, "back");
  EXPECT_EQ(Receive(after, 4), "back");
  close(after);
}

TEST_F(FaultProxyTest, ClearMakesItTransparentAgain) {
  proxy_->SetLatency(Direction::kDownstream, absl::Seconds(5));
  proxy_->ResetAfter(1, 100);
  proxy_->Clear();
  const int fd = Connect(proxy_->port());
  const absl::Time start = absl::Now();
  SendAll(fd, "clear");
  EXPECT_EQ(Receive(fd, 5), "clear");
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  close(fd);
}

}  // namespace
}  // namespace neobridge::faults
