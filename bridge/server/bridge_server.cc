#include "bridge/server/bridge_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"

namespace neobridge::server {

absl::StatusOr<std::unique_ptr<BridgeServer>> BridgeServer::Start(
    const ServerOptions& options) {
  auto server = std::unique_ptr<BridgeServer>(new BridgeServer());

  server->service_tokens_ = std::make_unique<service::ServiceTokenSource>(
      options.access_token, options.token_file);
  if (absl::Status readable = server->service_tokens_->CheckReadable();
      !readable.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--token-file: ", readable.message()));
  }

  const std::string user_agent = absl::StrCat("neo-bridge/", kVersion);
  absl::StatusOr<std::unique_ptr<upstream::CurlTransport>> transport =
      upstream::CurlTransport::Create({
          .connect_timeout = options.connect_timeout,
          .ca_file = options.ca_file,
          .user_agent = user_agent,
      });
  if (!transport.ok()) return transport.status();
  server->transport_ = *std::move(transport);

  server->client_ = std::make_unique<client::RestNeoClient>(
      *server->transport_,
      client::RestNeoClientOptions{.base_url = options.upstream_url,
                                   .user_agent = user_agent});
  server->service_ = std::make_unique<service::AgentTasksService>(
      *server->client_, server->service_tokens_.get(),
      service::AgentTasksServiceOptions{
          .default_org = options.default_org,
          .default_timeout = options.request_timeout,
          .create_timeout = options.create_timeout,
          .stream = options.stream,
      });

  grpc::EnableDefaultHealthCheckService(true);
  if (options.reflection) {
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  }
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(server->service_.get());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("--listen: cannot listen on ", options.listen,
                     " (address in use, or not an address of this host?)"));
  }
  server->port_ = port;
  const size_t colon = options.listen.rfind(':');
  server->address_ = absl::StrCat(options.listen.substr(0, colon), ":", port);
  return server;
}

void BridgeServer::Shutdown(absl::Duration grace) {
  server_->Shutdown(std::chrono::system_clock::now() +
                    absl::ToChronoNanoseconds(grace));
}

void BridgeServer::Wait() { server_->Wait(); }

BridgeServer::~BridgeServer() {
  if (server_ != nullptr) {
    Shutdown(absl::ZeroDuration());
    server_->Wait();
  }
}

}  // namespace neobridge::server
