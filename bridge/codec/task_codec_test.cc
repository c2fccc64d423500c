#include "bridge/codec/task_codec.h"

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "bridge/codec/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace neobridge::codec {
namespace {

using ::neobridge::codec::testing::Json;
using ::neobridge::codec::testing::NonEmptyUnknownFields;
using ::neobridge::codec::testing::ProtoEquals;
using ::neobridge::codec::testing::ReadTestdata;
using ::neobridge::codec::testing::TextProto;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(ParseTaskTest, EveryFieldLandsInItsProtoField) {
  absl::StatusOr<v1::Task> task = ParseTask(ReadTestdata("task_full.json"));
  ASSERT_TRUE(task.ok()) << task.status();
  EXPECT_TRUE(
      ProtoEquals(TextProto<v1::Task>(R"pb(
                    id: "task-full-1"
                    name: "Fix the failing deployment"
                    status: TASK_STATUS_RUNNING
                    created_at { seconds: 1735787045 nanos: 123000000 }
                    approval_mode: APPROVAL_MODE_BALANCED
                    entities {
                      type: "stack"
                      stack { name: "prod" project: "web" }
                    }
                    entities {
                      type: "repository"
                      repository {
                        name: "infra"
                        org: "acme"
                        forge: "github"
                        host: "github.example.com"
                      }
                    }
                    entities {
                      type: "pull_request"
                      pull_request {
                        number: 42
                        merged: true
                        repo {
                          name: "app"
                          org: "acme-apps"
                          forge: "gitlab"
                          host: "gitlab.example.com"
                        }
                      }
                    }
                    entities {
                      type: "policy_issue"
                      policy_issue { id: "pi-7" name: "no-public-buckets" }
                    }
                    plan_mode: true
                    is_shared: true
                    shared_at { seconds: 1735862400 }
                    created_by {
                      name: "Ada Lovelace"
                      github_login: "ada"
                      avatar_url: "https://example.com/ada.png"
                      email: "ada@example.com"
                    }
                    permission_mode: PERMISSION_MODE_READ_ONLY
                    runtime_phase: RUNTIME_PHASE_READY
                    context_used_tokens: 1200
                    context_window_tokens: 200000
                    tool_execution_mode: TOOL_EXECUTION_MODE_CLI
                    task_type: TASK_TYPE_ASYNC
                    tokens_used: 5000000000
                    async_trigger_type: ASYNC_TRIGGER_TYPE_EXTERNAL_SIGNAL
                    context_compaction_threshold_percent: 80
                    last_heartbeat { seconds: 1735787100 nanos: 123456000 }
                    role: "role-ops"
                    source: TASK_SOURCE_CODE_REVIEW
                    source_automation_id: "auto-9"
                    vcs_provider: VCS_PROVIDER_AZURE_DEVOPS
                  )pb"),
                  *task));
}

TEST(ParseTaskTest, MinimalTaskLeavesOptionalFieldsUnset) {
  absl::StatusOr<v1::Task> task = ParseTask(ReadTestdata("task_minimal.json"));
  ASSERT_TRUE(task.ok()) << task.status();
  EXPECT_TRUE(ProtoEquals(TextProto<v1::Task>(R"pb(
                            id: "task-min-1"
                            status: TASK_STATUS_IDLE
                            created_at { seconds: 1735689599 }
                            approval_mode: APPROVAL_MODE_MANUAL
                            created_by { name: "Bob" github_login: "bob" }
                            task_type: TASK_TYPE_SYNC
                          )pb"),
                          *task));
  EXPECT_FALSE(task->has_shared_at());
  EXPECT_FALSE(task->has_last_heartbeat());
  EXPECT_FALSE(task->has_context_used_tokens());
  EXPECT_FALSE(task->has_role());
  EXPECT_FALSE(task->created_by().has_email());
}

TEST(ParseTaskTest, GoZeroTimeMeansNeverShared) {
  absl::StatusOr<v1::Task> task = ParseTask(
      R"({"sharedAt":"0001-01-01T00:00:00Z",
          "lastHeartbeat":"0001-01-01T00:00:00Z"})");
  ASSERT_TRUE(task.ok()) << task.status();
  EXPECT_FALSE(task->has_shared_at());
  EXPECT_FALSE(task->has_last_heartbeat());
  EXPECT_THAT(NonEmptyUnknownFields(*task), IsEmpty());

