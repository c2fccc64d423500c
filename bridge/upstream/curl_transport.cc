#include "bridge/upstream/curl_transport.h"

#include <curl/curl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "bridge/upstream/curl_status.h"

namespace neobridge::upstream {

namespace {

constexpr int kMaxEpollEvents = 256;

// Whole milliseconds, rounded up so that a timer never fires early; at
// least 1 (0 means "no timeout" to libcurl), capped to what `long` holds.
long CeilMillis(absl::Duration d) {
  if (d <= absl::ZeroDuration()) return 1;
  const int64_t ms =
      absl::ToInt64Milliseconds(absl::Ceil(d, absl::Milliseconds(1)));
  return static_cast<long>(std::clamp<int64_t>(ms, 1, LONG_MAX));
}

bool HasForbiddenHeaderBytes(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) !=
         std::string_view::npos;
}

bool HasHeader(const HttpRequest& request, std::string_view name) {
  for (const auto& [field, value] : request.headers) {
    if (EqualsIgnoreAsciiCase(field, name)) return true;
  }
  return false;
}

absl::Status CurlSetupError(absl::string_view what, CURLcode code) {
  return absl::InternalError(absl::StrCat("cannot set up upstream request (",
                                          what,
                                          "): ", curl_easy_strerror(code)));
}

// The CA bundle must be readable and hold at least one PEM certificate;
// libcurl would otherwise fail every request with a less helpful error.
absl::Status CheckCaBundle(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--ca-file: cannot read CA bundle ", path, ": ", std::strerror(errno)));
  }
  std::string contents;
  char buffer[8192];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof(buffer), f)) > 0) {
    contents.append(buffer, n);
  }
  const bool failed = std::ferror(f) != 0;
  const int error = errno;
  std::fclose(f);
  if (failed) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--ca-file: cannot read CA bundle ", path, ": ", std::strerror(error)));
  }
  if (!absl::StrContains(contents, "CERTIFICATE-----")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--ca-file: CA bundle ", path,
        " holds no PEM certificate (-----BEGIN CERTIFICATE-----)"));
  }
  return absl::OkStatus();
}

void EnsureCurlGlobalInit(CURLcode* result) {
  static const CURLcode init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
  *result = init_result;
}

}  // namespace

// One Send() or OpenStream(). Built on the calling thread, then owned by the
// loop thread (through a kStart command) until its callback has run.
// Easy handles kept for reuse; beyond this, finished ones are freed.
constexpr size_t kMaxIdleEasy = 256;

struct CurlTransport::Transfer {
  CurlTransport* transport = nullptr;
  RequestId id = 0;
  HttpMethod method = HttpMethod::kGet;
  std::string host;
  std::string body;  // CURLOPT_POSTFIELDS points here
  CurlEasy easy;
  CurlSlist header_list;
  char error[CURL_ERROR_SIZE] = {};
  // Failed while being built: reported on the loop thread, never started.
  absl::Status setup_error;
  absl::Duration timeout;
  absl::Time deadline = absl::InfiniteFuture();
  bool in_multi = false;

  // Response head, for both kinds.
  HttpResponse response;  // Send(): also the body
  bool head_done = false;

  // Send() only.
  DoneCallback done;
  size_t max_body = 0;
  absl::Status write_error;  // why OnWrite refused data

  // OpenStream() only.
  std::shared_ptr<StreamObserver> observer;
  absl::Duration idle_timeout = absl::InfiniteDuration();
  absl::Time last_activity;
  absl::Time timer_due = absl::InfiniteFuture();  // InfiniteFuture: none
  bool paused = false;

  bool is_stream() const { return observer != nullptr; }
};

