// QueryService: hotspot.v1.QueryService over gRPC's callback API. Each RPC authenticates the
// caller and runs the query on a worker pool (a query may wait for the views to reach
// min_position, which must not hold an RPC thread), then finishes the call.
//
// Thread-safety: gRPC calls the handlers concurrently; the service holds no mutable state.
#ifndef HOTSPOT_SERVICES_QUERIES_QUERY_SERVICE_H_
#define HOTSPOT_SERVICES_QUERIES_QUERY_SERVICE_H_

#include "hotspot/v1/query_service.grpc.pb.h"
#include "services/common/worker_pool.h"
#include "services/queries/query_handler.h"
#include "services/security/identity.h"

namespace hotspot::queries {

class QueryService final : public v1::QueryService::CallbackService {
 public:
  // Not owned; both must outlive the service. `workers` threads run the queries.
  QueryService(const QueryHandler* handler, const security::Authenticator* authenticator,
               int workers = 4);

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

 private:
  // Authenticates, then runs `query(principal, deadline)` on the pool into `response`.
  template <typename Response, typename Query>
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* context, Response* response,
                                Query query);

  const QueryHandler* const handler_;
  const security::Authenticator* const authenticator_;
  common::WorkerPool pool_;
};

}  // namespace hotspot::queries

#endif  // HOTSPOT_SERVICES_QUERIES_QUERY_SERVICE_H_
