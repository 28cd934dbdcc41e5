// QueryHandler: answers queries from the views (services/projections), without gRPC: waits for
// min_position (read-your-writes), checks the caller's area, unseals personal data only for
// those allowed (personal_data.h), and pages lists stably. GetCase flags the case's possible
// duplicates (the duplicate index) to those the policy lets see them. The reads of youths' data
// return their answer with the disclosures it made (every youth shown, and whether in clear), for
// the access log. A call blocks until the views reach its min_position; the gRPC QueryService
// asks Awaited() first and queues the call, holding no thread, until they have (rpc::CallRunner's
// UnaryAfter), then runs it on a worker pool.
//
// Positions. Every answer's `position` is the views' position, at most the head its reader is
// told (security::PublicHead::For): the log's public head, raised by the confidential events of
// the areas whose every change the reader sees (security::MaySeeEveryChangeIn: a coordinator's
// or social caseworker's own areas) and by its own last event, so that it does not date the
// confidential events that reader does not learn of, another area's included. A min_position
// beyond that head is OUT_OF_RANGE at once.
//
// After a start. Every query waits at least for the views to reach `start_head`, the log's head
// when hotspotd started: a query right after a restart (or after the demo was loaded) is not
// answered from views still catching up, which would show a youth's case as missing or a
// commitment as open that the log has long closed. Health says NOT_SERVING meanwhile
// (server/health_monitor.h); a query whose deadline comes first ends DEADLINE_EXCEEDED.
//
// Errors: INVALID_ARGUMENT naming the field; NOT_FOUND for an unknown case; PERMISSION_DENIED
// for an area the caller has no access to; OUT_OF_RANGE naming min_position beyond the head;
// DEADLINE_EXCEEDED if the views do not reach min_position in time; the views' own errors.
//
// Thread-safety: safe for concurrent use.
#ifndef HOTSPOT_SERVICES_QUERIES_QUERY_HANDLER_H_
#define HOTSPOT_SERVICES_QUERIES_QUERY_HANDLER_H_

#include <atomic>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "hotspot/v1/query_service.pb.h"
#include "services/domain/decide.h"
#include "services/projections/projector.h"
#include "services/queries/query_util.h"
#include "services/security/disclosures.h"
#include "services/security/principal.h"
#include "services/security/public_head.h"
#include "services/security/sealer.h"
#include "store/event_store.h"

namespace hotspot::queries {

using security::Disclosed;

class QueryHandler {
 public:
  // Not owned; all must outlive the handler. `clock` says what "today" is for overdue
  // commitments (UTC); default absl::Now. `start_head`: the position every query waits for at
  // least (see "After a start" above); default 0, none.
  QueryHandler(const projections::Projector* views, security::Sealer* sealer,
               const security::PublicHead* heads,
               absl::AnyInvocable<absl::Time() const> clock = nullptr, uint64_t start_head = 0);

  // What a query of `who` with `min_position` waits for before it runs: the position (the larger
  // of min_position and start_head), or 0 if none (the views are there). OUT_OF_RANGE naming
  // min_position (not quoting the head) if it is beyond the head `who` is told
  // (PublicHead::For). Quick: no I/O.
  absl::StatusOr<uint64_t> Awaited(const security::Principal& who, uint64_t min_position) const;

