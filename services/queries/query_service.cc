#include "services/queries/query_service.h"

#include "services/rpc/request_checks.h"
#include "store/status_macros.h"

namespace hotspot::queries {

rpc::ViewsWaits WaitsFor(const projections::Projector& views) {
  return {[&views](uint64_t position, absl::AnyInvocable<void(absl::Status) &&> reached) {
            return views.OnReached(position, std::move(reached));
          },
          [&views](uint64_t ticket) { return views.Forget(ticket); }};
}

QueryService::QueryService(const QueryHandler* handler,
                           const security::Authenticator* authenticator,
                           security::AccessRecorder* recorder, rpc::KnownIds known,
                           int workers, rpc::PrincipalLimits* limits)
    : handler_(handler),
      runner_(authenticator, recorder, workers, std::move(known), limits,
              WaitsFor(handler->views())) {}

// Every RPC runs its QueryHandler method of the same name; whether it reads youths' data (and
// so needs a purpose and leaves access records) is the method's option in query_service.proto.
// Its ids and dates are checked first (rpc::CheckReadRequest): a malformed one is
// INVALID_ARGUMENT naming the field, and reaches neither the policy nor a lookup. A
// min_position the views have not reached queues the call, without a thread, until they have
// (QueryHandler::Awaited, rpc::CallRunner::UnaryAfter).
#define HOTSPOT_DEFINE_QUERY_RPC(Name)                                                   \
  grpc::ServerUnaryReactor* QueryService::Name(grpc::CallbackServerContext* context,     \
                                               const v1::Name##Request* request,         \
                                               v1::Name##Response* response) {           \
    static const rpc::Method& method =                                                   \
        rpc::Method::Of(v1::QueryService::service_full_name(), #Name);                   \
    return runner_.UnaryAfter(                                                           \
        context, method, *request, response,                                             \
        [this, request](const rpc::Caller& caller) {                                     \
          return handler_->Awaited(caller.who, request->min_position());                 \
        },                                                                               \
        [this, request](const rpc::Caller& caller)                                       \
            -> decltype(handler_->Name(caller.who, *request, caller.deadline)) {         \
          RETURN_IF_ERROR(rpc::CheckReadRequest(*request));                              \
          return handler_->Name(caller.who, *request, caller.deadline);                  \
        });                                                                              \
  }
HOTSPOT_DEFINE_QUERY_RPC(GetCase)
HOTSPOT_DEFINE_QUERY_RPC(ListCases)
HOTSPOT_DEFINE_QUERY_RPC(ListCommitments)
HOTSPOT_DEFINE_QUERY_RPC(ListEscalations)
HOTSPOT_DEFINE_QUERY_RPC(ListMeetings)
HOTSPOT_DEFINE_QUERY_RPC(ListBodies)
HOTSPOT_DEFINE_QUERY_RPC(GetAreaDashboard)
HOTSPOT_DEFINE_QUERY_RPC(GetProgramme)
HOTSPOT_DEFINE_QUERY_RPC(ListAgencies)
HOTSPOT_DEFINE_QUERY_RPC(GetReport)
#undef HOTSPOT_DEFINE_QUERY_RPC

}  // namespace hotspot::queries
