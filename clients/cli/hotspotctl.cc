// hotspotctl: hotspotd from a terminal. Every RPC of the command, query, audit, subscription
// and admin services is a subcommand (its name in kebab case: ReferYouth -> refer-youth), with
// the request's fields as flags; see `hotspotctl help` and `hotspotctl <subcommand> --help`.
//
//   hotspotctl [--server=127.0.0.1:50051] [--token=T | --token_file=F] [--purpose=WHY] [--json]
//              [--deadline_s=30] [--tls_ca_file=PEM] [--tls_cert_file=PEM --tls_key_file=PEM]
//              <subcommand> [--<field>=<value> ...] [--request=<json>]
//
// The token also comes from HOTSPOT_TOKEN or HOTSPOT_TOKEN_FILE, the server from HOTSPOT_SERVER.
// TLS: --tls_ca_file (HOTSPOT_TLS_CA_FILE) is the CA that signed hotspotd's certificate; with
// --tls_cert_file and --tls_key_file (HOTSPOT_TLS_CERT_FILE, HOTSPOT_TLS_KEY_FILE) hotspotctl
// presents a client certificate (mTLS). Any of them turns TLS on (without a CA file, the
// system's CAs are trusted); with none, hotspotctl speaks plaintext (hotspotd serves plaintext on
// loopback only). With a client certificate that hotspotd maps to a principal, no token is
// needed.
// Field values: strings, numbers, enum names and RFC 3339 times as they are; dates as
// YYYY-MM-DD (--due_date=2026-12-01; the JSON form still works), also inside messages given as
// JSON (--commitments='{"due_date":"2026-12-01",...}') and --request; a repeated field by
// repeating the flag. `<subcommand> --help` shows nested fields under their message.
// A request with a request_id (every command) gets a new one unless --request_id gives it, and
// prints the one used ("request id  cli-..."; on stderr with --json or after a failure), so that
// a retry after UNAVAILABLE or DEADLINE_EXCEEDED can reuse it.
//
// Output: readable sections and tables (render.h): personal fields as text, "(sealed)" or "—"
// (never given); --json prints protobuf JSON (one object per line for streams). Progress bars
// (stderr) for export-access-log, get-case-history, backup and rebuild-projection --wait.
//
// `hotspotctl report --area_id=ID --from=YYYY-MM-DD --to=YYYY-MM-DD --out=FILE.html
// [--pdf=FILE.pdf] [--report_id=ID] [--chromium=PATH]` renders the chief's frozen report
// (QueryService.GetReport: the latest for the period, or the one named) as one self-contained
// HTML page with inline SVG charts (report_html.h), and with --pdf prints that page to PDF with
// headless Chromium (Debian's `chromium`; --chromium or HOTSPOT_CHROMIUM name another binary).
//
// Exit codes: 0 ok; 2 usage (bad flags, unknown subcommand, INVALID_ARGUMENT); 3 not found;
// 4 conflict (ALREADY_EXISTS, ABORTED, FAILED_PRECONDITION); 5 not allowed (UNAUTHENTICATED,
// PERMISSION_DENIED); 1 server or connection errors (UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL,
// ...).
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "clients/cli/render.h"
#include "clients/cli/report_html.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/impl/client_unary_call.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/impl/rpc_method.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/sync_stream.h"
#include "hotspot/v1/admin_service.pb.h"
#include "hotspot/v1/audit_service.pb.h"
#include "hotspot/v1/command_service.pb.h"
#include "hotspot/v1/options.pb.h"
#include "hotspot/v1/query_service.pb.h"
#include "hotspot/v1/subscription_service.pb.h"
#include "services/common/text.h"

