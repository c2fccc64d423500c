#include "bridge/codec/event_codec.h"

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "bridge/codec/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace neobridge::codec {
namespace {

using ::neobridge::codec::testing::Json;
using ::neobridge::codec::testing::ProtoEquals;
using ::neobridge::codec::testing::ReadTestdata;
using ::neobridge::codec::testing::TextProto;
using ::testing::HasSubstr;

v1::ListTaskEventsResponse ParseFixture(const char* name) {
  absl::StatusOr<v1::ListTaskEventsResponse> response =
      ParseListTaskEventsResponse(ReadTestdata(name));
  EXPECT_TRUE(response.ok()) << name << ": " << response.status();
  return response.ok() ? *std::move(response) : v1::ListTaskEventsResponse();
}

class BackendEventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    response_ = ParseFixture("events_backend.json");
    ASSERT_EQ(response_.events_size(), 14);
  }
  const v1::TaskEvent& Event(int i) const { return response_.events(i); }

  v1::ListTaskEventsResponse response_;
};

TEST_F(BackendEventsTest, ContinuationToken) {
  EXPECT_EQ(response_.next_page_token(), "ev-page-2");
}

TEST_F(BackendEventsTest, AssistantMessage) {
  EXPECT_TRUE(ProtoEquals(TextProto<v1::TaskEvent>(R"pb(
                            id: "ev-01"
                            type: "agentResponse"
                            agent_response {
                              timestamp { seconds: 1738404000 }
                              type: "assistant_message"
                              assistant_message {
                                content: "I will run a preview on the CLI."
                                is_final: true
                                tool_calls {
                                  id: "call-1"
                                  name: "pulumi_preview"
                                  args {
                                    fields {
                                      key: "stack"
                                      value { string_value: "prod" }
                                    }
                                    fields {
                                      key: "diff"
                                      value { bool_value: true }
                                    }
                                    fields {
                                      key: "depth"
                                      value { number_value: 2 }
                                    }
                                    fields {
                                      key: "ratio"
                                      value { number_value: 0.5 }
                                    }
                                    fields {
                                      key: "targets"
                                      value {
                                        list_value {
                                          values { string_value: "urn:a" }
                                          values { string_value: "urn:b" }
                                        }
                                      }
                                    }
                                    fields {
                                      key: "options"
                                      value {
                                        struct_value {
                                          fields {
                                            key: "refresh"
                                            value { null_value: NULL_VALUE }
                                          }
                                        }
                                      }
                                    }
                                  }
                                  execution_mode: TOOL_EXECUTION_MODE_CLI
                                }
                                tool_calls {
                                  id: "call-2"
                                  name: "read_file"
                                  args {}
                                  execution_mode: TOOL_EXECUTION_MODE_WORKER
                                }
                                tool_calls {
                                  id: "call-3"
                                  name: "search"
                                  args {
                                    fields {
                                      key: "q"
                                      value { string_value: "s3" }
                                    }
                                  }
                                  execution_mode: TOOL_EXECUTION_MODE_CLOUD
                                }
                                token_usage {
                                  key: "claude-sonnet"
                                  value {
                                    input_tokens: 1000
                                    output_tokens: 200
                                    cache_creation_input_tokens: 30
                                    cache_read_input_tokens: 4000
                                  }
                                }
                                token_usage {
                                  key: "claude-haiku"
                                  value { input_tokens: 5 }
                                }
                                thinking_signatures: "sig-a"
                                thinking_signatures: "sig-b"
                              }
                            }
                          )pb"),
                          Event(0)));
  // A final message with a CLI tool call does not end the turn.
  EXPECT_FALSE(Event(0).ends_turn());
  EXPECT_FALSE(Event(0)
                   .agent_response()
                   .assistant_message()
                   .token_usage()
                   .at("claude-haiku")
                   .has_output_tokens());
}

