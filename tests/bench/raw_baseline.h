// The raw baselines of issue 16 §3, served beside hotspotd in the benchmark's process: the event
// log's stored records read straight from RocksDB (a secondary instance of the event store's
// database, under a memory budget of hotspotd's defaults) and streamed as opaque bytes, with no
// decoding, checking, filtering, unsealing or access record. What reading and sending the bytes
// costs on this machine, against which the real History and Subscribe are measured in the
// same run.
//
// Thread-safety: the server serves calls concurrently; Start and the destructor from one thread.
#ifndef HOTSPOT_TESTS_BENCH_RAW_BASELINE_H_
#define HOTSPOT_TESTS_BENCH_RAW_BASELINE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace hotspot::bench {

class RawBaselineServer {
 public:
  // Opens the event store's database in `events_dir` (hotspotd may hold it) as a secondary,
  // its own files in `scratch_dir`, and serves bench.RawBaseline on 127.0.0.1 (a free port).
  static absl::StatusOr<std::unique_ptr<RawBaselineServer>> Start(const std::string& events_dir,
                                                                  const std::string& scratch_dir);
  ~RawBaselineServer();

  // host:port.
  const std::string& address() const;

 private:
  struct Impl;
  explicit RawBaselineServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hotspot::bench

#endif  // HOTSPOT_TESTS_BENCH_RAW_BASELINE_H_