absl::StatusOr<std::unique_ptr<CurlTransport>> CurlTransport::Create(
    CurlTransportOptions options) {
  if (options.connect_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("connect_timeout must be positive");
  }
  if (options.max_response_bytes == 0) {
    return absl::InvalidArgumentError("max_response_bytes must be positive");
  }
  if (options.max_connections < 0 || options.max_host_connections < 0 ||
      options.max_idle_connections < 0) {
    return absl::InvalidArgumentError(
        "connection limits must be zero (no limit) or positive");
  }
  if (options.tcp_keepalive < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("tcp_keepalive must not be negative");
  }
  if (!options.ca_file.empty()) {
    if (absl::Status status = CheckCaBundle(options.ca_file); !status.ok()) {
      return status;
    }
  }

  CURLcode init = CURLE_OK;
  EnsureCurlGlobalInit(&init);
  if (init != CURLE_OK) {
    return absl::InternalError(absl::StrCat("libcurl initialisation failed: ",
                                            curl_easy_strerror(init)));
  }

  ScopedFd epoll_fd(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_fd.valid()) {
    return absl::InternalError(
        absl::StrCat("epoll_create1 failed: ", std::strerror(errno)));
  }
  ScopedFd wake_fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake_fd.valid()) {
    return absl::InternalError(
        absl::StrCat("eventfd failed: ", std::strerror(errno)));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake_fd.get();
  if (::epoll_ctl(epoll_fd.get(), EPOLL_CTL_ADD, wake_fd.get(), &ev) != 0) {
    return absl::InternalError(
        absl::StrCat("epoll_ctl failed: ", std::strerror(errno)));
  }
  CurlMulti multi = CurlMulti::Create();
  if (!multi) return absl::InternalError("curl_multi_init failed");

  // The constructor wires the callbacks to `this` and starts the thread.
  return std::unique_ptr<CurlTransport>(
      new CurlTransport(std::move(options), std::move(multi),
                        std::move(epoll_fd), std::move(wake_fd)));
}

CurlTransport::CurlTransport(CurlTransportOptions options, CurlMulti multi,
                             ScopedFd epoll_fd, ScopedFd wake_fd)
    : options_(std::move(options)),
      epoll_fd_(std::move(epoll_fd)),
      wake_fd_(std::move(wake_fd)),
      multi_(std::move(multi)) {
  CURLM* m = multi_.get();
  curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, &CurlTransport::OnSocket);
  curl_multi_setopt(m, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, &CurlTransport::OnTimer);
  curl_multi_setopt(m, CURLMOPT_TIMERDATA, this);
  curl_multi_setopt(m, CURLMOPT_PIPELINING, long{CURLPIPE_MULTIPLEX});
  curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                    long{options_.max_connections});
  curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS,
                    long{options_.max_host_connections});
  if (options_.max_idle_connections > 0) {
    curl_multi_setopt(m, CURLMOPT_MAXCONNECTS,
                      long{options_.max_idle_connections});
  }
  loop_thread_ = std::jthread([this] { Run(); });
}

CurlTransport::~CurlTransport() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  const uint64_t one = 1;
  (void)!::write(wake_fd_.get(), &one, sizeof(one));
  loop_thread_.join();
}

