// JSON → proto → JSON over every fixture, plus checks that the fixtures
// really exercise every field of the task and event messages.
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "bridge/codec/event_codec.h"
#include "bridge/codec/task_codec.h"
#include "bridge/codec/test_util.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"

namespace neobridge::codec {
namespace {

using ::neobridge::codec::testing::CollectSetFields;
using ::neobridge::codec::testing::Json;
using ::neobridge::codec::testing::NonEmptyUnknownFields;
using ::neobridge::codec::testing::ReadTestdata;
using ::testing::IsEmpty;

enum class Shape { kTask, kListTasks, kListTaskEvents };

struct Fixture {
  const char* file;
  Shape shape;
  // Whether the fixture holds members or values this version does not model.
  bool has_unknown;
};

void PrintTo(const Fixture& fixture, std::ostream* os) { *os << fixture.file; }

constexpr Fixture kFixtures[] = {
    {"task_full.json", Shape::kTask, false},
    {"task_minimal.json", Shape::kTask, false},
    {"task_unknown.json", Shape::kTask, true},
    {"list_tasks_with_token.json", Shape::kListTasks, false},
    {"list_tasks_without_token.json", Shape::kListTasks, false},
    {"events_backend.json", Shape::kListTaskEvents, false},
    {"events_user.json", Shape::kListTaskEvents, false},
    {"events_unknown.json", Shape::kListTaskEvents, true},
};

// Decodes a fixture into its message and re-encodes it.
struct Decoded {
  std::unique_ptr<google::protobuf::Message> message;
  std::string reencoded;
};

Decoded Decode(const Fixture& fixture) {
  const std::string text = ReadTestdata(fixture.file);
  Decoded out;
  switch (fixture.shape) {
    case Shape::kTask: {
      absl::StatusOr<v1::Task> task = ParseTask(text);
      EXPECT_TRUE(task.ok()) << fixture.file << ": " << task.status();
      if (!task.ok()) return out;
      out.reencoded = SerializeTask(*task);
      out.message = std::make_unique<v1::Task>(*std::move(task));
      break;
    }
    case Shape::kListTasks: {
      absl::StatusOr<v1::ListTasksResponse> list = ParseListTasksResponse(text);
      EXPECT_TRUE(list.ok()) << fixture.file << ": " << list.status();
      if (!list.ok()) return out;
      out.reencoded = SerializeListTasksResponse(*list);
      out.message = std::make_unique<v1::ListTasksResponse>(*std::move(list));
      break;
    }
    case Shape::kListTaskEvents: {
      absl::StatusOr<v1::ListTaskEventsResponse> list =
          ParseListTaskEventsResponse(text);
      EXPECT_TRUE(list.ok()) << fixture.file << ": " << list.status();
      if (!list.ok()) return out;
      out.reencoded = SerializeListTaskEventsResponse(*list);
      out.message =
          std::make_unique<v1::ListTaskEventsResponse>(*std::move(list));
      break;
    }
  }
  return out;
}

class RoundTripTest : public ::testing::TestWithParam<Fixture> {};

TEST_P(RoundTripTest, JsonProtoJsonIsTheOriginal) {
  const nlohmann::json original = Json(ReadTestdata(GetParam().file));
  Decoded decoded = Decode(GetParam());
  ASSERT_NE(decoded.message, nullptr);
  const nlohmann::json reencoded = Json(decoded.reencoded);
  EXPECT_EQ(reencoded, original)
      << "differences (RFC 6902, original → re-encoded):\n"
      << nlohmann::json::diff(original, reencoded).dump(2);
}

TEST_P(RoundTripTest, UnknownFieldsAreUsedOnlyForUnknownInput) {
  Decoded decoded = Decode(GetParam());
  ASSERT_NE(decoded.message, nullptr);
  if (GetParam().has_unknown) {
    EXPECT_FALSE(NonEmptyUnknownFields(*decoded.message).empty());
  } else {
    // Every member of a fully modeled fixture lands in a typed field: a
    // misspelled JSON name would show up here as an unknown member.
    EXPECT_THAT(NonEmptyUnknownFields(*decoded.message), IsEmpty());
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, RoundTripTest,
                         ::testing::ValuesIn(kFixtures),
                         [](const ::testing::TestParamInfo<Fixture>& info) {
                           std::string name = info.param.file;
                           name = name.substr(0, name.find('.'));
                           return name;
                         });

// Every field of every message in task.proto and event.proto is set by at
// least one fixture, so the field-by-field decoders are all exercised.
TEST(FixtureCoverageTest, EveryTaskAndEventFieldIsSetByAFixture) {
  std::set<std::string> set_fields;
  for (const Fixture& fixture : kFixtures) {
    Decoded decoded = Decode(fixture);
    ASSERT_NE(decoded.message, nullptr) << fixture.file;
    CollectSetFields(*decoded.message, &set_fields);
  }
  std::vector<std::string> missing;
  for (const google::protobuf::FileDescriptor* file :
       {v1::Task::descriptor()->file(), v1::TaskEvent::descriptor()->file()}) {
    for (int m = 0; m < file->message_type_count(); ++m) {
      const google::protobuf::Descriptor* message = file->message_type(m);
      for (int f = 0; f < message->field_count(); ++f) {
        const std::string& name = message->field(f)->full_name();
        if (!set_fields.contains(name)) missing.push_back(name);
      }
    }
  }
  EXPECT_THAT(missing, IsEmpty());
}

}  // namespace
}  // namespace neobridge::codec
