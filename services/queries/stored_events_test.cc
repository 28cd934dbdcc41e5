// The wire form of a stored event (AppendAllowedStoredEvent) against the message form
// (ToStoredEvent): for every event of the Sjælør demo, and for events made to hold what the demo
// may not (a request digest, a legal basis, repeated sealed values with a gap, an unset text), the
// bytes parse to the message ToStoredEvent builds, and the same data subjects are noted as shown.
#include "services/queries/stored_events.h"

#include <memory>
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

  // Both forms of `recorded`, compared; the wire form's bytes are kept in `wire`.
  void ExpectSameForms(const store::RecordedEvent& recorded, std::string* wire = nullptr) {
    SCOPED_TRACE(absl::StrCat("position ", recorded.position, " ", recorded.type));
    v1::StoredEvent built;
    security::Disclosures built_shown;
    ASSERT_TRUE(ToStoredEvent(recorded, /*allowed=*/true, *sealer_, &built, built_shown).ok());
    std::string bytes;
    security::Disclosures wire_shown;
    const absl::StatusOr<bool> appended =
        AppendAllowedStoredEvent(recorded, *sealer_, bytes, wire_shown);
    ASSERT_TRUE(appended.ok()) << appended.status();
    ASSERT_TRUE(*appended);
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
    if (wire != nullptr) *wire = std::move(bytes);
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

  store::testing::TempDir dir_;
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
  size_t sealed = 0, digests = 0, bases = 0;
  for (const store::RecordedEvent& recorded : *log) {
    ExpectSameForms(recorded);
    v1::StoredEvent built;
    security::Disclosures ignored;
    ASSERT_TRUE(ToStoredEvent(recorded, true, *sealer_, &built, ignored).ok());
    sealed += built.personal_data_size();
    v1::Event raw;
    ASSERT_TRUE(raw.ParseFromString(recorded.payload));
    digests += raw.request_digest().empty() ? 0 : 1;
    bases += built.legal_basis() == v1::LEGAL_BASIS_UNSPECIFIED ? 0 : 1;
  }
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
  const absl::StatusOr<bool> appended = AppendAllowedStoredEvent(recorded, *sealer_, wire, shown);
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
  const absl::StatusOr<bool> appended = AppendAllowedStoredEvent(recorded, *sealer_, wire, shown);
  EXPECT_EQ(appended.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(appended.status().message().find("position 77"), std::string::npos);
  recorded.payload = std::string("\x0b", 1);  // a group's start: not this schema
  EXPECT_EQ(AppendAllowedStoredEvent(recorded, *sealer_, wire, shown).status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace hotspot::queries
