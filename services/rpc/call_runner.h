// CallRunner: how the read side's gRPC services run a call. It authenticates the caller, reads
// the purpose (required where the method's proto says PERSONAL_DATA_ACCESS_ALWAYS), runs the
// work off the RPC threads (a read may wait for the views), first asking whether the caller may
// hold its role (the authenticator's role check), and writes access records before
// the answer is sent: exactly the disclosures the handler made (security::Disclosed), and, for
// a refused attempt (PERMISSION_DENIED) on a method that reads youths' data, a record of the
// refusal naming the request's youth_id and area_id (see RecordRefusal). If a record cannot be
// written, the call fails instead of being answered.
//
// With limits, each call holds one of its principal's call slots (PrincipalLimits) from its
// start until its work ends: beyond the limit it is RESOURCE_EXHAUSTED.
//
// Unary calls run on a worker pool; server-streaming calls on a thread of their own
// (StreamWriter), whose body records each response's disclosures with Record() before sending.
//
// Thread-safety: safe for concurrent use.
#ifndef HOTSPOT_SERVICES_RPC_CALL_RUNNER_H_
#define HOTSPOT_SERVICES_RPC_CALL_RUNNER_H_

#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "services/common/worker_pool.h"
#include "services/rpc/principal_limits.h"
#include "services/rpc/rpc.h"
#include "services/rpc/stream_writer.h"
#include "services/security/disclosures.h"
#include "services/security/identity.h"
#include "services/security/principal.h"
#include "store/status_macros.h"

