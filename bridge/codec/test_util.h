// Helpers shared by the codec tests.
#ifndef NEOBRIDGE_BRIDGE_CODEC_TEST_UTIL_H_
#define NEOBRIDGE_BRIDGE_CODEC_TEST_UTIL_H_

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "google/protobuf/message.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace neobridge::codec::testing {

// The text of testdata/<name>; fails the test if unreadable.
std::string ReadTestdata(std::string_view name);

// JSON text parsed; fails the test (and returns null) if malformed.
nlohmann::json Json(std::string_view text);

// A message from text format; fails the test if it does not parse.
template <typename M>
M TextProto(std::string_view text) {
  M message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(std::string(text),
                                                            &message))
      << text;
  return message;
}

// Field-by-field equality with a readable difference report.
::testing::AssertionResult ProtoEquals(
    const google::protobuf::Message& expected,
    const google::protobuf::Message& actual);

// Paths (e.g. "events[3].agent_response.unknown_fields") of every non-empty
// field named `unknown_fields` in `message`, recursively.
std::vector<std::string> NonEmptyUnknownFields(
    const google::protobuf::Message& message);

// Adds to `*fields` the full name of every field of `message` (recursively,
// not descending into google.protobuf.* messages) that holds a value other
// than its default: set messages, non-empty repeated fields and maps, and
// non-zero scalars.
void CollectSetFields(const google::protobuf::Message& message,
                      std::set<std::string>* fields);

}  // namespace neobridge::codec::testing

#endif  // NEOBRIDGE_BRIDGE_CODEC_TEST_UTIL_H_
