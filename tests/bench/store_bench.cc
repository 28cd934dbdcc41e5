// store_bench: durable appends through the event store against raw RocksDB sync puts, measured in
// one run, in the same kind of directory, with the same value size and concurrency.
//
//   store_bench [--json] [--dir=bench-data] [--seconds=3] [--rounds=6] [--threads=1,16,64]
//               [--value_bytes=300] [--sync=true] [--raw=true] [--blocking=true]
//
// rocksdb_sync_put:     N threads, each writing a WriteBatch with one Put of --value_bytes,
//                       sync=true, to a database with RocksDB's default options.
// store_append:         N appends kept in flight through AppendAsync (as an asynchronous server
//                       such as gRPC's callback API drives the store: no thread per append).
// store_append_threads: N threads, each blocking in Append().
// Every append is one event of --value_bytes to a stream of its own, with a client-chosen event
// id (the idempotent path). The disk's speed drifts on shared machines, so each measurement is
// split into --rounds slices that alternate between the variants, and the slices are pooled:
// the ratios compare the variants under the same conditions.
// Figures are printed, never asserted. With --json: one JSON object per line per measurement.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <functional>
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
#include "tests/bench/bench_util.h"

ABSL_FLAG(bool, json, false, "print one JSON object per line per measurement");
ABSL_FLAG(std::string, dir, "bench-data",
          "directory for the databases (emptied first); use a real disk, not tmpfs");
ABSL_FLAG(double, seconds, 3.0, "duration of each measurement, in seconds, over all its rounds");
ABSL_FLAG(int, rounds, 6, "slices each measurement is split into, alternating between variants");
ABSL_FLAG(std::string, threads, "1,16,64", "comma-separated concurrency levels");
ABSL_FLAG(int, value_bytes, 300, "bytes per event or value");
ABSL_FLAG(bool, sync, true, "fsync before acknowledging (off only to find the CPU ceiling)");
ABSL_FLAG(bool, raw, true, "measure raw RocksDB sync puts (the baseline)");
ABSL_FLAG(bool, blocking, true, "also measure the store with one blocking thread per appender");

namespace hotspot::bench {
namespace {

// Runs `op(thread, seq)` on `threads` threads for `duration`; seq starts at `first_seq`.
void MeasureThreads(int threads, absl::Duration duration, uint64_t first_seq,
                    const std::function<void(int, uint64_t)>& op, Samples* out) {
  std::atomic<bool> stop{false};
  std::vector<std::vector<uint32_t>> latencies(threads);
  std::vector<std::thread> workers;
  const absl::Time start = absl::Now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (uint64_t seq = first_seq; !stop.load(std::memory_order_relaxed); ++seq) {
        const absl::Time begin = absl::Now();
        op(t, seq);
        latencies[t].push_back(MicrosSince(begin));
      }
    });
  }
  absl::SleepFor(duration);
  stop = true;
  for (auto& w : workers) w.join();
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
  std::vector<uint32_t> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  out->Add(std::move(all), elapsed);
}

// One event of `value` to a stream of its own, with a client-chosen event id.
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

// Keeps `in_flight` appends going through AppendAsync for `duration`, each completion issuing
// the next.
void MeasureAsync(store::EventStore& es, int in_flight, absl::Duration duration, uint64_t first_seq,
                  const std::string& value, Samples* out) {
  std::atomic<bool> stop{false};
  absl::Mutex mu;
  std::vector<uint32_t> latencies;
  int running = in_flight;
  std::function<void(int, uint64_t)> issue = [&](int slot, uint64_t seq) {
    const absl::Time begin = absl::Now();
    es.AppendAsync(OneAppend(slot, seq, value),
                   [&, slot, seq, begin](absl::StatusOr<store::AppendResult> r) {
                     if (!r.ok()) Die(r.status().ToString());
                     {
                       absl::MutexLock lock(&mu);
                       latencies.push_back(MicrosSince(begin));
                       if (stop.load()) {
                         --running;
                         return;
                       }
                     }
                     issue(slot, seq + 1);
                   });
  };
  const absl::Time start = absl::Now();
  for (int slot = 0; slot < in_flight; ++slot) issue(slot, first_seq);
  absl::SleepFor(duration);
  stop = true;
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(
      +[](int* n) { return *n == 0; }, &running));
  out->Add(std::move(latencies), absl::ToDoubleSeconds(absl::Now() - start));
}

std::unique_ptr<rocksdb::DB> OpenRaw(const std::string& dir) {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  const rocksdb::Status s = rocksdb::DB::Open(options, dir, &raw);
  if (!s.ok()) Die(s.ToString());
  return std::unique_ptr<rocksdb::DB>(raw);
}

