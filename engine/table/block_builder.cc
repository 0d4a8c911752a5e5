// BlockBuilder: prefix-compressed key/value entries plus a restart array.
//
// Block layout (every block kind: data, index, range tombstones,
// properties, metaindex; the filter block is the only other shape):
//
//   entry*  restart[num_restarts] (fixed32 each)  num_restarts (fixed32)
//
//   entry:  shared varint32      bytes of the key equal to the previous key's prefix
//           non_shared varint32  bytes of the key that follow
//           value_len varint32
//           key[shared, shared + non_shared)
//           value[value_len]
//
// Every restart_interval-th entry is a restart point: it stores its whole
// key (shared == 0) and its offset goes into the restart array, so a reader
// can binary search the restart points and then scan at most
// restart_interval entries. An empty block is restart[0] = 0 and
// num_restarts = 1 (8 bytes).
#include "table/block_builder.h"

#include <algorithm>
#include <cassert>

#include "util/coding.h"

namespace strata {

BlockBuilder::BlockBuilder(int restart_interval) : restart_interval_(restart_interval) {
  assert(restart_interval_ >= 1);
  Reset();
}

void BlockBuilder::Reset() {
  buffer_.clear();
  restarts_.clear();
  restarts_.push_back(0);
  counter_ = 0;
  finished_ = false;
  last_key_.clear();
}

void BlockBuilder::Add(const Slice& key, const Slice& value) {
  assert(!finished_);
  size_t shared = 0;
  if (counter_ < restart_interval_) {
    const size_t limit = std::min(last_key_.size(), key.size());
    while (shared < limit && last_key_[shared] == key[shared]) shared++;
  } else {
    restarts_.push_back(static_cast<uint32_t>(buffer_.size()));
    counter_ = 0;
  }
  const size_t non_shared = key.size() - shared;

  char header[3 * kMaxVarint32Length];
  char* p = EncodeVarint32(header, static_cast<uint32_t>(shared));
  p = EncodeVarint32(p, static_cast<uint32_t>(non_shared));
  p = EncodeVarint32(p, static_cast<uint32_t>(value.size()));
  buffer_.append(header, p - header);
  buffer_.append(key.data() + shared, non_shared);
  buffer_.append(value.data(), value.size());

  last_key_.resize(shared);
  last_key_.append(key.data() + shared, non_shared);
  counter_++;
}

Slice BlockBuilder::Finish() {
  for (uint32_t restart : restarts_) PutFixed32(&buffer_, restart);
  PutFixed32(&buffer_, static_cast<uint32_t>(restarts_.size()));
  finished_ = true;
  return Slice(buffer_);
}

}  // namespace strata
