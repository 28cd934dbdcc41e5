// CommandHandler's idempotency over a real store: a request's digest is keyed (nobody without
// the master key can confirm a guessed request from it), and a command that an earlier version
// recorded with the plain SHA-256 digest is still recognised when it is retried.
#include "services/commands/command_handler.h"

#include <openssl/sha.h>

#include <memory>
#include <string>

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

}  // namespace
}  // namespace hotspot::commands
