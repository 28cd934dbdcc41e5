// hotspotctl's readable output, checked against golden renderings of the demo: the demo's first
// case (a named youth: a consent, a shared concern, a social decision, a closed plan) and its
// first youth nobody knows yet (no name, no CPR number: absent, "—"), read with get-case,
// get-case-history and get-area-dashboard as the chief and as a police officer who is not
// involved in either case (what is there but not for her reads "(sealed)"; what was never given
// still reads "—").
//
// The demo is played backdated from the day hotspotd starts, with fresh ids: before comparing,
// each id ("youth-0193…") becomes "<youth-1>", "<youth-2>", … in order of appearance, each date
// "D+n" (days after the demo's first day) and a date before that day or far after it (the
// measurements' year ends, the programme's adoption) "Y-n-MM-DD" (n years before the demo's
// year), a notification's receipt due date "<6 working days on>" (its calendar days depend on
// the weekday). Birth dates and 18th birthdays are the scenario's own and stay as they are. Ages on
// record (a consent's giver age) depend on the year the demo is played: masked. The deadline
// process is off, so nothing but the demo writes.
//
// HOTSPOT_UPDATE_GOLDEN=1 rewrites the files in tests/e2e/hotspotctl_golden/; review the diff.
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "hotspot/v1/query_service.pb.h"
#include "tests/e2e/shell_util.h"
#include "tests/e2e/suite_server.h"

namespace hotspot::testing {
namespace {

// `masked` in place of `length` characters of `line` that end at `end`: padded to that length
// in a table's cell (followed by the two spaces between columns), so that columns stay aligned.
std::string PadCell(std::string masked, size_t length, const std::string& line, size_t end) {
  if (line.compare(end, 2, "  ") == 0 && masked.size() < length) masked.resize(length, ' ');
  return masked;
}

// `text` with ids numbered and dates relative to `base` (see the file's comment).
std::string Mask(const std::string& text, absl::CivilDay base) {
  static const std::regex kId(
      R"(\b([a-z]+)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b)");
  static const std::regex kDate(R"(\b(\d{4})-(\d{2})-(\d{2})( \d{2}:\d{2}(:\d{2})?)?\b)");
  static const std::regex kAge(R"(giver age( +)\d+)");
  std::map<std::string, std::string> ids;
  std::map<std::string, int> per_kind;
  std::vector<std::string> out;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    std::string line(raw);
    std::string masked;
    auto begin = std::sregex_iterator(line.begin(), line.end(), kId);
    size_t at = 0;
    for (auto it = begin; it != std::sregex_iterator(); ++it) {
      masked += line.substr(at, it->position() - at);
      auto [found, fresh] = ids.try_emplace(it->str(), "");
      if (fresh) found->second = absl::StrCat("<", (*it)[1].str(), "-", ++per_kind[(*it)[1]], ">");
      masked += PadCell(found->second, it->length(), line, it->position() + it->length());
      at = it->position() + it->length();
    }
    line = masked + line.substr(at);
    if (!absl::StrContains(line, "birth")) {
      masked.clear();
      at = 0;
      for (auto it = std::sregex_iterator(line.begin(), line.end(), kDate);
           it != std::sregex_iterator(); ++it) {
        masked += line.substr(at, it->position() - at);
        int y = 0, m = 0, d = 0;
        (void)absl::SimpleAtoi((*it)[1].str(), &y);
        (void)absl::SimpleAtoi((*it)[2].str(), &m);
        (void)absl::SimpleAtoi((*it)[3].str(), &d);
        const int64_t days = absl::CivilDay(y, m, d) - base;
        // A notification's receipt is due 6 working days on: how many calendar days that is
        // depends on the weekday the demo is played on.
        const std::string day = absl::StrContains(line, "receipt due")
                                    ? std::string("<6 working days on>")
                                : days >= 0 && days <= 1200
                                    ? absl::StrCat("D+", days)
                                    : absl::StrFormat("Y%+d-%02d-%02d", y - base.year(), m, d);
        masked += PadCell(absl::StrCat(day, (*it)[4].str()), it->length(), line,
                          it->position() + it->length());
        at = it->position() + it->length();
      }
      line = masked + line.substr(at);
    }
    line = std::regex_replace(line, kAge, "giver age$1<age>");
    out.push_back(line);
  }
  return absl::StrJoin(out, "\n");
}

class HotspotctlGoldenTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto started =
        StartSuiteServer(HOTSPOTD_PATH, {"--demo", "--sync=false", "--deadline_interval_s=0"});
    ASSERT_TRUE(started.ok()) << started.status();
    suite_ = started->release();
  }
  static void TearDownTestSuite() {
    delete suite_;
    suite_ = nullptr;
  }

  // hotspotctl as `who` with `args`: what it printed, and on a failure its exit code and error
  // (progress bars left out).
  static std::string Ctl(const security::Principal& who, const std::vector<std::string>& args,
                         int* exit_code = nullptr) {
    std::string command = absl::StrCat(HOTSPOTCTL_PATH, " --server=", suite_->process->address(),
                                       " --token=", suite_->tokens.at(who.person));
    for (const std::string& arg : args) absl::StrAppend(&command, " ", Quote(arg));
    const std::string out = suite_->dir.Sub("golden.out"), err = suite_->dir.Sub("golden.err");
    absl::StrAppend(&command, " >", out, " 2>", err);
    const int status = std::system(command.c_str());
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (exit_code != nullptr) *exit_code = code;
    std::string result = Slurp(out);
    if (code != 0) {
      absl::StrAppend(&result, "exit ", code, "\n");
      for (absl::string_view line : absl::StrSplit(Slurp(err), '\n')) {
        if (absl::StartsWith(line, "hotspotctl:")) absl::StrAppend(&result, line, "\n");
      }
    }
    return result;
  }

  // The demo's first case, its first youth nobody knows, and its first day.
  struct Demo {
    std::string first_youth, unknown_youth;
    absl::CivilDay first_day;
  };
  static Demo FindDemo() {
    int code = -1;
    const std::string json =
        Ctl(suite_->cast.chief,
            {"list-cases", "--area_id=area-sjaelor-boulevard", "--page_size=100",
             "--purpose=case_coordination: golden rendering", "--json"},
            &code);
    EXPECT_EQ(code, 0) << json;
    v1::ListCasesResponse cases;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &cases).ok()) << json;
    Demo demo;
    int64_t first = 0, unknown = 0;
    for (const v1::CaseView& c : cases.cases()) {
      const int64_t at = c.referral().referred_at().seconds();
      if (demo.first_youth.empty() || at < first) {
        demo.first_youth = c.youth_id();
        first = at;
      }
      if (!c.identity_known() && (demo.unknown_youth.empty() || at < unknown)) {
        demo.unknown_youth = c.youth_id();
        unknown = at;
      }
    }
    // The first referral is on day 1 of the demo.
    demo.first_day =
        absl::ToCivilDay(absl::FromUnixSeconds(first), absl::UTCTimeZone()) - 1;
    return demo;
  }

  static void ExpectGolden(const std::string& name, const std::string& rendered,
                           absl::CivilDay base) {
    const std::string path = absl::StrCat(GOLDEN_DIR, "/", name, ".txt");
    const std::string masked = Mask(rendered, base);
    if (const char* update = std::getenv("HOTSPOT_UPDATE_GOLDEN"); update && *update == '1') {
      std::ofstream(path, std::ios::trunc) << masked;
      return;
    }
    EXPECT_EQ(masked, Slurp(path)) << "rendering differs from " << path
                                   << " (HOTSPOT_UPDATE_GOLDEN=1 rewrites it)";
  }

  static SuiteServer* suite_;
};

