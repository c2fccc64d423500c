// RAII owners for libcurl's C handles. Each owns exactly one handle, is
// move-only, and releases the handle with the matching libcurl cleanup call.
// None of them is thread-safe; a handle is used by one thread at a time.

#ifndef NEOBRIDGE_BRIDGE_UPSTREAM_CURL_HANDLES_H_
#define NEOBRIDGE_BRIDGE_UPSTREAM_CURL_HANDLES_H_

#include <curl/curl.h>

#include <memory>

namespace neobridge::upstream {

namespace curl_internal {
struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct MultiDeleter {
  void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
struct UrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
}  // namespace curl_internal

// An easy handle. Must be removed from any multi handle before it is
// destroyed (CurlTransport guarantees this).
class CurlEasy {
 public:
  // Null on allocation failure.
  static CurlEasy Create() { return CurlEasy(curl_easy_init()); }

  CurlEasy() = default;
  explicit CurlEasy(CURL* easy) : easy_(easy) {}
  CurlEasy(const CurlEasy&) = delete;
  CurlEasy& operator=(const CurlEasy&) = delete;
  CurlEasy(CurlEasy&&) noexcept = default;
  CurlEasy& operator=(CurlEasy&&) noexcept = default;

  CURL* get() const { return easy_.get(); }
  explicit operator bool() const { return easy_ != nullptr; }

 private:
  std::unique_ptr<CURL, curl_internal::EasyDeleter> easy_;
};

// A multi handle. Every easy handle added to it must be removed before it
// is destroyed.
class CurlMulti {
 public:
  // Null on allocation failure.
  static CurlMulti Create() { return CurlMulti(curl_multi_init()); }

  CurlMulti() = default;
  explicit CurlMulti(CURLM* multi) : multi_(multi) {}
  CurlMulti(const CurlMulti&) = delete;
  CurlMulti& operator=(const CurlMulti&) = delete;
  CurlMulti(CurlMulti&&) noexcept = default;
  CurlMulti& operator=(CurlMulti&&) noexcept = default;

  CURLM* get() const { return multi_.get(); }
  explicit operator bool() const { return multi_ != nullptr; }

 private:
  std::unique_ptr<CURLM, curl_internal::MultiDeleter> multi_;
};

// A header list (curl_slist). libcurl reads it during the transfer without
// copying, so it must outlive the easy handle's use of CURLOPT_HTTPHEADER.
class CurlSlist {
 public:
  CurlSlist() = default;
  CurlSlist(const CurlSlist&) = delete;
  CurlSlist& operator=(const CurlSlist&) = delete;
  CurlSlist(CurlSlist&&) noexcept = default;
  CurlSlist& operator=(CurlSlist&&) noexcept = default;

  // Appends a copy of `line`. False on allocation failure (the list is then
  // unchanged).
  bool Append(const char* line) {
    curl_slist* head = curl_slist_append(list_.get(), line);
    if (head == nullptr) return false;
    if (list_ == nullptr) list_.reset(head);
    return true;
  }

  curl_slist* get() const { return list_.get(); }

 private:
  std::unique_ptr<curl_slist, curl_internal::SlistDeleter> list_;
};

// A parsed URL (curl_url API).
class CurlUrl {
 public:
  // Null on allocation failure.
  static CurlUrl Create() { return CurlUrl(curl_url()); }

  CurlUrl() = default;
  explicit CurlUrl(CURLU* url) : url_(url) {}
  CurlUrl(const CurlUrl&) = delete;
  CurlUrl& operator=(const CurlUrl&) = delete;
  CurlUrl(CurlUrl&&) noexcept = default;
  CurlUrl& operator=(CurlUrl&&) noexcept = default;

  CURLU* get() const { return url_.get(); }
  explicit operator bool() const { return url_ != nullptr; }

 private:
  std::unique_ptr<CURLU, curl_internal::UrlDeleter> url_;
};

}  // namespace neobridge::upstream

#endif  // NEOBRIDGE_BRIDGE_UPSTREAM_CURL_HANDLES_H_
