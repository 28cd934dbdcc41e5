#include "services/commands/command_service.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "services/observability/trace_context.h"
#include "services/rpc/call_runner.h"
#include "services/rpc/request_checks.h"
#include "services/rpc/rpc.h"

namespace hotspot::commands {

absl::Status CommandService::Refused(const security::Principal& who, const char* call,
                                     const google::protobuf::Message& request,
                                     absl::Status status) const {
  if (!absl::IsPermissionDenied(status) || recorder_ == nullptr) return status;
  // The youth: the request's, or that of the commitment, escalation or erasure it names.
  std::string youth;
  for (absl::string_view category : {"youth", "commitment", "escalation", "erasure"}) {
    const auto* field = request.GetDescriptor()->FindFieldByName(absl::StrCat(category, "_id"));
    if (field == nullptr ||
        field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_STRING ||
        field->is_repeated()) {
      continue;
    }
    const std::string id = request.GetReflection()->GetString(request, field);
    if (category == "youth") {
      youth = id;
    } else if (absl::StartsWith(id, absl::StrCat(category, "-"))) {
      ASSIGN_OR_RETURN(youth, handler_->YouthOf(id));
    }
    if (!youth.empty()) break;
  }
  if (youth.empty()) return status;
  const absl::Status recorded =
      rpc::RecordRefusal(*recorder_, who, call, security::Purpose{}, request, youth, known_);
  return recorded.ok() ? status : recorded;
}

template <typename Request>
grpc::ServerUnaryReactor* CommandService::Run(grpc::CallbackServerContext* context,
                                              const char* call, const Request* request,
                                              v1::CommandResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<security::Principal> principal = rpc::CallerOf(*context, *authenticator_);
  if (!principal.ok()) {
    reactor->Finish(rpc::ToGrpcStatus(principal.status()));
    return reactor;
  }
  // A role the caller may not hold (the authenticator's role check) is a refusal like any other.
  if (absl::Status admitted = authenticator_->Admit(*principal); !admitted.ok()) {
    reactor->Finish(rpc::ToGrpcStatus(Refused(*principal, call, *request, std::move(admitted))));
    return reactor;
  }
  // Dates outside 1900-9999, wherever they stand (the domain checks those it reads itself).
  if (absl::Status dates = rpc::CheckDates(*request); !dates.ok()) {
    reactor->Finish(rpc::ToGrpcStatus(dates));
    return reactor;
  }
  // One of the principal's calls in flight, until the command's completion.
  std::shared_ptr<rpc::PrincipalLimits::Slot> slot;
  if (limits_ != nullptr) {
    absl::StatusOr<rpc::PrincipalLimits::Slot> taken = limits_->TakeCall(*principal);
    if (!taken.ok()) {
      reactor->Finish(rpc::ToGrpcStatus(taken.status()));
      return reactor;
    }
    slot = std::make_shared<rpc::PrincipalLimits::Slot>(*std::move(taken));
  }
  handler_->Execute(*principal, *request,
                    [this, call, reactor, request, response, who = *principal, slot,
                     trace_id = observability::TraceIdOf(*context)](
                        absl::StatusOr<v1::CommandResponse> result) mutable {
                      if (!result.ok()) {
                        LogFailure(*request, who.person, trace_id, result.status());
                        // A refused attempt on a youth's case is recorded before the refusal is
                        // answered.
                        result = Refused(who, call, *request, result.status());
                      }
                      slot.reset();  // free before the answer
                      Finish(reactor, response, std::move(result));
                    });
  return reactor;
}

#define HOTSPOT_DEFINE_COMMAND_RPC(Name)                                               \
  grpc::ServerUnaryReactor* CommandService::Name(grpc::CallbackServerContext* context, \
                                                 const v1::Name##Request* request,     \
                                                 v1::CommandResponse* response) {      \
    return Run(context, "hotspot.v1.CommandService/" #Name, request, response);        \
  }
HOTSPOT_FOR_EACH_COMMAND(HOTSPOT_DEFINE_COMMAND_RPC)
#undef HOTSPOT_DEFINE_COMMAND_RPC

// The server's own failures are logged once, here at the boundary; the caller's mistakes
// (invalid input, rules, permissions) are only answered. Messages name fields and ids, never
// personal data.
void CommandService::LogFailure(const google::protobuf::Message& request, absl::string_view person,
                                absl::string_view trace_id, const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kResourceExhausted:
      break;
    default:
      return;
  }
  const auto* request_id = request.GetDescriptor()->FindFieldByName("request_id");
  LOG(WARNING) << "event=command_failed command=" << request.GetDescriptor()->name()
               << " request_id=" << request.GetReflection()->GetString(request, request_id)
               << " person=" << person << " code=" << absl::StatusCodeToString(status.code())
               << (trace_id.empty() ? "" : " trace_id=") << trace_id << " msg=\""
               << status.message() << "\"";
}

void CommandService::Finish(grpc::ServerUnaryReactor* reactor, v1::CommandResponse* response,
                            absl::StatusOr<v1::CommandResponse> result) {
  if (result.ok()) *response = std::move(*result);
  reactor->Finish(rpc::ToGrpcStatus(result.status()));
}

}  // namespace hotspot::commands
