// The audit's reads over a real event store and views with the Sjælør scenario in them: the
// history is exactly the events that concern the youth, as-of equals a replay of the log, and
// the access log keeps, lists, exports and purges its records, with the purposes' free texts
// sealed under the youth.
#include "services/audit/audit_handler.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "hotspot/v1/query_service.pb.h"
#include "rocksdb/db.h"
#include "services/audit/access_log.h"
#include "services/projections/all_views.h"
#include "services/projections/case_views.h"
#include "services/projections/rows.h"
#include "services/projections/subject_view.h"
#include "services/projections/test_stores.h"
#include "services/queries/personal_data.h"
#include "services/queries/query_util.h"
#include "services/scenario/handler_sink.h"
#include "services/scenario/scenario.h"
#include "services/security/key_store.h"
#include "store/status_macros.h"
#include "store/test_util.h"

namespace hotspot::audit {
namespace {

using google::protobuf::util::MessageDifferencer;
using store::testing::TempDir;

const absl::Time kNow =
    absl::FromCivil(absl::CivilSecond(2026, 11, 23, 12, 0, 0), absl::UTCTimeZone());

class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    projections::testing::OpenTestStores(dir_, &keys_, &sealer_, &events_, &heads_);
    scenario::HandlerSink sink(events_.get(), sealer_.get());
    scenario::ScenarioOptions demo;
    demo.youths = 30;
    demo.now = kNow;
    absl::StatusOr<scenario::ScenarioResult> built = scenario::BuildSjaelor(sink, demo);
    ASSERT_TRUE(built.ok()) << built.status();
    demo_ = *built;
    views_ = *projections::Projector::Open(
        projections::ProjectorOptions(), events_.get(),
        projections::AllViews(sealer_.get(), *security::IdentityDigester::FromKeyStore(*keys_)),
        dir_.Sub("views"));
    ASSERT_TRUE(views_->WaitFor(events_->HeadPosition(), absl::Now() + absl::Seconds(30)).ok());
  }

  AuditHandler Handler(int retention_days = 1826, absl::Time now = kNow) {
    AuditOptions options;
    options.retention_days = retention_days;
    options.history_batch = 7;  // several responses even for short histories
    options.clock = [now] { return now; };
    return AuditHandler(events_.get(), views_.get(), sealer_.get(), &heads_, std::move(options));
  }

  std::vector<v1::StoredEvent> History(const AuditHandler& handler, const security::Principal& who,
                                       const std::string& youth, absl::Status* status,
                                       std::vector<std::string>* recorded = nullptr) {
    std::vector<v1::StoredEvent> out;
    v1::GetCaseHistoryRequest request;
    request.set_youth_id(youth);
    *status = handler.CaseHistory(
        who, request, absl::Now() + absl::Seconds(10),
        [&](const v1::GetCaseHistoryResponse& response, const security::Disclosures& shown) {
          EXPECT_LE(response.events_size(), 7);
          for (const auto& e : response.events()) out.push_back(e);
          // What each response disclosed: the youth, "+" if in clear.
          for (const v1::AccessRecord& r : shown.Records()) {
            if (recorded != nullptr) {
              recorded->push_back(r.youth_id() + (r.personal_data_disclosed() ? "+" : ""));
            }
          }
          return true;
        });
    return out;
  }

  // The youth's subject access request, recorded by the chief: its id.
  std::string AskForAccess(const std::string& youth, const std::string& request_id) {
    scenario::HandlerSink sink(events_.get(), sealer_.get());
    v1::RecordSubjectAccessRequestRequest asked;
    asked.set_request_id(request_id);
    asked.set_youth_id(youth);
    asked.set_requester(v1::CONSENT_GIVER_YOUTH);
    asked.set_requested_by("the youth");
    const absl::StatusOr<v1::CommandResponse> sar = sink.Send(cast_.chief, asked, kNow);
    EXPECT_TRUE(sar.ok()) << sar.status();
    return sar.ok() ? sar->id() : "";
  }

  // The export answering it, as the auditor makes it once the views have caught up.
  absl::StatusOr<Disclosed<v1::ExportSubjectAccessResponse>> Export(const std::string& youth,
                                                                    const std::string& sar) {
    RETURN_IF_ERROR(views_->WaitFor(events_->HeadPosition(), absl::Now() + absl::Seconds(10)));
    v1::ExportSubjectAccessRequest request;
    request.set_youth_id(youth);
    request.set_subject_access_id(sar);
    return Handler().SubjectAccess(cast_.auditor, request, absl::Now() + absl::Seconds(10), {});
  }

  // Every position of the log that concerns `youth`, by a full scan: its stream, an event that
  // names it, or a later event of a stream whose first event named it.
  std::set<uint64_t> Concerning(const std::string& youth) {
    std::set<uint64_t> out;
    std::set<std::string> streams = {youth};
    std::set<std::string> seen;
    for (uint64_t next = 1; next <= events_->HeadPosition();) {
      const std::vector<store::RecordedEvent> batch =
          *events_->ReadAll(next, store::Direction::kForward, 1000);
      for (const store::RecordedEvent& recorded : batch) {
        const v1::Event event = *projections::ParseEvent(recorded);
        if (seen.insert(recorded.stream).second && projections::YouthNamedBy(event) == youth) {
          streams.insert(recorded.stream);
        }
        if (streams.count(recorded.stream) > 0 || projections::YouthNamedBy(event) == youth) {
          out.insert(recorded.position);
        }
        next = recorded.position + 1;
      }
    }
    return out;
  }

  TempDir dir_;
  std::unique_ptr<security::KeyStore> keys_;
  std::unique_ptr<security::Sealer> sealer_;
  security::PublicHead heads_;  // before the event store, which feeds it
  std::unique_ptr<store::EventStore> events_;
  std::unique_ptr<projections::Projector> views_;
  scenario::ScenarioResult demo_;
  const scenario::Cast cast_ = scenario::SjaelorCast();
};

