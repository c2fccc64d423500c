#include "bridge/codec/test_util.h"

#include <fstream>
#include <sstream>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/message_differencer.h"

namespace neobridge::codec::testing {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

bool IsWellKnown(const Descriptor* descriptor) {
  return descriptor->file()->package() == "google.protobuf";
}

// Calls visit(field, child, path) for each set message-typed value.
template <typename Visit>
void ForEachChild(const Message& message, const std::string& path,
                  Visit visit) {
  const Reflection* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    const std::string field_path =
        path.empty() ? field->name() : path + "." + field->name();
    if (field->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
        visit(field, reflection->GetRepeatedMessage(message, field, i),
              field_path + "[" + std::to_string(i) + "]");
      }
    } else {
      visit(field, reflection->GetMessage(message, field), field_path);
    }
  }
}

void CollectUnknown(const Message& message, const std::string& path,
                    std::vector<std::string>* out) {
  if (IsWellKnown(message.GetDescriptor())) return;
  ForEachChild(message, path,
               [&](const FieldDescriptor* field, const Message& child,
                   const std::string& child_path) {
                 if (field->name() == "unknown_fields") {
                   out->push_back(child_path);
                 } else {
                   CollectUnknown(child, child_path, out);
                 }
               });
}

}  // namespace

std::string ReadTestdata(std::string_view name) {
  const std::string path =
      std::string(NEOBRIDGE_CODEC_TESTDATA) + "/" + std::string(name);
  std::ifstream file(path);
  EXPECT_TRUE(file.good()) << "cannot read " << path;
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

nlohmann::json Json(std::string_view text) {
  nlohmann::json parsed =
      nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  EXPECT_FALSE(parsed.is_discarded()) << "malformed test JSON: " << text;
  return parsed.is_discarded() ? nlohmann::json() : parsed;
}

::testing::AssertionResult ProtoEquals(const Message& expected,
                                       const Message& actual) {
  std::string report;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&report);
  if (differencer.Compare(expected, actual)) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << report;
}

std::vector<std::string> NonEmptyUnknownFields(const Message& message) {
  std::vector<std::string> out;
  CollectUnknown(message, "", &out);
  return out;
}

void CollectSetFields(const Message& message, std::set<std::string>* fields) {
  if (IsWellKnown(message.GetDescriptor())) return;
  const Reflection* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> set;
  // ListFields lists exactly the fields with a non-default value (proto3
  // implicit presence), set messages and non-empty repeated fields.
  reflection->ListFields(message, &set);
  for (const FieldDescriptor* field : set) {
    if (field->is_map()) {
      fields->insert(field->full_name());
      const FieldDescriptor* value = field->message_type()->map_value();
      for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
        const Message& entry =
            reflection->GetRepeatedMessage(message, field, i);
        if (value->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
          CollectSetFields(entry.GetReflection()->GetMessage(entry, value),
                           fields);
        }
      }
      continue;
    }
    fields->insert(field->full_name());
  }
  ForEachChild(message, "",
               [&](const FieldDescriptor* field, const Message& child,
                   const std::string&) {
                 if (!field->is_map()) CollectSetFields(child, fields);
               });
}

}  // namespace neobridge::codec::testing
