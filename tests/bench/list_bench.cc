// list_bench: ListCases page latency on a log of many cases over many areas (issue 14 §4,
// bounded lists), in process: no gRPC, no disk syncs.
//
//   list_bench [--json] [--dir=build/bench-lists] [--cases=185000] [--areas=50] [--pages=40]
//
// 1. Appends --cases YouthReferred events straight to a fresh log (fsync off), case n in area
//    "area-b<n mod areas>", referred by one of 8 agencies; every third case is accepted
//    (ReferralAccepted). Generation is not measured.
// 2. Builds every view (AllViews) from the log, and prints the time it took.
// 3. As area-b0's coordinator, through QueryHandler::ListCases (page_size 50): first_page (the
//    first page, asked --pages times); walk (every page of the area, token after token, each page
//    a sample); status (the accepted cases' first page, --pages times); agency (first page of
//    one agency's cases, --pages times).
//
// The same source builds against the code before the bounded lists (b9893f2) and after, so the
// two can be compared on the same machine back to back. Figures are printed, never asserted.
#include <filesystem>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/projections/all_views.h"
#include "services/projections/projector.h"
#include "services/queries/query_handler.h"
#include "services/security/identity_digest.h"
#include "services/security/key_store.h"
#include "services/security/public_head.h"
#include "services/security/sealer.h"
#include "store/event_store.h"
#include "tests/bench/bench_util.h"

