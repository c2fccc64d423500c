// The emulator's test-only admin API under /_emulator/ (no authentication):
//   GET    /_emulator/faults  200, the plan in force (FaultPlanToJson)
//   PUT    /_emulator/faults  200, replaces the plan with the body; 400 naming
//                             the field when the body is not a valid plan
//   DELETE /_emulator/faults  204, clears the plan
//   GET    /_emulator/stats   200, open event streams (StreamCountsToJson)
//   PUT    /_emulator/firehose  200, starts a firehose (FirehoseSpec body;
//                               400 invalid, 404 unknown task, 409 one runs
//                               on the task); answers its progress
//   GET    /_emulator/firehose  200, {"firehoses": [progress, ...]}
//   DELETE /_emulator/firehose  204, stops every running firehose
// Transport-free, like ApiHandler.
#ifndef NEO_EMULATOR_ADMIN_HANDLER_H_
#define NEO_EMULATOR_ADMIN_HANDLER_H_

#include "absl/strings/string_view.h"
#include "emulator/api_handler.h"
#include "emulator/fault_state.h"
#include "emulator/firehose.h"
#include "emulator/stream_stats.h"

namespace neo_emulator {

// "/_emulator" or anything under "/_emulator/".
bool IsAdminPath(absl::string_view path);

// Thread: the event-loop thread (the firehoses live there). `faults`,
// `stats` and `firehoses` must outlive the handler.
class AdminHandler {
 public:
  AdminHandler(FaultState* faults, const StreamStats* stats,
               Firehoses* firehoses)
      : faults_(faults), stats_(stats), firehoses_(firehoses) {}

  // `request.path` must satisfy IsAdminPath. Unknown admin paths are 404,
  // other methods 405 with Allow.
  HttpResponse Handle(const HttpRequest& request);

 private:
  HttpResponse HandleFaults(const HttpRequest& request);
  HttpResponse HandleStats(const HttpRequest& request);
  HttpResponse HandleFirehose(const HttpRequest& request);

  FaultState* faults_;
  const StreamStats* stats_;
  Firehoses* firehoses_;
};

}  // namespace neo_emulator

#endif  // NEO_EMULATOR_ADMIN_HANDLER_H_
