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

HttpResponse PlanResponse(const FaultPlan& plan) {
  HttpResponse response;
  response.status = 200;
  response.headers.emplace_back("Content-Type", "application/json");
  response.body = DumpJson(FaultPlanToJson(plan));
  return response;
}

}  // namespace

bool IsAdminPath(absl::string_view path) {
  return path == kAdminRoot || absl::StartsWith(path, "/_emulator/");
}

HttpResponse AdminHandler::Handle(const HttpRequest& request) {
  if (request.path != kFaultsPath) {
    return ApiHandler::Error(
        404,
        absl::StrCat("no such endpoint: ", HttpMethodName(request.method), " ",
                     request.path, " (admin endpoints: ", kFaultsPath, ")"));
  }
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
    default: {
      HttpResponse response = ApiHandler::Error(
          405, absl::StrCat("method ", HttpMethodName(request.method),
                            " is not allowed on ", kFaultsPath,
                            "; allowed: ", kFaultsAllow));
      response.headers.emplace_back("Allow", std::string(kFaultsAllow));
      return response;
    }
  }
}

}  // namespace neo_emulator
