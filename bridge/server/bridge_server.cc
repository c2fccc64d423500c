#include "bridge/server/bridge_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bridge/log/json_log.h"
#include "bridge/security/server_credentials.h"

namespace neobridge::server {
namespace {

// A duration as gRPC's int milliseconds argument; infinite = INT_MAX.
int ChannelArgMillis(absl::Duration d) {
  if (d == absl::InfiniteDuration()) return std::numeric_limits<int>::max();
  return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(d),
                                            std::numeric_limits<int>::max()));
}

void ApplyTransportSettings(const ServerOptions& options,
                            grpc::ServerBuilder& builder) {
  // Health and reflection are sync services, whose pollers notice a
  // shutdown only when their completion-queue wait times out (10 s by
  // default), which would hold the process that long after its last call.
  builder.SetSyncServerOption(
      grpc::ServerBuilder::SyncServerOption::CQ_TIMEOUT_MSEC, 200);
  builder.SetMaxReceiveMessageSize(options.max_recv_message_bytes);
  builder.SetMaxSendMessageSize(options.max_send_message_bytes);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                             ChannelArgMillis(options.keepalive_time));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                             ChannelArgMillis(options.keepalive_timeout));
  // Clients may ping between calls (long-lived streams sit idle), but no
  // more often than the minimum interval.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
      ChannelArgMillis(options.keepalive_min_client_interval));
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 2);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                             ChannelArgMillis(options.max_connection_age));
  builder.AddChannelArgument(
      GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
      ChannelArgMillis(options.max_connection_age_grace));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS,
                             ChannelArgMillis(options.max_connection_idle));
}

// `listen` (HOST:PORT) with its port replaced by the one actually bound.
std::string BoundAddress(const std::string& listen, int port) {
  return absl::StrCat(listen.substr(0, listen.rfind(':')), ":", port);
}

}  // namespace

absl::StatusOr<std::unique_ptr<BridgeServer>> BridgeServer::Start(
    const ServerOptions& options) {
  auto server = std::unique_ptr<BridgeServer>(new BridgeServer(options));

  // Security settings first: a bad one stops start-up before any port opens.
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      security::MakeServerCredentials(options.tls);
  if (!credentials.ok()) return credentials.status();
  if (absl::Status fits = security::CheckPolicyFitsListener(
          options.service_token_policy.kind, options.tls);
      !fits.ok()) {
    return fits;
  }
  absl::StatusOr<std::unique_ptr<security::ServiceTokenPolicy>> policy =
      security::ServiceTokenPolicy::Create(options.service_token_policy);
  if (!policy.ok()) return policy.status();
  server->policy_ = *std::move(policy);

  server->service_tokens_ = std::make_unique<service::ServiceTokenSource>(
      options.access_token, options.token_file);
  if (absl::Status readable = server->service_tokens_->CheckReadable();
      !readable.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--token-file: ", readable.message()));
  }
  if (absl::Status fixed = server->service_tokens_->CheckFixedToken();
      !fixed.ok()) {
    return fixed;
  }

  server->metrics_ = std::make_unique<metrics::Metrics>(kVersion);
  const std::string user_agent = absl::StrCat("neo-bridge/", kVersion);
  absl::StatusOr<std::unique_ptr<upstream::CurlTransport>> transport =
      upstream::CurlTransport::Create({
          .connect_timeout = options.connect_timeout,
          .ca_file = options.ca_file,
          .user_agent = user_agent,
      });
  if (!transport.ok()) return transport.status();
  server->transport_ = *std::move(transport);

  client::RestNeoClientOptions client_options{.base_url = options.upstream_url,
                                              .user_agent = user_agent};
  client_options.observer = server->metrics_.get();
  client_options.retry.max_attempts = options.upstream_retry_attempts;
  server->client_ = std::make_unique<client::RestNeoClient>(
      *server->transport_, std::move(client_options));
  // A stream's open is an upstream request like any other: a head that
  // never comes (a stalled upstream) is given up on after --request-timeout
  // and, on a reconnect, retried, rather than waiting a fixed bound.
  stream::StreamOptions stream_options = options.stream;
  stream_options.open_timeout =
      std::min(stream_options.open_timeout, options.request_timeout);
  server->service_ = std::make_unique<service::AgentTasksService>(
      *server->client_, server->service_tokens_.get(),
      service::AgentTasksServiceOptions{
          .default_org = options.default_org,
          .default_timeout = options.request_timeout,
          .create_timeout = options.create_timeout,
          .stream = stream_options,
          .service_token_policy = server->policy_.get(),
          .observer = server->metrics_.get(),
          .limits = options.limits,
      });

  grpc::EnableDefaultHealthCheckService(true);
  if (options.reflection) {
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  }
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen, *credentials, &port);
  ApplyTransportSettings(options, builder);
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(server->metrics_->NewServerInterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  builder.RegisterService(server->service_.get());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || port == 0) {
    server->server_.reset();
    return absl::UnavailableError(
        absl::StrCat("--listen: cannot listen on ", options.listen,
                     " (address in use, or not an address of this host?)"));
  }
  server->port_ = port;
  server->address_ = BoundAddress(options.listen, port);

  if (!options.metrics_listen.empty()) {
    absl::StatusOr<std::unique_ptr<metrics::MetricsEndpoint>> endpoint =
        metrics::MetricsEndpoint::Start(options.metrics_listen,
                                        server->metrics_->registry());
    if (!endpoint.ok()) return endpoint.status();
    server->metrics_endpoint_ = *std::move(endpoint);
  }

  if (!options.health_listen.empty()) {
    // gRPC adds its default health service to a server without services.
    grpc::ServerBuilder health_builder;
    int health_port = 0;
    health_builder.AddListeningPort(
        options.health_listen, grpc::InsecureServerCredentials(), &health_port);
    health_builder.SetSyncServerOption(
        grpc::ServerBuilder::SyncServerOption::CQ_TIMEOUT_MSEC, 200);
    server->health_server_ = health_builder.BuildAndStart();
    if (server->health_server_ == nullptr || health_port == 0) {
      server->health_server_.reset();
      return absl::UnavailableError(absl::StrCat(
          "--health-listen: cannot listen on ", options.health_listen,
          " (address in use, or not an address of this host?)"));
    }
    server->health_port_ = health_port;
  }

  // Health: the server is live; the service is ready once the upstream
  // answers.
  server->SetServing("", true);
  server->SetServing(kReadinessService, false);
  BridgeServer* self = server.get();
  server->probe_ = std::make_unique<UpstreamProbe>(
      *server->transport_,
      UpstreamProbeOptions{.url = absl::StrCat(options.upstream_url, "/"),
                           .user_agent = user_agent,
                           .interval = options.upstream_probe_interval,
                           .timeout = options.upstream_probe_timeout},
      [self](bool reachable, const std::string& detail) {
        self->SetServing(kReadinessService, reachable);
        log::Log(reachable ? log::Level::kInfo : log::Level::kWarn,
                 reachable ? "upstream reachable: ready"
                           : "upstream unreachable: not ready",
                 {{"detail", detail}});
      });
  return server;
}

