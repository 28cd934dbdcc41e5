// PublicHead: what a reader may be told of where the event log ends.
//
// What it is. The log's head (its last event's position), its public head (the position of its
// last event that is not of a confidential kind: IsConfidentialEventType, notifications,
// child-welfare investigations, social decisions, subject access requests, the facts dated by a
// birthday), and, for each area, the position of its last confidential event past the public
// head (read from the event's area_id). A position past the public head marks when an event of a
// confidential kind came, and so tells of the child: a reader is told it only of the areas whose
// every change it sees (policy's MaySeeEveryChangeIn: the area's coordinators and social
// caseworkers, an auditor of the area, an admin). So a reader is told the public head, raised by
// the confidential events of its own areas and by its own events: a coordinator of one area is
// not told that another area's child was notified, nor when. A reader who sees every area (an
// admin, an auditor of every area) is told the head. Every reader is told it wherever a head is
// told or compared: a query's `position` and its min_position check, Subscribe's from_end and
// from_position, GetCaseHistory's min_position, GetCaseAsOf's position.
//
// Where the real head is still given, for operations: AdminService.GetProjectionStatus's
// `head` and Backup's position (an admin's).
//
// A reader's own events. Whoever made an event knows its position (a command answers it): a
// professional's notification is confidential, yet its notifier must be able to read it back
// (min_position). So the head a reader is told is raised by that reader's own last event (by the
// events' actor, the principal's person) too.
//
// Exact at append time. Every event reaches the log through the event store's commits, so the
// store's commit hook (store::Options::on_commit, which runs before a commit's events are
// published to readers and before its writers are answered) feeds Committed(): by the time any
// reader can see an event, or a writer has been given its position, the heads include it.
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
#include "services/security/policy.h"
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
  // A confidential event's area is read from its payload (v1::Event's area_id); one whose
  // payload does not parse counts as of no area ("").
  void Committed(const store::CommitInfo& commit);

  // Raises the heads to what `events` holds: the head, and the last event of the log, read
  // backwards from the head, that is not of a confidential kind (at most the whole log), with
  // the confidential events after it. The store's read error (DATA_LOSS for an unreadable event)
  // if it fails.
  absl::Status Recover(const store::EventStore& events);

  // The log's head: its last event.
  uint64_t head() const { return head_.load(std::memory_order_acquire); }
  // The public head: the log's last event not of a confidential kind; 0 if there is none.
  uint64_t position() const { return public_.load(std::memory_order_acquire); }
  // The head that `who` is told: position(), raised by the last confidential event of each area
  // whose every change `who` sees (MaySeeEveryChangeIn) and by `who`'s own last event. head()
  // for a reader who sees every area.
  uint64_t For(const Principal& who) const;
  // The head a subscription of `scope` is told: position() if it does not receive the
  // confidential kinds; else position() raised by the last confidential event of each area of
  // `scope` (of every area, if it names none).
  uint64_t For(const SubscriptionScope& scope) const;

 private:
  // Raises the heads past an event at `position` of `type`, made by `actor`, of `area` (read
  // only for a confidential event).
  void Saw(uint64_t position, absl::string_view type, absl::string_view actor,
           absl::string_view area);
  // position() raised by the confidential events past it whose area `learns` (true for an
  // area) and, if `person` is given, by its own.
  template <typename Learns>
  uint64_t Raised(const Learns& learns, absl::string_view person) const;

  std::atomic<uint64_t> head_{0};
  std::atomic<uint64_t> public_{0};
  // The last confidential event of each actor, and of each area, past the public head (none
  // once a public event follows: the maps only hold the few since the last).
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, uint64_t> own_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, uint64_t> areas_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hotspot::security

#endif  // HOTSPOT_SERVICES_SECURITY_PUBLIC_HEAD_H_
