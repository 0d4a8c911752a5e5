// Options: how a store is opened, read and written.
//
// Options are plain values, copied by DB::Open; the pointers they hold
// (comparator, env) must outlive every store opened with them.
#ifndef STRATA_INCLUDE_OPTIONS_H_
#define STRATA_INCLUDE_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "strata/cache.h"
#include "strata/comparator.h"
#include "strata/env.h"

namespace strata {

class Snapshot;

struct Options {
  // Order of user keys. Default: bytewise (memcmp).
  const Comparator* comparator = BytewiseComparator();

  // Create the store if the directory holds none. Default: true.
  bool create_if_missing = true;
  // Fail if the store already exists. Default: false.
  bool error_if_exists = false;
  // Open for reading only: no WAL is written, nothing is compacted, no lock
  // beyond a shared one is needed, and every write fails with ReadOnly.
  // A store whose directory is not writable is opened read-only by itself.
  // Default: false.
  bool read_only = false;

  // File system and clock. Default: Env::Default().
  Env* env = Env::Default();

  // Bytes of writes buffered in the memtable before it is switched for a
  // new one and flushed to an L0 table. Minimum 64 KiB. Default: 64 MiB.
  size_t write_buffer_size = 64 << 20;
  // Full memtables that may wait for their flush before writes stall.
  // Default: 2.
  int max_immutable_memtables = 2;
  // Each memtable keeps a bloom filter over its keys of this fraction of
  // write_buffer_size (64 MiB -> 1.3 MiB, ~25 bits a key for 100-byte
  // values): a point read of a key it does not hold skips its search. 0
  // turns it off; at most 0.25. Like RocksDB's memtable_prefix_bloom_size_ratio
  // with memtable_whole_key_filtering. Default: 0.02.
  double memtable_bloom_size_ratio = 0.02;
  // Each memtable keeps a hash index from key to its newest entry, of this
  // fraction of write_buffer_size (8 bytes a slot; it stops indexing at half
  // full: 64 MiB -> 8 MiB, ~512k entries): a point read of a key the
  // memtable holds reads two cache lines instead of searching the skip list.
  // Memory is taken only as slots fill. 0 turns it off; at most 0.5.
  // Default: 0.125.
  double memtable_index_size_ratio = 0.125;

  // Cache for data, index and filter blocks. Default (null): the process-wide
  // DefaultBlockCache().
  std::shared_ptr<Cache> block_cache;
  // Index and filter blocks go into block_cache, charged to it and pinned
  // while their table is open (one memory budget for everything); false
  // holds them outside it, as LevelDB does and RocksDB does by default,
  // which leaves the whole cache to data blocks. Default: true.
  bool cache_index_and_filter_blocks = true;
  // Uncompressed bytes of user data per data block. Minimum 256.
  // Default: 4 KiB.
  size_t block_size = 4096;
  // Keys between restart points of delta (prefix) encoding. Default: 16.
  int block_restart_interval = 16;
  // Bloom filter bits per key; 0 turns filters off. Default: 10 (about 1%
  // false positives).
  int bloom_bits_per_key = 10;

  // Target size of a table file written by compaction. Default: 64 MiB.
  uint64_t target_file_size = 64ull << 20;
  // Total size of level 1; each further level is level_size_multiplier
  // times larger. Default: 256 MiB.
  uint64_t max_bytes_for_level_base = 256ull << 20;
  // Default: 10.
  int level_size_multiplier = 10;
  // Number of levels, L0 included. Between 2 and 12. Default: 7.
  int num_levels = 7;

  // L0 file count that starts an L0->L1 compaction. Default: 4.
  int l0_compaction_trigger = 4;
  // L0 file count at which each write is delayed by about 1 ms. Default: 20.
  int l0_slowdown_writes_trigger = 20;
  // L0 file count at which writes wait for compaction. Default: 36.
  int l0_stop_writes_trigger = 36;

  // A table whose tombstones are at least this fraction of its entries is
  // compacted even when its level is not over its size. Default: 0.5.
  double tombstone_compaction_ratio = 0.5;

  // Make the WAL durable (fdatasync) in the background about every this
  // many milliseconds, and always at a memtable switch. 0 leaves syncing to
  // writes that ask for it. Default: 1000.
  int wal_background_sync_ms = 1000;

  // Start a new manifest when the current one passes this size.
  // Default: 64 MiB.
  uint64_t max_manifest_file_size = 64ull << 20;

  // Number of table files kept open (table cache entries). Default: 1000.
  int max_open_files = 1000;

  // Verify checksums of everything read at open (WAL, manifest) strictly:
  // a corrupt WAL record that is not at the tail fails the open instead of
  // ending the replay there. Default: true.
  bool paranoid_checks = true;
};

struct ReadOptions {
  // Verify the checksum of every block read from disk. Default: true.
  bool verify_checksums = true;
  // Put blocks read by this operation into the block cache. Default: true.
  bool fill_cache = true;
  // Read as of this snapshot (from DB::GetSnapshot); null reads the latest
  // state at the time the read (or iterator) starts.
  const Snapshot* snapshot = nullptr;
  // Iterators only: keys below the lower bound (inclusive) and at or above
  // the upper bound (exclusive) are invisible; the iterator never steps
  // beyond them. The Slices must outlive the iterator.
  const Slice* iterate_lower_bound = nullptr;
  const Slice* iterate_upper_bound = nullptr;
};

struct WriteOptions {
  // fdatasync the WAL before the write returns: the write survives a power
  // failure. Concurrent synced writes share one fdatasync. Without it a
  // write survives a crash of the process once Write() returns.
  // Default: false.
  bool sync = false;
};

struct FlushOptions {
  // Wait until the flush is done. Default: true.
  bool wait = true;
};

}  // namespace strata

#endif  // STRATA_INCLUDE_OPTIONS_H_