void BridgeServer::SetServing(const std::string& service, bool serving) {
  server_->GetHealthCheckService()->SetServingStatus(service, serving);
  if (health_server_ != nullptr) {
    health_server_->GetHealthCheckService()->SetServingStatus(service, serving);
  }
}

std::string BridgeServer::metrics_address() const {
  return metrics_port() == 0
             ? "off"
             : BoundAddress(options_.metrics_listen, metrics_port());
}

std::string BridgeServer::health_address() const {
  return health_port_ == 0 ? "off"
                           : BoundAddress(options_.health_listen, health_port_);
}

int BridgeServer::metrics_port() const {
  return metrics_endpoint_ == nullptr ? 0 : metrics_endpoint_->port();
}

void BridgeServer::Shutdown() {
  ShutdownWithin(options_.shutdown_drain_window, options_.shutdown_timeout);
}

void BridgeServer::ShutdownWithin(absl::Duration drain_window,
                                  absl::Duration timeout) {
  absl::MutexLock lock(&shutdown_mu_);
  if (shut_down_) return;
  shut_down_ = true;
  const absl::Time deadline = absl::Now() + timeout;
  // Not ready, not live: load balancers and probes move callers away.
  server_->GetHealthCheckService()->Shutdown();
  if (health_server_ != nullptr) {
    health_server_->GetHealthCheckService()->Shutdown();
  }
  service_->StartDraining();
  probe_.reset();
  log::Log(log::Level::kInfo, "draining",
           {{"open_streams", absl::StrCat(service_->open_streams())},
            {"drain_window", absl::FormatDuration(drain_window)},
            {"shutdown_timeout", absl::FormatDuration(timeout)}});
  // During the window the listener stays open: health checks answer
  // NOT_SERVING, new calls are refused by the service (UNAVAILABLE, reason
  // SHUTTING_DOWN) and open streams run on. Streams still open after it end
  // with UNAVAILABLE.
  if (!service_->WaitForNoStreams(drain_window)) {
    log::Log(log::Level::kInfo, "ending open streams",
             {{"open_streams", absl::StrCat(service_->open_streams())}});
    service_->EndStreams();
  }
  // Running calls finish (up to the deadline). Then gRPC closes every
  // connection at once: waiting for clients to hang up after its GOAWAY
  // could take as long as their pollers sleep, for nothing.
  if (!service_->WaitForNoCalls(deadline - absl::Now())) {
    log::Log(log::Level::kWarn, "shutdown timeout: cancelling running calls");
  }
  server_->Shutdown(std::chrono::system_clock::now());
  if (health_server_ != nullptr) {
    health_server_->Shutdown(std::chrono::system_clock::now());
  }
}

void BridgeServer::Wait() {
  server_->Wait();
  if (health_server_ != nullptr) health_server_->Wait();
}

BridgeServer::~BridgeServer() {
  if (server_ != nullptr) {
    // Not a drain: whatever is still running is ended at once.
    ShutdownWithin(absl::ZeroDuration(), absl::ZeroDuration());
    server_->Wait();
  }
}

}  // namespace neobridge::server
