// The duplicate index (and the keyed digests under it) over a real event store, key store and
// projector: who is flagged as whom, a correction and an identification re-index a youth, an
// erasure removes the youth for good (also from the view's files, and from a rebuild), and no
// file of the index holds identifying data in clear.
#include "services/projections/duplicate_index.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/projections/test_stores.h"
#include "services/security/identity_digest.h"
#include "services/security/key_store.h"
#include "services/security/sealer.h"
#include "store/test_util.h"

namespace hotspot::projections {
namespace {

using store::testing::AnyFileHolds;
using store::testing::TempDir;

constexpr char kCopenhagenA[] = "area-sjaelor";
constexpr char kCopenhagenB[] = "area-tingbjerg";
constexpr char kAalborg[] = "area-aalborg-oest";

struct Identity {
  std::string name;
  std::string cpr;
  std::string birth_date;
};

// The possible duplicates of a youth as (youth id, area id, matches) strings, for comparing.
std::vector<std::string> Flags(const std::vector<v1::PossibleDuplicate>& found) {
  std::vector<std::string> out;
  for (const v1::PossibleDuplicate& d : found) {
    std::string matches;
    for (int m : d.matches()) {
      absl::StrAppend(&matches, matches.empty() ? "" : "+",
                      v1::DuplicateMatch_Name(static_cast<v1::DuplicateMatch>(m)));
    }
    out.push_back(absl::StrCat(d.youth_id(), " ", d.area_id(), " ", matches));
  }
  return out;
}

class DuplicateIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    projections::testing::OpenTestStores(dir_, &keys_, &sealer_, &events_);
    Append(kCopenhagenA, Area(kCopenhagenA, "København"));
    Append(kCopenhagenB, Area(kCopenhagenB, "  KØBENHAVN "));  // the same municipality
    Append(kAalborg, Area(kAalborg, "Aalborg"));
    Open();
  }

  void TearDown() override { projector_.reset(); }

  std::vector<std::unique_ptr<View>> Index() {
    std::vector<std::unique_ptr<View>> views;
    views.push_back(std::make_unique<DuplicateIndex>(
        sealer_.get(), *security::IdentityDigester::FromKeyStore(*keys_)));
    return views;
  }

  void Open() {
    projector_ = *Projector::Open(ProjectorOptions(), events_.get(), Index(), dir_.Sub("views"));
  }

  static v1::Event Area(const std::string& area_id, const std::string& municipality) {
    v1::Event e;
    e.set_area_id(area_id);
    e.mutable_area_established()->set_area_id(area_id);
    e.mutable_area_established()->set_name(area_id);
    e.mutable_area_established()->set_municipality(municipality);
    return e;
  }

  uint64_t Append(const std::string& stream, const v1::Event& event) {
    store::ProposedEvent proposed;
    proposed.type = absl::StrCat(
        "hotspot.v1.",
        v1::Event::descriptor()->FindFieldByNumber(event.kind_case())->message_type()->name());
    proposed.payload = event.SerializeAsString();
    std::vector<store::StreamAppend> appends(1);
    appends[0].stream = stream;
    appends[0].events.push_back(std::move(proposed));
    absl::StatusOr<store::AppendResult> appended = events_->Append(std::move(appends));
    EXPECT_TRUE(appended.ok()) << appended.status();
    return appended.ok() ? appended->positions.back() : 0;
  }

  v1::SealedText Seal(const std::string& youth, const std::string& field, const std::string& text) {
    absl::StatusOr<security::SealedValue> sealed = sealer_->Seal(youth, field, text);
    EXPECT_TRUE(sealed.ok()) << sealed.status();
    v1::SealedText out;
    out.set_key_id(sealed->key_id);
    out.set_ciphertext(sealed->ciphertext);
    out.set_field(field);
    return out;
  }

  // Refers a youth (with whatever of the identity is given) in `area_id`; returns its id.
  std::string Refer(const std::string& area_id, const Identity& who) {
    const std::string youth = *sealer_->NewSubject("youth");
    v1::Event e;
    e.set_area_id(area_id);
    v1::YouthReferred* referred = e.mutable_youth_referred();
    referred->set_youth_id(youth);
    referred->set_identity_known(!who.name.empty());
    if (!who.name.empty()) *referred->mutable_name() = Seal(youth, "name", who.name);
    if (!who.cpr.empty()) *referred->mutable_cpr_number() = Seal(youth, "cpr_number", who.cpr);
    if (!who.birth_date.empty()) {
      *referred->mutable_birth_date() = Seal(youth, "birth_date", who.birth_date);
    }
    *referred->mutable_address() = Seal(youth, "address", "Sjælør Boulevard 1");
    Append(youth, e);
    areas_[youth] = area_id;
    return youth;
  }

