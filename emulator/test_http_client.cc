#include "emulator/test_http_client.h"

#include <curl/curl.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace neo_emulator::testing {
namespace {

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

void EnsureCurl() { static CurlGlobal global; }

struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct ListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;
using HeaderList = std::unique_ptr<curl_slist, ListDeleter>;

size_t AppendBody(char* data, size_t size, size_t count, void* arg) {
  static_cast<std::string*>(arg)->append(data, size * count);
  return size * count;
}

size_t AppendHeader(char* data, size_t size, size_t count, void* arg) {
  auto* headers =
      static_cast<std::vector<std::pair<std::string, std::string>>*>(arg);
  absl::string_view line(data, size * count);
  const size_t colon = line.find(':');
  if (colon != absl::string_view::npos) {
    headers->emplace_back(
        std::string(absl::StripAsciiWhitespace(line.substr(0, colon))),
        std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
  } else if (absl::StartsWith(line, "HTTP/")) {
    headers->clear();  // A new response head (e.g. after 100-continue).
  }
  return size * count;
}

HeaderList BuildHeaders(absl::string_view token,
                        const std::vector<std::string>& extra) {
  curl_slist* list = nullptr;
  if (!token.empty()) {
    list = curl_slist_append(
        list, absl::StrCat("Authorization: token ", token).c_str());
  }
  for (const std::string& header : extra) {
    list = curl_slist_append(list, header.c_str());
  }
  return HeaderList(list);
}

}  // namespace

std::optional<std::string> TestResponse::Header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

nlohmann::json TestResponse::Json() const {
  return nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
}

TestHttpClient::TestHttpClient(std::string base_url, std::string ca_file)
    : base_url_(std::move(base_url)), ca_file_(std::move(ca_file)) {
  EnsureCurl();
}

TestResponse TestHttpClient::Request(absl::string_view method,
                                     absl::string_view path,
                                     absl::string_view token,
                                     std::optional<std::string> body,
                                     std::vector<std::string> headers) const {
  TestResponse response;
  Easy easy(curl_easy_init());
  const std::string url = absl::StrCat(base_url_, path);
  const std::string method_name(method);
  if (body) headers.push_back("Content-Type: application/json");
  HeaderList list = BuildHeaders(token, headers);
  curl_easy_setopt(easy.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy.get(), CURLOPT_CUSTOMREQUEST, method_name.c_str());
  curl_easy_setopt(easy.get(), CURLOPT_HTTPHEADER, list.get());
  curl_easy_setopt(easy.get(), CURLOPT_WRITEFUNCTION, &AppendBody);
  curl_easy_setopt(easy.get(), CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(easy.get(), CURLOPT_HEADERFUNCTION, &AppendHeader);
  curl_easy_setopt(easy.get(), CURLOPT_HEADERDATA, &response.headers);
  curl_easy_setopt(easy.get(), CURLOPT_TIMEOUT_MS, 10000L);
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(easy.get(), CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(easy.get(), CURLOPT_NOSIGNAL, 1L);
  if (!ca_file_.empty()) {
    curl_easy_setopt(easy.get(), CURLOPT_CAINFO, ca_file_.c_str());
  }
  if (body) {
    curl_easy_setopt(easy.get(), CURLOPT_POSTFIELDS, body->c_str());
    curl_easy_setopt(easy.get(), CURLOPT_POSTFIELDSIZE,
                     static_cast<long>(body->size()));
  }
  if (method == "HEAD") curl_easy_setopt(easy.get(), CURLOPT_NOBODY, 1L);
  const CURLcode code = curl_easy_perform(easy.get());
  if (code != CURLE_OK) {
    response.error = absl::StrCat(curl_easy_strerror(code), ": ", error);
    return response;
  }
  curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

TestResponse TestHttpClient::Get(absl::string_view path,
                                 absl::string_view token) const {
  return Request("GET", path, token);
}

TestResponse TestHttpClient::Post(absl::string_view path,
                                  absl::string_view token,
                                  const std::string& body) const {
  return Request("POST", path, token, body);
}

TestResponse TestHttpClient::Patch(absl::string_view path,
                                   absl::string_view token,
                                   const std::string& body) const {
  return Request("PATCH", path, token, body);
}

namespace {

struct SseSink {
  std::mutex* mutex;
  std::string* raw;
  int* write_count = nullptr;         // Optional.
  size_t* max_write_bytes = nullptr;  // Optional.
};

size_t AppendLocked(char* data, size_t size, size_t count, void* arg) {
  auto* sink = static_cast<SseSink*>(arg);
  std::lock_guard<std::mutex> lock(*sink->mutex);
  sink->raw->append(data, size * count);
  if (sink->write_count != nullptr) ++*sink->write_count;
  if (sink->max_write_bytes != nullptr &&
      size * count > *sink->max_write_bytes) {
    *sink->max_write_bytes = size * count;
  }
  return size * count;
}

}  // namespace

TestSseClient::TestSseClient(std::string url, std::vector<std::string> headers,
                             std::string ca_file)
    : thread_([this, url = std::move(url), headers = std::move(headers),
               ca_file = std::move(ca_file)] { Run(url, headers, ca_file); }) {}

TestSseClient::~TestSseClient() { Close(); }

void TestSseClient::Close() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void TestSseClient::Run(std::string url, std::vector<std::string> headers,
                        std::string ca_file) {
  EnsureCurl();
  Easy easy(curl_easy_init());
  headers.push_back("Accept: text/event-stream");
  HeaderList list = BuildHeaders("", headers);
  SseSink body{&mutex_, &raw_, &write_count_, &max_write_bytes_};
  SseSink head{&mutex_, &response_headers_};
  curl_easy_setopt(easy.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy.get(), CURLOPT_HTTPHEADER, list.get());
  curl_easy_setopt(easy.get(), CURLOPT_WRITEFUNCTION, &AppendLocked);
  curl_easy_setopt(easy.get(), CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(easy.get(), CURLOPT_HEADERFUNCTION, &AppendLocked);
  curl_easy_setopt(easy.get(), CURLOPT_HEADERDATA, &head);
  curl_easy_setopt(easy.get(), CURLOPT_NOSIGNAL, 1L);
  if (!ca_file.empty()) {
    curl_easy_setopt(easy.get(), CURLOPT_CAINFO, ca_file.c_str());
  }
  CURLM* multi = curl_multi_init();
  curl_multi_add_handle(multi, easy.get());
  int running = 1;
  while (!stop_ && running > 0) {
    curl_multi_perform(multi, &running);
    {
      long status = 0;
      curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &status);
      std::lock_guard<std::mutex> lock(mutex_);
      status_ = status;
    }
    if (running > 0) curl_multi_poll(multi, nullptr, 0, 10, nullptr);
  }
  int queued = 0;
  while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
    if (message->msg == CURLMSG_DONE) curl_result_ = message->data.result;
  }
  curl_multi_remove_handle(multi, easy.get());
  curl_multi_cleanup(multi);
  easy.reset();  // Closes the connection.
  ended_ = true;
}

bool TestSseClient::WaitForFrames(
    const std::function<bool(const std::vector<SseFrame>&)>& predicate,
    absl::Duration timeout) const {
  return WaitUntil([&] { return predicate(ParseSseFrames(raw())); }, timeout);
}

bool TestSseClient::WaitForEnd(absl::Duration timeout) const {
  return WaitUntil([&] { return ended_.load(); }, timeout);
}

std::string TestSseClient::raw() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return raw_;
}

int TestSseClient::write_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return write_count_;
}

size_t TestSseClient::max_write_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return max_write_bytes_;
}

std::string TestSseClient::response_headers() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return response_headers_;
}

long TestSseClient::status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return status_;
}

std::vector<SseFrame> ParseSseFrames(absl::string_view raw) {
  std::vector<SseFrame> frames;
  size_t start = 0;
  while (true) {
    const size_t end = raw.find("\n\n", start);
    if (end == absl::string_view::npos) break;
    SseFrame frame;
    for (absl::string_view line :
         absl::StrSplit(raw.substr(start, end - start), '\n')) {
      if (absl::StartsWith(line, ":")) {
        frame.comment = std::string(absl::StripAsciiWhitespace(line.substr(1)));
      } else if (absl::StartsWith(line, "id: ")) {
        frame.id = std::string(line.substr(4));
      } else if (absl::StartsWith(line, "data: ")) {
        if (!frame.data.empty()) frame.data.push_back('\n');
        frame.data.append(line.substr(6).data(), line.size() - 6);
      }
    }
    frames.push_back(std::move(frame));
    start = end + 2;
  }
  return frames;
}

bool WaitUntil(const std::function<bool()>& condition, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (condition()) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
}

}  // namespace neo_emulator::testing
