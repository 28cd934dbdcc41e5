// CommandHandler's idempotency over a real store: a request's digest is keyed (nobody without
// the master key can confirm a guessed request from it), and a command that an earlier version
// recorded with the plain SHA-256 digest is still recognised when it is retried.
#include "services/commands/command_handler.h"

#include <openssl/sha.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "services/security/key_store.h"
#include "services/security/request_digest.h"
#include "services/security/sealer.h"
#include "store/test_util.h"

namespace hotspot::commands {
namespace {

std::string Sha256(const std::string& data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

class CommandHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    security::KeyStoreOptions key_options;
    key_options.master_key_file = dir_.Sub("master.key");
    key_options.sync = false;
    auto keys = security::KeyStore::Open(key_options, dir_.Sub("keys"));
    ASSERT_TRUE(keys.ok()) << keys.status();
    keys_ = std::move(*keys);
    sealer_ = std::make_unique<security::Sealer>(keys_.get());
    store::Options options;
    options.sync = false;
    auto events = store::EventStore::Open(std::move(options), dir_.Sub("events"));
    ASSERT_TRUE(events.ok()) << events.status();
    events_ = std::move(*events);
    handler_ = std::make_unique<CommandHandler>(events_.get(), sealer_.get());
  }

  absl::StatusOr<v1::CommandResponse> Run(const v1::EstablishAreaRequest& request) {
    absl::Notification done;
    absl::StatusOr<v1::CommandResponse> result;
    handler_->Execute(admin_, request, [&](absl::StatusOr<v1::CommandResponse> response) {
      result = std::move(response);
      done.Notify();
    });
    done.WaitForNotification();
    return result;
  }

  v1::Event EventAt(uint64_t position) {
    auto stored = events_->ReadAll(position, store::Direction::kForward, 1);
    EXPECT_TRUE(stored.ok() && stored->size() == 1);
    v1::Event event;
    if (stored.ok() && !stored->empty()) {
      EXPECT_TRUE(event.ParseFromString((*stored)[0].payload));
    }
    return event;
  }

  static v1::EstablishAreaRequest Area(const std::string& request_id, const std::string& id,
                                       const std::string& name) {
    v1::EstablishAreaRequest request;
    request.set_request_id(request_id);
    request.set_area_id(id);
    request.set_name(name);
    request.set_municipality("Sjælør Kommune");
    return request;
  }

  store::testing::TempDir dir_;
  std::unique_ptr<security::KeyStore> keys_;
  std::unique_ptr<security::Sealer> sealer_;
  std::unique_ptr<store::EventStore> events_;
  std::unique_ptr<CommandHandler> handler_;
  const security::Principal admin_{"admin-ops", "", security::Role::kAdmin, {}};
};

TEST_F(CommandHandlerTest, TheFirstEventKeepsAKeyedDigestOfTheRequest) {
  const v1::EstablishAreaRequest request = Area("area-1", "area-one", "One");
  const absl::StatusOr<v1::CommandResponse> first = Run(request);
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string input = security::RequestDigester::Input(request);
  const v1::Event event = EventAt(first->position());
  EXPECT_EQ(event.request_digest(),
            *security::RequestDigester::FromKeyStore(*keys_)->Digest(input));
  EXPECT_NE(event.request_digest(), Sha256(input));
  // A retry is answered from the log; other content under the same request id is refused.
  const absl::StatusOr<v1::CommandResponse> retry = Run(request);
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->replayed());
  EXPECT_EQ(retry->position(), first->position());
  EXPECT_EQ(Run(Area("area-1", "area-one", "Other")).status().code(),
            absl::StatusCode::kAlreadyExists);
}

// An event recorded before digests were keyed, as that version wrote it: the plain SHA-256.
TEST_F(CommandHandlerTest, ARetryOfACommandRecordedWithThePlainDigestIsAnsweredFromTheLog) {
  const v1::EstablishAreaRequest request = Area("area-old", "area-old", "Old");
  v1::Event event;
  event.set_request_id(request.request_id());
  event.set_request_digest(Sha256(security::RequestDigester::Input(request)));
  event.set_area_id(request.area_id());
  event.set_result_id(request.area_id());
  event.mutable_area_established()->set_area_id(request.area_id());
  event.mutable_area_established()->set_name(request.name());
  event.mutable_area_established()->set_municipality(request.municipality());
  std::vector<store::StreamAppend> appends(1);
  appends[0].stream = "area-old";
  store::ProposedEvent& proposed = appends[0].events.emplace_back();
  proposed.id = CommandEventId(admin_, request.request_id(), 0);
  proposed.type = "hotspot.v1.AreaEstablished";
  proposed.payload = event.SerializeAsString();
  proposed.metadata.actor = admin_.person;
  const absl::StatusOr<store::AppendResult> stored = events_->Append(std::move(appends));
  ASSERT_TRUE(stored.ok()) << stored.status();

  const absl::StatusOr<v1::CommandResponse> retry = Run(request);
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->replayed());
  EXPECT_EQ(retry->position(), stored->positions[0]);
  EXPECT_EQ(retry->id(), "area-old");
  EXPECT_EQ(events_->HeadPosition(), stored->positions[0]);  // nothing written
  EXPECT_EQ(Run(Area("area-old", "area-old", "Renamed")).status().code(),
            absl::StatusCode::kAlreadyExists);
}

