// The wire form of a stored event (AppendStoredEvent, AppendAllowedStoredEvent) against the
// message form (ToStoredEvent, and the subscriptions' own changes to it before they served the
// wire form): for every event of the Sjælør demo, shown every way a reader can be shown it, and
// for events made to hold what the demo may not (a request digest, a legal basis, repeated sealed
// values with a gap, an unset text, personal data in clear), the bytes parse to the message the
// message form builds, and the same data subjects are noted as shown.
#include "services/queries/stored_events.h"

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "services/projections/test_stores.h"
#include "services/scenario/handler_sink.h"
#include "services/scenario/scenario.h"
#include "store/test_util.h"

namespace hotspot::queries {
namespace {

using google::protobuf::util::MessageDifferencer;

class StoredEventWireTest : public ::testing::Test {
 protected:
  void SetUp() override {
    projections::testing::OpenTestStores(dir_, &keys_, &sealer_, &events_, &heads_);
    ASSERT_NE(events_, nullptr);
  }

  // Both forms of `recorded` for a reader allowed to see its personal data, compared; the wire
  // form's bytes are kept in `wire`.
  void ExpectSameForms(const store::RecordedEvent& recorded, std::string* wire = nullptr) {
    SCOPED_TRACE(absl::StrCat("position ", recorded.position, " ", recorded.type));
    v1::StoredEvent built;
    security::Disclosures built_shown;
    ASSERT_TRUE(ToStoredEvent(recorded, /*allowed=*/true, *sealer_, &built, built_shown).ok());
    std::string bytes;
    security::Disclosures wire_shown;
    const absl::StatusOr<bool> appended =
        AppendAllowedStoredEvent(recorded, Reader(), bytes, wire_shown);
    ASSERT_TRUE(appended.ok()) << appended.status();
    ASSERT_TRUE(*appended);
    ExpectSame(built, built_shown, bytes, wire_shown);
    if (wire != nullptr) *wire = std::move(bytes);
  }

  // Both forms of `recorded` shown as `showing` says: the message as the subscriptions built it
  // before (ParseStoredEvent, AddPersonalData with the reason, the stream version and the
  // child-welfare figures cleared), and AppendStoredEvent's bytes; the bytes are kept in `wire`.
  void ExpectSameForms(const store::RecordedEvent& recorded, const Showing& showing,
                       std::string* wire = nullptr) {
    SCOPED_TRACE(absl::StrCat("position ", recorded.position, " ", recorded.type, " allowed ",
                              showing.allowed, " version ", showing.stream_version,
                              " child welfare ", showing.child_welfare));
    v1::StoredEvent built;
    security::Disclosures built_shown;
    ASSERT_TRUE(ParseStoredEvent(recorded, &built).ok());
    if (!showing.stream_version) built.clear_stream_version();
    if (built.event().has_report_submitted() && !showing.child_welfare) {
      built.mutable_event()->mutable_report_submitted()->mutable_figures()->clear_child_welfare();
    }
    ASSERT_TRUE(
        AddPersonalData(&built, showing.allowed, *sealer_, built_shown, showing.withheld).ok());
    const absl::StatusOr<EventFields> fields = ReadEventFields(recorded);
    ASSERT_TRUE(fields.ok()) << fields.status();
    std::string bytes = "before";  // appended to
    security::Disclosures wire_shown;
    const absl::Status appended =
        AppendStoredEvent(recorded, *fields, showing, Reader(), bytes, wire_shown);
    ASSERT_TRUE(appended.ok()) << appended;
    ASSERT_EQ(bytes.substr(0, 6), "before");
    bytes.erase(0, 6);
    ExpectSame(built, built_shown, bytes, wire_shown);
    if (wire != nullptr) *wire = std::move(bytes);
  }

  void ExpectSame(const v1::StoredEvent& built, const security::Disclosures& built_shown,
                  const std::string& bytes, const security::Disclosures& wire_shown) {
    v1::StoredEvent parsed;
    ASSERT_TRUE(parsed.ParseFromString(bytes));
    std::string difference;
    MessageDifferencer differencer;
    differencer.ReportDifferencesToString(&difference);
    EXPECT_TRUE(differencer.Compare(built, parsed)) << difference;
    const std::vector<v1::AccessRecord> built_records = built_shown.Records();
    const std::vector<v1::AccessRecord> wire_records = wire_shown.Records();
    ASSERT_EQ(built_records.size(), wire_records.size());
    for (size_t i = 0; i < built_records.size(); ++i) {
      EXPECT_TRUE(MessageDifferencer::Equals(built_records[i], wire_records[i]));
    }
  }