  uint64_t Identify(const std::string& youth, const Identity& who) {
    v1::Event e;
    e.set_area_id(areas_[youth]);
    v1::YouthIdentified* identified = e.mutable_youth_identified();
    identified->set_youth_id(youth);
    *identified->mutable_name() = Seal(youth, "name", who.name);
    *identified->mutable_cpr_number() = Seal(youth, "cpr_number", who.cpr);
    *identified->mutable_birth_date() = Seal(youth, "birth_date", who.birth_date);
    return Append(youth, e);
  }

  uint64_t Rectify(const std::string& youth, v1::PersonalDataField field,
                   const std::string& sealed_as, const std::string& value) {
    v1::Event e;
    e.set_area_id(areas_[youth]);
    v1::PersonalDataRectified* fix = e.mutable_personal_data_rectified();
    fix->set_youth_id(youth);
    fix->set_field(field);
    *fix->mutable_value() = Seal(youth, sealed_as, value);
    *fix->mutable_reason() = Seal(youth, "rectification_reason", "a typing error");
    return Append(youth, e);
  }

  // ErasureExecuted, then the key's deletion, as hotspotd's erasure executor does it.
  uint64_t Erase(const std::string& youth) {
    v1::Event e;
    e.set_area_id(areas_[youth]);
    e.mutable_erasure_executed()->set_erasure_id(absl::StrCat("erasure-of-", youth));
    e.mutable_erasure_executed()->set_youth_id(youth);
    const uint64_t at = Append(absl::StrCat("erasure-of-", youth), e);
    EXPECT_TRUE(keys_->Erase(youth).ok());
    return at;
  }

  // The flags of `youth` once the index has caught up with the log.
  std::vector<std::string> FlagsOf(const std::string& youth) {
    EXPECT_TRUE(projector_->WaitFor(events_->HeadPosition(), absl::Now() + absl::Seconds(10)).ok());
    absl::StatusOr<std::vector<v1::PossibleDuplicate>> found =
        PossibleDuplicates(*projector_, youth);
    EXPECT_TRUE(found.ok()) << found.status();
    return found.ok() ? Flags(*found) : std::vector<std::string>{"error"};
  }

  TempDir dir_;
  std::unique_ptr<security::KeyStore> keys_;
  std::unique_ptr<security::Sealer> sealer_;
  std::unique_ptr<store::EventStore> events_;
  std::unique_ptr<Projector> projector_;
  std::map<std::string, std::string> areas_;
};

const Identity kMads{"Mads Østergård-Jensen", "020110-1235", "2010-01-02"};

TEST_F(DuplicateIndexTest, TheSameCprNumberInTheMunicipalityIsFlaggedBothWays) {
  const std::string first = Refer(kCopenhagenA, kMads);
  // Another area of the same municipality; another name, the CPR number written without a dash.
  const std::string second = Refer(kCopenhagenB, {"Mads Jensen", "0201101235", "2010-01-02"});
  const std::string stranger = Refer(kCopenhagenA, {"Ali Hassan", "150311-4321", "2011-03-15"});
  EXPECT_THAT(FlagsOf(second), ::testing::ElementsAre(absl::StrCat(first, " ", kCopenhagenA,
                                                                   " DUPLICATE_MATCH_CPR_NUMBER")));
  EXPECT_THAT(FlagsOf(first), ::testing::ElementsAre(absl::StrCat(second, " ", kCopenhagenB,
                                                                  " DUPLICATE_MATCH_CPR_NUMBER")));
  EXPECT_THAT(FlagsOf(stranger), ::testing::IsEmpty());
  EXPECT_THAT(FlagsOf("youth-never-referred"), ::testing::IsEmpty());
}

