// TableOptions and TableStats: how one SSTable is built and read.
//
// The table layer knows nothing of the DB: it orders keys with the
// Comparator it is given and asks an optional filter_key function what part
// of a key the filter stores. TableOptions is a plain value; the pointers it
// holds are not owned and must outlive every builder and table using them.
// TableStats may be shared by many tables and threads (its counters are
// atomic).
#ifndef STRATA_TABLE_TABLE_OPTIONS_H_
#define STRATA_TABLE_TABLE_OPTIONS_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "strata/cache.h"
#include "strata/comparator.h"
#include "strata/slice.h"

namespace strata {

class FilterPolicy;

// Counters a store may keep over all its tables. Relaxed atomics: they are
// statistics, not synchronization.
struct TableStats {
  std::atomic<uint64_t> block_cache_hits{0};
  std::atomic<uint64_t> block_cache_misses{0};
  std::atomic<uint64_t> bytes_read{0};   // bytes read from table files (trailers included)
  std::atomic<uint64_t> blocks_read{0};  // blocks read from table files
};

struct TableOptions {
  // Order of the keys in the table. Must be the same when reading as when
  // writing. Default: bytewise.
  const Comparator* comparator = BytewiseComparator();

  // Builds and probes the table's full filter. Not owned. A table written
  // with a policy of another name is read without its filter.
  // Default: null, no filter.
  const FilterPolicy* filter_policy = nullptr;

  // Maps a key to what the filter stores and probes (the DB strips its
  // 8-byte sequence trailer so the filter answers for user keys). The
  // returned Slice must point into the key. Default: null, the whole key.
  Slice (*filter_key)(const Slice& key) = nullptr;

  // Target bytes of key/value data per data block (a block is cut once its
  // encoded size reaches this). Default: 4 KiB.
  size_t block_size = 4096;

  // Keys between restart points of prefix compression in data blocks.
  // REQUIRES: >= 1. Default: 16.
  int block_restart_interval = 16;

  // Cache for data, index and filter blocks. Not owned; may be shared by
  // many tables. Default: null, no cache.
  Cache* block_cache = nullptr;

  // Index and filter blocks in block_cache (charged to it, pinned while the
  // table is open), or held by the table outside it. Default: true.
  bool cache_index_and_filter_blocks = true;

  // Counters updated by reads. Not owned. Default: null.
  TableStats* stats = nullptr;

  // Name used in error messages, e.g. "000012.sst". Default: empty.
  std::string file_name;
};

}  // namespace strata

#endif  // STRATA_TABLE_TABLE_OPTIONS_H_
