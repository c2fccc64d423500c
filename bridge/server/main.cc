// neo-bridge: serves AgentTasksService over gRPC in front of the Neo API.
#include <grpc/support/log.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "bridge/log/json_log.h"
#include "bridge/security/service_token_policy.h"
#include "bridge/server/bridge_server.h"
#include "bridge/server/server_options.h"

namespace {

using neobridge::log::Level;
using neobridge::log::Log;

// gRPC's own log lines (e.g. a client's failed TLS handshake) become JSON
// lines like ours, redacted like ours. They describe a peer's trouble more
// often than the server's, so gRPC errors are logged as warnings.
void LogFromGrpc(gpr_log_func_args* args) {
  Level level = Level::kDebug;
  if (args->severity == GPR_LOG_SEVERITY_ERROR) {
    level = Level::kWarn;
  } else if (args->severity == GPR_LOG_SEVERITY_INFO) {
    level = Level::kInfo;
  }
  Log(level, "grpc",
      {{"detail", args->message},
       {"source", absl::StrCat(args->file, ":", args->line)}});
}

// Waits for SIGTERM or SIGINT on a dedicated thread (signals blocked in every
// other thread), then shuts the server down.
int Serve(const neobridge::server::ServerOptions& options) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<std::unique_ptr<neobridge::server::BridgeServer>> server =
      neobridge::server::BridgeServer::Start(options);
  if (!server.ok()) {
    Log(Level::kError, "cannot start",
        {{"error", std::string(server.status().message())}});
    return 1;
  }
  Log(Level::kInfo, "listening",
      {{"address", (*server)->address()},
       {"tls", options.tls.cert_file.empty()
                   ? "off"
                   : absl::StrCat("on, client certificates ",
                                  neobridge::security::ClientAuthName(
                                      options.tls.client_auth))},
       {"metrics",
        (*server)->metrics_port() == 0
            ? std::string("off")
            : absl::StrCat((*server)->metrics_address(), "/metrics")},
       {"health", (*server)->health_address()},
       {"service_token_policy",
        std::string(neobridge::security::ServiceTokenPolicyKindName(
            options.service_token_policy.kind))},
       {"upstream", options.upstream_url},
       {"version", neobridge::server::kVersion}});

  if (neobridge::server::IsPlaintextToRemoteHost(options.upstream_url)) {
    Log(Level::kWarn, "upstream is plain http beyond loopback",
        {{"upstream", options.upstream_url},
         {"risk", "tokens and task content cross the network unencrypted"},
         {"fix", "use an https:// --upstream-url"}});
  }

  std::jthread signal_waiter([&signals, &server] {
    int signal = 0;
    sigwait(&signals, &signal);
    Log(Level::kInfo, "shutting down",
        {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
    (*server)->Shutdown();
  });
  (*server)->Wait();
  Log(Level::kInfo, "stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Debian's Abseil checks every Mutex acquisition against a global graph
  // of lock orders (a debug aid, taken under one global lock): a large
  // share of the bridge's CPU under load, and contention between threads.
  // The tests keep it on; the service does not pay for it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  std::vector<std::string> args(argv + 1, argv + argc);
  absl::StatusOr<neobridge::server::ParsedCommandLine> parsed =
      neobridge::server::ParseCommandLine(args, neobridge::server::ProcessEnv);
  if (!parsed.ok()) {
    std::fprintf(stderr, "neo-bridge: %s\n",
                 std::string(parsed.status().message()).c_str());
    return 2;
  }
  switch (parsed->action) {
    case neobridge::server::ParsedCommandLine::Action::kHelp:
      std::fputs(neobridge::server::HelpText().c_str(), stdout);
      return 0;
    case neobridge::server::ParsedCommandLine::Action::kVersion:
      std::printf("neo-bridge %s\n", neobridge::server::kVersion);
      return 0;
    case neobridge::server::ParsedCommandLine::Action::kHashApiKey: {
      std::string key;
      std::getline(std::cin, key);
      key = std::string(absl::StripAsciiWhitespace(key));
      if (key.empty()) {
        std::fputs(
            "neo-bridge: --hash-api-key reads the key from standard input, "
            "e.g. printf %s \"$KEY\" | neo-bridge --hash-api-key\n",
            stderr);
        return 2;
      }
      std::printf("%s\n", neobridge::security::HashApiKey(key).c_str());
      return 0;
    }
    case neobridge::server::ParsedCommandLine::Action::kServe:
      break;
  }
  neobridge::log::SetMinLevel(parsed->options.log_level);
  gpr_set_log_function(LogFromGrpc);
  return Serve(parsed->options);
}