TEST_F(DuplicateIndexTest, TheSameNameAndBirthDateAreFlaggedWhateverTheCaseAndSpacing) {
  const std::string first = Refer(kCopenhagenA, kMads);
  // No CPR number; the name in capitals, with a space for the hyphen and doubled spaces.
  const std::string second = Refer(kCopenhagenA, {"MADS  ØSTERGÅRD JENSEN", "", "2010-01-02"});
  // The same name born on another day is someone else.
  const std::string other_day = Refer(kCopenhagenA, {"Mads Østergård-Jensen", "", "2010-01-03"});
  EXPECT_THAT(FlagsOf(second),
              ::testing::ElementsAre(
                  absl::StrCat(first, " ", kCopenhagenA, " DUPLICATE_MATCH_NAME_AND_BIRTH_DATE")));
  EXPECT_THAT(FlagsOf(other_day), ::testing::IsEmpty());
  // Both matches at once are both named.
  const std::string twin = Refer(kCopenhagenA, kMads);
  EXPECT_THAT(FlagsOf(twin),
              ::testing::UnorderedElementsAre(
                  absl::StrCat(first, " ", kCopenhagenA,
                               " DUPLICATE_MATCH_CPR_NUMBER+DUPLICATE_MATCH_NAME_AND_BIRTH_DATE"),
                  absl::StrCat(second, " ", kCopenhagenA, " DUPLICATE_MATCH_NAME_AND_BIRTH_DATE")));
}

TEST_F(DuplicateIndexTest, AnotherMunicipalityIsNotFlagged) {
  const std::string copenhagen = Refer(kCopenhagenA, kMads);
  const std::string aalborg = Refer(kAalborg, kMads);
  EXPECT_THAT(FlagsOf(copenhagen), ::testing::IsEmpty());
  EXPECT_THAT(FlagsOf(aalborg), ::testing::IsEmpty());
}

TEST_F(DuplicateIndexTest, ACorrectionOrAnIdentificationMovesTheYouthsEntries) {
  const std::string first = Refer(kCopenhagenA, kMads);
  const std::string second = Refer(kCopenhagenA, {"Mads Jensen", "020110-9999", "2010-01-02"});
  EXPECT_THAT(FlagsOf(second), ::testing::IsEmpty());
  // The CPR number corrected to the first youth's: flagged.
  Rectify(second, v1::PERSONAL_DATA_FIELD_CPR_NUMBER, "cpr_number", kMads.cpr);
  EXPECT_THAT(FlagsOf(second), ::testing::ElementsAre(absl::StrCat(first, " ", kCopenhagenA,
                                                                   " DUPLICATE_MATCH_CPR_NUMBER")));
  // Corrected again: the old entry is gone, not kept beside the new one.
  Rectify(second, v1::PERSONAL_DATA_FIELD_CPR_NUMBER, "cpr_number", "020110-4444");
  EXPECT_THAT(FlagsOf(second), ::testing::IsEmpty());
  EXPECT_THAT(FlagsOf(first), ::testing::IsEmpty());
  // The name corrected to the first youth's: the pair (name, birth date) now matches.
  Rectify(second, v1::PERSONAL_DATA_FIELD_NAME, "name", kMads.name);
  EXPECT_THAT(FlagsOf(first),
              ::testing::ElementsAre(
                  absl::StrCat(second, " ", kCopenhagenA, " DUPLICATE_MATCH_NAME_AND_BIRTH_DATE")));
  // An address correction changes nothing.
  Rectify(second, v1::PERSONAL_DATA_FIELD_ADDRESS, "address", "Tingbjerg Allé 2");
  EXPECT_EQ(FlagsOf(first).size(), 1u);

  // A youth referred without an identity is flagged once identified.
  const std::string unknown = Refer(kCopenhagenA, {});
  EXPECT_THAT(FlagsOf(unknown), ::testing::IsEmpty());
  Identify(unknown, kMads);
  EXPECT_THAT(FlagsOf(unknown),
              ::testing::UnorderedElementsAre(
                  absl::StrCat(first, " ", kCopenhagenA,
                               " DUPLICATE_MATCH_CPR_NUMBER+DUPLICATE_MATCH_NAME_AND_BIRTH_DATE"),
                  absl::StrCat(second, " ", kCopenhagenA, " DUPLICATE_MATCH_NAME_AND_BIRTH_DATE")));
}

