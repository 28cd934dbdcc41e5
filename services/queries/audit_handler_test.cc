// The audit's reads over a real event store and views with the Sjælør scenario in them: the
// history is exactly the events that concern the youth, as-of equals a replay of the log, and
// the access log keeps, lists and exports every record.
#include "services/queries/audit_handler.h"

#include <map>
#include <set>

#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "hotspot/v1/query_service.pb.h"
#include "services/projections/all_views.h"
#include "services/projections/case_views.h"
#include "services/projections/rows.h"
#include "services/projections/subject_view.h"
#include "services/queries/access_log.h"
#include "services/queries/query_util.h"
#include "services/scenario/handler_sink.h"
#include "services/scenario/scenario.h"
#include "services/security/key_store.h"
#include "store/test_util.h"

namespace hotspot::queries {
namespace {

using google::protobuf::util::MessageDifferencer;
using store::testing::TempDir;

const absl::Time kNow =
    absl::FromCivil(absl::CivilSecond(2026, 11, 23, 12, 0, 0), absl::UTCTimeZone());

class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    security::KeyStoreOptions key_options;
    key_options.master_key_file = dir_.Sub("master.key");
    key_options.sync = false;
    keys_ = *security::KeyStore::Open(key_options, dir_.Sub("keys"));
    sealer_ = std::make_unique<security::Sealer>(keys_.get());
    store::Options options;
    options.sync = false;
    events_ = *store::EventStore::Open(std::move(options), dir_.Sub("events"));
    scenario::HandlerSink sink(events_.get(), sealer_.get());
    scenario::ScenarioOptions demo;
    demo.youths = 30;
    demo.now = kNow;
    absl::StatusOr<scenario::ScenarioResult> built = scenario::BuildSjaelor(sink, demo);
    ASSERT_TRUE(built.ok()) << built.status();
    demo_ = *built;
    views_ = *projections::Projector::Open(projections::ProjectorOptions(), events_.get(),
                                           projections::AllViews(), dir_.Sub("views"));
    ASSERT_TRUE(views_->WaitFor(events_->HeadPosition(), absl::Now() + absl::Seconds(30)).ok());
  }

  AuditHandler Handler(int retention_days = 1826, absl::Time now = kNow) {
    AuditOptions options;
    options.retention_days = retention_days;
    options.history_batch = 7;  // several responses even for short histories
    options.clock = [now] { return now; };
    return AuditHandler(events_.get(), views_.get(), sealer_.get(), std::move(options));
  }