TEST_F(AuditTest, TheHistoryIsExactlyTheEventsThatConcernTheYouthInLogOrder) {
  const AuditHandler handler = Handler();
  for (size_t i = 0; i < demo_.youth_ids.size(); i += 5) {
    const std::string& youth = demo_.youth_ids[i];
    absl::Status status;
    std::vector<std::string> recorded;
    const std::vector<v1::StoredEvent> history =
        History(handler, cast_.auditor, youth, &status, &recorded);
    ASSERT_TRUE(status.ok()) << status;
    // One disclosure per response, of the youth, in clear (the name is sealed in the first one).
    ASSERT_FALSE(recorded.empty());
    EXPECT_EQ(recorded[0], youth + "+");
    for (const std::string& r : recorded) EXPECT_TRUE(absl::StartsWith(r, youth)) << r;
    std::vector<uint64_t> positions;
    for (const v1::StoredEvent& e : history) positions.push_back(e.position());
    const std::set<uint64_t> expected = Concerning(youth);
    EXPECT_EQ(positions, std::vector<uint64_t>(expected.begin(), expected.end())) << youth;

    // The envelope is the stored event's, and the personal data is in clear for an auditor.
    const store::RecordedEvent first =
        (*events_->ReadAll(history[0].position(), store::Direction::kForward, 1))[0];
    EXPECT_EQ(history[0].stream(), youth);
    EXPECT_EQ(history[0].type(), "hotspot.v1.YouthReferred");
    EXPECT_EQ(history[0].hash(), first.hash);
    EXPECT_EQ(history[0].event_id(), first.id.ToString());
    EXPECT_FALSE(history[0].actor().person().empty());
    EXPECT_FALSE(history[0].request_id().empty());
    bool name_in_clear = false;
    for (const v1::PersonalValue& value : history[0].personal_data()) {
      if (value.path() == "youth_referred.name") name_in_clear = value.value().has_text();
    }
    EXPECT_TRUE(name_in_clear);
  }
  // A shared concern carries its legal basis.
  bool legal_basis_seen = false;
  for (const std::string& youth : demo_.youth_ids) {
    absl::Status status;
    for (const v1::StoredEvent& e : History(handler, cast_.chief, youth, &status)) {
      if (e.event().has_concern_shared()) {
        EXPECT_NE(e.legal_basis(), v1::LEGAL_BASIS_UNSPECIFIED);
        legal_basis_seen = true;
      }
    }
  }
  EXPECT_TRUE(legal_basis_seen);
}

TEST_F(AuditTest, WhoMayReadAHistory) {
  const AuditHandler handler = Handler();
  const std::string& youth = demo_.youth_ids[0];
  absl::Status status;
  std::vector<std::string> recorded;
  History(handler, cast_.school_member, youth, &status, &recorded);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << status;
  History(handler, cast_.integration, youth, &status, &recorded);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << status;
  EXPECT_TRUE(recorded.empty()) << "a refused read is not recorded as a read";
  History(handler, cast_.chief, youth, &status);
  EXPECT_TRUE(status.ok()) << status;
  // An auditor of one area is refused a youth with no case as another area's youth; only an
  // auditor of every area is told there is none.
  History(handler, cast_.auditor, "youth-nobody", &status);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << status;
  security::Principal dpo = cast_.auditor;
  dpo.areas.clear();
  History(handler, dpo, "youth-nobody", &status);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << status;
  History(handler, cast_.auditor, "nobody", &status);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_NE(status.message().find("youth_id"), std::string::npos);
}

// What the police wrote in clear, in an event of before texts were sealed (a commitment of
// theirs about the youth, its action in clear), is withheld from the subject access export too,
// in the history and in the case, and the redactions are listed.
TEST_F(AuditTest, APoliceTextInClearOfBeforeIsWithheldFromTheSubjectAccessExport) {
  const std::string& youth = demo_.youth_ids[0];
  const std::string sar = AskForAccess(youth, "old-text-sar");
  v1::Event event;
  event.set_area_id(scenario::kAreaId);
  event.mutable_actor()->set_person(cast_.police_member.person);
  event.mutable_actor()->set_agency_id(cast_.police_member.agency);
  v1::CommitmentMade* made = event.mutable_commitment_made();
  made->set_commitment_id("commitment-of-before");
  made->set_owning_agency_id(cast_.police_member.agency);
  made->set_youth_id(youth);
  made->mutable_action()->set_clear("Old words of the police about the thefts");
  std::vector<store::StreamAppend> appends(1);
  appends[0].stream = "commitment-of-before";
  store::ProposedEvent& proposed = appends[0].events.emplace_back();
  proposed.type = "hotspot.v1.CommitmentMade";
  proposed.payload = event.SerializeAsString();
  proposed.metadata.actor = cast_.police_member.person;
  ASSERT_TRUE(events_->Append(std::move(appends)).ok());

  const absl::StatusOr<Disclosed<v1::ExportSubjectAccessResponse>> exported = Export(youth, sar);
  ASSERT_TRUE(exported.ok()) << exported.status();
  EXPECT_EQ(exported->answer.json().find("Old words"), std::string::npos);
  EXPECT_EQ(exported->answer.html().find("Old words"), std::string::npos);
  std::set<std::string> paths;
  for (const v1::Redaction& r : exported->answer.redactions()) paths.insert(r.path());
  EXPECT_TRUE(paths.count("commitment_made.action")) << exported->answer.json();
  EXPECT_TRUE(paths.count("case_view.commitments.action")) << exported->answer.json();
}

// A case's head (what the history's and as-of's authorization read of the case) is its row's
// youth and area, and nothing else of it; none for a youth with no case.
TEST_F(AuditTest, ACasesHeadIsItsRowsYouthAndAreaAlone) {
  ASSERT_FALSE(demo_.youth_ids.empty());
  for (const std::string& id : demo_.youth_ids) {
    const absl::StatusOr<std::optional<v1::CaseView>> row = queries::LoadCaseRow(*views_, id);
    const absl::StatusOr<std::optional<v1::CaseView>> head = queries::LoadCaseHead(*views_, id);
    ASSERT_TRUE(row.ok() && head.ok());
    ASSERT_TRUE(row->has_value() && head->has_value()) << id;
    v1::CaseView expected;
    expected.set_youth_id((*row)->youth_id());
    expected.set_area_id((*row)->area_id());
    EXPECT_EQ((*head)->SerializeAsString(), expected.SerializeAsString()) << id;
    EXPECT_EQ((*head)->area_id(), scenario::kAreaId);
    EXPECT_GT((*row)->ByteSizeLong(), 10 * (*head)->ByteSizeLong()) << id;
  }
  const absl::StatusOr<std::optional<v1::CaseView>> none =
      queries::LoadCaseHead(*views_, "youth-00000000-0000-7000-8000-000000000000");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

// The demo's chief withdraws a proposal nobody answered: the case view names her
// (withdrawn_by), and the subject access export withholds her name as it does other employees'.
TEST_F(AuditTest, WhoWithdrewAProposalIsInTheViewAndWithheldFromTheSubjectAccessExport) {
  std::string youth, commitment;
  for (const std::string& id : demo_.youth_ids) {
    const std::optional<v1::CaseView> view = *queries::LoadCaseRow(*views_, id);
    ASSERT_TRUE(view.has_value()) << id;
    for (const v1::CommitmentView& c : view->commitments()) {
      if (c.state() != v1::COMMITMENT_STATE_WITHDRAWN) continue;
      youth = id;
      commitment = c.commitment_id();
      EXPECT_EQ(c.withdrawn_by(), cast_.chief.person);
      EXPECT_TRUE(c.has_withdrawn_at());
    }
  }
  ASSERT_FALSE(youth.empty()) << "the demo withdraws no proposal";

  const absl::StatusOr<Disclosed<v1::ExportSubjectAccessResponse>> exported =
      Export(youth, AskForAccess(youth, "withdrawn-by-sar"));
  ASSERT_TRUE(exported.ok()) << exported.status();
  const v1::ExportSubjectAccessResponse& answer = exported->answer;
  EXPECT_EQ(answer.json().find(cast_.chief.person), std::string::npos) << answer.json();
  EXPECT_EQ(answer.html().find(cast_.chief.person), std::string::npos);
  v1::SubjectAccessExport parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(answer.json(), &parsed).ok());
  bool listed = false;
  for (const v1::CommitmentView& c : parsed.case_view().commitments()) {
    if (c.commitment_id() != commitment) continue;
    listed = true;
    EXPECT_EQ(c.state(), v1::COMMITMENT_STATE_WITHDRAWN);
    EXPECT_EQ(c.withdrawn_by(), "");
  }
  EXPECT_TRUE(listed);
  std::set<std::string> paths;
  for (const v1::Redaction& r : answer.redactions()) paths.insert(r.path());
  EXPECT_TRUE(paths.count("case_view.commitments.withdrawn_by")) << answer.json();
}

