// QueryService: hotspot.v1.QueryService over gRPC's callback API. Each RPC authenticates the
// caller and runs the query on a worker pool, then finishes the call. A query whose
// min_position the views have not reached waits for them without a thread (queued with the
// views, rpc::CallRunner::UnaryAfter) until its deadline (DEADLINE_EXCEEDED naming
// min_position); one beyond the head its caller is told is OUT_OF_RANGE at once.
//
// Reads of youths' data (the methods marked so in query_service.proto) need the call metadata
// "purpose" (INVALID_ARGUMENT without it), and their answer's access records (one per youth
// shown, as the handler disclosed them) are in the access log before the answer is sent; if they
// cannot be written, the call fails instead. A refused attempt is recorded too.
//
// Thread-safety: gRPC calls the handlers concurrently; the service holds no mutable state.
#ifndef HOTSPOT_SERVICES_QUERIES_QUERY_SERVICE_H_
#define HOTSPOT_SERVICES_QUERIES_QUERY_SERVICE_H_

#include "hotspot/v1/query_service.grpc.pb.h"
#include "services/queries/query_handler.h"
#include "services/rpc/call_runner.h"
#include "services/security/identity.h"

namespace hotspot::queries {

// How a call waits for `views` without a thread (rpc::CallRunner::UnaryAfter, StreamAfter);
// `views` must outlive what is made with it.
rpc::ViewsWaits WaitsFor(const projections::Projector& views);

class QueryService final : public v1::QueryService::CallbackService {
 public:
  // Not owned; all must outlive the service. `workers` threads run the queries.
  // A null `recorder` records no reads (a benchmark's baseline only). `known`: which ids a
  // refusal's record keeps (rpc::RecordRefusal). `limits` (null: none) bounds each principal's
  // calls in flight.
  QueryService(const QueryHandler* handler, const security::Authenticator* authenticator,
               security::AccessRecorder* recorder, rpc::KnownIds known, int workers = 4,
               rpc::PrincipalLimits* limits = nullptr);

  grpc::ServerUnaryReactor* GetCase(grpc::CallbackServerContext* context,
                                    const v1::GetCaseRequest* request,
                                    v1::GetCaseResponse* response) override;
  grpc::ServerUnaryReactor* ListCases(grpc::CallbackServerContext* context,
                                      const v1::ListCasesRequest* request,
                                      v1::ListCasesResponse* response) override;
  grpc::ServerUnaryReactor* ListCommitments(grpc::CallbackServerContext* context,
                                            const v1::ListCommitmentsRequest* request,
                                            v1::ListCommitmentsResponse* response) override;
  grpc::ServerUnaryReactor* ListEscalations(grpc::CallbackServerContext* context,
                                            const v1::ListEscalationsRequest* request,
                                            v1::ListEscalationsResponse* response) override;
  grpc::ServerUnaryReactor* ListMeetings(grpc::CallbackServerContext* context,
                                         const v1::ListMeetingsRequest* request,
                                         v1::ListMeetingsResponse* response) override;
  grpc::ServerUnaryReactor* ListBodies(grpc::CallbackServerContext* context,
                                       const v1::ListBodiesRequest* request,
                                       v1::ListBodiesResponse* response) override;
  grpc::ServerUnaryReactor* GetAreaDashboard(grpc::CallbackServerContext* context,
                                             const v1::GetAreaDashboardRequest* request,
                                             v1::GetAreaDashboardResponse* response) override;
  grpc::ServerUnaryReactor* GetProgramme(grpc::CallbackServerContext* context,
                                         const v1::GetProgrammeRequest* request,
                                         v1::GetProgrammeResponse* response) override;
  grpc::ServerUnaryReactor* ListAgencies(grpc::CallbackServerContext* context,
                                         const v1::ListAgenciesRequest* request,
                                         v1::ListAgenciesResponse* response) override;
  grpc::ServerUnaryReactor* GetReport(grpc::CallbackServerContext* context,
                                      const v1::GetReportRequest* request,
                                      v1::GetReportResponse* response) override;

 private:
  const QueryHandler* const handler_;
  rpc::CallRunner runner_;
};

}  // namespace hotspot::queries

#endif  // HOTSPOT_SERVICES_QUERIES_QUERY_SERVICE_H_