  absl::StatusOr<Disclosed<v1::GetCaseResponse>> GetCase(const security::Principal& who,
                                                         const v1::GetCaseRequest& request,
                                                         absl::Time deadline) const;
  absl::StatusOr<Disclosed<v1::ListCasesResponse>> ListCases(const security::Principal& who,
                                                             const v1::ListCasesRequest& request,
                                                             absl::Time deadline) const;
  absl::StatusOr<Disclosed<v1::ListCommitmentsResponse>> ListCommitments(
      const security::Principal& who, const v1::ListCommitmentsRequest& request,
      absl::Time deadline) const;
  absl::StatusOr<Disclosed<v1::ListEscalationsResponse>> ListEscalations(
      const security::Principal& who, const v1::ListEscalationsRequest& request,
      absl::Time deadline) const;
  absl::StatusOr<Disclosed<v1::ListMeetingsResponse>> ListMeetings(
      const security::Principal& who, const v1::ListMeetingsRequest& request,
      absl::Time deadline) const;
  absl::StatusOr<v1::ListBodiesResponse> ListBodies(const security::Principal& who,
                                                    const v1::ListBodiesRequest& request,
                                                    absl::Time deadline) const;
  absl::StatusOr<v1::GetAreaDashboardResponse> GetAreaDashboard(
      const security::Principal& who, const v1::GetAreaDashboardRequest& request,
      absl::Time deadline) const;
  absl::StatusOr<v1::GetProgrammeResponse> GetProgramme(const security::Principal& who,
                                                        const v1::GetProgrammeRequest& request,
                                                        absl::Time deadline) const;
  absl::StatusOr<v1::ListAgenciesResponse> ListAgencies(const security::Principal& who,
                                                        const v1::ListAgenciesRequest& request,
                                                        absl::Time deadline) const;
  // A frozen report: by id, or the latest for the period. INVALID_ARGUMENT (period_start,
  // period_end) without an id and a valid period; NOT_FOUND if there is none.
  absl::StatusOr<v1::GetReportResponse> GetReport(const security::Principal& who,
                                                  const v1::GetReportRequest& request,
                                                  absl::Time deadline) const;

  // The views it reads.
  const projections::Projector& views() const { return *views_; }
  // How many view rows the lists and the dashboard have parsed so far (for tests: a list reads
  // only the rows of its area, and only as far as its page).
  uint64_t rows_parsed() const { return rows_parsed_.load(std::memory_order_relaxed); }

  // The area's appointed chief (person) as the views hold it now; "" while none is.
  absl::StatusOr<std::string> ChiefOf(absl::string_view area_id) const;

  // The area of `youth_id`'s case as the views hold it now; "" if it has none.
  absl::StatusOr<std::string> AreaOf(absl::string_view youth_id) const {
    return AreaOfCase(*views_, youth_id);
  }

 private:
  // Waits for min_position (Awaited); returns the position `who` is told the views reached.
  absl::StatusOr<uint64_t> Reach(const security::Principal& who, uint64_t min_position,
                                 absl::Time deadline) const;
  absl::StatusOr<std::optional<v1::CaseView>> LoadCase(absl::string_view youth_id) const;
  // Resolves personal data and the date-dependent fields of a case for `who`.
  absl::Status Present(const security::Principal& who, v1::CaseView* view,
                       security::Disclosures& shown) const;
  absl::CivilDay Today() const;
  class CasePolicy;

  const projections::Projector* const views_;
  security::Sealer* const sealer_;
  const security::PublicHead* const heads_;
  absl::AnyInvocable<absl::Time() const> clock_;
  const uint64_t start_head_;
  mutable std::atomic<uint64_t> rows_parsed_{0};
};

// The chief's report's figures (domain::ReportFigures) from the views: the area's dashboard of
// the period, as GetAreaDashboard answers `who` (the same checks, the same errors), once the
// views have caught up with every event committed before the call (the log's head then), so the
// report holds the figures as they stood; DEADLINE_EXCEEDED if they do not within `wait`.
// Thread-safe, as the QueryHandler. Neither is owned; both must outlive this.
class ReportFiguresFromViews final : public domain::ReportFigures {
 public:
  // `wait`: how long to wait for the views. Default: 10 s.
  ReportFiguresFromViews(const QueryHandler* queries, const store::EventStore* events,
                         absl::Duration wait = absl::Seconds(10))
      : queries_(queries), events_(events), wait_(wait) {}
  absl::StatusOr<v1::AreaDashboard> Compile(const security::Principal& who,
                                            absl::string_view area_id, const v1::Date& period_start,
                                            const v1::Date& period_end) override;

 private:
  const QueryHandler* const queries_;
  const store::EventStore* const events_;
  const absl::Duration wait_;
};

}  // namespace hotspot::queries

#endif  // HOTSPOT_SERVICES_QUERIES_QUERY_HANDLER_H_
