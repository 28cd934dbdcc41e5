// AuditHandler: the audit's reads, without gRPC. A youth's whole history through the subject
// index (services/projections/subject_view.h), the case as it stood at a past position or time
// (the live view's own code over the youth's indexed events), the log's hash chain, and the
// cases due for an erasure review.
//
// Who may read: an auditor (of every area, or of the youth's if its token lists areas:
// security::MayAuditCase) or a coordinator of the youth's area; both see the personal data in
// clear (erased data reads as erased). Recording the read in the access log is
// the caller's part: the reads return (or pass to `send`) the disclosures they made.
//
// Positions. A reader is told no position past the head security::PublicHead tells it (the
// log's public head, raised by the confidential events of the areas whose every change it sees):
// GetCaseHistory's min_position past it is OUT_OF_RANGE, GetCaseAsOf's position past it is
// INVALID_ARGUMENT and its time reads at most up to it, VerifyLog verifies up to it, and a subject
// access export's position is it. For an auditor of every area and an admin it is the head.
//
// Errors: INVALID_ARGUMENT naming the field; NOT_FOUND for an unknown youth; PERMISSION_DENIED;
// OUT_OF_RANGE naming min_position; DEADLINE_EXCEEDED if the views do not reach the position
// needed in time.
//
// Thread-safety: safe for concurrent use.
#ifndef HOTSPOT_SERVICES_AUDIT_AUDIT_HANDLER_H_
#define HOTSPOT_SERVICES_AUDIT_AUDIT_HANDLER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "hotspot/v1/audit_service.pb.h"
#include "services/projections/projector.h"
#include "services/rpc/pull_writer.h"
#include "services/security/disclosures.h"
#include "services/security/principal.h"
#include "services/security/public_head.h"
#include "services/security/sealer.h"
#include "store/event_store.h"

namespace hotspot::audit {

using security::Disclosed;

struct AuditOptions {
  // Cases ended (closed, declined or handed over) longer ago than this are due for an erasure
  // review. Default: 1,826 days (five years).
  int retention_days = 1826;
  // Most events in one history response. Default: 250 (with the next response built while the
  // last is written, smaller responses overlap more of the client's decoding; 125 made a
  // 1,000-event history slower again, each response being one access record made durable).
  size_t history_batch = 250;
  // VerifyLog verifies this many events at a time, checking its deadline and whether its call
  // was cancelled between them. Default: 4096 (some milliseconds each).
  uint64_t verify_batch = 4096;
  // "Now", for the retention period. Default: absl::Now.
  absl::AnyInvocable<absl::Time() const> clock;
};

class AuditHandler {
 public:
  // Not owned; all must outlive the handler. `heads` follows `events`' commits.
  AuditHandler(const store::EventStore* events, const projections::Projector* views,
               security::Sealer* sealer, const security::PublicHead* heads,
               AuditOptions options = {});

  // A youth's history, read one batch at a time (a resumable cursor: the youth's positions, as
  // the index held them when it was opened, and how far it has read). Not thread-safe: one
  // Next() at a time. The handler must outlive it.
  class History {
   public:
    // Appends to `response` the next batch of up to AuditOptions::history_batch events, as the
    // wire form of a v1::GetCaseHistoryResponse assembled around the stored bytes
    // (queries::AppendAllowedStoredEvent: no event is parsed or re-encoded), and fills `shown`
    // with what it discloses (the youth, and each data subject whose data it shows in clear).
    // rpc::Pull::kLast for the last batch (an empty one if the youth has no event), kNone once
    // everything was given.
    absl::StatusOr<rpc::Pull> Next(std::string& response, security::Disclosures& shown);

   private:
    friend class AuditHandler;
    const AuditHandler* handler_ = nullptr;
    std::string youth_id_;
    std::string area_id_;
    std::vector<uint64_t> positions_;
    size_t next_ = 0;      // the first of positions_ not read
    uint64_t total_ = 0;   // the events given in all (the positions less the hidden)
    bool done_ = false;
  };

  // Checks, then opens the youth's history (History): what the log held at `asked_head` (the
  // head when the call came; 0, the head now), once the views have reached it.
  absl::StatusOr<History> OpenCaseHistory(const security::Principal& who,
                                          const v1::GetCaseHistoryRequest& request,
                                          absl::Time deadline, uint64_t asked_head = 0) const;

  // OpenCaseHistory, then passes its batches to `send` with the disclosures of each, until
  // `send` returns false or an error (which ends the read with it).
  absl::Status CaseHistory(
      const security::Principal& who, const v1::GetCaseHistoryRequest& request, absl::Time deadline,
      const std::function<absl::StatusOr<bool>(v1::GetCaseHistoryResponse&,
                                               const security::Disclosures&)>& send,
      uint64_t asked_head = 0) const;

