// TwoLevelIterator: an index iterator plus the iterator over the block its
// current entry names. Empty blocks are skipped in both directions; an
// error in a block stops the iteration there (Valid() false, status() set)
// rather than silently skipping the block's entries.
#include "table/two_level_iterator.h"

#include <string>

#include "table/iterator_wrapper.h"

namespace strata {

namespace {

class TwoLevelIterator final : public Iterator {
 public:
  TwoLevelIterator(Iterator* index_iter, BlockFunction block_function, void* arg,
                   const ReadOptions& options)
      : block_function_(block_function), arg_(arg), options_(options), index_(index_iter) {}

  bool Valid() const override { return data_.Valid(); }
  Slice key() const override { return data_.key(); }
  Slice value() const override { return data_.value(); }

  Status status() const override {
    if (!index_.status().ok()) return index_.status();
    if (data_.iter() != nullptr && !data_.status().ok()) return data_.status();
    return status_;
  }

  void SeekToFirst() override {
    index_.SeekToFirst();
    InitDataBlock();
    if (data_.iter() != nullptr) data_.SeekToFirst();
    SkipEmptyBlocksForward();
  }

  void SeekToLast() override {
    index_.SeekToLast();
    InitDataBlock();
    if (data_.iter() != nullptr) data_.SeekToLast();
    SkipEmptyBlocksBackward();
  }

  void Seek(const Slice& target) override {
    index_.Seek(target);
    InitDataBlock();
    if (data_.iter() != nullptr) data_.Seek(target);
    SkipEmptyBlocksForward();
  }

  void SeekForPrev(const Slice& target) override {
    // The first block whose separator is >= target holds the answer, or an
    // earlier block does; past the last separator, the last block does.
    index_.Seek(target);
    if (!index_.Valid() && index_.status().ok()) index_.SeekToLast();
    InitDataBlock();
    if (data_.iter() != nullptr) data_.SeekForPrev(target);
    SkipEmptyBlocksBackward();
  }

  void Next() override {
    data_.Next();
    SkipEmptyBlocksForward();
  }

  void Prev() override {
    data_.Prev();
    SkipEmptyBlocksBackward();
  }

 private:
  bool DataFailed() const { return data_.iter() != nullptr && !data_.status().ok(); }

  void SkipEmptyBlocksForward() {
    while (!data_.Valid()) {
      if (DataFailed() || !index_.Valid()) return;
      index_.Next();
      InitDataBlock();
      if (data_.iter() != nullptr) data_.SeekToFirst();
    }
  }

  void SkipEmptyBlocksBackward() {
    while (!data_.Valid()) {
      if (DataFailed() || !index_.Valid()) return;
      index_.Prev();
      InitDataBlock();
      if (data_.iter() != nullptr) data_.SeekToLast();
    }
  }

  void SetDataIterator(Iterator* iter) {
    if (data_.iter() != nullptr && status_.ok()) status_ = data_.status();
    data_.Set(iter);
  }

  void InitDataBlock() {
    if (!index_.Valid()) {
      SetDataIterator(nullptr);
      return;
    }
    const Slice handle = index_.value();
    if (data_.iter() != nullptr && handle == Slice(data_block_handle_)) return;  // still open
    Iterator* iter = (*block_function_)(arg_, options_, handle);
    data_block_handle_.assign(handle.data(), handle.size());
    SetDataIterator(iter);
  }

  const BlockFunction block_function_;
  void* const arg_;
  const ReadOptions options_;
  IteratorWrapper index_;
  IteratorWrapper data_;
  std::string data_block_handle_;  // index value of the block data_ iterates
  Status status_;                  // first error of a block iterator already closed
};

}  // namespace

Iterator* NewTwoLevelIterator(Iterator* index_iter, BlockFunction block_function, void* arg,
                              const ReadOptions& options) {
  return new TwoLevelIterator(index_iter, block_function, arg, options);
}

}  // namespace strata
