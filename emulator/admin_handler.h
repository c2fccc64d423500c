// The emulator's test-only admin API under /_emulator/ (no authentication):
//   GET    /_emulator/faults  200, the plan in force (FaultPlanToJson)
//   PUT    /_emulator/faults  200, replaces the plan with the body; 400 naming
//                             the field when the body is not a valid plan
//   DELETE /_emulator/faults  204, clears the plan
// Transport-free, like ApiHandler.
#ifndef NEO_EMULATOR_ADMIN_HANDLER_H_
#define NEO_EMULATOR_ADMIN_HANDLER_H_

#include "absl/strings/string_view.h"
#include "emulator/api_handler.h"
#include "emulator/fault_state.h"

namespace neo_emulator {

// "/_emulator" or anything under "/_emulator/".
bool IsAdminPath(absl::string_view path);

// Thread: any; `faults` must outlive the handler.
class AdminHandler {
 public:
  explicit AdminHandler(FaultState* faults) : faults_(faults) {}

  // `request.path` must satisfy IsAdminPath. Unknown admin paths are 404,
  // other methods on /_emulator/faults 405 with Allow.
  HttpResponse Handle(const HttpRequest& request);

 private:
  FaultState* faults_;
};

}  // namespace neo_emulator

#endif  // NEO_EMULATOR_ADMIN_HANDLER_H_
