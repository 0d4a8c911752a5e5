// MemTableIndex: a hash index from user key to the newest entry a memtable
// holds for it, so that a point read of a key the memtable holds costs a slot
// and the entry (two cache misses) instead of a skip-list search (~log(n)
// dependent misses: about 25 in a full 64 MiB memtable of 100-byte rows).
//
// Open addressing with linear probing over a power-of-two array of 64-bit
// slots, each the entry's address with 16 bits of the key's hash above it
// (x86-64 and AArch64 user addresses fit in 48 bits), so that a probe reads
// an entry only when the tags agree. Entries are never removed (a memtable
// only grows). When half the slots are taken the index gives up for good
// (Full()): readers then search the skip list, as without it. Keys are equal
// when their bytes are, as for every bloom filter of the engine.
//
// Memory: ZeroedBuffer, sized from Options::memtable_index_size_ratio; only
// the touched pages are resident.
//
// Thread safety: Add() needs external synchronization (the memtable's one
// writer); Find() may run concurrently. Add() publishes a slot with a release
// store after the skip list has published the entry, and a reader sees every
// entry written before the sequence its read runs at was published (as for
// MemTableBloom).
#ifndef STRATA_DB_MEMTABLE_INDEX_H_
#define STRATA_DB_MEMTABLE_INDEX_H_

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "strata/slice.h"
#include "util/zeroed_buffer.h"

namespace strata {

class MemTableIndex {
 public:
  // The user key of an entry (the memtable knows its encoding).
  using UserKeyOf = Slice (*)(const char* entry);

  // At least 1024 slots: bytes / 8 rounded down to a power of two.
  MemTableIndex(size_t bytes, UserKeyOf user_key_of);
  MemTableIndex(const MemTableIndex&) = delete;
  MemTableIndex& operator=(const MemTableIndex&) = delete;

  // `entry`, the memtable's encoding of an entry for user_key, is newer than
  // any added before it; its address must stay valid (the arena's).
  // `replaced` is the key's entry added last before it, or null if the key
  // is new: the caller knows (it is the entry's neighbour in the skip list),
  // so Add compares addresses, never keys, and reads no entry.
  void Add(const Slice& user_key, const char* entry, const char* replaced);

  // True once the index stopped taking entries: Find must not be used.
  bool Full() const { return full_.load(std::memory_order_acquire); }

  // The newest entry added for user_key, or null if none was.
  // REQUIRES: !Full() was seen after the read's sequence was published.
  const char* Find(const Slice& user_key) const;

  size_t MemoryUsage() const { return slots_.size() * sizeof(uint64_t); }

 private:
  static constexpr int kTagShift = 48;
  static constexpr uint64_t kAddressMask = (uint64_t{1} << kTagShift) - 1;

  static uint64_t Hash(const Slice& user_key);

  const UserKeyOf user_key_of_;
  ZeroedBuffer slots_;
  const uint64_t mask_;
  size_t used_ = 0;  // writer only
  std::atomic<bool> full_{false};
};

}  // namespace strata

#endif  // STRATA_DB_MEMTABLE_INDEX_H_
