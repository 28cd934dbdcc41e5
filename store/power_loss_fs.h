// PowerLossFileSystem: a RocksDB FileSystem for tests that simulates a power loss. It passes
// everything through to the real file system and tracks what was made durable; PowerOff() cuts
// the power (from then on every write and sync fails), and once the stores on it are closed,
// DropUnsyncedData() leaves the files on disk as a power loss would have: what was never synced
// is gone. RocksDB's own fault-injection file system works this way; Debian's librocksdb does not
// ship its test utilities, so this is ours.
//
// What counts as durable:
//   - a file's bytes up to its last Sync/Fsync (RangeSync and Close do not count);
//   - a file's creation, and a rename, once its directory was fsynced (FSDirectory::Fsync)
//     after it; before that, DropUnsyncedData() deletes the created file and undoes the rename
//     (bringing back what the rename replaced);
//   - a deletion at once (conservative for the stores: a deleted file never comes back).
// Files this file system did not write (there before it was made) count as durable.
//
// Thread-safety: every method may be called from any thread (RocksDB's background threads
// included).
//
// Injected I/O errors (issue 15 §2). InjectFaults() makes file writes, syncs and reads fail,
// each with a probability (1: every one, on command; below 1: at random points), or the disk
// full: every file write and sync fails with NoSpace (ENOSPC) while reads, deletions and
// renames go on. ClearFaults() ends them. A failed write writes nothing and a failed sync makes
// nothing durable, so DropUnsyncedData() afterwards drops what only a failed sync covered.
//
// Failure: after PowerOff() every write, sync, creation, rename and deletion answers IOError
// ("power off"), so nothing more is acknowledged as durable; reads still work. DropUnsyncedData()
// returns INTERNAL naming the file it could not restore.
#ifndef HOTSPOT_STORE_POWER_LOSS_FS_H_
#define HOTSPOT_STORE_POWER_LOSS_FS_H_

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "rocksdb/file_system.h"

namespace hotspot::store::testing {

class PowerLossFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  // Over `base`. Default: the real file system.
  explicit PowerLossFileSystem(
      std::shared_ptr<rocksdb::FileSystem> base = rocksdb::FileSystem::Default());
  const char* Name() const override { return "PowerLossFileSystem"; }

  // What InjectFaults() makes fail. Default: nothing.
  struct Faults {
    double write = 0;       // each file write (Append, PositionedAppend, Truncate): IOError
    double sync = 0;        // each file Sync/Fsync/RangeSync and directory Fsync: IOError
    double read = 0;        // each file read (sequential and random access): IOError
    bool no_space = false;  // a full disk: every file write and sync fails with NoSpace
    // Only writes and syncs of files whose name ends with this (".sst": RocksDB's flushes and
    // compactions, not its write-ahead log); reads and directory syncs then never fail.
    // Default: empty, every file and directory.
    std::string only_files_ending;
  };
  // From now on, until ClearFaults(), operations fail as `faults` says; random points drawn from
  // `seed`.
  void InjectFaults(const Faults& faults, uint64_t seed = 0);
  void ClearFaults();
  // How many operations failed by injection over this file system's life, by kind.
  struct Injected {
    uint64_t writes = 0, syncs = 0, reads = 0, no_space = 0;
  };
  Injected injected() const;

  // Cuts the power: from now on every write, sync, creation, rename and deletion fails.
  void PowerOff();
  bool powered() const;

  // After every store on this file system is closed: truncates each file to its last synced
  // size, undoes renames and deletes files created since their directory's last fsync, then
  // powers on again with everything on disk counted as durable. INTERNAL for a file it could
  // not restore.
  absl::Status DropUnsyncedData();

