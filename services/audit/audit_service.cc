#include "services/audit/audit_service.h"

#include <map>
#include <memory>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "services/queries/personal_data.h"
#include "services/queries/query_service.h"
#include "services/queries/query_util.h"
#include "services/rpc/request_checks.h"
#include "services/security/policy.h"
#include "store/status_macros.h"

namespace hotspot::audit {
namespace {

constexpr size_t kExportBatch = 1000;

const rpc::Method& Method(absl::string_view name) {
  return rpc::Method::Of(v1::AuditService::service_full_name(), name);
}

// `work` (a unary call's query or a stream's opening), run once `request` has passed the read
// side's shared checks (rpc::CheckReadRequest: its ids, dates and times): a malformed one is
// INVALID_ARGUMENT naming the field, quoting a bounded prefix, and reaches neither the policy
// nor a lookup.
template <typename Work>
auto Checked(const google::protobuf::Message& request, Work work) {
  return [&request, work = std::move(work)](const rpc::Caller& caller) mutable
         -> std::invoke_result_t<Work&, const rpc::Caller&> {
    RETURN_IF_ERROR(rpc::CheckReadRequest(request));
    return work(caller);
  };
}

}  // namespace

AuditService::AuditService(const AuditHandler* handler,
                           const security::Authenticator* authenticator, AccessLog* access_log,
                           security::Sealer* sealer, AnswerRecorder answer, rpc::KnownIds known,
                           int workers, rpc::PrincipalLimits* limits,
                           absl::Duration stall_timeout)
    : handler_(handler),
      access_log_(access_log),
      sealer_(sealer),
      answer_(std::move(answer)),
      known_(known),
      runner_(authenticator, access_log, workers, std::move(known), limits,
              queries::WaitsFor(handler->views()), stall_timeout) {}

absl::StatusOr<AccessLog::Areas> AuditService::Readable(const security::Principal& who,
                                                        const std::string& youth_id) const {
  RETURN_IF_ERROR(security::MayReadAccessLog(who));
  if (youth_id.empty()) return security::AccessRecordAreas(who);
  // One youth's records: all of its case's area.
  RETURN_IF_ERROR(queries::CheckId("youth_id", youth_id, "youth", /*required=*/true));
  ASSIGN_OR_RETURN(const std::string area, known_.area_of_youth(youth_id));
  RETURN_IF_ERROR(security::MayReadAccessRecordsOf(who, youth_id, area));
  return AccessLog::Areas(std::nullopt);
}

absl::Status AuditService::ResolvePurposes(
    google::protobuf::RepeatedPtrField<v1::AccessRecord>& records,
    security::Disclosures& shown) const {
  std::map<std::string, bool, std::less<>> has_case;  // looked up once per youth
  for (v1::AccessRecord& record : records) {
    // A record of before refusals' ids were checked may name any text the caller typed, even a
    // well-formed id of no youth: listing it reads no youth's data, and noting it would file the
    // auditor's read (and seal its purpose under a key made for it) under a youth that never was.
    const std::string& youth_id = record.youth_id();
    if (queries::CheckId("youth_id", youth_id, "youth", /*required=*/false).ok() &&
        !youth_id.empty()) {
      auto it = has_case.find(youth_id);
      if (it == has_case.end()) {
        ASSIGN_OR_RETURN(const std::string area, known_.area_of_youth(youth_id));
        it = has_case.emplace(youth_id, !area.empty()).first;
      }
      if (it->second) shown.Shown(youth_id, record.area_id(), /*in_clear=*/false);
    }
    // The auditor sees the log's records in full: the purposes' free texts unsealed. A text
    // sealed once for a call that showed several youths (its key is no youth's) reads as erased
    // once any of them is; shown in clear, it counts as the record's youth's.
    if (!record.has_purpose_text()) continue;
    security::Disclosures unsealed;
    RETURN_IF_ERROR(queries::ResolvePersonalField(record.mutable_purpose_text(), /*allowed=*/true,
                                                  *sealer_, record.area_id(), unsealed));
    if (record.purpose_text().has_text())
      shown.Shown(youth_id, record.area_id(), /*in_clear=*/true);
  }
  return absl::OkStatus();
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* AuditService::GetCaseHistory(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* raw) {
  const rpc::Method& method = Method("GetCaseHistory");
  auto request = std::make_shared<v1::GetCaseHistoryRequest>();  // held until the call is done
  const bool parsed = rpc::ParseByteBuffer(*raw, request.get());
  const v1::GetCaseHistoryRequest& asked = *request;
  // Queued without a thread until the views reach the head as it is now (its own wait for that
  // head then ends at once).
  const uint64_t head = handler_->Head();
  auto open = Checked(asked, [this, &asked, &method, head](const rpc::Caller& caller)
                          -> absl::StatusOr<rpc::Producer<grpc::ByteBuffer>> {
    ASSIGN_OR_RETURN(AuditHandler::History history,
                     handler_->OpenCaseHistory(caller.who, asked, caller.deadline, head));
    return [this, &caller, &method, history = std::move(history)](
               grpc::ByteBuffer& response) mutable -> absl::StatusOr<rpc::Pull> {
      security::Disclosures shown;
      std::string wire;
      ASSIGN_OR_RETURN(const rpc::Pull pulled, history.Next(wire, shown));
      if (pulled != rpc::Pull::kNone) RETURN_IF_ERROR(runner_.Record(caller, method, shown));
      response = rpc::OwningByteBuffer(std::move(wire));
      return pulled;
    };
  });
  return runner_.StreamAfter<grpc::ByteBuffer>(
      context, method, asked, handler_->AwaitedHead(head),
      [parsed, open = std::move(open)](const rpc::Caller& caller) mutable
          -> absl::StatusOr<rpc::Producer<grpc::ByteBuffer>> {
        if (!parsed) {
          return absl::InvalidArgumentError("request: not a hotspot.v1.GetCaseHistoryRequest");
        }
        return open(caller);
      },
      std::move(request));
}

grpc::ServerUnaryReactor* AuditService::GetCaseAsOf(grpc::CallbackServerContext* context,
                                                    const v1::GetCaseAsOfRequest* request,
                                                    v1::GetCaseAsOfResponse* response) {
  const uint64_t head = handler_->Head();
  return runner_.UnaryAfter(
      context, Method("GetCaseAsOf"), *request, response,
      [this, request, head](const rpc::Caller&) -> absl::StatusOr<uint64_t> {
        return handler_->Awaited(*request, head);
      },
      Checked(*request, [this, request, head](const rpc::Caller& caller) {
        return handler_->CaseAsOf(caller.who, *request, caller.deadline, head);
      }));
}

grpc::ServerUnaryReactor* AuditService::ListAccessRecords(
    grpc::CallbackServerContext* context, const v1::ListAccessRecordsRequest* request,
    v1::ListAccessRecordsResponse* response) {
  return runner_.Unary(
      context, Method("ListAccessRecords"), *request, response,
      Checked(*request, [this, request](const rpc::Caller& caller)
                            -> absl::StatusOr<Disclosed<v1::ListAccessRecordsResponse>> {
        ASSIGN_OR_RETURN(const AccessLog::Areas areas, Readable(caller.who, request->youth_id()));
        Disclosed<v1::ListAccessRecordsResponse> out;
        ASSIGN_OR_RETURN(out.answer, access_log_->List(*request, areas));
        RETURN_IF_ERROR(ResolvePurposes(*out.answer.mutable_records(), out.disclosures));
        return out;
      }));
}

grpc::ServerWriteReactor<v1::ExportAccessLogResponse>* AuditService::ExportAccessLog(
    grpc::CallbackServerContext* context, const v1::ExportAccessLogRequest* request) {
  const rpc::Method& method = Method("ExportAccessLog");
  return runner_.Stream<v1::ExportAccessLogResponse>(
      context, method, *request,
      Checked(*request, [this, request, &method](const rpc::Caller& caller)
          -> absl::StatusOr<rpc::Producer<v1::ExportAccessLogResponse>> {
        ASSIGN_OR_RETURN(const AccessLog::Areas areas, Readable(caller.who, request->youth_id()));
        ASSIGN_OR_RETURN(std::unique_ptr<AccessLog::Exporter> exporter,
                         access_log_->StartExport(*request, kExportBatch, areas));
        return [this, &caller, &method, exporter = std::move(exporter)](
                   v1::ExportAccessLogResponse& response) -> absl::StatusOr<rpc::Pull> {
          ASSIGN_OR_RETURN(const rpc::Pull pulled, exporter->Next(response));
          if (pulled == rpc::Pull::kNone) return pulled;
          security::Disclosures shown;
          RETURN_IF_ERROR(ResolvePurposes(*response.mutable_records(), shown));
          RETURN_IF_ERROR(runner_.Record(caller, method, shown));
          return pulled;
        };
      }));
}

grpc::ServerUnaryReactor* AuditService::VerifyLog(grpc::CallbackServerContext* context,
                                                  const v1::VerifyLogRequest* request,
                                                  v1::VerifyLogResponse* response) {
  return runner_.Unary(context, Method("VerifyLog"), *request, response,
                       Checked(*request, [this, request, context](const rpc::Caller& caller) {
                         // Stops once the call has ended (its deadline, the server's maximum
                         // or its client's cancelling): no worker verifies for no one.
                         return handler_->VerifyLog(caller.who, *request, caller.deadline,
                                                    [context] { return context->IsCancelled(); });
                       }));
}

grpc::ServerUnaryReactor* AuditService::ListErasureReviewsDue(
    grpc::CallbackServerContext* context, const v1::ListErasureReviewsDueRequest* request,
    v1::ListErasureReviewsDueResponse* response) {
  const uint64_t head = handler_->Head();
  return runner_.UnaryAfter(
      context, Method("ListErasureReviewsDue"), *request, response,
      [this, head](const rpc::Caller&) -> absl::StatusOr<uint64_t> {
        return handler_->AwaitedHead(head);
      },
      Checked(*request, [this, request, head](const rpc::Caller& caller) {
        return handler_->ErasureReviewsDue(caller.who, *request, caller.deadline, head);
      }));
}

grpc::ServerUnaryReactor* AuditService::ExportSubjectAccess(
    grpc::CallbackServerContext* context, const v1::ExportSubjectAccessRequest* request,
    v1::ExportSubjectAccessResponse* response) {
  const uint64_t head = handler_->Head();
  return runner_.UnaryAfter(
      context, Method("ExportSubjectAccess"), *request, response,
      [this, head](const rpc::Caller&) -> absl::StatusOr<uint64_t> {
        return handler_->AwaitedHead(head);
      },
      Checked(*request, [this, request, head](const rpc::Caller& caller)
                            -> absl::StatusOr<Disclosed<v1::ExportSubjectAccessResponse>> {
        // It holds the youth's access records: for an auditor of the youth's area, as the
        // access log is.
        RETURN_IF_ERROR(security::MayReadAccessLog(caller.who));
        if (caller.purpose->code != v1::PURPOSE_DATA_SUBJECT_REQUEST) {
          return absl::InvalidArgumentError(
              "purpose: an export for the data subject is made for data_subject_request");
        }
        RETURN_IF_ERROR(queries::CheckId("youth_id", request->youth_id(), "youth",
                                         /*required=*/true));
        RETURN_IF_ERROR(Readable(caller.who, request->youth_id()).status());
        // Every access record of the youth, with the purposes' free texts unsealed.
        std::vector<v1::AccessRecord> reads;
        security::Disclosures shown;
        v1::ListAccessRecordsRequest page;
        page.set_youth_id(request->youth_id());
        page.set_page_size(500);
        for (int pages = 0; pages < 10'000; ++pages) {
          ASSIGN_OR_RETURN(v1::ListAccessRecordsResponse records, access_log_->List(page));
          RETURN_IF_ERROR(ResolvePurposes(*records.mutable_records(), shown));
          for (v1::AccessRecord& r : *records.mutable_records()) reads.push_back(std::move(r));
          if (records.next_page_token().empty()) break;
          page.set_page_token(records.next_page_token());
        }
        ASSIGN_OR_RETURN(
            Disclosed<v1::ExportSubjectAccessResponse> out,
            handler_->SubjectAccess(caller.who, *request, caller.deadline, std::move(reads), head));
        out.disclosures.Merge(shown);
        // The answer, with what it withheld, goes into the youth's history.
        v1::AnswerSubjectAccessCommand answer;
        answer.set_request_id(absl::StrCat("subject-access-answer:", request->subject_access_id(),
                                           ":", out.answer.position()));
        answer.set_youth_id(request->youth_id());
        answer.set_subject_access_id(request->subject_access_id());
        *answer.mutable_redactions() = out.answer.redactions();
        answer.set_position(out.answer.position());
        RETURN_IF_ERROR(answer_(caller.who, answer));
        return out;
      }));
}

}  // namespace hotspot::audit
