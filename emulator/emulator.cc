#include "emulator/emulator.h"

#include <event2/event.h>
#include <event2/thread.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <mutex>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "emulator/admin_handler.h"
#include "emulator/api_handler.h"
#include "emulator/fault_state.h"
#include "emulator/firehose.h"
#include "emulator/http_server.h"
#include "emulator/scheduler.h"
#include "emulator/stream_stats.h"
#include "emulator/task_service.h"
#include "emulator/tls_context.h"

namespace neo_emulator {
namespace {

// How long a shutdown waits for ended streams to flush.
constexpr absl::Duration kDrainLimit = absl::Seconds(1);

absl::Status EnableLibeventThreads() {
  static std::once_flag once;
  static int result = 0;
  std::call_once(once, [] { result = evthread_use_pthreads(); });
  if (result != 0) {
    return absl::InternalError("evthread_use_pthreads failed");
  }
  return absl::OkStatus();
}

absl::Status ValidateOptions(const EmulatorOptions& options) {
  if (options.host.empty()) {
    return absl::InvalidArgumentError("host must not be empty");
  }
  if (options.port < 0 || options.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("port ", options.port, " is outside 0..65535"));
  }
  if (options.agent_step_delay < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("agent_step_delay must not be negative");
  }
  if (options.heartbeat_interval <= absl::ZeroDuration() ||
      options.heartbeat_interval == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        "heartbeat_interval must be positive and finite");
  }
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "tls_cert_file and tls_key_file (--tls-cert-file, --tls-key-file) "
        "must be given together");
  }
  return ValidateUsers(options.users);
}

// Loop threads must not take the host's SIGPIPE (writes to a closed socket
// return EPIPE instead) nor the SIGINT/SIGTERM a host may sigwait for.
void BlockSignalsOnThisThread() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

}  // namespace

struct Emulator::Impl {
  std::string host;
  int port = 0;
  // Set in TLS mode. Connections hold their own references to it.
  SslCtxPtr tls_context;
  event_base* base = nullptr;
  event* stop_event = nullptr;
  event* drain_limit = nullptr;
  // Outlive the server (Teardown), so the loop may use them until the end.
  FaultState faults;
  StreamStats stream_stats;
  std::unique_ptr<UserDirectory> users;
  std::unique_ptr<LibeventScheduler> scheduler;
  std::unique_ptr<TaskService> service;
  std::unique_ptr<ApiHandler> handler;
  std::unique_ptr<Firehoses> firehoses;
  std::unique_ptr<AdminHandler> admin;
  std::unique_ptr<HttpServer> server;
  std::jthread loop;

  ~Impl() {
    if (loop.joinable()) {
      event_active(stop_event, EV_READ, 0);
      loop.join();
    }
    Teardown();
  }

  // Loop thread: stop accepting, end streams, break once they are flushed.
  static void OnStop(evutil_socket_t /*fd*/, short /*what*/, void* arg) {
    auto* self = static_cast<Impl*>(arg);
    self->server->BeginShutdown([self] { event_base_loopbreak(self->base); });
    self->firehoses->StopAll();
    self->service->Shutdown();
    const timeval limit = absl::ToTimeval(kDrainLimit);
    event_add(self->drain_limit, &limit);
  }

  static void OnDrainLimit(evutil_socket_t /*fd*/, short /*what*/, void* arg) {
    event_base_loopbreak(static_cast<Impl*>(arg)->base);
  }

  // Frees everything in dependency order. Runs on the loop thread after the
  // loop exits, or on the starting thread when Start fails.
  void Teardown() {
    server.reset();
    admin.reset();
    firehoses.reset();
    handler.reset();
    service.reset();
    scheduler.reset();
    if (stop_event != nullptr) {
      event_free(stop_event);
      stop_event = nullptr;
    }
    if (drain_limit != nullptr) {
      event_free(drain_limit);
      drain_limit = nullptr;
    }
    if (base != nullptr) {
      event_base_free(base);
      base = nullptr;
    }
  }
};

Emulator::Emulator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Emulator::~Emulator() = default;

