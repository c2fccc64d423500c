#include "bridge/log/json_log.h"

#include <atomic>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bridge/log/redact.h"

namespace neobridge::log {
namespace {

std::atomic<int> min_level{static_cast<int>(Level::kInfo)};
ABSL_CONST_INIT absl::Mutex write_mu(absl::kConstInit);
std::function<void(absl::string_view)>* sink ABSL_GUARDED_BY(write_mu) =
    nullptr;

absl::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

void AppendJsonString(std::string& out, absl::string_view text) {
  out.push_back('"');
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

}  // namespace

bool ParseLevel(absl::string_view text, Level* level) {
  for (Level candidate :
       {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError}) {
    if (text == LevelName(candidate)) {
      *level = candidate;
      return true;
    }
  }
  return false;
}

void SetMinLevel(Level level) { min_level.store(static_cast<int>(level)); }

bool Enabled(Level level) {
  return static_cast<int>(level) >= min_level.load();
}

std::string FormatLine(Level level, absl::string_view message,
                       absl::Span<const Field> fields) {
  std::string out = "{\"time\":";
  AppendJsonString(out, absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                                         absl::UTCTimeZone()));
  out += ",\"level\":";
  AppendJsonString(out, LevelName(level));
  out += ",\"msg\":";
  AppendJsonString(out, RedactSecrets(message));
  for (const Field& field : fields) {
    out.push_back(',');
    AppendJsonString(out, field.first);
    out.push_back(':');
    AppendJsonString(out, IsSecretName(field.first)
                              ? std::string(kRedacted)
                              : RedactSecrets(field.second));
  }
  out.push_back('}');
  return out;
}

void Log(Level level, absl::string_view message,
         absl::Span<const Field> fields) {
  if (!Enabled(level)) return;
  std::string line = FormatLine(level, message, fields);
  absl::MutexLock lock(&write_mu);
  if (sink != nullptr) {
    (*sink)(line);
    return;
  }
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

void SetSink(std::function<void(absl::string_view line)> new_sink) {
  absl::MutexLock lock(&write_mu);
  delete sink;
  sink = new_sink
             ? new std::function<void(absl::string_view)>(std::move(new_sink))
             : nullptr;
}

}  // namespace neobridge::log