  // One nanosecond later is a real (if odd) time.
  task = ParseTask(R"({"sharedAt":"0001-01-01T00:00:00.000000001Z"})");
  ASSERT_TRUE(task.ok()) << task.status();
  EXPECT_TRUE(task->has_shared_at());
  // A zero time written with an offset is still the zero instant.
  task = ParseTask(R"({"sharedAt":"0001-01-01T01:00:00+01:00"})");
  ASSERT_TRUE(task.ok()) << task.status();
  EXPECT_FALSE(task->has_shared_at());
}

TEST(ParseTaskTest, NullMembersReadAsUnset) {
  absl::StatusOr<v1::Task> task = ParseTask(R"({
    "id": null, "name": null, "status": null, "createdAt": null,
    "approvalMode": null, "entities": null, "planMode": null,
    "isShared": null, "sharedAt": null, "createdBy": null,
    "permissionMode": null, "runtimePhase": null, "contextUsedTokens": null,
    "contextWindowTokens": null, "toolExecutionMode": null,
    "taskType": null, "tokensUsed": null, "asyncTriggerType": null,
    "contextCompactionThresholdPercent": null, "lastHeartbeat": null,
    "role": null, "source": null, "sourceAutomationID": null,
    "vcsProvider": null})");
  ASSERT_TRUE(task.ok()) << task.status();
  // Null modeled members are neither typed nor kept as unknown.
  EXPECT_TRUE(ProtoEquals(v1::Task(), *task));
}

TEST(ParseTaskTest, OptionalIntsDistinguishAbsentFromZero) {
  absl::StatusOr<v1::Task> zero = ParseTask(
      R"({"contextUsedTokens":0,"contextWindowTokens":0,
          "contextCompactionThresholdPercent":0})");
  ASSERT_TRUE(zero.ok()) << zero.status();
  EXPECT_TRUE(zero->has_context_used_tokens());
  EXPECT_TRUE(zero->has_context_window_tokens());
  EXPECT_TRUE(zero->has_context_compaction_threshold_percent());
  EXPECT_EQ(Json(SerializeTask(*zero))["contextUsedTokens"], 0);

  absl::StatusOr<v1::Task> absent = ParseTask("{}");
  ASSERT_TRUE(absent.ok()) << absent.status();
  EXPECT_FALSE(absent->has_context_used_tokens());
  EXPECT_FALSE(Json(SerializeTask(*absent)).contains("contextUsedTokens"));
}

TEST(ParseTaskTest, OptionalStringsDistinguishAbsentFromEmpty) {
  absl::StatusOr<v1::Task> task =
      ParseTask(R"({"role":"","sourceAutomationID":""})");
  ASSERT_TRUE(task.ok()) << task.status();
  EXPECT_TRUE(task->has_role());
  EXPECT_TRUE(task->has_source_automation_id());
  nlohmann::json out = Json(SerializeTask(*task));
  EXPECT_EQ(out["role"], "");
  EXPECT_EQ(out["sourceAutomationID"], "");
}

TEST(ParseTaskTest, Int64TokensBeyondInt32AndDoublePrecision) {
  absl::StatusOr<v1::Task> task =
      ParseTask(R"({"tokensUsed":9007199254740993})");
  ASSERT_TRUE(task.ok()) << task.status();
  EXPECT_EQ(task->tokens_used(), 9007199254740993);
  EXPECT_EQ(Json(SerializeTask(*task))["tokensUsed"], 9007199254740993);

  task = ParseTask(R"({"tokensUsed":9223372036854775807})");
  ASSERT_TRUE(task.ok()) << task.status();
  EXPECT_EQ(task->tokens_used(), INT64_MAX);

  task = ParseTask(R"({"tokensUsed":-5})");
  ASSERT_TRUE(task.ok()) << task.status();
  EXPECT_EQ(task->tokens_used(), -5);

  // An integral number written as a float is accepted.
  task = ParseTask(R"({"tokensUsed":3e9})");
  ASSERT_TRUE(task.ok()) << task.status();
  EXPECT_EQ(task->tokens_used(), 3000000000);
}

