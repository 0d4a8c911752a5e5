#!/usr/bin/env bash
# fuzz/build.sh: builds every libFuzzer target in fuzz/ into build-fuzz/ (or $FUZZ_BUILD).
#
# The engine and the extension have no main, so their sources are compiled here once more with
# the fuzzing flags (ASan + UBSan, and -fsanitize=fuzzer-no-link so libFuzzer sees their
# coverage) into build-fuzz/obj/, archived, and linked into each target
# (fuzz/<name>_fuzzer.cc -> build-fuzz/<name>_fuzzer). Objects are rebuilt only when a source,
# a header it includes, or the flags changed.
#
# The SQL target links the extension's sources into the fuzz binary as well, without
# SQLITE_CORE: the extension still calls SQLite through the sqlite3_api pointer table, and the
# target registers sqlite3_strata_init with sqlite3_auto_extension, so SQLite hands it that
# table at every sqlite3_open. Loading a separately built strata.so (-shared, ASan + UBSan)
# with sqlite3_load_extension works too, but then libFuzzer gets no coverage from the
# extension and the engine unless the .so is built with -fsanitize=fuzzer-no-link and loaded
# before fuzzing starts; linking everything into one binary is simpler and gives full
# coverage. See fuzz/README.md.
#
# Environment: CXX (default clang++), JOBS (parallel compiles, default 2), FUZZ_BUILD.
# Usage: bash fuzz/build.sh [target ...]   (default: every fuzz/*_fuzzer.cc)
set -euo pipefail
cd "$(dirname "$0")/.."

CXX=${CXX:-clang++}
[[ "$CXX" == "g++" || "$CXX" == "c++" ]] && CXX=clang++  # the make default; libFuzzer needs clang
JOBS=${JOBS:-2}
OUT=${FUZZ_BUILD:-build-fuzz}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
BASE="-std=c++20 -O1 -g -fno-omit-frame-pointer -Wall -Wextra -pthread \
-Iengine/include -Iengine -I. -I$OUT/gen"
LIB_FLAGS="$BASE $SAN -fsanitize=fuzzer-no-link"
TARGET_FLAGS="$BASE $SAN -fsanitize=fuzzer"
TOOL_FLAGS="$BASE $SAN"

mkdir -p "$OUT/gen" "$OUT/obj"

# The build-info header functions_admin.cc includes (the Makefile writes the same one).
version=$(git describe --always --dirty 2>/dev/null || echo unknown)
printf '#define STRATA_GIT_VERSION "%s"\n#define STRATA_BUILD_FLAGS "%s"\n' \
  "$version" "$CXX fuzz $SAN" >"$OUT/gen/strata_build_info.h.tmp"
if cmp -s "$OUT/gen/strata_build_info.h.tmp" "$OUT/gen/strata_build_info.h"; then
  rm "$OUT/gen/strata_build_info.h.tmp"
else
  mv "$OUT/gen/strata_build_info.h.tmp" "$OUT/gen/strata_build_info.h"
fi

# needs_build OBJ FLAGS: true if OBJ is missing, was built with other flags, or is older than
# any file its dependency list (.d) names.
needs_build() {
  local obj=$1 flags=$2
  [[ -f "$obj" && -f "$obj.d" && -f "$obj.flags" ]] || return 0
  [[ "$(cat "$obj.flags")" == "$flags" ]] || return 0
  local dep
  for dep in $(sed -e 's/^[^:]*://' -e 's/\\$//' "$obj.d"); do
    [[ "$dep" == *: ]] && continue
    [[ -e "$dep" && ! "$dep" -nt "$obj" ]] || return 0
  done
  return 1
}

# compile SRC OBJ FLAGS
compile() {
  local src=$1 obj=$2 flags=$3
  mkdir -p "$(dirname "$obj")"
  echo "  CXX $src"
  # shellcheck disable=SC2086
  $CXX $flags -MMD -MF "$obj.d" -c "$src" -o "$obj"
  echo "$flags" >"$obj.flags"
}

pids=()
failed=0
run_bg() {
  if ((${#pids[@]} >= JOBS)); then
    wait -n || failed=1
    local live=()
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && live+=("$p"); done
    pids=("${live[@]}")
  fi
  "$@" &
  pids+=($!)
}
wait_all() {
  for p in "${pids[@]}"; do wait "$p" || failed=1; done
  pids=()
  ((failed == 0)) || { echo "fuzz/build.sh: compile failed" >&2; exit 1; }
}

extra_flags() {  # per-file flags, as in the Makefile
  case $1 in
    engine/util/hash_avx2.cc) echo "-mavx2" ;;
    engine/util/hash_avx512.cc) echo "-mavx512f" ;;
  esac
}

engine_objs=()
ext_objs=()
for src in engine/util/*.cc engine/table/*.cc engine/db/*.cc sqlite_ext/*.cc; do
  obj="$OUT/obj/${src%.cc}.o"
  flags="$LIB_FLAGS $(extra_flags "$src")"
  if needs_build "$obj" "$flags"; then run_bg compile "$src" "$obj" "$flags"; fi
  if [[ $src == sqlite_ext/* ]]; then ext_objs+=("$obj"); else engine_objs+=("$obj"); fi
done
wait_all

# Archives, so each target links only what it uses (the codec targets need no SQLite).
rm -f "$OUT/libstrata_fuzz.a" "$OUT/libstrata_ext_fuzz.a"
ar rcs "$OUT/libstrata_fuzz.a" "${engine_objs[@]}"
ar rcs "$OUT/libstrata_ext_fuzz.a" "${ext_objs[@]}"

if (($# > 0)); then
  targets=("$@")
else
  targets=()
  for f in fuzz/*_fuzzer.cc; do targets+=("$(basename "$f" .cc)"); done
fi

for t in "${targets[@]}"; do
  t=${t%_fuzzer}_fuzzer
  obj="$OUT/obj/fuzz/$t.o"
  if needs_build "$obj" "$TARGET_FLAGS"; then run_bg compile "fuzz/$t.cc" "$obj" "$TARGET_FLAGS"; fi
done
wait_all

for t in "${targets[@]}"; do
  t=${t%_fuzzer}_fuzzer
  echo "  LD  $OUT/$t"
  # shellcheck disable=SC2086
  $CXX $TARGET_FLAGS -o "$OUT/$t" "$OUT/obj/fuzz/$t.o" "$OUT/libstrata_ext_fuzz.a" \
    "$OUT/libstrata_fuzz.a" -lsqlite3
done

# The seed generator (no libFuzzer): bash fuzz/build.sh && build-fuzz/gen_seeds fuzz/seeds
obj="$OUT/obj/fuzz/gen_seeds.o"
if needs_build "$obj" "$TOOL_FLAGS"; then compile fuzz/gen_seeds.cc "$obj" "$TOOL_FLAGS"; fi
# shellcheck disable=SC2086
$CXX $TOOL_FLAGS -o "$OUT/gen_seeds" "$obj" "$OUT/libstrata_ext_fuzz.a" "$OUT/libstrata_fuzz.a" \
  -lsqlite3
echo "fuzz/build.sh: built ${targets[*]} in $OUT/"
