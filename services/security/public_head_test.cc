#include "services/security/public_head.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "store/test_util.h"

namespace hotspot::security {
namespace {

using store::testing::TempDir;

const Principal kChief{"chief", "agency-hotspot", Role::kCoordinator, {"area-1"}};
const Principal kIntegration{"system-1", "agency-it", Role::kIntegration, {"area-1"}};
const Principal kTeacher{"teacher", "agency-school", Role::kAgencyMember, {"area-1"}};

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
  // Appends one call with events of `types` by `actor`; the last position.
  uint64_t Append(const std::vector<std::string>& types, const std::string& actor = "chief") {
    std::vector<store::StreamAppend> call(1);
    call[0].stream = "youth-1";
    for (const std::string& type : types) {
      store::ProposedEvent& event = call[0].events.emplace_back(store::testing::MakeEvent("x"));
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