TEST_F(BackendEventsTest, UserApprovalRequest) {
  EXPECT_TRUE(ProtoEquals(
      TextProto<v1::TaskEvent>(R"pb(
        id: "ev-02"
        is_synthetic: true
        type: "agentResponse"
        agent_response {
          timestamp { seconds: 1738404001 nanos: 500000000 }
          type: "user_approval_request"
          user_approval_request {
            id: "apr-1"
            approval_type: APPROVAL_TYPE_PLAN_EXIT
            message: "Apply the plan?"
            source: APPROVAL_SOURCE_HYBRID
            buttons: "Approve"
            buttons: "Reject"
            context {
              git_diff { key: "main.tf" value: "@@ -1 +1 @@\n-a\n+b\n" }
              git_diff { key: "vars.tf" value: "+x" }
              last_approval_diff { key: "main.tf" value: "+b" }
              plan_description: "# Plan\n1. Update bucket"
              tool_call_id: "call-9"
              tool_name: "pulumi_up"
            }
            sensitivity: APPROVAL_SENSITIVITY_SENSITIVE
          }
        }
        ends_turn: true
        approval_request_id: "apr-1"
      )pb"),
      Event(1)));
}

TEST_F(BackendEventsTest, ToolCallLifecycle) {
  EXPECT_TRUE(ProtoEquals(
      TextProto<v1::BackendEvent>(R"pb(
        timestamp { seconds: 1738404002 }
        type: "exec_tool_call"
        exec_tool_call { tool_call_id: "call-1" name: "pulumi_preview" }
      )pb"),
      Event(2).agent_response()));
  EXPECT_TRUE(ProtoEquals(TextProto<v1::BackendEvent>(R"pb(
                            timestamp { seconds: 1738404002 nanos: 1000 }
                            type: "exec_tool_call_progress"
                            exec_tool_call_progress {
                              tool_call_id: "call-1"
                              status: "running"
                              metadata {
                                fields {
                                  key: "percent"
                                  value { number_value: 50 }
                                }
                                fields {
                                  key: "phase"
                                  value {
                                    struct_value {
                                      fields {
                                        key: "name"
                                        value { string_value: "plan" }
                                      }
                                    }
                                  }
                                }
                              }
                            }
                          )pb"),
                          Event(3).agent_response()));
  EXPECT_TRUE(ProtoEquals(TextProto<v1::BackendEvent>(R"pb(
                            timestamp { seconds: 1738404002 nanos: 1 }
                            type: "tool_response"
                            tool_response {
                              tool_call_id: "call-1"
                              name: "pulumi_preview"
                              content {
                                struct_value {
                                  fields {
                                    key: "stdout"
                                    value { string_value: "2 to update" }
                                  }
                                  fields {
                                    key: "exitCode"
                                    value { number_value: 1 }
                                  }
                                }
                              }
                              is_error: true
                            }
                          )pb"),
                          Event(4).agent_response()));
  EXPECT_TRUE(ProtoEquals(TextProto<v1::BackendEvent>(R"pb(
                            timestamp { seconds: 1738404002 }
                            type: "tool_response"
                            tool_response {
                              tool_call_id: "call-3"
                              name: "search"
                              content { string_value: "plain text result" }
                            }
                          )pb"),
                          Event(5).agent_response()));
}

TEST_F(BackendEventsTest, TaskChanges) {
  EXPECT_TRUE(ProtoEquals(TextProto<v1::BackendEvent>(R"pb(
                            timestamp { seconds: 1738404002 }
                            type: "set_task_name"
                            set_task_name { name: "Update the bucket" }
                          )pb"),
                          Event(6).agent_response()));
  EXPECT_TRUE(ProtoEquals(TextProto<v1::BackendEvent>(R"pb(
                            timestamp { seconds: 1738404002 }
                            type: "change_entities"
                            change_entities {
                              changes {
                                add {
                                  type: "stack"
                                  stack { name: "staging" project: "web" }
                                }
                                remove {
                                  type: "policy_issue"
                                  policy_issue { id: "pi-1" }
                                }
                              }
                            }
                          )pb"),
                          Event(7).agent_response()));
}

