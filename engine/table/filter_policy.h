// FilterPolicy: builds and probes the one "full" filter of a table, which
// answers "might this table hold key k?" without reading any data block.
//
// Filters work on 64-bit XXH3 hashes of keys (FilterHash), so a builder
// keeps 8 bytes per key instead of the keys themselves and a lookup hashes
// its key once. A FilterPolicy is immutable and safe for concurrent use by
// many threads.
#ifndef STRATA_TABLE_FILTER_POLICY_H_
#define STRATA_TABLE_FILTER_POLICY_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "strata/slice.h"
#include "util/hash.h"

namespace strata {

class FilterPolicy {
 public:
  virtual ~FilterPolicy() = default;

  // Recorded in each table's metaindex ("filter." + Name()); a table whose
  // filter was built by a policy of another name is read without it.
  // DO NOT CHANGE an implementation's name once tables use it: it is part
  // of the on-disk format.
  virtual const char* Name() const = 0;

  // Appends to *dst a filter that matches every one of the n hashes.
  // n may be 0 (the filter then matches nothing).
  virtual void CreateFilter(const uint64_t* hashes, size_t n, std::string* dst) const = 0;

  // False only if hash was not among those the filter was built from
  // (never a false negative). A filter of a shape this policy does not
  // recognise matches everything.
  virtual bool HashMayMatch(uint64_t hash, const Slice& filter) const = 0;

  bool KeyMayMatch(const Slice& key, const Slice& filter) const {
    return HashMayMatch(FilterHash(key), filter);
  }

  // DO NOT CHANGE: part of the on-disk format (filters store these hashes).
  static uint64_t FilterHash(const Slice& key) { return Hash64(key.data(), key.size()); }
};

// A cache-line-blocked bloom filter: each key sets and probes bits inside
// one 64-byte line, so a probe touches one cache line (when the filter is
// 64-byte aligned, as Table keeps it). About 1% false positives at
// bits_per_key = 10. bits_per_key is clamped to [1, 100].
std::unique_ptr<const FilterPolicy> NewBloomFilterPolicy(int bits_per_key);

}  // namespace strata

#endif  // STRATA_TABLE_FILTER_POLICY_H_
