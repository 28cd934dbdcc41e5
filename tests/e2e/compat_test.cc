// Old data directories keep opening and replaying. fixtures/data-236294d.tar.gz is the data
// directory hotspotd wrote at commit 236294d (before issue 12: no recipients, no sealed
// categories, unstructured consents) with its demo loaded; this test starts today's hotspotd on
// a copy of it and reads it back through every view: the log verifies, the cases (rebuilt into
// today's views) show what the old events said, and new commands write on top of it.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "hotspot/v1/admin_service.grpc.pb.h"
#include "hotspot/v1/audit_service.grpc.pb.h"
#include "hotspot/v1/command_service.pb.h"
#include "hotspot/v1/query_service.grpc.pb.h"
#include "hotspot/v1/subscription_service.grpc.pb.h"
#include "services/scenario/scenario.h"
#include "store/event_store.h"
#include "tests/e2e/suite_server.h"

namespace hotspot::testing {
namespace {

// `make run` on a ./data of before: the demo of an earlier version (whose commands today's domain
// would decide otherwise) is kept as it is, and hotspotd starts.
TEST(CompatTest, TheDemoOfAnEarlierVersionIsKeptAndHotspotdStarts) {
  auto suite = std::make_unique<SuiteServer>();
  suite->tokens = WriteTokens(suite->dir.Sub("tokens"), suite->cast.All());
  std::string output;
  ASSERT_EQ(RunToExit("/bin/tar", {"-xzf", FIXTURE_PATH, "-C", suite->dir.path()}, &output), 0)
      << output;
  suite->binary = HOTSPOTD_PATH;
  suite->flags = {"--tokens_file=" + suite->dir.Sub("tokens"), "--deadline_interval_s=0",
                  "--demo"};
  ASSERT_TRUE(suite->Start().ok());
  const uint64_t head = suite->Head();
  EXPECT_EQ(head, 430u);  // nothing of today's demo was added to the old one
  auto queries = v1::QueryService::NewStub(suite->channel);
  v1::GetProgrammeRequest get;
  get.set_area_id(scenario::kAreaId);
  get.set_min_position(head);
  v1::GetProgrammeResponse programme;
  auto chief = suite->As(suite->cast.chief, "case_coordination: after the upgrade");
  ASSERT_TRUE(queries->GetProgramme(chief.get(), get, &programme).ok());
  EXPECT_EQ(programme.programme().revision(), 1);
}

TEST(CompatTest, ADataDirectoryOfBeforeIssue12OpensReplaysAndTakesNewCommands) {
  auto suite = std::make_unique<SuiteServer>();
  suite->tokens = WriteTokens(suite->dir.Sub("tokens"), suite->cast.All());
  std::string output;
  ASSERT_EQ(RunToExit("/bin/tar", {"-xzf", FIXTURE_PATH, "-C", suite->dir.path()}, &output), 0)
      << output;
  suite->binary = HOTSPOTD_PATH;
  suite->flags = {"--tokens_file=" + suite->dir.Sub("tokens"), "--deadline_interval_s=0"};
  ASSERT_TRUE(suite->Start().ok());
  const scenario::Cast& cast = suite->cast;
  const uint64_t head = suite->Head();
  ASSERT_GE(head, 430u);  // the demo as 236294d wrote it: 302 commands, 430 events

  // The log verifies from the first event to the head.
  auto audit = v1::AuditService::NewStub(suite->channel);
  v1::VerifyLogResponse verified;
  auto auditor = suite->As(cast.auditor, "audit: after the upgrade");
  ASSERT_TRUE(audit->VerifyLog(auditor.get(), {}, &verified).ok());
  EXPECT_TRUE(verified.ok()) << verified.problem();
  EXPECT_EQ(verified.to_position(), head);

  // Every case, as the chief reads it: names in clear, the categories of the old referrals (in
  // clear in those events) shown with their count, the old consents in force.
  auto queries = v1::QueryService::NewStub(suite->channel);
  v1::ListCasesRequest list;
  list.set_area_id(scenario::kAreaId);
  list.set_page_size(500);
  list.set_min_position(head);
  v1::ListCasesResponse cases;
  auto chief = suite->As(cast.chief, "case_coordination: after the upgrade");
  ASSERT_TRUE(queries->ListCases(chief.get(), list, &cases).ok());
  ASSERT_EQ(cases.cases_size(), 40);
  int consents = 0, shares = 0, named = 0;
  for (const v1::CaseView& c : cases.cases()) {
    named += c.name().has_text();
    EXPECT_FALSE(c.referral().concerns().empty()) << c.youth_id();
    EXPECT_EQ(c.referral().concern_count(), c.referral().concerns_size()) << c.youth_id();
    for (const v1::ConsentView& consent : c.consents()) {
      ++consents;
      EXPECT_TRUE(consent.in_force());
      EXPECT_TRUE(consent.agency_ids().empty());  // unstructured: covers every agency
    }
    for (const v1::SharedConcern& shared : c.concerns_shared()) {
      ++shares;
      EXPECT_TRUE(shared.recipient_agency_ids().empty());  // read as before: by those involved
      EXPECT_TRUE(shared.text().has_text());
      EXPECT_FALSE(shared.concerns().empty());
    }
  }
  EXPECT_GT(named, 30);
  EXPECT_GT(consents, 0);
  EXPECT_GT(shares, 0);

  // The area view is rebuilt from the old log on opening (area.v2, now v3): the programme and the agency
  // directory read back.
  v1::GetProgrammeRequest programme;
  programme.set_area_id(scenario::kAreaId);
  programme.set_min_position(head);
  v1::GetProgrammeResponse adopted;
  auto reader = suite->As(cast.chief, "");
  ASSERT_TRUE(queries->GetProgramme(reader.get(), programme, &adopted).ok());
  EXPECT_EQ(adopted.programme().revision(), 1);
  EXPECT_EQ(adopted.programme().goals_size(), 3);
  v1::ListAgenciesRequest directory;
  directory.set_area_id(scenario::kAreaId);
  v1::ListAgenciesResponse agencies;
  auto lister = suite->As(cast.chief, "");
  ASSERT_TRUE(queries->ListAgencies(lister.get(), directory, &agencies).ok());
  EXPECT_EQ(agencies.agencies_size(), 12);

  // Commitments of before read as accepted (the upcast of CommitmentMade): none is proposed, and
  // the open ones are the agencies' own, counted as before.
  v1::ListCommitmentsRequest commitments;
  commitments.set_area_id(scenario::kAreaId);
  commitments.set_page_size(500);
  commitments.set_min_position(head);
  v1::ListCommitmentsResponse listed;
  auto follow = suite->As(cast.chief, "commitment_follow_up: after the upgrade");
  ASSERT_TRUE(queries->ListCommitments(follow.get(), commitments, &listed).ok());
  ASSERT_GT(listed.commitments_size(), 20);
  int open = 0;
  for (const v1::CommitmentView& c : listed.commitments()) {
    EXPECT_NE(c.state(), v1::COMMITMENT_STATE_PROPOSED) << c.commitment_id();
    EXPECT_NE(c.state(), v1::COMMITMENT_STATE_DECLINED) << c.commitment_id();
    // Accepted when made, by nobody named: no acceptance was recorded (review 13b, N5).
    EXPECT_TRUE(c.has_accepted_at()) << c.commitment_id();
    EXPECT_EQ(c.accepted_at().seconds(), c.made_at().seconds()) << c.commitment_id();
    EXPECT_EQ(c.accepted_by(), "") << c.commitment_id();
    open += c.state() == v1::COMMITMENT_STATE_OPEN;
  }
  EXPECT_GT(open, 0);
  // An old open commitment of the school is the school's to fulfil, as it was accepted.
  std::string schools;
  for (const v1::CommitmentView& c : listed.commitments()) {
    if (schools.empty() && c.state() == v1::COMMITMENT_STATE_OPEN &&
        c.owning_agency_id() == cast.school_member.agency) {
      schools = c.commitment_id();
    }
  }
  ASSERT_FALSE(schools.empty());
  v1::FulfilCommitmentRequest fulfil;
  fulfil.set_request_id("compat-fulfil");
  fulfil.set_commitment_id(schools);
  const CallResult fulfilled = suite->commands->Call(cast.school_member, fulfil);
  EXPECT_TRUE(fulfilled.status.ok()) << fulfilled.status.error_message();

  // The old events' clear categories reach no subscriber that may not see personal data.
  v1::SubscribeRequest subscribe;
  subscribe.set_from_position(1);
  subscribe.add_event_types("hotspot.v1.YouthReferred");
  auto integration = suite->As(cast.integration, "", absl::Seconds(30));
  auto stream =
      v1::SubscriptionService::NewStub(suite->channel)->Subscribe(integration.get(), subscribe);
  v1::SubscribeResponse batch;
  int referrals = 0;
  while (stream->Read(&batch)) {
    for (const v1::StoredEvent& e : batch.events()) {
      ++referrals;
      EXPECT_TRUE(e.event().youth_referred().concerns().empty()) << e.position();
    }
    if (batch.caught_up()) {
      integration->TryCancel();
      while (stream->Read(&batch)) {
      }
      break;
    }
  }
  EXPECT_EQ(referrals, 40);

  // A youth's history replays, in clear for the auditor.
  std::string with_name;
  for (const v1::CaseView& c : cases.cases()) {
    if (with_name.empty() && c.name().has_text()) with_name = c.youth_id();
  }
  const absl::StatusOr<std::vector<v1::StoredEvent>> history =
      suite->History(cast.auditor, with_name);
  ASSERT_TRUE(history.ok()) << history.status();
  bool name = false;
  for (const v1::StoredEvent& e : *history) {
    for (const v1::PersonalValue& v : e.personal_data()) {
      name = name || (v.path() == "youth_referred.name" && v.value().has_text());
    }
  }
  EXPECT_GT(history->size(), 1u);
  EXPECT_TRUE(name);

  // New commands write on top of the old log, under today's rules: an old unstructured consent
  // covers a share on consent.
  std::string youth, old_scope;
  for (const v1::CaseView& c : cases.cases()) {
    if (youth.empty() && c.consents_size() == 1 && c.status() != v1::CASE_STATUS_CLOSED &&
        c.status() != v1::CASE_STATUS_DECLINED && c.status() != v1::CASE_STATUS_HANDED_OVER) {
      youth = c.youth_id();
      old_scope = c.consents(0).scope();  // in clear in the events of before; no id
      EXPECT_TRUE(c.consents(0).consent_id().empty());
      EXPECT_EQ(std::vector<std::string>(c.consent_scopes().begin(), c.consent_scopes().end()),
                std::vector<std::string>{old_scope});
    }
  }
  ASSERT_FALSE(youth.empty());
  ASSERT_FALSE(old_scope.empty());
  v1::ShareConcernRequest share;
  share.set_request_id("compat-share");
  share.set_youth_id(youth);
  share.set_agency_id("agency-school-sjaelor");
  share.set_legal_basis(v1::LEGAL_BASIS_CONSENT);
  share.add_concerns(v1::CONCERN_CATEGORY_SCHOOL_ABSENCE);
  share.set_text("Missed the whole week");
  share.set_necessity("The club can help him back into a routine");
  share.add_recipient_agency_ids("agency-club-sjaelor");
  const CallResult shared = suite->commands->Call(cast.school_member, share);
  ASSERT_TRUE(shared.status.ok()) << shared.status.error_message();
  v1::GetCaseRequest get;
  get.set_youth_id(youth);
  get.set_min_position(shared.response.position());
  v1::GetCaseResponse got;
  auto again = suite->As(cast.chief, "case_coordination");
  ASSERT_TRUE(queries->GetCase(again.get(), get, &got).ok());
  bool found = false;
  for (const v1::SharedConcern& c : got.case_view().concerns_shared()) {
    if (c.text().text() == "Missed the whole week") {
      found = true;
      EXPECT_EQ(c.concern_count(), 1);
      ASSERT_EQ(c.concerns_size(), 1);
      EXPECT_EQ(c.concerns(0), v1::CONCERN_CATEGORY_SCHOOL_ABSENCE);  // from the sealed form
      // It names the old consent as the old events do: by its scope.
      EXPECT_EQ(c.consent_scope(), old_scope);
      EXPECT_TRUE(c.consent_id().empty());
    }
  }
  EXPECT_TRUE(found);
  // The old consent is withdrawn by its name, and stands no more.
  v1::WithdrawConsentRequest withdraw;
  withdraw.set_request_id("compat-withdraw");
  withdraw.set_youth_id(youth);
  withdraw.set_scope(old_scope);
  const CallResult withdrawn = suite->commands->Call(cast.chief, withdraw);
  ASSERT_TRUE(withdrawn.status.ok()) << withdrawn.status.error_message();
  get.set_min_position(withdrawn.response.position());
  auto after = suite->As(cast.chief, "case_coordination");
  ASSERT_TRUE(queries->GetCase(after.get(), get, &got).ok());
  ASSERT_EQ(got.case_view().consents_size(), 1);
  EXPECT_FALSE(got.case_view().consents(0).in_force());
  EXPECT_TRUE(got.case_view().consent_scopes().empty());

  // The duplicate index (duplicates.v1, new) is built from the old log on opening: the youth
  // referred again with the CPR number of before is flagged to the chief.
  std::string known, cpr;
  for (const v1::CaseView& c : cases.cases()) {
    if (known.empty() && c.cpr_number().has_text()) {
      known = c.youth_id();
      cpr = c.cpr_number().text();
    }
  }
  ASSERT_FALSE(known.empty());
  v1::ReferYouthRequest known_again = scenario::SampleReferral(9999, "compat-again");
  known_again.set_cpr_number(cpr);
  known_again.clear_birth_date();  // the CPR number tells it (or not, in a demo of before)
  const CallResult referred = suite->commands->Call(cast.school_member, known_again);
  ASSERT_TRUE(referred.status.ok()) << referred.status.error_message();
  get.set_youth_id(referred.response.id());
  get.set_min_position(referred.response.position());
  auto flagged = suite->As(cast.chief, "case_coordination: screening");
  ASSERT_TRUE(queries->GetCase(flagged.get(), get, &got).ok());
  ASSERT_EQ(got.case_view().possible_duplicates_size(), 1);
  EXPECT_EQ(got.case_view().possible_duplicates(0).youth_id(), known);
}

// The deadline process of before appended its facts itself, under event ids of its own.
// fixtures/data-3eb92c7-deadlines.tar.gz is the directory above after a pass of that process
// (hotspotd of main at 3eb92c7). Today's process records facts as the system's commands, with
// other ids: over that directory it must record none a second time (the domain sees the old
// events in the aggregates' state).
TEST(CompatTest, TheDeadlineProcessRecordsNoFactTwiceOverADataDirectoryOfBefore) {
  auto suite = std::make_unique<SuiteServer>();
  suite->tokens = WriteTokens(suite->dir.Sub("tokens"), suite->cast.All());
  std::string output;
  ASSERT_EQ(
      RunToExit("/bin/tar", {"-xzf", DEADLINES_FIXTURE_PATH, "-C", suite->dir.path()}, &output), 0)
      << output;
  auto facts_in_log = [&](uint64_t* system_events, uint64_t* head) {
    store::Options options;
    options.sync = false;
    auto events = store::EventStore::Open(std::move(options), suite->dir.Sub("data/events"));
    EXPECT_TRUE(events.ok()) << events.status();
    std::map<std::string, int> facts;  // type and content of each system fact -> how many
    *system_events = 0;
    *head = (*events)->HeadPosition();
    for (uint64_t next = 1; next <= *head;) {
      auto batch = (*events)->ReadAll(next, store::Direction::kForward, 5000);
      EXPECT_TRUE(batch.ok()) << batch.status();
      if (!batch.ok() || batch->empty()) break;
      for (const store::RecordedEvent& e : *batch) {
        next = e.position + 1;
        v1::Event event;
        EXPECT_TRUE(event.ParseFromString(e.payload));
        if (event.actor().person() != "system") continue;
        ++*system_events;
        const auto* kind = event.GetReflection()->GetOneofFieldDescriptor(
            event, v1::Event::descriptor()->FindOneofByName("kind"));
        std::string content;
        event.GetReflection()->GetMessage(event, kind).SerializeToString(&content);
        ++facts[absl::StrCat(e.type, "/", e.stream, "/", content)];
      }
    }
    return facts;
  };
  uint64_t before = 0, old_head = 0;
  ASSERT_FALSE(facts_in_log(&before, &old_head).empty());
  ASSERT_GT(before, 0u);  // the process of before ran on it

  suite->binary = HOTSPOTD_PATH;
  suite->flags = {"--tokens_file=" + suite->dir.Sub("tokens"), "--deadline_interval_s=3600"};
  ASSERT_TRUE(suite->Start().ok());
  // Its first pass runs at start: wait for it (and for the views to have seen what it wrote).
  const absl::StatusOr<v1::GetProjectionStatusResponse> awaited = suite->AwaitDeadlinePass();
  ASSERT_TRUE(awaited.ok()) << awaited.status();
  const v1::GetProjectionStatusResponse& status = *awaited;

  // The escalations of before (no AgencyEscalated on their agency's stream) that stand are
  // recorded at their agency by that pass: a commitment one of them concerns is not escalated
  // a second time.
  auto queries = v1::QueryService::NewStub(suite->channel);
  v1::ListEscalationsRequest list;
  list.set_area_id(scenario::kAreaId);
  list.set_min_position(suite->Head());
  list.set_page_size(500);
  v1::ListEscalationsResponse escalations;
  auto chief = suite->As(suite->cast.chief, "case_coordination: after the upgrade");
  ASSERT_TRUE(queries->ListEscalations(chief.get(), list, &escalations).ok());
  std::set<std::string> standing;
  for (const v1::EscalationView& e : escalations.escalations()) {
    if (e.resolved() || e.commitment_ids().empty()) continue;
    standing.insert(e.escalation_id());
    v1::RaiseEscalationRequest again;
    again.set_request_id(absl::StrCat("again-", e.escalation_id()));
    again.set_area_id(scenario::kAreaId);
    again.set_target_agency_id(e.target_agency_id());
    again.set_level(v1::ESCALATION_LEVEL_STEERING_GROUP);
    again.set_reason("Still not carried out");
    again.add_commitment_ids(e.commitment_ids(0));
    again.set_youth_id(e.youth_id());
    const CallResult refused = suite->commands->Call(suite->cast.chief, again);
    EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
        << refused.status.error_message();
    EXPECT_NE(refused.status.error_message().find(
                  absl::StrCat(" is escalated already by ", e.escalation_id())),
              std::string::npos)
        << refused.status.error_message();
  }
  EXPECT_EQ(standing.size(), 2u);  // the demo of before raised two, and resolved neither
  ASSERT_TRUE(suite->process->Stop().ok());

  uint64_t after = 0, new_head = 0;
  const std::map<std::string, int> facts = facts_in_log(&after, &new_head);
  EXPECT_EQ(after - before, status.deadlines().appended());
  for (const auto& [fact, count] : facts) EXPECT_EQ(count, 1) << fact;
  std::set<std::string> recorded;
  for (const auto& [fact, count] : facts) {
    if (!absl::StartsWith(fact, "hotspot.v1.AgencyEscalated/")) continue;
    v1::AgencyEscalated event;
    ASSERT_TRUE(event.ParseFromString(fact.substr(fact.find('/', fact.find('/') + 1) + 1)));
    recorded.insert(event.escalation_id());
  }
  EXPECT_EQ(recorded, standing);
}

}  // namespace
}  // namespace hotspot::testing
