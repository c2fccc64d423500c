// gRPC server metrics in go-grpc-prometheus's names and labels
// (grpc_server_started_total, grpc_server_handled_total,
// grpc_server_handling_seconds, grpc_server_msg_{received,sent}_total),
// recorded by a server interceptor.
#ifndef NEOBRIDGE_BRIDGE_METRICS_GRPC_SERVER_METRICS_H_
#define NEOBRIDGE_BRIDGE_METRICS_GRPC_SERVER_METRICS_H_

#include <grpcpp/support/server_interceptor.h>
#include <grpcpp/support/status.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace neobridge::metrics {

// Histogram buckets in seconds: go-grpc-prometheus's defaults (.005 … 10)
// plus 30, 60 and 120 for the slow upstream calls (CreateTask).
const prometheus::Histogram::BucketBoundaries& LatencyBucketsSeconds();

// Go's name of a gRPC code ("OK", "Canceled", "InvalidArgument", ...), the
// grpc_code label value. Codes outside 0..16 read "Unknown".
std::string_view GrpcCodeName(grpc::StatusCode code);

// The grpc_type label value: "unary", "client_stream", "server_stream" or
// "bidi_stream".
std::string_view GrpcTypeName(grpc::experimental::ServerRpcInfo::Type type);

// Splits a full method name "/package.Service/Method" into
// {"package.Service", "Method"}; nullopt unless it has exactly that shape
// (leading slash, one more slash, both parts non-empty).
struct MethodName {
  std::string service;
  std::string method;
};
std::optional<MethodName> SplitFullMethodName(std::string_view full_method);

// The gRPC server families, registered in a registry, and the per-method
// series. Label values come from bounded sets only: a method is labelled
// with its own name when it is a method this binary can serve (found in the
// generated protobuf descriptor pool, or one of gRPC's built-in health
// methods, which are not in that pool); any other name a caller sends is
// labelled grpc_service="unknown", grpc_method="unknown".
// All methods are thread-safe.
class GrpcServerMetrics {
 public:
  // The series of one method. Owned by the GrpcServerMetrics that returned
  // it and valid as long as that object.
  class MethodSeries {
   public:
    MethodSeries(GrpcServerMetrics& owner, const MethodName& name,
                 grpc::experimental::ServerRpcInfo::Type type);

    void OnStarted() { started_.Increment(); }
    void OnReceived() { received_.Increment(); }
    void OnSent() { sent_.Increment(); }
    // The call ended with `code` after `elapsed`; handling_seconds is
    // observed for unary calls only.
    void OnHandled(grpc::StatusCode code, absl::Duration elapsed);

   private:
    static constexpr int kCodes = 17;  // OK .. UNAUTHENTICATED

    const prometheus::Labels labels_;  // grpc_service, grpc_method, grpc_type
    prometheus::Counter& started_;
    prometheus::Counter& received_;
    prometheus::Counter& sent_;
    prometheus::Histogram* const handling_;  // null unless unary
    prometheus::Family<prometheus::Counter>& handled_family_;
    // One series per grpc_code, added when first used. Racing adds are
    // harmless: Family::Add returns the existing series for equal labels.
    std::array<std::atomic<prometheus::Counter*>, kCodes> handled_ = {};
  };

  // Registers the families in `registry`, which must outlive this object.
  explicit GrpcServerMetrics(prometheus::Registry& registry);
  GrpcServerMetrics(const GrpcServerMetrics&) = delete;
  GrpcServerMetrics& operator=(const GrpcServerMetrics&) = delete;

  // The series for `full_method` ("/package.Service/Method") of `type`.
  MethodSeries& ForMethod(std::string_view full_method,
                          grpc::experimental::ServerRpcInfo::Type type);

 private:
  // Whether `name` is a method this binary can serve (see the class
  // comment).
  static bool IsKnownMethod(const MethodName& name);

  prometheus::Family<prometheus::Counter>& started_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Histogram>& handling_seconds_;
  prometheus::Family<prometheus::Counter>& msg_received_;
  prometheus::Family<prometheus::Counter>& msg_sent_;

  absl::Mutex mu_;
  // Known methods by full name; bounded by the methods of the binary.
  absl::flat_hash_map<std::string, std::unique_ptr<MethodSeries>> known_
      ABSL_GUARDED_BY(mu_);
  // The "unknown" series, one per call type.
  std::array<std::unique_ptr<MethodSeries>, 4> unknown_ ABSL_GUARDED_BY(mu_);
};

// A server interceptor factory recording into `metrics` (which it keeps
// alive). Install it with
// grpc::ServerBuilder::experimental().SetInterceptorCreators(). Per call it
// records: started when the call is created; a received message at each
// POST_RECV_MESSAGE that carried one; a sent message at each
// PRE_SEND_MESSAGE; handled (and, for unary calls, handling_seconds) at
// PRE_SEND_STATUS with the status's code. A call that ends without sending a
// status (cancelled by the client, deadline, server shutdown) is counted as
// handled with code Canceled, exactly once.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewServerMetricsInterceptorFactory(std::shared_ptr<GrpcServerMetrics> metrics);

}  // namespace neobridge::metrics

#endif  // NEOBRIDGE_BRIDGE_METRICS_GRPC_SERVER_METRICS_H_