ABSL_FLAG(bool, json, false, "print one JSON object per line per measurement");
ABSL_FLAG(std::string, dir, "build/bench-lists", "scratch directory (emptied first)");
ABSL_FLAG(int, cases, 185'000, "cases in the log");
ABSL_FLAG(int, areas, 50, "areas the cases are spread over");
ABSL_FLAG(int, pages, 40, "samples of each first-page measurement");

namespace hotspot::bench {
namespace {

// The rows the handler parsed, where it counts them (after the bounded lists); else 0.
template <typename Handler>
uint64_t RowsParsed(const Handler& handler) {
  if constexpr (requires { handler.rows_parsed(); }) {
    return handler.rows_parsed();
  } else {
    return 0;
  }
}

store::ProposedEvent Proposed(const std::string& type, const v1::Event& event, absl::Time at) {
  store::ProposedEvent proposed;
  proposed.type = type;
  proposed.payload = event.SerializeAsString();
  proposed.metadata.occurred_at = at;
  proposed.metadata.actor = "bench";
  return proposed;
}

// Appends the cases, 100 streams a call.
void Fill(store::EventStore& events, int cases, int areas) {
  const absl::Time start = absl::FromUnixSeconds(1'780'000'000);
  std::vector<store::StreamAppend> call;
  for (int n = 0; n < cases; ++n) {
    const std::string youth = absl::StrFormat("youth-%08d", n);
    v1::Event referred;
    referred.set_area_id(absl::StrCat("area-b", n % areas));
    referred.mutable_actor()->set_person("bench");
    v1::YouthReferred* r = referred.mutable_youth_referred();
    r->set_youth_id(youth);
    r->set_referring_agency_id(absl::StrCat("agency-b", n % 8));
    r->set_urgency(v1::URGENCY_NORMAL);
    r->add_concerns(v1::CONCERN_CATEGORY_SCHOOL_ABSENCE);
    store::StreamAppend append;
    append.stream = youth;
    const absl::Time at = start + absl::Seconds(n);
    append.events.push_back(Proposed("hotspot.v1.YouthReferred", referred, at));
    if (n % 3 == 0) {
      v1::Event accepted;
      accepted.set_area_id(referred.area_id());
      accepted.mutable_actor()->set_person("bench");
      accepted.mutable_referral_accepted()->set_youth_id(youth);
      append.events.push_back(
          Proposed("hotspot.v1.ReferralAccepted", accepted, at + absl::Seconds(1)));
    }
    call.push_back(std::move(append));
    if (call.size() == 100 || n + 1 == cases) {
      auto appended = events.Append(std::move(call));
      if (!appended.ok()) Die(std::string(appended.status().message()));
      call.clear();
    }
  }
}

int Main() {
  const bool json = absl::GetFlag(FLAGS_json);
  const std::string dir = absl::GetFlag(FLAGS_dir);
  const int cases = absl::GetFlag(FLAGS_cases);
  const int areas = absl::GetFlag(FLAGS_areas);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);

  security::KeyStoreOptions key_options;
  key_options.master_key_file = dir + "/master.key";
  key_options.sync = false;
  auto keys = security::KeyStore::Open(key_options, dir + "/keys");
  if (!keys.ok()) Die(std::string(keys.status().message()));
  security::Sealer sealer(keys->get());
  security::PublicHead heads;
  store::Options options;
  options.sync = false;
  auto events = store::EventStore::Open(std::move(options), dir + "/events");
  if (!events.ok()) Die(std::string(events.status().message()));

  absl::Time start = absl::Now();
  Fill(**events, cases, areas);
  const uint64_t head = (*events)->HeadPosition();
  fprintf(stderr, "list_bench: %d cases in %d areas, %llu events, written in %.1f s\n", cases,
          areas, static_cast<unsigned long long>(head), absl::ToDoubleSeconds(absl::Now() - start));

  start = absl::Now();
  auto views = projections::Projector::Open(
      projections::ProjectorOptions(), events->get(),
      projections::AllViews(&sealer, *security::IdentityDigester::FromKeyStore(**keys)),
      dir + "/views");
  if (!views.ok()) Die(std::string(views.status().message()));
  if (!(*views)->WaitFor(head, absl::InfiniteFuture()).ok()) Die("the views did not build");
  const double build_s = absl::ToDoubleSeconds(absl::Now() - start);
  fprintf(stderr, "list_bench: views built in %.1f s\n", build_s);

  const queries::QueryHandler handler(views->get(), &sealer, &heads);
  security::Principal chief;
  chief.person = "chief-b0";
  chief.agency = "agency-b0";
  chief.role = security::Role::kCoordinator;
  chief.areas = {"area-b0"};

  // One ListCases call: its latency, the next token and the cases returned into `cases`.
  auto list = [&](const v1::ListCasesRequest& request, std::vector<uint32_t>& latencies,
                  int* returned) {
    const absl::Time begin = absl::Now();
    auto answer = handler.ListCases(chief, request, absl::InfiniteFuture());
    latencies.push_back(MicrosSince(begin));
    if (!answer.ok()) Die(std::string(answer.status().message()));
    *returned += answer->answer.cases_size();
    return answer->answer.next_page_token();
  };
  auto measure = [&](const char* name, const v1::ListCasesRequest& request, bool walk) {
    std::vector<uint32_t> latencies;
    int returned = 0;
    const uint64_t parsed_before = RowsParsed(handler);
    const absl::Time begin = absl::Now();
    if (walk) {
      v1::ListCasesRequest page = request;
      for (;;) {
        const std::string next = list(page, latencies, &returned);
        if (next.empty()) break;
        page.set_page_token(next);
      }
    } else {
      for (int i = 0; i < absl::GetFlag(FLAGS_pages); ++i) list(request, latencies, &returned);
    }
    Samples samples;
    const size_t calls = latencies.size();
    samples.Add(std::move(latencies), absl::ToDoubleSeconds(absl::Now() - begin));
    const Figures f = Summarize(samples);
    const double parsed = static_cast<double>(RowsParsed(handler) - parsed_before) / calls;
    if (json) {
      printf(
          "{\"bench\": \"list_cases_%s\", \"cases\": %d, \"areas\": %d, \"calls\": %zu, "
          "\"returned\": %d, \"p50_us\": %.0f, \"p99_us\": %.0f, \"rows_parsed_per_call\": %.0f}\n",
          name, cases, areas, calls, returned, f.p50_us, f.p99_us, parsed);
    } else {
      printf(
          "list_cases_%-11s %5zu calls %6d cases  p50 %9.0f us  p99 %9.0f us  parsed/call %.0f\n",
          name, calls, returned, f.p50_us, f.p99_us, parsed);
    }
    fflush(stdout);
  };

  v1::ListCasesRequest first;
  first.set_area_id("area-b0");
  first.set_page_size(50);
  measure("first_page", first, false);
  measure("walk", first, true);
  v1::ListCasesRequest accepted = first;
  accepted.set_status(v1::CASE_STATUS_ACCEPTED);
  measure("status", accepted, false);
  v1::ListCasesRequest agency = first;
  agency.set_agency_id("agency-b2");
  measure("agency", agency, false);
  return 0;
}

}  // namespace
}  // namespace hotspot::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return hotspot::bench::Main();
}