namespace hotspot::cli {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::MethodDescriptor;

enum Exit { kOk = 0, kServer = 1, kUsage = 2, kNotFound = 3, kConflict = 4, kNotAllowed = 5 };

constexpr const char* kServices[] = {"hotspot.v1.CommandService", "hotspot.v1.QueryService",
                                     "hotspot.v1.AuditService", "hotspot.v1.SubscriptionService",
                                     "hotspot.v1.AdminService"};

// What the method does with youths' data, as its (hotspot.v1.personal_data) option declares.
v1::PersonalDataAccess AccessOf(const MethodDescriptor* method) {
  return method->options().GetExtension(v1::personal_data);
}

// Reads of youths' data: the server refuses them without a purpose.
bool Logged(const MethodDescriptor* method) {
  return AccessOf(method) == v1::PERSONAL_DATA_ACCESS_ALWAYS;
}

std::string Kebab(absl::string_view name) {
  std::string out;
  for (char c : name) {
    if (absl::ascii_isupper(c)) {
      if (!out.empty()) out += '-';
      out += absl::ascii_tolower(c);
    } else {
      out += c;
    }
  }
  return out;
}

// Every subcommand: kebab name -> method.
std::map<std::string, const MethodDescriptor*> Subcommands() {
  // Touching a message of each file links it in, which registers its services with the pool.
  for (const Descriptor* d : {v1::CommandResponse::descriptor(), v1::GetCaseRequest::descriptor(),
                              v1::GetCaseHistoryRequest::descriptor(),
                              v1::SubscribeRequest::descriptor(), v1::PingRequest::descriptor()}) {
    (void)d;
  }
  std::map<std::string, const MethodDescriptor*> out;
  for (const char* name : kServices) {
    const auto* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    for (int i = 0; service != nullptr && i < service->method_count(); ++i) {
      out[Kebab(service->method(i)->name())] = service->method(i);
    }
  }
  return out;
}

std::string TypeName(const FieldDescriptor* f) {
  std::string type = f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE ? f->message_type()->name()
                     : f->cpp_type() == FieldDescriptor::CPPTYPE_ENUM  ? f->enum_type()->name()
                                                                       : f->type_name();
  return f->is_repeated() ? absl::StrCat("repeated ", type) : type;
}

void PrintHelp(const std::map<std::string, const MethodDescriptor*>& subcommands) {
  std::cout
      << "usage: hotspotctl [--server=host:port] [--token=T | --token_file=F] [--purpose=WHY]\n"
         "                  [--json] [--deadline_s=30] [--tls_ca_file=PEM]\n"
         "                  [--tls_cert_file=PEM --tls_key_file=PEM]\n"
         "                  <subcommand> [--<field>=<value> ...]\n\n"
         "subcommands (hotspotctl <subcommand> --help for its fields):\n";
  for (const char* s : kServices) {
    std::cout << "  " << s << "\n";
    for (const auto& [name, method] : subcommands) {
      if (method->service()->full_name() != s) continue;
      std::cout << "    " << name << (Logged(method) ? "  (needs --purpose)" : "")
                << (method->server_streaming() ? "  (stream)" : "") << "\n";
    }
  }
  std::cout << "  demo: the same as load-demo (an admin seeds the demo area)\n"
               "  report --area_id=ID --from=YYYY-MM-DD --to=YYYY-MM-DD --out=FILE.html "
               "[--pdf=FILE.pdf] [--report_id=ID] [--chromium=PATH]:\n"
               "    the chief's frozen report as one HTML page with SVG charts, and a PDF\n";
}

// How a field's value is typed on the command line.
std::string HowTyped(const FieldDescriptor* f) {
  if (f->cpp_type() == FieldDescriptor::CPPTYPE_ENUM) {
    std::vector<std::string> values;
    for (int v = 1; v < f->enum_type()->value_count(); ++v) {
      values.push_back(f->enum_type()->value(v)->name());
    }
    return absl::StrCat("  {", absl::StrJoin(values, ", "), "}");
  }
  if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return "";
  const std::string& type = f->message_type()->full_name();
  if (type == "hotspot.v1.Date") return "  YYYY-MM-DD";
  if (type == "google.protobuf.Timestamp") return "  RFC 3339, e.g. 2026-12-01T09:00:00Z";
  return "";
}

// The fields of `type`, and under each message field its own fields (JSON members), down to
// dates and times; `seen` stops a message that contains itself.
void PrintFields(const Descriptor* type, int depth, std::set<const Descriptor*>& seen) {
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* f = type->field(i);
    const std::string name = depth == 0 ? absl::StrCat("--", f->name()) : f->name();
    std::cout << absl::StrFormat("  %*s%-*s %s%s\n", 2 * depth, "", std::max(1, 30 - 2 * depth),
                                 name, TypeName(f), HowTyped(f));
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && HowTyped(f).empty() &&
        f->message_type()->file()->package() == "hotspot.v1" && !f->is_map() &&
        seen.insert(f->message_type()).second) {
      PrintFields(f->message_type(), depth + 1, seen);
      seen.erase(f->message_type());
    }
  }
}

