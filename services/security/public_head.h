// PublicHead: what a reader may be told of where the event log ends.
//
// What it is. The log's head (its last event's position) and its public head: the position of
// its last event that is not of a confidential kind (IsConfidentialEventType: notifications,
// child-welfare investigations, social decisions, subject access requests, the facts dated by a
// birthday). A reader who does not see every change (MaySeeEveryChange for queries; a
// subscription without the confidential kinds, SubscriptionScope) is told the public head
// wherever others are told the head: a later position would mark when an event it does not
// learn of came, and so tell of the child.
//
// Where the real head is still given, for operations: AdminService.GetProjectionStatus's
// `head` (an admin's) and AuditService.VerifyLog's `to_position` (an auditor's or an admin's).
//
// A reader's own events. Whoever made an event knows its position (a command answers it): a
// professional's notification is confidential, yet its notifier must be able to read it back
// (min_position). So the head a reader is told is the public head or, if later, the position of
// that reader's own last event (by the events' actor, the principal's person).
//
// Exact at append time. Every event reaches the log through the event store's commits, so the
// store's commit hook (store::Options::on_commit, which runs before a commit's events are
// published to readers and before its writers are answered) feeds Committed(): by the time any
// reader can see an event, or a writer has been given its position, both heads include it.
// At startup Recover() reads the log backwards from its head to its last public event.
//
// Thread-safety: safe for concurrent use; the heads only grow.
#ifndef HOTSPOT_SERVICES_SECURITY_PUBLIC_HEAD_H_
#define HOTSPOT_SERVICES_SECURITY_PUBLIC_HEAD_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "services/security/principal.h"
#include "store/event_store.h"

namespace hotspot::security {

class PublicHead {
 public:
  // Both heads at 0 (an empty log): feed it the store's commits (Committed) from the store's
  // opening, then Recover() once the store is open, before anything is appended.
  PublicHead() = default;
  PublicHead(const PublicHead&) = delete;
  PublicHead& operator=(const PublicHead&) = delete;

  // Takes in the events of a commit (store::Options::on_commit). Quick; never calls the store.
  void Committed(const store::CommitInfo& commit);

  // Raises both heads to what `events` holds: the head, and the last event of the log, read
  // backwards from the head, that is not of a confidential kind (at most the whole log). The
  // store's read error (DATA_LOSS for an unreadable event) if it fails.
  absl::Status Recover(const store::EventStore& events);

  // The log's head: its last event.
  uint64_t head() const { return head_.load(std::memory_order_acquire); }
  // The public head: the log's last event not of a confidential kind; 0 if there is none.
  uint64_t position() const { return public_.load(std::memory_order_acquire); }
  // The head that `who`'s queries are told: head() for a reader who sees every change
  // (MaySeeEveryChange); for anyone else position(), or the position of `who`'s own last event
  // if that is later.
  uint64_t For(const Principal& who) const;

 private:
  // Raises the heads past an event at `position` of `type`, made by `actor`.
  void Saw(uint64_t position, absl::string_view type, absl::string_view actor);

  std::atomic<uint64_t> head_{0};
  std::atomic<uint64_t> public_{0};
  // The last confidential event of each actor past the public head (none once a public event
  // follows: the map only holds the few since the last).
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, uint64_t> own_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hotspot::security

#endif  // HOTSPOT_SERVICES_SECURITY_PUBLIC_HEAD_H_
