#include "services/security/public_head.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "hotspot/v1/events.pb.h"
#include "store/test_util.h"

namespace hotspot::security {
namespace {

using store::testing::TempDir;

const Principal kChief{"chief", "agency-hotspot", Role::kCoordinator, {"area-1"}};
const Principal kIntegration{"system-1", "agency-it", Role::kIntegration, {"area-1"}};
const Principal kTeacher{"teacher", "agency-school", Role::kAgencyMember, {"area-1"}};
// Of area-2: a coordinator, a social caseworker and an auditor bound to it.
const Principal kOtherChief{"chief-2", "agency-hotspot-2", Role::kCoordinator, {"area-2"}};
const Principal kOtherCaseworker{
    "caseworker-2", "agency-social", Role::kSocialCaseworker, {"area-2"}};
const Principal kOtherAuditor{"auditor-2", "agency-audit", Role::kAuditor, {"area-2"}};
// Of every area: an auditor whose token lists none, and an admin.
const Principal kDpo{"dpo", "agency-audit", Role::kAuditor, {}};
const Principal kAdmin{"admin", "agency-it", Role::kAdmin, {"area-2"}};

class PublicHeadTest : public ::testing::Test {
 protected:
  // Opens the store at dir_ with `head_` fed by its commits, and recovers `head_` from it.
  void Open() {
    events_.reset();
    store::Options options;
    options.sync = false;
    options.on_commit = [this](const store::CommitInfo& c) { head_->Committed(c); };
    head_ = std::make_unique<PublicHead>();
    absl::StatusOr<std::unique_ptr<store::EventStore>> opened =
        store::EventStore::Open(std::move(options), dir_.path());
    ASSERT_TRUE(opened.ok()) << opened.status();
    events_ = *std::move(opened);
    ASSERT_TRUE(head_->Recover(*events_).ok());
  }
  // Appends one call with events of `types` by `actor` in `area` (their v1::Event payloads'
  // area_id); the last position.
  uint64_t Append(const std::vector<std::string>& types, const std::string& actor = "chief",
                  const std::string& area = "area-1") {
    v1::Event payload;
    payload.set_area_id(area);
    std::vector<store::StreamAppend> call(1);
    call[0].stream = "youth-1";
    for (const std::string& type : types) {
      store::ProposedEvent& event =
          call[0].events.emplace_back(store::testing::MakeEvent(payload.SerializeAsString()));
      event.type = type;
      event.metadata.actor = actor;
    }
    absl::StatusOr<store::AppendResult> appended = events_->Append(std::move(call));
    EXPECT_TRUE(appended.ok()) << appended.status();
    return appended.ok() ? appended->positions.back() : 0;
  }

