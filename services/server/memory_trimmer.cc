#include "services/server/memory_trimmer.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace hotspot::server {

MemoryTrimmer::MemoryTrimmer(absl::Duration interval) {
  if (interval <= absl::ZeroDuration()) return;
  thread_ = std::thread([this, interval] {
    while (!stop_.WaitForNotificationWithTimeout(interval)) TrimNow();
  });
}

MemoryTrimmer::~MemoryTrimmer() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

bool MemoryTrimmer::TrimNow() {
#if defined(__GLIBC__)
  return malloc_trim(0) == 1;
#else
  return false;
#endif
}

}  // namespace hotspot::server