TEST(ParseTaskTest, Int32Bounds) {
  absl::StatusOr<v1::Task> task = ParseTask(
      R"({"contextUsedTokens":2147483647,"contextWindowTokens":-2147483648})");
  ASSERT_TRUE(task.ok()) << task.status();
  EXPECT_EQ(task->context_used_tokens(), INT32_MAX);
  EXPECT_EQ(task->context_window_tokens(), INT32_MIN);
}

TEST(ParseTaskTest, UnknownMembersAndEnumStringsAreKept) {
  absl::StatusOr<v1::Task> task = ParseTask(ReadTestdata("task_unknown.json"));
  ASSERT_TRUE(task.ok()) << task.status();
  EXPECT_EQ(task->status(), v1::TASK_STATUS_UNSPECIFIED);
  EXPECT_EQ(task->approval_mode(), v1::APPROVAL_MODE_UNSPECIFIED);
  EXPECT_EQ(task->vcs_provider(), v1::VCS_PROVIDER_UNSPECIFIED);
  EXPECT_EQ(task->tokens_used(), 3);
  EXPECT_TRUE(ProtoEquals(TextProto<google::protobuf::Struct>(R"pb(
                            fields {
                              key: "status"
                              value { string_value: "paused" }
                            }
                            fields {
                              key: "approvalMode"
                              value { string_value: "yolo" }
                            }
                            fields {
                              key: "permissionMode"
                              value { string_value: "admin" }
                            }
                            fields {
                              key: "runtimePhase"
                              value { string_value: "hibernating" }
                            }
                            fields {
                              key: "toolExecutionMode"
                              value { string_value: "lambda" }
                            }
                            fields {
                              key: "taskType"
                              value { string_value: "batch" }
                            }
                            fields {
                              key: "asyncTriggerType"
                              value { string_value: "webhook" }
                            }
                            fields {
                              key: "source"
                              value { string_value: "teams" }
                            }
                            fields {
                              key: "vcsProvider"
                              value { string_value: "gitea" }
                            }
                            fields {
                              key: "priority"
                              value { number_value: 3 }
                            }
                            fields {
                              key: "labels"
                              value { null_value: NULL_VALUE }
                            }
                            fields {
                              key: "futureField"
                              value {
                                struct_value {
                                  fields {
                                    key: "a"
                                    value {
                                      list_value {
                                        values { number_value: 1 }
                                        values { number_value: 2.5 }
                                        values { string_value: "x" }
                                        values { null_value: NULL_VALUE }
                                        values { bool_value: true }
                                      }
                                    }
                                  }
                                  fields {
                                    key: "b"
                                    value { struct_value {} }
                                  }
                                }
                              }
                            }
                          )pb"),
                          task->unknown_fields()));
  EXPECT_TRUE(ProtoEquals(TextProto<v1::UserInfo>(R"pb(
                            name: "Ada"
                            github_login: "ada"
                            avatar_url: "https://example.com/ada.png"
                            unknown_fields {
                              fields {
                                key: "company"
                                value { string_value: "ACME" }
                              }
                              fields {
                                key: "teams"
                                value {
                                  list_value {
                                    values { string_value: "ops" }
                                    values { string_value: "dev" }
                                  }
                                }
                              }
                            }
                          )pb"),
                          task->created_by()));
  ASSERT_EQ(task->entities_size(), 4);
  EXPECT_TRUE(ProtoEquals(TextProto<v1::Entity>(R"pb(
                            type: "stack"
                            stack { name: "prod" project: "web" }
                            unknown_fields {
                              fields {
                                key: "region"
                                value { string_value: "us-east-1" }
                              }
                            }
                          )pb"),
                          task->entities(0)));
  EXPECT_TRUE(ProtoEquals(TextProto<v1::Entity>(R"pb(
                            type: "deployment"
                            unknown_fields {
                              fields {
                                key: "id"
                                value { string_value: "d-1" }
                              }
                              fields {
                                key: "env"
                                value {
                                  struct_value {
                                    fields {
                                      key: "name"
                                      value { string_value: "prod" }
                                    }
                                    fields {
                                      key: "tier"
                                      value { number_value: 1 }
                                    }
                                  }
                                }
                              }
                            }
                          )pb"),
                          task->entities(1)));
  // The nested repo has no unknown_fields: its extras go to the entity's,
  // under "repo".
  EXPECT_TRUE(ProtoEquals(TextProto<v1::Entity>(R"pb(
                            type: "pull_request"
                            pull_request {
                              number: 7
                              repo { name: "app" org: "acme" }
                            }
                            unknown_fields {
                              fields {
                                key: "repo"
                                value {
                                  struct_value {
                                    fields {
                                      key: "type"
                                      value { string_value: "repository" }
                                    }
                                    fields {
                                      key: "stars"
                                      value { number_value: 12 }
                                    }
                                  }
                                }
                              }
                            }
                          )pb"),
                          task->entities(2)));
  EXPECT_TRUE(ProtoEquals(TextProto<v1::Entity>(R"pb(
                            type: "repository"
                            repository { name: "infra" org: "acme" }
                            unknown_fields {
                              fields {
                                key: "default_branch"
                                value { string_value: "main" }
                              }
                            }
                          )pb"),
                          task->entities(3)));
}

