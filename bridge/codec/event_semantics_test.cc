#include "bridge/codec/event_semantics.h"

#include <ostream>
#include <string>

#include "bridge/codec/test_util.h"
#include "gtest/gtest.h"

namespace neobridge::codec {
namespace {

using ::neobridge::codec::testing::TextProto;

struct TurnCase {
  const char* name;
  const char* event;  // v1.TaskEvent in text format
  bool ends_turn;
  const char* approval_request_id;
};

void PrintTo(const TurnCase& c, std::ostream* os) { *os << c.name; }

class EventSemanticsTest : public ::testing::TestWithParam<TurnCase> {};

TEST_P(EventSemanticsTest, EndsTurnAndApprovalRequestId) {
  const v1::TaskEvent event = TextProto<v1::TaskEvent>(GetParam().event);
  EXPECT_EQ(EndsTurn(event), GetParam().ends_turn);
  EXPECT_EQ(ApprovalRequestId(event), GetParam().approval_request_id);
}

INSTANTIATE_TEST_SUITE_P(
    Table, EventSemanticsTest,
    ::testing::Values(
        TurnCase{"FinalMessage", R"pb(agent_response {
                                        assistant_message { is_final: true }
                                      })pb",
                 true, ""},
        TurnCase{"NonFinalMessage", R"pb(agent_response {
                                           assistant_message { is_final: false }
                                         })pb",
                 false, ""},
        TurnCase{"FinalWithCliToolCall",
                 R"pb(agent_response {
                        assistant_message {
                          is_final: true
                          tool_calls {
                            id: "a"
                            execution_mode: TOOL_EXECUTION_MODE_CLOUD
                          }
                          tool_calls {
                            id: "b"
                            execution_mode: TOOL_EXECUTION_MODE_CLI
                          }
                        }
                      })pb",
                 false, ""},
        TurnCase{"FinalWithCloudToolCall",
                 R"pb(agent_response {
                        assistant_message {
                          is_final: true
                          tool_calls {
                            id: "a"
                            execution_mode: TOOL_EXECUTION_MODE_CLOUD
                          }
                        }
                      })pb",
                 true, ""},
        TurnCase{"FinalWithToolCallOfDefaultMode",
                 R"pb(agent_response {
                        assistant_message {
                          is_final: true
                          tool_calls { id: "a" }
                        }
                      })pb",
                 true, ""},
        TurnCase{"FinalWithWorkerToolCall",
                 R"pb(agent_response {
                        assistant_message {
                          is_final: true
                          tool_calls {
                            id: "a"
                            execution_mode: TOOL_EXECUTION_MODE_WORKER
                          }
                        }
                      })pb",
                 false, ""},
        TurnCase{"NonFinalWithCliToolCall",
                 R"pb(agent_response {
                        assistant_message {
                          tool_calls {
                            id: "a"
                            execution_mode: TOOL_EXECUTION_MODE_CLI
                          }
                        }
                      })pb",
                 false, ""},
        TurnCase{"ApprovalRequest", R"pb(agent_response {
                                           user_approval_request { id: "apr-1" }
                                         })pb",
                 true, "apr-1"},
        TurnCase{"Cancelled", R"pb(agent_response {
                                     cancelled { operation_was_running: true }
                                   })pb",
                 true, ""},
        TurnCase{"CancelledIdle", R"pb(agent_response { cancelled {} })pb",
                 true, ""},
        TurnCase{"Error", R"pb(agent_response { error { message: "x" } })pb",
                 true, ""},
        TurnCase{"Warning",
                 R"pb(agent_response { warning { message: "x" } })pb", false,
                 ""},
        TurnCase{"AwaitingApprovals",
                 R"pb(agent_response { awaiting_approvals {} })pb", false, ""},
        TurnCase{"ExecToolCall", R"pb(agent_response {
                                        exec_tool_call { tool_call_id: "a" }
                                      })pb",
                 false, ""},
        TurnCase{"ToolResponse", R"pb(agent_response {
                                        tool_response { tool_call_id: "a" }
                                      })pb",
                 false, ""},
        TurnCase{"SetTaskName",
                 R"pb(agent_response { set_task_name { name: "n" } })pb", false,
                 ""},
        TurnCase{"ContextCompression",
                 R"pb(agent_response { context_compression_event {} })pb",
                 false, ""},
        TurnCase{"UnknownBackendType",
                 R"pb(agent_response { type: "plan_update" })pb", false, ""},
        TurnCase{"UserMessage",
                 R"pb(user_input { user_message { content: "hi" } })pb", false,
                 ""},
        TurnCase{
            "UserConfirmation",
            R"pb(user_input {
                   user_confirmation { approval_request_id: "apr-1" ok: true }
                 })pb",
            false, ""},
        TurnCase{"UserCancel", R"pb(user_input { user_cancel {} })pb", false,
                 ""},
        TurnCase{"UnknownOuterType", R"pb(type: "triggerInput")pb", false, ""},
        TurnCase{"Empty", R"pb()pb", false, ""}),
    [](const ::testing::TestParamInfo<TurnCase>& info) {
      return std::string(info.param.name);
    });

TEST(EndsTurnTest, TaskDefaultAppliesToToolCallsNamingNoMode) {
  const v1::TaskEvent event = TextProto<v1::TaskEvent>(R"pb(
    agent_response {
      assistant_message {
        is_final: true
        tool_calls { id: "a" }
      }
    }
  )pb");
  EXPECT_TRUE(EndsTurn(event, v1::TOOL_EXECUTION_MODE_UNSPECIFIED));
  EXPECT_TRUE(EndsTurn(event, v1::TOOL_EXECUTION_MODE_CLOUD));
  EXPECT_FALSE(EndsTurn(event, v1::TOOL_EXECUTION_MODE_CLI));

  // An explicit mode beats the task default.
  const v1::TaskEvent cloud = TextProto<v1::TaskEvent>(R"pb(
    agent_response {
      assistant_message {
        is_final: true
        tool_calls { id: "a" execution_mode: TOOL_EXECUTION_MODE_CLOUD }
      }
    }
  )pb");
  EXPECT_TRUE(EndsTurn(cloud, v1::TOOL_EXECUTION_MODE_CLI));
}

}  // namespace
}  // namespace neobridge::codec