TEST_F(BackendEventsTest, TurnAndStatusEvents) {
  EXPECT_TRUE(ProtoEquals(TextProto<v1::BackendEvent>(R"pb(
                            timestamp { seconds: 1738404002 }
                            type: "awaiting_approvals"
                            awaiting_approvals {}
                          )pb"),
                          Event(8).agent_response()));
  EXPECT_TRUE(Event(8).agent_response().has_awaiting_approvals());
  EXPECT_TRUE(ProtoEquals(TextProto<v1::BackendEvent>(R"pb(
                            timestamp { seconds: 1738404002 }
                            type: "cancelled"
                            cancelled { operation_was_running: true }
                          )pb"),
                          Event(9).agent_response()));
  EXPECT_TRUE(Event(9).ends_turn());
  EXPECT_TRUE(ProtoEquals(TextProto<v1::BackendEvent>(R"pb(
                            timestamp { seconds: 1738404002 }
                            type: "error"
                            error { message: "model unavailable" }
                          )pb"),
                          Event(10).agent_response()));
  EXPECT_TRUE(Event(10).ends_turn());
  EXPECT_TRUE(ProtoEquals(TextProto<v1::BackendEvent>(R"pb(
                            timestamp { seconds: 1738404002 }
                            type: "warning"
                            warning { message: "retrying" }
                          )pb"),
                          Event(11).agent_response()));
  EXPECT_FALSE(Event(11).ends_turn());
  EXPECT_TRUE(ProtoEquals(TextProto<v1::BackendEvent>(R"pb(
                            timestamp { seconds: 1738404002 }
                            type: "context_compression_event"
                            context_compression_event {
                              status: COMPRESSION_STATUS_COMPRESSED
                              message: "Compressed context"
                              context_summary: "We updated the bucket."
                              tail_length: 12
                            }
                          )pb"),
                          Event(12).agent_response()));
  EXPECT_TRUE(ProtoEquals(TextProto<v1::TaskEvent>(R"pb(
                            id: "ev-14"
                            is_synthetic: true
                            type: "agentResponse"
                            agent_response {
                              timestamp { seconds: 1738404002 }
                              type: "provide_pulumi_access_token"
                              provide_pulumi_access_token {
                                encrypted_pulumi_access_token: "ZW5jcnlwdGVk"
                              }
                            }
                          )pb"),
                          Event(13)));
}

class UserEventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    response_ = ParseFixture("events_user.json");
    ASSERT_EQ(response_.events_size(), 6);
  }
  const v1::TaskEvent& Event(int i) const { return response_.events(i); }

  v1::ListTaskEventsResponse response_;
};

TEST_F(UserEventsTest, AbsentTokenIsLastPage) {
  EXPECT_EQ(response_.next_page_token(), "");
}

TEST_F(UserEventsTest, UserMessageWithEveryCommonField) {
  EXPECT_TRUE(ProtoEquals(TextProto<v1::TaskEvent>(R"pb(
                            id: "ev-u1"
                            type: "userInput"
                            user_input {
                              timestamp { seconds: 1738400400 }
                              type: "user_message"
                              entity_diff {
                                add {
                                  type: "repository"
                                  repository { name: "infra" org: "acme" }
                                }
                                remove {
                                  type: "stack"
                                  stack { name: "old" project: "web" }
                                }
                              }
                              page_context {
                                path: "/acme/stacks/web/prod"
                                kind: "stack"
                                params { key: "org" value: "acme" }
                                params { key: "project" value: "web" }
                                params { key: "stack" value: "prod" }
                              }
                              user_message {
                                content: "Why did prod fail?"
                                commands {
                                  key: "/fix"
                                  value {
                                    name: "/fix"
                                    prompt: "Fix the problem."
                                    description: "Fixes things"
                                    built_in: true
                                    tag: "v3"
                                    modified_at { seconds: 1735862400 }
                                  }
                                }
                              }
                            }
                          )pb"),
                          Event(0)));
  EXPECT_FALSE(Event(0).ends_turn());
}

TEST_F(UserEventsTest, Confirmations) {
  EXPECT_TRUE(ProtoEquals(TextProto<v1::UserEvent>(R"pb(
                            timestamp { seconds: 1738404001 }
                            type: "user_confirmation"
                            user_confirmation {
                              approval_request_id: "apr-1"
                              ok: false
                              instructions: "Only update staging."
                            }
                          )pb"),
                          Event(1).user_input()));
  EXPECT_TRUE(
      ProtoEquals(TextProto<v1::UserEvent>(R"pb(
                    timestamp { seconds: 1738404001 }
                    type: "user_confirmation"
                    user_confirmation { approval_request_id: "apr-2" ok: true }
                  )pb"),
                  Event(2).user_input()));
  EXPECT_FALSE(Event(2).user_input().user_confirmation().has_instructions());
  // Only the agent's request carries an approval id, not the answer.
  EXPECT_EQ(Event(1).approval_request_id(), "");
}

