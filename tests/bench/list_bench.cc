// list_bench: the page latency of the lists ListCases, ListCommitments and ListEscalations, with
// each of their filters, on a log of many cases over many areas (issue 14 §4, bounded lists), in
// process: no gRPC, no disk syncs.
//
//   list_bench [--json] [--dir=build/bench-lists] [--cases=185000] [--areas=50] [--pages=40]
//
// 1. Appends --cases YouthReferred events straight to a fresh log (fsync off), case n in area
//    "area-b<n mod areas>", the k-th of its area (k = n / areas), referred by one of 8 agencies;
//    every third case is accepted (ReferralAccepted); one in 1,000 of an area is acute, the
//    others normal. Every second case of an area has a commitment (one in 1,000 of an area's
//    for "person-rare"; due from 10 days ago to 389 days on, so about one in 40 overdue; one in
//    50 declined, half of those taken up; one in 5 fulfilled); every tenth an escalation (one
//    in 10 of those moved up to the director; one in 5 still open). Generation is not measured.
// 2. Builds every view (AllViews) from the log, and prints the time it took.
// 3. As area-b0's coordinator, page_size 50: ListCases first_page (the first page, asked --pages
//    times; so is every other figure but walk); walk (every page of the area, token after
//    token, each page a sample); status (the accepted cases); agency (one agency's cases);
//    urgency (the acute ones: a rare filter value); status_agency (the accepted cases of one
//    agency: two filters). ListCommitments all, state (declined), overdue, person (the rare
//    one), declined_not_taken_up; ListEscalations all, open, level (director).
//
// The same source builds against the code before the bounded lists (b9893f2) and after, so the
// two can be compared on the same machine back to back. Figures are printed, never asserted.
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

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

// The event `fill` sets, in `area`, by "bench", at `at`.
template <typename Fill>
store::ProposedEvent BenchEvent(const std::string& area, const std::string& type, absl::Time at,
                                Fill fill) {
  v1::Event event;
  event.set_area_id(area);
  event.mutable_actor()->set_person("bench");
  fill(event);
  return Proposed(absl::StrCat("hotspot.v1.", type), event, at);
}

