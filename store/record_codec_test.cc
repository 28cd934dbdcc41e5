#include "store/record_codec.h"

#include <optional>
#include <string>

#include "gtest/gtest.h"

namespace hotspot::store::internal {
namespace {

ProposedEvent SampleEvent() {
  ProposedEvent event;
  event.id = EventId::Generate();
  event.type = "test.Sample";
  event.payload = std::string("pay\0load", 8);
  event.metadata.actor = "chief@area-1";
  event.metadata.correlation_id = "corr";
  event.metadata.causation_id = "cause";
  event.metadata.occurred_at = absl::FromUnixMicros(1'700'000'000'123'456);
  return event;
}

TEST(RecordCodecTest, RecordRoundTrips) {
  const ProposedEvent event = SampleEvent();
  const std::string content = EncodeContent("youth-7", event);
  const RecordHeader header{42, 3, 1'700'000'001'000'000};
  const std::string hash = ChainHash(std::string(kHashBytes, '\0'), header, Sha256(content));
  absl::StatusOr<RecordedEvent> decoded =
      DecodeRecord(EncodeRecord(header, std::string(kHashBytes, '\0'), hash, content));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->position, 42u);
  EXPECT_EQ(decoded->stream_version, 3u);
  EXPECT_EQ(decoded->stream, "youth-7");
  EXPECT_EQ(decoded->category(), "youth");
  EXPECT_EQ(decoded->id, event.id);
  EXPECT_EQ(decoded->type, event.type);
  EXPECT_EQ(decoded->payload, event.payload);
  EXPECT_EQ(decoded->metadata.actor, event.metadata.actor);
  EXPECT_EQ(decoded->metadata.correlation_id, "corr");
  EXPECT_EQ(decoded->metadata.causation_id, "cause");
  EXPECT_EQ(decoded->metadata.occurred_at, event.metadata.occurred_at);
  EXPECT_EQ(decoded->recorded_at, absl::FromUnixMicros(1'700'000'001'000'000));
  EXPECT_EQ(decoded->hash, hash);
}

TEST(RecordCodecTest, MissingOccurredAtReadsAsRecordedAt) {
  ProposedEvent event = SampleEvent();
  event.metadata.occurred_at = absl::InfinitePast();
  const std::string content = EncodeContent("s", event);
  const RecordHeader header{1, 1, 5'000'000};
  absl::StatusOr<RecordedEvent> decoded =
      DecodeRecord(EncodeRecord(header, std::string(kHashBytes, 'p'), std::string(kHashBytes, 'h'),
                                content));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->metadata.occurred_at, absl::FromUnixMicros(5'000'000));
}

TEST(RecordCodecTest, TruncatedOrForeignRecordsAreDataLoss) {
  const std::string content = EncodeContent("s", SampleEvent());
  const std::string record = EncodeRecord({1, 1, 0}, std::string(kHashBytes, 'p'),
                                          std::string(kHashBytes, 'h'), content);
  for (size_t cut : {size_t{0}, size_t{10}, kFormat1HeaderBytes + 5, kRecordHeaderBytes + 5,
                     record.size() - 1}) {
    EXPECT_EQ(DecodeRecord(record.substr(0, cut)).status().code(), absl::StatusCode::kDataLoss)
        << cut;
  }
  for (char version : {0, 4, 9}) {
    std::string foreign = record;
    foreign[0] = version;
    EXPECT_EQ(DecodeRecord(foreign).status().code(), absl::StatusCode::kDataLoss);
  }
  EXPECT_EQ(DecodeRecord(record + "x").status().code(), absl::StatusCode::kDataLoss);
}

// A format-2 or -3 record names its predecessor's hash, so its own hash is checked from it alone;
// a format-1 record (logs written before format 2) decodes to the same event, and its hash is
// checked with the predecessor's hash given. A format-3 record holds the event's area, under its
// hash; the others have none.
TEST(RecordCodecTest, EveryFormatDecodesAndItsHashIsChecked) {
  const std::string content = EncodeContent("youth-7", SampleEvent());
  const RecordHeader header{42, 3, 1'700'000'001'000'000};
  const std::string previous(kHashBytes, 'p');
  const std::string hash = ChainHash(previous, header, Sha256(content));
  RecordHeader with_area = header;
  with_area.area = "area-5";
  const std::string area_hash = ChainHash(previous, with_area, Sha256(content));
  const std::string format3 = EncodeRecord(with_area, previous, area_hash, content);
  const std::string format2 = EncodeRecord(header, previous, hash, content, 2);
  const std::string format1 = EncodeRecord(header, previous, hash, content, 1);
  EXPECT_EQ(format2.size(), format1.size() + kHashBytes);
  EXPECT_EQ(format3.size(), format2.size() + 1 + 6);
  absl::StatusOr<RecordView> view3 = ParseRecord(format3);
  absl::StatusOr<RecordView> view2 = ParseRecord(format2);
  absl::StatusOr<RecordView> view1 = ParseRecord(format1);
  ASSERT_TRUE(view3.ok() && view2.ok() && view1.ok());
  EXPECT_EQ(view3->format, 3);
  EXPECT_EQ(view2->format, 2);
  EXPECT_EQ(view1->format, 1);
  EXPECT_EQ(view3->header.area, "area-5");
  EXPECT_EQ(view2->header.area, "");
  EXPECT_EQ(view3->previous_hash, previous);
  EXPECT_EQ(view2->previous_hash, previous);
  EXPECT_TRUE(view1->previous_hash.empty());
  EXPECT_EQ(view3->content, view1->content);
  EXPECT_EQ(view2->content, view1->content);
  EXPECT_EQ(DecodeRecord(format3)->payload, DecodeRecord(format1)->payload);
  EXPECT_EQ(DecodeRecord(format2)->payload, DecodeRecord(format1)->payload);
  EXPECT_EQ(DecodeRecord(format2)->hash, DecodeRecord(format1)->hash);
  EXPECT_EQ(DecodeRecord(format3)->area, std::optional<std::string>("area-5"));
  EXPECT_EQ(DecodeRecord(format2)->area, std::nullopt);
  EXPECT_EQ(DecodeRecord(format1)->area, std::nullopt);
  // Without an area, a format-3 record's hash is a format-2 record's.
  EXPECT_EQ(DecodeRecord(EncodeRecord(header, previous, hash, content))->area,
            std::optional<std::string>(""));

  EXPECT_TRUE(HashHolds(*view3));
  EXPECT_TRUE(HashHolds(*view2));
  EXPECT_TRUE(HashHolds(*view2, previous));
  EXPECT_FALSE(HashHolds(*view2, std::string(kHashBytes, 'q')));
  EXPECT_FALSE(HashHolds(*view1));  // no previous hash in it
  EXPECT_TRUE(HashHolds(*view1, previous));
  // A byte of the content, of the previous hash it names, or of the area, changed.
  for (const std::string& record : {format2, format3}) {
    for (size_t at : {record.size() - 3, size_t{25 + kHashBytes + 4}}) {
      std::string damaged = record;
      damaged[at] ^= 0x01;
      EXPECT_FALSE(HashHolds(*ParseRecord(damaged))) << at;
    }
  }
  std::string other_area = format3;
  other_area[kRecordHeaderBytes + 1 + 5] = '6';  // "area-6"
  ASSERT_TRUE(ParseRecord(other_area).ok());
  EXPECT_EQ(ParseRecord(other_area)->header.area, "area-6");
  EXPECT_FALSE(HashHolds(*ParseRecord(other_area)));
  // An area's length spelt with a needless continuation byte (0x86 0x00 for 6): the hash covers
  // the canonical spelling, so the record is refused rather than read as the same.
  std::string padded = format3.substr(0, kRecordHeaderBytes) + std::string("\x86\x00", 2) +
                       format3.substr(kRecordHeaderBytes + 1);
  EXPECT_EQ(ParseRecord(padded).status().code(), absl::StatusCode::kDataLoss);
  // An area's length past the record's end.
  std::string overlong = format3;
  overlong[kRecordHeaderBytes] = 0x7f;
  overlong.resize(kRecordHeaderBytes + 10);
  EXPECT_EQ(ParseRecord(overlong).status().code(), absl::StatusCode::kDataLoss);
}

TEST(RecordCodecTest, ChainHashCoversEveryInput) {
  const std::string prev(kHashBytes, 'p');
  const std::string digest = Sha256("content");
  const std::string base = ChainHash(prev, {1, 2, 3}, digest);
  EXPECT_NE(base, ChainHash(std::string(kHashBytes, 'q'), {1, 2, 3}, digest));
  EXPECT_NE(base, ChainHash(prev, {9, 2, 3}, digest));
  EXPECT_NE(base, ChainHash(prev, {1, 9, 3}, digest));
  EXPECT_NE(base, ChainHash(prev, {1, 2, 9}, digest));
  EXPECT_NE(base, ChainHash(prev, {1, 2, 3}, Sha256("other")));
  EXPECT_NE(base, ChainHash(prev, {1, 2, 3, "area-1"}, digest));
  EXPECT_NE(ChainHash(prev, {1, 2, 3, "area-1"}, digest),
            ChainHash(prev, {1, 2, 3, "area-2"}, digest));
  EXPECT_EQ(base, ChainHash(prev, {1, 2, 3}, digest));
}

TEST(RecordCodecTest, KeysSortByPositionAndVersion) {
  EXPECT_LT(LogKey(255), LogKey(256));
  EXPECT_LT(LogKey(1), LogKey(1ull << 40));
  EXPECT_LT(StreamKey("a", 2), StreamKey("a", 256));
  EXPECT_LT(StreamKey("a", UINT64_MAX), StreamKey("a-", 0));  // no stream's range overlaps another
}

}  // namespace
}  // namespace hotspot::store::internal
