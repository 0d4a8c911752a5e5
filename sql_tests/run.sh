#!/usr/bin/env bash
# Runs every sql_tests/*.sql through the real sqlite3 shell with the strata
# extension loaded, and diffs its output (stdout and stderr, interleaved by
# line) with the .expected file beside it.
#
#   bash sql_tests/run.sh build/strata.so [name-filter]
#   UPDATE=1 bash sql_tests/run.sh build/strata.so name   # rewrite .expected
#
# Each script runs in a fresh empty directory (its database is test.db
# there). A script that reopens the database writes `.load @EXT@` after
# `.open`; @EXT@ is replaced by the extension's path. Ends with a summary
# line "N passed, N failed".
#
# STRATA_SQLITE_PRELOAD: a library preloaded into the sqlite3 shell only (the
# sanitizer runtime, when the extension is built with ASan or TSan). The
# scripts' .system commands inherit it, and ordinary tools (sort, ls) have
# leaks ASan would report, so leak checking is off there; the unit tests,
# which load the extension into a sanitized binary, check for leaks.
set -u
ext=$(realpath "${1:?usage: run.sh path/to/strata.so [filter]}")
filter=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
pass=0
fail=0
failed=()
for sql in "$here"/*.sql; do
  name=$(basename "$sql" .sql)
  [[ -n "$filter" && "$name" != *"$filter"* ]] && continue
  dir=$(mktemp -d "${TMPDIR:-/tmp}/strata-sqltest-XXXXXX")
  sed "s|@EXT@|${ext%.so}|g" "$sql" > "$dir/test.sql"
  (cd "$dir" && timeout 300 env ${STRATA_SQLITE_PRELOAD:+LD_PRELOAD=$STRATA_SQLITE_PRELOAD} \
     ${STRATA_SQLITE_PRELOAD:+ASAN_OPTIONS=detect_leaks=0} \
     stdbuf -oL -eL sqlite3 -cmd ".load ${ext%.so}" test.db < test.sql > out.txt 2>&1)
  expected="$here/$name.expected"
  if [[ "${UPDATE:-0}" == 1 ]]; then
    cp "$dir/out.txt" "$expected"
  fi
  if [[ -f "$expected" ]] && diff -u "$expected" "$dir/out.txt" > "$dir/diff.txt"; then
    pass=$((pass + 1))
    rm -rf "$dir"
  else
    fail=$((fail + 1))
    failed+=("$name")
    echo "FAIL $name"
    if [[ -f "$expected" ]]; then head -40 "$dir/diff.txt"; else echo "  (no $name.expected)"; fi
    echo "  (output kept in $dir)"
  fi
done
for f in "${failed[@]}"; do echo "failed: $f"; done
echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
