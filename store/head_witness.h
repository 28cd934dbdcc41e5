// HeadWitness: a durable record, outside the write-ahead log, of how far the event log was
// acknowledged, so that opening the log can tell "the last writes were torn by a crash" (nothing
// acknowledged is missing: fine) from "acknowledged events are gone" (refuse, say so).
//
// Why. RocksDB replays its write-ahead log up to the first record it cannot read (point-in-time
// recovery). A torn tail after a power cut is such a record, and so is one flipped byte in the
// middle of the newest WAL file: every record after it is dropped, silently, and the next append
// would reuse positions that were acknowledged for other events (issue 15). Only something kept
// outside that WAL can tell the two apart.
//
// What it holds. The position of an event whose append was acknowledged, and that event's chain
// hash: never ahead of what the log made durable (it is written only after the event was
// published), and checked at open: the log must reach that position, and the event stored there
// must carry that hash.
//
// How current it is. The event store records it from a thread of its own after commits (the
// newest published head, at most every 10 ms, each record synced before the next), and when it
// closes, so that no append waits for it: an acknowledged event is covered within about 10 ms
// and one fsync of its acknowledgement. A power cut within that time leaves those last events to
// the WAL's own checksums (synced data, which a power cut does not take); a loss at rest (the
// case above) is always caught for everything witnessed.
//
// On-disk format. Two files beside the database, HEAD_WITNESS-0 and HEAD_WITNESS-1, written in
// turn (each whole, then synced), so that a write torn by a crash leaves the other one:
//   "HSWITNS1" | fixed64-BE sequence | fixed64-BE position | 32-byte chain hash |
//   first 8 bytes of SHA-256 of everything before
// Open() takes the valid file with the higher sequence. No file (a store created before the
// witness existed, or a copy restored from a backup) witnesses nothing; a file that is present
// but damaged is ignored as well (a torn write), and said so by Read().
//
// Thread-safety: Record() from one thread at a time; Read() before it.
// Failure: Record() returns the file system's error (INTERNAL, RESOURCE_EXHAUSTED for a full
// disk); the witness then keeps its previous record, which is still true, and the next Record()
// writes both files again.
#ifndef HOTSPOT_STORE_HEAD_WITNESS_H_
#define HOTSPOT_STORE_HEAD_WITNESS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace rocksdb {
class Env;
}  // namespace rocksdb

namespace hotspot::store::internal {

class HeadWitness {
 public:
  // What a witness says: the log was acknowledged at least up to `position` (0: nothing
  // witnessed), whose event carries `hash`.
  struct Record {
    uint64_t position = 0;
    std::string hash;
    // Files that were present but could not be read (torn or damaged), for the operator's log.
    int damaged_files = 0;
  };

  // For the store in `directory`, through `env` (nullptr: RocksDB's default), as the store's own
  // files go (so that tests that cut the power or inject faults cover it).
  HeadWitness(rocksdb::Env* env, std::string directory);

  // Reads both files. INTERNAL if one exists but cannot be read at all (an I/O error).
  absl::StatusOr<Record> Read();

  // Writes `position` and `hash` to the older file and syncs it. See "Failure".
  absl::Status Write(uint64_t position, const std::string& hash);

  // The files' names, for messages ("delete them to accept the loss").
  std::string FileName(int which) const;

 private:
  rocksdb::Env* const env_;
  const std::string directory_;
  uint64_t sequence_ = 0;  // of the newest valid file
  int next_ = 0;           // the file the next Write() goes to
};

}  // namespace hotspot::store::internal

#endif  // HOTSPOT_STORE_HEAD_WITNESS_H_