void PrintSubcommandHelp(const std::string& name, const MethodDescriptor* method) {
  std::cout << "usage: hotspotctl " << name << " [--<field>=<value> ...] [--request=<json>]\n"
            << "  " << method->full_name() << (Logged(method) ? "; needs --purpose" : "")
            << "\n\nfields of " << method->input_type()->full_name()
            << " (a message field's members, indented under it, are given as JSON: "
               "--field='{\"member\":…}'; a repeated field by repeating the flag):\n";
  std::set<const Descriptor*> seen = {method->input_type()};
  PrintFields(method->input_type(), 0, seen);
  if (method->input_type()->FindFieldByName("request_id") != nullptr) {
    std::cout << "\nWithout --request_id a new one is made; it is printed (\"request id\"), and "
                 "a retry with the same --request_id is answered from the log, never done "
                 "twice.\n";
  }
}

std::string JsonString(absl::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
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
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

// A flag's value as JSON for field `f`: dates as YYYY-MM-DD (or JSON), any date inside a
// message's JSON too. INVALID_ARGUMENT naming the field for a bad date.
absl::StatusOr<std::string> JsonValue(const FieldDescriptor* f, const std::string& value) {
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_BOOL:
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_FLOAT:
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return value;
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const std::string& type = f->message_type()->full_name();
      if (type == "google.protobuf.Timestamp" || type == "google.protobuf.Duration") {
        return JsonString(value);
      }
      std::string json = value;  // JSON as given
      absl::Status dates = type == "hotspot.v1.Date"
                               ? DateFlag(f->name(), value, &json)
                               : DatesFromText(f->message_type(), json);
      if (!dates.ok()) return dates;
      return json;
    }
    default:
      return JsonString(value);
  }
}

struct Call {
  std::string server = "127.0.0.1:50051";
  std::string token;
  std::string tls_ca_file;    // PEM; the system's CAs if empty and TLS is on
  std::string tls_cert_file;  // PEM client certificate (mTLS), with tls_key_file
  std::string tls_key_file;
  std::shared_ptr<grpc::ChannelCredentials> credentials;  // from the three above
  std::string purpose;
  bool json = false;
  int deadline_s = 30;
  bool wait = false;
  std::string subcommand;
  std::string request_json;                                // --request
  std::map<std::string, std::vector<std::string>> fields;  // --field=value, in order
  bool help = false;
};

int Usage(const std::string& message) {
  std::cerr << "hotspotctl: " << message << " (hotspotctl help)\n";
  return kUsage;
}

int ExitFor(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      return kOk;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE:
      return kUsage;
    case grpc::StatusCode::NOT_FOUND:
      return kNotFound;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::FAILED_PRECONDITION:
      return kConflict;
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
      return kNotAllowed;
    default:
      return kServer;
  }
}

std::string NewRequestId() {
  std::random_device random;
  std::mt19937_64 bits(random());
  return absl::StrFormat("cli-%016x%016x", bits(), bits());
}

// An answer in human form (render.h).
void PrintHuman(const Message& m, bool first = true) { std::cout << Render(m, first); }

void PrintJson(const Message& m, bool pretty) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.add_whitespace = pretty;
  (void)google::protobuf::util::MessageToJsonString(m, &json, options);
  std::cout << hotspot::common::EscapeJsonForTerminal(json) << (pretty ? "" : "\n");
}

void Progress(uint64_t done, uint64_t total) {
  const int width = 30;
  const int percent = total == 0 ? 100 : static_cast<int>(100 * std::min(done, total) / total);
  const int filled = width * percent / 100;
  std::cerr << "\r[" << std::string(filled, '#') << std::string(width - filled, ' ') << "] "
            << percent << "% " << done << "/" << total << std::flush;
}

// The channel's credentials: plaintext without TLS flags, otherwise TLS with the given CA and
// client certificate. A usage error (naming the flag) for a file that cannot be read, or a
// certificate without its key.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> CredentialsFor(const Call& call) {
  if (call.tls_ca_file.empty() && call.tls_cert_file.empty() && call.tls_key_file.empty()) {
    return grpc::InsecureChannelCredentials();
  }
  if (call.tls_cert_file.empty() != call.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls_cert_file and --tls_key_file: a client certificate needs its key");
  }
  grpc::SslCredentialsOptions options;
  const std::pair<const std::string*, std::string*> files[] = {
      {&call.tls_ca_file, &options.pem_root_certs},
      {&call.tls_cert_file, &options.pem_cert_chain},
      {&call.tls_key_file, &options.pem_private_key}};
  for (const auto& [path, pem] : files) {
    if (path->empty()) continue;
    std::ifstream in(*path);
    if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", *path));
    std::stringstream text;
    text << in.rdbuf();
    *pem = text.str();
  }
  return grpc::SslCredentials(options);
}