SuiteServer* HotspotctlGoldenTest::suite_ = nullptr;

TEST_F(HotspotctlGoldenTest, CaseAsChiefAndAsPolice) {
  const Demo demo = FindDemo();
  ASSERT_FALSE(demo.first_youth.empty());
  ASSERT_FALSE(demo.unknown_youth.empty());
  for (const auto& [who, role] : {std::pair{&suite_->cast.chief, "chief"},
                                  std::pair{&suite_->cast.police_member, "police"}}) {
    for (const auto& [youth, which] :
         {std::pair{demo.first_youth, "first"}, std::pair{demo.unknown_youth, "unknown"}}) {
      ExpectGolden(absl::StrCat("get_case_", which, "_", role),
                   Ctl(*who, {"get-case", "--youth_id=" + youth,
                              "--purpose=case_coordination: golden rendering"}),
                   demo.first_day);
    }
  }
}

TEST_F(HotspotctlGoldenTest, HistoryAsChiefAndAsPolice) {
  const Demo demo = FindDemo();
  ExpectGolden("get_case_history_first_chief",
               Ctl(suite_->cast.chief, {"get-case-history", "--youth_id=" + demo.first_youth,
                                        "--purpose=case_coordination: golden rendering"}),
               demo.first_day);
  // Not the police's to read: the refusal, as hotspotctl reports it.
  int code = -1;
  ExpectGolden("get_case_history_first_police",
               Ctl(suite_->cast.police_member,
                   {"get-case-history", "--youth_id=" + demo.first_youth,
                    "--purpose=case_coordination: golden rendering"},
                   &code),
               demo.first_day);
  EXPECT_EQ(code, 5);
}

TEST_F(HotspotctlGoldenTest, DashboardAsChiefAndAsPolice) {
  const Demo demo = FindDemo();
  // The demo's 16 weeks, typed as dates.
  const std::vector<std::string> args = {
      "get-area-dashboard", "--area_id=area-sjaelor-boulevard",
      absl::FormatCivilTime(demo.first_day).insert(0, "--period_start="),
      absl::FormatCivilTime(demo.first_day + 111).insert(0, "--period_end=")};
  ExpectGolden("get_area_dashboard_chief", Ctl(suite_->cast.chief, args), demo.first_day);
  ExpectGolden("get_area_dashboard_police", Ctl(suite_->cast.police_member, args),
               demo.first_day);
}

}  // namespace
}  // namespace hotspot::testing
