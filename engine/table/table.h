// Table: an open, immutable SSTable (written by TableBuilder), read through
// iterators and point lookups.
//
// A Table is safe for concurrent use by many threads without external
// synchronization. Open() reads and checks the footer, index, filter and
// properties blocks once; the index and filter stay pinned (in the block
// cache if there is one, charged to it) for the Table's lifetime. Data
// blocks are read on demand through the block cache. Iterators returned by
// a Table must be deleted before it.
#ifndef STRATA_TABLE_TABLE_H_
#define STRATA_TABLE_TABLE_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "strata/cache.h"
#include "strata/env.h"
#include "strata/iterator.h"
#include "strata/options.h"
#include "strata/status.h"
#include "table/block.h"
#include "table/format.h"
#include "table/table_options.h"

namespace strata {

class FilterPolicy;
struct AlignedFilterBuffer;  // table.cc

// What the properties block of a table records.
struct TableProperties {
  uint64_t num_entries = 0;           // point entries (Add calls)
  uint64_t num_range_tombstones = 0;  // AddRangeTombstone calls
  uint64_t raw_key_size = 0;          // sum of the point entries' key sizes
  uint64_t raw_value_size = 0;        // sum of their value sizes
  uint64_t data_size = 0;             // bytes of data blocks, trailers included
  uint64_t index_size = 0;            // bytes of the index block, trailer included
  uint64_t filter_size = 0;           // bytes of the filter block, trailer included (0: none)
  uint64_t num_data_blocks = 0;
  std::string first_key;           // smallest point key; empty if num_entries == 0
  std::string last_key;            // largest point key; empty if num_entries == 0
  std::string comparator_name;     // Comparator::Name() of the writer
  std::string filter_policy_name;  // FilterPolicy::Name() of the writer, or empty
  std::map<std::string, std::string> user_properties;  // from TableBuilder::SetProperty
};

class Table {
 public:
  // Opens the table stored in file, whose size is file_size bytes. On
  // success *table holds the table; on failure it is null and the status is
  // Corruption naming options.file_name (or an I/O error). Never reads
  // outside [0, file_size) nor allocates more than the file's size for a
  // corrupt length. options (and what it points to) must outlive the table.
  static Status Open(const TableOptions& options, std::unique_ptr<RandomAccessFile> file,
                     uint64_t file_size, std::unique_ptr<Table>* table);

  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;
  ~Table();

  // An iterator over the point entries: forward, reverse, Seek,
  // SeekForPrev. Honours options.verify_checksums and options.fill_cache
  // (false: data blocks read for it do not enter the block cache). Blocks
  // read without verify_checksums do not enter the cache either, so a
  // checked read is never served bytes nobody checked.
  Iterator* NewIterator(const ReadOptions& options) const;

  // Point lookup. If the filter rules out filter_key(key), returns OK
  // without calling handle_result. Otherwise finds the first entry >= key
  // and, if there is one, calls handle_result(arg, k, v) once (k and v are
  // valid during the call only). Errors (a corrupt block) are returned.
  Status InternalGet(const ReadOptions& options, const Slice& key, void* arg,
                     void (*handle_result)(void* arg, const Slice& k, const Slice& v)) const;

  // The filter alone: false if the table certainly has no entry whose
  // filter key equals filter_key(key). True if there is no filter.
  bool KeyMayMatch(const Slice& key) const;

  // The range tombstones as start_key -> end entries in start_key order,
  // or nullptr if the table has none. An error reading them gives an
  // iterator whose status() says so.
  Iterator* NewRangeTombstoneIterator(const ReadOptions& options) const;

  const TableProperties& properties() const { return properties_; }

  // The approximate file offset where the data for key begins (or would
  // begin): monotone in key, 0 for keys before the first block, about the
  // data size for keys after the last.
  uint64_t ApproximateOffsetOf(const Slice& key) const;

  // Reads every block from the file, checks its checksum and that keys are
  // strictly increasing within and across data blocks, that index
  // separators bound their blocks, and that the filter matches every key.
  // Returns Corruption naming the file and the offset of the first problem.
  // Does not fill the block cache.
  Status Verify() const;

 private:
  Table(const TableOptions& options, std::unique_ptr<RandomAccessFile> file, uint64_t file_size);

  Status ReadMetaBlocks(const Footer& footer);
  // Writes the block cache key for the block at offset (kCacheKeySize bytes).
  void CacheKey(uint64_t offset, char* key) const;
  // The block at handle: either from (or put into) the block cache, with
  // *cache_handle set (Release it) and *cached the block, or, with
  // *cache_handle null, read into *contents for the caller to wrap.
  Status GetBlock(const ReadOptions& options, const BlockHandle& handle,
                  Cache::Handle** cache_handle, Block** cached, BlockContents* contents) const;
  static Iterator* BlockReader(void* arg, const ReadOptions& options, const Slice& index_value);
  Status ParseProperties(const Block& block);

  static constexpr size_t kCacheKeySize = 16;

  const TableOptions options_;
  const std::unique_ptr<RandomAccessFile> file_;
  const uint64_t file_size_;
  uint64_t cache_id_ = 0;
  // Set once a block pointing into the file's mapping entered the cache.
  mutable std::atomic<bool> cached_mapped_blocks_{false};
  BlockSource source_;

  Block* index_block_ = nullptr;
  Cache::Handle* index_cache_handle_ = nullptr;
  std::unique_ptr<Block> owned_index_block_;

  // The filter, 64-byte aligned; null if none is usable.
  const FilterPolicy* filter_policy_ = nullptr;
  Slice filter_;
  Cache::Handle* filter_cache_handle_ = nullptr;
  std::unique_ptr<AlignedFilterBuffer> owned_filter_;

  BlockHandle filter_handle_;
  bool has_filter_block_ = false;
  BlockHandle tombstone_handle_;
  bool has_tombstones_ = false;
  BlockHandle properties_handle_;
  BlockHandle index_handle_;
  BlockHandle metaindex_handle_;
  TableProperties properties_;
};

}  // namespace strata

#endif  // STRATA_TABLE_TABLE_H_