namespace hotspot::rpc {

// A read's caller, its purpose (nullopt where none was given) and its deadline.
struct Caller {
  security::Principal who;
  std::optional<security::Purpose> purpose;
  absl::Time deadline;
};

namespace internal {
template <typename T>
struct IsDisclosed : std::false_type {};
template <typename T>
struct IsDisclosed<security::Disclosed<T>> : std::true_type {};
}  // namespace internal

// What the log knows of the ids a request names, for a refusal's record (RecordRefusal).
struct KnownIds {
  // The area of a youth's case; "" if it has none.
  std::function<absl::StatusOr<std::string>(absl::string_view youth_id)> area_of_youth;
  // True if the area was established.
  std::function<absl::StatusOr<bool>(absl::string_view area_id)> area_exists;
};

// Records, through `recorder`, a refused attempt by `who` through `call` on the youth and area
// that `request` names at its top level (its youth_id and area_id, where it has them).
// `youth_id`, if given, names the youth in place of the request's own youth_id. A caller may type
// anything there (a name, a CPR number), so an id is kept only if it names what exists: the
// youth only if it has a case (`known.area_of_youth`), and then with its case's area, whatever
// area the request names; else the area only if it was established (`known.area_exists`).
// Without the lookup, the id is not kept. The recording's error if it fails (the caller must
// then answer with that, not the refusal), or a lookup's.
absl::Status RecordRefusal(security::AccessRecorder& recorder, const security::Principal& who,
                           absl::string_view call, const security::Purpose& purpose,
                           const google::protobuf::Message& request, absl::string_view youth_id,
                           const KnownIds& known);

class CallRunner {
 public:
  // Not owned; both must outlive the runner. `workers` threads run unary calls. A null
  // `recorder` records nothing (a benchmark's baseline only). `known` decides which ids a
  // refusal's record keeps (RecordRefusal). `limits` (not owned; null: none) bounds each
  // principal's calls in flight.
  CallRunner(const security::Authenticator* authenticator, security::AccessRecorder* recorder,
             int workers, KnownIds known, PrincipalLimits* limits = nullptr)
      : authenticator_(authenticator),
        recorder_(recorder),
        known_(std::move(known)),
        limits_(limits),
        pool_(workers, 10'000) {}

  // A call slot of `who` (PrincipalLimits::TakeCall), held until the call's work ends; nullopt
  // without limits.
  absl::StatusOr<std::optional<PrincipalLimits::Slot>> TakeCall(
      const security::Principal& who) const {
    if (limits_ == nullptr) return std::nullopt;
    absl::StatusOr<PrincipalLimits::Slot> slot = limits_->TakeCall(who);
    if (!slot.ok()) return slot.status();
    return std::optional<PrincipalLimits::Slot>(*std::move(slot));
  }

  // The caller of `context`. A purpose is parsed if given, and required for a method that always
  // reads youths' data (INVALID_ARGUMENT naming "purpose").
  absl::StatusOr<Caller> Identify(const grpc::CallbackServerContext& context,
                                  const Method& method) const {
    absl::StatusOr<security::Principal> who = CallerOf(context, *authenticator_);
    if (!who.ok()) return who.status();
    absl::StatusOr<std::optional<security::Purpose>> purpose = PurposeOf(context);
    if (!purpose.ok()) return purpose.status();
    if (!purpose->has_value() && method.access == v1::PERSONAL_DATA_ACCESS_ALWAYS) {
      return security::ParsePurpose("").status();  // names what is missing
    }
    return Caller{*std::move(who), *std::move(purpose), DeadlineOf(context)};
  }

  // Writes `disclosures` as reads by `caller` through `method`; nothing if there are none or
  // the method reads no youth's data.
  absl::Status Record(const Caller& caller, const Method& method,
                      const security::Disclosures& disclosures) const {
    if (recorder_ == nullptr || disclosures.empty() ||
        method.access == v1::PERSONAL_DATA_ACCESS_UNSPECIFIED) {
      return absl::OkStatus();
    }
    return recorder_->Record(caller.who, method.call, caller.purpose.value_or(security::Purpose{}),
                             disclosures.Records());
  }

  // If `status` is PERMISSION_DENIED and `method` reads youths' data: records the refused attempt
  // (the youth_id and area_id of `request`, where it has them, or the youth's area: see
  // RecordRefusal). Returns `status`, or the recording's error.
  absl::Status Refused(const Caller& caller, const Method& method,
                       const google::protobuf::Message& request, absl::Status status) const;

  // Runs `query(caller)` on the pool into `response`. The query returns
  // StatusOr<security::Disclosed<Response>> for a method that reads youths' data (its
  // disclosures are recorded before the answer is sent), or StatusOr<Response> otherwise.
  template <typename Response, typename Query>
  grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* context, const Method& method,
                                  const google::protobuf::Message& request, Response* response,
                                  Query query) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    absl::StatusOr<Caller> caller = Identify(*context, method);
    absl::StatusOr<std::optional<PrincipalLimits::Slot>> slot =
        caller.ok() ? TakeCall(caller->who) : caller.status();
    if (!slot.ok()) {
      reactor->Finish(ToGrpcStatus(slot.status()));
      return reactor;
    }
    const bool queued = pool_.Submit(
        [this, reactor, response, query, &method, &request, caller = *std::move(caller),
         slot = *std::move(slot)]() mutable {
          const absl::Status status = [&]() -> absl::Status {
            absl::Status status = authenticator_->Admit(caller.who);
            if (!status.ok()) return Refused(caller, method, request, std::move(status));
            auto result = query(caller);
            if (!result.ok()) return Refused(caller, method, request, result.status());
            if constexpr (internal::IsDisclosed<std::decay_t<decltype(*result)>>::value) {
              RETURN_IF_ERROR(Record(caller, method, result->disclosures));
              *response = std::move(result->answer);
            } else {
              *response = *std::move(result);
            }
            return absl::OkStatus();
          }();
          // Free before the answer: a caller that has it may call again at once.
          slot.reset();
          reactor->Finish(ToGrpcStatus(status));
        });
    if (!queued) {
      reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                   "the server has too many queries waiting; retry with backoff"));
    }
    return reactor;
  }

  // Runs `body(caller, out)` on a thread of its own, sending through `out` (see StreamWriter
  // for `on_cancel` and `on_done`). The body records what it discloses with Record(); a
  // PERMISSION_DENIED it returns is recorded as a refusal.
  template <typename Response>
  grpc::ServerWriteReactor<Response>* Stream(
      grpc::CallbackServerContext* context, const Method& method,
      const google::protobuf::Message& request,
      absl::AnyInvocable<absl::Status(const Caller&, StreamWriter<Response>&) &&> body,
      std::function<void()> on_cancel = nullptr, std::function<void()> on_done = nullptr) {
    absl::StatusOr<Caller> caller = Identify(*context, method);
    return new StreamWriter<Response>(
        [this, &method, &request, caller = std::move(caller),
         body = std::move(body)](StreamWriter<Response>& out) mutable -> absl::Status {
          if (!caller.ok()) return caller.status();
          absl::StatusOr<std::optional<PrincipalLimits::Slot>> slot = TakeCall(caller->who);
          if (!slot.ok()) return slot.status();
          absl::Status role = authenticator_->Admit(caller->who);
          if (!role.ok()) return Refused(*caller, method, request, std::move(role));
          return Refused(*caller, method, request, std::move(body)(*caller, out));
        },
        std::move(on_cancel), std::move(on_done));
  }

  // The call's deadline, capped: a read without one waits at most 30 s for the views.
  static absl::Time DeadlineOf(const grpc::CallbackServerContext& context) {
    return std::min(absl::FromChrono(context.deadline()), absl::Now() + absl::Seconds(30));
  }

 private:
  const security::Authenticator* const authenticator_;
  security::AccessRecorder* const recorder_;
  const KnownIds known_;
  PrincipalLimits* const limits_;
  common::WorkerPool pool_;
};

}  // namespace hotspot::rpc

#endif  // HOTSPOT_SERVICES_RPC_CALL_RUNNER_H_