std::unique_ptr<CurlTransport::Transfer> CurlTransport::NewTransfer(
    HttpRequest request) {
  auto t = std::make_unique<Transfer>();
  t->transport = this;
  t->id = next_id_.fetch_add(1, std::memory_order_relaxed);
  t->timeout = request.timeout;
  t->method = request.method;
  t->body = std::move(request.body);
  t->max_body = options_.max_response_bytes;
  t->idle_timeout = request.idle_timeout;

  // The host, for error messages; parsing also rejects a malformed URL
  // before any network activity.
  CurlUrl url = CurlUrl::Create();
  if (!url) {
    t->setup_error = absl::ResourceExhaustedError("out of memory");
    return t;
  }
  if (CURLUcode rc =
          curl_url_set(url.get(), CURLUPART_URL, request.url.c_str(), 0);
      rc != CURLUE_OK) {
    t->setup_error = absl::InvalidArgumentError(
        absl::StrCat("invalid upstream URL: ", curl_url_strerror(rc)));
    return t;
  }
  char* host = nullptr;
  if (curl_url_get(url.get(), CURLUPART_HOST, &host, 0) == CURLUE_OK &&
      host != nullptr) {
    t->host = host;
  }
  curl_free(host);

  if (request.timeout <= absl::ZeroDuration()) {
    t->setup_error = absl::DeadlineExceededError(absl::StrCat(
        "upstream request to ", t->host, " timed out before it was sent"));
    return t;
  }
  if (request.timeout != absl::InfiniteDuration()) {
    t->deadline = absl::Now() + request.timeout;
  }

  for (size_t i = 0; i < request.headers.size(); ++i) {
    const auto& [name, value] = request.headers[i];
    if (name.empty() || HasForbiddenHeaderBytes(name) ||
        HasForbiddenHeaderBytes(value) ||
        name.find_first_of(": \t") != std::string::npos) {
      // Never echo the header: it may carry a credential.
      t->setup_error = absl::InvalidArgumentError(
          absl::StrCat("request header #", i + 1,
                       " has an invalid name or a CR, LF or NUL in its value"));
      return t;
    }
    // "Name;" sends an empty header; "Name:" would remove it.
    const std::string line = value.empty() ? absl::StrCat(name, ";")
                                           : absl::StrCat(name, ": ", value);
    if (!t->header_list.Append(line.c_str())) {
      t->setup_error = absl::ResourceExhaustedError("out of memory");
      return t;
    }
  }
  // No "Expect: 100-continue" round trip; no form content type by default.
  if (!HasHeader(request, "Expect") && !t->header_list.Append("Expect:")) {
    t->setup_error = absl::ResourceExhaustedError("out of memory");
    return t;
  }
  if (!HasHeader(request, "Content-Type") &&
      !t->header_list.Append("Content-Type:")) {
    t->setup_error = absl::ResourceExhaustedError("out of memory");
    return t;
  }

  t->easy = TakeEasy();
  if (!t->easy) {
    t->setup_error = absl::ResourceExhaustedError("out of memory");
    return t;
  }
  CURL* e = t->easy.get();
  CURLcode rc = CURLE_OK;
  auto set = [&rc](CURLcode r) {
    if (rc == CURLE_OK) rc = r;
  };
  set(curl_easy_setopt(e, CURLOPT_URL, request.url.c_str()));
  set(curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https"));
  set(curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L));
  set(curl_easy_setopt(e, CURLOPT_PRIVATE, t.get()));
  set(curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error));
  set(curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &CurlTransport::OnHeader));
  set(curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get()));
  set(curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &CurlTransport::OnWrite));
  set(curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get()));
  set(curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->header_list.get()));
  set(curl_easy_setopt(e, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L));
  set(curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L));
  set(curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L));
  set(curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L));
  // Over TLS, prefer waiting for a connection that may turn out to speak
  // HTTP/2 (and multiplex) to opening another one. Plain http:// never
  // multiplexes here (no h2c), so waiting would only serialise requests.
  if (absl::StartsWithIgnoreCase(request.url, "https:")) {
    set(curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L));
  }
  if (!options_.ca_file.empty()) {
    set(curl_easy_setopt(e, CURLOPT_CAINFO, options_.ca_file.c_str()));
  }
  if (!options_.user_agent.empty()) {
    set(curl_easy_setopt(e, CURLOPT_USERAGENT, options_.user_agent.c_str()));
  }
  if (options_.tcp_keepalive > absl::ZeroDuration()) {
    const long secs = std::max<long>(
        1, static_cast<long>(absl::ToInt64Seconds(options_.tcp_keepalive)));
    set(curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L));
    set(curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, secs));
    set(curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, secs));
  }
  const bool send_body = request.method == HttpMethod::kPost ||
                         request.method == HttpMethod::kPatch ||
                         request.method == HttpMethod::kPut || !t->body.empty();
  switch (request.method) {
    case HttpMethod::kGet:
      set(curl_easy_setopt(e, CURLOPT_HTTPGET, 1L));
      break;
    case HttpMethod::kPost:
      set(curl_easy_setopt(e, CURLOPT_POST, 1L));
      break;
    case HttpMethod::kPatch:
    case HttpMethod::kPut:
    case HttpMethod::kDelete:
      break;
  }
  if (send_body) {
    set(curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(t->body.size())));
    set(curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->body.data()));
  }
  if (request.method != HttpMethod::kGet &&
      request.method != HttpMethod::kPost) {
    set(curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST,
                         std::string(HttpMethodName(request.method)).c_str()));
  } else if (request.method == HttpMethod::kGet && send_body) {
    set(curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "GET"));
  }
  if (rc != CURLE_OK) t->setup_error = CurlSetupError("options", rc);
  return t;
}