  // Every way a subscriber can be shown an event.
  static std::vector<Showing> EveryShowing() {
    std::vector<Showing> all;
    for (const bool allowed : {true, false}) {
      for (const bool version : {true, false}) {
        for (const bool welfare : {true, false}) {
          Showing showing;
          showing.allowed = allowed;
          showing.withheld = allowed ? "not_allowed" : "not_recipient";
          showing.stream_version = version;
          showing.child_welfare = welfare;
          all.push_back(showing);
        }
      }
    }
    return all;
  }

  // `event` appended to the log as stream `stream`'s, read back.
  store::RecordedEvent Stored(const std::string& stream, const v1::Event& event) {
    std::vector<store::StreamAppend> appends(1);
    appends[0].stream = stream;
    store::ProposedEvent& proposed = appends[0].events.emplace_back();
    proposed.id = store::EventId::FromName(absl::StrCat("wire-test-", ++made_));
    proposed.type = "hotspot.v1.Test";
    proposed.payload = event.SerializeAsString();
    proposed.metadata.actor = "someone";
    const absl::StatusOr<store::AppendResult> stored = events_->Append(std::move(appends));
    EXPECT_TRUE(stored.ok()) << stored.status();
    auto read = events_->ReadAll(events_->HeadPosition(), store::Direction::kForward, 1);
    EXPECT_TRUE(read.ok() && read->size() == 1);
    return read.ok() && !read->empty() ? (*read)[0] : store::RecordedEvent();
  }

  v1::SealedText Seal(const std::string& subject, const std::string& field,
                      const std::string& text) {
    absl::StatusOr<security::SealedValue> value = sealer_->Seal(subject, field, text);
    EXPECT_TRUE(value.ok()) << value.status();
    v1::SealedText sealed;
    sealed.set_key_id(value->key_id);
    sealed.set_ciphertext(value->ciphertext);
    sealed.set_field(field);
    return sealed;
  }

  // A fresh reader of the sealed values (one per response, as the services make them).
  security::Sealer::Reader& Reader() { return readers_.emplace_back(*sealer_); }

