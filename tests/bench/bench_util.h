// What the benchmark programs share: latency samples, their summary, and how figures print.
#ifndef HOTSPOT_TESTS_BENCH_BENCH_UTIL_H_
#define HOTSPOT_TESTS_BENCH_BENCH_UTIL_H_

#include <errno.h>  // program_invocation_short_name (glibc)

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace hotspot::bench {

// Ends the program with "<program>: <what>" on stderr and exit code 1: a benchmark that cannot
// measure what it says prints no figure.
[[noreturn]] inline void Die(const std::string& what) {
  fprintf(stderr, "%s: %s\n", program_invocation_short_name, what.c_str());
  exit(1);
}

// Latencies in microseconds and the time they were collected over, pooled across rounds.
struct Samples {
  std::vector<uint32_t> latencies_us;
  double seconds = 0;

  void Add(std::vector<uint32_t> more, double elapsed) {
    latencies_us.insert(latencies_us.end(), more.begin(), more.end());
    seconds += elapsed;
  }
};

struct Figures {
  double per_s = 0;
  double p50_us = 0;
  double p99_us = 0;
};

inline Figures Summarize(Samples& s) {
  Figures f;
  std::vector<uint32_t>& all = s.latencies_us;
  if (all.empty() || s.seconds <= 0) return f;
  f.per_s = all.size() / s.seconds;
  auto percentile = [&all](double q) {
    const size_t k = std::min(all.size() - 1, static_cast<size_t>(q * all.size()));
    std::nth_element(all.begin(), all.begin() + k, all.end());
    return static_cast<double>(all[k]);
  };
  f.p50_us = percentile(0.50);
  f.p99_us = percentile(0.99);
  return f;
}

inline uint32_t MicrosSince(absl::Time start) {
  return static_cast<uint32_t>(absl::ToInt64Microseconds(absl::Now() - start));
}

// One measurement: with `json`, one JSON object on a line, e.g.
// {"bench": "ping", "in_flight": 64, "per_s": 41234, "p50_us": 1400, "p99_us": 3100}.
inline void PrintFigures(bool json, const char* bench, const char* load_key, int load,
                         const Figures& f) {
  if (json) {
    printf(
        "{\"bench\": \"%s\", \"%s\": %d, \"per_s\": %.0f, \"p50_us\": %.0f, \"p99_us\": "
        "%.0f}\n",
        bench, load_key, load, f.per_s, f.p50_us, f.p99_us);
  } else {
    printf("%-20s %s=%-3d %10.0f /s   p50 %7.0f us   p99 %7.0f us\n", bench, load_key, load,
           f.per_s, f.p50_us, f.p99_us);
  }
  fflush(stdout);
}

// A measurement against its baseline of the same run, e.g.
// {"bench": "case_history_1000_vs_raw", "p50_ratio": 3.41}.
inline void PrintRatio(bool json, const char* bench, const char* of, double ratio) {
  if (json) {
    printf("{\"bench\": \"%s\", \"%s_ratio\": %.3f}\n", bench, of, ratio);
  } else {
    printf("%-28s %s ratio %.3f\n", bench, of, ratio);
  }
  fflush(stdout);
}

}  // namespace hotspot::bench

#endif  // HOTSPOT_TESTS_BENCH_BENCH_UTIL_H_