class Runner {
 public:
  explicit Runner(const Call& call)
      : call_(call), channel_(grpc::CreateChannel(call.server, call.credentials)) {}

  std::unique_ptr<grpc::ClientContext> Context() const {
    auto context = std::make_unique<grpc::ClientContext>();
    if (!call_.token.empty()) context->AddMetadata("authorization", "Bearer " + call_.token);
    // "-bin": gRPC sends the UTF-8 bytes base64-encoded, so any text (æ, ø, å) passes.
    if (!call_.purpose.empty()) context->AddMetadata("purpose-bin", call_.purpose);
    context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(call_.deadline_s)));
    return context;
  }

  // "/hotspot.v1.QueryService/GetCase".
  static std::string PathOf(const MethodDescriptor* method) {
    return absl::StrCat("/", method->service()->full_name(), "/", method->name());
  }

  grpc::Status Unary(const MethodDescriptor* method, const Message& request, Message* response) {
    const std::string name = PathOf(method);
    const grpc::internal::RpcMethod rpc(name.c_str(), grpc::internal::RpcMethod::NORMAL_RPC,
                                        channel_);
    auto context = Context();
    return grpc::internal::BlockingUnaryCall<Message, Message>(channel_.get(), rpc, context.get(),
                                                               request, response);
  }

  // Reads a server stream, calling `each` for every response until it returns false.
  grpc::Status Stream(const MethodDescriptor* method, const Message& request, Message* response,
                      const std::function<bool(const Message&)>& each) {
    const std::string name = PathOf(method);
    const grpc::internal::RpcMethod rpc(name.c_str(), grpc::internal::RpcMethod::SERVER_STREAMING,
                                        channel_);
    auto context = Context();
    if (method->name() == "Subscribe") {
      context->set_deadline(std::chrono::system_clock::time_point::max());  // until stopped
    }
    std::unique_ptr<grpc::ClientReader<Message>> reader(
        grpc::internal::ClientReaderFactory<Message>::Create(channel_.get(), rpc, context.get(),
                                                             request));
    while (reader->Read(response)) {
      if (!each(*response)) {
        context->TryCancel();
        while (reader->Read(response)) {
        }
        reader->Finish();
        return grpc::Status::OK;
      }
    }
    return reader->Finish();
  }

 private:
  const Call& call_;
  std::shared_ptr<grpc::Channel> channel_;
};

const MethodDescriptor* FindMethod(const std::string& service, const std::string& method) {
  return google::protobuf::DescriptorPool::generated_pool()
      ->FindServiceByName(absl::StrCat("hotspot.v1.", service))
      ->FindMethodByName(method);
}