TEST_F(AuditTest, AsOfAtSeveralPointsEqualsAReplayOfTheLog) {
  const AuditHandler handler = Handler();
  for (size_t i = 0; i < demo_.youth_ids.size(); i += 7) {
    const std::string& youth = demo_.youth_ids[i];
    absl::Status status;
    const std::vector<v1::StoredEvent> history = History(handler, cast_.auditor, youth, &status);
    ASSERT_TRUE(status.ok()) << status;
    for (size_t part : {size_t{0}, history.size() / 3, history.size() / 2, history.size() - 1}) {
      const uint64_t at = history[part].position();
      v1::GetCaseAsOfRequest request;
      request.set_youth_id(youth);
      request.set_position(at);
      absl::StatusOr<Disclosed<v1::GetCaseAsOfResponse>> disclosed =
          handler.CaseAsOf(cast_.auditor, request, absl::Now() + absl::Seconds(10));
      ASSERT_TRUE(disclosed.ok()) << disclosed.status();
      EXPECT_TRUE(disclosed->disclosures.InClear(youth));
      const v1::GetCaseAsOfResponse* as_of = &disclosed->answer;
      EXPECT_EQ(as_of->position(), at);

      projections::CasesView cases;
      projections::MemoryRows replayed;
      ASSERT_TRUE(projections::BuildInMemory(*events_, cases, at, &replayed).ok());
      v1::CaseView expected;
      ASSERT_TRUE(expected.ParseFromString(replayed.rows().at(projections::CaseKey(youth))));
      const store::RecordedEvent last = (*events_->ReadAll(at, store::Direction::kForward, 1))[0];
      security::Disclosures ignored;
      ASSERT_TRUE(queries::PresentCase(&expected, true, *sealer_,
                                       absl::ToCivilDay(last.recorded_at, absl::UTCTimeZone()),
                                       ignored)
                      .ok());
      EXPECT_TRUE(MessageDifferencer::Equals(as_of->case_view(), expected))
          << youth << " at " << at << "\nAS-OF " << as_of->case_view().DebugString() << "\nREPLAY "
          << expected.DebugString();
      if (as_of->case_view().name().has_sealed() || as_of->case_view().name().has_withheld()) {
        ADD_FAILURE() << "the name is not in clear for an auditor";
      }

      // The same point by time: every event recorded at or before the event's time.
      v1::GetCaseAsOfRequest by_time;
      by_time.set_youth_id(youth);
      by_time.mutable_time()->set_seconds(absl::ToUnixSeconds(last.recorded_at));
      by_time.mutable_time()->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(
          last.recorded_at - absl::FromUnixSeconds(absl::ToUnixSeconds(last.recorded_at)))));
      absl::StatusOr<Disclosed<v1::GetCaseAsOfResponse>> timed_or =
          handler.CaseAsOf(cast_.auditor, by_time, absl::Now() + absl::Seconds(10));
      ASSERT_TRUE(timed_or.ok()) << timed_or.status();
      const v1::GetCaseAsOfResponse* timed = &timed_or->answer;
      EXPECT_GE(timed->position(), at);
      const uint64_t after = timed->position() + 1;
      if (after <= events_->HeadPosition()) {
        EXPECT_GT((*events_->ReadAll(after, store::Direction::kForward, 1))[0].recorded_at,
                  last.recorded_at);
      }
    }
  }
  // Before the case existed: no case, and bad input names its field.
  v1::GetCaseAsOfRequest request;
  request.set_youth_id(demo_.youth_ids.back());
  request.set_position(1);
  absl::StatusOr<Disclosed<v1::GetCaseAsOfResponse>> before =
      handler.CaseAsOf(cast_.auditor, request, absl::InfiniteFuture());
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_FALSE(before->answer.has_case_view());
  // Nothing was shown in clear, but the read of the youth is recorded all the same.
  ASSERT_EQ(before->disclosures.Records().size(), 1u);
  EXPECT_EQ(before->disclosures.Records()[0].youth_id(), demo_.youth_ids.back());
  EXPECT_FALSE(before->disclosures.InClear(demo_.youth_ids.back()));
  request.clear_position();
  absl::Status missing = handler.CaseAsOf(cast_.auditor, request, absl::InfiniteFuture()).status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kInvalidArgument);
  request.set_position(events_->HeadPosition() + 1);
  absl::Status past = handler.CaseAsOf(cast_.auditor, request, absl::InfiniteFuture()).status();
  EXPECT_EQ(past.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(past.message().find("position"), std::string::npos);
}

// VerifyLog goes a batch at a time: in batches of 3 it verifies the whole log as one pass
// does; it stops (CANCELLED) once its call is cancelled and (DEADLINE_EXCEEDED, saying where
// to resume) once its deadline has passed, having verified only what came before, so that a
// long log's verification holds no worker after its call has ended.
TEST_F(AuditTest, VerifyLogStopsWhenItsCallEnds) {
  AuditOptions options;
  options.verify_batch = 3;
  const AuditHandler handler(events_.get(), views_.get(), sealer_.get(), &heads_,
                             std::move(options));
  const uint64_t head = events_->HeadPosition();
  ASSERT_GT(head, 12u);
  int checks = 0;
  absl::StatusOr<v1::VerifyLogResponse> whole = handler.VerifyLog(
      cast_.auditor, {}, absl::InfiniteFuture(), [&checks] { return ++checks, false; });
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_TRUE(whole->ok());
  EXPECT_EQ(whole->to_position(), head);
  EXPECT_EQ(checks, static_cast<int>((head + 2) / 3));

  checks = 0;
  const absl::Status cancelled =
      handler.VerifyLog(cast_.auditor, {}, absl::InfiniteFuture(), [&checks] {
        return ++checks > 2;  // cancelled after two batches
      }).status();
  EXPECT_EQ(cancelled.code(), absl::StatusCode::kCancelled) << cancelled;
  EXPECT_EQ(cancelled.message(), "VerifyLog: the call was cancelled after verifying 6 events");
  EXPECT_EQ(checks, 3);

  const absl::Status late =
      handler.VerifyLog(cast_.auditor, {}, absl::Now() - absl::Seconds(1)).status();
  EXPECT_EQ(late.code(), absl::StatusCode::kDeadlineExceeded) << late;
  EXPECT_TRUE(absl::StrContains(late.message(), "verify the rest with from_position 1")) << late;
}