// With its bytes bounded, the cache keeps fewer streams than the commands read, and what it
// evicted is decided from the log as before.
TEST_F(CommandHandlerTest, TheParsedStreamsStayWithinTheirBytesAndEvictedOnesAreReadAgain) {
  CommandHandlerOptions options;
  options.cached_stream_bytes = 16 << 10;
  handler_ = std::make_unique<CommandHandler>(events_.get(), sealer_.get(), std::move(options));
  constexpr int kAreas = 60;
  for (int i = 0; i < kAreas; ++i) {
    const std::string id = absl::StrCat("area-", i);
    ASSERT_TRUE(Run(Area(absl::StrCat("establish-", i), id, absl::StrCat("Area ", i))).ok());
  }
  // Each area is read with its one event, and exists whether or not its stream is still cached.
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < kAreas; ++i) {
      const absl::StatusOr<v1::CommandResponse> again =
          Run(Area(absl::StrCat("again-", round, "-", i), absl::StrCat("area-", i), "Again"));
      EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists) << i << again.status();
    }
    const StreamCache::Usage usage = handler_->stream_cache_usage();
    EXPECT_LE(usage.bytes, size_t{16} << 10);
    EXPECT_GT(usage.streams, 0u);
    EXPECT_LT(usage.streams, size_t{kAreas});
  }
  EXPECT_EQ(events_->HeadPosition(), uint64_t{kAreas});
}

// A stream of `n` events, each holding `text_bytes` of text.
StreamCache::Entry Stream(uint64_t version, int n, size_t text_bytes) {
  auto events = std::make_shared<std::vector<v1::Event>>();
  size_t bytes = 0;
  for (int i = 0; i < n; ++i) {
    v1::Event& event = events->emplace_back();
    event.mutable_area_established()->set_name(std::string(text_bytes, 'x'));
    bytes += StreamCache::EventBytes(event);
  }
  return StreamCache::Entry{domain::StreamEvents{version, std::move(events)}, bytes};
}

TEST(StreamCacheTest, AnEventCountsTheTextItHolds) {
  v1::Event event;
  const size_t empty = StreamCache::EventBytes(event);
  event.mutable_area_established()->set_name(std::string(10'000, 'x'));
  EXPECT_GE(StreamCache::EventBytes(event), empty + 10'000);
}

TEST(StreamCacheTest, KeepingAStreamThatDoesNotFitEvictsOthers) {
  StreamCache cache(/*max_streams=*/100, /*max_bytes=*/100 << 10);
  for (int i = 0; i < 20; ++i) cache.Put(absl::StrCat("s", i), Stream(1, 4, 2'000));
  const StreamCache::Usage usage = cache.usage();
  EXPECT_LE(usage.bytes, size_t{100} << 10);
  EXPECT_GT(usage.bytes, size_t{60} << 10);  // evicted only what did not fit
  EXPECT_LT(usage.streams, 20u);
  // The newest is kept.
  EXPECT_EQ(cache.Get("s19").stream.version, 1u);
  EXPECT_EQ(cache.Get("s19").stream.events->size(), 4u);
}

TEST(StreamCacheTest, AnOlderVersionDoesNotReplaceANewerOne) {
  StreamCache cache(100, 1 << 20);
  cache.Put("s", Stream(3, 3, 10));
  cache.Put("s", Stream(2, 2, 10));
  EXPECT_EQ(cache.Get("s").stream.version, 3u);
  cache.Put("s", Stream(4, 4, 10));
  EXPECT_EQ(cache.Get("s").stream.version, 4u);
  EXPECT_EQ(cache.usage().streams, 1u);
}

TEST(StreamCacheTest, AStreamLargerThanAQuarterOfTheBytesIsNotKeptNorItsOlderVersion) {
  StreamCache cache(100, 100 << 10);
  cache.Put("big", Stream(1, 1, 1'000));
  ASSERT_EQ(cache.Get("big").stream.version, 1u);
  cache.Put("big", Stream(2, 2, 20'000));  // 40 KB: more than 25 KiB
  EXPECT_EQ(cache.Get("big").stream.version, 0u);
  EXPECT_EQ(cache.Get("big").stream.events, nullptr);
  EXPECT_EQ(cache.usage().streams, 0u);
  EXPECT_EQ(cache.usage().bytes, 0u);
}

TEST(StreamCacheTest, KeepsNoMoreStreamsThanItsCount) {
  StreamCache cache(/*max_streams=*/5, /*max_bytes=*/1 << 20);
  for (int i = 0; i < 12; ++i) cache.Put(absl::StrCat("s", i), Stream(1, 1, 10));
  EXPECT_EQ(cache.usage().streams, 5u);
  EXPECT_EQ(cache.Get("s11").stream.version, 1u);
}

}  // namespace
}  // namespace hotspot::commands
