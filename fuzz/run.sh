#!/usr/bin/env bash
# fuzz/run.sh: what `make fuzz` runs. Builds every target (fuzz/build.sh), writes fresh seeds
# (gen_seeds), then runs each target for a bounded time and fails if any of them found a
# crash, a sanitizer report, a broken invariant, a timeout or an out-of-memory.
#
# The corpus each target grows is kept in build-fuzz/corpus/<target>/ and reused by the next
# run; crashing inputs go to build-fuzz/crashes/<target>/, logs to build-fuzz/logs/.
#
# Environment:
#   FUZZ_SECONDS  seconds per target (default 60)
#   FUZZ_TARGETS  which targets (default: all of them)
#   FUZZ_JOBS     targets run at once (default 1; the machine's other users need the rest)
#   FUZZ_BUILD    build directory (default build-fuzz)
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${FUZZ_BUILD:-build-fuzz}
SECS=${FUZZ_SECONDS:-60}
JOBS=${FUZZ_JOBS:-1}
TARGETS=${FUZZ_TARGETS:-"wal_reader block sstable manifest key_codec row_codec sql"}

FUZZ_BUILD=$OUT bash fuzz/build.sh
rm -rf "$OUT/seeds"
"$OUT/gen_seeds" "$OUT/seeds"
mkdir -p "$OUT/logs"

# Largest input libFuzzer may make, per target: WAL files span several 32 KiB blocks, tables
# several data blocks.
max_len() {
  case $1 in
    wal_reader) echo 140000 ;;
    sstable) echo 65536 ;;
    block | manifest) echo 16384 ;;
    *) echo 4096 ;;
  esac
}

run_one() {
  local t=$1
  local corpus=$OUT/corpus/$t crashes=$OUT/crashes/$t log=$OUT/logs/$t.log
  mkdir -p "$corpus" "$crashes"
  local start end rc=0
  start=$(date +%s)
  # -timeout: an input that runs 30 s is a hang; -rss_limit_mb: the default, said aloud.
  # The CPU time (user + system, all threads) goes to $log.cpu.
  local TIMEFORMAT='%U %S'
  { time "$OUT/${t}_fuzzer" -max_total_time="$SECS" -max_len="$(max_len "$t")" -timeout=30 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$crashes/" \
    "$corpus" "$OUT/seeds/$t" >"$log" 2>&1; } 2>"$log.cpu" || rc=$?
  end=$(date +%s)
  local runs execs cpu
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  execs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  cpu=$(awk '{printf "%.0f", $1 + $2}' "$log.cpu" 2>/dev/null || echo "?")
  if ((rc != 0)); then
    echo "FAIL $t after $((end - start)) s (exit $rc): see $log and $crashes/"
    grep -m3 -E "invariant failed|ERROR: |SUMMARY" "$log" | sed 's/^/    /' || true
    return 1
  fi
  echo "ok   $t: ${runs:-?} inputs in $((end - start)) s, ${cpu} CPU s (${execs:-?}/s), corpus $(ls "$corpus" | wc -l) files"
}

failed=0
pids=()
names=()
for t in $TARGETS; do
  [[ -x "$OUT/${t}_fuzzer" ]] || { echo "fuzz/run.sh: no target $t" >&2; exit 2; }
  if ((JOBS <= 1)); then
    run_one "$t" || failed=1
    continue
  fi
  if ((${#pids[@]} >= JOBS)); then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
  fi
  run_one "$t" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || failed=1; done
if ((failed)); then
  echo "fuzz/run.sh: a target failed; reproduce with build-fuzz/<target>_fuzzer <crash file>" >&2
  exit 1
fi
echo "fuzz/run.sh: every target ran ${SECS} s without a finding"
