// Erasure end to end against a real hotspotd: a youth's data is requested erased, approved and
// executed; the data key is deleted, every sealed field then reads as erased, nothing new can be
// sealed for the youth, and that holds across a SIGKILL and restart. The log itself stays.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "hotspot/v1/admin_service.grpc.pb.h"
#include "hotspot/v1/audit_service.grpc.pb.h"
#include "hotspot/v1/query_service.grpc.pb.h"
#include "hotspot/v1/subscription_service.grpc.pb.h"
#include "rocksdb/db.h"
#include "services/scenario/scenario.h"
#include "tests/e2e/suite_server.h"

namespace hotspot::testing {
namespace {

using store::testing::AnyFileHolds;

template <typename Request>
Request Req(const std::string& id) {
  Request r;
  r.set_request_id(id);
  return r;
}

grpc::Status GetCase(const SuiteServer& suite, const std::string& youth, uint64_t min_position,
                     v1::GetCaseResponse* out) {
  auto queries = v1::QueryService::NewStub(suite.channel);
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + suite.tokens.at(suite.cast.chief.person));
  context.AddMetadata("purpose", "erasure_review: erasure test");
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  v1::GetCaseRequest request;
  request.set_youth_id(youth);
  request.set_min_position(min_position);
  return queries->GetCase(&context, request, out);
}

bool Erased(const v1::PersonalField& field) {
  return field.has_withheld() && field.withheld().reason() == "erased";
}

// Erases `youth` the way the real flow goes: requested by the chief, approved and assessed
// "discard" by the auditor, executed by the admin (request ids start with `prefix`). The
// position of the execution, or the first call that failed.
absl::StatusOr<uint64_t> EraseThroughTheFlow(SuiteServer& suite, const std::string& youth,
                                             const std::string& prefix) {
  const scenario::Cast& cast = suite.cast;
  auto failed = [](const char* step, const CallResult& result) {
    return absl::InternalError(absl::StrCat(step, ": ", result.status.error_message()));
  };
  auto request = Req<v1::RequestErasureRequest>(prefix + "-request");
  request.set_youth_id(youth);
  request.set_requested_by("the youth");
  request.set_reason("Referred by mistake");
  request.set_ground(v1::ERASURE_GROUND_UNLAWFULLY_PROCESSED);
  const CallResult requested = suite.commands->Call(cast.chief, request);
  if (!requested.status.ok()) return failed("RequestErasure", requested);
  auto approve = Req<v1::ApproveErasureRequest>(prefix + "-approve");
  approve.set_erasure_id(requested.response.id());
  approve.set_reason("No duty to keep");
  const CallResult approved = suite.commands->Call(cast.auditor, approve);
  if (!approved.status.ok()) return failed("ApproveErasure", approved);
  auto assess = Req<v1::RecordArchiveAssessmentRequest>(prefix + "-archive");
  assess.set_erasure_id(requested.response.id());
  assess.set_outcome(v1::ARCHIVE_OUTCOME_DISCARD);
  assess.set_reference("KBH-ARK-2026-0043");
  const CallResult assessed = suite.commands->Call(cast.auditor, assess);
  if (!assessed.status.ok()) return failed("RecordArchiveAssessment", assessed);
  auto execute = Req<v1::ExecuteErasureRequest>(prefix + "-execute");
  execute.set_erasure_id(requested.response.id());
  const CallResult executed = suite.commands->Call(cast.admin, execute);
  if (!executed.status.ok()) return failed("ExecuteErasure", executed);
  return executed.response.position();
}

TEST(ErasureTest, AnExecutedErasureLeavesTheYouthsDataUnreadableForGood) {
  absl::StatusOr<std::unique_ptr<SuiteServer>> started =
      StartSuiteServer(HOTSPOTD_PATH, {"--demo", "--sync=true"});
  ASSERT_TRUE(started.ok()) << started.status();
  SuiteServer& suite = **started;
  const scenario::Cast& cast = suite.cast;

  v1::ReferYouthRequest referral = scenario::SampleReferral(3, "erase-referral");
  referral.set_name("Zebulon Quaggmire-Erasetest");
  scenario::SetBirthDate(referral, absl::CivilDay(2010, 3, 1));  // 16: he gives consent himself
  const CallResult referred = suite.commands->Call(cast.school_member, referral);
  ASSERT_TRUE(referred.status.ok()) << referred.status.error_message();
  const std::string youth = referred.response.id();
  // A consent whose name is someone's words about the family: sealed, erased with the youth.
  auto consent = Req<v1::RecordConsentRequest>("erase-consent");
  consent.set_youth_id(youth);
  consent.set_scope("Quaggmire-Erasetest family: the club may know");
  consent.set_given_by("the youth");
  consent.set_giver(v1::CONSENT_GIVER_YOUTH);
  consent.add_agency_ids("agency-club-sjaelor");
  consent.set_purpose("evenings at the club");
  consent.add_categories(v1::CONCERN_CATEGORY_TIME_ON_THE_STREET);
  const CallResult consented = suite.commands->Call(cast.chief, consent);
  ASSERT_TRUE(consented.status.ok()) << consented.status.error_message();
  ASSERT_EQ(consented.response.created_ids_size(), 1);
  const std::string consent_id = consented.response.created_ids(0);
  v1::GetCaseResponse before;
  ASSERT_TRUE(GetCase(suite, youth, consented.response.position(), &before).ok());
  ASSERT_EQ(before.case_view().name().text(), referral.name());
  ASSERT_EQ(before.case_view().consents_size(), 1);
  EXPECT_EQ(before.case_view().consents(0).consent_id(), consent_id);
  EXPECT_EQ(before.case_view().consents(0).scope(), consent.scope());
  EXPECT_EQ(before.case_view().consents(0).scope_sealed().text(), consent.scope());
  EXPECT_EQ(std::vector<std::string>(before.case_view().consent_scopes().begin(),
                                     before.case_view().consent_scopes().end()),
            std::vector<std::string>{consent.scope()});
  // The youth's wrapped data key as the key store holds it, read behind its back (read-only, the
  // server keeps running); the byte scan must find it before erasure to prove anything after.
  std::string wrapped;
  {
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(
        rocksdb::DB::OpenForReadOnly(rocksdb::Options(), suite.dir.Sub("data/keys"), &raw).ok());
    ASSERT_TRUE(raw->Get(rocksdb::ReadOptions(), youth, &wrapped).ok());
    delete raw;
  }
  ASSERT_GT(wrapped.size(), 40u);
  const std::string key_bytes = wrapped.substr(14, 32);
  ASSERT_TRUE(AnyFileHolds(suite.dir.Sub("data/keys"), key_bytes));

  auto request = Req<v1::RequestErasureRequest>("erase-request");
  request.set_youth_id(youth);
  request.set_requested_by("the youth's mother");
  request.set_reason("Referred by mistake: he was never at the school");
  request.set_ground(v1::ERASURE_GROUND_UNLAWFULLY_PROCESSED);
  const CallResult requested = suite.commands->Call(cast.chief, request);
  ASSERT_TRUE(requested.status.ok()) << requested.status.error_message();
  const std::string erasure = requested.response.id();
  // Not executable before it is approved, and not by the wrong role.
  auto execute = Req<v1::ExecuteErasureRequest>("erase-execute");
  execute.set_erasure_id(erasure);
  EXPECT_EQ(suite.commands->Call(cast.admin, execute).status.error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  auto approve = Req<v1::ApproveErasureRequest>("erase-approve");
  approve.set_erasure_id(erasure);
  approve.set_reason("No duty to keep: the referral was never acted on");
  EXPECT_EQ(suite.commands->Call(cast.chief, approve).status.error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(suite.commands->Call(cast.auditor, approve).status.ok());
  // Arkivloven: not before the municipal archive's assessment; a "preserve" blocks it until the
  // transfer to the archive is recorded.
  const CallResult unassessed = suite.commands->Call(cast.admin, execute);
  EXPECT_EQ(unassessed.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(unassessed.status.error_message().find("archive"), std::string::npos);
  auto assess = Req<v1::RecordArchiveAssessmentRequest>("erase-archive");
  assess.set_erasure_id(erasure);
  assess.set_outcome(v1::ARCHIVE_OUTCOME_PRESERVE_AND_TRANSFER);
  assess.set_reference("KBH-ARK-2026-0042");
  ASSERT_TRUE(suite.commands->Call(cast.auditor, assess).status.ok());
  const CallResult preserved = suite.commands->Call(cast.admin, execute);
  EXPECT_EQ(preserved.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(preserved.status.error_message().find("transfer"), std::string::npos);
  auto transfer = Req<v1::RecordArchiveTransferRequest>("erase-transfer");
  transfer.set_erasure_id(erasure);
  transfer.set_reference("KBH-ARK-2026-0042.1");
  ASSERT_TRUE(suite.commands->Call(cast.auditor, transfer).status.ok());
  // The request id of the refused attempts is fresh: the refusals wrote nothing.
  const CallResult executed = suite.commands->Call(cast.admin, execute);
  ASSERT_TRUE(executed.status.ok()) << executed.status.error_message();

  // The executor deletes the key right after the event commits.
  v1::GetCaseResponse after;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  do {
    ASSERT_TRUE(GetCase(suite, youth, executed.response.position(), &after).ok());
    if (Erased(after.case_view().name())) break;
    absl::SleepFor(absl::Milliseconds(50));
  } while (absl::Now() < deadline);
  EXPECT_TRUE(Erased(after.case_view().name())) << after.case_view().name().ShortDebugString();
  EXPECT_TRUE(Erased(after.case_view().cpr_number()));
  EXPECT_TRUE(Erased(after.case_view().address()));
  EXPECT_TRUE(Erased(after.case_view().referral().description()));
  EXPECT_EQ(after.case_view().status(), before.case_view().status());  // the case itself stays
  // The consent stays, nameless: its id, its agencies and whether it stands.
  ASSERT_EQ(after.case_view().consents_size(), 1);
  EXPECT_EQ(after.case_view().consents(0).consent_id(), consent_id);
  EXPECT_TRUE(Erased(after.case_view().consents(0).scope_sealed()));
  EXPECT_EQ(after.case_view().consents(0).scope(), "");
  EXPECT_TRUE(after.case_view().consent_scopes().empty());
  EXPECT_TRUE(after.case_view().consents(0).in_force());

  // Nothing new can be sealed for the youth.
  auto share = Req<v1::ShareConcernRequest>("erase-share");
  share.set_youth_id(youth);
  share.set_agency_id("agency-school-sjaelor");
  share.set_legal_basis(v1::LEGAL_BASIS_SSP_EXCHANGE);
  share.add_concerns(v1::CONCERN_CATEGORY_SCHOOL_ABSENCE);
  share.set_text("New worries");
  share.add_recipient_agency_ids("agency-club-sjaelor");
  share.set_necessity("The club can keep him busy");
  EXPECT_EQ(suite.commands->Call(cast.school_member, share).status.error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  // The history still replays, every sealed field in it reads as erased, and the log verifies.
  auto audit = v1::AuditService::NewStub(suite.channel);
  v1::GetCaseHistoryRequest history_request;
  history_request.set_youth_id(youth);
  auto history_context = suite.As(cast.auditor, "erasure_review: erasure check");
  auto reader = audit->GetCaseHistory(history_context.get(), history_request);
  v1::GetCaseHistoryResponse history;
  int events = 0, sealed = 0;
  bool executed_seen = false;
  while (reader->Read(&history)) {
    for (const v1::StoredEvent& e : history.events()) {
      ++events;
      executed_seen = executed_seen || e.event().has_erasure_executed();
      for (const v1::PersonalValue& value : e.personal_data()) {
        ++sealed;
        EXPECT_TRUE(Erased(value.value())) << e.type() << " " << value.path();
      }
    }
  }
  const grpc::Status finished = reader->Finish();
  ASSERT_TRUE(finished.ok()) << finished.error_message();
  // Referral, consent; erasure requested, approved, assessed, transferred, executed.
  EXPECT_EQ(events, 7);
  EXPECT_GE(sealed, 4);
  EXPECT_TRUE(executed_seen);
  v1::VerifyLogResponse verified;
  auto verify_context = suite.As(cast.auditor, "");
  ASSERT_TRUE(audit->VerifyLog(verify_context.get(), {}, &verified).ok());
  EXPECT_TRUE(verified.ok()) << verified.problem();

  // Across a crash and restart: still erased. The key store compacted the data key away, and
  // the name is in no file of the data directory (log, views, keys, access log).
  ASSERT_TRUE(suite.Restart(/*kill=*/true).ok());
  ASSERT_TRUE(GetCase(suite, youth, executed.response.position(), &after).ok());
  EXPECT_TRUE(Erased(after.case_view().name()));
  ASSERT_TRUE(suite.Restart(/*kill=*/false).ok());
  EXPECT_FALSE(AnyFileHolds(suite.dir.Sub("data/keys"), key_bytes));
  EXPECT_FALSE(AnyFileHolds(suite.dir.Sub("data"), referral.name()));
  EXPECT_FALSE(AnyFileHolds(suite.dir.Sub("data"), referral.cpr_number()));
  EXPECT_FALSE(AnyFileHolds(suite.dir.Sub("data"), "Quaggmire-Erasetest family"));
}

// Every access record that `who`'s calls left, as the auditor lists them (every page).
std::vector<v1::AccessRecord> RecordsOfPerson(const SuiteServer& suite,
                                              const security::Principal& who) {
  auto audit = v1::AuditService::NewStub(suite.channel);
  std::vector<v1::AccessRecord> out;
  v1::ListAccessRecordsRequest request;
  request.set_person(who.person);
  request.set_page_size(500);
  do {
    v1::ListAccessRecordsResponse page;
    auto context = suite.As(suite.cast.auditor, "audit: purposes after an erasure");
    const grpc::Status status = audit->ListAccessRecords(context.get(), request, &page);
    EXPECT_TRUE(status.ok()) << status.error_message();
    if (!status.ok()) break;
    out.insert(out.end(), page.records().begin(), page.records().end());
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  return out;
}

// The issue's own example: a purpose that names someone ("call with the mother of <name>") is
// erased with the youth. A list's purpose is kept once for every youth the list showed, and a
// subscription's once for every youth of all its batches: the erasure of any one of them makes
// it unreadable on every record of that call, across a restart, and in no file.
TEST(ErasureTest, APurposeTextGoesWithTheErasureOfAnyYouthItsCallShowed) {
  absl::StatusOr<std::unique_ptr<SuiteServer>> started =
      StartSuiteServer(HOTSPOTD_PATH, {"--demo", "--sync=true"});
  ASSERT_TRUE(started.ok()) << started.status();
  SuiteServer& suite = **started;
  const scenario::Cast& cast = suite.cast;

  v1::ReferYouthRequest referral = scenario::SampleReferral(4, "purpose-referral");
  referral.set_name("Xavier Quaggmire-Purposetest");
  scenario::SetBirthDate(referral, absl::CivilDay(2010, 3, 1));
  const CallResult referred = suite.commands->Call(cast.school_member, referral);
  ASSERT_TRUE(referred.status.ok()) << referred.status.error_message();
  const std::string youth = referred.response.id();

  const std::string list_text = "looking for Xavier, his mother Leila Quaggmire-Purposetest called";
  const std::string follow_text = "following the Quaggmire-Purposetest family";
  auto queries = v1::QueryService::NewStub(suite.channel);
  v1::ListCasesRequest list;
  list.set_area_id(scenario::kAreaId);
  list.set_page_size(500);
  list.set_min_position(referred.response.position());
  v1::ListCasesResponse cases;
  {
    auto context = suite.As(cast.chief, "case_coordination: " + list_text);
    const grpc::Status listed = queries->ListCases(context.get(), list, &cases);
    ASSERT_TRUE(listed.ok()) << listed.error_message();
  }
  ASSERT_GE(cases.cases_size(), 2);
  ASSERT_TRUE(std::any_of(cases.cases().begin(), cases.cases().end(),
                          [&](const v1::CaseView& c) { return c.youth_id() == youth; }));
  // A coordinator's subscription over the area's log, to its head: many batches, many youths.
  {
    auto subscriptions = v1::SubscriptionService::NewStub(suite.channel);
    v1::SubscribeRequest subscribe;
    subscribe.set_from_position(1);
    subscribe.set_area_id(scenario::kAreaId);
    subscribe.set_max_batch(50);
    auto context = suite.As(cast.chief, "case_coordination: " + follow_text, absl::Seconds(60));
    auto reader = subscriptions->Subscribe(context.get(), subscribe);
    v1::SubscribeResponse batch;
    bool caught_up = false;
    while (!caught_up && reader->Read(&batch)) caught_up = batch.caught_up();
    ASSERT_TRUE(caught_up);
    context->TryCancel();
    while (reader->Read(&batch)) {
    }
    reader->Finish();
  }
  const std::string kListCall = "hotspot.v1.QueryService/ListCases";
  const std::string kFollowCall = "hotspot.v1.SubscriptionService/Subscribe";
  // Before the erasure the auditor reads each text on every record of its call.
  std::set<std::string> listed_youths, followed_youths;
  for (const v1::AccessRecord& r : RecordsOfPerson(suite, cast.chief)) {
    if (r.call() == kListCall) {
      listed_youths.insert(r.youth_id());
      EXPECT_EQ(r.purpose_text().text(), list_text) << r.youth_id();
    } else if (r.call() == kFollowCall) {
      followed_youths.insert(r.youth_id());
      EXPECT_EQ(r.purpose_text().text(), follow_text) << r.youth_id();
    }
  }
  ASSERT_EQ(listed_youths.size(), static_cast<size_t>(cases.cases_size()));
  ASSERT_TRUE(listed_youths.contains(youth));
  ASSERT_GE(followed_youths.size(), 2u);
  ASSERT_TRUE(followed_youths.contains(youth));

  // The erasure, as the real flow goes: requested, approved, assessed "discard", executed.
  const absl::StatusOr<uint64_t> executed = EraseThroughTheFlow(suite, youth, "purpose-erase");
  ASSERT_TRUE(executed.ok()) << executed.status();
  v1::GetCaseResponse after;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  do {
    ASSERT_TRUE(GetCase(suite, youth, *executed, &after).ok());
    if (Erased(after.case_view().name())) break;
    absl::SleepFor(absl::Milliseconds(50));
  } while (absl::Now() < deadline);
  ASSERT_TRUE(Erased(after.case_view().name()));

  // Every record of both calls, of every youth they showed: the code stays, the text is erased.
  auto expect_erased = [&](const char* when) {
    size_t listed = 0, followed = 0;
    for (const v1::AccessRecord& r : RecordsOfPerson(suite, cast.chief)) {
      if (r.call() != kListCall && r.call() != kFollowCall) continue;
      (r.call() == kListCall ? listed : followed)++;
      EXPECT_EQ(r.purpose(), "case_coordination") << when << " " << r.youth_id();
      EXPECT_TRUE(Erased(r.purpose_text())) << when << " " << r.call() << " " << r.youth_id() << " "
                                            << r.purpose_text().ShortDebugString();
    }
    EXPECT_EQ(listed, listed_youths.size()) << when;
    EXPECT_GE(followed, followed_youths.size()) << when;
  };
  expect_erased("after the erasure");
  ASSERT_TRUE(suite.Restart(/*kill=*/false).ok());
  expect_erased("after a restart");
  EXPECT_FALSE(AnyFileHolds(suite.dir.Sub("data"), "Leila Quaggmire-Purposetest"));
  EXPECT_FALSE(AnyFileHolds(suite.dir.Sub("data"), follow_text));
}

// A youth near 18 carries what the birthday dates: the flag raised 90 days before the 18th
// birthday. Once the youth is erased, that tells the birth date the erasure took away: nobody
// reads it any more, the coordinator included. (The day a consent lapsed at 18 goes the same
// way: QueryHandlerTest, with a clock of its own.)
TEST(ErasureTest, AnErasedYouthsCaseKeepsNothingDatedByTheBirthday) {
  absl::StatusOr<std::unique_ptr<SuiteServer>> started =
      StartSuiteServer(HOTSPOTD_PATH, {"--demo", "--sync=false", "--deadline_interval_s=1"});
  ASSERT_TRUE(started.ok()) << started.status();
  SuiteServer& suite = **started;
  const scenario::Cast& cast = suite.cast;
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  v1::ReferYouthRequest referral = scenario::SampleReferral(7, "birthday-referral");
  const absl::CivilDay born = absl::CivilDay(today.year() - 18, today.month(), today.day()) + 30;
  referral.set_birth_date(absl::FormatCivilTime(born));
  // The CPR number that tells the same birth date (a 7th digit of 4 for the 2000s).
  referral.set_cpr_number(
      absl::StrFormat("%02d%02d%02d-4321", born.day(), born.month(), born.year() % 100));
  const CallResult referred = suite.commands->Call(cast.school_member, referral);
  ASSERT_TRUE(referred.status.ok()) << referred.status.error_message();
  const std::string youth = referred.response.id();
  // The deadline process (a pass a second) flags it: bounded wait for it.
  v1::GetCaseResponse before;
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  do {
    ASSERT_TRUE(GetCase(suite, youth, referred.response.position(), &before).ok());
    if (before.case_view().turns_18_soon()) break;
    absl::SleepFor(absl::Milliseconds(100));
  } while (absl::Now() < give_up);
  ASSERT_TRUE(before.case_view().turns_18_soon()) << "not flagged 30 days before the 18th";
  EXPECT_TRUE(before.case_view().has_eighteenth_birthday());

  const absl::StatusOr<uint64_t> executed = EraseThroughTheFlow(suite, youth, "birthday-erase");
  ASSERT_TRUE(executed.ok()) << executed.status();

  v1::GetCaseResponse after;
  ASSERT_TRUE(GetCase(suite, youth, *executed, &after).ok());
  EXPECT_TRUE(after.case_view().erased());
  EXPECT_FALSE(after.case_view().turns_18_soon());
  EXPECT_FALSE(after.case_view().has_eighteenth_birthday());
  EXPECT_FALSE(after.case_view().adult());
  EXPECT_FALSE(after.case_view().seventeen_or_older());

  // Nor do the history and the subscriptions hand out the fact dated by the birthday (its time
  // told the birth date); the rest of the history, the erasure included, is there.
  auto audit = v1::AuditService::NewStub(suite.channel);
  v1::GetCaseHistoryRequest history_request;
  history_request.set_youth_id(youth);
  history_request.set_min_position(*executed);
  auto history_context = suite.As(cast.auditor, "erasure_review: erasure check");
  auto reader = audit->GetCaseHistory(history_context.get(), history_request);
  v1::GetCaseHistoryResponse history;
  std::set<std::string> types;
  std::set<uint64_t> positions;
  uint64_t total = 0;
  while (reader->Read(&history)) {
    for (const v1::StoredEvent& e : history.events()) {
      types.insert(e.type());
      positions.insert(e.position());
    }
    total = history.total();
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(types.count("hotspot.v1.YouthReferred"), 1u);
  EXPECT_EQ(types.count("hotspot.v1.ErasureExecuted"), 1u);
  EXPECT_EQ(types.count("hotspot.v1.EighteenthBirthdayNear"), 0u);
  EXPECT_EQ(total, positions.size());  // the total does not count it either
  // Nor does the case as of any position move on it: its position is one the history shows (or
  // 0: no event after the referral changed the case).
  for (uint64_t at = referred.response.position(); at <= *executed; ++at) {
    v1::GetCaseAsOfRequest as_of;
    as_of.set_youth_id(youth);
    as_of.set_position(at);
    v1::GetCaseAsOfResponse then;
    auto as_of_context = suite.As(cast.auditor, "erasure_review: erasure check");
    ASSERT_TRUE(audit->GetCaseAsOf(as_of_context.get(), as_of, &then).ok()) << at;
    EXPECT_TRUE(then.case_view().position() == 0 ||
                positions.count(then.case_view().position()) == 1)
        << "as of " << at << ": " << then.case_view().position();
  }
  auto subscriptions = v1::SubscriptionService::NewStub(suite.channel);
  v1::SubscribeRequest subscribe;
  subscribe.set_from_position(referred.response.position());
  auto subscribe_context = suite.As(cast.chief, "case_coordination: following the area");
  subscribe_context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  auto stream = subscriptions->Subscribe(subscribe_context.get(), subscribe);
  v1::SubscribeResponse batch;
  bool referral_seen = false;
  while (stream->Read(&batch)) {
    for (const v1::StoredEvent& e : batch.events()) {
      referral_seen |= e.position() == referred.response.position();
      EXPECT_FALSE(e.event().has_eighteenth_birthday_near() &&
                   e.event().eighteenth_birthday_near().youth_id() == youth)
          << e.position();
    }
    if (batch.caught_up()) subscribe_context->TryCancel();
  }
  EXPECT_TRUE(referral_seen);
}

// Issue 15 §4: the erasure executor never stops silently. While it cannot write its checkpoint
// (a fault injected while a file exists, HOTSPOT_FAIL_ERASURE_CHECKPOINTS_WHEN) it fails, tries again with a backoff, and
// says so: AdminService.GetProjectionStatus counts the failures and gives the error, the health
// service reports "hotspot.ErasureExecutor" NOT_SERVING (the server as a whole, "", still serves).
// Once the fault clears it carries the erasure out by itself, without a restart.
TEST(ErasureTest, AFailingErasureExecutorSaysSoAndRecoversByItself) {
  store::testing::TempDir faults;
  const std::string blocker = faults.Sub("fail-erasure-checkpoints");
  ASSERT_TRUE(std::filesystem::create_directory(blocker));
  setenv("HOTSPOT_FAIL_ERASURE_CHECKPOINTS_WHEN", blocker.c_str(), 1);
  absl::StatusOr<std::unique_ptr<SuiteServer>> started =
      StartSuiteServer(HOTSPOTD_PATH, {"--demo", "--sync=false"});
  unsetenv("HOTSPOT_FAIL_ERASURE_CHECKPOINTS_WHEN");
  ASSERT_TRUE(started.ok()) << started.status();
  SuiteServer& suite = **started;
  const CallResult referred =
      suite.commands->Call(suite.cast.school_member, scenario::SampleReferral(8, "stuck-referral"));
  ASSERT_TRUE(referred.status.ok()) << referred.status.error_message();
  const std::string youth = referred.response.id();
  const absl::StatusOr<uint64_t> executed = EraseThroughTheFlow(suite, youth, "stuck");
  ASSERT_TRUE(executed.ok()) << executed.status();

  auto admin = v1::AdminService::NewStub(suite.channel);
  auto status = [&] {
    v1::GetProjectionStatusResponse response;
    auto context = suite.As(suite.cast.admin, "");
    const grpc::Status read = admin->GetProjectionStatus(context.get(), {}, &response);
    EXPECT_TRUE(read.ok()) << read.error_message();
    return response.erasures();
  };
  auto health = [&](const std::string& service) {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    const grpc::Status checked =
        grpc::health::v1::Health::NewStub(suite.channel)->Check(&context, request, &response);
    EXPECT_TRUE(checked.ok()) << service << ": " << checked.error_message();
    return response.status();
  };
  // Bounded waits (the executor retries within 200 ms at first, the health monitor looks every
  // second).
  auto eventually = [](const std::function<bool()>& done) {
    for (const absl::Time until = absl::Now() + absl::Seconds(30); !done();) {
      if (absl::Now() > until) return false;
      absl::SleepFor(absl::Milliseconds(50));
    }
    return true;
  };
  using grpc::health::v1::HealthCheckResponse;
  ASSERT_TRUE(eventually([&] { return status().consecutive_failures() >= 2; }));
  ASSERT_TRUE(eventually([&] {
    return health("hotspot.ErasureExecutor") == HealthCheckResponse::NOT_SERVING;
  }));
  const v1::ErasureExecutorStatus failing = status();
  EXPECT_EQ(failing.erased(), 0u);
  EXPECT_LE(failing.position(), *executed);
  EXPECT_TRUE(absl::StrContains(failing.last_error(), "fault injected while " + blocker))
      << failing.last_error();
  EXPECT_TRUE(failing.has_last_error_at());
  EXPECT_TRUE(failing.has_next_retry_at());
  // Reads and writes go on: "" is SERVING (once the views have caught up with the start, which
  // the monitor sees within its second: slow under ASan) while the executor still fails.
  EXPECT_TRUE(eventually([&] { return health("") == HealthCheckResponse::SERVING; }));
  EXPECT_EQ(health("hotspot.ErasureExecutor"), HealthCheckResponse::NOT_SERVING);

  ASSERT_TRUE(std::filesystem::remove(blocker));
  ASSERT_TRUE(eventually([&] { return status().erased() == 1; }));
  const v1::ErasureExecutorStatus recovered = status();
  EXPECT_EQ(recovered.consecutive_failures(), 0u);
  EXPECT_GT(recovered.position(), *executed);
  EXPECT_FALSE(recovered.has_next_retry_at());
  EXPECT_TRUE(absl::StrContains(recovered.last_error(), blocker));  // kept
  ASSERT_TRUE(eventually(
      [&] { return health("hotspot.ErasureExecutor") == HealthCheckResponse::SERVING; }));
  v1::GetCaseResponse after;
  ASSERT_TRUE(GetCase(suite, youth, *executed, &after).ok());
  EXPECT_TRUE(Erased(after.case_view().name()));
}

}  // namespace
}  // namespace hotspot::testing
