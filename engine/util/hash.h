// XXH3: the one checksum and hash of every strata file and filter.
//
// Checksums stored on disk are the low 32 bits of XXH3-64 (seed 0) unless a
// format says otherwise. DO NOT CHANGE: part of the on-disk format.
#ifndef STRATA_UTIL_HASH_H_
#define STRATA_UTIL_HASH_H_

#include <cstddef>
#include <cstdint>

namespace strata {

uint64_t Hash64(const char* data, size_t n, uint64_t seed = 0);

// Checksum of n bytes, as stored in block trailers and WAL records.
inline uint32_t Checksum32(const char* data, size_t n) {
  return static_cast<uint32_t>(Hash64(data, n));
}

// Checksum continued over a second span: checksum of the concatenation is
// NOT what this computes; it hashes b with a seed derived from a's hash.
// Used where a record's type byte and payload are checked together without
// copying them into one buffer.
inline uint32_t Checksum32Pair(const char* a, size_t na, const char* b, size_t nb) {
  return static_cast<uint32_t>(Hash64(b, nb, Hash64(a, na)));
}

}  // namespace strata

#endif  // STRATA_UTIL_HASH_H_
