#include "bridge/status/error_details.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/duration.pb.h"

namespace neobridge::status {
namespace {

constexpr absl::string_view kTypeUrlPrefix = "type.googleapis.com/";

template <typename Message>
std::string TypeUrl() {
  return absl::StrCat(kTypeUrlPrefix, Message::descriptor()->full_name());
}

template <typename Message>
void SetPayload(absl::Status& status, const Message& message) {
  if (status.ok()) return;
  status.SetPayload(TypeUrl<Message>(),
                    absl::Cord(message.SerializeAsString()));
}

template <typename Message>
absl::optional<Message> GetPayload(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(TypeUrl<Message>());
  if (!payload.has_value()) return absl::nullopt;
  Message message;
  if (!message.ParseFromString(std::string(*payload))) return absl::nullopt;
  return message;
}

}  // namespace

google::rpc::ErrorInfo MakeErrorInfo(
    absl::string_view reason,
    std::vector<std::pair<std::string, std::string>> metadata) {
  google::rpc::ErrorInfo info;
  info.set_reason(std::string(reason));
  info.set_domain(std::string(kErrorDomain));
  for (auto& [key, value] : metadata) {
    (*info.mutable_metadata())[key] = std::move(value);
  }
  return info;
}

void SetErrorInfo(absl::Status& status, const google::rpc::ErrorInfo& info) {
  SetPayload(status, info);
}

void SetBadRequest(absl::Status& status,
                   const std::vector<FieldViolation>& violations) {
  google::rpc::BadRequest bad_request;
  for (const FieldViolation& violation : violations) {
    auto* v = bad_request.add_field_violations();
    v->set_field(violation.field);
    v->set_description(violation.description);
  }
  SetPayload(status, bad_request);
}

void SetRetryInfo(absl::Status& status, absl::Duration retry_delay) {
  google::rpc::RetryInfo retry_info;
  const int64_t seconds = absl::ToInt64Seconds(retry_delay);
  retry_info.mutable_retry_delay()->set_seconds(seconds);
  retry_info.mutable_retry_delay()->set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(retry_delay - absl::Seconds(seconds))));
  SetPayload(status, retry_info);
}

absl::optional<google::rpc::ErrorInfo> GetErrorInfo(
    const absl::Status& status) {
  return GetPayload<google::rpc::ErrorInfo>(status);
}

absl::optional<google::rpc::BadRequest> GetBadRequest(
    const absl::Status& status) {
  return GetPayload<google::rpc::BadRequest>(status);
}

absl::optional<google::rpc::RetryInfo> GetRetryInfo(
    const absl::Status& status) {
  return GetPayload<google::rpc::RetryInfo>(status);
}

absl::Status InvalidRequest(std::vector<FieldViolation> violations) {
  std::string message = absl::StrJoin(
      violations, "; ", [](std::string* out, const FieldViolation& v) {
        absl::StrAppend(out, v.field, ": ", v.description);
      });
  absl::Status status =
      absl::InvalidArgumentError(absl::StrCat("invalid request: ", message));
  SetBadRequest(status, violations);
  SetErrorInfo(status, MakeErrorInfo(kReasonInvalidRequest));
  return status;
}

absl::Status WithReason(absl::Status status, absl::string_view reason) {
  if (status.ok() || GetErrorInfo(status).has_value()) return status;
  SetErrorInfo(status, MakeErrorInfo(reason));
  return status;
}

}  // namespace neobridge::status
