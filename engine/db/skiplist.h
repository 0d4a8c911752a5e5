// SkipList: the memtable's ordered index, with keys stored inline in arena
// nodes.
//
// Thread safety: one writer at a time (the caller serializes Insert); any
// number of readers concurrently with the writer and with each other, without
// locks. A node, once linked, is never removed, and its key never changes,
// until the whole list (and its Arena) is destroyed, so readers only need the
// release/acquire pairing on the links.
//
// Level 0 is doubly linked, so that an iterator steps backwards in O(1)
// rather than by a search from the head (reverse scans). Insert sets the new
// node's back link before publishing it and then points its successor back
// at it: a reader stepping back concurrently may still skip the node being
// inserted, as if it came a moment later. (The memtable's readers never miss
// anything this way that they could see: an entry is visible to a read only
// once its sequence is published, after Insert has returned.)
//
// Node layout in the arena (upper levels before the node so that the key
// follows the level-0 links and a comparison touches one cache line):
//
//   [next[h-1]] ... [next[1]] | Node{next[0], prev} | key bytes ...
//
// A key is a `const char*` the Comparator knows how to read (the memtable's
// length-prefixed entry).
#ifndef STRATA_DB_SKIPLIST_H_
#define STRATA_DB_SKIPLIST_H_

#include <atomic>
#include <cassert>
#include <cstdint>
#include <cstring>

#include "util/arena.h"
#include "util/random.h"

namespace strata {

template <class Comparator>
class SkipList {
 private:
  struct Node;

 public:
  static constexpr int kMaxHeight = 12;

  // cmp(a, b) < 0, == 0, > 0 over keys. Uses arena for all memory.
  SkipList(Comparator cmp, Arena* arena);
  SkipList(const SkipList&) = delete;
  SkipList& operator=(const SkipList&) = delete;

  // Memory for a key of `size` bytes in a new node. Fill it, then Insert it.
  // REQUIRES: external synchronization with Insert.
  char* AllocateKey(size_t size);

  // Links the key returned by the last AllocateKey into the list, and
  // returns the key now after it (null if it is the last).
  // REQUIRES: no equal key is in the list; external synchronization.
  const char* Insert(const char* key);

  bool Contains(const char* key) const;

  // Number of inserted keys; approximate when read during an Insert.
  uint64_t Count() const { return count_.load(std::memory_order_relaxed); }

  class Iterator {
   public:
    explicit Iterator(const SkipList* list) : list_(list), node_(nullptr) {}
    bool Valid() const { return node_ != nullptr; }
    // REQUIRES: Valid()
    const char* key() const { return node_->Key(); }
    // Each step also prefetches the node after the new one: a scan then
    // overlaps that node's cache misses (nodes lie in arrival order, not key
    // order) with the caller's work on the current one.
    void Next() {
      node_ = node_->Next(0);
      if (node_ != nullptr) Prefetch(node_->NoBarrierNext(0));
    }
    void Prev() {
      node_ = node_->Prev();
      if (node_ == list_->head_) {
        node_ = nullptr;
      } else {
        Prefetch(node_->prev_.load(std::memory_order_relaxed));
      }
    }
    // First key >= target.
    void Seek(const char* target) { node_ = list_->FindGreaterOrEqual(target, nullptr); }
    // Last key <= target.
    void SeekForPrev(const char* target) {
      Seek(target);
      if (!Valid()) {
        SeekToLast();
      } else if (list_->cmp_(node_->Key(), target) > 0) {
        Prev();
      }
    }
    void SeekToFirst() { node_ = list_->head_->Next(0); }
    void SeekToLast() {
      node_ = list_->FindLast();
      if (node_ == list_->head_) node_ = nullptr;
    }

   private:
    // The node's links, header and the start of its entry (a small entry
    // fits in these three lines). A prefetch never faults.
    static void Prefetch(const Node* n) {
      if (n == nullptr) return;
      const char* p = reinterpret_cast<const char*>(n);
      __builtin_prefetch(p);
      __builtin_prefetch(p + 64);
      __builtin_prefetch(p + 128);
    }

    const SkipList* list_;
    Node* node_;
  };

 private:
  struct Node {
    const char* Key() const { return reinterpret_cast<const char*>(this + 1); }
    char* MutableKey() { return reinterpret_cast<char*>(this + 1); }
    std::atomic<Node*>* Link(int n) { return &next_[0] - n; }
    Node* Next(int n) { return Link(n)->load(std::memory_order_acquire); }
    void SetNext(int n, Node* x) { Link(n)->store(x, std::memory_order_release); }
    Node* NoBarrierNext(int n) { return Link(n)->load(std::memory_order_relaxed); }
    void NoBarrierSetNext(int n, Node* x) { Link(n)->store(x, std::memory_order_relaxed); }
    Node* Prev() { return prev_.load(std::memory_order_acquire); }
    void SetPrev(Node* x) { prev_.store(x, std::memory_order_release); }

    std::atomic<Node*> next_[1];  // level 0; higher levels precede the node
    std::atomic<Node*> prev_;     // level 0 back link (head_ for the first node)
  };