  store::testing::TempDir dir_;
  std::deque<security::Sealer::Reader> readers_;
  std::unique_ptr<security::KeyStore> keys_;
  std::unique_ptr<security::Sealer> sealer_;
  security::PublicHead heads_;
  std::unique_ptr<store::EventStore> events_;
  int made_ = 0;
};

TEST_F(StoredEventWireTest, EveryEventOfTheDemoHasTheSameWireAndMessageForms) {
  scenario::HandlerSink sink(events_.get(), sealer_.get());
  scenario::ScenarioOptions options;
  options.youths = 6;
  ASSERT_TRUE(scenario::BuildSjaelor(sink, options).ok());
  const absl::StatusOr<std::vector<store::RecordedEvent>> log =
      events_->ReadAll(1, store::Direction::kForward, 100'000);
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_GT(log->size(), 100u);
  size_t sealed = 0, digests = 0, bases = 0, areas = 0;
  for (const store::RecordedEvent& recorded : *log) {
    ExpectSameForms(recorded);
    for (const Showing& showing : EveryShowing()) ExpectSameForms(recorded, showing);
    v1::StoredEvent built;
    security::Disclosures ignored;
    ASSERT_TRUE(ToStoredEvent(recorded, true, *sealer_, &built, ignored).ok());
    sealed += built.personal_data_size();
    v1::Event raw;
    ASSERT_TRUE(raw.ParseFromString(recorded.payload));
    digests += raw.request_digest().empty() ? 0 : 1;
    bases += built.legal_basis() == v1::LEGAL_BASIS_UNSPECIFIED ? 0 : 1;
    // The record's header holds the area its payload names (the subscriptions' filter by area
    // reads it from there), also for an event of no area.
    EXPECT_EQ(recorded.area, std::optional<std::string>(raw.area_id())) << recorded.position;
    areas += raw.area_id().empty() ? 0 : 1;
  }
  EXPECT_GT(areas, 100u);
  // The demo exercised what the wire form must handle.
  EXPECT_GT(sealed, 50u);
  EXPECT_GT(digests, 50u);
  EXPECT_GT(bases, 0u);
}

TEST_F(StoredEventWireTest, TheDigestNeverLeavesAndTheLegalBasisComesFromTheKind) {
  v1::Event event;
  event.set_request_id("req-1");
  event.set_request_digest(std::string(32, '\x7f'));
  event.set_area_id("area-x");
  event.mutable_actor()->set_person("lise");
  v1::ConcernShared& shared = *event.mutable_concern_shared();
  shared.set_youth_id("youth-1");
  shared.set_legal_basis(v1::LEGAL_BASIS_SSP_EXCHANGE);
  *shared.mutable_text() = Seal("youth-1", "text", "worried about school");
  std::string wire;
  ExpectSameForms(Stored("youth-1", event), &wire);
  v1::StoredEvent parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire));
  EXPECT_TRUE(parsed.event().request_digest().empty());
  EXPECT_EQ(wire.find(std::string(32, '\x7f')), std::string::npos);
  EXPECT_EQ(parsed.legal_basis(), v1::LEGAL_BASIS_SSP_EXCHANGE);
  EXPECT_EQ(parsed.request_id(), "req-1");
  EXPECT_EQ(parsed.actor().person(), "lise");
  ASSERT_EQ(parsed.personal_data_size(), 1);
  EXPECT_EQ(parsed.personal_data(0).path(), "concern_shared.text");
  EXPECT_EQ(parsed.personal_data(0).value().text(), "worried about school");
}

TEST_F(StoredEventWireTest, RepeatedSealedValuesKeepTheirIndexesAndAnUnsetTextIsSkipped) {
  v1::Event event;
  event.set_area_id("area-x");
  v1::ActionPlanAdopted& plan = *event.mutable_action_plan_adopted();
  plan.set_youth_id("youth-2");
  *plan.add_goals()->mutable_description() = Seal("youth-2", "goal", "attend school");
  plan.add_goals()->set_goal_id("no text");
  plan.add_goals()->mutable_description()->set_key_id("youth-2");  // empty ciphertext: not given
  *plan.add_goals()->mutable_description() = Seal("youth-2", "goal", "a job");
  std::string wire;
  ExpectSameForms(Stored("youth-2", event), &wire);
  v1::StoredEvent parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire));
  ASSERT_EQ(parsed.personal_data_size(), 2);
  EXPECT_EQ(parsed.personal_data(0).path(), "action_plan_adopted.goals[0].description");
  EXPECT_EQ(parsed.personal_data(1).path(), "action_plan_adopted.goals[3].description");
  EXPECT_EQ(parsed.personal_data(1).value().text(), "a job");
  EXPECT_EQ(parsed.legal_basis(), v1::LEGAL_BASIS_UNSPECIFIED);
}

TEST_F(StoredEventWireTest, AnErasedYouthsDataReadsAsErased) {
  v1::Event event;
  event.set_area_id("area-x");
  v1::YouthReferred& referred = *event.mutable_youth_referred();
  referred.set_youth_id("youth-3");
  *referred.mutable_name() = Seal("youth-3", "name", "Ida");
  const store::RecordedEvent recorded = Stored("youth-3", event);
  ASSERT_TRUE(keys_->Erase("youth-3").ok());
  std::string wire;
  ExpectSameForms(recorded, &wire);
  v1::StoredEvent parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire));
  ASSERT_EQ(parsed.personal_data_size(), 1);
  EXPECT_EQ(parsed.personal_data(0).value().withheld().reason(), "erased");
}

TEST_F(StoredEventWireTest, AnErasedYouthsBirthdayFactIsNotHandedOut) {
  v1::Event event;
  event.set_area_id("area-x");
  event.mutable_eighteenth_birthday_near()->set_youth_id("youth-4");
  const store::RecordedEvent recorded = Stored("youth-4", event);
  ASSERT_FALSE(Seal("youth-4", "name", "Bo").key_id().empty());  // the youth has a key
  ExpectSameForms(recorded);
  ASSERT_TRUE(keys_->Erase("youth-4").ok());
  std::string wire = "kept";
  security::Disclosures shown;
  const absl::StatusOr<bool> appended = AppendAllowedStoredEvent(recorded, Reader(), wire, shown);
  ASSERT_TRUE(appended.ok()) << appended.status();
  EXPECT_FALSE(*appended);
  EXPECT_EQ(wire, "kept");
  EXPECT_TRUE(shown.empty());
}

