#include "services/queries/audit_service.h"

#include "absl/strings/str_cat.h"
#include "store/status_macros.h"

namespace hotspot::queries {
namespace {

constexpr size_t kExportBatch = 1000;

absl::Status RequireAuditor(const domain::Principal& who) {
  if (who.role == domain::Role::kAuditor) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat("only an auditor may read the access log; ",
                                                  who.person, " is ", domain::RoleName(who.role)));
}

}  // namespace

AuditService::AuditService(const AuditHandler* handler,
                           const security::Authenticator* authenticator, AccessLog* access_log,
                           int workers)
    : handler_(handler), runner_(authenticator, access_log, workers) {}

grpc::ServerWriteReactor<v1::GetCaseHistoryResponse>* AuditService::GetCaseHistory(
    grpc::CallbackServerContext* context, const v1::GetCaseHistoryRequest* request) {
  return runner_.Stream<v1::GetCaseHistoryResponse>(
      context, /*logged=*/true,
      [this, request](const Caller& caller, StreamWriter<v1::GetCaseHistoryResponse>& out) {
        return handler_->CaseHistory(
            caller.who, *request, caller.deadline,
            [&](const v1::CaseView& view) {
              v1::AccessRecord read;
              read.set_youth_id(view.youth_id());
              read.set_area_id(view.area_id());
              read.set_personal_data_disclosed(true);
              return RecordReads(runner_.access_log(), caller.who,
                                 "hotspot.v1.AuditService/GetCaseHistory", caller.purpose, {read});
            },
            [&](const v1::GetCaseHistoryResponse& response) { return out.Send(response); });
      });
}

grpc::ServerUnaryReactor* AuditService::GetCaseAsOf(grpc::CallbackServerContext* context,
                                                    const v1::GetCaseAsOfRequest* request,
                                                    v1::GetCaseAsOfResponse* response) {
  // Before the case existed the answer shows no youth; the read is recorded all the same.
  v1::AccessRecord fallback;
  fallback.set_youth_id(request->youth_id());
  return runner_.Unary(context, "hotspot.v1.AuditService/GetCaseAsOf", /*logged=*/true, response,
                       [this, request](const Caller& caller) {
                         return handler_->CaseAsOf(caller.who, *request, caller.deadline);
                       },
                       {fallback});
}

grpc::ServerUnaryReactor* AuditService::ListAccessRecords(
    grpc::CallbackServerContext* context, const v1::ListAccessRecordsRequest* request,
    v1::ListAccessRecordsResponse* response) {
  return runner_.Unary(
      context, "hotspot.v1.AuditService/ListAccessRecords", /*logged=*/false, response,
      [this, request](const Caller& caller) -> absl::StatusOr<v1::ListAccessRecordsResponse> {
        RETURN_IF_ERROR(RequireAuditor(caller.who));
        return runner_.access_log().List(*request);
      });
}

grpc::ServerWriteReactor<v1::ExportAccessLogResponse>* AuditService::ExportAccessLog(
    grpc::CallbackServerContext* context, const v1::ExportAccessLogRequest* request) {
  return runner_.Stream<v1::ExportAccessLogResponse>(
      context, /*logged=*/false,
      [this, request](const Caller& caller, StreamWriter<v1::ExportAccessLogResponse>& out) {
        RETURN_IF_ERROR(RequireAuditor(caller.who));
        return runner_.access_log().Export(
            *request, kExportBatch,
            [&](const v1::ExportAccessLogResponse& response) { return out.Send(response); });
      });
}

grpc::ServerUnaryReactor* AuditService::VerifyLog(grpc::CallbackServerContext* context,
                                                  const v1::VerifyLogRequest* request,
                                                  v1::VerifyLogResponse* response) {
  return runner_.Unary(
      context, "hotspot.v1.AuditService/VerifyLog", /*logged=*/false, response,
      [this, request](const Caller& caller) { return handler_->VerifyLog(caller.who, *request); });
}

grpc::ServerUnaryReactor* AuditService::ListErasureReviewsDue(
    grpc::CallbackServerContext* context, const v1::ListErasureReviewsDueRequest* request,
    v1::ListErasureReviewsDueResponse* response) {
  return runner_.Unary(context, "hotspot.v1.AuditService/ListErasureReviewsDue",
                       /*logged=*/false, response, [this, request](const Caller& caller) {
                         return handler_->ErasureReviewsDue(caller.who, *request, caller.deadline);
                       });
}

}  // namespace hotspot::queries
