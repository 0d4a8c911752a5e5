// TableBuilder: writes one SSTable (layout in docs/sstable_format.md) from
// keys added in increasing order.
//
// The builder appends to a WritableFile it does not own; it never syncs or
// closes it (the caller does, after Finish()). Not thread-safe: one thread
// at a time.
#ifndef STRATA_TABLE_TABLE_BUILDER_H_
#define STRATA_TABLE_TABLE_BUILDER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "strata/env.h"
#include "strata/status.h"
#include "table/block_builder.h"
#include "table/format.h"
#include "table/table_options.h"

namespace strata {

class TableBuilder {
 public:
  // options (and what it points to) and file must outlive the builder.
  TableBuilder(const TableOptions& options, WritableFile* file);
  TableBuilder(const TableBuilder&) = delete;
  TableBuilder& operator=(const TableBuilder&) = delete;
  // REQUIRES: Finish() or Abandon() was called.
  ~TableBuilder();

  // Adds a point entry. A key not greater than the previous one (by
  // options.comparator) sets status() to InvalidArgument.
  // REQUIRES: Finish() and Abandon() not called.
  void Add(const Slice& key, const Slice& value);

  // Adds a range tombstone, stored as start_key -> end in its own block.
  // Both are opaque here. A start_key not greater than the previous
  // tombstone's sets status() to InvalidArgument.
  // REQUIRES: Finish() and Abandon() not called.
  void AddRangeTombstone(const Slice& start_key, const Slice& end);

  // Records a user property in the properties block (the last value set
  // for a name wins). A name starting with "strata." is reserved and sets
  // status() to InvalidArgument.
  // REQUIRES: Finish() and Abandon() not called.
  void SetProperty(const std::string& name, const std::string& value);

  // The first error met (by a bad Add or by the file), or OK.
  Status status() const { return status_; }

  // Writes the last data block, the filter, range tombstone, index,
  // properties and metaindex blocks and the footer. Returns status().
  // REQUIRES: Finish() and Abandon() not called.
  Status Finish();

  // Stops building; what was written stays in the file, which the caller
  // should delete. REQUIRES: Finish() and Abandon() not called.
  void Abandon();

  uint64_t NumEntries() const { return num_entries_; }
  uint64_t NumRangeTombstones() const { return num_range_tombstones_; }

  // Bytes written so far plus the size of the data block being built.
  // After Finish(), the size of the whole file.
  uint64_t FileSize() const;

 private:
  void FlushDataBlock();
  void WriteBlock(BlockBuilder* block, BlockHandle* handle);
  void WriteRawBlock(const Slice& contents, BlockHandle* handle);
  void SetError(const Status& s) {
    if (status_.ok()) status_ = s;
  }

  const TableOptions options_;
  WritableFile* const file_;
  uint64_t offset_ = 0;  // bytes appended to file_ by this builder
  Status status_;
  bool closed_ = false;  // Finish() or Abandon() called

  BlockBuilder data_block_;
  BlockBuilder index_block_;
  BlockBuilder tombstone_block_;
  std::string last_key_;
  std::string last_tombstone_key_;
  // After a data block is written, its index entry waits for the next key
  // (the separator must sort before it) or for Finish().
  bool pending_index_entry_ = false;
  BlockHandle pending_handle_;
  std::string handle_encoding_;

  std::vector<uint64_t> filter_hashes_;  // one per distinct consecutive filter key

  uint64_t num_entries_ = 0;
  uint64_t num_range_tombstones_ = 0;
  uint64_t raw_key_size_ = 0;
  uint64_t raw_value_size_ = 0;
  uint64_t num_data_blocks_ = 0;
  std::string first_key_;
  std::map<std::string, std::string> user_properties_;
};

}  // namespace strata

#endif  // STRATA_TABLE_TABLE_BUILDER_H_
