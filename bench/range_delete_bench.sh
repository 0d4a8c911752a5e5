#!/usr/bin/env bash
# range_delete_bench: the time of a DELETE of a key range and of a full scan
# right after it, through the sqlite3 shell (.timer), for one or more builds
# of the extension, runs interleaved.
#
#   bash bench/range_delete_bench.sh [-n rows] [-d deleted] [-r runs] a/strata.so [b/strata.so ...]
#
# Each run, in a fresh directory under ${TMPDIR:-/tmp}: a table
# t(k INTEGER PRIMARY KEY, v BLOB) gets rows 1..n with 100-byte values in one
# transaction (untimed; into an empty table it is a bulk load, straight into
# table files), then is timed:
#   delete  DELETE FROM t WHERE k >= n/2 - d/2 AND k < n/2 + d/2
#   scan    SELECT count(*), sum(length(v)) FROM t
#   scan2   the same again
# Prints each run's wall-clock and CPU seconds (user + sys, all threads) and what strata_stats says after them
# (range_deletes, memtable_entries, wal_bytes_written: the bulk load writes no
# WAL, so these are the DELETE's), and per build the median of each.
# Defaults: n = 1000000, d = 100000, runs = 5.
set -euo pipefail
rows=1000000
deleted=100000
runs=5
while getopts "n:d:r:" opt; do
  case $opt in
    n) rows=$OPTARG ;;
    d) deleted=$OPTARG ;;
    r) runs=$OPTARG ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[[ $# -ge 1 ]] || { echo "usage: $0 [-n rows] [-d deleted] [-r runs] strata.so ..." >&2; exit 2; }
lo=$((rows / 2 - deleted / 2))
hi=$((lo + deleted))

declare -A times  # "<build>:<step>" -> space-separated seconds
run_one() {
  local so=$1 dir
  dir=$(mktemp -d "${TMPDIR:-/tmp}/strata-rdbench-XXXXXX")
  local out
  out=$(cd "$dir" && sqlite3 bench.db <<EOF
.load ${so%.so}
CREATE VIRTUAL TABLE t USING strata(k INTEGER PRIMARY KEY, v BLOB);
INSERT INTO t SELECT value, randomblob(100) FROM generate_series(1, $rows);
.timer on
DELETE FROM t WHERE k >= $lo AND k < $hi;
SELECT count(*), sum(length(v)) FROM t;
SELECT count(*), sum(length(v)) FROM t;
.timer off
SELECT 'stats', json_extract(strata_stats('t'), '\$.range_deletes'),
  json_extract(strata_stats('t'), '\$.memtable_entries'),
  json_extract(strata_stats('t'), '\$.wal_bytes_written');
EOF
  )
  rm -rf "$dir"
  # "Run Time: real R user U sys S" per timed statement: wall-clock and CPU (user + sys).
  local real cpu
  real=$(grep '^Run Time' <<<"$out" | awk '{print $4}' | tr '\n' ' ')
  cpu=$(grep '^Run Time' <<<"$out" | awk '{print $6 + $8}' | tr '\n' ' ')
  read -r d s1 s2 <<<"$real"
  read -r cd cs1 cs2 <<<"$cpu"
  local expect=$((rows - deleted))
  grep -q "^$expect|" <<<"$out" || { echo "CHECK FAILED: $so: $out" >&2; exit 1; }
  IFS='|' read -r _ rd me wal <<<"$(grep '^stats|' <<<"$out")"
  printf '%s\n  real: delete %6.3f  scan %6.3f  scan2 %6.3f   cpu: delete %6.3f  scan %6.3f  scan2 %6.3f\n' \
    "$so" "$d" "$s1" "$s2" "$cd" "$cs1" "$cs2"
  printf '  range_deletes %s  memtable_entries %s  wal_bytes_written %s\n' "${rd:-n/a}" "$me" "$wal"
  times["$so:delete"]+="$d "
  times["$so:scan"]+="$s1 "
  times["$so:scan2"]+="$s2 "
  times["$so:cdelete"]+="$cd "
  times["$so:cscan"]+="$cs1 "
  times["$so:cscan2"]+="$cs2 "
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

echo "rows $rows, deleting [$lo, $hi): $deleted rows; $runs runs per build"
for ((i = 0; i < runs; i++)); do
  for so in "$@"; do run_one "$(realpath "$so")"; done
done
echo "medians (seconds):"
for so in "$@"; do
  so=$(realpath "$so")
  printf '%s\n  real: delete %6.3f  scan %6.3f  scan2 %6.3f   cpu: delete %6.3f  scan %6.3f  scan2 %6.3f\n' \
    "$so" "$(median <<<"${times[$so:delete]}")" "$(median <<<"${times[$so:scan]}")" \
    "$(median <<<"${times[$so:scan2]}")" "$(median <<<"${times[$so:cdelete]}")" \
    "$(median <<<"${times[$so:cscan]}")" "$(median <<<"${times[$so:cscan2]}")"
done