  // By time: the last event recorded by then, at most `asked_head` (0: the head now).
  absl::StatusOr<Disclosed<v1::GetCaseAsOfResponse>> CaseAsOf(const security::Principal& who,
                                                              const v1::GetCaseAsOfRequest& request,
                                                              absl::Time deadline,
                                                              uint64_t asked_head = 0) const;

  // Role: auditor or admin. Verifies from from_position to to_position (0: the head `who` is
  // told), at most up to that head, AuditOptions::verify_batch events at a time: between them,
  // DEADLINE_EXCEEDED once `deadline` has passed, CANCELLED once `cancelled` (if given) says
  // the call was, so that a long log's verification holds no worker past its call.
  absl::StatusOr<v1::VerifyLogResponse> VerifyLog(
      const security::Principal& who, const v1::VerifyLogRequest& request,
      absl::Time deadline = absl::InfiniteFuture(),
      const std::function<bool()>& cancelled = nullptr) const;

  // The views as they are once they have reached `asked_head` (0: the head now).
  absl::StatusOr<v1::ListErasureReviewsDueResponse> ErasureReviewsDue(
      const security::Principal& who, const v1::ListErasureReviewsDueRequest& request,
      absl::Time deadline, uint64_t asked_head = 0) const;

  int retention_days() const { return options_.retention_days; }
  const projections::Projector& views() const { return *views_; }

  // The log's head now: a call takes it when it comes (its `asked_head`), and is queued without a
  // thread (rpc::CallRunner's UnaryAfter and StreamAfter) until the views reach what Awaited
  // says; the method then waits for that same position, so its own wait ends at once, however
  // much was appended meanwhile. Quick: no I/O.
  uint64_t Head() const { return events_->HeadPosition(); }
  // The position the views must reach, or 0 if they are there: for CaseAsOf its position, or by
  // time `asked_head`; for CaseHistory, ErasureReviewsDue and SubjectAccess, which read what the
  // log held when asked, `asked_head`.
  uint64_t Awaited(const v1::GetCaseAsOfRequest& request, uint64_t asked_head) const;
  uint64_t AwaitedHead(uint64_t asked_head) const { return Unreached(asked_head); }

  // The area of `youth_id`'s case as the views hold it now; "" if it has none.
  absl::StatusOr<std::string> AreaOf(absl::string_view youth_id) const;

  // The answer to a subject access request (GDPR Art. 15): the case and its whole history in
  // clear, and `reads` (the youth's access records as stored, purposes unsealed here) as dates,
  // agencies, roles and purposes, with what Databeskyttelsesloven § 22 allows withheld redacted
  // and listed: what the police wrote (every text of an event of theirs, of a share, referral
  // or notification they made, and their commitments' actions; not the youth's identity), third
  // parties' names, the employees who acted. As JSON and HTML. Roles as CaseHistory; NOT_FOUND for
  // a request the youth does not have.
  absl::StatusOr<Disclosed<v1::ExportSubjectAccessResponse>> SubjectAccess(
      const security::Principal& who, const v1::ExportSubjectAccessRequest& request,
      absl::Time deadline, std::vector<v1::AccessRecord> reads, uint64_t asked_head = 0) const;

 private:
  // The youth's case with its youth_id and area_id alone (queries::LoadCaseHead), once the caller
  // is known to be allowed to audit it.
  absl::StatusOr<v1::CaseView> Authorize(const security::Principal& who,
                                         absl::string_view youth_id) const;
  // The youth's indexed positions up to `last`.
  absl::StatusOr<std::vector<uint64_t>> Positions(absl::string_view youth_id, uint64_t last) const;
  // Reads the events at `positions` in chunks and visits each, until `visit` returns false.
  absl::Status ReadEach(
      const std::vector<uint64_t>& positions,
      const std::function<absl::StatusOr<bool>(const store::RecordedEvent&)>& visit) const;
  // The last position recorded at or before `time`; 0 if none.
  absl::StatusOr<uint64_t> PositionAt(absl::Time time) const;
  absl::Time Now() const { return options_.clock ? options_.clock() : absl::Now(); }
  // `position` if the views have not reached it, else 0.
  // `asked_head`, or the head now if 0.
  uint64_t AskedHead(uint64_t asked_head) const {
    return asked_head > 0 ? asked_head : events_->HeadPosition();
  }
  uint64_t Unreached(uint64_t position) const {
    return position > views_->position() ? position : 0;
  }
  // The head `who` is told (security::PublicHead::For), at most the log's published head.
  uint64_t HeadFor(const security::Principal& who) const;

  const store::EventStore* const events_;
  const projections::Projector* const views_;
  security::Sealer* const sealer_;
  const security::PublicHead* const heads_;
  const AuditOptions options_;
};

}  // namespace hotspot::audit

#endif  // HOTSPOT_SERVICES_AUDIT_AUDIT_HANDLER_H_
