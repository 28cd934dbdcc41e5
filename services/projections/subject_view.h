// The subject index: for each youth, the positions of every event that concerns them, kept as
// the log is written. The audit's case history reads a youth's events through it, with no scan
// of the log.
//
// An event concerns a youth if it is in the youth's own stream, if its message names the youth
// (a `youth_id` field: a meeting's decision, a commitment made, an escalation raised, an erasure
// requested), or if it is in a stream whose first event named the youth (a commitment's,
// an escalation's or an erasure's later events).
//
// "subjects.v1" rows:
//   youth/<youth_id>/<position, 20 digits>   "" (the positions, in log order)
//   stream/<stream>                          the youth a stream belongs to
#ifndef HOTSPOT_SERVICES_PROJECTIONS_SUBJECT_VIEW_H_
#define HOTSPOT_SERVICES_PROJECTIONS_SUBJECT_VIEW_H_

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/projections/view.h"

namespace hotspot::projections {

inline constexpr char kSubjectsView[] = "subjects.v1";

// The prefix of a youth's index rows, and the position an index row's key ends with (0 if the
// key is not an index row).
std::string SubjectPrefix(absl::string_view youth_id);
uint64_t SubjectPosition(absl::string_view key);

// The youth id an event's own message names ("" if none).
std::string YouthNamedBy(const v1::Event& event);

// The youth an event recorded as `recorded` concerns, by the rule above: its stream's if that is a
// youth's, the one its message names (`named()`, a std::string, asked only when the stream is not
// a youth's), or, for a later event of a stream, the youth its stream's first event named
// (`owner_of(stream)`, a StatusOr<std::string>; "" for none). "" for none; `owner_of`'s error if
// it fails.
template <typename Named, typename OwnerOf>
absl::StatusOr<std::string> YouthConcernedBy(const store::RecordedEvent& recorded, Named&& named,
                                             OwnerOf&& owner_of) {
  if (recorded.category() == "youth") return recorded.stream;
  if (std::string youth = named(); !youth.empty()) return youth;
  if (recorded.stream_version <= 1) return std::string();
  return owner_of(recorded.stream);
}

// The same for `event`, parsed: the youth its message names is YouthNamedBy(event).
template <typename OwnerOf>
absl::StatusOr<std::string> YouthConcerned(const store::RecordedEvent& recorded,
                                           const v1::Event& event, OwnerOf&& owner_of) {
  return YouthConcernedBy(
      recorded, [&event] { return YouthNamedBy(event); }, std::forward<OwnerOf>(owner_of));
}

class SubjectView final : public View {
 public:
  std::string name() const override { return kSubjectsView; }
  absl::Status Apply(const store::RecordedEvent& recorded, const v1::Event& event,
                     Rows& rows) override;
};

}  // namespace hotspot::projections

#endif  // HOTSPOT_SERVICES_PROJECTIONS_SUBJECT_VIEW_H_
