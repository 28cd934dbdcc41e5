// For the tests of the views and of what reads them: a key store, a sealer and an event store
// in a test's directory, none of them syncing. Header-only; tests only.
#ifndef HOTSPOT_SERVICES_PROJECTIONS_TEST_STORES_H_
#define HOTSPOT_SERVICES_PROJECTIONS_TEST_STORES_H_

#include <memory>

#include "gtest/gtest.h"
#include "services/security/key_store.h"
#include "services/security/public_head.h"
#include "services/security/sealer.h"
#include "store/event_store.h"
#include "store/test_util.h"

namespace hotspot::projections::testing {

// Opens (creating) the three under `dir` ("master.key", "keys", "events"); a failure fails the
// test and leaves them null. `heads`, if given (it must outlive the event store), follows the
// event store's commits, as hotspotd's does.
inline void OpenTestStores(const store::testing::TempDir& dir,
                           std::unique_ptr<security::KeyStore>* keys,
                           std::unique_ptr<security::Sealer>* sealer,
                           std::unique_ptr<store::EventStore>* events,
                           security::PublicHead* heads = nullptr) {
  security::KeyStoreOptions key_options;
  key_options.master_key_file = dir.Sub("master.key");
  key_options.sync = false;
  absl::StatusOr<std::unique_ptr<security::KeyStore>> opened_keys =
      security::KeyStore::Open(key_options, dir.Sub("keys"));
  ASSERT_TRUE(opened_keys.ok()) << opened_keys.status();
  *keys = std::move(*opened_keys);
  *sealer = std::make_unique<security::Sealer>(keys->get());
  store::Options options;
  options.sync = false;
  if (heads != nullptr) {
    options.on_commit = [heads](const store::CommitInfo& commit) { heads->Committed(commit); };
  }
  absl::StatusOr<std::unique_ptr<store::EventStore>> opened_events =
      store::EventStore::Open(std::move(options), dir.Sub("events"));
  ASSERT_TRUE(opened_events.ok()) << opened_events.status();
  *events = std::move(*opened_events);
  if (heads != nullptr) {
    ASSERT_TRUE(heads->Recover(**events).ok());
  }
}

}  // namespace hotspot::projections::testing

#endif  // HOTSPOT_SERVICES_PROJECTIONS_TEST_STORES_H_