TEST_F(AuditTest, VerifyAndErasureReviewsDue) {
  const AuditHandler handler = Handler();
  absl::StatusOr<v1::VerifyLogResponse> verified = handler.VerifyLog(cast_.auditor, {});
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_TRUE(verified->ok());
  EXPECT_EQ(verified->from_position(), 1u);
  EXPECT_EQ(verified->to_position(), events_->HeadPosition());
  EXPECT_EQ(handler.VerifyLog(cast_.chief, {}).status().code(),
            absl::StatusCode::kPermissionDenied);

  // Ended cases: none due within five years; all due a year after today with a 30-day period.
  int closed = 0;
  for (const std::string& youth : demo_.youth_ids) {
    const auto view = *queries::LoadCaseRow(*views_, youth);
    if (view->status() == v1::CASE_STATUS_CLOSED || view->status() == v1::CASE_STATUS_DECLINED ||
        view->status() == v1::CASE_STATUS_HANDED_OVER) {
      ++closed;
    }
  }
  ASSERT_GT(closed, 0);
  v1::ListErasureReviewsDueRequest request;
  request.set_area_id(scenario::kAreaId);
  EXPECT_EQ(handler.ErasureReviewsDue(cast_.auditor, request, absl::InfiniteFuture())->cases_size(),
            0);
  const AuditHandler later = Handler(30, kNow + absl::Hours(24 * 365));
  request.set_page_size(2);
  std::set<std::string> due;
  std::vector<v1::ErasureReviewDue> listed;  // in the order the pages gave them
  for (int page = 0; page < 100; ++page) {
    absl::StatusOr<v1::ListErasureReviewsDueResponse> response =
        later.ErasureReviewsDue(cast_.chief, request, absl::InfiniteFuture());
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->retention_days(), 30);
    for (const auto& c : response->cases()) {
      EXPECT_GT(c.days_closed(), 30);
      due.insert(c.youth_id());
      listed.push_back(c);
    }
    if (response->next_page_token().empty()) break;
    request.set_page_token(response->next_page_token());
  }
  EXPECT_EQ(static_cast<int>(due.size()), closed);
  ASSERT_EQ(static_cast<int>(listed.size()), closed);  // each once
  for (size_t i = 1; i < listed.size(); ++i) {  // oldest first
    EXPECT_LE(listed[i - 1].closed_at().seconds(), listed[i].closed_at().seconds());
  }
  // Read only up to the cutoff: at a time when the first ended case is due and the last is not,
  // exactly those ended by the cutoff are listed.
  const int64_t first = listed.front().closed_at().seconds();
  const int64_t latest = listed.back().closed_at().seconds();
  if (latest > first) {
    const absl::Time cutoff = absl::FromUnixSeconds(first + (latest - first) / 2);
    const AuditHandler between = Handler(30, cutoff + absl::Hours(24 * 30));
    v1::ListErasureReviewsDueRequest all;
    all.set_area_id(scenario::kAreaId);
    all.set_page_size(500);
    absl::StatusOr<v1::ListErasureReviewsDueResponse> some =
        between.ErasureReviewsDue(cast_.chief, all, absl::InfiniteFuture());
    ASSERT_TRUE(some.ok()) << some.status();
    const int expected = static_cast<int>(
        std::count_if(listed.begin(), listed.end(), [&](const v1::ErasureReviewDue& c) {
          return c.closed_at().seconds() <= absl::ToUnixSeconds(cutoff);
        }));
    EXPECT_EQ(some->cases_size(), expected);
    EXPECT_GT(expected, 0);
    EXPECT_LT(expected, closed);
  }
  // A token of another list or another area is refused.
  v1::ListErasureReviewsDueRequest forged = request;
  forged.set_page_token("Zm9v");
  EXPECT_EQ(later.ErasureReviewsDue(cast_.chief, forged, absl::InfiniteFuture()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      later.ErasureReviewsDue(cast_.school_member, request, absl::InfiniteFuture()).status().code(),
      absl::StatusCode::kPermissionDenied);

  // An erased case has had its review: it drops off the list.
  const std::string erased = *due.begin();
  scenario::HandlerSink sink(events_.get(), sealer_.get());
  v1::RequestErasureRequest erase;
  erase.set_request_id("review-erase");
  erase.set_youth_id(erased);
  erase.set_requested_by("the youth");
  erase.set_reason("Referred by mistake");
  erase.set_ground(v1::ERASURE_GROUND_UNLAWFULLY_PROCESSED);
  const absl::StatusOr<v1::CommandResponse> requested = sink.Send(cast_.chief, erase, kNow);
  ASSERT_TRUE(requested.ok()) << requested.status();
  v1::ApproveErasureRequest approve;
  approve.set_request_id("review-approve");
  approve.set_erasure_id(requested->id());
  ASSERT_TRUE(sink.Send(cast_.auditor, approve, kNow).ok());
  v1::RecordArchiveAssessmentRequest assess;
  assess.set_request_id("review-archive");
  assess.set_erasure_id(requested->id());
  assess.set_outcome(v1::ARCHIVE_OUTCOME_DISCARD);
  assess.set_reference("ARK-7");
  ASSERT_TRUE(sink.Send(cast_.auditor, assess, kNow).ok());
  v1::ExecuteErasureRequest execute;
  execute.set_request_id("review-execute");
  execute.set_erasure_id(requested->id());
  ASSERT_TRUE(sink.Send(cast_.admin, execute, kNow).ok());
  request.set_page_size(500);
  request.clear_page_token();
  absl::StatusOr<v1::ListErasureReviewsDueResponse> after =
      later.ErasureReviewsDue(cast_.chief, request, absl::Now() + absl::Seconds(10));
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->cases_size(), closed - 1);
  for (const auto& c : after->cases()) EXPECT_NE(c.youth_id(), erased);
}

