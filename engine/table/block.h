// Block: a read-only view of one block written by BlockBuilder, and
// Block::Iter, the iterator over its entries.
//
// A Block is immutable and may be shared by many threads (the block cache
// hands one Block to every reader); each Iter is used by one thread at a
// time. A Block either owns its bytes (heap copy) or points into a mapped
// file that must outlive it. Malformed bytes never crash a reader: iterators
// over them stop with a Corruption status.
#ifndef STRATA_TABLE_BLOCK_H_
#define STRATA_TABLE_BLOCK_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "strata/comparator.h"
#include "strata/iterator.h"
#include "table/format.h"

namespace strata {

class Block {
 public:
  // Takes the contents (and their ownership, if owned). file_offset is
  // where the block lies in its file, for error messages.
  Block(BlockContents&& contents, uint64_t file_offset);
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;

  // Bytes of the block's contents.
  size_t size() const { return size_; }
  uint64_t file_offset() const { return file_offset_; }
  // True if the block owns its bytes (they live on the heap).
  bool owns_data() const { return owned_ != nullptr; }
  // False if the restart array is malformed (every iterator then reports
  // Corruption). Entries are checked only as iterators decode them.
  bool well_formed() const { return num_restarts_ != 0; }

  class Iter;

  // A heap-allocated iterator. REQUIRES: the block, cmp and *file_name
  // outlive it.
  Iterator* NewIterator(const Comparator* cmp, const std::string* file_name) const;

 private:
  friend class Iter;

  const char* data_;
  size_t size_;
  uint32_t restart_offset_;  // where the restart array starts
  uint32_t num_restarts_;    // 0 if the block is malformed
  uint64_t file_offset_;
  std::unique_ptr<char[]> owned_;
};

// Iterates over a Block. Can live on the stack (point lookups do so to
// avoid allocation). Seek binary searches the restart points, then scans;
// Prev re-scans from the previous restart point.
class Block::Iter final : public Iterator {
 public:
  // REQUIRES: block, cmp and *file_name outlive the iterator.
  Iter(const Comparator* cmp, const Block* block, const std::string* file_name);

  bool Valid() const override { return current_ < restarts_; }
  void SeekToFirst() override;
  void SeekToLast() override;
  void Seek(const Slice& target) override;
  void SeekForPrev(const Slice& target) override;
  void Next() override;
  void Prev() override;
  Slice key() const override { return key_; }
  Slice value() const override { return value_; }
  Status status() const override { return status_; }

 private:
  uint32_t RestartPoint(uint32_t index) const;
  // Positions before the entry at restart point index (the next
  // ParseNextEntry() reads it).
  void PrepareAtRestart(uint32_t index);
  // Decodes the entry at next_; false at the end or on corruption.
  bool ParseNextEntry();
  // The key stored at restart point index into *key (no copy).
  bool KeyAtRestart(uint32_t index, Slice* key);
  void MarkInvalid() {
    current_ = restarts_;
    restart_index_ = num_restarts_;
  }
  void CorruptionError();

  const Comparator* const cmp_;
  const Block* const block_;
  const std::string* const file_name_;
  const char* const data_;
  const uint32_t restarts_;      // offset of the restart array; current_ == restarts_: invalid
  const uint32_t num_restarts_;  // 0: malformed block
  uint32_t current_;             // offset of the current entry
  uint32_t next_;                // offset just past the current entry
  uint32_t restart_index_;       // restart block holding current_
  Slice key_;                    // into data_ (shared == 0) or into key_buf_
  Slice value_;
  std::string key_buf_;
  Status status_;
};

}  // namespace strata

#endif  // STRATA_TABLE_BLOCK_H_
