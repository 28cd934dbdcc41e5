#include "services/queries/query_service.h"

#include "services/server/rpc.h"

namespace hotspot::queries {
namespace {

// The call's deadline, capped: a query without one waits at most this long for the views.
constexpr absl::Duration kMaxWait = absl::Seconds(30);

absl::Time DeadlineOf(const grpc::CallbackServerContext& context) {
  const absl::Time cap = absl::Now() + kMaxWait;
  const absl::Time deadline = absl::FromChrono(context.deadline());
  return std::min(deadline, cap);
}

}  // namespace

QueryService::QueryService(const QueryHandler* handler,
                           const security::Authenticator* authenticator, int workers)
    : handler_(handler), authenticator_(authenticator), pool_(workers, 10'000) {}

template <typename Response, typename Query>
grpc::ServerUnaryReactor* QueryService::Run(grpc::CallbackServerContext* context,
                                            Response* response, Query query) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<domain::Principal> who = server::Authenticate(*context, *authenticator_);
  if (!who.ok()) {
    reactor->Finish(server::ToGrpcStatus(who.status()));
    return reactor;
  }
  const absl::Time deadline = DeadlineOf(*context);
  const bool queued = pool_.Submit([reactor, response, query, who = *std::move(who), deadline] {
    absl::StatusOr<Response> result = query(who, deadline);
    if (result.ok()) *response = std::move(*result);
    reactor->Finish(server::ToGrpcStatus(result.status()));
  });
  if (!queued) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 "the server has too many queries waiting; retry with backoff"));
  }
  return reactor;
}

// Every RPC runs its QueryHandler method of the same name.
#define HOTSPOT_DEFINE_QUERY_RPC(Name)                                                          \
  grpc::ServerUnaryReactor* QueryService::Name(grpc::CallbackServerContext* context,            \
                                               const v1::Name##Request* request,                \
                                               v1::Name##Response* response) {                  \
    return Run(context, response, [this, request](const domain::Principal& who, absl::Time d) { \
      return handler_->Name(who, *request, d);                                                  \
    });                                                                                         \
  }
HOTSPOT_DEFINE_QUERY_RPC(GetCase)
HOTSPOT_DEFINE_QUERY_RPC(ListCases)
HOTSPOT_DEFINE_QUERY_RPC(ListCommitments)
HOTSPOT_DEFINE_QUERY_RPC(ListEscalations)
HOTSPOT_DEFINE_QUERY_RPC(ListMeetings)
HOTSPOT_DEFINE_QUERY_RPC(ListBodies)
HOTSPOT_DEFINE_QUERY_RPC(GetAreaDashboard)
#undef HOTSPOT_DEFINE_QUERY_RPC

}  // namespace hotspot::queries
