// AdminService: probes and operations for operators (hotspot.v1.AdminService).
//
// Ping is open (for probes); the projection operations need an admin's token. Each of those
// holds one of the admin's calls in flight (rpc::PrincipalLimits, as every authenticated call
// does) from its start until its work ends: beyond --max_calls_per_principal it is
// RESOURCE_EXHAUSTED. Ping, having no caller, is not counted.
//
// Backup is a pull reactor (rpc::PullWriter): each part's copy is a step on the service's pool of
// one thread, and a backup whose client does not read holds no thread; Close() ends the open
// ones at the server's shutdown, once the part being copied is done. One whose client takes no
// progress response for `stall_timeout` (--stream_stall_timeout_s) ends RESOURCE_EXHAUSTED
// (rpc::ReaderStalled), freeing the admin's call slot.
//
// Thread-safety: gRPC calls the handlers from its threads concurrently; they share only the
// backups' pool and the set of their streams, both safe for concurrent use.
#ifndef HOTSPOT_SERVICES_SERVER_ADMIN_SERVICE_H_
#define HOTSPOT_SERVICES_SERVER_ADMIN_SERVICE_H_

#include <functional>

#include "hotspot/v1/admin_service.grpc.pb.h"
#include "services/projections/deadline_process.h"
#include "services/projections/projector.h"
#include "services/common/worker_pool.h"
#include "services/rpc/principal_limits.h"
#include "services/rpc/pull_writer.h"
#include "services/security/identity.h"
#include "services/server/erasure_executor.h"
#include "services/server/log_verifier.h"

namespace hotspot::server {

// Ping payloads above this are INVALID_ARGUMENT.
inline constexpr size_t kMaxPingPayloadBytes = 1 << 20;

class AdminService final : public hotspot::v1::AdminService::CallbackService {
 public:
  // Loads the demo area; returns what LoadDemo answers.
  using DemoLoader = std::function<absl::StatusOr<hotspot::v1::LoadDemoResponse>()>;
  // Writes a backup to a directory, one part per step of what it returns (a resumable cursor),
  // each step filling the progress to report.
  using Backuper =
      std::function<rpc::Producer<hotspot::v1::BackupResponse>(const std::string& directory)>;

  // Not owned; both must outlive the service. `deadlines`, `erasures` and `log_verifier` (not
  // owned either) are null when hotspotd runs without the deadline process, or a test without
  // the executor or the verifier.
  // `limits` (not owned; null: none) bounds each principal's calls in flight. `stall_timeout`:
  // see the header comment; default: never.
  AdminService(const security::Authenticator* authenticator, projections::Projector* views,
               const projections::DeadlineProcess* deadlines, const ErasureExecutor* erasures,
               const LogVerifier* log_verifier, DemoLoader load_demo, Backuper backup, rpc::PrincipalLimits* limits = nullptr,
               absl::Duration stall_timeout = absl::InfiniteDuration())
      : authenticator_(authenticator),
        views_(views),
        deadlines_(deadlines),
        erasures_(erasures),
        log_verifier_(log_verifier),
        load_demo_(std::move(load_demo)),
        backup_(std::move(backup)),
        limits_(limits),
        streams_(stall_timeout) {}

  // Ends the open backups' streams UNAVAILABLE at their next part (rpc::PullWriters::Close):
  // at the server's shutdown, before gRPC's.
  void Close() { streams_.Close(); }

  grpc::ServerUnaryReactor* Ping(grpc::CallbackServerContext* context,
                                 const hotspot::v1::PingRequest* request,
                                 hotspot::v1::PingResponse* response) override;
  grpc::ServerUnaryReactor* GetProjectionStatus(
      grpc::CallbackServerContext* context, const hotspot::v1::GetProjectionStatusRequest* request,
      hotspot::v1::GetProjectionStatusResponse* response) override;
  grpc::ServerUnaryReactor* RebuildProjection(
      grpc::CallbackServerContext* context, const hotspot::v1::RebuildProjectionRequest* request,
      hotspot::v1::RebuildProjectionResponse* response) override;
  // Runs on a thread of its own.
  grpc::ServerUnaryReactor* LoadDemo(grpc::CallbackServerContext* context,
                                     const hotspot::v1::LoadDemoRequest* request,
                                     hotspot::v1::LoadDemoResponse* response) override;
  // A pull reactor (rpc::PullWriter) holding no thread of its own: each part's copy (a
  // checkpoint, which takes a while on a large log) is a step on the service's pool of one.
  grpc::ServerWriteReactor<hotspot::v1::BackupResponse>* Backup(
      grpc::CallbackServerContext* context, const hotspot::v1::BackupRequest* request) override;

 private:
  // One of the caller's call slots (none without limits), for an authenticated admin; release
  // it before the answer. UNAUTHENTICATED, RESOURCE_EXHAUSTED (the caller holds all its slots)
  // or PERMISSION_DENIED otherwise.
  using Slot = std::optional<rpc::PrincipalLimits::Slot>;
  absl::StatusOr<Slot> RequireAdmin(const grpc::CallbackServerContext& context) const;

  const security::Authenticator* const authenticator_;
  projections::Projector* const views_;
  const projections::DeadlineProcess* const deadlines_;
  const ErasureExecutor* const erasures_;
  const LogVerifier* const log_verifier_;
  const DemoLoader load_demo_;
  const Backuper backup_;
  rpc::PrincipalLimits* const limits_;
  // Backups' steps, one at a time: copies are disk-bound, and rare.
  common::WorkerPool pool_{1, 100};
  rpc::PullWriters streams_;
};

}  // namespace hotspot::server

#endif  // HOTSPOT_SERVICES_SERVER_ADMIN_SERVICE_H_
