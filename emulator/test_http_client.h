// A tiny libcurl client for the emulator's contract tests. Test-only; it is
// deliberately not shared with the bridge's transport.
#ifndef NEO_EMULATOR_TEST_HTTP_CLIENT_H_
#define NEO_EMULATOR_TEST_HTTP_CLIENT_H_

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace neo_emulator::testing {

struct TestResponse {
  long status = 0;  // 0 when the transfer failed.
  std::string error;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // First header with this name (case-insensitive).
  std::optional<std::string> Header(absl::string_view name) const;
  // The body parsed as JSON (discarded value when it is not JSON).
  nlohmann::json Json() const;
};

// Blocking requests against one base URL ("http://127.0.0.1:PORT" or
// "https://...").
class TestHttpClient {
 public:
  // `ca_file`: PEM CA bundle that verifies an https:// server instead of
  // the system's (CURLOPT_CAINFO); empty = the system's.
  explicit TestHttpClient(std::string base_url, std::string ca_file = "");

  // `token` empty = no Authorization header. `headers` are "Name: value".
  TestResponse Request(absl::string_view method, absl::string_view path,
                       absl::string_view token,
                       std::optional<std::string> body = std::nullopt,
                       std::vector<std::string> headers = {}) const;
  TestResponse Get(absl::string_view path, absl::string_view token) const;
  TestResponse Post(absl::string_view path, absl::string_view token,
                    const std::string& body) const;
  TestResponse Patch(absl::string_view path, absl::string_view token,
                     const std::string& body) const;

  const std::string& base_url() const { return base_url_; }

 private:
  std::string base_url_;
  std::string ca_file_;
};

// One parsed SSE block.
struct SseFrame {
  std::string id;
  std::string data;
  std::string comment;  // Text after ':' for comment-only blocks.
};

// Streams a URL on a background thread (curl multi, polled every 10 ms) and
// records everything received. Close() or the destructor drops the
// connection promptly.
class TestSseClient {
 public:
  // `ca_file` as for TestHttpClient.
  TestSseClient(std::string url, std::vector<std::string> headers,
                std::string ca_file = "");
  ~TestSseClient();
  TestSseClient(const TestSseClient&) = delete;
  TestSseClient& operator=(const TestSseClient&) = delete;

  // Waits until `predicate(frames)` holds; false on timeout.
  bool WaitForFrames(
      const std::function<bool(const std::vector<SseFrame>&)>& predicate,
      absl::Duration timeout) const;
  // Waits until the transfer has ended (server closed or error).
  bool WaitForEnd(absl::Duration timeout) const;

  std::string raw() const;
  // Body write callbacks so far (curl calls one at least per HTTP chunk),
  // and the largest number of bytes one of them delivered.
  int write_count() const;
  size_t max_write_bytes() const;
  std::string response_headers() const;
  long status() const;
  bool ended() const { return ended_.load(); }
  // Curl result after the end (CURLE_OK = clean end of the response).
  int curl_result() const { return curl_result_.load(); }
  void Close();

 private:
  void Run(std::string url, std::vector<std::string> headers,
           std::string ca_file);

  mutable std::mutex mutex_;
  std::string raw_;
  int write_count_ = 0;
  size_t max_write_bytes_ = 0;
  std::string response_headers_;
  long status_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> ended_{false};
  std::atomic<int> curl_result_{-1};
  std::thread thread_;
};

// Parses complete SSE blocks (LF line endings) from `raw`.
std::vector<SseFrame> ParseSseFrames(absl::string_view raw);

// Polls `condition` every 5 ms until it holds or `timeout` passes.
bool WaitUntil(const std::function<bool()>& condition, absl::Duration timeout);

}  // namespace neo_emulator::testing

#endif  // NEO_EMULATOR_TEST_HTTP_CLIENT_H_