TEST_F(UserEventsTest, CancelAndCliToolEvents) {
  EXPECT_TRUE(ProtoEquals(TextProto<v1::TaskEvent>(R"pb(
                            id: "ev-u3"
                            is_synthetic: true
                            type: "userInput"
                            user_input {
                              timestamp { seconds: 1738404002 }
                              type: "user_cancel"
                              user_cancel {}
                            }
                          )pb"),
                          Event(3)));
  EXPECT_TRUE(Event(3).user_input().has_user_cancel());
  EXPECT_TRUE(ProtoEquals(
      TextProto<v1::UserEvent>(R"pb(
        timestamp { seconds: 1738404002 }
        type: "exec_tool_call"
        exec_tool_call { tool_call_id: "call-1" name: "pulumi_preview" }
      )pb"),
      Event(4).user_input()));
  EXPECT_TRUE(ProtoEquals(TextProto<v1::UserEvent>(R"pb(
                            timestamp { seconds: 1738404002 }
                            type: "tool_result"
                            tool_result {
                              tool_results {
                                tool_call_id: "call-1"
                                name: "pulumi_preview"
                                content {
                                  struct_value {
                                    fields {
                                      key: "stdout"
                                      value { string_value: "ok" }
                                    }
                                    fields {
                                      key: "changes"
                                      value {
                                        list_value {
                                          values { number_value: 1 }
                                          values { number_value: 2 }
                                        }
                                      }
                                    }
                                  }
                                }
                                is_error: true
                              }
                              tool_results {
                                tool_call_id: "call-2"
                                name: "read_file"
                                content { string_value: "file text" }
                                is_error: false
                              }
                              tool_results {
                                tool_call_id: "call-4"
                                name: "list"
                                content {
                                  list_value {
                                    values { number_value: 1 }
                                    values { string_value: "two" }
                                    values { null_value: NULL_VALUE }
                                  }
                                }
                              }
                            }
                          )pb"),
                          Event(5).user_input()));
  EXPECT_TRUE(
      Event(5).user_input().tool_result().tool_results(1).has_is_error());
  EXPECT_FALSE(
      Event(5).user_input().tool_result().tool_results(2).has_is_error());
}

class UnknownEventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    response_ = ParseFixture("events_unknown.json");
    ASSERT_EQ(response_.events_size(), 10);
  }
  const v1::TaskEvent& Event(int i) const { return response_.events(i); }

  v1::ListTaskEventsResponse response_;
};

TEST_F(UnknownEventsTest, UnknownOuterTypeKeepsEventBodyWhole) {
  EXPECT_TRUE(
      ProtoEquals(TextProto<v1::TaskEvent>(R"pb(
                    id: "ev-x1"
                    is_synthetic: true
                    type: "triggerInput"
                    unknown_fields {
                      fields {
                        key: "traceId"
                        value { string_value: "trace-1" }
                      }
                      fields {
                        key: "eventBody"
                        value {
                          struct_value {
                            fields {
                              key: "type"
                              value { string_value: "schedule_fired" }
                            }
                            fields {
                              key: "at"
                              value { string_value: "2025-02-01T09:00:00Z" }
                            }
                            fields {
                              key: "cron"
                              value { string_value: "0 9 * * *" }
                            }
                          }
                        }
                      }
                    }
                  )pb"),
                  Event(0)));
  EXPECT_EQ(Event(0).body_case(), v1::TaskEvent::BODY_NOT_SET);
}

