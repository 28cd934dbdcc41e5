#include "services/queries/query_service.h"

namespace hotspot::queries {

QueryService::QueryService(const QueryHandler* handler,
                           const security::Authenticator* authenticator, AccessLog* access_log,
                           int workers)
    : handler_(handler), runner_(authenticator, access_log, workers) {}

// Every RPC runs its QueryHandler method of the same name; `logged`: a read of youths' data.
#define HOTSPOT_DEFINE_QUERY_RPC(Name, logged)                                           \
  grpc::ServerUnaryReactor* QueryService::Name(grpc::CallbackServerContext* context,     \
                                               const v1::Name##Request* request,         \
                                               v1::Name##Response* response) {           \
    return runner_.Unary(context, "hotspot.v1.QueryService/" #Name, logged, response,    \
                         [this, request](const Caller& caller) {                         \
                           return handler_->Name(caller.who, *request, caller.deadline); \
                         });                                                             \
  }
HOTSPOT_DEFINE_QUERY_RPC(GetCase, true)
HOTSPOT_DEFINE_QUERY_RPC(ListCases, true)
HOTSPOT_DEFINE_QUERY_RPC(ListCommitments, true)
HOTSPOT_DEFINE_QUERY_RPC(ListEscalations, true)
HOTSPOT_DEFINE_QUERY_RPC(ListMeetings, true)
HOTSPOT_DEFINE_QUERY_RPC(ListBodies, false)
HOTSPOT_DEFINE_QUERY_RPC(GetAreaDashboard, false)
#undef HOTSPOT_DEFINE_QUERY_RPC

}  // namespace hotspot::queries
