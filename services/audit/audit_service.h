// AuditService: hotspot.v1.AuditService over gRPC's callback API, on the AuditHandler and the
// AccessLog. Histories, as-of reads and the auditors' reads of the access log need the "purpose"
// metadata and are recorded in the access log before anything is sent (a history per batch:
// the youth and whether its data came out in clear); the access log itself is for auditors,
// who see the purposes' free texts unsealed (or erased). An auditor whose token lists areas reads
// the records of those areas only (security::MayReadAccessRecordsOf, AccessRecordAreas), read
// through the access log's area indexes; a
// youth with no case and another area's are refused to it in the same words.
//
// The reads of the views (GetCaseAsOf, ListErasureReviewsDue, ExportSubjectAccess, and
// GetCaseHistory's stream) are queued without a thread until the views reach what they read
// (AuditHandler::Awaited, rpc::CallRunner's UnaryAfter and StreamAfter), so that calls waiting
// while the views catch up hold none of the `workers`.
//
// The streams (GetCaseHistory, ExportAccessLog) hold no thread each: they are pull reactors
// (rpc::PullWriter) whose steps (the next batch read, unsealed and recorded, then its write) run
// on the same `workers`, one step or one write in flight per call; a stream waiting for its
// client to take a response holds no thread. Close() ends them at the server's shutdown; a
// client that takes no response for `stall_timeout` (--stream_stall_timeout_s) has its stream
// ended RESOURCE_EXHAUSTED (rpc::ReaderStalled), its call slot freed.
//
// Every request, unary or streaming, first passes the read side's shared checks
// (rpc::CheckReadRequest, as queries and subscriptions do): a malformed id is INVALID_ARGUMENT
// naming the field, quoting a bounded prefix, and a time outside 1900-9999 is refused, before
// any policy or lookup sees them.
//
// Thread-safety: gRPC calls the handlers concurrently; the service holds no mutable state.
#ifndef HOTSPOT_SERVICES_AUDIT_AUDIT_SERVICE_H_
#define HOTSPOT_SERVICES_AUDIT_AUDIT_SERVICE_H_

#include "hotspot/v1/audit_service.grpc.pb.h"
#include "hotspot/v1/command_service.pb.h"
#include "services/audit/access_log.h"
#include "services/audit/audit_handler.h"
#include "services/rpc/call_runner.h"

namespace hotspot::audit {

// GetCaseHistory is a raw method: its batches go out as the bytes AuditHandler::History
// assembles around the stored events (issue 16 §1), its request is parsed here.
class AuditService final
    : public v1::AuditService::WithRawCallbackMethod_GetCaseHistory<
          v1::AuditService::CallbackService> {
 public:
  // Not owned; all must outlive the service. `stall_timeout`: see the header comment; default:
  // never.
  // Records an answer to a subject access request (appends SubjectAccessAnswered through the
  // command side), as `who`; blocks until it is written.
  using AnswerRecorder = std::function<absl::Status(const security::Principal& who,
                                                    const v1::AnswerSubjectAccessCommand&)>;

  AuditService(const AuditHandler* handler, const security::Authenticator* authenticator,
               AccessLog* access_log, security::Sealer* sealer, AnswerRecorder answer,
               rpc::KnownIds known, int workers = 2, rpc::PrincipalLimits* limits = nullptr,
               absl::Duration stall_timeout = absl::InfiniteDuration());

  // Ends the open streams UNAVAILABLE (rpc::PullWriters::Close): at the server's shutdown,
  // before gRPC's.
  void Close() { runner_.Close(); }

  // Answers as v1::GetCaseHistoryResponse's wire form; a request that is not a
  // v1::GetCaseHistoryRequest's is INVALID_ARGUMENT.
  grpc::ServerWriteReactor<grpc::ByteBuffer>* GetCaseHistory(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) override;
  grpc::ServerUnaryReactor* GetCaseAsOf(grpc::CallbackServerContext* context,
                                        const v1::GetCaseAsOfRequest* request,
                                        v1::GetCaseAsOfResponse* response) override;
  grpc::ServerUnaryReactor* ListAccessRecords(grpc::CallbackServerContext* context,
                                              const v1::ListAccessRecordsRequest* request,
                                              v1::ListAccessRecordsResponse* response) override;
  grpc::ServerWriteReactor<v1::ExportAccessLogResponse>* ExportAccessLog(
      grpc::CallbackServerContext* context, const v1::ExportAccessLogRequest* request) override;
  grpc::ServerUnaryReactor* VerifyLog(grpc::CallbackServerContext* context,
                                      const v1::VerifyLogRequest* request,
                                      v1::VerifyLogResponse* response) override;
  grpc::ServerUnaryReactor* ListErasureReviewsDue(
      grpc::CallbackServerContext* context, const v1::ListErasureReviewsDueRequest* request,
      v1::ListErasureReviewsDueResponse* response) override;
  grpc::ServerUnaryReactor* ExportSubjectAccess(grpc::CallbackServerContext* context,
                                                const v1::ExportSubjectAccessRequest* request,
                                                v1::ExportSubjectAccessResponse* response) override;

 private:
  // Which of the access log's records `who` may read, for a request naming `youth_id` (its
  // case's area must be one `who` audits: PERMISSION_DENIED otherwise; INVALID_ARGUMENT for a
  // malformed id) or none ("": those of the areas `who` audits, security::AccessRecordAreas).
  absl::StatusOr<AccessLog::Areas> Readable(const security::Principal& who,
                                            const std::string& youth_id) const;
  // Unseals the records' purposes for the auditor; notes in `shown` each youth that has a case.
  absl::Status ResolvePurposes(google::protobuf::RepeatedPtrField<v1::AccessRecord>& records,
                               security::Disclosures& shown) const;

  const AuditHandler* const handler_;
  AccessLog* const access_log_;
  security::Sealer* const sealer_;
  const AnswerRecorder answer_;
  // The areas of youths' cases, from the log itself: exact even while the views catch up.
  const rpc::KnownIds known_;
  rpc::CallRunner runner_;
};

}  // namespace hotspot::audit

#endif  // HOTSPOT_SERVICES_AUDIT_AUDIT_SERVICE_H_