TEST_F(StoredEventWireTest, APayloadThatIsNotAnEventIsDataLossNamingItsPosition) {
  store::RecordedEvent recorded;
  recorded.position = 77;
  recorded.payload = std::string("\x0a\xff\xff", 3);  // a length past the end
  std::string wire;
  security::Disclosures shown;
  const absl::StatusOr<bool> appended = AppendAllowedStoredEvent(recorded, Reader(), wire, shown);
  EXPECT_EQ(appended.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(appended.status().message().find("position 77"), std::string::npos);
  recorded.payload = std::string("\x0b", 1);  // a group's start: not this schema
  EXPECT_EQ(AppendAllowedStoredEvent(recorded, Reader(), wire, shown).status().code(),
            absl::StatusCode::kDataLoss);
}

// A reader not allowed to see a consent's personal data is shown none of its fields in clear that
// are personal (scope, who gave it, purpose, age), and its sealed values withheld with the reason
// given; an allowed reader is shown all of them, unsealed.
TEST_F(StoredEventWireTest, APersonsFieldsInClearAreLeftOutForAReaderNotAllowedToSeeThem) {
  v1::Event event;
  event.set_area_id("area-x");
  v1::ConsentRecorded& consent = *event.mutable_consent_recorded();
  consent.set_youth_id("youth-5");
  consent.set_scope("school and social services, 2026");
  consent.set_given_by("the mother");
  consent.add_agency_ids("agency-school");
  consent.set_purpose("support at school after the move");
  consent.set_giver_age(-1);
  *consent.mutable_what() = Seal("youth-5", "what", "school attendance");
  const store::RecordedEvent recorded = Stored("youth-5", event);
  Showing hidden;
  hidden.allowed = false;
  hidden.withheld = "not_recipient";
  std::string wire;
  ExpectSameForms(recorded, hidden, &wire);
  v1::StoredEvent parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire));
  const v1::ConsentRecorded& shown = parsed.event().consent_recorded();
  EXPECT_EQ(shown.youth_id(), "youth-5");
  EXPECT_EQ(shown.agency_ids_size(), 1);
  EXPECT_TRUE(shown.scope().empty());
  EXPECT_TRUE(shown.given_by().empty());
  EXPECT_TRUE(shown.purpose().empty());
  EXPECT_EQ(shown.giver_age(), 0);
  for (const std::string text : {"school and social services", "the mother", "after the move"}) {
    EXPECT_EQ(wire.find(text), std::string::npos) << text;
  }
  ASSERT_EQ(parsed.personal_data_size(), 1);
  EXPECT_EQ(parsed.personal_data(0).path(), "consent_recorded.what");
  EXPECT_EQ(parsed.personal_data(0).value().withheld().reason(), "not_recipient");

  ExpectSameForms(recorded, Showing(), &wire);
  ASSERT_TRUE(parsed.ParseFromString(wire));
  EXPECT_EQ(parsed.event().consent_recorded().given_by(), "the mother");
  EXPECT_EQ(parsed.event().consent_recorded().giver_age(), -1);
  ASSERT_EQ(parsed.personal_data_size(), 1);
  EXPECT_EQ(parsed.personal_data(0).value().text(), "school attendance");
}

// An automatic refusal's reason is the rules' own words, shown to everyone; an auditor's reason in
// clear (of before sealed reasons) only to a reader allowed to see the personal data.
TEST_F(StoredEventWireTest, AnAuditorsReasonInClearIsLeftOutButTheRulesOwnWordsAreNot) {
  Showing hidden;
  hidden.allowed = false;
  for (const bool automatic : {true, false}) {
    SCOPED_TRACE(automatic ? "automatic" : "by an auditor");
    v1::Event event;
    event.set_area_id("area-x");
    v1::ErasureRefused& refused = *event.mutable_erasure_refused();
    refused.set_youth_id("youth-6");
    refused.set_erasure_id("erasure-1");
    refused.set_reason("the case is open");
    refused.set_automatic(automatic);
    std::string wire;
    ExpectSameForms(Stored("erasure-1", event), hidden, &wire);
    v1::StoredEvent parsed;
    ASSERT_TRUE(parsed.ParseFromString(wire));
    EXPECT_EQ(parsed.event().erasure_refused().reason(), automatic ? "the case is open" : "");
    EXPECT_EQ(parsed.event().erasure_refused().erasure_id(), "erasure-1");
  }
}