TEST_F(UnknownEventsTest, UnknownInnerTypesKeepTheirMembers) {
  EXPECT_TRUE(ProtoEquals(TextProto<v1::BackendEvent>(R"pb(
                            timestamp { seconds: 1738404000 }
                            type: "plan_update"
                            unknown_fields {
                              fields {
                                key: "revision"
                                value { number_value: 2 }
                              }
                              fields {
                                key: "steps"
                                value {
                                  list_value {
                                    values {
                                      struct_value {
                                        fields {
                                          key: "title"
                                          value { string_value: "one" }
                                        }
                                        fields {
                                          key: "done"
                                          value { bool_value: true }
                                        }
                                      }
                                    }
                                  }
                                }
                              }
                            }
                          )pb"),
                          Event(1).agent_response()));
  EXPECT_EQ(Event(1).agent_response().body_case(),
            v1::BackendEvent::BODY_NOT_SET);
  EXPECT_TRUE(ProtoEquals(TextProto<v1::UserEvent>(R"pb(
                            timestamp { seconds: 1738404000 }
                            type: "user_vote"
                            unknown_fields {
                              fields {
                                key: "score"
                                value { number_value: 5 }
                              }
                            }
                          )pb"),
                          Event(2).user_input()));
  EXPECT_EQ(Event(2).user_input().body_case(), v1::UserEvent::BODY_NOT_SET);
}

TEST_F(UnknownEventsTest, UnknownMembersAtEveryLevel) {
  const v1::TaskEvent& event = Event(3);
  EXPECT_EQ(event.unknown_fields().fields().at("sequence").number_value(), 10);
  const v1::BackendEvent& body = event.agent_response();
  // A new member of the flattened body goes to the backend event.
  EXPECT_EQ(body.unknown_fields().fields().at("model").string_value(),
            "claude-next");
  const v1::ToolCall& call = body.assistant_message().tool_calls(0);
  EXPECT_EQ(call.execution_mode(), v1::TOOL_EXECUTION_MODE_UNSPECIFIED);
  EXPECT_EQ(call.unknown_fields().fields().at("execution_mode").string_value(),
            "edge");
  EXPECT_EQ(call.unknown_fields().fields().at("retries").number_value(), 2);
  const v1::TokenUsage& usage = body.assistant_message().token_usage().at("m");
  EXPECT_EQ(usage.input_tokens(), 1);
  EXPECT_EQ(
      usage.unknown_fields().fields().at("reasoning_tokens").number_value(), 7);
}

TEST_F(UnknownEventsTest, UnknownEnumStringsAreKept) {
  const v1::BackendEvent& request = Event(4).agent_response();
  EXPECT_TRUE(ProtoEquals(TextProto<v1::UserApprovalRequest>(R"pb(
                            id: "apr-9"
                            message: "Spend more?"
                            context {
                              tool_name: "buy"
                              unknown_fields {
                                fields {
                                  key: "risk"
                                  value { string_value: "high" }
                                }
                              }
                            }
                          )pb"),
                          request.user_approval_request()));
  EXPECT_TRUE(ProtoEquals(TextProto<google::protobuf::Struct>(R"pb(
                            fields {
                              key: "approval_type"
                              value { string_value: "budget" }
                            }
                            fields {
                              key: "source"
                              value { string_value: "robot" }
                            }
                            fields {
                              key: "sensitivity"
                              value { string_value: "extreme" }
                            }
                          )pb"),
                          request.unknown_fields()));
  EXPECT_EQ(Event(4).approval_request_id(), "apr-9");

  const v1::BackendEvent& compression = Event(5).agent_response();
  EXPECT_TRUE(compression.has_context_compression_event());
  EXPECT_EQ(compression.context_compression_event().status(),
            v1::COMPRESSION_STATUS_UNSPECIFIED);
  EXPECT_EQ(compression.unknown_fields().fields().at("status").string_value(),
            "paused");
}

