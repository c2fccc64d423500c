#include "bridge/service/credentials.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "bridge/service/call_limits.h"
#include "bridge/status/error_details.h"

namespace neobridge::service {
namespace {

absl::Status Unauthenticated(absl::string_view message) {
  absl::Status status = absl::UnauthenticatedError(message);
  status::SetErrorInfo(
      status, status::MakeErrorInfo(status::kReasonMissingCredentials));
  return status;
}

// A token may hold visible ASCII only: nothing that could split a header.
bool IsValidToken(absl::string_view token) {
  if (token.empty()) return false;
  for (unsigned char c : token) {
    if (c <= 0x20 || c >= 0x7F) return false;
  }
  return true;
}

}  // namespace

ServiceTokenSource::ServiceTokenSource(std::string fixed_token,
                                       std::string file,
                                       absl::Duration recheck_interval)
    : fixed_token_(std::string(absl::StripAsciiWhitespace(fixed_token))),
      file_(std::move(file)),
      recheck_interval_(recheck_interval) {}

absl::StatusOr<std::string> ServiceTokenSource::ReadFile() const {
  std::ifstream in(file_);
  if (!in) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read the token file ", file_));
  }
  std::stringstream contents;
  contents << in.rdbuf();
  std::string token(absl::StripAsciiWhitespace(contents.str()));
  if (!IsValidToken(token)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the token file ", file_,
        " must hold one Pulumi access token (visible ASCII, no spaces)"));
  }
  return token;
}

absl::Status ServiceTokenSource::CheckReadable() {
  if (file_.empty()) return absl::OkStatus();
  return ReadFile().status();
}

absl::Status ServiceTokenSource::CheckFixedToken() const {
  // The file wins when both are set: the fixed token is then unused.
  if (!file_.empty() || fixed_token_.empty() || IsValidToken(fixed_token_)) {
    return absl::OkStatus();
  }
  // Never echo the value: it is meant to be a secret.
  return absl::InvalidArgumentError(
      "PULUMI_ACCESS_TOKEN must hold one Pulumi access token (visible ASCII, "
      "no spaces or control characters)");
}

absl::optional<std::string> ServiceTokenSource::Get() {
  if (file_.empty()) {
    if (fixed_token_.empty()) return absl::nullopt;
    return fixed_token_;
  }
  absl::MutexLock lock(&mu_);
  const absl::Time now = absl::Now();
  if (now - last_check_ >= recheck_interval_ || file_token_.empty()) {
    last_check_ = now;
    struct stat st;
    if (stat(file_.c_str(), &st) == 0 &&
        (st.st_mtim.tv_sec != last_mtime_.tv_sec ||
         st.st_mtim.tv_nsec != last_mtime_.tv_nsec ||
         st.st_size != last_size_)) {
      absl::StatusOr<std::string> token = ReadFile();
      if (token.ok()) {
        file_token_ = *std::move(token);
        last_mtime_ = st.st_mtim;
        last_size_ = st.st_size;
      }
    }
  }
  if (file_token_.empty()) return absl::nullopt;
  return file_token_;
}

absl::StatusOr<absl::optional<std::string>> CallerToken(
    const Metadata& metadata) {
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return absl::nullopt;
  absl::string_view value(it->second.data(), it->second.size());
  value = absl::StripAsciiWhitespace(value);
  absl::string_view token;
  for (absl::string_view scheme : {"bearer ", "token "}) {
    if (absl::StartsWithIgnoreCase(value, scheme)) {
      token = absl::StripAsciiWhitespace(value.substr(scheme.size()));
      break;
    }
  }
  if (!IsValidToken(token)) {
    return Unauthenticated(
        "the authorization metadata must be \"Bearer <Pulumi access "
        "token>\" or \"token <Pulumi access token>\"");
  }
  return std::string(token);
}

absl::StatusOr<CallCredentials> ResolveCredentials(
    const Metadata& metadata, ServiceTokenSource* service_tokens,
    ServiceTokenAuthorizer authorize, const std::string& peer) {
  absl::StatusOr<absl::optional<std::string>> own = CallerToken(metadata);
  if (!own.ok()) return own.status();
  if (own->has_value()) {
    return CallCredentials{.access_token = **own,
                           .caller = CallerKey(*own, "", peer)};
  }
  if (service_tokens == nullptr || !service_tokens->configured()) {
    return Unauthenticated(
        "no Pulumi access token: send \"authorization: Bearer <token>\" "
        "metadata (this neo-bridge holds no service token; an operator can "
        "give it one with PULUMI_ACCESS_TOKEN or --token-file, and a "
        "--service-token-policy)");
  }
  absl::StatusOr<std::string> caller = authorize();
  if (!caller.ok()) return caller.status();
  absl::optional<std::string> token = service_tokens->Get();
  if (!token.has_value()) {
    return Unauthenticated(
        "no Pulumi access token: the service token file is empty or "
        "unreadable; send \"authorization: Bearer <token>\" metadata, or fix "
        "--token-file");
  }
  return CallCredentials{.access_token = *std::move(token),
                         .caller = CallerKey(absl::nullopt, *caller, peer)};
}

}  // namespace neobridge::service