// A frozen report's child-welfare counts are left out for a reader who may not see them, and
// nothing else of the report; the stream version is left out when asked.
TEST_F(StoredEventWireTest, AReportsChildWelfareFiguresAndTheStreamVersionAreLeftOutWhenAsked) {
  v1::Event event;
  event.set_area_id("area-x");
  v1::ReportSubmitted& report = *event.mutable_report_submitted();
  report.set_area_id("area-x");
  report.set_report_id("report-1");
  report.mutable_figures()->set_youths_referred(12);
  report.mutable_figures()->mutable_child_welfare()->set_notifications(3);
  report.set_note("a quiet quarter");
  const store::RecordedEvent recorded = Stored("report-1", event);
  Showing showing;
  showing.child_welfare = false;
  showing.stream_version = false;
  std::string wire;
  ExpectSameForms(recorded, showing, &wire);
  v1::StoredEvent parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire));
  EXPECT_FALSE(parsed.event().report_submitted().figures().has_child_welfare());
  EXPECT_EQ(parsed.event().report_submitted().figures().youths_referred(), 12);
  EXPECT_EQ(parsed.event().report_submitted().note(), "a quiet quarter");
  EXPECT_EQ(parsed.stream_version(), 0u);
  EXPECT_EQ(parsed.position(), recorded.position);

  ExpectSameForms(recorded, Showing(), &wire);
  ASSERT_TRUE(parsed.ParseFromString(wire));
  EXPECT_EQ(parsed.event().report_submitted().figures().child_welfare().notifications(), 3);
  EXPECT_EQ(parsed.stream_version(), 1u);
}

// The top-level fields a subscription filters on, read without parsing: the kind, the area, the
// youth the kind names; and an erased youth's birthday fact told from them.
TEST_F(StoredEventWireTest, TheFieldsAFilterNeedsAreReadFromTheWireForm) {
  v1::Event event;
  event.set_area_id("area-y");
  event.set_request_id("req-9");
  event.mutable_eighteenth_birthday_near()->set_youth_id("youth-7");
  const store::RecordedEvent recorded = Stored("youth-7", event);
  absl::StatusOr<EventFields> fields = ReadEventFields(recorded);
  ASSERT_TRUE(fields.ok()) << fields.status();
  EXPECT_EQ(fields->kind, v1::Event::kEighteenthBirthdayNearFieldNumber);
  EXPECT_EQ(fields->area_id, "area-y");
  EXPECT_EQ(fields->request_id, "req-9");
  EXPECT_EQ(fields->YouthNamed(), "youth-7");
  ASSERT_FALSE(Seal("youth-7", "name", "Asta").key_id().empty());
  ASSERT_TRUE(ErasedYouthsBirthdayFact(*fields, *sealer_).ok());
  EXPECT_FALSE(*ErasedYouthsBirthdayFact(*fields, *sealer_));
  ASSERT_TRUE(keys_->Erase("youth-7").ok());
  EXPECT_TRUE(*ErasedYouthsBirthdayFact(*fields, *sealer_));

  v1::Event meeting;  // a kind that names no youth
  meeting.set_area_id("area-y");
  meeting.mutable_meeting_scheduled()->set_meeting_id("meeting-1");
  fields = ReadEventFields(Stored("meeting-1", meeting));
  ASSERT_TRUE(fields.ok()) << fields.status();
  EXPECT_EQ(fields->kind, v1::Event::kMeetingScheduledFieldNumber);
  EXPECT_EQ(fields->YouthNamed(), "");
  EXPECT_FALSE(*ErasedYouthsBirthdayFact(*fields, *sealer_));

  store::RecordedEvent broken;
  broken.position = 78;
  broken.payload = std::string("\x12\x05" "a", 3);  // a length past the end
  EXPECT_EQ(ReadEventFields(broken).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(ReadEventFields(broken).status().message().find("position 78"), std::string::npos);
}

}  // namespace
}  // namespace hotspot::queries
