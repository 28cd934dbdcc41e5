// DeadlineProcess: time-driven facts, appended to the log as system events.
//
//   CommitmentMarkedOverdue     an open commitment's due date has passed
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
//
// Exactly once, also across restarts: each event's id is derived from what it is about (e.g.
// the commitment and the due date it missed) and its content is a function of that alone
// (occurred_at is the deadline, not the time it was noticed), so appending it again is answered
// by the store's idempotency and writes nothing. Commitments and escalations are re-read from
// their streams before marking, and appended with the version read: a commitment fulfilled a
// moment ago is never marked overdue.
//
// Threading: a thread runs a pass every `interval`; RunOnce() runs one on the caller's thread.
#ifndef HOTSPOT_SERVICES_PROJECTIONS_DEADLINE_PROCESS_H_
#define HOTSPOT_SERVICES_PROJECTIONS_DEADLINE_PROCESS_H_

#include <memory>
#include <thread>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "services/projections/projector.h"
#include "services/security/sealer.h"
#include "store/event_store.h"

namespace hotspot::projections {

struct DeadlineOptions {
  // Time between passes. Zero: no thread; only RunOnce(). Default: 60 s.
  absl::Duration interval = absl::Seconds(60);
  // "Now". Default: absl::Now.
  absl::AnyInvocable<absl::Time() const> clock;
};

class DeadlineProcess {
 public:
  // None of the three is owned; all must outlive the process.
  DeadlineProcess(store::EventStore* events, const Projector* views, security::Sealer* sealer,
                  DeadlineOptions options = {});
  // Stops the thread (waiting for a pass in progress).
  ~DeadlineProcess();

  // One pass over the views as they stand: returns how many events it appended (events already
  // in the log are not counted). Errors: the views' or the store's.
  absl::StatusOr<int> RunOnce();

 private:
  absl::Time Now() const { return options_.clock ? options_.clock() : absl::Now(); }

  store::EventStore* const events_;
  const Projector* const views_;
  security::Sealer* const sealer_;
  DeadlineOptions options_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace hotspot::projections

#endif  // HOTSPOT_SERVICES_PROJECTIONS_DEADLINE_PROCESS_H_