  std::vector<v1::StoredEvent> History(const AuditHandler& handler, const domain::Principal& who,
                                       const std::string& youth, absl::Status* status,
                                       std::vector<std::string>* recorded = nullptr) {
    std::vector<v1::StoredEvent> out;
    v1::GetCaseHistoryRequest request;
    request.set_youth_id(youth);
    *status = handler.CaseHistory(
        who, request, absl::Now() + absl::Seconds(10),
        [&](const v1::CaseView& view) {
          if (recorded != nullptr) recorded->push_back(view.youth_id());
          return absl::OkStatus();
        },
        [&](const v1::GetCaseHistoryResponse& response) {
          EXPECT_LE(response.events_size(), 7);
          for (const auto& e : response.events()) out.push_back(e);
          return true;
        });
    return out;
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
    EXPECT_EQ(recorded, std::vector<std::string>{youth});
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
  History(handler, cast_.auditor, "youth-nobody", &status);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << status;
  History(handler, cast_.auditor, "nobody", &status);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_NE(status.message().find("youth_id"), std::string::npos);
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
      absl::StatusOr<v1::GetCaseAsOfResponse> as_of =
          handler.CaseAsOf(cast_.auditor, request, absl::Now() + absl::Seconds(10));
      ASSERT_TRUE(as_of.ok()) << as_of.status();
      EXPECT_EQ(as_of->position(), at);

      projections::CasesView cases;
      projections::MemoryRows replayed;
      ASSERT_TRUE(projections::BuildInMemory(*events_, cases, at, &replayed).ok());
      v1::CaseView expected;
      ASSERT_TRUE(expected.ParseFromString(replayed.rows().at(projections::CaseKey(youth))));
      const store::RecordedEvent last = (*events_->ReadAll(at, store::Direction::kForward, 1))[0];
      ASSERT_TRUE(PresentCase(&expected, true, *sealer_,
                              absl::ToCivilDay(last.recorded_at, absl::UTCTimeZone()))
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
      absl::StatusOr<v1::GetCaseAsOfResponse> timed =
          handler.CaseAsOf(cast_.auditor, by_time, absl::Now() + absl::Seconds(10));
      ASSERT_TRUE(timed.ok()) << timed.status();
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
  EXPECT_FALSE(handler.CaseAsOf(cast_.auditor, request, absl::InfiniteFuture())->has_case_view());
  request.clear_position();
  absl::Status missing = handler.CaseAsOf(cast_.auditor, request, absl::InfiniteFuture()).status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kInvalidArgument);
  request.set_position(events_->HeadPosition() + 1);
  absl::Status past = handler.CaseAsOf(cast_.auditor, request, absl::InfiniteFuture()).status();
  EXPECT_EQ(past.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(past.message().find("position"), std::string::npos);
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
    const auto view = *LoadCaseRow(*views_, youth);
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
  for (int page = 0; page < 100; ++page) {
    absl::StatusOr<v1::ListErasureReviewsDueResponse> response =
        later.ErasureReviewsDue(cast_.chief, request, absl::InfiniteFuture());
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->retention_days(), 30);
    for (const auto& c : response->cases()) {
      EXPECT_GT(c.days_closed(), 30);
      due.insert(c.youth_id());
    }
    if (response->next_page_token().empty()) break;
    request.set_page_token(response->next_page_token());
  }
  EXPECT_EQ(static_cast<int>(due.size()), closed);
  EXPECT_EQ(
      later.ErasureReviewsDue(cast_.school_member, request, absl::InfiniteFuture()).status().code(),
      absl::StatusCode::kPermissionDenied);
}

TEST(AccessLogTest, RecordsAreKeptListedPerYouthAndPersonAndExported) {
  TempDir dir;
  const domain::Principal anna{"chief-anna", "agency-hotspot", domain::Role::kCoordinator, {}};
  const domain::Principal bo{"teacher-bo", "agency-school", domain::Role::kAgencyMember, {}};
  {
    AccessLogOptions options;
    options.sync_interval = absl::ZeroDuration();
    auto log = *AccessLog::Open(std::move(options), dir.Sub("access"));
    v1::AccessRecord a, b;
    a.set_youth_id("youth-a");
    a.set_personal_data_disclosed(true);
    b.set_youth_id("youth-b");
    ASSERT_TRUE(RecordReads(*log, anna, "call/One", "review", {a, b}).ok());
    ASSERT_TRUE(RecordReads(*log, bo, "call/Two", "follow-up", {a}).ok());
    EXPECT_EQ(log->last_sequence(), 3u);
  }
  // Reopened: the records are there, and numbering goes on.
  auto log = *AccessLog::Open(AccessLogOptions(), dir.Sub("access"));
  v1::AccessRecord c;
  c.set_youth_id("youth-a");
  ASSERT_TRUE(RecordReads(*log, anna, "call/Three", "meeting", {c}).ok());
  EXPECT_EQ(log->last_sequence(), 4u);

  v1::ListAccessRecordsRequest by_youth;
  by_youth.set_youth_id("youth-a");
  by_youth.set_page_size(2);
  auto page = *log->List(by_youth);
  ASSERT_EQ(page.records_size(), 2);
  EXPECT_EQ(page.records(0).sequence(), 1u);
  EXPECT_EQ(page.records(0).person(), "chief-anna");
  EXPECT_EQ(page.records(0).role(), "coordinator");
  EXPECT_EQ(page.records(0).purpose(), "review");
  EXPECT_EQ(page.records(0).call(), "call/One");
  EXPECT_TRUE(page.records(0).personal_data_disclosed());
  EXPECT_TRUE(page.records(0).has_at());
  EXPECT_EQ(page.records(1).person(), "teacher-bo");
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
}

TEST(AccessLogTest, ReadsInFindsEachYouthShownAndWhetherItsDataWasInClear) {
  v1::ListCasesResponse cases;
  v1::CaseView* shown = cases.add_cases();
  shown->set_youth_id("youth-1");
  shown->set_area_id("area-x");
  shown->mutable_name()->set_text("Ali");
  v1::CaseView* hidden = cases.add_cases();
  hidden->set_youth_id("youth-2");
  hidden->mutable_name()->mutable_withheld()->set_reason("not_allowed");
  const std::vector<v1::AccessRecord> reads = ReadsIn(cases);
  ASSERT_EQ(reads.size(), 2u);
  EXPECT_EQ(reads[0].youth_id(), "youth-1");
  EXPECT_EQ(reads[0].area_id(), "area-x");
  EXPECT_TRUE(reads[0].personal_data_disclosed());
  EXPECT_EQ(reads[1].youth_id(), "youth-2");
  EXPECT_FALSE(reads[1].personal_data_disclosed());
}

}  // namespace
}  // namespace hotspot::queries