// A read waits for the views to reach the head as it was when the call came (its asked_head,
// which the gRPC service takes on arrival and the runner queues the call for), not for what was
// appended while it was queued: with the views held after one more event, the erasure reviews,
// a youth's history and a case as of a time are answered at the head asked; asked at the head now
// (asked_head 0), each ends DEADLINE_EXCEEDED, as the views do not reach it.
TEST_F(AuditTest, AReadWaitsForTheHeadWhenAskedNotForLaterAppends) {
  std::atomic<bool> held{false};
  projections::ProjectorOptions options;
  options.hold = [&held] { return held.load(); };
  std::unique_ptr<projections::Projector> views = *projections::Projector::Open(
      std::move(options), events_.get(),
      projections::AllViews(sealer_.get(), *security::IdentityDigester::FromKeyStore(*keys_)),
      dir_.Sub("held-views"));
  const uint64_t asked = events_->HeadPosition();
  ASSERT_TRUE(views->WaitFor(asked, absl::Now() + absl::Seconds(30)).ok());
  held = true;
  scenario::HandlerSink sink(events_.get(), sealer_.get());
  ASSERT_TRUE(sink.Send(cast_.school_member, scenario::SampleReferral(9301, "asked-later"), kNow)
                  .ok());
  ASSERT_GT(events_->HeadPosition(), asked);
  AuditOptions audit_options;
  audit_options.clock = [] { return kNow; };
  const AuditHandler handler(events_.get(), views.get(), sealer_.get(), &heads_,
                             std::move(audit_options));
  const std::string youth = demo_.youth_ids.front();
  auto soon = [] { return absl::Now() + absl::Milliseconds(300); };

  v1::ListErasureReviewsDueRequest reviews;
  reviews.set_area_id(scenario::kAreaId);
  EXPECT_TRUE(handler.ErasureReviewsDue(cast_.auditor, reviews, soon(), asked).ok());
  EXPECT_EQ(handler.ErasureReviewsDue(cast_.auditor, reviews, soon()).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  v1::GetCaseHistoryRequest history;
  history.set_youth_id(youth);
  absl::StatusOr<AuditHandler::History> opened =
      handler.OpenCaseHistory(cast_.auditor, history, soon(), asked);
  EXPECT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(handler.OpenCaseHistory(cast_.auditor, history, soon()).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  v1::GetCaseAsOfRequest as_of;
  as_of.set_youth_id(youth);
  *as_of.mutable_time() = projections::Ts(absl::Now() + absl::Hours(1));
  EXPECT_EQ(handler.Awaited(as_of, asked), 0u);
  absl::StatusOr<Disclosed<v1::GetCaseAsOfResponse>> then =
      handler.CaseAsOf(cast_.auditor, as_of, soon(), asked);
  ASSERT_TRUE(then.ok()) << then.status();
  EXPECT_EQ(then->answer.position(), asked);
  EXPECT_EQ(handler.CaseAsOf(cast_.auditor, as_of, soon()).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  held = false;
}

security::Purpose Why(v1::Purpose code, std::string text = "") {
  return security::Purpose{code, std::move(text)};
}

v1::AccessRecord Read(const std::string& youth, bool in_clear = false, std::string area = "") {
  v1::AccessRecord r;
  r.set_youth_id(youth);
  r.set_area_id(std::move(area));
  r.set_personal_data_disclosed(in_clear);
  return r;
}

TEST(AccessLogTest, RecordsAreKeptListedPerYouthAndPersonAndExported) {
  TempDir dir;
  const security::Principal anna{"chief-anna", "agency-hotspot", security::Role::kCoordinator, {}};
  const security::Principal bo{"teacher-bo", "agency-school", security::Role::kAgencyMember, {}};
  {
    AccessLogOptions options;
    options.sync_interval = absl::ZeroDuration();
    auto log = *AccessLog::Open(std::move(options), dir.Sub("access"));
    ASSERT_TRUE(log->Record(anna, "call/One", Why(v1::PURPOSE_CASE_COORDINATION),
                            {Read("youth-a", true), Read("youth-b")})
                    .ok());
    ASSERT_TRUE(
        log->Record(bo, "call/Two", Why(v1::PURPOSE_COMMITMENT_FOLLOW_UP), {Read("youth-a")}).ok());
    EXPECT_EQ(log->last_sequence(), 3u);
  }
  // Reopened: the records are there, and numbering goes on.
  auto log = *AccessLog::Open(AccessLogOptions(), dir.Sub("access"));
  ASSERT_TRUE(
      log->Record(anna, "call/Three", Why(v1::PURPOSE_MEETING_PREPARATION), {Read("youth-a")})
          .ok());
  EXPECT_EQ(log->last_sequence(), 4u);

  v1::ListAccessRecordsRequest by_youth;
  by_youth.set_youth_id("youth-a");
  by_youth.set_page_size(2);
  auto page = *log->List(by_youth);
  ASSERT_EQ(page.records_size(), 2);
  EXPECT_EQ(page.records(0).sequence(), 1u);
  EXPECT_EQ(page.records(0).person(), "chief-anna");
  EXPECT_EQ(page.records(0).role(), "coordinator");
  EXPECT_EQ(page.records(0).purpose(), "case_coordination");
  EXPECT_EQ(page.records(0).purpose_code(), v1::PURPOSE_CASE_COORDINATION);
  EXPECT_FALSE(page.records(0).has_purpose_text());
  EXPECT_EQ(page.records(0).call(), "call/One");
  EXPECT_TRUE(page.records(0).personal_data_disclosed());
  EXPECT_FALSE(page.records(0).refused());
  EXPECT_TRUE(page.records(0).has_at());
  EXPECT_EQ(page.records(1).person(), "teacher-bo");
  EXPECT_EQ(page.records(1).purpose(), "commitment_follow_up");
  ASSERT_FALSE(page.next_page_token().empty());
  by_youth.set_page_token(page.next_page_token());
  page = *log->List(by_youth);
  ASSERT_EQ(page.records_size(), 1);
  EXPECT_EQ(page.records(0).sequence(), 4u);
  EXPECT_TRUE(page.next_page_token().empty());

  v1::ListAccessRecordsRequest by_person;
  by_person.set_person("chief-anna");
  page = *log->List(by_person);
  ASSERT_EQ(page.records_size(), 3);
  EXPECT_EQ(page.records(1).youth_id(), "youth-b");

  EXPECT_EQ(log->List({}).status().code(), absl::StatusCode::kInvalidArgument);
  by_person.set_youth_id("youth-a");
  EXPECT_EQ(log->List(by_person).status().code(), absl::StatusCode::kInvalidArgument);

  std::vector<uint64_t> exported;
  uint64_t last_sent = 0;
  ASSERT_TRUE(log->Export({}, 3,
                          [&](const v1::ExportAccessLogResponse& response) {
                            for (const auto& r : response.records()) {
                              exported.push_back(r.sequence());
                            }
                            EXPECT_EQ(response.total(), 4u);
                            last_sent = response.sent();
                            return true;
                          })
                  .ok());
  EXPECT_EQ(exported, (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(last_sent, 4u);
  // An error of `send` ends the export with it.
  EXPECT_EQ(log->Export({}, 1,
                        [](const v1::ExportAccessLogResponse&) -> absl::StatusOr<bool> {
                          return absl::UnavailableError("gone");
                        })
                .code(),
            absl::StatusCode::kUnavailable);
}

// Every record of `log`, exported.
v1::ExportAccessLogResponse Exported(const AccessLog& log) {
  v1::ExportAccessLogResponse all;
  const absl::Status status = log.Export({}, 10, [&](v1::ExportAccessLogResponse& r) {
    all.MergeFrom(r);
    return true;
  });
  EXPECT_TRUE(status.ok()) << status;
  return all;
}

// A key store and its sealer in `dir`.
struct Keys {
  explicit Keys(const TempDir& dir) : store(Open(dir)), sealer(store.get()) {}
  static std::unique_ptr<security::KeyStore> Open(const TempDir& dir) {
    security::KeyStoreOptions options;
    options.master_key_file = dir.Sub("master.key");
    options.sync = false;
    return *security::KeyStore::Open(options, dir.Sub("keys"));
  }
  std::unique_ptr<security::KeyStore> store;
  security::Sealer sealer;
};

TEST(AccessLogTest, PurposeTextsAreSealedUnderTheYouthAndGoWithItsErasure) {
  TempDir dir;
  Keys k(dir);
  security::KeyStore* keys = k.store.get();
  security::Sealer& sealer = k.sealer;
  const std::string youth = *sealer.NewSubject("youth");
  const security::Principal anna{"chief-anna", "agency-hotspot", security::Role::kCoordinator, {}};
  AccessLogOptions options;
  options.sealer = &sealer;
  auto log = *AccessLog::Open(std::move(options), dir.Sub("access"));
  const std::string text = "call with the mother of Åse Jensen";
  v1::AccessRecord refused = Read("youth-unknown");
  refused.set_refused(true);
  v1::AccessRecord area_only = Read("");
  area_only.set_area_id("area-x");
  ASSERT_TRUE(log->Record(anna, "call/One", Why(v1::PURPOSE_CASE_COORDINATION, text),
                          {Read(youth, true), refused, area_only})
                  .ok());
  // Nothing of the text stands in clear in the log's files.
  log.reset();
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.Sub("access"))) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find("mother"), std::string::npos) << entry.path();
  }
  log = *AccessLog::Open(AccessLogOptions(), dir.Sub("access"));
  const v1::ExportAccessLogResponse all = Exported(*log);
  ASSERT_EQ(all.records_size(), 3);
  // The youth's record holds the text sealed under its key; the refused attempt (its youth may
  // not exist) and the record without a youth keep only the code.
  ASSERT_TRUE(all.records(0).purpose_text().has_sealed());
  EXPECT_EQ(all.records(0).purpose_text().sealed().key_id(), youth);
  EXPECT_FALSE(all.records(1).has_purpose_text());
  EXPECT_TRUE(all.records(1).refused());
  EXPECT_FALSE(all.records(2).has_purpose_text());
  EXPECT_EQ(all.records(2).purpose(), "case_coordination");

  security::Disclosures shown;
  v1::PersonalField field = all.records(0).purpose_text();
  ASSERT_TRUE(queries::ResolvePersonalField(&field, true, sealer, "area-x", shown).ok());
  EXPECT_EQ(field.text(), text);
  EXPECT_TRUE(shown.InClear(youth));

  ASSERT_TRUE(keys->Erase(youth).ok());
  field = all.records(0).purpose_text();
  ASSERT_TRUE(queries::ResolvePersonalField(&field, true, sealer, "area-x", shown).ok());
  EXPECT_EQ(field.withheld().reason(), "erased");
}

// The text of `field` as the auditor is shown it: "erased" if it reads as erased.
std::string Resolved(v1::PersonalField field, security::Sealer& sealer) {
  security::Disclosures shown;
  const absl::Status status = queries::ResolvePersonalField(&field, true, sealer, "area-x", shown);
  EXPECT_TRUE(status.ok()) << status;
  return field.has_withheld() ? field.withheld().reason() : field.text();
}

// A list (one answer showing several youths) seals the text once, under a key of the call's own
// that the erasure of any one of them erases: no record of the call still shows it.
TEST(AccessLogTest, AListsPurposeTextGoesWithTheErasureOfAnyYouthItShowed) {
  TempDir dir;
  Keys k(dir);
  security::Sealer& sealer = k.sealer;
  std::vector<std::string> youths;
  for (int i = 0; i < 3; ++i) youths.push_back(*sealer.NewSubject("youth"));
  const security::Principal anna{"chief-anna", "agency-hotspot", security::Role::kCoordinator, {}};
  AccessLogOptions options;
  options.sealer = &sealer;
  auto log = *AccessLog::Open(std::move(options), dir.Sub("access"));
  const std::string text = "looking for Ahmed Ahmadi, his mother called";
  v1::AccessRecord refused = Read(youths[0]);
  refused.set_refused(true);
  ASSERT_TRUE(log->Record(anna, "call/List", Why(v1::PURPOSE_CASE_COORDINATION, text),
                          {Read(youths[0], true), Read(youths[1]), Read(youths[2], true), refused})
                  .ok());
  v1::ExportAccessLogResponse all = Exported(*log);
  ASSERT_EQ(all.records_size(), 4);
  const std::string key_id = all.records(0).purpose_text().sealed().key_id();
  EXPECT_TRUE(absl::StartsWith(key_id, "call-")) << key_id;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(all.records(i).purpose_text().sealed().key_id(), key_id) << i;
    EXPECT_EQ(Resolved(all.records(i).purpose_text(), sealer), text) << i;
  }
  EXPECT_FALSE(all.records(3).has_purpose_text());  // the refusal keeps the code only

  ASSERT_TRUE(k.store->Erase(youths[1]).ok());
  all = Exported(*log);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Resolved(all.records(i).purpose_text(), sealer), "erased") << i;
  }
  // A later list that shows the erased youth keeps no text; one that does not, keeps it.
  ASSERT_TRUE(log->Record(anna, "call/List", Why(v1::PURPOSE_CASE_COORDINATION, text),
                          {Read(youths[0]), Read(youths[1])})
                  .ok());
  ASSERT_TRUE(log->Record(anna, "call/List", Why(v1::PURPOSE_CASE_COORDINATION, text),
                          {Read(youths[0]), Read(youths[2])})
                  .ok());
  all = Exported(*log);
  ASSERT_EQ(all.records_size(), 8);
  EXPECT_FALSE(all.records(4).has_purpose_text());
  EXPECT_FALSE(all.records(5).has_purpose_text());
  EXPECT_EQ(Resolved(all.records(6).purpose_text(), sealer), text);
}