  // How many bytes DropUnsyncedData() dropped, and how many files it deleted or renamed back,
  // over this file system's life (to show that a test's crashes lost something unsynced).
  struct Dropped {
    uint64_t bytes = 0;
    int files_deleted = 0;
    int renames_undone = 0;
  };
  Dropped dropped() const;

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReuseWritableFile(const std::string& name, const std::string& old_name,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewDirectory(const std::string& name, const rocksdb::IOOptions& options,
                                 std::unique_ptr<rocksdb::FSDirectory>* result,
                                 rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus RenameFile(const std::string& src, const std::string& target,
                               const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus LinkFile(const std::string& src, const std::string& target,
                             const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus DeleteFile(const std::string& name, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus Truncate(const std::string& name, size_t size,
                             const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus CreateDir(const std::string& name, const rocksdb::IOOptions& options,
                              rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus CreateDirIfMissing(const std::string& name, const rocksdb::IOOptions& options,
                                       rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewSequentialFile(const std::string& name, const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSSequentialFile>* result,
                                      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewRandomAccessFile(const std::string& name,
                                        const rocksdb::FileOptions& options,
                                        std::unique_ptr<rocksdb::FSRandomAccessFile>* result,
                                        rocksdb::IODebugContext* dbg) override;

 private:
  class File;
  class Directory;
  class SequentialFile;
  class RandomAccessFile;

  enum class Op { kWrite, kSync, kRead };
  // The injected failure of one operation of kind `op`, if it is to fail; OK otherwise.
  rocksdb::IOStatus Inject(Op op, absl::string_view file = "") ABSL_LOCKS_EXCLUDED(mu_);

  // A file written through this file system.
  struct Tracked {
    uint64_t size = 0;    // bytes written
    uint64_t synced = 0;  // bytes made durable
  };
  // A change to a directory's entries not yet made durable by the directory's fsync.
  struct Pending {
    enum class Kind { kCreated, kRenamed } kind;
    std::string name;         // the created file, or the rename's target
    std::string from;         // the rename's source
    bool replaced = false;    // the rename replaced a file of the target's name,
    std::string old_content;  // which held this
  };

  rocksdb::IOStatus Dead() const;
  // Registers `name` as opened for writing (created if `created`), with `size` bytes already.
  void Opened(const std::string& name, bool created, uint64_t size) ABSL_LOCKS_EXCLUDED(mu_);
  void DirectorySynced(const std::string& directory) ABSL_LOCKS_EXCLUDED(mu_);

  mutable absl::Mutex mu_;
  bool powered_ ABSL_GUARDED_BY(mu_) = true;
  std::map<std::string, Tracked> files_ ABSL_GUARDED_BY(mu_);
  // Per directory, in order.
  std::map<std::string, std::vector<Pending>> pending_ ABSL_GUARDED_BY(mu_);
  Dropped dropped_ ABSL_GUARDED_BY(mu_);
  Faults faults_ ABSL_GUARDED_BY(mu_);
  absl::BitGen random_ ABSL_GUARDED_BY(mu_);
  Injected injected_ ABSL_GUARDED_BY(mu_);
};

// The power-cut tests' run: `writers` threads each call `write(thread)` until it returns false
// (its write failed: the power is off); once `cut_after` calls in all returned true (or after
// 60 s), the power is cut and the threads are joined. Returns how many calls returned true.
int WriteUntilPowerCut(PowerLossFileSystem& fs, int writers, int cut_after,
                       const std::function<bool(int thread)>& write);

// A fault for one cycle of a random-fault test (issue 15 §2), drawn from `random`: write errors
// (p 0.5 to 10 %), sync errors (2 to 30 %), read errors (2 to 30 %), a full disk, or all three
// kinds of error at once ("mixed"); its kind's name in `name`.
PowerLossFileSystem::Faults RandomFaults(absl::BitGen& random, std::string* name);

// The random-fault tests' run: injects `faults` into `fs` (random points seeded from `random`),
// then `writers` threads each call `write(thread, n, thread_random)` (its n-th call, 0 first;
// thread_random seeded from `random`), which returns whether that write was acknowledged, until
// 3 calls in all failed or `want_successes` were acknowledged; joins them and clears the faults.
// How many calls failed.
int WriteUnderFaults(
    PowerLossFileSystem& fs, const PowerLossFileSystem::Faults& faults, absl::BitGen& random,
    int writers, int want_successes,
    const std::function<bool(int thread, uint64_t n, absl::BitGen& random)>& write);

// "injected N write, N sync, N read, N no-space errors": for the tests' figures.
std::string DescribeInjected(const PowerLossFileSystem::Injected& injected);

// The power-cut test programs' command line after gtest's flags: [--cycles=N], N >= 1, into
// `cycles`. False, with a usage line on stderr, for anything else.
bool ParseCycles(int argc, char** argv, int* cycles);

}  // namespace hotspot::store::testing

#endif  // HOTSPOT_STORE_POWER_LOSS_FS_H_
