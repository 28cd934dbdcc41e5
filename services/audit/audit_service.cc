#include "services/audit/audit_service.h"

#include "absl/strings/str_cat.h"
#include "services/queries/personal_data.h"
#include "store/status_macros.h"

namespace hotspot::audit {
namespace {

constexpr size_t kExportBatch = 1000;

absl::Status RequireAuditor(const security::Principal& who) {
  if (who.role == security::Role::kAuditor) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat("only an auditor may read the access log; ",
                                                  who.person, " is ",
                                                  security::RoleName(who.role)));
}

const rpc::Method& Method(absl::string_view name) {
  return rpc::Method::Of(v1::AuditService::service_full_name(), name);
}

}  // namespace

AuditService::AuditService(const AuditHandler* handler,
                           const security::Authenticator* authenticator, AccessLog* access_log,
                           security::Sealer* sealer, int workers)
    : handler_(handler),
      access_log_(access_log),
      sealer_(sealer),
      runner_(authenticator, access_log, workers) {}

absl::Status AuditService::ResolvePurposes(
    google::protobuf::RepeatedPtrField<v1::AccessRecord>& records,
    security::Disclosures& shown) const {
  for (v1::AccessRecord& record : records) {
    shown.Shown(record.youth_id(), record.area_id(), /*in_clear=*/false);
    // The auditor sees the log's records in full: the purposes' free texts unsealed.
    if (!record.has_purpose_text()) continue;
    RETURN_IF_ERROR(queries::ResolvePersonalField(record.mutable_purpose_text(), /*allowed=*/true,
                                                  *sealer_, record.area_id(), shown));
  }
  return absl::OkStatus();
}

grpc::ServerWriteReactor<v1::GetCaseHistoryResponse>* AuditService::GetCaseHistory(
    grpc::CallbackServerContext* context, const v1::GetCaseHistoryRequest* request) {
  const rpc::Method& method = Method("GetCaseHistory");
  return runner_.Stream<v1::GetCaseHistoryResponse>(
      context, method, *request,
      [this, request, &method](const rpc::Caller& caller,
                               rpc::StreamWriter<v1::GetCaseHistoryResponse>& out) {
        return handler_->CaseHistory(
            caller.who, *request, caller.deadline,
            [&](v1::GetCaseHistoryResponse& response,
                const security::Disclosures& shown) -> absl::StatusOr<bool> {
              RETURN_IF_ERROR(runner_.Record(caller, method, shown));
              return out.Send(response);
            });
      });
}

grpc::ServerUnaryReactor* AuditService::GetCaseAsOf(grpc::CallbackServerContext* context,
                                                    const v1::GetCaseAsOfRequest* request,
                                                    v1::GetCaseAsOfResponse* response) {
  return runner_.Unary(context, Method("GetCaseAsOf"), *request, response,
                       [this, request](const rpc::Caller& caller) {
                         return handler_->CaseAsOf(caller.who, *request, caller.deadline);
                       });
}

grpc::ServerUnaryReactor* AuditService::ListAccessRecords(
    grpc::CallbackServerContext* context, const v1::ListAccessRecordsRequest* request,
    v1::ListAccessRecordsResponse* response) {
  return runner_.Unary(
      context, Method("ListAccessRecords"), *request, response,
      [this, request](
          const rpc::Caller& caller) -> absl::StatusOr<Disclosed<v1::ListAccessRecordsResponse>> {
        RETURN_IF_ERROR(RequireAuditor(caller.who));
        Disclosed<v1::ListAccessRecordsResponse> out;
        ASSIGN_OR_RETURN(out.answer, access_log_->List(*request));
        RETURN_IF_ERROR(ResolvePurposes(*out.answer.mutable_records(), out.disclosures));
        return out;
      });
}

grpc::ServerWriteReactor<v1::ExportAccessLogResponse>* AuditService::ExportAccessLog(
    grpc::CallbackServerContext* context, const v1::ExportAccessLogRequest* request) {
  const rpc::Method& method = Method("ExportAccessLog");
  return runner_.Stream<v1::ExportAccessLogResponse>(
      context, method, *request,
      [this, request, &method](const rpc::Caller& caller,
                               rpc::StreamWriter<v1::ExportAccessLogResponse>& out) {
        RETURN_IF_ERROR(RequireAuditor(caller.who));
        return access_log_->Export(
            *request, kExportBatch,
            [&](v1::ExportAccessLogResponse& response) -> absl::StatusOr<bool> {
              security::Disclosures shown;
              RETURN_IF_ERROR(ResolvePurposes(*response.mutable_records(), shown));
              RETURN_IF_ERROR(runner_.Record(caller, method, shown));
              return out.Send(response);
            });
      });
}

grpc::ServerUnaryReactor* AuditService::VerifyLog(grpc::CallbackServerContext* context,
                                                  const v1::VerifyLogRequest* request,
                                                  v1::VerifyLogResponse* response) {
  return runner_.Unary(context, Method("VerifyLog"), *request, response,
                       [this, request](const rpc::Caller& caller) {
                         return handler_->VerifyLog(caller.who, *request);
                       });
}

grpc::ServerUnaryReactor* AuditService::ListErasureReviewsDue(
    grpc::CallbackServerContext* context, const v1::ListErasureReviewsDueRequest* request,
    v1::ListErasureReviewsDueResponse* response) {
  return runner_.Unary(context, Method("ListErasureReviewsDue"), *request, response,
                       [this, request](const rpc::Caller& caller) {
                         return handler_->ErasureReviewsDue(caller.who, *request, caller.deadline);
                       });
}

}  // namespace hotspot::audit