TEST_F(UnknownEventsTest, EntityDiffExtrasAreStashedUnderItsName) {
  const v1::BackendEvent& change = Event(6).agent_response();
  EXPECT_TRUE(ProtoEquals(TextProto<v1::BackendEvent>(R"pb(
                            timestamp { seconds: 1738404000 }
                            type: "change_entities"
                            change_entities {
                              changes {
                                add {
                                  type: "deployment"
                                  unknown_fields {
                                    fields {
                                      key: "id"
                                      value { string_value: "d-1" }
                                    }
                                  }
                                }
                              }
                            }
                            unknown_fields {
                              fields {
                                key: "changes"
                                value {
                                  struct_value {
                                    fields {
                                      key: "reason"
                                      value { string_value: "cleanup" }
                                    }
                                  }
                                }
                              }
                            }
                          )pb"),
                          change));
  const v1::UserEvent& message = Event(7).user_input();
  EXPECT_TRUE(ProtoEquals(TextProto<google::protobuf::Struct>(R"pb(
                            fields {
                              key: "client"
                              value { string_value: "web" }
                            }
                            fields {
                              key: "entity_diff"
                              value {
                                struct_value {
                                  fields {
                                    key: "mode"
                                    value { string_value: "replace" }
                                  }
                                }
                              }
                            }
                          )pb"),
                          message.unknown_fields()));
  EXPECT_EQ(message.page_context()
                .unknown_fields()
                .fields()
                .at("title")
                .string_value(),
            "Home");
  EXPECT_EQ(message.user_message()
                .commands()
                .at("/x")
                .unknown_fields()
                .fields()
                .at("owner")
                .string_value(),
            "ada");
  const v1::ToolResultItem& item =
      Event(8).user_input().tool_result().tool_results(0);
  EXPECT_EQ(item.unknown_fields().fields().at("duration_ms").number_value(),
            12);
}

TEST_F(UnknownEventsTest, NullToolContentIsANullValue) {
  const v1::ToolResponse& response = Event(9).agent_response().tool_response();
  ASSERT_TRUE(response.has_content());
  EXPECT_EQ(response.content().kind_case(),
            google::protobuf::Value::kNullValue);
}

TEST(ParseTaskEventTest, SingleEventFillsDerivedFields) {
  absl::StatusOr<v1::TaskEvent> event = ParseTaskEvent(R"({
    "id": "e1", "isSynthetic": false, "type": "agentResponse",
    "eventBody": {"type": "user_approval_request", "id": "apr-5",
                  "approval_type": "tool_permission", "message": "ok?",
                  "source": "agent", "timestamp": "2025-02-01T10:00:00Z"}})");
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_TRUE(event->ends_turn());
  EXPECT_EQ(event->approval_request_id(), "apr-5");
  // Derived fields are the bridge's, never sent back upstream.
  nlohmann::json out = Json(SerializeTaskEvent(*event));
  EXPECT_FALSE(out.contains("ends_turn"));
  EXPECT_FALSE(out.contains("approval_request_id"));
}

TEST(ParseTaskEventTest, AbsentOrNullEventBodyLeavesBodyUnset) {
  for (const char* text :
       {R"({"id":"e","type":"agentResponse"})",
        R"({"id":"e","type":"userInput","eventBody":null})"}) {
    absl::StatusOr<v1::TaskEvent> event = ParseTaskEvent(text);
    ASSERT_TRUE(event.ok()) << event.status();
    EXPECT_EQ(event->body_case(), v1::TaskEvent::BODY_NOT_SET) << text;
    EXPECT_TRUE(event->unknown_fields().fields().empty()) << text;
  }
}

TEST(ParseBackendEventTest, NullMembersReadAsUnset) {
  absl::StatusOr<v1::BackendEvent> event = ParseBackendEvent(R"({
    "type": "assistant_message", "timestamp": null, "content": null,
    "is_final": null, "tool_calls": null, "token_usage": null,
    "thinking_signatures": null})");
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_TRUE(ProtoEquals(TextProto<v1::BackendEvent>(R"pb(
                            type: "assistant_message"
                            assistant_message {}
                          )pb"),
                          *event));
  event = ParseBackendEvent(R"({
    "type": "context_compression_event", "status": "failed",
    "message": null, "context_summary": null, "tail_length": null})");
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_FALSE(event->context_compression_event().has_message());
  EXPECT_FALSE(event->context_compression_event().has_tail_length());
  event = ParseBackendEvent(R"({"type": "change_entities", "changes": null})");
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_TRUE(event->has_change_entities());
  EXPECT_FALSE(event->change_entities().has_changes());
  // Null map entries are skipped like null members.
  event = ParseBackendEvent(
      R"({"type":"assistant_message","token_usage":{"m":null,"n":{}}})");
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->assistant_message().token_usage().size(), 1u);
  EXPECT_TRUE(event->assistant_message().token_usage().contains("n"));
  event = ParseBackendEvent(
      R"({"type":"user_approval_request","context":{"git_diff":{"a":null}}})");
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_TRUE(event->user_approval_request().context().git_diff().empty());
}

