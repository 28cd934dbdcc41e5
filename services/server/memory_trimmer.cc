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

bool MemoryTrimmer::ConfigureAllocator(int arena_max, size_t mmap_threshold_bytes) {
#if defined(__GLIBC__)
  bool ok = true;
  if (arena_max > 0) ok = mallopt(M_ARENA_MAX, arena_max) == 1 && ok;
  if (mmap_threshold_bytes > 0) {
    ok = mmap_threshold_bytes <= (size_t{32} << 20) &&
         mallopt(M_MMAP_THRESHOLD, static_cast<int>(mmap_threshold_bytes)) == 1 && ok;
  }
  return ok;
#else
  return false;
#endif
}

}  // namespace hotspot::server
