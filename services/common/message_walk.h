// ForEachChild: the messages a protobuf message holds, one level down, by reflection. The audit
// side redacts and withholds with it; the restore finds every sealed value of an event with it.
//
// Thread-safety: none beyond the message's own.
#ifndef HOTSPOT_SERVICES_COMMON_MESSAGE_WALK_H_
#define HOTSPOT_SERVICES_COMMON_MESSAGE_WALK_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/message.h"

namespace hotspot::common {

// Calls `visit` with each message held in a set field of `m` and its path from `path`
// ("case_view.outreach": repeated fields without their index).
inline void ForEachChild(google::protobuf::Message* m, const std::string& path,
                         const std::function<void(google::protobuf::Message*, std::string)>& visit) {
  const auto* reflection = m->GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(*m, &fields);
  for (const google::protobuf::FieldDescriptor* f : fields) {
    if (f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    const std::string here = absl::StrCat(path, f->name());
    if (f->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(*m, f); ++i) {
        visit(reflection->MutableRepeatedMessage(m, f, i), here);
      }
    } else {
      visit(reflection->MutableMessage(m, f), here);
    }
  }
}

}  // namespace hotspot::common

#endif  // HOTSPOT_SERVICES_COMMON_MESSAGE_WALK_H_
