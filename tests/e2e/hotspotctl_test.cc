// hotspotctl against a real hotspotd: every RPC is a subcommand, answers come as tables or
// protobuf JSON, progress bars for long operations, and the exit code tells the kind of error.
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "hotspot/v1/audit_service.pb.h"
#include "hotspot/v1/command_service.pb.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "hotspot/v1/query_service.grpc.pb.h"
#include "store/event_store.h"
#include "store/test_util.h"
#include "tests/e2e/shell_util.h"
#include "tests/e2e/suite_server.h"

namespace hotspot::testing {
namespace {

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class HotspotctlTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto started = StartSuiteServer(HOTSPOTD_PATH, {"--demo", "--sync=false"});
    ASSERT_TRUE(started.ok()) << started.status();
    suite_ = started->release();
  }
  static void TearDownTestSuite() {
    delete suite_;
    suite_ = nullptr;
  }

  // Runs hotspotctl as `who` ("" for no token) with `args`.
  static Result Ctl(const security::Principal* who, const std::vector<std::string>& args) {
    std::string command = absl::StrCat(HOTSPOTCTL_PATH, " --server=", suite_->process->address());
    if (who != nullptr) absl::StrAppend(&command, " --token=", suite_->tokens.at(who->person));
    for (const std::string& arg : args) absl::StrAppend(&command, " ", Quote(arg));
    const std::string out = suite_->dir.Sub("ctl.out"), err = suite_->dir.Sub("ctl.err");
    absl::StrAppend(&command, " >", out, " 2>", err);
    const int status = std::system(command.c_str());
    Result result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = Slurp(out);
    result.err = Slurp(err);
    return result;
  }

  static SuiteServer* suite_;
};

SuiteServer* HotspotctlTest::suite_ = nullptr;

TEST_F(HotspotctlTest, EveryRpcIsASubcommandWithHelp) {
  const Result help = Ctl(nullptr, {"help"});
  EXPECT_EQ(help.exit_code, 0);
  // Every command, as ReferYouth -> refer-youth.
  const auto* commands =
      v1::ReferYouthRequest::descriptor()->file()->FindServiceByName("CommandService");
  ASSERT_NE(commands, nullptr);
  for (int i = 0; i < commands->method_count(); ++i) {
    std::string kebab;
    for (char c : commands->method(i)->name()) {
      if (absl::ascii_isupper(c) && !kebab.empty()) kebab += '-';
      kebab += absl::ascii_tolower(c);
    }
    EXPECT_TRUE(absl::StrContains(help.out, absl::StrCat("    ", kebab, "\n"))) << kebab;
  }
  for (const char* sub :
       {"refer-youth", "record-decision", "get-case", "list-commitments", "get-case-history",
        "export-access-log", "verify-log", "subscribe", "rebuild-projection", "load-demo"}) {
    EXPECT_TRUE(absl::StrContains(help.out, absl::StrCat("    ", sub, "\n")) ||
                absl::StrContains(help.out, absl::StrCat("    ", sub, "  ")))
        << sub;
  }
  const Result fields = Ctl(nullptr, {"record-decision", "--help"});
  EXPECT_EQ(fields.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(fields.out, "--commitments")) << fields.out;
  EXPECT_TRUE(absl::StrContains(fields.out, "repeated NewCommitment"));
  // Nested fields, under the field that holds them, with how a date is typed.
  EXPECT_TRUE(absl::StrContains(fields.out, "\n    due_date ")) << fields.out;
  EXPECT_TRUE(absl::StrContains(fields.out, "Date  YYYY-MM-DD")) << fields.out;
  EXPECT_TRUE(absl::StrContains(fields.out, "--request_id")) << fields.out;
  EXPECT_EQ(Ctl(nullptr, {"no-such-thing"}).exit_code, 2);
}

