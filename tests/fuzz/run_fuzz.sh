#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time from its seed corpus: the test suite's short runs
# (tests fuzz_<target>) and `make fuzz-long`.
#
#   run_fuzz.sh <fuzz binary> <seed corpus dir> <seconds> [<work corpus dir>]
#
# The seeds are only read; the inputs the run finds go to <work corpus dir> (kept, for a long run
# to continue from) or to a scratch directory removed afterwards. A crash, leak, sanitizer report
# or a 10 s hang fails the run; its input is written to <fuzz binary's dir>/artifacts/ (to be
# added to the seed corpus once fixed). A missing binary fails too: build it with `make fuzz-build`.
set -euo pipefail

if [ $# -lt 3 ] || [ $# -gt 4 ]; then
  echo "usage: $0 <fuzz binary> <seed corpus dir> <seconds> [<work corpus dir>]" >&2
  exit 2
fi
binary=$1 seeds=$2 seconds=$3 work=${4:-}
name=$(basename "$binary")

if [ ! -x "$binary" ]; then
  echo "$name: $binary is missing: build the fuzz targets first (make fuzz-build, or" \
       "cmake --preset fuzz && cmake --build --preset fuzz)" >&2
  exit 1
fi
if [ ! -d "$seeds" ] || [ -z "$(ls -A "$seeds")" ]; then
  echo "$name: no seed corpus at $seeds" >&2
  exit 1
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
if [ -z "$work" ]; then work=$scratch/corpus; fi
mkdir -p "$work"
artifacts=$(dirname "$binary")/artifacts
mkdir -p "$artifacts"
log=$scratch/log

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
"$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$artifacts/$name-" "$work" "$seeds" >"$log" 2>&1 || status=$?

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
if [ "$status" -ne 0 ]; then
  echo "$name: FAILED (exit $status) after ${execs:-?} inputs; its output ends:" >&2
  tail -n 80 "$log" >&2
  exit 1
fi
corpus=$(find "$work" -type f | wc -l)
echo "$name: ${execs:-?} inputs in ${seconds} s, no finding ($(find "$seeds" -type f | wc -l)" \
     "seeds, $corpus new inputs kept in this run's corpus)"
grep -E '^(INFO: Seed|#[0-9]+ +(INITED|DONE))' "$log" || true
