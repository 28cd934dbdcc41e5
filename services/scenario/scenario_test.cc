// The scenario, built in process against a real event store and key store.
#include "services/scenario/scenario.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "services/scenario/handler_sink.h"
#include "services/security/key_store.h"
#include "services/security/sealer.h"
#include "store/test_util.h"

namespace hotspot::scenario {
namespace {

// The aggregate `stream` as the store holds it.
template <typename State>
State Fold(const store::EventStore& events, const std::string& stream) {
  State state;
  const auto read = events.ReadStream(stream, 0, store::Direction::kForward, 1000);
  EXPECT_TRUE(read.ok()) << read.status();
  for (const auto& recorded : read.ok() ? *read : std::vector<store::RecordedEvent>()) {
    v1::Event event;
    EXPECT_TRUE(event.ParseFromString(recorded.payload)) << recorded.position;
    domain::Evolve(state, event);
  }
  return state;
}

TEST(ScenarioTest, BuildsTheAreaOnceWithLateCommitmentsAndTwoEscalations) {
  store::testing::TempDir dir;
  security::KeyStoreOptions key_options;
  key_options.master_key_file = dir.Sub("master.key");
  auto keys = *security::KeyStore::Open(key_options, dir.Sub("keys"));
  security::Sealer sealer(keys.get());
  store::Options options;
  options.sync = false;
  auto events = *store::EventStore::Open(std::move(options), dir.Sub("events"));

  const absl::Time now =
      absl::FromCivil(absl::CivilSecond(2026, 11, 23, 12, 0, 0), absl::UTCTimeZone());
  ScenarioOptions scenario;
  scenario.now = now;
  uint64_t head = 0;
  {
    HandlerSink sink(events.get(), &sealer);
    absl::StatusOr<ScenarioResult> built = BuildSjaelor(sink, scenario);
    ASSERT_TRUE(built.ok()) << built.status();
    EXPECT_EQ(built->youth_ids.size(), 40u);
    EXPECT_GE(built->meeting_ids.size(), 8u);
    EXPECT_EQ(built->escalation_ids.size(), 2u);
    EXPECT_EQ(built->replayed, 0);
    head = events->HeadPosition();

    // Some commitments are late: open, with a due date before now.
    int late = 0, fulfilled = 0;
    for (const std::string& id : built->commitment_ids) {
      const auto state = Fold<domain::CommitmentState>(*events, id);
      const absl::CivilDay due(state.due_date.year(), state.due_date.month(), state.due_date.day());
      if (state.open() && due < absl::ToCivilDay(now, absl::UTCTimeZone())) ++late;
      if (state.status == domain::CommitmentStatus::kFulfilled) ++fulfilled;
    }
    EXPECT_GT(late, 0);
    EXPECT_GT(fulfilled, 0);

    // Two escalations at different levels.
    std::set<int> levels;
    for (const std::string& id : built->escalation_ids) {
      const auto state = Fold<domain::EscalationState>(*events, id);
      levels.insert(state.level);
    }
    EXPECT_EQ(levels.size(), 2u);

    // No name, CPR number or address of a youth stands in clear in the log.
    const v1::ReferYouthRequest sample = SampleReferral(0, "x");
    const auto log = events->ReadAll(0, store::Direction::kForward, 10000);
    ASSERT_TRUE(log.ok()) << log.status();
    for (const auto& e : *log) {
      ASSERT_FALSE(absl::StrContains(e.payload, sample.name())) << e.type;
      ASSERT_FALSE(absl::StrContains(e.payload, sample.cpr_number())) << e.type;
      ASSERT_FALSE(absl::StrContains(e.payload, "Boulevard 1,")) << e.type;
    }
  }
  // Again: every command is answered from the log, nothing is written.
  HandlerSink sink(events.get(), &sealer);
  absl::StatusOr<ScenarioResult> again = BuildSjaelor(sink, scenario);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->replayed, again->commands);
  EXPECT_EQ(events->HeadPosition(), head);
}

}  // namespace
}  // namespace hotspot::scenario
