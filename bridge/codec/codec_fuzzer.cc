// libFuzzer target for the JSON → protobuf codecs of upstream responses:
// the first input byte picks the decoder (task, task list, create-task
// response, event, event list, error body), the rest is the body. For
// every input it checks that:
//  - nothing crashes or trips ASan/UBSan (the fuzz build has both);
//  - decoding is deterministic (the same input twice, the same result);
//  - a success is a well-formed message: it serializes and parses back to
//    an equal message, and every string in it is valid UTF-8 (protobuf's
//    own check for string fields runs on serialization);
//  - a failure is an error a caller can act on: INVALID_ARGUMENT, DATA_LOSS
//    or RESOURCE_EXHAUSTED with a non-empty message of bounded size;
//  - an error body of any shape yields a message of bounded size on one
//    line (it goes into status messages and logs).
// A violated check prints what was decoded and aborts.
//
// Built with -DNEOBRIDGE_FUZZ=ON (clang); codec_corpus_test
// (tests/support/fuzz_corpus_test.cc) also links this file to replay
// tests/fuzz/codec_corpus in every build.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bridge/codec/error_body_codec.h"
#include "bridge/codec/event_codec.h"
#include "bridge/codec/task_codec.h"
#include "google/protobuf/util/message_differencer.h"

namespace neobridge::codec {
namespace {

// Error messages stay below this, whatever the body's size.
constexpr size_t kMaxErrorMessage = 64 * 1024;

[[noreturn]] void Die(const char* what, std::string_view input,
                      const std::string& detail) {
  std::fprintf(stderr, "codec_fuzzer: %s\ninput (%zu bytes): %.*s\n%s\n", what,
               input.size(),
               static_cast<int>(input.size() > 2048 ? 2048 : input.size()),
               input.data(), detail.c_str());
  std::abort();
}

template <typename Message>
void CheckDecoded(const absl::StatusOr<Message>& first,
                  const absl::StatusOr<Message>& second,
                  std::string_view input) {
  if (first.ok() != second.ok()) Die("not deterministic", input, "");
  if (!first.ok()) {
    const absl::StatusCode code = first.status().code();
    if (code != absl::StatusCode::kInvalidArgument &&
        code != absl::StatusCode::kDataLoss &&
        code != absl::StatusCode::kResourceExhausted) {
      Die("unexpected error code", input, first.status().ToString());
    }
    if (first.status().message().empty()) {
      Die("empty error message", input, "");
    }
    if (first.status().message().size() > kMaxErrorMessage) {
      Die("error message too long", input, "");
    }
    if (first.status() != second.status()) {
      Die("not deterministic", input, first.status().ToString());
    }
    return;
  }
  if (!google::protobuf::util::MessageDifferencer::Equals(*first, *second)) {
    Die("not deterministic", input, first->DebugString());
  }
  std::string wire;
  if (!first->SerializeToString(&wire)) {
    Die("decoded message does not serialize", input, first->DebugString());
  }
  Message back;
  if (!back.ParseFromString(wire) ||
      !google::protobuf::util::MessageDifferencer::Equals(*first, back)) {
    Die("decoded message does not survive the wire", input,
        first->DebugString());
  }
}

template <typename Decode>
void Run(Decode decode, std::string_view body) {
  CheckDecoded(decode(body), decode(body), body);
}

void CheckInput(std::string_view input) {
  if (input.empty()) return;
  const unsigned char selector = static_cast<unsigned char>(input[0]);
  const std::string_view body = input.substr(1);
  switch (selector % 6) {
    case 0:
      Run(ParseTask, body);
      break;
    case 1:
      Run(ParseListTasksResponse, body);
      break;
    case 2:
      Run(ParseCreateTaskResponse, body);
      break;
    case 3:
      Run(ParseTaskEvent, body);
      break;
    case 4:
      Run(ParseListTaskEventsResponse, body);
      break;
    case 5: {
      const UpstreamError error = ParseErrorBody(body);
      if (error.message.find_first_of("\r\n") != std::string::npos) {
        Die("error message is not one line", input, error.message);
      }
      if (error.message.size() > kMaxErrorMessage) {
        Die("error message too long", input, "");
      }
      break;
    }
  }
}

}  // namespace
}  // namespace neobridge::codec

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  neobridge::codec::CheckInput(
      std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