TEST_F(HotspotctlTest, CommandsQueriesTablesJsonAndExitCodes) {
  const scenario::Cast& cast = suite_->cast;
  const std::vector<std::string> referral = {"refer-youth",
                                             "--area_id=area-sjaelor-boulevard",
                                             "--referring_agency_id=agency-school-sjaelor",
                                             "--referred_by=teacher-ole",
                                             "--concerns=CONCERN_CATEGORY_SCHOOL_ABSENCE",
                                             "--description=Absent for weeks",
                                             "--urgency=URGENCY_HIGH",
                                             "--identity_known",
                                             "--name=Cli Youth",
                                             "--request_id=ctl-referral-1"};
  Result referred = Ctl(&cast.chief, referral);
  ASSERT_EQ(referred.exit_code, 0) << referred.err;
  std::string youth;
  for (absl::string_view line : absl::StrSplit(referred.out, '\n')) {
    if (absl::ConsumePrefix(&line, "id ")) youth = std::string(absl::StripLeadingAsciiWhitespace(line));
  }
  ASSERT_TRUE(absl::StartsWith(youth, "youth-")) << referred.out;
  // The request id it used, for a retry.
  EXPECT_TRUE(absl::StrContains(referred.out, "\nrequest id  ctl-referral-1\n")) << referred.out;
  // Without --request_id, a new one, printed (after a failure too, for the retry).
  const Result staffed = Ctl(&cast.chief, {"assign-staff", "--area_id=area-sjaelor-boulevard",
                                           "--person=staff-jonas"});
  std::string generated;
  for (absl::string_view line : absl::StrSplit(staffed.out + staffed.err, '\n')) {
    if (absl::ConsumePrefix(&line, "request id  ")) generated = std::string(line);
    if (absl::ConsumePrefix(&line, "hotspotctl: request id ")) {
      generated = std::string(line.substr(0, line.find(' ')));
    }
  }
  ASSERT_TRUE(absl::StartsWith(generated, "cli-")) << staffed.out << staffed.err;
  // A date as YYYY-MM-DD, and a bad one refused naming its field.
  const Result dated = Ctl(&cast.chief, {"get-area-dashboard", "--area_id=area-sjaelor-boulevard",
                                         "--period_start=2026-01-01", "--period_end=2026-06-30"});
  ASSERT_EQ(dated.exit_code, 0) << dated.err;
  EXPECT_TRUE(absl::StrContains(dated.out, "period start                     2026-01-01\n"))
      << dated.out;
  const Result bad_date = Ctl(&cast.chief, {"get-area-dashboard", "--area_id=area-sjaelor-boulevard",
                                            "--period_start=2026-02-30"});
  EXPECT_EQ(bad_date.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(bad_date.err, "period_start: a date is YYYY-MM-DD")) << bad_date.err;
  // Inside a message's JSON too, and in --request.
  const Result bad_nested =
      Ctl(&cast.chief, {"get-area-dashboard", R"(--request={"area_id":"a","period_end":"2026-13-01"})"});
  EXPECT_EQ(bad_nested.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(bad_nested.err, "period_end: a date is YYYY-MM-DD")) << bad_nested.err;

  // --json is protobuf JSON: it parses back, with the name in clear for the chief.
  Result got = Ctl(&cast.chief, {"get-case", "--youth_id=" + youth,
                                 "--purpose=case_coordination: cli test", "--json"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  v1::GetCaseResponse response;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(got.out, &response).ok()) << got.out;
  EXPECT_EQ(response.case_view().name().text(), "Cli Youth");

  // A table: a header and a row per case.
  Result cases = Ctl(&cast.chief, {"list-cases", "--area_id=area-sjaelor-boulevard",
                                   "--page_size=5", "--purpose=case_coordination: cli test"});
  ASSERT_EQ(cases.exit_code, 0) << cases.err;
  EXPECT_TRUE(absl::StartsWith(cases.out, "youth  ")) << cases.out;
  EXPECT_TRUE(absl::StrContains(cases.out, " name ")) << cases.out;
  // A blank line, then the page token and the position.
  EXPECT_EQ(std::count(cases.out.begin(), cases.out.end(), '\n'), 1 + 5 + 3) << cases.out;

  // Exit codes: usage 2, not found 3, conflict 4, not allowed 5.
  EXPECT_EQ(Ctl(&cast.chief, {"get-case", "--youth_id=" + youth}).exit_code, 2);  // no purpose
  EXPECT_EQ(
      Ctl(&cast.chief, {"get-case", "--no_such_field=1", "--purpose=case_coordination"}).exit_code,
      2);
  EXPECT_EQ(Ctl(&cast.chief, {"get-case", "--youth_id=not-a-youth", "--purpose=case_coordination"})
                .exit_code,
            2);
  const Result missing =
      Ctl(&cast.chief, {"get-case", "--youth_id=youth-nobody", "--purpose=case_coordination"});
  // No case: refused as another area's youth is (the chief may not learn which ids exist).
  EXPECT_EQ(missing.exit_code, 5);
  EXPECT_TRUE(absl::StrContains(missing.err, "PERMISSION_DENIED")) << missing.err;
  std::vector<std::string> other = referral;
  other[5] = "--description=Something else";
  EXPECT_EQ(Ctl(&cast.chief, other).exit_code, 4);  // the request id with other content
  EXPECT_EQ(Ctl(&cast.school_member, {"rebuild-projection", "--view=cases.v10"}).exit_code, 5);
  EXPECT_EQ(Ctl(nullptr, {"verify-log"}).exit_code, 5);
}

TEST_F(HotspotctlTest, ProgressBarsDemoAndStreams) {
  const scenario::Cast& cast = suite_->cast;
  const Result exported = Ctl(&cast.auditor, {"export-access-log", "--purpose=audit"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_TRUE(absl::StrContains(exported.err, "100%")) << exported.err;
  const Result rebuilt = Ctl(&cast.admin, {"rebuild-projection", "--view=cases.v10", "--wait"});
  ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.err;
  EXPECT_TRUE(absl::StrContains(rebuilt.err, "100%")) << rebuilt.err;
  const Result demo = Ctl(&cast.admin, {"demo"});
  ASSERT_EQ(demo.exit_code, 0) << demo.err;
  EXPECT_TRUE(absl::StrContains(demo.out, "replayed  ")) << demo.out;  // loaded at start already
  // A stream: one JSON object per line.
  const Result listed =
      Ctl(&cast.chief, {"list-cases", "--area_id=area-sjaelor-boulevard", "--page_size=1",
                        "--purpose=case_coordination: cli test", "--json"});
  v1::ListCasesResponse cases;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(listed.out, &cases).ok()) << listed.out;
  ASSERT_EQ(cases.cases_size(), 1);
  const Result history = Ctl(&cast.auditor, {"get-case-history", "--purpose=audit", "--json",
                                             "--youth_id=" + cases.cases(0).youth_id()});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  EXPECT_TRUE(absl::StrContains(history.err, "100%")) << history.err;
  int lines = 0;
  for (absl::string_view line : absl::StrSplit(history.out, '\n', absl::SkipEmpty())) {
    v1::GetCaseHistoryResponse response;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(std::string(line), &response).ok())
        << line;
    EXPECT_GT(response.events_size(), 0);
    ++lines;
  }
  EXPECT_GE(lines, 1);
  // A backup: the log, the keys and the access log, each a checkpoint that opens.
  const std::string backup_dir = suite_->dir.Sub("backup");
  const Result backup = Ctl(&cast.admin, {"backup", "--directory=" + backup_dir});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  EXPECT_TRUE(absl::StrContains(backup.err, "100%")) << backup.err;
  {
    store::Options options;
    options.create_if_missing = false;
    auto copy = store::EventStore::Open(std::move(options), backup_dir + "/events");
    ASSERT_TRUE(copy.ok()) << copy.status();
    EXPECT_GT((*copy)->HeadPosition(), 100u);
    EXPECT_TRUE((*copy)->Verify(1, (*copy)->HeadPosition()).status.ok());
  }
  EXPECT_TRUE(std::filesystem::exists(backup_dir + "/keys/CURRENT"));
  EXPECT_TRUE(std::filesystem::exists(backup_dir + "/access/CURRENT"));
  EXPECT_EQ(Ctl(&cast.admin, {"backup", "--directory=" + backup_dir}).exit_code, 2);  // exists
  EXPECT_EQ(Ctl(&cast.chief, {"backup", "--directory=" + backup_dir + "2"}).exit_code, 5);

  const Result verified = Ctl(&cast.auditor, {"verify-log"});
  EXPECT_EQ(verified.exit_code, 0) << verified.err;
  EXPECT_TRUE(absl::StartsWith(verified.out, "ok             yes\n")) << verified.out;
}

// A QueryService that answers GetReport with text of its own choosing: an error whose message
// holds terminal escapes, or a report whose id does.
class HostileReports final : public v1::QueryService::Service {
 public:
  bool fail = true;
  grpc::Status GetReport(grpc::ServerContext*, const v1::GetReportRequest*,
                         v1::GetReportResponse* response) override {
    if (fail) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no report \x1b[2J\xe2\x80\xae here");
    }
    response->mutable_report()->mutable_report()->set_report_id("report-\x1b]0;owned\x07");
    return grpc::Status::OK;
  }
};

// hotspotctl report prints what a server sends escaped for the terminal, its error message and
// the report's id alike, as every other command does: a server (or a man in the middle of a
// plaintext connection) cannot send escape codes to an operator's terminal.
TEST(HotspotctlReportTest, TheServersTextIsEscaped) {
  store::testing::TempDir dir;
  HostileReports service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  auto run = [&] {
    const std::string out = dir.Sub("out"), err = dir.Sub("err");
    const std::string command = absl::StrCat(
        HOTSPOTCTL_PATH, " --server=127.0.0.1:", port, " --token=t report --area_id=area-x",
        " --report_id=report-x --out=", dir.Sub("report.html"), " >", out, " 2>", err);
    const int status = std::system(command.c_str());
    return Result{WIFEXITED(status) ? WEXITSTATUS(status) : -1, Slurp(out), Slurp(err)};
  };
  const Result failed = run();
  EXPECT_NE(failed.exit_code, 0);
  EXPECT_EQ(failed.err.find('\x1b'), std::string::npos) << failed.err;
  EXPECT_EQ(failed.err.find("\xe2\x80\xae"), std::string::npos) << failed.err;
  EXPECT_TRUE(absl::StrContains(failed.err, "no report \\x1b[2J\\u202e here")) << failed.err;

  service.fail = false;
  const Result answered = run();
  EXPECT_EQ(answered.exit_code, 0) << answered.err;
  EXPECT_EQ(answered.out.find('\x1b'), std::string::npos) << answered.out;
  EXPECT_EQ(answered.out.find('\x07'), std::string::npos) << answered.out;
  EXPECT_TRUE(absl::StrContains(answered.out, "report report-\\x1b]0;owned\\x07: "))
      << answered.out;
  server->Shutdown();
}

}  // namespace
}  // namespace hotspot::testing
