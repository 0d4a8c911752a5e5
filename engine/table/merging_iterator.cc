// MergingIterator: a binary heap of child iterators ordered by (key, child
// index), a min-heap going forward and a max-heap going backward.
//
// Positions are totally ordered by (key, child index, position within the
// child), so changing direction is well defined: every other child is
// placed just past (or just before) the current entry in that order, and
// the heap is rebuilt.
#include "table/merging_iterator.h"

#include <cassert>
#include <string>
#include <vector>

#include "table/iterator_wrapper.h"

namespace strata {

namespace {

class MergingIterator final : public Iterator {
 public:
  MergingIterator(const Comparator* cmp, Iterator** children, int n) : cmp_(cmp), children_(n) {
    for (int i = 0; i < n; i++) children_[i].Set(children[i]);
    heap_.reserve(n);
  }

  bool Valid() const override { return !heap_.empty(); }

  Slice key() const override {
    assert(Valid());
    return children_[heap_[0]].key();
  }

  Slice value() const override {
    assert(Valid());
    return children_[heap_[0]].value();
  }

  Status status() const override {
    if (!status_.ok()) return status_;
    for (const IteratorWrapper& child : children_) {
      Status s = child.status();
      if (!s.ok()) return s;
    }
    return Status::OK();
  }

  void SeekToFirst() override {
    for (IteratorWrapper& child : children_) child.SeekToFirst();
    Rebuild(kForward);
  }

  void SeekToLast() override {
    for (IteratorWrapper& child : children_) child.SeekToLast();
    Rebuild(kReverse);
  }

  void Seek(const Slice& target) override {
    for (IteratorWrapper& child : children_) child.Seek(target);
    Rebuild(kForward);
  }

  void SeekForPrev(const Slice& target) override {
    for (IteratorWrapper& child : children_) child.SeekForPrev(target);
    Rebuild(kReverse);
  }

  void Next() override {
    assert(Valid());
    if (direction_ != kForward) {
      SwitchToForward();
      return;
    }
    AdvanceTop(/*forward=*/true);
  }

  void Prev() override {
    assert(Valid());
    if (direction_ != kReverse) {
      SwitchToReverse();
      return;
    }
    AdvanceTop(/*forward=*/false);
  }

 private:
  enum Direction { kForward, kReverse };

  // True if child a's entry comes before child b's in the current direction.
  bool Before(int a, int b) const {
    const int c = cmp_->Compare(children_[a].key(), children_[b].key());
    if (direction_ == kForward) return c < 0 || (c == 0 && a < b);
    return c > 0 || (c == 0 && a > b);
  }

  void SiftDown(size_t i) {
    const size_t n = heap_.size();
    const int item = heap_[i];
    while (true) {
      size_t child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && Before(heap_[child + 1], heap_[child])) child++;
      if (!Before(heap_[child], item)) break;
      heap_[i] = heap_[child];
      i = child;
    }
    heap_[i] = item;
  }

  void Rebuild(Direction direction) {
    direction_ = direction;
    status_ = Status::OK();
    heap_.clear();
    for (int i = 0; i < static_cast<int>(children_.size()); i++) {
      if (children_[i].Valid()) {
        heap_.push_back(i);
      } else if (!children_[i].status().ok()) {
        Fail(children_[i].status());
        return;
      }
    }
    for (size_t i = heap_.size() / 2; i-- > 0;) SiftDown(i);
  }

  // Moves the top child one step and restores the heap.
  void AdvanceTop(bool forward) {
    IteratorWrapper& top = children_[heap_[0]];
    if (forward) {
      top.Next();
    } else {
      top.Prev();
    }
    if (top.Valid()) {
      SiftDown(0);
      return;
    }
    if (!top.status().ok()) {
      Fail(top.status());
      return;
    }
    heap_[0] = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) SiftDown(0);
  }

  // From reverse to forward: every other child goes to its first entry
  // after (key(), current) in forward order, the current child steps on.
  void SwitchToForward() {
    const int current = heap_[0];
    saved_key_.assign(key().data(), key().size());
    const Slice target(saved_key_);
    for (int i = 0; i < static_cast<int>(children_.size()); i++) {
      if (i == current) continue;
      IteratorWrapper& child = children_[i];
      child.Seek(target);
      if (i < current) {
        // Its entries equal to target come before the current entry.
        while (child.Valid() && cmp_->Compare(child.key(), target) == 0) child.Next();
      }
    }
    children_[current].Next();
    Rebuild(kForward);
  }

  // From forward to reverse: every other child goes to its last entry
  // before (key(), current) in forward order, the current child steps back.
  void SwitchToReverse() {
    const int current = heap_[0];
    saved_key_.assign(key().data(), key().size());
    const Slice target(saved_key_);
    for (int i = 0; i < static_cast<int>(children_.size()); i++) {
      if (i == current) continue;
      IteratorWrapper& child = children_[i];
      if (i < current) {
        child.SeekForPrev(target);  // its entries equal to target come first
      } else {
        child.Seek(target);
        if (child.Valid()) {
          child.Prev();
        } else if (child.status().ok()) {
          child.SeekToLast();  // every entry is < target
        }
      }
    }
    children_[current].Prev();
    Rebuild(kReverse);
  }

  void Fail(const Status& s) {
    status_ = s;
    heap_.clear();
  }

  const Comparator* const cmp_;
  std::vector<IteratorWrapper> children_;
  std::vector<int> heap_;  // indexes of the valid children; heap_[0] is current
  Direction direction_ = kForward;
  Status status_;
  std::string saved_key_;
};

}  // namespace

Iterator* NewMergingIterator(const Comparator* cmp, Iterator** children, int n) {
  if (n == 0) return NewEmptyIterator();
  if (n == 1) return children[0];
  return new MergingIterator(cmp, children, n);
}

}  // namespace strata