TEST(SerializeTaskTest, TypedFieldWinsOverUnknownMemberOfTheSameName) {
  v1::Task task = TextProto<v1::Task>(R"pb(
    id: "t1"
    status: TASK_STATUS_IDLE
    unknown_fields {
      fields {
        key: "status"
        value { string_value: "paused" }
      }
      fields {
        key: "id"
        value { string_value: "shadow" }
      }
      fields {
        key: "extra"
        value { bool_value: true }
      }
    }
  )pb");
  nlohmann::json out = Json(SerializeTask(task));
  EXPECT_EQ(out["status"], "idle");
  EXPECT_EQ(out["id"], "t1");
  EXPECT_EQ(out["extra"], true);
}

TEST(SerializeTaskTest, OmitsUnspecifiedEnumsAndUnsetOptionals) {
  nlohmann::json out = Json(SerializeTask(v1::Task()));
  EXPECT_EQ(out, Json(R"({"id":"","name":"","entities":[],"planMode":false,
                          "isShared":false,"tokensUsed":0})"));
}

TEST(SerializeTaskTest, EntityOfUnmodeledKindFromTypeAndUnknownFields) {
  v1::Entity entity = TextProto<v1::Entity>(R"pb(
    type: "deployment"
    unknown_fields {
      fields {
        key: "id"
        value { string_value: "d-1" }
      }
    }
  )pb");
  EXPECT_EQ(EntityToJson(entity), Json(R"({"type":"deployment","id":"d-1"})"));
  // A set kind decides the type, whatever the `type` field says.
  entity = TextProto<v1::Entity>(R"pb(
    type: "repository"
    stack { name: "s" project: "p" }
  )pb");
  EXPECT_EQ(EntityToJson(entity),
            Json(R"({"type":"stack","name":"s","project":"p"})"));
}

struct MalformedCase {
  std::string json;
  std::string message;
};

void PrintTo(const MalformedCase& c, std::ostream* os) { *os << c.json; }

