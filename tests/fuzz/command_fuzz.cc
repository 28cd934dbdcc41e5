// libFuzzer target: every request type's decode -> validate -> decide path (tests/fuzz/
// command_world.h), against a small Sjaelor scenario held in memory.
//
// Input: byte 0 picks the request type (RequestKinds(), modulo their count), byte 1 the caller
// (CommandWorld::callers(), modulo), the rest is the request in protobuf's binary form, as gRPC
// would hand it to CommandService. A request that does not parse is dropped, as gRPC drops it.
// One that parses runs through the admission, the date and request-id checks and
// domain::Decided(). Then:
//   - a refusal must carry a code the command side answers with (INVALID_ARGUMENT, NOT_FOUND,
//     ALREADY_EXISTS, FAILED_PRECONDITION, PERMISSION_DENIED, ABORTED); any other (INTERNAL,
//     OUT_OF_RANGE, ...) is a finding;
//   - a decision must be one the store takes (CommandWorld::Apply), and is applied; the same
//     request is then decided again over its own events (an evolve of what the fuzzer made), with
//     the same rules.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "absl/status/statusor.h"
#include "tests/fuzz/command_world.h"

namespace {

using hotspot::fuzz::CommandWorld;
using hotspot::fuzz::Overlay;
using hotspot::fuzz::RequestKinds;

const CommandWorld& World() {
  static const CommandWorld* const world = [] {
    absl::StatusOr<std::unique_ptr<CommandWorld>> built = CommandWorld::Build(/*youths=*/6);
    if (!built.ok()) {
      std::fprintf(stderr, "command fuzz: the scenario does not build: %s\n",
                   built.status().ToString().c_str());
      std::abort();
    }
    return built->release();
  }();
  return *world;
}

void Fail(const google::protobuf::Message& request, const absl::Status& status) {
  std::fprintf(stderr, "command fuzz: %s: %s\n", request.GetDescriptor()->name().c_str(),
               status.ToString().c_str());
  std::abort();
}

// A decision applied, or a refusal with an answerable code.
bool Decide(const CommandWorld& world, const hotspot::security::Principal& caller,
            const google::protobuf::Message& request, Overlay& overlay) {
  absl::StatusOr<hotspot::domain::Decision> decision = world.Run(caller, request, overlay);
  if (!decision.ok()) {
    switch (decision.status().code()) {
      case absl::StatusCode::kInvalidArgument:
      case absl::StatusCode::kNotFound:
      case absl::StatusCode::kAlreadyExists:
      case absl::StatusCode::kFailedPrecondition:
      case absl::StatusCode::kPermissionDenied:
      case absl::StatusCode::kAborted:
        return false;
      default:
        Fail(request, decision.status());
    }
  }
  const auto* field = request.GetDescriptor()->FindFieldByName("request_id");
  const absl::Status applied = CommandWorld::Apply(
      request.GetReflection()->GetString(request, field), *std::move(decision), overlay);
  if (!applied.ok()) Fail(request, applied);
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  World();  // built once, before the first input (and outside its time limit)
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const CommandWorld& world = World();
  const auto& kind = RequestKinds()[data[0] % RequestKinds().size()];
  const auto& caller = world.callers()[data[1] % world.callers().size()];
  std::unique_ptr<google::protobuf::Message> request(kind.prototype->New());
  if (!request->ParseFromArray(data + 2, static_cast<int>(size - 2))) return 0;
  Overlay overlay(&world.streams());
  if (Decide(world, caller, *request, overlay)) Decide(world, caller, *request, overlay);
  return 0;
}