  TempDir dir_;
  std::unique_ptr<PublicHead> head_;  // before the store: its hook calls it until the end
  std::unique_ptr<store::EventStore> events_;
};

constexpr char kReferred[] = "hotspot.v1.YouthReferred";
constexpr char kNotification[] = "hotspot.v1.NotificationMade";
constexpr char kDecision[] = "hotspot.v1.SocialDecisionRecorded";

TEST_F(PublicHeadTest, AnEmptyLogHasBothHeadsAtZero) {
  Open();
  EXPECT_EQ(head_->head(), 0u);
  EXPECT_EQ(head_->position(), 0u);
  EXPECT_EQ(head_->For(kIntegration), 0u);
}

// A confidential event moves the head, not the public head; the next public event moves both.
// The writer is answered only once both include its events.
TEST_F(PublicHeadTest, ConfidentialEventsMoveOnlyTheHead) {
  Open();
  EXPECT_EQ(Append({kReferred}), 1u);
  EXPECT_EQ(head_->position(), 1u);
  EXPECT_EQ(Append({kNotification}), 2u);
  EXPECT_EQ(head_->head(), 2u);
  EXPECT_EQ(head_->position(), 1u);
  EXPECT_EQ(head_->For(kChief), 2u);
  EXPECT_EQ(head_->For(kIntegration), 1u);
  // One call: a public event, then a confidential one.
  EXPECT_EQ(Append({kReferred, kDecision}), 4u);
  EXPECT_EQ(head_->head(), 4u);
  EXPECT_EQ(head_->position(), 3u);
  EXPECT_EQ(Append({kReferred}), 5u);
  EXPECT_EQ(head_->For(kIntegration), 5u);
  EXPECT_EQ(head_->For(kChief), 5u);
}

// After a restart, both heads are read from the log: the public head is the last public event,
// however many confidential events follow it.
TEST_F(PublicHeadTest, RecoverReadsTheLogBackToItsLastPublicEvent) {
  Open();
  Append({kReferred, kReferred});
  std::vector<std::string> confidential(600, kNotification);  // more than one read's step
  Append(confidential);
  Open();
  EXPECT_EQ(head_->head(), 602u);
  EXPECT_EQ(head_->position(), 2u);
  Append({kReferred});
  Open();
  EXPECT_EQ(head_->head(), 603u);
  EXPECT_EQ(head_->position(), 603u);
}

// Whoever made a confidential event knows its position (its command answered it), and may
// wait for it: the head it is told is its own last event, until a public event follows. Others
// are not told it. The same after a restart.
TEST_F(PublicHeadTest, AReaderIsToldItsOwnConfidentialEvents) {
  Open();
  Append({kReferred});
  EXPECT_EQ(Append({kNotification}, "teacher"), 2u);
  EXPECT_EQ(Append({kDecision}, "caseworker"), 3u);
  EXPECT_EQ(head_->For(kTeacher), 2u);
  EXPECT_EQ(head_->For(kIntegration), 1u);
  EXPECT_EQ(head_->For(kChief), 3u);
  Open();
  EXPECT_EQ(head_->For(kTeacher), 2u);
  EXPECT_EQ(head_->For(kIntegration), 1u);
  EXPECT_EQ(head_->For(kChief), 3u);
  EXPECT_EQ(Append({kReferred}), 4u);
  EXPECT_EQ(head_->For(kTeacher), 4u);
  EXPECT_EQ(Append({kNotification}, "system-1"), 5u);
  EXPECT_EQ(head_->For(kTeacher), 4u);
  EXPECT_EQ(head_->For(kIntegration), 5u);
}

// A confidential event of one area is told to those who see every change of that area, and
// to those of every area; the public head is what the others are told, those of other areas
// included, however many of them come. The same after a restart, from the events' payloads.
// A subscription is told by its scope.
TEST_F(PublicHeadTest, AnAreasConfidentialEventsAreToldOnlyToThoseWhoSeeTheAreasChanges) {
  Open();
  EXPECT_EQ(Append({kReferred}, "chief", "area-1"), 1u);
  EXPECT_EQ(Append({kReferred}, "chief-2", "area-2"), 2u);
  EXPECT_EQ(Append({kNotification}, "teacher", "area-1"), 3u);
  EXPECT_EQ(Append({kDecision}, "caseworker", "area-1"), 4u);
  const Principal kOwnAuditor{"auditor-1", "agency-audit", Role::kAuditor, {"area-1"}};
  for (int pass = 0; pass < 2; ++pass) {
    SCOPED_TRACE(pass == 0 ? "as committed" : "recovered");
    EXPECT_EQ(head_->head(), 4u);
    EXPECT_EQ(head_->position(), 2u);
    EXPECT_EQ(head_->For(kChief), 4u);
    EXPECT_EQ(head_->For(kOwnAuditor), 4u);
    EXPECT_EQ(head_->For(kDpo), 4u);
    EXPECT_EQ(head_->For(kAdmin), 4u);
    EXPECT_EQ(head_->For(kTeacher), 3u);  // its own
    for (const Principal* other : {&kOtherChief, &kOtherCaseworker, &kOtherAuditor}) {
      EXPECT_EQ(head_->For(*other), 2u) << other->person;
    }
    EXPECT_EQ(head_->For(SubscriptionScope{{"area-1"}, true, true}), 4u);
    EXPECT_EQ(head_->For(SubscriptionScope{{}, false, true}), 4u);  // every area
    EXPECT_EQ(head_->For(SubscriptionScope{{"area-2"}, true, true}), 2u);
    EXPECT_EQ(head_->For(SubscriptionScope{{"area-1"}, false, false}), 2u);
    Open();
  }
  // area-2's own confidential event raises its readers' head past area-1's.
  EXPECT_EQ(Append({kNotification}, "teacher-2", "area-2"), 5u);
  EXPECT_EQ(head_->For(kOtherChief), 5u);
  EXPECT_EQ(head_->For(kOtherAuditor), 5u);
  EXPECT_EQ(head_->For(kChief), 4u);
  EXPECT_EQ(head_->For(kDpo), 5u);
  // A public event of any area moves everyone's head.
  EXPECT_EQ(Append({kReferred}, "chief", "area-1"), 6u);
  for (const Principal* who : {&kChief, &kOtherChief, &kTeacher, &kIntegration, &kDpo}) {
    EXPECT_EQ(head_->For(*who), 6u) << who->person;
  }
}

// An event of a confidential kind whose payload does not parse is of no known area: told to
// those who see every area only.
TEST_F(PublicHeadTest, AConfidentialEventOfNoKnownAreaIsToldOnlyToThoseOfEveryArea) {
  Open();
  Append({kReferred});
  std::vector<store::StreamAppend> call(1);
  call[0].stream = "youth-1";
  store::ProposedEvent& event = call[0].events.emplace_back(store::testing::MakeEvent("\xff"));
  event.type = kNotification;
  event.metadata.actor = "someone";
  ASSERT_TRUE(events_->Append(std::move(call)).ok());
  EXPECT_EQ(head_->For(kChief), 1u);
  EXPECT_EQ(head_->For(kDpo), 2u);
  Open();
  EXPECT_EQ(head_->For(kChief), 1u);
  EXPECT_EQ(head_->For(kDpo), 2u);
}

TEST_F(PublicHeadTest, ALogOfOnlyConfidentialEventsHasNoPublicHead) {
  Open();
  Append({kNotification, kDecision});
  Open();
  EXPECT_EQ(head_->head(), 2u);
  EXPECT_EQ(head_->position(), 0u);
  EXPECT_EQ(head_->For(kIntegration), 0u);
}

}  // namespace
}  // namespace hotspot::security