// Runs `argv` (argv[0] looked up in PATH) with its output discarded; its exit code, or -1.
int Spawn(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// hotspotctl report: GetReport, rendered (see the file's comment).
int Report(const Call& call) {
  auto flag = [&](const std::string& name) -> std::string {
    const auto it = call.fields.find(name);
    return it == call.fields.end() ? "" : it->second.back();
  };
  for (const auto& [name, values] : call.fields) {
    if (name != "area_id" && name != "from" && name != "to" && name != "out" && name != "pdf" &&
        name != "report_id" && name != "chromium") {
      return Usage(absl::StrCat("report: no flag --", name));
    }
  }
  v1::GetReportRequest request;
  request.set_area_id(flag("area_id"));
  request.set_report_id(flag("report_id"));
  if (request.area_id().empty()) return Usage("report: --area_id is required");
  for (const auto& [name, date] : {std::pair{"from", request.mutable_period_start()},
                                   std::pair{"to", request.mutable_period_end()}}) {
    if (flag(name).empty() && !request.report_id().empty()) continue;
    absl::CivilDay day;
    if (!absl::ParseCivilTime(flag(name), &day)) {
      return Usage(absl::StrCat("report: --", name, " must be a date, YYYY-MM-DD"));
    }
    date->set_year(static_cast<int32_t>(day.year()));
    date->set_month(day.month());
    date->set_day(day.day());
  }
  const std::string out = flag("out");
  if (out.empty()) return Usage("report: --out=FILE.html is required");
  Runner runner(call);
  v1::GetReportResponse response;
  const grpc::Status status =
      runner.Unary(FindMethod("QueryService", "GetReport"), request, &response);
  if (!status.ok()) {
    std::cerr << "hotspotctl: report: "
              << hotspot::common::EscapeForTerminal(status.error_message()) << "\n";
    return ExitFor(status);
  }
  {
    std::ofstream html(out, std::ios::binary | std::ios::trunc);
    html << RenderReportHtml(response.report());
    if (!html.flush()) {
      std::cerr << "hotspotctl: report: cannot write " << out << "\n";
      return kServer;
    }
  }
  // The id is the server's text: escaped, as every other text it sends.
  const std::string report_id =
      hotspot::common::EscapeForTerminal(response.report().report().report_id());
  std::cout << "report " << report_id << ": " << out << "\n";
  const std::string pdf = flag("pdf");
  if (pdf.empty()) return kOk;
  std::string chromium = flag("chromium");
  if (chromium.empty())
    chromium = getenv("HOTSPOT_CHROMIUM") ? getenv("HOTSPOT_CHROMIUM") : "chromium";
  // A profile of its own, so that runs side by side do not share one.
  std::string profile = (std::filesystem::temp_directory_path() / "hotspotctl-XXXXXX").string();
  if (mkdtemp(profile.data()) == nullptr) {
    std::cerr << "hotspotctl: report: cannot make a temporary directory\n";
    return kServer;
  }
  std::error_code ec;
  std::filesystem::remove(pdf, ec);
  const int exit_code =
      Spawn({chromium, "--headless", "--no-sandbox", "--disable-background-networking",
             "--disable-gpu", absl::StrCat("--user-data-dir=", profile), "--no-pdf-header-footer",
             absl::StrCat("--print-to-pdf=", pdf),
             absl::StrCat("file://", std::filesystem::absolute(out).string())});
  std::filesystem::remove_all(profile, ec);
  if (exit_code != 0 || !std::filesystem::exists(pdf)) {
    std::cerr << "hotspotctl: report: " << chromium << " did not print " << pdf << " (exit "
              << exit_code << "); is Debian's chromium installed (scripts/deps.sh)?\n";
    return kServer;
  }
  std::cout << "report " << report_id << ": " << pdf << "\n";
  return kOk;
}

int Run(int argc, char** argv) {
  Call call;
  if (const char* server = getenv("HOTSPOT_SERVER")) call.server = server;
  if (const char* token = getenv("HOTSPOT_TOKEN")) call.token = token;
  std::string token_file = getenv("HOTSPOT_TOKEN_FILE") ? getenv("HOTSPOT_TOKEN_FILE") : "";
  if (const char* purpose = getenv("HOTSPOT_PURPOSE")) call.purpose = purpose;
  if (const char* ca = getenv("HOTSPOT_TLS_CA_FILE")) call.tls_ca_file = ca;
  if (const char* cert = getenv("HOTSPOT_TLS_CERT_FILE")) call.tls_cert_file = cert;
  if (const char* key = getenv("HOTSPOT_TLS_KEY_FILE")) call.tls_key_file = key;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (!absl::StartsWith(arg, "--")) {
      if (!call.subcommand.empty()) return Usage(absl::StrCat("unexpected argument ", arg));
      call.subcommand = arg;
      continue;
    }
    const size_t eq = arg.find('=');
    std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    for (char& c : name) c = c == '-' ? '_' : c;
    const bool has_value = eq != std::string::npos;
    const std::string value = has_value ? arg.substr(eq + 1) : "";
    if (name == "help") {
      call.help = true;
    } else if (name == "json") {
      call.json = true;
    } else if (name == "wait") {
      call.wait = true;
    } else if (name == "server" || name == "token" || name == "token_file" || name == "purpose" ||
               name == "deadline_s" || name == "request" || name == "tls_ca_file" ||
               name == "tls_cert_file" || name == "tls_key_file") {
      if (!has_value) return Usage(absl::StrCat("--", name, " needs a value (--", name, "=...)"));
      if (name == "server") call.server = value;
      if (name == "tls_ca_file") call.tls_ca_file = value;
      if (name == "tls_cert_file") call.tls_cert_file = value;
      if (name == "tls_key_file") call.tls_key_file = value;
      if (name == "token") call.token = value;
      if (name == "token_file") token_file = value;
      if (name == "purpose") call.purpose = value;
      if (name == "request") call.request_json = value;
      if (name == "deadline_s" &&
          (!absl::SimpleAtoi(value, &call.deadline_s) || call.deadline_s <= 0)) {
        return Usage("--deadline_s: a positive number of seconds");
      }
    } else {
      if (call.subcommand.empty()) return Usage(absl::StrCat("--", name, " before the subcommand"));
      call.fields[name].push_back(has_value ? value : "true");
    }
  }
  const auto subcommands = Subcommands();
  if (call.subcommand.empty() || call.subcommand == "help") {
    PrintHelp(subcommands);
    return call.subcommand.empty() && !call.help ? kUsage : kOk;
  }
  if (call.subcommand == "demo") call.subcommand = "load-demo";
  if (call.token.empty() && !token_file.empty()) {
    std::ifstream in(token_file);
    if (!in) return Usage(absl::StrCat("--token_file: cannot read ", token_file));
    std::getline(in, call.token);
    call.token = std::string(absl::StripAsciiWhitespace(call.token));
  }
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials = CredentialsFor(call);
  if (!credentials.ok()) return Usage(std::string(credentials.status().message()));
  call.credentials = *std::move(credentials);
  if (call.subcommand == "report" && !call.help) return Report(call);
  if (call.subcommand == "report") {
    PrintHelp(subcommands);
    return kOk;
  }
  const auto found = subcommands.find(call.subcommand);
  if (found == subcommands.end())
    return Usage(absl::StrCat("unknown subcommand ", call.subcommand));
  const MethodDescriptor* method = found->second;
  if (call.help) {
    PrintSubcommandHelp(found->first, method);
    return kOk;
  }
  if (Logged(method) && call.purpose.empty()) {
    return Usage(absl::StrCat(found->first, " reads a youth's data: give --purpose=<why>"));
  }

  // The request: --request, then each field flag.
  const Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(method->input_type());
  std::unique_ptr<Message> request(prototype->New());
  if (!call.request_json.empty()) {
    if (absl::Status dates = DatesFromText(method->input_type(), call.request_json); !dates.ok()) {
      return Usage(absl::StrCat("--request: ", dates.message()));
    }
    const auto parsed =
        google::protobuf::util::JsonStringToMessage(call.request_json, request.get());
    if (!parsed.ok()) return Usage(absl::StrCat("--request: ", std::string(parsed.message())));
  }
  std::vector<std::string> members;
  for (const auto& [name, values] : call.fields) {
    const FieldDescriptor* f = method->input_type()->FindFieldByName(name);
    if (f == nullptr) {
      return Usage(
          absl::StrCat("--", name, ": ", method->input_type()->name(), " has no such field"));
    }
    std::vector<std::string> json;
    for (const std::string& v : values) {
      absl::StatusOr<std::string> one = JsonValue(f, v);
      if (!one.ok()) return Usage(absl::StrCat("--", one.status().message()));
      json.push_back(*std::move(one));
    }
    if (!f->is_repeated() && json.size() > 1)
      return Usage(absl::StrCat("--", name, ": given twice"));
    members.push_back(absl::StrCat(
        JsonString(name), ":",
        f->is_repeated() ? absl::StrCat("[", absl::StrJoin(json, ","), "]") : json[0]));
  }
  if (!members.empty()) {
    std::unique_ptr<Message> from_flags(prototype->New());
    google::protobuf::util::JsonParseOptions options;
    const auto parsed = google::protobuf::util::JsonStringToMessage(
        absl::StrCat("{", absl::StrJoin(members, ","), "}"), from_flags.get(), options);
    if (!parsed.ok()) return Usage(absl::StrCat(found->first, ": ", std::string(parsed.message())));
    request->MergeFrom(*from_flags);
  }
  // A request that carries a request id (every command) gets one unless --request_id gives it,
  // and says which it used: a retry with the same id is answered from the log, never done twice.
  std::string request_id;
  if (const FieldDescriptor* id = method->input_type()->FindFieldByName("request_id");
      id != nullptr && id->cpp_type() == FieldDescriptor::CPPTYPE_STRING && !id->is_repeated()) {
    if (request->GetReflection()->GetString(*request, id).empty()) {
      request->GetReflection()->SetString(request.get(), id, NewRequestId());
    }
    request_id = request->GetReflection()->GetString(*request, id);
  }

  Runner runner(call);
  std::unique_ptr<Message> response(google::protobuf::MessageFactory::generated_factory()
                                        ->GetPrototype(method->output_type())
                                        ->New());
  grpc::Status status;
  if (method->server_streaming()) {
    bool first = true;
    const bool export_log = method->name() == "ExportAccessLog";
    const bool history = method->name() == "GetCaseHistory";
    const bool backup = method->name() == "Backup";
    uint64_t events = 0;
    status = runner.Stream(method, *request, response.get(), [&](const Message& m) {
      if (call.json) {
        PrintJson(m, false);
      } else {
        PrintHuman(m, first);
      }
      first = false;
      if (export_log) {
        const auto& e = static_cast<const v1::ExportAccessLogResponse&>(m);
        Progress(e.sent(), e.total());
      }
      if (history) {
        const auto& h = static_cast<const v1::GetCaseHistoryResponse&>(m);
        events += h.events_size();
        Progress(events, h.total());
      }
      if (backup) {
        const auto& b = static_cast<const v1::BackupResponse&>(m);
        Progress(b.parts_done(), b.parts_total());
      }
      return true;
    });
    if (export_log || history || backup) std::cerr << "\n";
  } else {
    status = runner.Unary(method, *request, response.get());
    if (status.ok()) {
      if (call.json) {
        PrintJson(*response, true);
        std::cout << "\n";
      } else {
        PrintHuman(*response);
      }
      if (!request_id.empty()) {
        (call.json ? std::cerr : std::cout)
            << "request id  " << hotspot::common::EscapeForTerminal(request_id) << "\n";
      }
    }
    if (status.ok() && call.wait && method->name() == "RebuildProjection") {
      // Follow the rebuild until it is swapped in.
      const auto& view = static_cast<const v1::RebuildProjectionRequest&>(*request).view();
      const MethodDescriptor* get = FindMethod("AdminService", "GetProjectionStatus");
      for (;;) {
        v1::GetProjectionStatusResponse progress;
        status = runner.Unary(get, v1::GetProjectionStatusRequest(), &progress);
        if (!status.ok()) break;
        bool done = true;
        for (const v1::RebuildStatus& r : progress.rebuilds()) {
          if (r.view() != view) continue;
          if (r.target() > 0) Progress(r.position(), std::max(r.target(), r.position()));
          done = r.done();
        }
        if (done) break;
        usleep(200'000);
      }
      std::cerr << "\n";
    }
  }
  if (!status.ok()) {
    static const char* const kCodes[] = {"OK",
                                         "CANCELLED",
                                         "UNKNOWN",
                                         "INVALID_ARGUMENT",
                                         "DEADLINE_EXCEEDED",
                                         "NOT_FOUND",
                                         "ALREADY_EXISTS",
                                         "PERMISSION_DENIED",
                                         "RESOURCE_EXHAUSTED",
                                         "FAILED_PRECONDITION",
                                         "ABORTED",
                                         "OUT_OF_RANGE",
                                         "UNIMPLEMENTED",
                                         "INTERNAL",
                                         "UNAVAILABLE",
                                         "DATA_LOSS",
                                         "UNAUTHENTICATED"};
    const int code = status.error_code();
    std::cerr << "hotspotctl: " << found->first << ": "
              << (code >= 0 && code <= 16 ? kCodes[code] : "UNKNOWN") << ": "
              << hotspot::common::EscapeForTerminal(status.error_message()) << "\n";
    if (!request_id.empty()) {
      // Whether the command was done is unknown after UNAVAILABLE or DEADLINE_EXCEEDED: the
      // same id makes a retry safe.
      std::cerr << "hotspotctl: request id " << hotspot::common::EscapeForTerminal(request_id)
                << " (retry with --request_id="
                << hotspot::common::EscapeForTerminal(request_id) << ")\n";
    }
  }
  return ExitFor(status);
}

}  // namespace
}  // namespace hotspot::cli

int main(int argc, char** argv) { return hotspot::cli::Run(argc, argv); }
