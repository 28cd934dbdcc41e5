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
// Trimming gives back only whole free pages. The soak test's second hour (with trimming and
// RocksDB under a memory budget) still saw the lives' peaks climb with the data (364 → 536 MiB
// over five lives) while glibc held 476 MB and 109 MB were in use: arenas of 56 MB holding 1 MB
// each, their free memory in pieces between long-lived blocks (cache entries allocated during a
// start's or a large query's peak). ConfigureAllocator bounds that at its source: few arenas
// (each peak reuses the same heaps), and a fixed mmap threshold (glibc otherwise raises it to the
// largest block freed, up to 32 MiB, so that large transient buffers of queries and batches end
// up in the heaps instead of being unmapped when freed).
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

  // Sets glibc's allocator, before the process starts its threads: at most `arena_max` arenas
  // (0: glibc's default, 8 per core), and blocks of `mmap_threshold_bytes` or more mapped on
  // their own and unmapped when freed (0: glibc's default, a threshold that rises with the
  // blocks freed; at most 32 MiB). False if a value was refused, or without glibc.
  static bool ConfigureAllocator(int arena_max, size_t mmap_threshold_bytes);

 private:
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace hotspot::server

#endif  // HOTSPOT_SERVICES_SERVER_MEMORY_TRIMMER_H_