HttpTransport::RequestId CurlTransport::Send(HttpRequest request,
                                             DoneCallback done) {
  std::unique_ptr<Transfer> t = NewTransfer(std::move(request));
  t->done = std::move(done);
  if (t->setup_error.ok()) {
    // Fails early on a declared Content-Length; OnWrite covers the rest.
    curl_easy_setopt(t->easy.get(), CURLOPT_MAXFILESIZE_LARGE,
                     static_cast<curl_off_t>(t->max_body));
  }
  const RequestId id = t->id;
  Post(Command{CommandKind::kStart, id, std::move(t)});
  return id;
}

HttpTransport::RequestId CurlTransport::OpenStream(
    HttpRequest request, std::shared_ptr<StreamObserver> observer) {
  std::unique_ptr<Transfer> t = NewTransfer(std::move(request));
  t->observer = std::move(observer);
  if (t->observer == nullptr && t->setup_error.ok()) {
    t->setup_error = absl::InvalidArgumentError("OpenStream needs an observer");
  }
  const RequestId id = t->id;
  Post(Command{CommandKind::kStart, id, std::move(t)});
  return id;
}

void CurlTransport::Cancel(RequestId id) {
  Post(Command{CommandKind::kCancel, id, nullptr});
}

void CurlTransport::Resume(RequestId id) {
  Post(Command{CommandKind::kResume, id, nullptr});
}

void CurlTransport::Post(Command command) {
  bool wake = false;
  {
    absl::MutexLock lock(&mu_);
    // The loop drains the eventfd before taking the queue, so one write per
    // empty -> non-empty transition is enough.
    wake = commands_.empty();
    commands_.push_back(std::move(command));
  }
  if (wake) {
    const uint64_t one = 1;
    (void)!::write(wake_fd_.get(), &one, sizeof(one));
  }
}

void CurlTransport::Run() {
  epoll_event events[kMaxEpollEvents];
  for (;;) {
    const int n = ::epoll_wait(epoll_fd_.get(), events, kMaxEpollEvents,
                               NextWaitMillis());
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == wake_fd_.get()) {
        uint64_t count = 0;
        (void)!::read(fd, &count, sizeof(count));
        continue;
      }
      int mask = 0;
      if (events[i].events & EPOLLIN) mask |= CURL_CSELECT_IN;
      if (events[i].events & EPOLLOUT) mask |= CURL_CSELECT_OUT;
      if (events[i].events & (EPOLLERR | EPOLLHUP)) mask |= CURL_CSELECT_ERR;
      SocketAction(fd, mask);
    }
    if (!DrainCommands()) break;
    if (absl::Now() >= curl_timer_due_) {
      curl_timer_due_ = absl::InfiniteFuture();
      SocketAction(CURL_SOCKET_TIMEOUT, 0);
    }
    ReapCompleted();
    CheckStreamTimers();
  }
  CancelEverything();
  // Closes the pooled connections (their sockets leave epoll through
  // OnSocket) on this thread, like every other use of the multi handle.
  multi_ = CurlMulti();
}

int CurlTransport::NextWaitMillis() const {
  absl::Time due = curl_timer_due_;
  if (!stream_timers_.empty()) due = std::min(due, stream_timers_.top().first);
  if (due == absl::InfiniteFuture()) return -1;
  const absl::Duration left = due - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  return static_cast<int>(std::min<long>(CeilMillis(left), INT_MAX));
}

