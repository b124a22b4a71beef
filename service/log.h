// Structured logs: one JSON object per line on stderr, for people and for log
// shippers alike.
//
//   LogInfo("listening").Add("grpc_address", address).Add("workers", 2);
//
// writes, when the temporary is destroyed,
//
//   {"time":"2026-11-23T10:00:00.123Z","level":"INFO","event":"listening",
//    "grpc_address":"127.0.0.1:50051","workers":2}
//
// Every line has "time", "level" and "event"; the rest are the event's fields.
// Logs carry no article text and never a credential: callers pass only ids,
// counts and messages written by tagwire (error messages from the core quote
// byte offsets, not text).
//
// Thread contract: safe to use from any thread; each line is written with one
// write(2), so lines from different threads never interleave.
#ifndef TAGWIRE_SERVICE_LOG_H_
#define TAGWIRE_SERVICE_LOG_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace tagwire {

enum class LogLevel { kInfo, kWarning, kError };

class LogLine {
 public:
  LogLine(LogLevel level, std::string_view event);
  ~LogLine();  // writes the line
  LogLine(const LogLine&) = delete;
  LogLine& operator=(const LogLine&) = delete;

  LogLine& Add(std::string_view key, std::string_view value);
  LogLine& Add(std::string_view key, const char* value) {
    return Add(key, std::string_view(value));
  }
  LogLine& Add(std::string_view key, const std::string& value) {
    return Add(key, std::string_view(value));
  }
  LogLine& Add(std::string_view key, int64_t value);
  LogLine& Add(std::string_view key, uint64_t value);
  LogLine& Add(std::string_view key, int value) { return Add(key, int64_t{value}); }
  LogLine& Add(std::string_view key, unsigned value) { return Add(key, uint64_t{value}); }
  LogLine& Add(std::string_view key, double value);
  LogLine& Add(std::string_view key, bool value);

 private:
  void Key(std::string_view key);
  std::string line_;
};

inline LogLine LogInfo(std::string_view event) { return LogLine(LogLevel::kInfo, event); }
inline LogLine LogWarning(std::string_view event) { return LogLine(LogLevel::kWarning, event); }
inline LogLine LogError(std::string_view event) { return LogLine(LogLevel::kError, event); }

// Sends gRPC's own log messages (handshake failures and the like) through
// LogLine as event "grpc", so every line on stderr is JSON. Call once, early.
void RouteGrpcLogsToJson();

// Appends `text` to `out` as a JSON string literal (quotes included). Invalid
// UTF-8 is replaced by U+FFFD so a line is always valid JSON.
void AppendJsonString(std::string_view text, std::string* out);

}  // namespace tagwire

#endif  // TAGWIRE_SERVICE_LOG_H_
