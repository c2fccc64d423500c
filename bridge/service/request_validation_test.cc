#include "bridge/service/request_validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "bridge/status/error_details.h"

namespace neobridge::service {
namespace {

using ::testing::HasSubstr;

// The fields named by the BadRequest of `status`, in order.
std::vector<std::string> ViolatedFields(const absl::Status& status) {
  std::vector<std::string> fields;
  if (auto bad = status::GetBadRequest(status)) {
    for (const auto& v : bad->field_violations()) fields.push_back(v.field());
  }
  return fields;
}

TEST(ResolveOrgTest, FallsBackToDefault) {
  EXPECT_EQ(ResolveOrg("", "acme"), "acme");
  EXPECT_EQ(ResolveOrg("other", "acme"), "other");
  EXPECT_EQ(ResolveOrg("", ""), "");
}

struct IdCase {
  std::string id;
  bool valid;
};

void PrintTo(const IdCase& c, std::ostream* os) {
  *os << "\"" << absl::CHexEscape(c.id.substr(0, 16)) << "\" (" << c.id.size()
      << " bytes)";
}

class IdValidationTest : public ::testing::TestWithParam<IdCase> {};

TEST_P(IdValidationTest, AcceptsOnlySafeIds) {
  EXPECT_EQ(IsValidId(GetParam().id), GetParam().valid) << GetParam().id;
}

INSTANTIATE_TEST_SUITE_P(
    Table, IdValidationTest,
    ::testing::Values(
        IdCase{"acme", true}, IdCase{"my-org_2.0~x", true},
        IdCase{"3f2c8a90-1b7e-4c3d-9a55-0e6f4b2d1c77", true},
        IdCase{"...", true}, IdCase{"", false}, IdCase{".", false},
        IdCase{"..", false}, IdCase{"a/b", false}, IdCase{"a%2Fb", false},
        IdCase{"a b", false}, IdCase{"a?b", false}, IdCase{"a#b", false},
        IdCase{"a\r\nb", false}, IdCase{std::string("a\0b", 3), false},
        IdCase{"caf\xC3\xA9", false}, IdCase{std::string(256, 'a'), true},
        IdCase{std::string(257, 'a'), false}));

TEST(ValidateGetTaskTest, AcceptsAValidRequest) {
  v1::GetTaskRequest request;
  request.set_org("acme");
  request.set_task_id("t-1");
  EXPECT_TRUE(ValidateGetTask(request).ok());
}

TEST(ValidateGetTaskTest, NamesEveryMissingField) {
  absl::Status status = ValidateGetTask(v1::GetTaskRequest());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ViolatedFields(status), ::testing::ElementsAre("org", "task_id"));
  EXPECT_THAT(status.message(), HasSubstr("--default-org"));
  EXPECT_EQ(status::GetErrorInfo(status)->reason(), "INVALID_REQUEST");
}

TEST(ValidateGetTaskTest, RefusesTraversal) {
  v1::GetTaskRequest request;
  request.set_org("acme");
  request.set_task_id("../../admin");
  absl::Status status = ValidateGetTask(request);
  EXPECT_THAT(ViolatedFields(status), ::testing::ElementsAre("task_id"));
  EXPECT_THAT(status.message(), HasSubstr("\"../../admin\""));
}

TEST(ValidateListTasksTest, PageSizeRange) {
  v1::ListTasksRequest request;
  request.set_org("acme");
  for (int size : {0, 1, 1000}) {
    request.set_page_size(size);
    EXPECT_TRUE(ValidateListTasks(request).ok()) << size;
  }
  for (int size : {-1, 1001}) {
    request.set_page_size(size);
    absl::Status status = ValidateListTasks(request);
    EXPECT_THAT(ViolatedFields(status), ::testing::ElementsAre("page_size"));
    EXPECT_THAT(status.message(), HasSubstr(absl::StrCat("got ", size)));
  }
}

TEST(ValidateListTasksTest, RefusesUnknownEnumNumbers) {
  v1::ListTasksRequest request;
  request.set_org("acme");
  request.set_sort_by(static_cast<v1::TaskSortField>(42));
  EXPECT_THAT(ViolatedFields(ValidateListTasks(request)),
              ::testing::ElementsAre("sort_by"));
}

TEST(ValidateListTaskEventsTest, NeedsTaskAndPageSizeInRange) {
  v1::ListTaskEventsRequest request;
  request.set_org("acme");
  request.set_page_size(5000);
  EXPECT_THAT(ViolatedFields(ValidateListTaskEvents(request)),
              ::testing::ElementsAre("task_id", "page_size"));
}

v1::CreateTaskRequest ValidCreate() {
  v1::CreateTaskRequest request;
  request.set_org("acme");
  request.mutable_message()->mutable_user_message()->set_content("hi");
  return request;
}

TEST(ValidateCreateTaskTest, AcceptsAPrompt) {
  EXPECT_TRUE(ValidateCreateTask(ValidCreate()).ok());
}

TEST(ValidateCreateTaskTest, NeedsAUserMessageWithContent) {
  v1::CreateTaskRequest request = ValidCreate();
  request.clear_message();
  EXPECT_THAT(ViolatedFields(ValidateCreateTask(request)),
              ::testing::ElementsAre("message.user_message"));
  request.mutable_message()->mutable_user_cancel();
  EXPECT_THAT(ViolatedFields(ValidateCreateTask(request)),
              ::testing::ElementsAre("message.user_message"));
  request.mutable_message()->mutable_user_message();
  EXPECT_THAT(ViolatedFields(ValidateCreateTask(request)),
              ::testing::ElementsAre("message.user_message.content"));
}

TEST(ValidateCreateTaskTest, ChecksEntitiesAndIntegrations) {
  v1::CreateTaskRequest request = ValidCreate();
  request.mutable_message()->mutable_entity_diff()->add_add();
  request.mutable_enabled_integrations()->add_integrations();
  EXPECT_THAT(
      ViolatedFields(ValidateCreateTask(request)),
      ::testing::ElementsAre("message.entity_diff.add[0]",
                             "enabled_integrations.integrations[0].id"));
}

TEST(ValidateCreateTaskTest, AcceptsAnEmptyIntegrationList) {
  v1::CreateTaskRequest request = ValidCreate();
  request.mutable_enabled_integrations();  // Set but empty: opt out.
  EXPECT_TRUE(ValidateCreateTask(request).ok());
}

v1::UpdateTaskRequest ValidUpdate() {
  v1::UpdateTaskRequest request;
  request.set_org("acme");
  request.set_task_id("t-1");
  return request;
}

TEST(ValidateUpdateTaskTest, NameLengthAfterTrimming) {
  v1::UpdateTaskRequest request = ValidUpdate();
  EXPECT_TRUE(ValidateUpdateTask(request).ok());  // Nothing set: no change.
  for (const std::string& name :
       {std::string("x"), std::string("  x  "), std::string(255, 'n'),
        // 255 two-byte characters are 255 characters.
        [] {
          std::string s;
          for (int i = 0; i < 255; ++i) s += "\xC3\xA9";
          return s;
        }()}) {
    request.set_name(name);
    EXPECT_TRUE(ValidateUpdateTask(request).ok()) << name.size();
  }
  for (const std::string& name :
       {std::string(""), std::string("   \t"), std::string(256, 'n')}) {
    request.set_name(name);
    absl::Status status = ValidateUpdateTask(request);
    EXPECT_THAT(ViolatedFields(status), ::testing::ElementsAre("name"))
        << name.size();
    EXPECT_THAT(status.message(), HasSubstr("after trimming"));
  }
}

v1::RespondToTaskRequest ValidRespond() {
  v1::RespondToTaskRequest request;
  request.set_org("acme");
  request.set_task_id("t-1");
  request.mutable_event()->mutable_user_message()->set_content("go on");
  return request;
}

TEST(ValidateRespondToTaskTest, NeedsAnEvent) {
  v1::RespondToTaskRequest request = ValidRespond();
  EXPECT_TRUE(ValidateRespondToTask(request).ok());
  request.clear_event();
  absl::Status status = ValidateRespondToTask(request);
  EXPECT_THAT(ViolatedFields(status), ::testing::ElementsAre("event"));
  EXPECT_THAT(status.message(), HasSubstr("user_confirmation"));
  request.mutable_event();  // Present but empty.
  EXPECT_THAT(ViolatedFields(ValidateRespondToTask(request)),
              ::testing::ElementsAre("event"));
}

TEST(ValidateRespondToTaskTest, ConfirmationNeedsTheApprovalId) {
  v1::RespondToTaskRequest request = ValidRespond();
  request.mutable_event()->mutable_user_confirmation()->set_ok(true);
  EXPECT_THAT(
      ViolatedFields(ValidateRespondToTask(request)),
      ::testing::ElementsAre("event.user_confirmation.approval_request_id"));
}

TEST(ValidateRespondToTaskTest, AcceptsCancelAndNewerTypes) {
  v1::RespondToTaskRequest request = ValidRespond();
  request.mutable_event()->mutable_user_cancel();
  EXPECT_TRUE(ValidateRespondToTask(request).ok());
  request.mutable_event()->Clear();
  request.mutable_event()->set_type("user_feedback");
  EXPECT_TRUE(ValidateRespondToTask(request).ok());
}

TEST(ValidateStreamTaskEventsTest, RefusesHeaderInjection) {
  v1::StreamTaskEventsRequest request;
  request.set_org("acme");
  request.set_task_id("t-1");
  request.set_last_event_id("evt-1");
  EXPECT_TRUE(ValidateStreamTaskEvents(request).ok());
  request.set_last_event_id("evt-1\r\nX-Evil: 1");
  EXPECT_THAT(ViolatedFields(ValidateStreamTaskEvents(request)),
              ::testing::ElementsAre("last_event_id"));
}

TEST(ValidateCancelTaskTest, NeedsIds) {
  EXPECT_THAT(ViolatedFields(ValidateCancelTask(v1::CancelTaskRequest())),
              ::testing::ElementsAre("org", "task_id"));
}

}  // namespace
}  // namespace neobridge::service
