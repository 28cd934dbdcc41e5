// store_bench: durable appends through the event store against raw RocksDB sync puts, measured in
// one run, in the same kind of directory, with the same value size and thread counts.
//
//   store_bench [--json] [--dir=bench-data] [--seconds=3] [--threads=1,16,64] [--value_bytes=300]
//
// store_append:     each append is one event of --value_bytes to a stream of its own, with a
//                   client-chosen event id (the idempotent path), sync on.
// rocksdb_sync_put: each write is a WriteBatch with one Put of --value_bytes, sync=true.
// Figures are printed, never asserted. With --json: one JSON object per line per measurement.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "store/event_store.h"

ABSL_FLAG(bool, json, false, "print one JSON object per line per measurement");
ABSL_FLAG(std::string, dir, "bench-data",
          "directory for the databases (emptied first); use a real disk, not tmpfs");
ABSL_FLAG(double, seconds, 3.0, "duration of each measurement, in seconds");
ABSL_FLAG(std::string, threads, "1,16,64", "comma-separated thread counts");
ABSL_FLAG(int, value_bytes, 300, "bytes per event or value");
ABSL_FLAG(bool, sync, true, "fsync before acknowledging (off only to find the CPU ceiling)");
ABSL_FLAG(bool, raw, true, "measure raw RocksDB sync puts (the baseline)");
ABSL_FLAG(bool, blocking, true, "also measure the store with one blocking thread per appender");

namespace hotspot::bench {
namespace {

struct Figures {
  double per_s = 0;
  double p50_us = 0;
  double p99_us = 0;
};

Figures Summarize(std::vector<uint32_t>& latencies, double elapsed_seconds);

// Runs `op(thread, seq)` on `threads` threads for `duration` and returns the rate and latencies.
template <typename Op>
Figures Measure(int threads, absl::Duration duration, Op op) {
  std::atomic<bool> stop{false};
  std::vector<std::vector<uint32_t>> latencies(threads);
  std::vector<std::thread> workers;
  const absl::Time start = absl::Now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      latencies[t].reserve(1 << 16);
      for (uint64_t seq = 0; !stop.load(std::memory_order_relaxed); ++seq) {
        const absl::Time begin = absl::Now();
        op(t, seq);
        latencies[t].push_back(static_cast<uint32_t>(absl::ToInt64Microseconds(absl::Now() - begin)));
      }
    });
  }
  absl::SleepFor(duration);
  stop = true;
  for (auto& w : workers) w.join();
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
  std::vector<uint32_t> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  return Summarize(all, elapsed);
}

Figures Summarize(std::vector<uint32_t>& all, double elapsed) {
  Figures f;
  if (all.empty()) return f;
  f.per_s = all.size() / elapsed;
  auto percentile = [&all](double q) {
    const size_t k = std::min(all.size() - 1, static_cast<size_t>(q * all.size()));
    std::nth_element(all.begin(), all.begin() + k, all.end());
    return static_cast<double>(all[k]);
  };
  f.p50_us = percentile(0.50);
  f.p99_us = percentile(0.99);
  return f;
}

[[noreturn]] void Die(const std::string& what) {
  fprintf(stderr, "store_bench: %s\n", what.c_str());
  exit(1);
}

