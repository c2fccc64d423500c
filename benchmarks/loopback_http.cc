#include "benchmarks/loopback_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace neobridge::bench {
namespace {

absl::Status Errno(absl::string_view what, const std::string& address) {
  return absl::UnavailableError(
      absl::StrCat(what, " ", address, ": ", std::strerror(errno)));
}

// Closes the descriptor unless released.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// Waits until `fd` is ready for `events` or `deadline` passes.
absl::Status WaitFor(int fd, short events, absl::Time deadline,
                     const std::string& address) {
  while (true) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(
          absl::StrCat("timed out talking to ", address));
    }
    pollfd p{.fd = fd, .events = events, .revents = 0};
    const int n =
        poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    if (n > 0) return absl::OkStatus();
    if (n < 0 && errno != EINTR) return Errno("poll", address);
  }
}

}  // namespace

absl::StatusOr<int> ConnectTcp(const std::string& host_port, bool nonblocking) {
  const size_t colon = host_port.rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(host_port.substr(colon + 1), &port) || port <= 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid address '", host_port, "': expected HOST:PORT"));
  }
  std::string host = host_port.substr(0, colon);
  sockaddr_storage address{};
  socklen_t length = 0;
  if (absl::StartsWith(host, "[") && absl::EndsWith(host, "]")) {
    host = host.substr(1, host.size() - 2);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid IPv6 address in '", host_port, "'"));
    }
    length = sizeof(sockaddr_in6);
  } else {
    if (host == "localhost") host = "127.0.0.1";
    auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) != 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid address '", host_port, "': use a numeric IP address"));
    }
    length = sizeof(sockaddr_in);
  }
  const int fd =
      socket(address.ss_family,
             SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
  if (fd < 0) return Errno("socket for", host_port);
  FdCloser closer(fd);
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), length) != 0 &&
      !(nonblocking && errno == EINPROGRESS)) {
    return Errno("cannot connect to", host_port);
  }
  return closer.release();
}

absl::StatusOr<HttpReply> HttpCall(
    const std::string& host_port, absl::string_view method,
    absl::string_view path, absl::string_view body,
    const std::vector<std::pair<std::string, std::string>>& headers,
    absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::StatusOr<int> fd = ConnectTcp(host_port, /*nonblocking=*/true);
  if (!fd.ok()) return fd.status();
  FdCloser closer(*fd);
  std::string request =
      absl::StrCat(method, " ", path, " HTTP/1.1\r\nHost: ", host_port,
                   "\r\nConnection: close\r\n");
  for (const auto& [name, value] : headers) {
    absl::StrAppend(&request, name, ": ", value, "\r\n");
  }
  if (!body.empty() || method == "PUT" || method == "POST") {
    absl::StrAppend(&request, "Content-Type: application/json\r\n",
                    "Content-Length: ", body.size(), "\r\n");
  }
  absl::StrAppend(&request, "\r\n", body);

  size_t sent = 0;
  while (sent < request.size()) {
    if (absl::Status status = WaitFor(*fd, POLLOUT, deadline, host_port);
        !status.ok()) {
      return status;
    }
    const ssize_t n =
        send(*fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return Errno("cannot send to", host_port);
    }
    sent += static_cast<size_t>(n);
  }

  std::string reply;
  char buffer[16384];
  while (true) {
    if (absl::Status status = WaitFor(*fd, POLLIN, deadline, host_port);
        !status.ok()) {
      return status;
    }
    const ssize_t n = recv(*fd, buffer, sizeof(buffer), 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return Errno("cannot read from", host_port);
    }
    if (n == 0) break;
    reply.append(buffer, static_cast<size_t>(n));
  }

  const size_t head_end = reply.find("\r\n\r\n");
  if (head_end == std::string::npos) {
    return absl::DataLossError(
        absl::StrCat("incomplete HTTP reply from ", host_port));
  }
  HttpReply out;
  absl::string_view head(reply.data(), head_end);
  std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
  std::vector<absl::string_view> status_parts =
      absl::StrSplit(lines[0], absl::MaxSplits(' ', 2));
  if (status_parts.size() < 2 ||
      !absl::SimpleAtoi(status_parts[1], &out.status)) {
    return absl::DataLossError(
        absl::StrCat("malformed status line from ", host_port, ": ", lines[0]));
  }
  out.body = reply.substr(head_end + 4);
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == absl::string_view::npos) continue;
    if (absl::EqualsIgnoreCase(lines[i].substr(0, colon), "content-length")) {
      size_t length = 0;
      if (absl::SimpleAtoi(
              absl::StripAsciiWhitespace(lines[i].substr(colon + 1)),
              &length) &&
          length < out.body.size()) {
        out.body.resize(length);
      }
    }
  }
  return out;
}

}  // namespace neobridge::bench