// A call that answers several times (a stream's batches, a subscription) seals its text once,
// under one key erased with every youth any of its answers showed.
TEST(AccessLogTest, AStreamsPurposeTextGoesWithTheErasureOfAnyYouthOfAnyBatch) {
  TempDir dir;
  Keys k(dir);
  security::Sealer& sealer = k.sealer;
  const std::string first = *sealer.NewSubject("youth");
  const std::string later = *sealer.NewSubject("youth");
  const security::Principal anna{"chief-anna", "agency-hotspot", security::Role::kCoordinator, {}};
  AccessLogOptions options;
  options.sealer = &sealer;
  auto log = *AccessLog::Open(std::move(options), dir.Sub("access"));
  const security::Purpose why =
      *security::ParsePurpose("case_coordination: call with the mother of Åse Jensen");
  ASSERT_TRUE(log->Record(anna, "call/Subscribe", why, {Read(first, true)}).ok());
  ASSERT_TRUE(log->Record(anna, "call/Subscribe", why, {Read(later, true)}).ok());
  v1::ExportAccessLogResponse all = Exported(*log);
  ASSERT_EQ(all.records_size(), 2);
  EXPECT_EQ(all.records(0).purpose_text().sealed().key_id(),
            all.records(1).purpose_text().sealed().key_id());
  EXPECT_EQ(Resolved(all.records(0).purpose_text(), sealer), "call with the mother of Åse Jensen");

  ASSERT_TRUE(k.store->Erase(later).ok());  // a youth of the second batch only
  ASSERT_TRUE(log->Record(anna, "call/Subscribe", why, {Read(first, true)}).ok());
  all = Exported(*log);
  ASSERT_EQ(all.records_size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_NE(Resolved(all.records(i).purpose_text(), sealer), "call with the mother of Åse Jensen")
        << i;
  }
  EXPECT_EQ(Resolved(all.records(0).purpose_text(), sealer), "erased");
}

