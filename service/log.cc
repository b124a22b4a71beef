#include "service/log.h"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>

#include "absl/time/clock.h"
#include "grpc/support/log.h"
#include "absl/time/time.h"
#include "core/unicode.h"

namespace tagwire {
namespace {

std::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarning:
      return "WARNING";
    case LogLevel::kError:
      return "ERROR";
  }
  return "INFO";
}

void AppendEscapedValidUtf8(std::string_view text, std::string* out) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (byte < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof(escaped), "\\u%04x", byte);
          out->append(escaped);
        } else {
          out->push_back(c);
        }
    }
  }
}

}  // namespace

void RouteGrpcLogsToJson() {
  gpr_set_log_function([](gpr_log_func_args* args) {
    LogLevel level = LogLevel::kInfo;
    if (args->severity == GPR_LOG_SEVERITY_ERROR) level = LogLevel::kError;
    LogLine(level, "grpc")
        .Add("file", args->file != nullptr ? args->file : "")
        .Add("line", args->line)
        .Add("message", args->message != nullptr ? args->message : "");
  });
}

void AppendJsonString(std::string_view text, std::string* out) {
  out->push_back('"');
  while (!text.empty()) {
    const size_t bad = FindInvalidUtf8(text);
    if (bad >= text.size()) {
      AppendEscapedValidUtf8(text, out);
      break;
    }
    AppendEscapedValidUtf8(text.substr(0, bad), out);
    out->append("\xEF\xBF\xBD");
    text.remove_prefix(bad + 1);
  }
  out->push_back('"');
}

LogLine::LogLine(LogLevel level, std::string_view event) {
  line_.reserve(160);
  line_.append("{\"time\":\"");
  line_.append(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()));
  line_.append("\",\"level\":\"");
  line_.append(LevelName(level));
  line_.append("\",\"event\":");
  AppendJsonString(event, &line_);
}

LogLine::~LogLine() {
  line_.append("}\n");
  const char* data = line_.data();
  size_t left = line_.size();
  while (left > 0) {
    const ssize_t written = ::write(STDERR_FILENO, data, left);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return;  // nowhere to report a broken stderr
    data += written;
    left -= static_cast<size_t>(written);
  }
}

void LogLine::Key(std::string_view key) {
  line_.push_back(',');
  AppendJsonString(key, &line_);
  line_.push_back(':');
}

LogLine& LogLine::Add(std::string_view key, std::string_view value) {
  Key(key);
  AppendJsonString(value, &line_);
  return *this;
}

LogLine& LogLine::Add(std::string_view key, int64_t value) {
  Key(key);
  line_.append(std::to_string(value));
  return *this;
}

LogLine& LogLine::Add(std::string_view key, uint64_t value) {
  Key(key);
  line_.append(std::to_string(value));
  return *this;
}

LogLine& LogLine::Add(std::string_view key, double value) {
  Key(key);
  if (!std::isfinite(value)) {
    line_.append("null");
    return *this;
  }
  char number[32];
  std::snprintf(number, sizeof(number), "%.6g", value);
  line_.append(number);
  return *this;
}

LogLine& LogLine::Add(std::string_view key, bool value) {
  Key(key);
  line_.append(value ? "true" : "false");
  return *this;
}

}  // namespace tagwire
