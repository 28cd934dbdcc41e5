// DeadlineProcess: time-driven facts, recorded as the system's commands.
//
//   CommitmentMarkedOverdue     an accepted, open commitment's due date has passed
//   EscalationNotAcknowledged   the target has not acknowledged within the area's set time
//   BodyBehindCadence           a body has met less often than its cadence requires
//   ReviewDatePassed            an active case's plan review date has passed
//   EighteenthBirthdayNear      a youth in an open case turns 18 within 90 days
//   ConsentLapsed               the youth turned 18: each consent given before then lapses
//   NotificationAssessmentOverdue / NotificationReceiptOverdue / ChildWelfareInvestigationOverdue
//                               barnets lov: a notification not assessed within 24 hours, its
//                               receipt not confirmed within 6 working days, an investigation
//                               not finished within 4 months
//   SubjectAccessOverdue        a subject access request not answered within one month
//   HalfYearlyReportMissing     no half-yearly report of an area's half-year, 30 days after it
//                               ended: each half-year that ended after the programme's adoption
//                               and is not flagged yet, of the last four
//
// One door for writes. The views say where a deadline may have passed; for each such item the
// process runs a system command (proto/hotspot/v1/system_commands.proto) through a
// commands::CommandHandler as security::SystemPrincipal(): the domain decides from the
// aggregate's own state (services/domain: the rule, and whether the fact is recorded already)
// and the handler appends with the versions read. The handler is the process's own, with the
// process's clock and one worker: a pass never queues behind callers' commands, and "now" is the
// same for the views and the domain.
//
// Exactly once, also across restarts: each command's request_id is derived from what it is
// about ("deadline:overdue:<commitment>:<due date>", "deadline:review:<youth>:<date>",
// "deadline:report:<area>:<half-year end>", ...),
// so a pass repeated before the views caught up is answered from the log (replayed, not
// counted). A fact recorded under other ids (by the process of before, which appended its own
// events) is in the aggregate's state, and the domain refuses it again: FAILED_PRECONDITION,
// which the process takes as "nothing to do", as it does a rule that no longer holds (a
// commitment fulfilled a moment ago). The events' occurred_at is the deadline that was missed.
//
// Errors. A pass goes on past an item that fails (any other error of the command, or of
// reading a view), and the next pass tries it again: after a pass with failures the next one
// comes sooner than `interval`, after `retry_initial`, doubled with each such pass in a row up to
// `interval` (common::Backoff); after a clean pass, at `interval` again. Status() keeps the count of passes in a
// row with failures and the last failure (status, time, the item's request id or the view),
// which AdminService.GetProjectionStatus shows.
//
// Threading: with an interval, a thread of its own runs a pass at once and then every
// `interval`, blocking on each command in turn; RunOnce() runs one on the caller's thread (one
// pass at a time). Status() may be called from any thread.
//
// Memory: a pass reads each view row by row, holding one row (and the command it may run) at a
// time, so that it stays the same size as the areas' history grows. It runs its commands as it
// reads, under one snapshot of the view per scan.
#ifndef HOTSPOT_SERVICES_PROJECTIONS_DEADLINE_PROCESS_H_
#define HOTSPOT_SERVICES_PROJECTIONS_DEADLINE_PROCESS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "services/projections/projector.h"
#include "services/security/sealer.h"
#include "store/event_store.h"

namespace hotspot::commands {
class CommandHandler;
}

namespace hotspot::projections {

struct DeadlineOptions {
  // Time between passes. Zero: no thread; only RunOnce(). Default: 60 s.
  absl::Duration interval = absl::Seconds(60);
  // "Now", for the views' prefilter and the domain's rules alike. Default: absl::Now.
  absl::AnyInvocable<absl::Time() const> clock;
  // Fault injection for tests: asked with each item's request id before its command runs; an
  // error fails the item as the command's own error would. Default: none.
  absl::AnyInvocable<absl::Status(absl::string_view request_id)> fault;
  // The wait after a pass with failures, doubled with each such pass in a row, at most
  // `interval`. Default: 1 s.
  absl::Duration retry_initial = absl::Seconds(1);
  // Each pass first waits, at most this long, for the views to reach the log's head as the pass
  // starts: a pass over views still catching up (after a start, or a view's rebuild after an
  // upgrade) would miss what they have not applied yet. If they do not reach it in time, the
  // pass goes on over the views as they stand and counts a failure (view "views"), so the next
  // pass comes sooner. Default: 60 s.
  absl::Duration catch_up_wait = absl::Seconds(60);
};

// What the passes did, since the process started.
struct DeadlineStatus {
  uint64_t passes = 0;                             // completed
  absl::Time last_pass_at = absl::InfinitePast();  // its "now"
  uint64_t appended = 0;                           // events (replayed commands not counted)
  int consecutive_failed_passes = 0;               // in a row up to the last; 0 after a clean one
  int failed_items = 0;                            // in the last pass
  absl::Status last_error;                         // the last failure, kept; OK if none yet
  absl::Time last_error_at = absl::InfinitePast();
  std::string last_error_key;  // the item's request id, or "view:<name>"
  absl::Time next_pass_at = absl::InfinitePast();  // with a thread: when it runs the next pass
};

class DeadlineProcess {
 public:
  // None of the three is owned; all must outlive the process.
  DeadlineProcess(store::EventStore* events, const Projector* views, security::Sealer* sealer,
                  DeadlineOptions options = {});
  // Stops the thread (waiting for a pass in progress).
  ~DeadlineProcess();

  // One pass over the views, once they have reached the log's head (at most `catch_up_wait`):
  // returns how many events it appended (commands
  // answered from the log are not counted). Every item is tried; if any failed, returns the
  // first failure (with its item's key in the message) after the pass, and Status() has them.
  absl::StatusOr<int> RunOnce();

  DeadlineStatus Status() const;

 private:
  class Pass;
  absl::Time Now() const { return options_.clock ? options_.clock() : absl::Now(); }

  store::EventStore* const events_;
  const Projector* const views_;
  security::Sealer* const sealer_;
  DeadlineOptions options_;
  std::unique_ptr<commands::CommandHandler> handler_;
  absl::Mutex pass_mu_;  // one pass at a time
  mutable absl::Mutex mu_;
  DeadlineStatus status_ ABSL_GUARDED_BY(mu_);
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace hotspot::projections

#endif  // HOTSPOT_SERVICES_PROJECTIONS_DEADLINE_PROCESS_H_
