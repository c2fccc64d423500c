#include "bridge/metrics/grpc_server_metrics.h"

#include <google/protobuf/descriptor.h>
#include <grpcpp/support/interceptor.h>

#include <chrono>
#include <iterator>
#include <utility>

#include "absl/strings/string_view.h"

namespace neobridge::metrics {
namespace {

using ::grpc::experimental::InterceptionHookPoints;
using ::grpc::experimental::ServerRpcInfo;

constexpr std::string_view kCodeNames[] = {
    "OK",
    "Canceled",
    "Unknown",
    "InvalidArgument",
    "DeadlineExceeded",
    "NotFound",
    "AlreadyExists",
    "PermissionDenied",
    "ResourceExhausted",
    "FailedPrecondition",
    "Aborted",
    "OutOfRange",
    "Unimplemented",
    "Internal",
    "Unavailable",
    "DataLoss",
    "Unauthenticated",
};

// The index of `code` in kCodeNames; UNKNOWN's for codes outside 0..16.
int CodeIndex(grpc::StatusCode code) {
  const int index = static_cast<int>(code);
  if (index < 0 || index >= static_cast<int>(std::size(kCodeNames))) {
    return static_cast<int>(grpc::StatusCode::UNKNOWN);
  }
  return index;
}

constexpr char kUnknown[] = "unknown";

// Records one call into its method's series. gRPC may run Intercept for
// different batches of one call on different threads at once (a read and a
// write of a streaming call), so every member it changes is atomic.
class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(std::shared_ptr<GrpcServerMetrics> metrics,
                     GrpcServerMetrics::MethodSeries& series)
      : metrics_(std::move(metrics)),
        series_(series),
        start_(std::chrono::steady_clock::now()) {
    series_.OnStarted();
  }

  // Runs when gRPC releases the call. A call that never sent a status was
  // cancelled; Handled() ignores the second report otherwise.
  ~MetricsInterceptor() override { Handled(grpc::StatusCode::CANCELLED); }

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    // A POST_RECV_MESSAGE without a message is the end of the client's
    // stream (or a message that failed to parse): nothing was received.
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() != nullptr) {
      series_.OnReceived();
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_MESSAGE)) {
      series_.OnSent();
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      Handled(methods->GetSendStatus().error_code());
    }
    // The call is over. A status, if one was sent, passed PRE_SEND_STATUS
    // before: this only counts calls that ended without one.
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_CLOSE)) {
      Handled(grpc::StatusCode::CANCELLED);
    }
    methods->Proceed();
  }

 private:
  // Records the end of the call once; later reports are ignored.
  void Handled(grpc::StatusCode code) {
    if (handled_.exchange(true, std::memory_order_acq_rel)) return;
    series_.OnHandled(
        code, absl::FromChrono(std::chrono::steady_clock::now() - start_));
  }

  const std::shared_ptr<GrpcServerMetrics> metrics_;  // keeps series_ alive
  GrpcServerMetrics::MethodSeries& series_;
  const std::chrono::steady_clock::time_point start_;
  std::atomic<bool> handled_{false};
};

class MetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(std::shared_ptr<GrpcServerMetrics> metrics)
      : metrics_(std::move(metrics)) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      ServerRpcInfo* info) override {
    const char* method = info->method();
    GrpcServerMetrics::MethodSeries& series = metrics_->ForMethod(
        method == nullptr ? std::string_view() : std::string_view(method),
        info->type());
    return new MetricsInterceptor(metrics_, series);
  }

 private:
  const std::shared_ptr<GrpcServerMetrics> metrics_;
};

}  // namespace

const prometheus::Histogram::BucketBoundaries& LatencyBucketsSeconds() {
  static const auto* const buckets =
      new prometheus::Histogram::BucketBoundaries{
          .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120};
  return *buckets;
}

std::string_view GrpcCodeName(grpc::StatusCode code) {
  return kCodeNames[CodeIndex(code)];
}

std::string_view GrpcTypeName(ServerRpcInfo::Type type) {
  switch (type) {
    case ServerRpcInfo::Type::UNARY:
      return "unary";
    case ServerRpcInfo::Type::CLIENT_STREAMING:
      return "client_stream";
    case ServerRpcInfo::Type::SERVER_STREAMING:
      return "server_stream";
    case ServerRpcInfo::Type::BIDI_STREAMING:
      return "bidi_stream";
  }
  return "bidi_stream";
}

