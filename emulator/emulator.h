// neo-emulator: a local, in-memory implementation of Pulumi Cloud's Neo
// agent-tasks preview REST API (/api/preview/agents/{org}/tasks...), with a
// deterministic scripted agent. JSON over HTTP/1.1, or HTTPS when given a
// certificate; see emulator/README.md.
//
//   auto emulator = neo_emulator::Emulator::Start({.port = 0});
//   if (!emulator.ok()) ...;
//   std::string url = (*emulator)->base_url();  // "http://127.0.0.1:PORT"
//
//   // HTTPS ("https://127.0.0.1:PORT"); clients trust the issuing CA.
//   Emulator::Start({.tls_cert_file = "cert.pem", .tls_key_file = "key.pem"});
//
// Fault injection for client tests (README "Fault knobs"):
//
//   (*emulator)->SetFaults({.stream = neo_emulator::StreamFaults{
//                               .drop_after_events = 2, .times = 100}});
//   (*emulator)->SetFaultsFromJson(R"({"fail": {"status": 429}})");
//   (*emulator)->ClearFaults();
#ifndef NEO_EMULATOR_EMULATOR_H_
#define NEO_EMULATOR_EMULATOR_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "emulator/fault_plan.h"
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
  // Serves the test-only, unauthenticated admin API (/_emulator/faults,
  // /_emulator/stats) and
  // honours the X-Emulator-Fault request header. The C++ fault API below
  // works either way.
  bool admin_api = true;
  // Serve HTTPS (TLS 1.2 or later) instead of HTTP: a PEM file with the
  // server certificate (then any intermediates), and a PEM file with its
  // unencrypted private key. Both or neither. The flags
  // --tls-cert-file / --tls-key-file.
  std::string tls_cert_file;
  std::string tls_key_file;
};

// A running emulator: one event-loop thread serving every connection
// (thousands of concurrent SSE streams are fine). All state lives on that
// thread; the public methods here are safe to call from any thread.
class Emulator {
 public:
  // Validates `options`, loads the TLS certificate and key if any, binds
  // the listening socket and starts the loop. InvalidArgument for bad
  // options (a TLS file that cannot be read or parsed, or a key that does
  // not match the certificate, is named by its flag: "invalid
  // --tls-cert-file '<path>': ..."), Unavailable when the address cannot be
  // bound.
  static absl::StatusOr<std::unique_ptr<Emulator>> Start(
      EmulatorOptions options);

  // Stops accepting, ends open event streams (flushing their final chunk,
  // bounded by one second), stops the loop and joins its thread.
  ~Emulator();
  Emulator(const Emulator&) = delete;
  Emulator& operator=(const Emulator&) = delete;

  int port() const;
  // "http://HOST:PORT" ("http://[::1]:PORT" for IPv6 literals);
  // "https://..." when serving TLS.
  std::string base_url() const;
  // Event streams currently open.
  size_t open_stream_count() const;
  // Event streams of `task_id` currently open (0 for an unknown task): how
  // many upstream connections clients hold on that task.
  size_t open_stream_count(absl::string_view task_id) const;
  // Event streams ever opened (after the 401/403/404 checks), closed ones
  // included.
  size_t streams_opened_total() const;

  // Replaces the fault plan in force (the same plan PUT /_emulator/faults
  // sets). InvalidArgument naming the field (by its JSON name) when the plan
  // is invalid; the plan in force is then unchanged. Requests that arrive
  // afterwards see the new plan; streams already open keep the stream
  // faults they opened with.
  absl::Status SetFaults(FaultPlan plan);
  // The same from the JSON form (see FaultPlanToJson).
  absl::Status SetFaultsFromJson(absl::string_view json);
  // Back to a clean emulator (the empty plan).
  void ClearFaults();
  // The plan in force, with the remaining `times` of its knobs (a knob whose
  // times are used up is gone).
  FaultPlan faults() const;

 private:
  struct Impl;
  explicit Emulator(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace neo_emulator

#endif  // NEO_EMULATOR_EMULATOR_H_