  Node* NewNode(size_t key_size, int height);
  int RandomHeight();
  int GetMaxHeight() const { return max_height_.load(std::memory_order_relaxed); }
  bool KeyIsAfterNode(const char* key, Node* n) const {
    return n != nullptr && cmp_(n->Key(), key) < 0;
  }
  // First node >= key; fills prev[level] with the last node < key at each level.
  Node* FindGreaterOrEqual(const char* key, Node** prev) const;
  Node* FindLast() const;

  Comparator const cmp_;
  Arena* const arena_;
  Node* const head_;
  std::atomic<int> max_height_{1};
  std::atomic<uint64_t> count_{0};

  // Writer-only state: the node being inserted, and the predecessors found
  // by the previous Insert. When keys arrive in ascending order and the
  // previous key is the last in the list, prev_ already holds the new key's
  // predecessors at every level: appends cost O(1) comparisons.
  Node* pending_ = nullptr;
  int pending_height_ = 0;
  Node* last_ = nullptr;
  Node* prev_[kMaxHeight];
  Random rnd_{0xdeadbeef};
};

template <class Comparator>
SkipList<Comparator>::SkipList(Comparator cmp, Arena* arena)
    : cmp_(cmp), arena_(arena), head_(NewNode(0, kMaxHeight)) {
  for (int i = 0; i < kMaxHeight; i++) {
    head_->NoBarrierSetNext(i, nullptr);
    prev_[i] = head_;
  }
  head_->SetPrev(nullptr);
}

template <class Comparator>
typename SkipList<Comparator>::Node* SkipList<Comparator>::NewNode(size_t key_size, int height) {
  const size_t prefix = sizeof(std::atomic<Node*>) * (height - 1);
  char* raw = arena_->AllocateAligned(prefix + sizeof(Node) + key_size);
  return reinterpret_cast<Node*>(raw + prefix);
}

template <class Comparator>
int SkipList<Comparator>::RandomHeight() {
  // Each level up with probability 1/4.
  int height = 1;
  uint64_t r = rnd_.Next64();
  while (height < kMaxHeight && (r & 3) == 0) {
    height++;
    r >>= 2;
  }
  return height;
}

template <class Comparator>
char* SkipList<Comparator>::AllocateKey(size_t size) {
  pending_height_ = RandomHeight();
  pending_ = NewNode(size, pending_height_);
  return pending_->MutableKey();
}

template <class Comparator>
typename SkipList<Comparator>::Node* SkipList<Comparator>::FindGreaterOrEqual(const char* key,
                                                                              Node** prev) const {
  Node* x = head_;
  int level = GetMaxHeight() - 1;
  Node* last_bigger = nullptr;  // avoids comparing against the same node twice
  while (true) {
    Node* next = x->Next(level);
    if (next != last_bigger && KeyIsAfterNode(key, next)) {
      x = next;
    } else {
      if (prev != nullptr) prev[level] = x;
      if (level == 0) return next;
      last_bigger = next;
      level--;
    }
  }
}

template <class Comparator>
typename SkipList<Comparator>::Node* SkipList<Comparator>::FindLast() const {
  Node* x = head_;
  int level = GetMaxHeight() - 1;
  while (true) {
    Node* next = x->Next(level);
    if (next == nullptr) {
      if (level == 0) return x;
      level--;
    } else {
      x = next;
    }
  }
}

template <class Comparator>
const char* SkipList<Comparator>::Insert(const char* key) {
  Node* x = pending_;
  assert(x != nullptr && x->Key() == key);
  const int height = pending_height_;
  pending_ = nullptr;

  // Fast path: appending after the last key inserted, which is the list's
  // last node, leaves prev_ valid (levels the last node reached point at it).
  const bool append =
      last_ != nullptr && last_->NoBarrierNext(0) == nullptr && cmp_(last_->Key(), key) < 0;
  if (!append) FindGreaterOrEqual(key, prev_);

  int max_height = GetMaxHeight();
  if (height > max_height) {
    for (int i = max_height; i < height; i++) prev_[i] = head_;
    // Readers that see the new height before the new node's links find
    // nullptr at head_'s new levels, which is correct.
    max_height_.store(height, std::memory_order_relaxed);
  }
  Node* const successor = prev_[0]->NoBarrierNext(0);
  x->SetPrev(prev_[0]);
  for (int i = 0; i < height; i++) {
    x->NoBarrierSetNext(i, prev_[i]->NoBarrierNext(i));
    prev_[i]->SetNext(i, x);
  }
  if (successor != nullptr) successor->SetPrev(x);
  // After linking, x is the predecessor of keys just above it at its levels.
  for (int i = 0; i < height; i++) prev_[i] = x;
  last_ = x;
  count_.fetch_add(1, std::memory_order_relaxed);
  return successor != nullptr ? successor->Key() : nullptr;
}

template <class Comparator>
bool SkipList<Comparator>::Contains(const char* key) const {
  Node* x = FindGreaterOrEqual(key, nullptr);
  return x != nullptr && cmp_(key, x->Key()) == 0;
}

}  // namespace strata

#endif  // STRATA_DB_SKIPLIST_H_
