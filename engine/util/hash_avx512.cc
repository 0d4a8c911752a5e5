// XXH3 compiled for avx512 (the Makefile builds this file with -mavx512f);
// hash.cc calls it only on CPUs that have avx512.
#define XXH_INLINE_ALL
// GCC 12's AVX-512 intrinsic headers trip -Wmaybe-uninitialized on their own
// internals; nothing in this file is uninitialized.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <xxhash.h>
#pragma GCC diagnostic pop

#include <cstddef>
#include <cstdint>

namespace strata {

uint64_t Hash64Avx512(const char* data, size_t n, uint64_t seed) {
  return XXH3_64bits_withSeed(data, n, seed);
}

}  // namespace strata