absl::StatusOr<std::unique_ptr<Emulator>> Emulator::Start(
    EmulatorOptions options) {
  if (absl::Status status = ValidateOptions(options); !status.ok()) {
    return status;
  }
  if (absl::Status status = EnableLibeventThreads(); !status.ok()) {
    return status;
  }
  auto impl = std::make_unique<Impl>();
  impl->host = options.host;
  if (!options.tls_cert_file.empty()) {
    absl::StatusOr<SslCtxPtr> tls =
        LoadServerTlsContext(options.tls_cert_file, options.tls_key_file);
    if (!tls.ok()) return tls.status();
    impl->tls_context = *std::move(tls);
  }
  // A precise timer: libevent otherwise reads the coarse monotonic clock,
  // and injected latency could end a few milliseconds early.
  event_config* config = event_config_new();
  if (config != nullptr) {
    event_config_set_flag(config, EVENT_BASE_FLAG_PRECISE_TIMER);
    impl->base = event_base_new_with_config(config);
    event_config_free(config);
  }
  if (impl->base == nullptr) {
    return absl::InternalError("event_base_new failed");
  }
  impl->users = std::make_unique<UserDirectory>(std::move(options.users));
  impl->scheduler = std::make_unique<LibeventScheduler>(impl->base);
  auto clock = [] { return absl::Now(); };
  impl->service = std::make_unique<TaskService>(
      TaskService::Options{.seed = options.seed,
                           .agent_step_delay = options.agent_step_delay},
      impl->scheduler.get(), clock);
  impl->handler = std::make_unique<ApiHandler>(impl->users.get(),
                                               impl->service.get(), clock);
  // The firehose stamps events with CLOCK_REALTIME itself, the clock a
  // client on the same machine compares against.
  impl->firehoses = std::make_unique<Firehoses>(
      impl->service.get(), impl->scheduler.get(), [] {
        timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        return absl::TimeFromTimespec(now);
      });
  impl->admin = std::make_unique<AdminHandler>(
      &impl->faults, &impl->stream_stats, impl->firehoses.get());
  absl::StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Create(
      impl->base,
      HttpServer::Options{.host = options.host,
                          .port = options.port,
                          .heartbeat_interval = options.heartbeat_interval,
                          .seed = options.seed,
                          .admin_api = options.admin_api,
                          .tls_context = impl->tls_context.get()},
      HttpServer::Dependencies{.handler = impl->handler.get(),
                               .admin = impl->admin.get(),
                               .service = impl->service.get(),
                               .faults = &impl->faults,
                               .stats = &impl->stream_stats});
  if (!server.ok()) return server.status();
  impl->server = *std::move(server);
  impl->port = impl->server->port();
  impl->stop_event = event_new(impl->base, -1, 0, &Impl::OnStop, impl.get());
  impl->drain_limit = evtimer_new(impl->base, &Impl::OnDrainLimit, impl.get());

  Impl* raw = impl.get();
  impl->loop = std::jthread([raw] {
    BlockSignalsOnThisThread();
    event_base_loop(raw->base, EVLOOP_NO_EXIT_ON_EMPTY);
    raw->Teardown();
  });
  return std::unique_ptr<Emulator>(new Emulator(std::move(impl)));
}

int Emulator::port() const { return impl_->port; }

std::string Emulator::base_url() const {
  const absl::string_view scheme =
      impl_->tls_context != nullptr ? "https" : "http";
  const bool ipv6_literal = absl::StrContains(impl_->host, ':');
  return ipv6_literal
             ? absl::StrCat(scheme, "://[", impl_->host, "]:", impl_->port)
             : absl::StrCat(scheme, "://", impl_->host, ":", impl_->port);
}

size_t Emulator::open_stream_count() const {
  return impl_->stream_stats.open();
}

size_t Emulator::open_stream_count(absl::string_view task_id) const {
  return impl_->stream_stats.open(task_id);
}

size_t Emulator::streams_opened_total() const {
  return impl_->stream_stats.opened_total();
}

absl::Status Emulator::SetFaults(FaultPlan plan) {
  if (absl::Status status = ValidateFaultPlan(plan); !status.ok()) {
    return status;
  }
  impl_->faults.Set(std::move(plan));
  return absl::OkStatus();
}

absl::Status Emulator::SetFaultsFromJson(absl::string_view json) {
  absl::StatusOr<FaultPlan> plan = ParseFaultPlan(json);
  if (!plan.ok()) return plan.status();
  impl_->faults.Set(*std::move(plan));
  return absl::OkStatus();
}

void Emulator::ClearFaults() { impl_->faults.Clear(); }

FaultPlan Emulator::faults() const { return impl_->faults.Get(); }

}  // namespace neo_emulator