bool CurlTransport::DrainCommands() {
  std::vector<Command> commands;
  bool stopping = false;
  {
    absl::MutexLock lock(&mu_);
    commands.swap(commands_);
    stopping = stopping_;
  }
  for (Command& command : commands) {
    switch (command.kind) {
      case CommandKind::kStart:
        if (stopping) {
          Complete(std::move(command.transfer),
                   absl::CancelledError("HTTP transport is shutting down"));
        } else {
          StartTransfer(std::move(command.transfer));
        }
        break;
      case CommandKind::kCancel:
        CancelTransfer(command.id);
        break;
      case CommandKind::kResume:
        ResumeTransfer(command.id);
        break;
    }
  }
  return !stopping;
}

void CurlTransport::StartTransfer(std::unique_ptr<Transfer> t) {
  if (!t->setup_error.ok()) {
    const absl::Status status = t->setup_error;
    Complete(std::move(t), status);
    return;
  }
  const absl::Time now = absl::Now();
  if (now >= t->deadline) {
    Complete(std::move(t), absl::DeadlineExceededError(
                               absl::StrCat("upstream request to ", t->host,
                                            " timed out before it was sent")));
    return;
  }
  CURL* e = t->easy.get();
  absl::Duration connect = options_.connect_timeout;
  if (t->deadline != absl::InfiniteFuture()) {
    const absl::Duration left = t->deadline - now;
    connect = std::min(connect, left);
    // A stream's timeout bounds only the wait for its response head
    // (CheckStreamTimers); a request's bounds the whole transfer.
    if (!t->is_stream())
      curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, CeilMillis(left));
  }
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, CeilMillis(connect));
  if (CURLMcode rc = curl_multi_add_handle(multi_.get(), e); rc != CURLM_OK) {
    Complete(std::move(t), absl::InternalError(absl::StrCat(
                               "cannot start upstream request to ", t->host,
                               ": ", curl_multi_strerror(rc))));
    return;
  }
  t->in_multi = true;
  t->last_activity = now;
  Transfer& transfer = *t;
  transfers_.emplace(t->id, std::move(t));
  if (transfer.is_stream() && transfer.deadline != absl::InfiniteFuture()) {
    ArmStreamTimer(transfer, transfer.deadline);
  }
}

void CurlTransport::CancelTransfer(RequestId id) {
  if (!transfers_.contains(id)) return;  // finished already: a no-op
  Finish(id, absl::CancelledError("upstream request cancelled"));
}

void CurlTransport::ResumeTransfer(RequestId id) {
  auto it = transfers_.find(id);
  if (it == transfers_.end() || !it->second->paused) return;
  Transfer& t = *it->second;
  t.paused = false;
  t.last_activity = absl::Now();
  // May deliver the data held back while paused right here, through OnWrite
  // (which may pause again).
  if (CURLcode rc = curl_easy_pause(t.easy.get(), CURLPAUSE_CONT);
      rc != CURLE_OK) {
    Finish(id, absl::InternalError(
                   absl::StrCat("cannot resume upstream stream from ", t.host,
                                ": ", curl_easy_strerror(rc))));
    return;
  }
  if (t.head_done && t.idle_timeout != absl::InfiniteDuration() &&
      t.timer_due == absl::InfiniteFuture()) {
    ArmStreamTimer(t, t.last_activity + t.idle_timeout);
  }
}

void CurlTransport::SocketAction(int fd, int ev_bitmask) {
  int running = 0;
  curl_multi_socket_action(multi_.get(), fd, ev_bitmask, &running);
}

void CurlTransport::ReapCompleted() {
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_.get(), &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    Transfer* t = nullptr;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
    const CURLcode result = msg->data.result;  // msg dies with the removal
    absl::Status status;
    if (result == CURLE_OK) {
      long code = 0;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
      t->response.status = static_cast<int>(code);
    } else if (!t->write_error.ok()) {
      status = t->write_error;
    } else if (result == CURLE_FILESIZE_EXCEEDED) {
      status = absl::ResourceExhaustedError(
          absl::StrCat("upstream response from ", t->host,
                       " exceeds the limit of ", t->max_body, " bytes"));
    } else {
      status =
          CurlResultToStatus(result, t->host, t->error,
                             /*deadline_passed=*/absl::Now() >= t->deadline);
    }
    Finish(t->id, std::move(status));
  }
}

