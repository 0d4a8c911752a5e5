// Iterator: a cursor over an ordered sequence of key/value pairs.
//
// An Iterator is not thread-safe: one thread at a time may use it. Distinct
// iterators over one DB may be used from different threads concurrently.
// key() and value() stay valid only until the next call that moves the
// iterator. Deleting the iterator releases whatever it pins.
#ifndef STRATA_INCLUDE_ITERATOR_H_
#define STRATA_INCLUDE_ITERATOR_H_

#include "strata/slice.h"
#include "strata/status.h"

namespace strata {

class Iterator {
 public:
  Iterator();
  Iterator(const Iterator&) = delete;
  Iterator& operator=(const Iterator&) = delete;
  virtual ~Iterator();

  // True iff the iterator is positioned at an entry.
  virtual bool Valid() const = 0;

  virtual void SeekToFirst() = 0;
  virtual void SeekToLast() = 0;
  // Positions at the first entry with key >= target.
  virtual void Seek(const Slice& target) = 0;
  // Positions at the last entry with key <= target.
  virtual void SeekForPrev(const Slice& target) = 0;

  // REQUIRES: Valid()
  virtual void Next() = 0;
  // REQUIRES: Valid()
  virtual void Prev() = 0;

  // REQUIRES: Valid()
  virtual Slice key() const = 0;
  // REQUIRES: Valid()
  virtual Slice value() const = 0;

  // Not ok() if an error (e.g. corruption) stopped the iteration.
  virtual Status status() const = 0;

  // Runs function(arg1, arg2) when this iterator is destroyed. Used by
  // iterators that wrap resources (cache handles, pinned versions).
  using CleanupFunction = void (*)(void* arg1, void* arg2);
  void RegisterCleanup(CleanupFunction function, void* arg1, void* arg2);

 private:
  struct CleanupNode {
    CleanupFunction function;
    void* arg1;
    void* arg2;
    CleanupNode* next;
  };
  CleanupNode cleanup_head_;  // function == nullptr means empty
};

// An empty iterator with the given status.
Iterator* NewEmptyIterator();
Iterator* NewErrorIterator(const Status& status);

}  // namespace strata

#endif  // STRATA_INCLUDE_ITERATOR_H_