// A record naming an id that is no youth's (one of before refusals' ids were checked held
// whatever the caller typed; an auditor's read of it names it again): written, with the
// purpose's code only, and nothing sealed under that text.
TEST(AccessLogTest, ARecordNamingNoValidYouthIdKeepsThePurposesCodeOnly) {
  TempDir dir;
  Keys k(dir);
  const security::Principal kim{"auditor-kim", "agency-hotspot", security::Role::kAuditor, {}};
  AccessLogOptions options;
  options.sealer = &k.sealer;
  auto log = *AccessLog::Open(std::move(options), dir.Sub("access"));
  ASSERT_TRUE(log->Record(kim, "call/One", Why(v1::PURPOSE_AUDIT, "quarterly review"),
                          {Read("Mohammed Nielsen 020209-4007")})
                  .ok());
  const v1::ExportAccessLogResponse all = Exported(*log);
  ASSERT_EQ(all.records_size(), 1);
  EXPECT_FALSE(all.records(0).has_purpose_text());
  EXPECT_EQ(all.records(0).purpose(), "audit");
}

// The sequences of `records`.
std::vector<uint64_t> Sequences(const google::protobuf::RepeatedPtrField<v1::AccessRecord>& records) {
  std::vector<uint64_t> out;
  for (const v1::AccessRecord& r : records) out.push_back(r.sequence());
  return out;
}

// An auditor bound to areas reads a person's records, and the export, of its areas through the
// area indexes: it parses no record of another area, and a page parses its records and one more.
TEST(AccessLogTest, AnAreasRecordsAreReadThroughItsIndexesWithoutOtherAreasRecords) {
  TempDir dir;
  const security::Principal anna{"chief-anna", "agency-hotspot", security::Role::kCoordinator, {}};
  auto log = *AccessLog::Open(AccessLogOptions(), dir.Sub("access"));
  // 1..200 in area-b, then 201 in area-a, 202 in area-c, 203 under no area, 204 in area-a.
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(log->Record(anna, "call/B", Why(v1::PURPOSE_AUDIT),
                            {Read("youth-b", false, "area-b")})
                    .ok());
  }
  ASSERT_TRUE(
      log->Record(anna, "call/A", Why(v1::PURPOSE_AUDIT), {Read("youth-a", false, "area-a")}).ok());
  ASSERT_TRUE(
      log->Record(anna, "call/C", Why(v1::PURPOSE_AUDIT), {Read("youth-c", false, "area-c")}).ok());
  ASSERT_TRUE(log->Record(anna, "call/None", Why(v1::PURPOSE_AUDIT), {v1::AccessRecord()}).ok());
  ASSERT_TRUE(
      log->Record(anna, "call/A2", Why(v1::PURPOSE_AUDIT), {Read("youth-a", false, "area-a")}).ok());
  const AccessLog::Areas a_and_c = std::vector<std::string>{"area-c", "area-a"};

  v1::ListAccessRecordsRequest by_person;
  by_person.set_person("chief-anna");
  by_person.set_page_size(2);
  uint64_t before = log->records_parsed();
  auto page = *log->List(by_person, a_and_c);
  EXPECT_EQ(Sequences(page.records()), (std::vector<uint64_t>{201, 202}));  // merged in order
  EXPECT_EQ(page.records(0).call(), "call/A");
  EXPECT_EQ(page.records(1).area_id(), "area-c");
  EXPECT_EQ(log->records_parsed() - before, 3u);  // its two, and one more
  by_person.set_page_token(page.next_page_token());
  page = *log->List(by_person, a_and_c);
  EXPECT_EQ(Sequences(page.records()), (std::vector<uint64_t>{204}));
  EXPECT_TRUE(page.next_page_token().empty());
  // Another person's: none in those areas.
  by_person.clear_page_token();
  by_person.set_person("teacher-bo");
  before = log->records_parsed();
  EXPECT_EQ(log->List(by_person, a_and_c)->records_size(), 0);
  EXPECT_EQ(log->records_parsed(), before);
  // No area: nothing; every area: all 204.
  by_person.set_person("chief-anna");
  by_person.set_page_size(500);
  EXPECT_EQ(log->List(by_person, std::vector<std::string>())->records_size(), 0);
  EXPECT_EQ(log->List(by_person)->records_size(), 204);

  before = log->records_parsed();
  std::vector<uint64_t> exported;
  ASSERT_TRUE(log->Export(
                     {}, 1,
                     [&](const v1::ExportAccessLogResponse& response) {
                       for (const auto& r : response.records()) exported.push_back(r.sequence());
                       EXPECT_EQ(response.total(), 3u);
                       return true;
                     },
                     a_and_c)
                  .ok());
  EXPECT_EQ(exported, (std::vector<uint64_t>{201, 202, 204}));
  EXPECT_EQ(log->records_parsed() - before, 3u);
}