void CurlTransport::ArmStreamTimer(Transfer& t, absl::Time due) {
  if (due >= t.timer_due) return;  // an earlier check is armed already
  t.timer_due = due;
  stream_timers_.emplace(due, t.id);
}

void CurlTransport::CheckStreamTimers() {
  const absl::Time now = absl::Now();
  while (!stream_timers_.empty() && stream_timers_.top().first <= now) {
    const auto [due, id] = stream_timers_.top();
    stream_timers_.pop();
    auto it = transfers_.find(id);
    if (it == transfers_.end() || it->second->timer_due != due) continue;
    Transfer& t = *it->second;
    t.timer_due = absl::InfiniteFuture();
    if (!t.head_done) {
      if (now >= t.deadline) {
        Finish(id,
               absl::DeadlineExceededError(absl::StrCat(
                   "upstream ", t.host, " did not start the response within ",
                   absl::FormatDuration(t.timeout))));
        continue;
      }
      ArmStreamTimer(t, t.deadline);
    } else if (!t.paused && t.idle_timeout != absl::InfiniteDuration()) {
      const absl::Time idle_due = t.last_activity + t.idle_timeout;
      if (now >= idle_due) {
        Finish(id,
               absl::DeadlineExceededError(absl::StrCat(
                   "upstream read idle for ",
                   absl::FormatDuration(t.idle_timeout), " from ", t.host)));
        continue;
      }
      ArmStreamTimer(t, idle_due);
    }
    // Paused: disarmed until ResumeTransfer.
  }
}

void CurlTransport::Finish(RequestId id, absl::Status status) {
  auto node = transfers_.extract(id);
  if (node.empty()) return;
  std::unique_ptr<Transfer> t = std::move(node.mapped());
  if (t->in_multi) {
    // Mid-transfer this closes an HTTP/1.1 connection (or resets an HTTP/2
    // stream), so upstream sees the abort.
    curl_multi_remove_handle(multi_.get(), t->easy.get());
    t->in_multi = false;
  }
  Complete(std::move(t), std::move(status));
}

CurlEasy CurlTransport::TakeEasy() {
  {
    absl::MutexLock lock(&mu_);
    if (!idle_easy_.empty()) {
      CurlEasy easy = std::move(idle_easy_.back());
      idle_easy_.pop_back();
      return easy;
    }
  }
  return CurlEasy::Create();
}

void CurlTransport::ReturnEasy(CurlEasy easy) {
  if (!easy) return;
  // Back to default options; keeps the handle's buffers (connections live
  // in the multi handle's pool either way).
  curl_easy_reset(easy.get());
  absl::MutexLock lock(&mu_);
  if (idle_easy_.size() < kMaxIdleEasy) idle_easy_.push_back(std::move(easy));
}

void CurlTransport::Complete(std::unique_ptr<Transfer> t, absl::Status status) {
  // Out of the multi handle by now (Finish), or never added.
  if (!t->in_multi) ReturnEasy(std::move(t->easy));
  // No lock is held here: the callback may call back into the transport.
  if (t->is_stream()) {
    std::shared_ptr<StreamObserver> observer = std::move(t->observer);
    t.reset();
    observer->OnDone(std::move(status));
    return;
  }
  DoneCallback done = std::move(t->done);
  absl::StatusOr<HttpResponse> result =
      status.ok() ? absl::StatusOr<HttpResponse>(std::move(t->response))
                  : absl::StatusOr<HttpResponse>(std::move(status));
  t.reset();
  if (done) std::move(done)(std::move(result));
}

