// XXH3 compiled inline into this one translation unit (no shared-library
// dependency on libxxhash at run time).
#include "util/hash.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace strata {

uint64_t Hash64(const char* data, size_t n, uint64_t seed) {
  return XXH3_64bits_withSeed(data, n, seed);
}

}  // namespace strata