// Appends the cases, their commitments and escalations, 100 streams a call.
void Fill(store::EventStore& events, int cases, int areas) {
  const absl::Time start = absl::FromUnixSeconds(1'780'000'000);
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  std::vector<store::StreamAppend> call;
  auto flush = [&] {
    auto appended = events.Append(std::move(call));
    if (!appended.ok()) Die(std::string(appended.status().message()));
    call.clear();
  };
  // Appends `proposed` to `stream` (and leaves it empty for the next stream).
  auto append = [&](const std::string& stream, std::vector<store::ProposedEvent>& proposed) {
    store::StreamAppend one;
    one.stream = stream;
    one.events = std::move(proposed);
    proposed.clear();
    call.push_back(std::move(one));
    if (call.size() == 100) flush();
  };
  for (int n = 0; n < cases; ++n) {
    const int k = n / areas;  // the k-th case of its area
    const std::string youth = absl::StrFormat("youth-%08d", n);
    const std::string area = absl::StrCat("area-b", n % areas);
    const std::string agency = absl::StrCat("agency-b", n % 8);
    const absl::Time at = start + absl::Seconds(n);
    std::vector<store::ProposedEvent> proposed;
    proposed.push_back(BenchEvent(area, "YouthReferred", at, [&](v1::Event& e) {
      v1::YouthReferred* r = e.mutable_youth_referred();
      r->set_youth_id(youth);
      r->set_referring_agency_id(agency);
      r->set_urgency(k % 1000 == 0 ? v1::URGENCY_ACUTE : v1::URGENCY_NORMAL);
      r->add_concerns(v1::CONCERN_CATEGORY_SCHOOL_ABSENCE);
    }));
    if (n % 3 == 0) {
      proposed.push_back(
          BenchEvent(area, "ReferralAccepted", at + absl::Seconds(1),
                     [&](v1::Event& e) { e.mutable_referral_accepted()->set_youth_id(youth); }));
    }
    append(youth, proposed);
    if (k % 2 == 0) {
      const std::string id = absl::StrFormat("commitment-%08d", n);
      proposed.push_back(BenchEvent(area, "CommitmentMade", at, [&](v1::Event& e) {
        v1::CommitmentMade* m = e.mutable_commitment_made();
        m->set_commitment_id(id);
        m->set_owning_agency_id(agency);
        m->set_responsible_person(k % 1000 == 0 ? "person-rare" : absl::StrCat("person-b", k % 16));
        m->set_youth_id(youth);
        const absl::CivilDay due = today + (k % 400) - 10;
        m->mutable_due_date()->set_year(static_cast<int32_t>(due.year()));
        m->mutable_due_date()->set_month(due.month());
        m->mutable_due_date()->set_day(due.day());
        m->set_acceptance(v1::COMMITMENT_ACCEPTANCE_ACCEPTED);
      }));
      if (k % 100 == 2 || k % 100 == 52) {
        proposed.push_back(BenchEvent(area, "CommitmentDeclined", at, [&](v1::Event& e) {
          e.mutable_commitment_declined()->set_commitment_id(id);
        }));
      }
      if (k % 100 == 52) {
        proposed.push_back(BenchEvent(area, "CommitmentTakenUp", at, [&](v1::Event& e) {
          e.mutable_commitment_taken_up()->set_commitment_id(id);
          e.mutable_commitment_taken_up()->set_by_escalation_id("escalation-taken-up");
        }));
      }
      if (k % 10 == 4) {
        proposed.push_back(BenchEvent(area, "CommitmentFulfilled", at, [&](v1::Event& e) {
          e.mutable_commitment_fulfilled()->set_commitment_id(id);
        }));
      }
      append(id, proposed);
    }
    if (k % 10 == 5) {
      const std::string id = absl::StrFormat("escalation-%08d", n);
      proposed.push_back(BenchEvent(area, "EscalationRaised", at, [&](v1::Event& e) {
        v1::EscalationRaised* r = e.mutable_escalation_raised();
        r->set_escalation_id(id);
        r->set_target_agency_id(agency);
        r->set_level(v1::ESCALATION_LEVEL_STEERING_GROUP);
        r->set_youth_id(youth);
      }));
      if (k % 100 == 15) {
        proposed.push_back(BenchEvent(area, "EscalationMovedUp", at, [&](v1::Event& e) {
          v1::EscalationMovedUp* up = e.mutable_escalation_moved_up();
          up->set_escalation_id(id);
          up->set_from_level(v1::ESCALATION_LEVEL_STEERING_GROUP);
          up->set_to_level(v1::ESCALATION_LEVEL_DIRECTOR);
        }));
      }
      if (k % 50 != 25) {
        proposed.push_back(BenchEvent(area, "EscalationResolved", at, [&](v1::Event& e) {
          e.mutable_escalation_resolved()->set_escalation_id(id);
        }));
      }
      append(id, proposed);
    }
  }
  if (!call.empty()) flush();
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

  // One page of a list from `token`: adds the rows it returned to `*returned`, returns the next
  // page's token.
  using Page = std::function<std::string(const std::string& token, int* returned)>;
  auto pages = [&]<typename Request, typename Response, typename Row>(
                   Request request,
                   absl::StatusOr<queries::Disclosed<Response>> (queries::QueryHandler::*list)(
                       const security::Principal&, const Request&, absl::Time) const,
                   const google::protobuf::RepeatedPtrField<Row>& (Response::*rows)() const) {
    request.set_area_id("area-b0");
    request.set_page_size(50);
    return Page(
        [&handler, &chief, request, list, rows](const std::string& token, int* returned) mutable {
          request.set_page_token(token);
          auto answer = (handler.*list)(chief, request, absl::InfiniteFuture());
          if (!answer.ok()) Die(std::string(answer.status().message()));
          *returned += ((answer->answer).*rows)().size();
          return answer->answer.next_page_token();
        });
  };
  // The first page of `page` --pages times, or (`walk`) every page, token after token.
  auto measure = [&](const std::string& name, const Page& page, bool walk) {
    std::vector<uint32_t> latencies;
    int returned = 0;
    const uint64_t parsed_before = RowsParsed(handler);
    const absl::Time begin = absl::Now();
    auto timed = [&](const std::string& token) {
      const absl::Time call = absl::Now();
      std::string next = page(token, &returned);
      latencies.push_back(MicrosSince(call));
      return next;
    };
    if (walk) {
      for (std::string token = timed(""); !token.empty();) token = timed(token);
    } else {
      for (int i = 0; i < absl::GetFlag(FLAGS_pages); ++i) timed("");
    }
    Samples samples;
    const size_t calls = latencies.size();
    samples.Add(std::move(latencies), absl::ToDoubleSeconds(absl::Now() - begin));
    const Figures f = Summarize(samples);
    const double parsed = static_cast<double>(RowsParsed(handler) - parsed_before) / calls;
    if (json) {
      printf(
          "{\"bench\": \"%s\", \"cases\": %d, \"areas\": %d, \"calls\": %zu, "
          "\"returned\": %d, \"p50_us\": %.0f, \"p99_us\": %.0f, \"rows_parsed_per_call\": %.0f}\n",
          name.c_str(), cases, areas, calls, returned, f.p50_us, f.p99_us, parsed);
    } else {
      printf("%-40s %5zu calls %6d rows  p50 %9.0f us  p99 %9.0f us  parsed/call %.0f\n",
             name.c_str(), calls, returned, f.p50_us, f.p99_us, parsed);
    }
    fflush(stdout);
  };

  const auto kCases = &queries::QueryHandler::ListCases;
  const auto kCommitments = &queries::QueryHandler::ListCommitments;
  const auto kEscalations = &queries::QueryHandler::ListEscalations;
  v1::ListCasesRequest accepted, agency, acute, accepted_of_agency;
  accepted.set_status(v1::CASE_STATUS_ACCEPTED);
  agency.set_agency_id("agency-b2");
  acute.set_urgency(v1::URGENCY_ACUTE);  // about 4 of the area's 3,700
  accepted_of_agency = accepted;
  accepted_of_agency.set_agency_id("agency-b2");
  v1::ListCommitmentsRequest declined, overdue, person, untaken;
  declined.set_state(v1::COMMITMENT_STATE_DECLINED);
  overdue.set_overdue_only(true);
  person.set_responsible_person("person-rare");
  untaken.set_declined_not_taken_up(true);
  v1::ListEscalationsRequest open, director;
  open.set_open_only(true);
  director.set_level(v1::ESCALATION_LEVEL_DIRECTOR);
  measure("list_cases_walk", pages(v1::ListCasesRequest(), kCases, &v1::ListCasesResponse::cases),
          true);
  for (const auto& [name, request] : std::vector<std::pair<std::string, v1::ListCasesRequest>>{
           {"first_page", {}},
           {"status", accepted},
           {"agency", agency},
           {"urgency", acute},
           {"status_agency", accepted_of_agency}}) {
    measure(absl::StrCat("list_cases_", name),
            pages(request, kCases, &v1::ListCasesResponse::cases), false);
  }
  for (const auto& [name, request] :
       std::vector<std::pair<std::string, v1::ListCommitmentsRequest>>{
           {"all", {}},
           {"state", declined},
           {"overdue", overdue},
           {"person", person},
           {"declined_not_taken_up", untaken}}) {
    measure(absl::StrCat("list_commitments_", name),
            pages(request, kCommitments, &v1::ListCommitmentsResponse::commitments), false);
  }
  for (const auto& [name, request] :
       std::vector<std::pair<std::string, v1::ListEscalationsRequest>>{
           {"all", {}}, {"open", open}, {"level", director}}) {
    measure(absl::StrCat("list_escalations_", name),
            pages(request, kEscalations, &v1::ListEscalationsResponse::escalations), false);
  }
  return 0;
}

}  // namespace
}  // namespace hotspot::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return hotspot::bench::Main();
}
