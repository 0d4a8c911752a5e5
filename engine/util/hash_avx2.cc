// XXH3 compiled for avx2 (the Makefile builds this file with -mavx2);
// hash.cc calls it only on CPUs that have avx2.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <cstddef>
#include <cstdint>

namespace strata {

uint64_t Hash64Avx2(const char* data, size_t n, uint64_t seed) {
  return XXH3_64bits_withSeed(data, n, seed);
}

}  // namespace strata
