// MemTable: the in-memory, sorted buffer of recent writes.
//
// Entries live in a SkipList in an Arena, each encoded as
//   varint32(internal_key_size) | user_key | fixed64(seq << 8 | type) |
//   varint32(value_size) | value
// Range tombstones live in a second skip list of the same arena.
//
// Thread safety: Add() and AddRangeTombstone() need external synchronization
// (the DB's single write leader); Get(), iterators and the stats may run
// concurrently with them from any thread. A MemTable is reference-counted:
// whoever reads it after releasing the DB mutex holds a Ref().
#ifndef STRATA_DB_MEMTABLE_H_
#define STRATA_DB_MEMTABLE_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "db/dbformat.h"
#include "db/memtable_bloom.h"
#include "db/memtable_index.h"
#include "db/range_tombstone.h"
#include "db/skiplist.h"
#include "strata/iterator.h"
#include "util/arena.h"

namespace strata {

class MemTable {
 public:
  // arena_block_size: see Arena; a small fraction of the memtable's budget.
  // bloom_bytes: the size of a bloom filter over the point entries' keys
  // (memtable_bloom.h) that Get consults first; 0 for none. index_bytes: the
  // size of a hash index from key to newest entry (memtable_index.h) that
  // Get uses before the skip list; 0 for none.
  MemTable(const InternalKeyComparator& comparator, size_t arena_block_size, size_t bloom_bytes = 0,
           size_t index_bytes = 0);
  MemTable(const MemTable&) = delete;
  MemTable& operator=(const MemTable&) = delete;

  void Ref() { refs_.fetch_add(1, std::memory_order_relaxed); }
  // Deletes the memtable when the last reference goes.
  void Unref() {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  // Bytes of memory the memtable holds (its arena: the budget it is
  // switched at; the bloom filter, sized from that budget, is apart).
  size_t ApproximateMemoryUsage() const { return arena_.MemoryUsage(); }

  // An iterator over internal keys (point entries only). The caller keeps a
  // Ref() while it lives.
  Iterator* NewIterator();
  // An iterator over range tombstones as (internal start key, end user key),
  // or nullptr if there are none.
  Iterator* NewRangeTombstoneIterator();

  // REQUIRES: type is kTypeValue or kTypeDeletion; external synchronization.
  void Add(SequenceNumber seq, ValueType type, const Slice& user_key, const Slice& value);
  // Deletes [begin, end) as of seq. REQUIRES: external synchronization.
  void AddRangeTombstone(SequenceNumber seq, const Slice& begin, const Slice& end);

  enum class GetResult { kNotHere, kFound, kDeleted };
  // Looks up key.user_key() as of key's sequence. kFound fills *value;
  // kDeleted means a deletion (point or range) is the newest visible entry:
  // older sources must not be consulted. kNotHere: look in older sources.
  GetResult Get(const LookupKey& key, std::string* value) const;

  // The fragmented range tombstones (empty if none), rebuilt lazily.
  std::shared_ptr<const FragmentedTombstones> GetTombstones() const;
  bool HasRangeTombstones() const { return num_range_tombstones_.load() > 0; }

  uint64_t NumEntries() const { return num_entries_.load(std::memory_order_relaxed); }
  uint64_t NumDeletes() const { return num_deletes_.load(std::memory_order_relaxed); }
  uint64_t NumRangeTombstones() const { return num_range_tombstones_.load(); }
  // Sequence number of the first entry added (0 if empty).
  SequenceNumber FirstSequence() const { return first_seq_.load(std::memory_order_relaxed); }
  // Bytes of user keys and values added (what the WAL carried).
  uint64_t DataSize() const { return data_size_.load(std::memory_order_relaxed); }

  const InternalKeyComparator& comparator() const { return comparator_; }

  // Orders the skip lists' length-prefixed entries by internal key.
  struct KeyComparator {
    const InternalKeyComparator* comparator;
    int operator()(const char* a, const char* b) const;
  };
  using Table = SkipList<KeyComparator>;

 private:
  ~MemTable() = default;

  // Returns the entry (its address in the arena); *successor, if given, gets
  // the entry after it in the list (null if none).
  const char* Insert(Table* table, SequenceNumber seq, uint8_t type, const Slice& key,
                     const Slice& value, const char** successor = nullptr);

  const InternalKeyComparator comparator_;
  std::atomic<int> refs_{0};
  Arena arena_;
  Table table_;
  Table tombstone_table_;
  const std::unique_ptr<MemTableBloom> bloom_;  // null: none
  const std::unique_ptr<MemTableIndex> index_;  // null: none

  std::atomic<uint64_t> num_entries_{0};
  std::atomic<uint64_t> num_deletes_{0};
  std::atomic<uint64_t> num_range_tombstones_{0};
  std::atomic<uint64_t> data_size_{0};
  std::atomic<SequenceNumber> first_seq_{0};

  mutable std::mutex tombstones_mu_;
  mutable std::shared_ptr<const FragmentedTombstones> tombstones_;  // null: stale
};

}  // namespace strata

#endif  // STRATA_DB_MEMTABLE_H_
