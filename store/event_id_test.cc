#include "store/event_id.h"

#include "absl/container/flat_hash_set.h"
#include "gtest/gtest.h"

namespace hotspot::store {
namespace {

TEST(EventIdTest, GeneratedIdsAreUniqueVersion7AndRoundTrip) {
  absl::flat_hash_set<EventId> seen;
  for (int i = 0; i < 10000; ++i) {
    const EventId id = EventId::Generate();
    ASSERT_FALSE(id.IsNil());
    ASSERT_TRUE(seen.insert(id).second);
    const std::string text = id.ToString();
    ASSERT_EQ(text.size(), 36u);
    EXPECT_EQ(text[14], '7') << text;  // version nibble
    EXPECT_TRUE(text[19] == '8' || text[19] == '9' || text[19] == 'a' || text[19] == 'b') << text;
    absl::StatusOr<EventId> parsed = EventId::Parse(text);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, id);
  }
}

TEST(EventIdTest, ParseAcceptsUpperCaseAndRejectsMalformed) {
  absl::StatusOr<EventId> id = EventId::Parse("0190F3A2-7B1C-7D2E-8F00-0123456789AB");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->ToString(), "0190f3a2-7b1c-7d2e-8f00-0123456789ab");
  for (const char* bad :
       {"", "0190f3a2-7b1c-7d2e-8f00-0123456789a", "0190f3a2x7b1c-7d2e-8f00-0123456789ab",
        "0190f3a2-7b1c-7d2e-8f00-0123456789ag"}) {
    EXPECT_EQ(EventId::Parse(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(EventId::FromBytes("short").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(EventId().IsNil());
}

}  // namespace
}  // namespace hotspot::store
