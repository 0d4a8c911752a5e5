// Block and Block::Iter: decoding the layout written by block_builder.cc.
//
// Every offset and length read from the block is checked against the
// block's bounds before use, so a block that passed no checksum (or a
// corrupt one that did) yields a Corruption status, never a stray read.
#include "table/block.h"

#include <cassert>
#include <limits>

#include "util/coding.h"

namespace strata {

Block::Block(BlockContents&& contents, uint64_t file_offset)
    : data_(contents.data.data()),
      size_(contents.data.size()),
      restart_offset_(0),
      num_restarts_(0),
      file_offset_(file_offset),
      owned_(std::move(contents.owned)) {
  if (size_ < sizeof(uint32_t) || size_ > std::numeric_limits<uint32_t>::max()) return;
  const uint32_t n = DecodeFixed32(data_ + size_ - sizeof(uint32_t));
  const size_t max_restarts = (size_ - sizeof(uint32_t)) / sizeof(uint32_t);
  if (n == 0 || n > max_restarts) return;  // malformed: iterators report it
  num_restarts_ = n;
  restart_offset_ = static_cast<uint32_t>(size_ - (1 + static_cast<size_t>(n)) * sizeof(uint32_t));
}

Iterator* Block::NewIterator(const Comparator* cmp, const std::string* file_name) const {
  return new Iter(cmp, this, file_name);
}

Block::Iter::Iter(const Comparator* cmp, const Block* block, const std::string* file_name)
    : cmp_(cmp),
      block_(block),
      file_name_(file_name),
      data_(block->data_),
      restarts_(block->restart_offset_),
      num_restarts_(block->num_restarts_),
      current_(restarts_),
      next_(restarts_),
      restart_index_(num_restarts_) {
  if (num_restarts_ == 0) CorruptionError();
}

void Block::Iter::CorruptionError() {
  static const std::string kUnnamed;
  status_ = TableCorruption(file_name_ != nullptr ? *file_name_ : kUnnamed, "bad entry in block",
                            block_->file_offset_);
  MarkInvalid();
  key_ = Slice();
  value_ = Slice();
}

uint32_t Block::Iter::RestartPoint(uint32_t index) const {
  assert(index < num_restarts_);
  return DecodeFixed32(data_ + restarts_ + index * sizeof(uint32_t));
}

void Block::Iter::PrepareAtRestart(uint32_t index) {
  restart_index_ = index;
  key_ = Slice();  // a restart entry must not share bytes with anything
  next_ = RestartPoint(index);
}

// Decodes the three varint32 header fields of the entry at p.
static inline const char* DecodeEntry(const char* p, const char* limit, uint32_t* shared,
                                      uint32_t* non_shared, uint32_t* value_length) {
  if (limit - p < 3) return nullptr;
  *shared = static_cast<uint8_t>(p[0]);
  *non_shared = static_cast<uint8_t>(p[1]);
  *value_length = static_cast<uint8_t>(p[2]);
  if ((*shared | *non_shared | *value_length) < 128) {
    p += 3;  // the common case: each field fits in one byte
  } else {
    if ((p = GetVarint32Ptr(p, limit, shared)) == nullptr) return nullptr;
    if ((p = GetVarint32Ptr(p, limit, non_shared)) == nullptr) return nullptr;
    if ((p = GetVarint32Ptr(p, limit, value_length)) == nullptr) return nullptr;
  }
  if (static_cast<uint64_t>(*non_shared) + *value_length > static_cast<uint64_t>(limit - p)) {
    return nullptr;
  }
  return p;
}

bool Block::Iter::ParseNextEntry() {
  current_ = next_;
  if (current_ >= restarts_) {
    if (current_ > restarts_) {
      CorruptionError();  // a restart point past the entries
    } else {
      MarkInvalid();
    }
    return false;
  }
  const char* limit = data_ + restarts_;
  uint32_t shared, non_shared, value_length;
  const char* p = DecodeEntry(data_ + current_, limit, &shared, &non_shared, &value_length);
  if (p == nullptr || shared > key_.size()) {
    CorruptionError();
    return false;
  }
  if (shared == 0) {
    key_ = Slice(p, non_shared);
  } else {
    if (key_.data() != key_buf_.data()) {
      key_buf_.assign(key_.data(), shared);
    } else {
      key_buf_.resize(shared);
    }
    key_buf_.append(p, non_shared);
    key_ = Slice(key_buf_);
  }
  value_ = Slice(p + non_shared, value_length);
  next_ = static_cast<uint32_t>((p - data_) + non_shared + value_length);
  while (restart_index_ + 1 < num_restarts_ && RestartPoint(restart_index_ + 1) <= current_) {
    restart_index_++;
  }
  return true;
}

bool Block::Iter::KeyAtRestart(uint32_t index, Slice* key) {
  const uint32_t offset = RestartPoint(index);
  if (offset >= restarts_) return false;
  uint32_t shared, non_shared, value_length;
  const char* p =
      DecodeEntry(data_ + offset, data_ + restarts_, &shared, &non_shared, &value_length);
  if (p == nullptr || shared != 0) return false;
  *key = Slice(p, non_shared);
  return true;
}

void Block::Iter::SeekToFirst() {
  if (num_restarts_ == 0) return;
  PrepareAtRestart(0);
  ParseNextEntry();
}

void Block::Iter::SeekToLast() {
  if (num_restarts_ == 0) return;
  PrepareAtRestart(num_restarts_ - 1);
  while (ParseNextEntry() && next_ < restarts_) {
  }
}

void Block::Iter::Seek(const Slice& target) {
  if (num_restarts_ == 0) return;
  // Find the last restart point whose key is < target; the answer is in
  // its run or, if every run starts >= target, it is the first entry.
  uint32_t left = 0;
  uint32_t right = num_restarts_ - 1;
  if (Valid()) {
    // Successive seeks often move a little: narrow the search using where
    // we are.
    if (cmp_->Compare(key_, target) < 0) {
      left = restart_index_;
    } else {
      right = restart_index_;
    }
  }
  while (left < right) {
    const uint32_t mid = left + (right - left + 1) / 2;
    Slice mid_key;
    if (!KeyAtRestart(mid, &mid_key)) {
      CorruptionError();
      return;
    }
    if (cmp_->Compare(mid_key, target) < 0) {
      left = mid;
    } else {
      right = mid - 1;
    }
  }
  PrepareAtRestart(left);
  while (ParseNextEntry()) {
    if (cmp_->Compare(key_, target) >= 0) return;
  }
}

void Block::Iter::SeekForPrev(const Slice& target) {
  Seek(target);
  if (!status_.ok()) return;
  if (!Valid()) {
    SeekToLast();
  } else if (cmp_->Compare(key_, target) > 0) {
    Prev();
  }
}

void Block::Iter::Next() {
  assert(Valid());
  ParseNextEntry();
}

void Block::Iter::Prev() {
  assert(Valid());
  const uint32_t original = current_;
  while (RestartPoint(restart_index_) >= original) {
    if (restart_index_ == 0) {
      MarkInvalid();
      return;
    }
    restart_index_--;
  }
  PrepareAtRestart(restart_index_);
  while (ParseNextEntry() && next_ < original) {
  }
}

}  // namespace strata
