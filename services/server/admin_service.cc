#include "services/server/admin_service.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "services/projections/case_views.h"
#include "services/projections/view_util.h"
#include "services/rpc/rpc.h"
#include "services/security/policy.h"
#include "store/status_macros.h"

namespace hotspot::server {

using rpc::Authenticate;
using rpc::ToGrpcStatus;

grpc::ServerUnaryReactor* AdminService::Ping(grpc::CallbackServerContext* context,
                                             const hotspot::v1::PingRequest* request,
                                             hotspot::v1::PingResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (request->payload().size() > kMaxPingPayloadBytes) {
    reactor->Finish(
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                     absl::StrCat("payload: ", request->payload().size(), " bytes, at most ",
                                  kMaxPingPayloadBytes, " allowed")));
    return reactor;
  }
  response->set_payload(request->payload());
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

absl::StatusOr<AdminService::Slot> AdminService::RequireAdmin(
    const grpc::CallbackServerContext& context) const {
  absl::StatusOr<security::Principal> who = Authenticate(context, *authenticator_);
  if (!who.ok()) return who.status();
  // Counted before the role is checked, as the read side's calls are (rpc::CallRunner).
  absl::StatusOr<Slot> slot = rpc::TakeCallIfLimited(limits_, *who);
  if (!slot.ok()) return slot.status();
  RETURN_IF_ERROR(security::MayOperate(*who));
  return slot;
}

grpc::ServerUnaryReactor* AdminService::GetProjectionStatus(
    grpc::CallbackServerContext* context, const hotspot::v1::GetProjectionStatusRequest*,
    hotspot::v1::GetProjectionStatusResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<Slot> slot = RequireAdmin(*context);
  if (!slot.ok()) {
    reactor->Finish(ToGrpcStatus(slot.status()));
    return reactor;
  }
  absl::Status error;
  for (const projections::ViewStatus& view : views_->Status(&error)) {
    hotspot::v1::ProjectionStatus* status = response->add_views();
    status->set_view(view.name);
    status->set_checkpoint(view.checkpoint);
    status->set_head(view.head);
    status->set_lag(view.lag());
  }
  for (const projections::RebuildProgress& rebuild : views_->Rebuilds()) {
    hotspot::v1::RebuildStatus* status = response->add_rebuilds();
    status->set_view(rebuild.view);
    status->set_position(rebuild.position);
    status->set_target(rebuild.target);
    status->set_done(rebuild.done);
  }
  if (!error.ok()) response->set_error(error.ToString());
  if (deadlines_ != nullptr) {
    const projections::DeadlineStatus pass = deadlines_->Status();
    hotspot::v1::DeadlineStatus* status = response->mutable_deadlines();
    status->set_passes(pass.passes);
    if (pass.passes > 0) *status->mutable_last_pass_at() = projections::Ts(pass.last_pass_at);
    status->set_appended(pass.appended);
    status->set_consecutive_failed_passes(pass.consecutive_failed_passes);
    status->set_failed_items(pass.failed_items);
    if (!pass.last_error.ok()) {
      status->set_last_error(pass.last_error.ToString());
      *status->mutable_last_error_at() = projections::Ts(pass.last_error_at);
      status->set_last_error_key(pass.last_error_key);
    }
    if (pass.next_pass_at != absl::InfinitePast()) {
      *status->mutable_next_pass_at() = projections::Ts(pass.next_pass_at);
    }
  }
  if (erasures_ != nullptr) {
    const ErasureExecutorStatus executor = erasures_->Status();
    hotspot::v1::ErasureExecutorStatus* status = response->mutable_erasures();
    status->set_erased(executor.erased);
    status->set_position(executor.position);
    if (executor.last_run_at != absl::InfinitePast()) {
      *status->mutable_last_run_at() = projections::Ts(executor.last_run_at);
    }
    if (executor.last_erasure_at != absl::InfinitePast()) {
      *status->mutable_last_erasure_at() = projections::Ts(executor.last_erasure_at);
    }
    status->set_consecutive_failures(executor.consecutive_failures);
    if (!executor.last_error.ok()) {
      status->set_last_error(executor.last_error.ToString());
      *status->mutable_last_error_at() = projections::Ts(executor.last_error_at);
    }
    if (executor.consecutive_failures > 0) {
      *status->mutable_next_retry_at() = projections::Ts(executor.next_retry_at);
    }
  }
  if (log_verifier_ != nullptr) {
    const LogVerificationStatus verified = log_verifier_->Status();
    hotspot::v1::LogVerificationStatus* status = response->mutable_log_verification();
    status->set_runs(verified.runs);
    status->set_failed_runs(verified.failed_runs);
    status->set_running(verified.running);
    status->set_verified_to(verified.verified_to);
    status->set_target(verified.target);
    auto time = [](absl::Time t, google::protobuf::Timestamp* out) {
      if (t != absl::InfinitePast()) *out = projections::Ts(t);
    };
    time(verified.started_at, status->mutable_started_at());
    time(verified.last_completed_at, status->mutable_last_completed_at());
    time(verified.next_run_at, status->mutable_next_run_at());
    if (!verified.last_error.ok()) status->set_last_error(verified.last_error.ToString());
    if (!verified.broken.ok()) status->set_broken(std::string(verified.broken.message()));
    status->set_first_broken_position(verified.first_broken_position.value_or(0));
  }
  slot->reset();  // free before the answer: a caller that has it may call again at once
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::RebuildProjection(
    grpc::CallbackServerContext* context, const hotspot::v1::RebuildProjectionRequest* request,
    hotspot::v1::RebuildProjectionResponse*) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<Slot> slot = RequireAdmin(*context);
  absl::Status status = slot.status();
  if (status.ok() && request->view().empty()) {
    status = absl::InvalidArgumentError(
        absl::StrCat("view: required, e.g. \"", projections::kCasesView, "\""));
  }
  if (status.ok()) status = views_->Rebuild(request->view());  // quick: it only starts it
  if (slot.ok()) slot->reset();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::LoadDemo(grpc::CallbackServerContext* context,
                                                 const hotspot::v1::LoadDemoRequest*,
                                                 hotspot::v1::LoadDemoResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<Slot> slot = RequireAdmin(*context);
  if (!slot.ok()) {
    reactor->Finish(ToGrpcStatus(slot.status()));
    return reactor;
  }
  // Hundreds of commands: not on an RPC thread. The server's shutdown waits for the call to
  // finish, so the stores outlive the thread.
  std::thread([this, reactor, response, slot = *std::move(slot)]() mutable {
    absl::StatusOr<hotspot::v1::LoadDemoResponse> loaded = load_demo_();
    if (loaded.ok()) *response = *std::move(loaded);
    slot.reset();
    reactor->Finish(ToGrpcStatus(loaded.status()));
  }).detach();
  return reactor;
}

grpc::ServerWriteReactor<hotspot::v1::BackupResponse>* AdminService::Backup(
    grpc::CallbackServerContext* context, const hotspot::v1::BackupRequest* request) {
  auto* writer = new rpc::PullWriter<hotspot::v1::BackupResponse>(&pool_, &streams_);
  absl::StatusOr<Slot> slot = RequireAdmin(*context);
  if (!slot.ok()) {
    writer->End(slot.status());
    return writer;
  }
  // The slot is held by the steps, and freed with them (first) before the status is sent.
  struct Steps {
    rpc::Producer<hotspot::v1::BackupResponse> write;
    Slot slot;  // a member after `write`: destroyed before it
  };
  writer->Start([steps = Steps{backup_(request->directory()), *std::move(slot)}](
                    hotspot::v1::BackupResponse& progress) mutable {
    return steps.write(progress);
  });
  return writer;
}

}  // namespace hotspot::server