Figures RawRocksDb(const std::string& dir, int threads, absl::Duration duration, const std::string& value) {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  const rocksdb::Status s = rocksdb::DB::Open(options, dir, &raw);
  if (!s.ok()) Die(s.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteOptions sync;
  sync.sync = absl::GetFlag(FLAGS_sync);
  Figures f = Measure(threads, duration, [&](int t, uint64_t seq) {
    rocksdb::WriteBatch batch;
    batch.Put(absl::StrCat("k-", t, "-", seq), value);
    const rocksdb::Status w = db->Write(sync, &batch);
    if (!w.ok()) Die(w.ToString());
  });
  db->Close().PermitUncheckedError();
  return f;
}

// One event of `value` to a stream of its own, with a client-chosen event id (the idempotent path).
std::vector<store::StreamAppend> OneAppend(int appender, uint64_t seq, const std::string& value) {
  std::vector<store::StreamAppend> appends(1);
  appends[0].stream = absl::StrCat("bench-", appender, "-", seq);
  appends[0].expected = store::ExpectedVersion::Any();
  store::ProposedEvent& event = appends[0].events.emplace_back();
  event.id = store::EventId::Generate();
  event.type = "bench.Event";
  event.payload = value;
  return appends;
}

std::unique_ptr<store::EventStore> OpenStore(const std::string& dir) {
  store::Options options;
  options.sync = absl::GetFlag(FLAGS_sync);
  absl::StatusOr<std::unique_ptr<store::EventStore>> opened = store::EventStore::Open(std::move(options), dir);
  if (!opened.ok()) Die(opened.status().ToString());
  return std::move(*opened);
}

void ReportGroups(const store::EventStore& es) {
  const store::StoreStats stats = es.Stats();
  const double syncs = std::max<double>(1, stats.syncs);
  fprintf(stderr, "  (%llu events, %llu syncs: %.1f events, %.0f us writing and %.0f us syncing per sync)\n",
          static_cast<unsigned long long>(stats.events_written),
          static_cast<unsigned long long>(stats.syncs), stats.events_written / syncs,
          stats.write_micros / syncs, stats.sync_micros / syncs);
}

// `appenders` threads, each blocking in Append() until its event is durable.
Figures StoreAppendThreads(const std::string& dir, int appenders, absl::Duration duration,
                           const std::string& value) {
  auto es = OpenStore(dir);
  Figures f = Measure(appenders, duration, [&](int t, uint64_t seq) {
    absl::StatusOr<store::AppendResult> r = es->Append(OneAppend(t, seq, value));
    if (!r.ok()) Die(r.status().ToString());
  });
  ReportGroups(*es);
  return f;
}

// `appenders` appends kept in flight through AppendAsync(), each completion issuing the next, as
// an asynchronous server (gRPC's callback API) drives the store: no thread per append.
Figures StoreAppendAsync(const std::string& dir, int appenders, absl::Duration duration,
                         const std::string& value) {
  auto es = OpenStore(dir);
  std::atomic<bool> stop{false};
  absl::Mutex mu;
  std::vector<uint32_t> latencies;
  latencies.reserve(1 << 20);
  int in_flight ABSL_GUARDED_BY(mu) = appenders;
  std::function<void(int, uint64_t)> issue = [&](int slot, uint64_t seq) {
    const absl::Time begin = absl::Now();
    es->AppendAsync(OneAppend(slot, seq, value), [&, slot, seq, begin](absl::StatusOr<store::AppendResult> r) {
      if (!r.ok()) Die(r.status().ToString());
      const auto us = static_cast<uint32_t>(absl::ToInt64Microseconds(absl::Now() - begin));
      {
        absl::MutexLock lock(&mu);
        latencies.push_back(us);
        if (stop.load()) {
          --in_flight;
          return;
        }
      }
      issue(slot, seq + 1);
    });
  };
  const absl::Time start = absl::Now();
  for (int slot = 0; slot < appenders; ++slot) issue(slot, 0);
  absl::SleepFor(duration);
  stop = true;
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(+[](int* n) { return *n == 0; }, &in_flight));
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
  ReportGroups(*es);
  return Summarize(latencies, elapsed);
}

void Print(bool json, const char* bench, int threads, const Figures& f) {
  if (json) {
    printf("{\"bench\": \"%s\", \"threads\": %d, \"per_s\": %.0f, \"p50_us\": %.0f, \"p99_us\": %.0f}\n",
           bench, threads, f.per_s, f.p50_us, f.p99_us);
  } else {
    printf("%-18s threads=%-3d %10.0f /s   p50 %7.0f us   p99 %7.0f us\n", bench, threads, f.per_s,
           f.p50_us, f.p99_us);
  }
  fflush(stdout);
}

}  // namespace
}  // namespace hotspot::bench

int main(int argc, char** argv) {
  using namespace hotspot::bench;
  absl::ParseCommandLine(argc, argv);
  const bool json = absl::GetFlag(FLAGS_json);
  const std::string dir = absl::GetFlag(FLAGS_dir);
  const absl::Duration duration = absl::Seconds(absl::GetFlag(FLAGS_seconds));
  const std::string value(absl::GetFlag(FLAGS_value_bytes), 'v');
  std::vector<int> thread_counts;
  for (absl::string_view part : absl::StrSplit(absl::GetFlag(FLAGS_threads), ',')) {
    int n = 0;
    if (!absl::SimpleAtoi(part, &n) || n < 1) Die("--threads: want positive whole numbers");
    thread_counts.push_back(n);
  }

  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  for (int threads : thread_counts) {
    const std::string raw_dir = absl::StrCat(dir, "/rocksdb-", threads);
    const std::string store_dir = absl::StrCat(dir, "/store-", threads);
    Figures raw;
    if (absl::GetFlag(FLAGS_raw)) {
      raw = RawRocksDb(raw_dir, threads, duration, value);
      Print(json, "rocksdb_sync_put", threads, raw);
    }
    const Figures store = StoreAppendAsync(store_dir, threads, duration, value);
    Print(json, "store_append", threads, store);
    std::filesystem::remove_all(store_dir);
    if (absl::GetFlag(FLAGS_blocking)) {
      const Figures blocking = StoreAppendThreads(store_dir, threads, duration, value);
      Print(json, "store_append_threads", threads, blocking);
    }
    const double rate_ratio = raw.per_s > 0 ? store.per_s / raw.per_s : 0;
    const double p50_ratio = raw.p50_us > 0 ? store.p50_us / raw.p50_us : 0;
    if (json) {
      printf("{\"bench\": \"store_vs_rocksdb\", \"threads\": %d, \"per_s_ratio\": %.2f, "
             "\"p50_ratio\": %.2f}\n", threads, rate_ratio, p50_ratio);
    } else {
      printf("%-18s threads=%-3d store/raw rate %.2fx   p50 %.2fx\n", "ratio", threads, rate_ratio,
             p50_ratio);
    }
    std::filesystem::remove_all(raw_dir);
    std::filesystem::remove_all(store_dir);
  }
  return 0;
}
