// XXH3 compiled inline into this translation unit (no run-time dependency on
// libxxhash). Long inputs (blocks, WAL records) go to the widest vector
// implementation the CPU has: hash_avx2.cc and hash_avx512.cc are the same
// code compiled for those instruction sets; all give identical results.
#include "util/hash.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace strata {

uint64_t Hash64Avx2(const char* data, size_t n, uint64_t seed);    // hash_avx2.cc
uint64_t Hash64Avx512(const char* data, size_t n, uint64_t seed);  // hash_avx512.cc

namespace {

uint64_t Hash64Baseline(const char* data, size_t n, uint64_t seed) {
  return XXH3_64bits_withSeed(data, n, seed);
}

using HashFunction = uint64_t (*)(const char*, size_t, uint64_t);

HashFunction PickLongHash() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return &Hash64Avx512;
  if (__builtin_cpu_supports("avx2")) return &Hash64Avx2;
  return &Hash64Baseline;
}

// XXH3 uses no vector code up to this length.
constexpr size_t kShortInput = 240;

}  // namespace

uint64_t Hash64(const char* data, size_t n, uint64_t seed) {
  if (n <= kShortInput) return XXH3_64bits_withSeed(data, n, seed);
  static const HashFunction long_hash = PickLongHash();
  return long_hash(data, n, seed);
}

}  // namespace strata
