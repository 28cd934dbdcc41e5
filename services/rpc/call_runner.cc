#include "services/rpc/call_runner.h"

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "services/domain/checks.h"
#include "store/status_macros.h"

namespace hotspot::rpc {
namespace {

// The string field `name` of `message`'s top level; "" if it has none.
std::string TopLevelString(const google::protobuf::Message& message, const char* name) {
  const auto* field = message.GetDescriptor()->FindFieldByName(name);
  if (field == nullptr || field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_STRING ||
      field->is_repeated()) {
    return "";
  }
  return message.GetReflection()->GetString(message, field);
}

}  // namespace

absl::Status RecordRefusal(security::AccessRecorder& recorder, const security::Principal& who,
                           absl::string_view call, const security::Purpose& purpose,
                           const google::protobuf::Message& request, absl::string_view youth_id,
                           const KnownIds& known) {
  v1::AccessRecord record;
  // A request's ids may be anything the caller typed (a name, a CPR number): looked up only if
  // they pass the ids' own check, and kept only if they name a case or an area.
  std::string youth(youth_id.empty() ? TopLevelString(request, "youth_id") : youth_id);
  if (!domain::CheckId("youth_id", youth, "youth", /*required=*/false).ok()) youth.clear();
  std::string area = TopLevelString(request, "area_id");
  if (!domain::CheckId("area_id", area, "area", /*required=*/false).ok()) area.clear();
  // A youth's refusal is filed under its case's area, for that area's audit, whatever area the
  // request names. (The answer is the same refusal whether the youth exists or not.)
  std::string youths_area;
  if (!youth.empty() && known.area_of_youth != nullptr) {
    ASSIGN_OR_RETURN(youths_area, known.area_of_youth(youth));
  }
  if (youths_area.empty()) {
    youth.clear();
    bool exists = false;
    if (!area.empty() && known.area_exists != nullptr) {
      ASSIGN_OR_RETURN(exists, known.area_exists(area));
    }
    if (!exists) area.clear();
  } else {
    area = std::move(youths_area);
  }
  record.set_youth_id(std::move(youth));
  record.set_area_id(std::move(area));
  record.set_refused(true);
  return recorder.Record(who, call, purpose, {record});
}

namespace internal {

// What the views' waiter, the deadline's alarm and the call's cancellation share: whichever
// claims the call first ends its wait; the others then do nothing.
struct WaitingReactor::State {
  WaitingReactor* const reactor;
  const ViewsWaits& views;
  absl::Mutex mu;
  bool claimed ABSL_GUARDED_BY(mu) = false;
  uint64_t ticket ABSL_GUARDED_BY(mu) = 0;  // the views' waiter, once registered
  // The server's shutdown ends the wait (CallGuard::Close()), until the call is claimed.
  std::optional<EndsAtClose> waiting ABSL_GUARDED_BY(mu);

  State(WaitingReactor* r, const ViewsWaits& v) : reactor(r), views(v) {}

  bool Claim() {
    absl::MutexLock lock(&mu);
    if (claimed) return false;
    claimed = true;
    waiting.reset();
    return true;
  }
  // Claims the call for a deadline or a cancellation: drops the views' waiter (and with it the
  // work and its call slot), then finishes the call with `status`.
  void End(const grpc::Status& status) {
    if (!Claim()) return;
    uint64_t registered;
    {
      absl::MutexLock lock(&mu);
      registered = ticket;
    }
    if (registered != 0) views.forget(registered);
    reactor->Finish(status);
  }
};

WaitingReactor::~WaitingReactor() = default;  // alarm_'s destructor cancels it if still set

void WaitingReactor::Wait(grpc_call* call, const ViewsWaits& views, uint64_t position,
                          absl::Time deadline,
                          absl::AnyInvocable<void() &&> work,
                          absl::AnyInvocable<void(absl::AnyInvocable<void() &&>) &&> submit) {
  // The reactor is not yet returned to gRPC, so the call cannot end (nor this be deleted)
  // before this returns, whoever claims it meanwhile.
  state_ = std::make_shared<State>(this, views);
  {
    absl::MutexLock lock(&state_->mu);
    state_->waiting.emplace(call, [weak = std::weak_ptr<State>(state_)] {
      if (std::shared_ptr<State> state = weak.lock()) {
        state->End(grpc::Status(grpc::StatusCode::UNAVAILABLE, CallGuard::kShuttingDown));
      }
    });
  }
  const uint64_t ticket =
      views.on_reached(position, [state = state_, work = std::move(work),
                                  submit = std::move(submit)](absl::Status reached) mutable {
        if (!state->Claim()) return;
        if (reached.ok()) {
          std::move(submit)(std::move(work));
          return;
        }
        work = nullptr;  // its slot is free before the answer
        state->reactor->Finish(ToGrpcStatus(reached));
      });
  {
    absl::MutexLock lock(&state_->mu);
    state_->ticket = ticket;
  }
  // 0: the views were there already (or had stopped), and the call is claimed.
  if (ticket == 0 || deadline == absl::InfiniteFuture()) return;
  alarm_ = std::make_unique<grpc::Alarm>();
  alarm_->Set(absl::ToChronoTime(deadline), [state = state_, position](bool fired) {
    if (!fired) return;  // cancelled: the call ended first
    state->End(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                            absl::StrCat("min_position: the views did not reach ", position,
                                         " (the position asked, or the log's head when hotspotd "
                                         "started) within the call's deadline; retry later")));
  });
}

void WaitingReactor::OnCancel() {
  if (state_ != nullptr) {
    state_->End(grpc::Status(grpc::StatusCode::CANCELLED, "the call was cancelled"));
  }
}

}  // namespace internal

absl::Status CallRunner::Refused(const Caller& caller, const Method& method,
                                 const google::protobuf::Message& request,
                                 absl::Status status) const {
  if (!absl::IsPermissionDenied(status) || recorder_ == nullptr ||
      method.access == v1::PERSONAL_DATA_ACCESS_UNSPECIFIED) {
    return status;
  }
  const absl::Status recorded =
      RecordRefusal(*recorder_, caller.who, method.call,
                    caller.purpose.value_or(security::Purpose{}), request, "", known_);
  return recorded.ok() ? status : recorded;
}

}  // namespace hotspot::rpc