class MalformedTaskTest : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(MalformedTaskTest, IsInvalidArgumentNamingThePath) {
  absl::StatusOr<v1::Task> task = ParseTask(GetParam().json);
  ASSERT_FALSE(task.ok());
  EXPECT_EQ(task.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(task.status().message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MalformedTaskTest,
    ::testing::Values(
        MalformedCase{"[]", "top level: expected a JSON object, got array"},
        MalformedCase{"\"task\"",
                      "top level: expected a JSON object, got string"},
        MalformedCase{R"({"id":5})", "id: expected a string, got number"},
        MalformedCase{R"({"isShared":"true"})",
                      "isShared: expected a boolean, got string"},
        MalformedCase{R"({"status":1})",
                      "status: expected a string, got number"},
        MalformedCase{R"({"createdAt":1735787045})",
                      "createdAt: expected an RFC 3339 timestamp string, got "
                      "number"},
        MalformedCase{R"({"createdAt":"yesterday"})",
                      "createdAt: expected an RFC 3339 timestamp string, got "
                      "\"yesterday\""},
        MalformedCase{R"({"createdAt":"2025-02-30T00:00:00Z"})",
                      "createdAt: expected an RFC 3339 timestamp string, got "
                      "\"2025-02-30T00:00:00Z\""},
        MalformedCase{R"({"sharedAt":"0000-12-31T23:00:00Z"})",
                      "sharedAt: timestamp \"0000-12-31T23:00:00Z\" is outside "
                      "0001-01-01 to 9999-12-31"},
        MalformedCase{R"({"contextUsedTokens":2147483648})",
                      "contextUsedTokens: expected an int32, got 2147483648 "
                      "(out of range)"},
        MalformedCase{R"({"contextWindowTokens":-2147483649})",
                      "contextWindowTokens: expected an int32, got "
                      "-2147483649 (out of range)"},
        MalformedCase{R"({"contextUsedTokens":1.5})",
                      "contextUsedTokens: expected an int32, got 1.5"},
        MalformedCase{R"({"contextUsedTokens":"12"})",
                      "contextUsedTokens: expected an int32, got string"},
        MalformedCase{R"({"tokensUsed":9223372036854775808})",
                      "tokensUsed: expected an int64, got "
                      "9223372036854775808 (out of range)"},
        MalformedCase{R"({"tokensUsed":1e19})",
                      "tokensUsed: expected an int64, got 1e+19 (out of "
                      "range)"},
        MalformedCase{R"({"tokensUsed":true})",
                      "tokensUsed: expected an int64, got boolean"},
        MalformedCase{R"({"entities":{}})",
                      "entities: expected an array, got object"},
        MalformedCase{R"({"entities":[{"type":"stack"},5]})",
                      "entities[1]: expected an object, got number"},
        MalformedCase{R"({"entities":[{"type":7}]})",
                      "entities[0].type: expected a string, got number"},
        MalformedCase{R"({"entities":[{"type":"pull_request","number":"42"}]})",
                      "entities[0].number: expected an int32, got string"},
        MalformedCase{
            R"({"entities":[{"type":"pull_request","repo":{"org":false}}]})",
            "entities[0].repo.org: expected a string, got boolean"},
        MalformedCase{R"({"createdBy":"ada"})",
                      "createdBy: expected an object, got string"},
        MalformedCase{R"({"createdBy":{"email":["a@b"]}})",
                      "createdBy.email: expected a string, got array"}));

TEST(ParseTaskTest, NonJsonIsInvalidArgument) {
  for (const char* text : {"", "{", "not json", "{\"id\":}"}) {
    absl::StatusOr<v1::Task> task = ParseTask(text);
    ASSERT_FALSE(task.ok()) << text;
    EXPECT_EQ(task.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(task.status().message(), HasSubstr("invalid JSON: "));
  }
}

TEST(ParseTaskTest, UnknownMemberNestedTooDeepIsRejected) {
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "[";
  for (int i = 0; i < 40; ++i) deep += "]";
  absl::StatusOr<v1::Task> task = ParseTask(R"({"x":)" + deep + "}");
  ASSERT_FALSE(task.ok());
  EXPECT_EQ(task.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(task.status().message(),
              HasSubstr("nested deeper than 32 levels"));
  EXPECT_THAT(std::string(task.status().message()),
              ::testing::StartsWith("x[0]"));
}

TEST(ParseListTasksResponseTest, ContinuationTokenStates) {
  struct Case {
    const char* file;
    const char* token;
    int tasks;
  };
  for (const Case& c : {Case{"list_tasks_with_token.json", "tok-page-2", 2},
                        Case{"list_tasks_without_token.json", "", 2},
                        Case{"list_tasks_null_token.json", "", 1},
                        Case{"list_tasks_empty_token.json", "", 1}}) {
    absl::StatusOr<v1::ListTasksResponse> response =
        ParseListTasksResponse(ReadTestdata(c.file));
    ASSERT_TRUE(response.ok()) << c.file << ": " << response.status();
    EXPECT_EQ(response->next_page_token(), c.token) << c.file;
    EXPECT_EQ(response->tasks_size(), c.tasks) << c.file;
  }
}

TEST(ParseListTasksResponseTest, TasksAreDecodedInOrder) {
  absl::StatusOr<v1::ListTasksResponse> response =
      ParseListTasksResponse(ReadTestdata("list_tasks_with_token.json"));
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_EQ(response->tasks_size(), 2);
  EXPECT_EQ(response->tasks(0).id(), "task-a");
  EXPECT_EQ(response->tasks(0).entities(0).stack().project(), "api");
  EXPECT_EQ(response->tasks(1).id(), "task-b");
  EXPECT_EQ(response->tasks(1).tokens_used(), 2147483648);
  EXPECT_EQ(response->tasks(1).source(), v1::TASK_SOURCE_SCHEDULE);
}

TEST(ParseListTasksResponseTest, ErrorsNameTheTaskIndex) {
  absl::StatusOr<v1::ListTasksResponse> response =
      ParseListTasksResponse(R"({"tasks":[{},{},{"createdAt":5}]})");
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(response.status().message(),
            "tasks[2].createdAt: expected an RFC 3339 timestamp string, got "
            "number");

  response = ParseListTasksResponse(R"({"tasks":[],"continuationToken":5})");
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().message(),
            "continuationToken: expected a string, got number");

  response = ParseListTasksResponse(R"({"tasks":"none"})");
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().message(),
            "tasks: expected an array, got string");
}

TEST(ParseListTasksResponseTest, AbsentOrNullTasksIsAnEmptyPage) {
  for (const char* text : {"{}", R"({"tasks":null})"}) {
    absl::StatusOr<v1::ListTasksResponse> response =
        ParseListTasksResponse(text);
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->tasks_size(), 0);
  }
}

TEST(CreateTaskResponseTest, TaskIdRoundTrips) {
  absl::StatusOr<v1::CreateTaskResponse> response =
      ParseCreateTaskResponse(R"({"taskId":"task-123"})");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->task_id(), "task-123");
  EXPECT_EQ(Json(SerializeCreateTaskResponse(*response)),
            Json(R"({"taskId":"task-123"})"));

