#include "services/observability/json_log.h"

#include <cstdio>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "glog/logging.h"
#include "grpc/support/log.h"

namespace hotspot::observability {
namespace {

// The length of the UTF-8 sequence at the start of `s`, or 0 if it is not a valid one.
size_t Utf8Length(absl::string_view s) {
  const auto b = [&s](size_t i) { return static_cast<unsigned char>(s[i]); };
  const auto continuation = [&](size_t i) { return i < s.size() && (b(i) & 0xC0) == 0x80; };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return continuation(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!continuation(1) || !continuation(2)) return 0;
    if ((c == 0xE0 && b(1) < 0xA0) || (c == 0xED && b(1) > 0x9F)) return 0;  // overlong, surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!continuation(1) || !continuation(2) || !continuation(3)) return 0;
    if ((c == 0xF0 && b(1) < 0x90) || (c == 0xF4 && b(1) > 0x8F)) return 0;
    return 4;
  }
  return 0;
}

// `s` as a JSON string, quotes included.
void AppendJsonString(std::string& out, absl::string_view s) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      absl::StrAppendFormat(&out, "\\u%04x", c);
    } else if (c >= 0x80) {
      const size_t n = Utf8Length(s.substr(i));
      if (n == 0) {
        out += "\\ufffd";
        ++i;
        continue;
      }
      out.append(s.data() + i, n);
      i += n;
      continue;
    } else {
      out += static_cast<char>(c);
    }
    ++i;
  }
  out += '"';
}

// A plain decimal that a double holds exactly enough: -?digits(.digits)?, 15 digits at most.
bool IsJsonNumber(absl::string_view v) {
  if (!v.empty() && v[0] == '-') v.remove_prefix(1);
  if (v.empty() || !absl::ascii_isdigit(v[0]) || (v[0] == '0' && v.size() > 1 && v[1] != '.')) {
    return false;
  }
  size_t digits = 0;
  bool point = false;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '.') {
      if (point || i + 1 == v.size()) return false;
      point = true;
    } else if (absl::ascii_isdigit(v[i])) {
      ++digits;
    } else {
      return false;
    }
  }
  return digits <= 15;
}

bool IsKeyChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }

struct Field {
  absl::string_view key;
  absl::string_view value;
  bool quoted = false;
};

// The key=value fields of `message`, or nullopt if it is not made of them. A quoted value runs
// to the next '"' that ends the message or is followed by " key=" (quotes inside a value are
// not escaped by those who log them).
std::optional<std::vector<Field>> ParseFields(absl::string_view message) {
  std::vector<Field> fields;
  size_t i = 0;
  const auto key_at = [&message](size_t at) {  // the end of a "key=" at `at`, or npos
    size_t j = at;
    while (j < message.size() && IsKeyChar(message[j])) ++j;
    return j > at && j < message.size() && message[j] == '=' ? j : absl::string_view::npos;
  };
  while (i < message.size()) {
    const size_t equals = key_at(i);
    if (equals == absl::string_view::npos) return std::nullopt;
    Field field;
    field.key = message.substr(i, equals - i);
    i = equals + 1;
    if (i < message.size() && message[i] == '"') {
      size_t close = i + 1;
      for (;; ++close) {
        close = message.find('"', close);
        if (close == absl::string_view::npos) return std::nullopt;
        if (close + 1 == message.size() ||
            (message[close + 1] == ' ' && key_at(close + 2) != absl::string_view::npos)) {
          break;
        }
      }
      field.value = message.substr(i + 1, close - i - 1);
      field.quoted = true;
      i = close + 1;
    } else {
      const size_t end = std::min(message.find(' ', i), message.size());
      field.value = message.substr(i, end - i);
      i = end;
    }
    fields.push_back(field);
    if (i < message.size()) {
      if (message[i] != ' ') return std::nullopt;
      ++i;
    }
  }
  if (fields.empty()) return std::nullopt;
  return fields;
}

absl::Mutex& OutputMutex() {
  static absl::Mutex mu(absl::kConstInit);
  return mu;
}

void WriteLine(std::string line) {
  line += '\n';
  absl::MutexLock lock(&OutputMutex());
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

// The JSON line of a message; with `parse`, its key=value fields as fields (see the header).
std::string Line(absl::Time time, absl::string_view level, absl::string_view source,
                 absl::string_view message, bool parse) {
  std::string out = "{\"time\":";
  AppendJsonString(out, absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", time, absl::UTCTimeZone()));
  out += ",\"level\":";
  AppendJsonString(out, level);
  out += ",\"source\":";
  AppendJsonString(out, source);
  std::optional<std::vector<Field>> fields;
  if (parse) fields = ParseFields(message);
  if (!fields.has_value()) {
    out += ",\"msg\":";
    AppendJsonString(out, message);
    out += '}';
    return out;
  }
  for (const Field& field : *fields) {
    out += ',';
    const bool reserved = field.key == "time" || field.key == "level" || field.key == "source";
    AppendJsonString(out, reserved ? absl::StrCat("_", field.key) : std::string(field.key));
    out += ':';
    if (!field.quoted && IsJsonNumber(field.value)) {
      out.append(field.value.data(), field.value.size());
    } else {
      AppendJsonString(out, field.value);
    }
  }
  out += '}';
  return out;
}

class JsonSink final : public google::LogSink {
 public:
  void send(google::LogSeverity severity, const char* full_filename, const char* base_filename,
            int line, const google::LogMessageTime& time, const char* message,
            size_t message_len) override {
    WriteLine(JsonLogLine(absl::FromUnixSeconds(time.timestamp()) + absl::Microseconds(time.usec()),
                          google::GetLogSeverityName(severity),
                          absl::StrCat(base_filename, ":", line),
                          absl::string_view(message, message_len)));
  }
};

void GrpcToJson(gpr_log_func_args* args) {
  const char* level = args->severity == GPR_LOG_SEVERITY_ERROR  ? "ERROR"
                      : args->severity == GPR_LOG_SEVERITY_INFO ? "INFO"
                                                                : "DEBUG";
  absl::string_view file(args->file);
  if (const size_t slash = file.rfind('/'); slash != absl::string_view::npos) {
    file.remove_prefix(slash + 1);
  }
  // gRPC's messages are prose: kept whole, with where they came from.
  WriteLine(
      Line(absl::Now(), level, absl::StrCat("grpc/", file, ":", args->line), args->message, false));
}

}  // namespace

std::string JsonLogLine(absl::Time time, absl::string_view level, absl::string_view source,
                        absl::string_view message) {
  return Line(time, level, source, message, true);
}

void LogJsonLinesToStderr() {
  static JsonSink* sink = new JsonSink;  // for the process's lifetime
  FLAGS_logtostderr = false;
  FLAGS_alsologtostderr = false;
  FLAGS_stderrthreshold = google::NUM_SEVERITIES;  // glog's own copy to stderr: none
  for (int severity = 0; severity < google::NUM_SEVERITIES; ++severity) {
    google::SetLogDestination(severity, "");  // and no log files
  }
  google::AddLogSink(sink);
  gpr_set_log_function(&GrpcToJson);
}

}  // namespace hotspot::observability