void CurlTransport::CancelEverything() {
  // Callbacks run here may start more requests; those are cancelled too.
  for (;;) {
    std::vector<Command> commands;
    {
      absl::MutexLock lock(&mu_);
      commands.swap(commands_);
    }
    if (commands.empty() && transfers_.empty()) return;
    for (Command& command : commands) {
      if (command.kind == CommandKind::kStart) {
        Complete(std::move(command.transfer),
                 absl::CancelledError("HTTP transport is shutting down"));
      }
    }
    std::vector<RequestId> ids;
    ids.reserve(transfers_.size());
    for (const auto& [id, transfer] : transfers_) ids.push_back(id);
    for (RequestId id : ids) {
      Finish(id, absl::CancelledError("HTTP transport is shutting down"));
    }
  }
}

int CurlTransport::OnSocket(CURL* /*easy*/, curl_socket_t fd, int what,
                            void* userp, void* socketp) {
  auto* self = static_cast<CurlTransport*>(userp);
  const int epfd = self->epoll_fd_.get();
  if (what == CURL_POLL_REMOVE) {
    ::epoll_ctl(epfd, EPOLL_CTL_DEL, fd, nullptr);
    return 0;
  }
  epoll_event ev{};
  ev.data.fd = fd;
  if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) ev.events |= EPOLLIN;
  if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) ev.events |= EPOLLOUT;
  // socketp marks sockets already in the epoll set.
  const int op = socketp == nullptr ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
  if (::epoll_ctl(epfd, op, fd, &ev) != 0) {
    if (errno == EEXIST) {
      ::epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
    } else if (errno == ENOENT) {
      ::epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
    }
  }
  if (socketp == nullptr) curl_multi_assign(self->multi_.get(), fd, self);
  return 0;
}

int CurlTransport::OnTimer(CURLM* /*multi*/, long timeout_ms, void* userp) {
  auto* self = static_cast<CurlTransport*>(userp);
  self->curl_timer_due_ = timeout_ms < 0
                              ? absl::InfiniteFuture()
                              : absl::Now() + absl::Milliseconds(timeout_ms);
  return 0;
}

size_t CurlTransport::OnHeader(char* data, size_t size, size_t count,
                               void* userp) {
  auto* t = static_cast<Transfer*>(userp);
  const size_t n = size * count;
  if (t->head_done) return n;  // trailers
  std::string_view line(data, n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
    line.remove_suffix(1);
  }
  if (line.starts_with("HTTP/")) {
    // A new response head (after a 1xx): only the final one counts.
    t->response.headers.Clear();
    return n;
  }
  if (line.empty()) {
    long code = 0;
    curl_easy_getinfo(t->easy.get(), CURLINFO_RESPONSE_CODE, &code);
    if (code < 200) return n;  // end of an interim 1xx head
    t->head_done = true;
    t->response.status = static_cast<int>(code);
    if (t->is_stream()) {
      t->last_activity = absl::Now();
      t->observer->OnResponseStart(t->response.status, t->response.headers);
      // The idle check takes over from the first-byte check.
      if (t->idle_timeout != absl::InfiniteDuration()) {
        t->transport->ArmStreamTimer(*t, t->last_activity + t->idle_timeout);
      }
    }
    return n;
  }
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos && colon > 0) {
    t->response.headers.Add(line.substr(0, colon), line.substr(colon + 1));
  }
  return n;
}

size_t CurlTransport::OnWrite(char* data, size_t size, size_t count,
                              void* userp) {
  auto* t = static_cast<Transfer*>(userp);
  const size_t n = size * count;
  if (t->is_stream()) {
    t->last_activity = absl::Now();
    if (t->observer->OnData(std::string_view(data, n)) ==
        StreamAction::kPause) {
      t->paused = true;
      return CURL_WRITEFUNC_PAUSE;
    }
    return n;
  }
  if (t->response.body.size() + n > t->max_body) {
    t->write_error = absl::ResourceExhaustedError(
        absl::StrCat("upstream response from ", t->host,
                     " exceeds the limit of ", t->max_body, " bytes"));
    return 0;  // fails the transfer with CURLE_WRITE_ERROR
  }
  t->response.body.append(data, n);
  return n;
}

}  // namespace neobridge::upstream