TEST(ParseUserEventTest, CommonFieldsAbsentStayUnset) {
  absl::StatusOr<v1::UserEvent> event =
      ParseUserEvent(R"({"type":"user_message","content":"hi"})");
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_FALSE(event->has_timestamp());
  EXPECT_FALSE(event->has_entity_diff());
  EXPECT_FALSE(event->has_page_context());
  EXPECT_EQ(event->user_message().content(), "hi");
  EXPECT_EQ(Json(SerializeUserEvent(*event)),
            Json(R"({"type":"user_message","content":"hi"})"));
}

struct MalformedEventCase {
  std::string json;
  std::string message;
};

void PrintTo(const MalformedEventCase& c, std::ostream* os) { *os << c.json; }

class MalformedEventsTest
    : public ::testing::TestWithParam<MalformedEventCase> {};

TEST_P(MalformedEventsTest, IsInvalidArgumentNamingThePath) {
  absl::StatusOr<v1::ListTaskEventsResponse> response =
      ParseListTaskEventsResponse(GetParam().json);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(response.status().message(), GetParam().message);
}

// Wraps `body` as the eventBody of events[1] (events[0] is fine).
std::string AgentEvents(const std::string& body) {
  return R"({"events":[{"id":"a","type":"agentResponse","eventBody":{"type":"warning","message":"w"}},)"
         R"({"id":"b","type":"agentResponse","eventBody":)" +
         body + "}]}";
}

std::string UserEvents(const std::string& body) {
  return R"({"events":[{"id":"a","type":"userInput","eventBody":)" + body +
         "}]}";
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MalformedEventsTest,
    ::testing::Values(
        MalformedEventCase{R"({"events":{}})",
                           "events: expected an array, got object"},
        MalformedEventCase{R"({"events":[],"continuationToken":[]})",
                           "continuationToken: expected a string, got array"},
        MalformedEventCase{R"({"events":[{"isSynthetic":"no"}]})",
                           "events[0].isSynthetic: expected a boolean, got "
                           "string"},
        MalformedEventCase{
            R"({"events":[{"type":"agentResponse","eventBody":"x"}]})",
            "events[0].eventBody: expected an object, got string"},
        MalformedEventCase{
            AgentEvents(
                R"({"type":"assistant_message","timestamp":"2025-02-01 10:00:00"})"),
            "events[1].eventBody.timestamp: expected an RFC "
            "3339 timestamp string, got \"2025-02-01 "
            "10:00:00\""},
        MalformedEventCase{
            AgentEvents(
                R"({"type":"assistant_message","tool_calls":[{"args":[]}]})"),
            "events[1].eventBody.tool_calls[0].args: expected "
            "an object, got array"},
        MalformedEventCase{
            AgentEvents(
                R"({"type":"assistant_message","tool_calls":[{"execution_mode":1}]})"),
            "events[1].eventBody.tool_calls[0].execution_mode: "
            "expected a string, got number"},
        MalformedEventCase{
            AgentEvents(
                R"({"type":"assistant_message","token_usage":{"m":{"input_tokens":"x"}}})"),
            "events[1].eventBody.token_usage[\"m\"]."
            "input_tokens: expected an int32, got string"},
        MalformedEventCase{
            AgentEvents(
                R"({"type":"assistant_message","token_usage":{"m":3}})"),
            "events[1].eventBody.token_usage[\"m\"]: expected "
            "an object, got number"},
        MalformedEventCase{
            AgentEvents(
                R"({"type":"assistant_message","thinking_signatures":["a",null]})"),
            "events[1].eventBody.thinking_signatures[1]: "
            "expected a string, got null"},
        MalformedEventCase{
            AgentEvents(R"({"type":"user_approval_request","buttons":"OK"})"),
            "events[1].eventBody.buttons: expected an array, "
            "got string"},
        MalformedEventCase{
            AgentEvents(
                R"({"type":"user_approval_request","context":{"git_diff":{"a.tf":1}}})"),
            "events[1].eventBody.context.git_diff[\"a.tf\"]: "
            "expected a string, got number"},
        MalformedEventCase{
            AgentEvents(R"({"type":"exec_tool_call_progress","metadata":"x"})"),
            "events[1].eventBody.metadata: expected an object, "
            "got string"},
        MalformedEventCase{
            AgentEvents(R"({"type":"tool_response","is_error":"false"})"),
            "events[1].eventBody.is_error: expected a boolean, "
            "got string"},
        MalformedEventCase{
            AgentEvents(
                R"({"type":"change_entities","changes":{"add":[{"type":"stack","name":1}]}})"),
            "events[1].eventBody.changes.add[0].name: expected "
            "a string, got number"},
        MalformedEventCase{
            AgentEvents(
                R"({"type":"context_compression_event","tail_length":4294967296})"),
            "events[1].eventBody.tail_length: expected an "
            "int32, got 4294967296 (out of range)"},
        MalformedEventCase{
            AgentEvents(R"({"type":"cancelled","operation_was_running":1})"),
            "events[1].eventBody.operation_was_running: "
            "expected a boolean, got number"},
        MalformedEventCase{
            UserEvents(
                R"({"type":"user_message","pageContext":{"params":{"a":[]}}})"),
            "events[0].eventBody.pageContext.params[\"a\"]: "
            "expected a string, got array"},
        MalformedEventCase{
            UserEvents(
                R"({"type":"user_message","commands":{"/fix":{"modifiedAt":"soon"}}})"),
            "events[0].eventBody.commands[\"/fix\"].modifiedAt: "
            "expected an RFC 3339 timestamp string, got "
            "\"soon\""},
        MalformedEventCase{
            UserEvents(
                R"({"type":"user_message","entity_diff":{"remove":{}}})"),
            "events[0].eventBody.entity_diff.remove: expected "
            "an array, got object"},
        MalformedEventCase{
            UserEvents(R"({"type":"user_confirmation","ok":"yes"})"),
            "events[0].eventBody.ok: expected a boolean, got "
            "string"},
        MalformedEventCase{
            UserEvents(
                R"({"type":"tool_result","tool_results":[{"is_error":0}]})"),
            "events[0].eventBody.tool_results[0].is_error: "
            "expected a boolean, got number"}));

