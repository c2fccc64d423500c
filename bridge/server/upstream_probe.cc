#include "bridge/server/upstream_probe.h"

#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"

namespace neobridge::server {

bool IsReachable(const absl::StatusOr<upstream::HttpResponse>& outcome,
                 std::string* detail) {
  if (!outcome.ok()) {
    *detail = std::string(outcome.status().message());
    return false;
  }
  *detail = absl::StrCat("HTTP ", outcome->status);
  return outcome->status > 0 && outcome->status < 500;
}

UpstreamProbe::UpstreamProbe(upstream::HttpTransport& transport,
                             UpstreamProbeOptions options, OnChange on_change)
    : transport_(transport),
      options_(std::move(options)),
      on_change_(std::move(on_change)),
      thread_([this] { Run(); }) {}

UpstreamProbe::~UpstreamProbe() {
  {
    absl::MutexLock lock(&state_->mu);
    state_->stopping = true;
  }
  thread_.join();
}

void UpstreamProbe::Run() {
  std::optional<bool> last;
  for (uint64_t probe = 1;; ++probe) {
    upstream::HttpRequest request;
    request.method = upstream::HttpMethod::kGet;
    request.url = options_.url;
    request.headers = {{"User-Agent", options_.user_agent}};
    request.timeout = options_.timeout;
    {
      absl::MutexLock lock(&state_->mu);
      state_->probe = probe;
      state_->outcome.reset();
    }
    const upstream::HttpTransport::RequestId id =
        transport_.Send(std::move(request),
                        [state = state_, probe](
                            absl::StatusOr<upstream::HttpResponse> outcome) {
                          absl::MutexLock lock(&state->mu);
                          if (state->probe == probe)
                            state->outcome = std::move(outcome);
                        });
    std::optional<absl::StatusOr<upstream::HttpResponse>> outcome;
    {
      absl::MutexLock lock(&state_->mu);
      State* state = state_.get();
      auto answered_or_stopping = [state]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
        return state->outcome.has_value() || state->stopping;
      };
      // The transport bounds the request by `timeout`; the extra second
      // only guards against a transport that never answers.
      state->mu.AwaitWithTimeout(absl::Condition(&answered_or_stopping),
                                 options_.timeout + absl::Seconds(1));
      outcome = std::move(state->outcome);
      state->outcome.reset();
    }
    if (!outcome.has_value()) {
      transport_.Cancel(id);
    } else {
      std::string detail;
      const bool reachable = IsReachable(*outcome, &detail);
      if (!last.has_value() || *last != reachable) {
        last = reachable;
        on_change_(reachable, detail);
      }
    }
    absl::MutexLock lock(&state_->mu);
    State* state = state_.get();
    auto stopping = [state]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
      return state->stopping;
    };
    if (state->mu.AwaitWithTimeout(absl::Condition(&stopping),
                                   options_.interval)) {
      return;
    }
  }
}

}  // namespace neobridge::server
