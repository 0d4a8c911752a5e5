// MemTableBloom: a bloom filter over the user keys of one memtable, so that a
// point read of a key the memtable does not hold skips the skip-list search
// (a chain of ~log(n) dependent cache misses: about 1.5 µs in a full 64 MiB
// memtable) for one hash and one cache line. RocksDB offers the same as
// memtable_whole_key_filtering.
//
// Blocked layout: a key's probes all fall in one 64-byte block, chosen by the
// high bits of its 64-bit hash; the low 32 bits drive the probes by double
// hashing. Sized once, from Options::memtable_bloom_size_ratio.
//
// Memory: mapped zero pages, taken from the system only where keys set bits.
//
// Thread safety: Add() needs external synchronization (the memtable's one
// writer); MayContain() may run concurrently from any thread. A reader sees
// every key added before the write that published the sequence number its
// read runs at: the bits are set before the memtable publishes the entry,
// and the DB publishes the sequence after that (release/acquire).
#ifndef STRATA_DB_MEMTABLE_BLOOM_H_
#define STRATA_DB_MEMTABLE_BLOOM_H_

#include <cstddef>
#include <cstdint>

#include "strata/slice.h"
#include "util/zeroed_buffer.h"

namespace strata {

class MemTableBloom {
 public:
  // `bytes` is rounded down to whole 64-byte blocks, at least one.
  explicit MemTableBloom(size_t bytes);
  MemTableBloom(const MemTableBloom&) = delete;
  MemTableBloom& operator=(const MemTableBloom&) = delete;

  void Add(const Slice& user_key);
  // False only if user_key was never added.
  bool MayContain(const Slice& user_key) const;

  size_t MemoryUsage() const { return num_blocks_ * kBlockBytes; }

 private:
  static constexpr size_t kBlockBytes = 64;
  static constexpr size_t kWordsPerBlock = kBlockBytes / sizeof(uint64_t);
  static constexpr int kProbes = 6;

  uint64_t* Block(uint64_t hash) const;

  const size_t num_blocks_;
  ZeroedBuffer words_;  // accessed through std::atomic_ref
};

}  // namespace strata

#endif  // STRATA_DB_MEMTABLE_BLOOM_H_
