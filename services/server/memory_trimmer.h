// MemoryTrimmer: gives the memory glibc's allocator keeps after it was freed back to the system,
// every so often, so that hotspotd's resident size follows what it uses.
//
// Why. A start on a grown data directory (the views catching up, RocksDB's recovery) briefly
// needs some hundreds of MB more than the server uses afterwards; glibc keeps freed memory in
// its arenas (one per thread that allocated, up to 8 per core) and hands little of it back. The
// soak test (tests/soak) saw resident memory climb over an hour of restarts (452 → 837 MiB at
// the lives' peaks) while the memory in use stayed between 92 and 282 MB. malloc_trim(0) returns
// the free pages of every arena (madvise) and the free top of each heap.
//
// Cost. One malloc_trim walks every arena, holding each one's lock briefly: a few milliseconds
// of allocation stalls per call on a server of a few hundred MB.
//
// Threading: one thread of its own, from construction to destruction; the destructor stops it
// promptly. Without glibc it does nothing.
#ifndef HOTSPOT_SERVICES_SERVER_MEMORY_TRIMMER_H_
#define HOTSPOT_SERVICES_SERVER_MEMORY_TRIMMER_H_

#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace hotspot::server {

class MemoryTrimmer {
 public:
  // Trims every `interval` (a zero or negative interval: never, and no thread).
  explicit MemoryTrimmer(absl::Duration interval);
  ~MemoryTrimmer();
  MemoryTrimmer(const MemoryTrimmer&) = delete;
  MemoryTrimmer& operator=(const MemoryTrimmer&) = delete;

  // Gives freed memory back now. True if some was.
  static bool TrimNow();

 private:
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace hotspot::server

#endif  // HOTSPOT_SERVICES_SERVER_MEMORY_TRIMMER_H_
