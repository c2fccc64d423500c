#include "emulator/admin_handler.h"

#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "emulator/json_shapes.h"

namespace neo_emulator {
namespace {

constexpr absl::string_view kAdminRoot = "/_emulator";
constexpr absl::string_view kFaultsPath = "/_emulator/faults";
constexpr absl::string_view kFaultsAllow = "GET, PUT, DELETE";
constexpr absl::string_view kStatsPath = "/_emulator/stats";
constexpr absl::string_view kStatsAllow = "GET";
constexpr absl::string_view kFirehosePath = "/_emulator/firehose";
constexpr absl::string_view kFirehoseAllow = "GET, PUT, DELETE";

HttpResponse JsonResponse(const nlohmann::json& body) {
  HttpResponse response;
  response.status = 200;
  response.headers.emplace_back("Content-Type", "application/json");
  response.body = DumpJson(body);
  return response;
}

HttpResponse PlanResponse(const FaultPlan& plan) {
  return JsonResponse(FaultPlanToJson(plan));
}

HttpResponse MethodNotAllowed(const HttpRequest& request,
                              absl::string_view path, absl::string_view allow) {
  HttpResponse response = ApiHandler::Error(
      405, absl::StrCat("method ", HttpMethodName(request.method),
                        " is not allowed on ", path, "; allowed: ", allow));
  response.headers.emplace_back("Allow", std::string(allow));
  return response;
}

}  // namespace

bool IsAdminPath(absl::string_view path) {
  return path == kAdminRoot || absl::StartsWith(path, "/_emulator/");
}

HttpResponse AdminHandler::Handle(const HttpRequest& request) {
  if (request.path == kFaultsPath) return HandleFaults(request);
  if (request.path == kStatsPath) return HandleStats(request);
  if (request.path == kFirehosePath) return HandleFirehose(request);
  return ApiHandler::Error(
      404, absl::StrCat("no such endpoint: ", HttpMethodName(request.method),
                        " ", request.path, " (admin endpoints: ", kFaultsPath,
                        ", ", kStatsPath, ", ", kFirehosePath, ")"));
}

HttpResponse AdminHandler::HandleFirehose(const HttpRequest& request) {
  switch (request.method) {
    case HttpMethod::kGet: {
      nlohmann::json list = nlohmann::json::array();
      for (const FirehoseProgress& progress : firehoses_->List()) {
        list.push_back(FirehoseProgressToJson(progress));
      }
      return JsonResponse({{"firehoses", std::move(list)}});
    }
    case HttpMethod::kPut: {
      absl::StatusOr<FirehoseSpec> spec = ParseFirehoseSpec(request.body);
      if (!spec.ok()) {
        return ApiHandler::Error(
            400, absl::StrCat("invalid firehose: ", spec.status().message()));
      }
      absl::StatusOr<FirehoseProgress> started =
          firehoses_->Start(*std::move(spec));
      if (!started.ok()) {
        return ApiHandler::Error(HttpStatusFromStatus(started.status()),
                                 started.status().message());
      }
      return JsonResponse(FirehoseProgressToJson(*started));
    }
    case HttpMethod::kDelete: {
      firehoses_->StopAll();
      HttpResponse response;
      response.status = 204;
      return response;
    }
    default:
      return MethodNotAllowed(request, kFirehosePath, kFirehoseAllow);
  }
}

HttpResponse AdminHandler::HandleStats(const HttpRequest& request) {
  if (request.method != HttpMethod::kGet) {
    return MethodNotAllowed(request, kStatsPath, kStatsAllow);
  }
  return JsonResponse(StreamCountsToJson(stats_->Snapshot()));
}

HttpResponse AdminHandler::HandleFaults(const HttpRequest& request) {
  switch (request.method) {
    case HttpMethod::kGet:
      return PlanResponse(faults_->Get());
    case HttpMethod::kPut: {
      absl::StatusOr<FaultPlan> plan = ParseFaultPlan(request.body);
      if (!plan.ok()) {
        return ApiHandler::Error(
            400, absl::StrCat("invalid fault plan: ", plan.status().message()));
      }
      faults_->Set(*plan);
      return PlanResponse(*plan);
    }
    case HttpMethod::kDelete: {
      faults_->Clear();
      HttpResponse response;
      response.status = 204;
      return response;
    }
    default:
      return MethodNotAllowed(request, kFaultsPath, kFaultsAllow);
  }
}

}  // namespace neo_emulator
