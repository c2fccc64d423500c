// neo-emulator: a local, in-memory implementation of Pulumi Cloud's Neo
// agent-tasks preview REST API (/api/preview/agents/{org}/tasks...), with a
// deterministic scripted agent. JSON over HTTP/1.1; see emulator/README.md.
//
//   auto emulator = neo_emulator::Emulator::Start({.port = 0});
//   if (!emulator.ok()) ...;
//   std::string url = (*emulator)->base_url();  // "http://127.0.0.1:PORT"
#ifndef NEO_EMULATOR_EMULATOR_H_
#define NEO_EMULATOR_EMULATOR_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "emulator/users.h"

namespace neo_emulator {

struct EmulatorOptions {
  // Interface to listen on; a name, an IPv4 or an IPv6 literal.
  std::string host = "127.0.0.1";
  // 0 picks a free port; read it back with Emulator::port().
  int port = 0;
  // Token -> user mapping; see DefaultUsers().
  std::vector<User> users = DefaultUsers();
  // Delay before each scripted agent step (0 = next loop iteration).
  absl::Duration agent_step_delay = absl::Milliseconds(200);
  // Interval of `: heartbeat` comments on event streams; must be > 0.
  absl::Duration heartbeat_interval = absl::Seconds(15);
  // Seeds task ids, event ids, tool call and approval ids.
  uint64_t seed = 1;
};

// A running emulator: one event-loop thread serving every connection
// (thousands of concurrent SSE streams are fine). All state lives on that
// thread; the public methods here are safe to call from any thread.
class Emulator {
 public:
  // Validates `options`, binds the listening socket and starts the loop.
  // InvalidArgument for bad options, Unavailable when the address cannot be
  // bound.
  static absl::StatusOr<std::unique_ptr<Emulator>> Start(
      EmulatorOptions options);

  // Stops accepting, ends open event streams (flushing their final chunk,
  // bounded by one second), stops the loop and joins its thread.
  ~Emulator();
  Emulator(const Emulator&) = delete;
  Emulator& operator=(const Emulator&) = delete;

  int port() const;
  // "http://HOST:PORT" ("http://[::1]:PORT" for IPv6 literals).
  std::string base_url() const;
  // Event streams currently open.
  size_t open_stream_count() const;

 private:
  struct Impl;
  explicit Emulator(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace neo_emulator

#endif  // NEO_EMULATOR_EMULATOR_H_
