// RAII owner of a POSIX file descriptor.

#ifndef NEOBRIDGE_BRIDGE_UPSTREAM_SCOPED_FD_H_
#define NEOBRIDGE_BRIDGE_UPSTREAM_SCOPED_FD_H_

#include <unistd.h>

#include <utility>

namespace neobridge::upstream {

// Owns one file descriptor (or none: -1) and closes it on destruction.
class ScopedFd {
 public:
  ScopedFd() = default;
  explicit ScopedFd(int fd) : fd_(fd) {}
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ScopedFd(ScopedFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  ScopedFd& operator=(ScopedFd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~ScopedFd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

 private:
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  int fd_ = -1;
};

}  // namespace neobridge::upstream

#endif  // NEOBRIDGE_BRIDGE_UPSTREAM_SCOPED_FD_H_