std::unique_ptr<store::EventStore> OpenStore(const std::string& dir) {
  store::Options options;
  options.sync = absl::GetFlag(FLAGS_sync);
  absl::StatusOr<std::unique_ptr<store::EventStore>> opened =
      store::EventStore::Open(std::move(options), dir);
  if (!opened.ok()) Die(opened.status().ToString());
  return std::move(*opened);
}

void ReportGroups(const char* what, const store::EventStore& es) {
  const store::StoreStats stats = es.Stats();
  const double syncs = std::max<double>(1, stats.syncs);
  fprintf(stderr,
          "  %s: %llu events, %llu syncs: %.1f events, %.0f us writing and %.0f us syncing per "
          "sync\n",
          what, static_cast<unsigned long long>(stats.events_written),
          static_cast<unsigned long long>(stats.syncs), stats.events_written / syncs,
          stats.write_micros / syncs, stats.sync_micros / syncs);
}

void Print(bool json, const char* bench, int threads, const Figures& f) {
  PrintFigures(json, bench, "threads", threads, f);
}

void PrintRatio(bool json, int threads, const Figures& store, const Figures& raw) {
  if (raw.per_s <= 0) return;
  const double rate = store.per_s / raw.per_s;
  const double p50 = raw.p50_us > 0 ? store.p50_us / raw.p50_us : 0;
  if (json) {
    printf(
        "{\"bench\": \"store_vs_rocksdb\", \"threads\": %d, \"per_s_ratio\": %.2f, "
        "\"p50_ratio\": %.2f}\n",
        threads, rate, p50);
  } else {
    printf("%-20s threads=%-3d store_append/raw: rate %.2fx   p50 %.2fx\n", "ratio", threads, rate,
           p50);
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
  const int rounds = std::max(1, absl::GetFlag(FLAGS_rounds));
  const absl::Duration slice = absl::Seconds(absl::GetFlag(FLAGS_seconds)) / rounds;
  const std::string value(absl::GetFlag(FLAGS_value_bytes), 'v');
  const bool with_raw = absl::GetFlag(FLAGS_raw);
  const bool with_blocking = absl::GetFlag(FLAGS_blocking);
  std::vector<int> concurrency;
  for (absl::string_view part : absl::StrSplit(absl::GetFlag(FLAGS_threads), ',')) {
    int n = 0;
    if (!absl::SimpleAtoi(part, &n) || n < 1) Die("--threads: want positive whole numbers");
    concurrency.push_back(n);
  }

  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  rocksdb::WriteOptions sync;
  sync.sync = absl::GetFlag(FLAGS_sync);
  for (int n : concurrency) {
    const std::string base = absl::StrCat(dir, "/", n);
    std::unique_ptr<rocksdb::DB> raw = with_raw ? OpenRaw(base + "-rocksdb") : nullptr;
    auto async_store = OpenStore(base + "-store-async");
    auto blocking_store = with_blocking ? OpenStore(base + "-store-threads") : nullptr;
    Samples raw_samples, async_samples, blocking_samples;
    for (int round = 0; round < rounds; ++round) {
      const uint64_t first_seq = static_cast<uint64_t>(round) << 32;  // fresh keys every round
      if (raw) {
        MeasureThreads(
            n, slice, first_seq,
            [&](int t, uint64_t seq) {
              rocksdb::WriteBatch batch;
              batch.Put(absl::StrCat("k-", t, "-", seq), value);
              const rocksdb::Status w = raw->Write(sync, &batch);
              if (!w.ok()) Die(w.ToString());
            },
            &raw_samples);
      }
      MeasureAsync(*async_store, n, slice, first_seq, value, &async_samples);
      if (blocking_store) {
        MeasureThreads(
            n, slice, first_seq,
            [&](int t, uint64_t seq) {
              absl::StatusOr<hotspot::store::AppendResult> r =
                  blocking_store->Append(OneAppend(t, seq, value));
              if (!r.ok()) Die(r.status().ToString());
            },
            &blocking_samples);
      }
    }
    Figures raw_figures;
    if (raw) {
      raw_figures = Summarize(raw_samples);
      Print(json, "rocksdb_sync_put", n, raw_figures);
    }
    const Figures async_figures = Summarize(async_samples);
    Print(json, "store_append", n, async_figures);
    ReportGroups("store_append", *async_store);
    if (blocking_store) {
      Print(json, "store_append_threads", n, Summarize(blocking_samples));
      ReportGroups("store_append_threads", *blocking_store);
    }
    PrintRatio(json, n, async_figures, raw_figures);
    raw.reset();
    async_store.reset();
    blocking_store.reset();
    std::filesystem::remove_all(base + "-rocksdb");
    std::filesystem::remove_all(base + "-store-async");
    std::filesystem::remove_all(base + "-store-threads");
  }
  return 0;
}