TEST_F(DuplicateIndexTest, AnErasureRemovesTheYouthAndARebuildDoesNotIndexItAgain) {
  const std::string kept = Refer(kCopenhagenA, kMads);
  const std::string erased = Refer(kCopenhagenB, kMads);
  ASSERT_EQ(FlagsOf(kept).size(), 1u);
  // Closed and opened again, so that the erased youth's rows are in the view's table files.
  projector_.reset();
  ASSERT_TRUE(AnyFileHolds(dir_.Sub("views"), erased, ".sst"));
  Open();
  const uint64_t erasure = Erase(erased);
  EXPECT_THAT(FlagsOf(kept), ::testing::IsEmpty());
  EXPECT_THAT(FlagsOf(erased), ::testing::IsEmpty());
  // Purged: no file of the index names the erased youth any more.
  EXPECT_FALSE(AnyFileHolds(dir_.Sub("views"), erased));

  // Rebuilt from the log (the key is gone): the erased youth is never indexed, not even before
  // its erasure is replayed.
  MemoryRows before_erasure;
  DuplicateIndex index(sealer_.get(), *security::IdentityDigester::FromKeyStore(*keys_));
  ASSERT_TRUE(BuildInMemory(*events_, index, erasure - 1, &before_erasure).ok());
  v1::DuplicateIndexEntry entry;
  ASSERT_TRUE(entry.ParseFromString(before_erasure.rows().at(absl::StrCat("youth/", erased))));
  EXPECT_THAT(entry.digest_keys(), ::testing::IsEmpty());
  for (const auto& [key, value] : before_erasure.rows()) {
    if (absl::StartsWith(key, "digest/")) {
      EXPECT_FALSE(absl::StrContains(key, erased)) << key;
    }
  }
  // And the live view, rebuilt blue/green, agrees.
  ASSERT_TRUE(projector_->Rebuild(kDuplicatesView).ok());
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!projector_->Rebuilds().back().done && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));  // polls the rebuild's progress
  }
  ASSERT_TRUE(projector_->Rebuilds().back().done);
  EXPECT_THAT(FlagsOf(kept), ::testing::IsEmpty());
  EXPECT_FALSE(AnyFileHolds(dir_.Sub("views"), erased, ".sst"));
  // Opened again, no file at all names the erased youth.
  projector_.reset();
  Open();
  EXPECT_THAT(FlagsOf(kept), ::testing::IsEmpty());
  EXPECT_FALSE(AnyFileHolds(dir_.Sub("views"), erased));
}

TEST_F(DuplicateIndexTest, NoFileOfTheIndexHoldsIdentifyingDataInClear) {
  const std::string first = Refer(kCopenhagenA, kMads);
  const std::string second = Refer(kCopenhagenA, kMads);
  ASSERT_EQ(FlagsOf(first).size(), 1u);
  projector_.reset();                                    // flushed to the files
  ASSERT_TRUE(AnyFileHolds(dir_.Sub("views"), second));  // the scan finds what is there
  for (const std::string& clear :
       {kMads.cpr, std::string("0201101235"), std::string("020110"), kMads.name,
        std::string("Østergård"), std::string("stergård"), std::string("Jensen"),
        std::string("mads"), kMads.birth_date, std::string("Sjælør")}) {
    EXPECT_FALSE(AnyFileHolds(dir_.Sub("views"), clear)) << clear;
  }
}

TEST(IdentityDigestTest, NormalisesAndDigestsUnderItsKeyOnly) {
  EXPECT_EQ(security::NormaliseCpr("0201101235"), "020110-1235");
  EXPECT_EQ(security::NormaliseCpr("020110 1235"), "020110-1235");
  EXPECT_EQ(security::NormaliseCpr("020110-123"), std::nullopt);
  EXPECT_EQ(security::NormaliseCpr("020110-1235x"), std::nullopt);
  EXPECT_EQ(security::NormaliseBirthDate("2010-01-02"), "2010-01-02");
  EXPECT_EQ(security::NormaliseBirthDate("2010-02-30"), std::nullopt);

  const auto one = *security::IdentityDigester::WithKey(std::string(32, '\x01'));
  const auto two = *security::IdentityDigester::WithKey(std::string(32, '\x02'));
  EXPECT_EQ(security::IdentityDigester::WithKey("short").status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::string digest = **one.OfCpr("København", "020110-1235");
  EXPECT_EQ(digest.size(), 32u);
  EXPECT_EQ(**one.OfCpr("KØBENHAVN", "0201101235"), digest);
  EXPECT_NE(**one.OfCpr("Aalborg", "020110-1235"), digest);
  EXPECT_NE(**two.OfCpr("København", "020110-1235"), digest);
  // A name that happens to spell the CPR number's digits is another kind: never the same digest.
  EXPECT_NE(**one.OfNameAndBirthDate("København", "020110-1235", "2010-01-02"), digest);
  EXPECT_EQ(*one.OfCpr("København", "not a number"), std::nullopt);
  EXPECT_EQ(*one.OfNameAndBirthDate("København", "Mads", ""), std::nullopt);
  EXPECT_EQ(*one.OfCpr("", "020110-1235"), std::nullopt);
}

}  // namespace
}  // namespace hotspot::projections