std::optional<MethodName> SplitFullMethodName(std::string_view full_method) {
  if (full_method.size() < 4 || full_method.front() != '/') return std::nullopt;
  const std::string_view rest = full_method.substr(1);
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0 ||
      slash + 1 == rest.size() ||
      rest.find('/', slash + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  return MethodName{.service = std::string(rest.substr(0, slash)),
                    .method = std::string(rest.substr(slash + 1))};
}

GrpcServerMetrics::MethodSeries::MethodSeries(GrpcServerMetrics& owner,
                                              const MethodName& name,
                                              ServerRpcInfo::Type type)
    : labels_{{"grpc_service", name.service},
              {"grpc_method", name.method},
              {"grpc_type", std::string(GrpcTypeName(type))}},
      started_(owner.started_.Add(labels_)),
      received_(owner.msg_received_.Add(labels_)),
      sent_(owner.msg_sent_.Add(labels_)),
      handling_(
          type == ServerRpcInfo::Type::UNARY
              ? &owner.handling_seconds_.Add(labels_, LatencyBucketsSeconds())
              : nullptr),
      handled_family_(owner.handled_) {}

void GrpcServerMetrics::MethodSeries::OnHandled(grpc::StatusCode code,
                                                absl::Duration elapsed) {
  const int index = CodeIndex(code);
  prometheus::Counter* counter =
      handled_[index].load(std::memory_order_acquire);
  if (counter == nullptr) {
    prometheus::Labels labels = labels_;
    labels.emplace("grpc_code", std::string(kCodeNames[index]));
    counter = &handled_family_.Add(labels);
    handled_[index].store(counter, std::memory_order_release);
  }
  counter->Increment();
  if (handling_ != nullptr) handling_->Observe(absl::ToDoubleSeconds(elapsed));
}

GrpcServerMetrics::GrpcServerMetrics(prometheus::Registry& registry)
    : started_(prometheus::BuildCounter()
                   .Name("grpc_server_started_total")
                   .Help("Total number of RPCs started on the server.")
                   .Register(registry)),
      handled_(prometheus::BuildCounter()
                   .Name("grpc_server_handled_total")
                   .Help("Total number of RPCs completed on the server, "
                         "regardless of success or failure.")
                   .Register(registry)),
      handling_seconds_(
          prometheus::BuildHistogram()
              .Name("grpc_server_handling_seconds")
              .Help("Histogram of response latency (seconds) of gRPC that had "
                    "been application-level handled by the server.")
              .Register(registry)),
      msg_received_(prometheus::BuildCounter()
                        .Name("grpc_server_msg_received_total")
                        .Help("Total number of RPC stream messages received on "
                              "the server.")
                        .Register(registry)),
      msg_sent_(prometheus::BuildCounter()
                    .Name("grpc_server_msg_sent_total")
                    .Help("Total number of gRPC stream messages sent by the "
                          "server.")
                    .Register(registry)) {}

GrpcServerMetrics::MethodSeries& GrpcServerMetrics::ForMethod(
    std::string_view full_method, ServerRpcInfo::Type type) {
  {
    absl::ReaderMutexLock lock(&mu_);
    // Abseil's string hash takes absl::string_view, which need not be
    // std::string_view.
    auto it =
        known_.find(absl::string_view(full_method.data(), full_method.size()));
    if (it != known_.end()) return *it->second;
  }
  const std::optional<MethodName> name = SplitFullMethodName(full_method);
  const bool known = name.has_value() && IsKnownMethod(*name);
  absl::MutexLock lock(&mu_);
  if (known) {
    std::unique_ptr<MethodSeries>& series = known_[std::string(full_method)];
    if (series == nullptr) {
      series = std::make_unique<MethodSeries>(*this, *name, type);
    }
    return *series;
  }
  size_t index = static_cast<size_t>(type);
  if (index >= unknown_.size()) index = unknown_.size() - 1;
  std::unique_ptr<MethodSeries>& series = unknown_[index];
  if (series == nullptr) {
    series = std::make_unique<MethodSeries>(
        *this, MethodName{.service = kUnknown, .method = kUnknown}, type);
  }
  return *series;
}

bool GrpcServerMetrics::IsKnownMethod(const MethodName& name) {
  // gRPC's health service is built on upb, so its descriptor is not in the
  // generated pool.
  if (name.service == "grpc.health.v1.Health") {
    return name.method == "Check" || name.method == "Watch";
  }
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          name.service);
  return service != nullptr &&
         service->FindMethodByName(name.method) != nullptr;
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewServerMetricsInterceptorFactory(std::shared_ptr<GrpcServerMetrics> metrics) {
  return std::make_unique<MetricsInterceptorFactory>(std::move(metrics));
}

}  // namespace neobridge::metrics