TEST(ParseTaskEventTest, FreeFormValuesNestedTooDeepAreRejected) {
  std::string deep = "1";
  for (int i = 0; i < 33; ++i) deep = R"({"a":)" + deep + "}";
  absl::StatusOr<v1::TaskEvent> event = ParseTaskEvent(
      R"({"type":"agentResponse","eventBody":{"type":"tool_response","content":)" +
      deep + "}}");
  ASSERT_FALSE(event.ok());
  EXPECT_EQ(event.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(event.status().message(), HasSubstr("eventBody.content.a.a.a"));
  EXPECT_THAT(event.status().message(),
              HasSubstr(": nested deeper than 32 levels"));

  // 32 levels are fine.
  deep = "1";
  for (int i = 0; i < 32; ++i) deep = R"({"a":)" + deep + "}";
  event = ParseTaskEvent(
      R"({"type":"agentResponse","eventBody":{"type":"tool_response","content":)" +
      deep + "}}");
  EXPECT_TRUE(event.ok()) << event.status();
}

TEST(ParseTaskEventTest, NonObjectIsInvalidArgument) {
  absl::StatusOr<v1::TaskEvent> event = ParseTaskEvent("[1]");
  ASSERT_FALSE(event.ok());
  EXPECT_EQ(event.status().message(),
            "top level: expected a JSON object, got array");
  event = ParseTaskEvent("data: {}");
  ASSERT_FALSE(event.ok());
  EXPECT_EQ(event.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(event.status().message(), HasSubstr("invalid JSON"));
}

TEST(ListTaskEventsResponseTest, UnknownTopLevelMembersAreKept) {
  constexpr char kList[] = R"({"events":[],"cursor":{"n":2}})";
  absl::StatusOr<v1::ListTaskEventsResponse> list =
      ParseListTaskEventsResponse(kList);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_TRUE(list->unknown_fields().fields().contains("cursor"));
  EXPECT_EQ(Json(SerializeListTaskEventsResponse(*list)), Json(kList));
}

}  // namespace
}  // namespace neobridge::codec