// A log written before the area indexes (its records under "r", "y" and "p" only, some naming a
// youth but no area) is indexed by area once, at open; the youth's case's area is written into
// such a record.
TEST(AccessLogTest, AnOlderLogIsIndexedByAreaOnceAtOpen) {
  TempDir dir;
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir.Sub("access"), &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    auto put = [&](uint64_t sequence, const std::string& youth, const std::string& area) {
      v1::AccessRecord record = Read(youth, false, area);
      record.set_sequence(sequence);
      record.set_person("chief-anna");
      *record.mutable_at() = projections::Ts(absl::Now());  // within retention
      std::string seq(8, '\0');
      for (int i = 0; i < 8; ++i) seq[7 - i] = static_cast<char>(sequence >> (8 * i));
      ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "r" + seq, record.SerializeAsString()).ok());
      ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "y" + youth + std::string(1, '\0') + seq, "").ok());
      ASSERT_TRUE(
          db->Put(rocksdb::WriteOptions(), std::string("pchief-anna") + '\0' + seq, "").ok());
    };
    put(1, "youth-a", "");        // an old record with no area
    put(2, "youth-b", "area-b");  // one with its area
    put(3, "youth-x", "");        // a youth with no case
  }
  int asked = 0;
  auto open = [&] {
    AccessLogOptions options;
    options.area_of_youth = [&asked](absl::string_view youth) -> absl::StatusOr<std::string> {
      ++asked;
      return youth == "youth-a" ? "area-a" : youth == "youth-b" ? "area-b" : "";
    };
    return *AccessLog::Open(std::move(options), dir.Sub("access"));
  };
  auto log = open();
  EXPECT_EQ(asked, 2);  // the records with no area
  EXPECT_EQ(log->last_sequence(), 3u);
  v1::ListAccessRecordsRequest by_person;
  by_person.set_person("chief-anna");
  auto page = *log->List(by_person, std::vector<std::string>{"area-a"});
  ASSERT_EQ(page.records_size(), 1);
  EXPECT_EQ(page.records(0).sequence(), 1u);
  EXPECT_EQ(page.records(0).area_id(), "area-a");  // written into it
  EXPECT_EQ(Sequences(log->List(by_person, std::vector<std::string>{"area-b"})->records()),
            (std::vector<uint64_t>{2}));
  EXPECT_EQ(log->List(by_person)->records_size(), 3);  // every area: all three
  // Once: a second open asks nothing.
  log.reset();
  log = open();
  EXPECT_EQ(asked, 2);
  EXPECT_EQ(log->List(by_person, std::vector<std::string>{"area-a"})->records_size(), 1);
}

TEST(AccessLogTest, RecordsPastRetentionArePurgedWithTheirIndexEntries) {
  TempDir dir;
  auto now = std::make_shared<absl::Time>(kNow);
  auto open = [&] {
    AccessLogOptions options;
    options.retention = absl::Hours(24 * 30);
    options.clock = [now] { return *now; };
    return *AccessLog::Open(std::move(options), dir.Sub("access"));
  };
  const security::Principal anna{"chief-anna", "agency-hotspot", security::Role::kCoordinator, {}};
  auto log = open();
  ASSERT_TRUE(
      log->Record(anna, "call/Old", Why(v1::PURPOSE_AUDIT), {Read("youth-a", false, "area-a")})
          .ok());
  *now += absl::Hours(24 * 20);
  ASSERT_TRUE(
      log->Record(anna, "call/New", Why(v1::PURPOSE_AUDIT), {Read("youth-a", false, "area-a")})
          .ok());
  EXPECT_EQ(*log->Purge(), 0u);  // neither is 30 days old yet
  *now += absl::Hours(24 * 15);  // the first is 35 days old, the second 15
  EXPECT_EQ(*log->Purge(), 1u);
  v1::ListAccessRecordsRequest by_youth;
  by_youth.set_youth_id("youth-a");
  auto page = *log->List(by_youth);
  ASSERT_EQ(page.records_size(), 1);
  EXPECT_EQ(page.records(0).call(), "call/New");
  v1::ListAccessRecordsRequest by_person;
  by_person.set_person("chief-anna");
  EXPECT_EQ(log->List(by_person)->records_size(), 1);
  const AccessLog::Areas area_a = std::vector<std::string>{"area-a"};
  EXPECT_EQ(log->List(by_person, area_a)->records_size(), 1);
  // At open, too: 40 days on, the second goes.
  log.reset();
  *now += absl::Hours(24 * 20);
  log = open();
  EXPECT_EQ(log->List(by_youth)->records_size(), 0);
  EXPECT_EQ(log->List(by_person)->records_size(), 0);
  EXPECT_EQ(log->List(by_person, area_a)->records_size(), 0);
  EXPECT_EQ(log->last_sequence(), 2u);  // numbering goes on after a purge
}

TEST(DisclosuresTest, TheResolverNotesEachYouthShownAndWhetherItsDataCameOutInClear) {
  TempDir dir;
  Keys k(dir);
  security::Sealer& sealer = k.sealer;
  const std::string youth = *sealer.NewSubject("youth");
  const security::SealedValue name = *sealer.Seal(youth, "name", "Ali");
  v1::CaseView view;
  view.set_youth_id(youth);
  view.set_area_id("area-x");
  view.mutable_name()->mutable_sealed()->set_key_id(name.key_id);
  view.mutable_name()->mutable_sealed()->set_ciphertext(name.ciphertext);
  view.mutable_name()->mutable_sealed()->set_field("name");

  security::Disclosures withheld;
  v1::CaseView hidden = view;
  ASSERT_TRUE(queries::ResolvePersonalData(&hidden, youth, "area-x", false, sealer, withheld).ok());
  EXPECT_EQ(hidden.name().withheld().reason(), "not_allowed");
  ASSERT_EQ(withheld.Records().size(), 1u);
  EXPECT_EQ(withheld.Records()[0].youth_id(), youth);
  EXPECT_EQ(withheld.Records()[0].area_id(), "area-x");
  EXPECT_FALSE(withheld.Records()[0].personal_data_disclosed());

  security::Disclosures clear;
  ASSERT_TRUE(queries::ResolvePersonalData(&view, youth, "area-x", true, sealer, clear).ok());
  EXPECT_EQ(view.name().text(), "Ali");
  ASSERT_EQ(clear.Records().size(), 1u);
  EXPECT_TRUE(clear.Records()[0].personal_data_disclosed());
  // Merged: in clear once, in clear.
  withheld.Merge(clear);
  EXPECT_TRUE(withheld.InClear(youth));
  EXPECT_EQ(withheld.Records().size(), 1u);
}

TEST(PurposeTest, CodesFromTheListWithAnOptionalFreeText) {
  absl::StatusOr<security::Purpose> p = security::ParsePurpose("meeting_preparation");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->code, v1::PURPOSE_MEETING_PREPARATION);
  EXPECT_EQ(p->text, "");
  p = security::ParsePurpose("case_coordination: møde med skolen om Åse");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->code, v1::PURPOSE_CASE_COORDINATION);
  EXPECT_EQ(p->text, "møde med skolen om Åse");
  // The space after the colon is usual, not required (README): the text is what follows, trimmed.
  p = security::ParsePurpose("case_coordination:no-space");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->code, v1::PURPOSE_CASE_COORDINATION);
  EXPECT_EQ(p->text, "no-space");
  p = security::ParsePurpose("audit:");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->code, v1::PURPOSE_AUDIT);
  EXPECT_EQ(p->text, "");
  EXPECT_EQ(security::PurposeName(v1::PURPOSE_DATA_SUBJECT_REQUEST), "data_subject_request");
  for (const char* bad :
       {"", "reading for fun", "CASE_COORDINATION", "unspecified", "audit: line\nbreak",
        "audit: \xe2\x80\xae reversed", "audit: \xff\xfe not utf-8", "purpose_audit"}) {
    absl::Status status = security::ParsePurpose(bad).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(status.message().find("purpose"), std::string::npos) << bad;
  }
  EXPECT_EQ(security::ParsePurpose(std::string(501, 'a')).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hotspot::audit