  response = ParseCreateTaskResponse(R"({"taskId":123})");
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().message(),
            "taskId: expected a string, got number");
}

TEST(SerializeListTasksResponseTest, EmptyTokenIsOmitted) {
  v1::ListTasksResponse response;
  EXPECT_EQ(Json(SerializeListTasksResponse(response)),
            Json(R"({"tasks":[]})"));
  response.set_next_page_token("t2");
  EXPECT_EQ(Json(SerializeListTasksResponse(response)),
            Json(R"({"tasks":[],"continuationToken":"t2"})"));
}

TEST(ListResponsesTest, UnknownTopLevelMembersAreKept) {
  constexpr char kList[] = R"({"tasks":[],"totalCount":7,"hint":{"a":1}})";
  absl::StatusOr<v1::ListTasksResponse> list = ParseListTasksResponse(kList);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->unknown_fields().fields().at("totalCount").number_value(), 7);
  EXPECT_EQ(Json(SerializeListTasksResponse(*list)), Json(kList));

  constexpr char kCreate[] = R"({"taskId":"t-1","url":"https://x/t-1"})";
  absl::StatusOr<v1::CreateTaskResponse> created =
      ParseCreateTaskResponse(kCreate);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->unknown_fields().fields().at("url").string_value(),
            "https://x/t-1");
  EXPECT_EQ(Json(SerializeCreateTaskResponse(*created)), Json(kCreate));

  // Fully modeled answers keep no empty Struct around.
  EXPECT_FALSE(ParseListTasksResponse(R"({"tasks":[]})")->has_unknown_fields());
}

}  // namespace
}  // namespace neobridge::codec
