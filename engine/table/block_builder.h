// BlockBuilder: encodes sorted key/value pairs into one block with key
// prefix compression and restart points (layout in block_builder.cc).
//
// Used by TableBuilder for every block kind. Not thread-safe.
#ifndef STRATA_TABLE_BLOCK_BUILDER_H_
#define STRATA_TABLE_BLOCK_BUILDER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "strata/slice.h"

namespace strata {

class BlockBuilder {
 public:
  // REQUIRES: restart_interval >= 1
  explicit BlockBuilder(int restart_interval);
  BlockBuilder(const BlockBuilder&) = delete;
  BlockBuilder& operator=(const BlockBuilder&) = delete;

  // Empties the builder, as if just constructed.
  void Reset();

  // REQUIRES: Finish() not called since the last Reset(); key sorts after
  // every key added before (the builder does not check the order).
  void Add(const Slice& key, const Slice& value);

  // Appends the restart array and returns the block's contents, valid until
  // the next Reset() or the builder's destruction.
  Slice Finish();

  // Size of the block if it were finished now.
  size_t CurrentSizeEstimate() const {
    return buffer_.size() + restarts_.size() * sizeof(uint32_t) + sizeof(uint32_t);
  }

  // True if nothing was added since the last Reset().
  bool empty() const { return buffer_.empty(); }

 private:
  const int restart_interval_;
  std::string buffer_;
  std::vector<uint32_t> restarts_;  // offsets of the restart entries
  int counter_ = 0;                 // entries since the last restart
  bool finished_ = false;
  std::string last_key_;
};

}  // namespace strata

#endif  // STRATA_TABLE_BLOCK_BUILDER_H_
