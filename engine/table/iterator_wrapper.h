// IteratorWrapper: holds an Iterator and caches its Valid() and key(), so
// that merging and two-level iteration, which ask for them again and again,
// pay one virtual call per move instead of one per question.
//
// Same thread-safety as the wrapped iterator (one thread at a time).
#ifndef STRATA_TABLE_ITERATOR_WRAPPER_H_
#define STRATA_TABLE_ITERATOR_WRAPPER_H_

#include <cassert>

#include "strata/iterator.h"

namespace strata {

class IteratorWrapper {
 public:
  IteratorWrapper() = default;
  // Takes ownership of iter (may be null).
  explicit IteratorWrapper(Iterator* iter) { Set(iter); }
  IteratorWrapper(const IteratorWrapper&) = delete;
  IteratorWrapper& operator=(const IteratorWrapper&) = delete;
  IteratorWrapper(IteratorWrapper&& other) noexcept
      : iter_(other.iter_), valid_(other.valid_), key_(other.key_) {
    other.iter_ = nullptr;
    other.valid_ = false;
  }
  ~IteratorWrapper() { delete iter_; }

  Iterator* iter() const { return iter_; }

  // Deletes the current iterator and takes ownership of iter (may be null).
  void Set(Iterator* iter) {
    delete iter_;
    iter_ = iter;
    if (iter_ == nullptr) {
      valid_ = false;
    } else {
      Update();
    }
  }

  // REQUIRES: iter() != nullptr for all but Valid().
  bool Valid() const { return valid_; }
  Slice key() const {
    assert(valid_);
    return key_;
  }
  Slice value() const {
    assert(valid_);
    return iter_->value();
  }
  Status status() const { return iter_->status(); }
  void Next() {
    iter_->Next();
    Update();
  }
  void Prev() {
    iter_->Prev();
    Update();
  }
  void Seek(const Slice& target) {
    iter_->Seek(target);
    Update();
  }
  void SeekForPrev(const Slice& target) {
    iter_->SeekForPrev(target);
    Update();
  }
  void SeekToFirst() {
    iter_->SeekToFirst();
    Update();
  }
  void SeekToLast() {
    iter_->SeekToLast();
    Update();
  }

 private:
  void Update() {
    valid_ = iter_->Valid();
    if (valid_) key_ = iter_->key();
  }

  Iterator* iter_ = nullptr;
  bool valid_ = false;
  Slice key_;
};

}  // namespace strata

#endif  // STRATA_TABLE_ITERATOR_WRAPPER_H_
