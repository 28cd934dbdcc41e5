// Writes the seed corpus of the command fuzz target (tests/fuzz/corpus/command/) from the world
// it fuzzes against: for each request type, the first command of that type the scenario sent
// (after the renaming of ids), or, for a type the scenario does not send, a request whose ids
// name the first aggregate of their category. Run after a change to the scenario or to the
// requests (`make fuzz-seeds`); the seeds are inputs of the target: byte 0 the kind, byte 1 the
// caller, then the request.
//
// Usage: fuzz_command_seeds <directory>
#include <cstdio>
#include <fstream>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "hotspot/v1/system_commands.pb.h"
#include "tests/fuzz/command_world.h"

namespace {

using hotspot::fuzz::CommandWorld;
using hotspot::fuzz::RequestKinds;

// The first stream of the world whose name starts with "<category>-".
std::string FirstOf(const CommandWorld& world, absl::string_view category) {
  for (const auto& [stream, events] : world.streams()) {
    if (absl::StartsWith(stream, absl::StrCat(category, "-"))) return stream;
  }
  return absl::StrCat(category, "-f1");
}

// A request of `prototype`'s type with a request id, each top-level "<category>_id" naming the
// first aggregate of its category.
std::string Synthesized(const CommandWorld& world, const google::protobuf::Message& prototype) {
  std::unique_ptr<google::protobuf::Message> m(prototype.New());
  const auto* descriptor = m->GetDescriptor();
  const auto* reflection = m->GetReflection();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const auto* f = descriptor->field(i);
    if (f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_STRING || f->is_repeated()) {
      continue;
    }
    if (f->name() == "request_id") {
      reflection->SetString(m.get(), f, absl::StrCat("seed-", descriptor->name()));
    } else if (absl::EndsWith(f->name(), "agency_id")) {
      reflection->SetString(m.get(), f, FirstOf(world, "agency"));
    } else if (absl::EndsWith(f->name(), "_id")) {
      reflection->SetString(m.get(), f, FirstOf(world, f->name().substr(0, f->name().size() - 3)));
    }
  }
  return m->SerializeAsString();
}

bool Write(const std::string& path, int kind, int caller, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.put(static_cast<char>(kind));
  out.put(static_cast<char>(caller));
  out << bytes;
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <directory>\n", argv[0]);
    return 2;
  }
  absl::StatusOr<std::unique_ptr<CommandWorld>> world = CommandWorld::Build(/*youths=*/6);
  if (!world.ok()) {
    std::fprintf(stderr, "%s\n", world.status().ToString().c_str());
    return 1;
  }
  const int system = static_cast<int>((*world)->callers().size()) - 2;  // callers(): see there
  const int chief = 1;
  std::set<int> written;
  int files = 0;
  for (const hotspot::fuzz::SentCommand& sent : (*world)->sent()) {
    if (!written.insert(sent.kind).second) continue;
    const std::string name = RequestKinds()[sent.kind].prototype->GetDescriptor()->name();
    if (!Write(absl::StrCat(argv[1], "/", name), sent.kind, sent.caller,
               sent.request->SerializeAsString())) {
      return 1;
    }
    ++files;
  }
  const int rpcs =
      hotspot::fuzz::KindIndex(hotspot::v1::MarkCommitmentOverdueCommand::descriptor());
  for (int kind = 0; kind < static_cast<int>(RequestKinds().size()); ++kind) {
    if (written.count(kind) > 0) continue;
    const auto& prototype = *RequestKinds()[kind].prototype;
    if (!Write(absl::StrCat(argv[1], "/", prototype.GetDescriptor()->name()), kind,
               kind >= rpcs ? system : chief, Synthesized(**world, prototype))) {
      return 1;
    }
    ++files;
  }
  std::printf("%d seeds written to %s (%zu of them sent by the scenario)\n", files, argv[1],
              written.size());
  return 0;
}
