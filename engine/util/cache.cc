// The sharded LRU cache behind strata/cache.h (NewLRUCache, DefaultBlockCache).
//
// The key space is split over 2^k shards by the top bits of the key's Hash64;
// each shard has its own mutex, an intrusive chained hash table (indexed by
// the low bits of the same hash) and an LRU list. An entry is referenced once
// by the cache while it is in the table, and once per outstanding handle.
// Only entries referenced by the cache alone sit on the LRU list, so pinned
// entries can never be chosen for eviction. Deleters run outside the mutex.
#include "strata/cache.h"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cstring>
#include <mutex>
#include <new>

#include "util/hash.h"

namespace strata {

Cache::~Cache() = default;

namespace {

// One cached key/value. The key bytes follow the struct in the same
// allocation, so a hit costs no allocation and one pointer chase.
struct LRUEntry : public Cache::Handle {
  void* value;
  Cache::Deleter deleter;
  LRUEntry* next_hash;  // chain in the hash table; reused for the free list
  LRUEntry* next;       // LRU list links, valid only while on the list
  LRUEntry* prev;
  size_t charge;
  size_t key_length;
  uint64_t hash;
  uint32_t refs;  // handles, plus one while in_cache
  bool in_cache;  // in the shard's table (and charged to its usage)

  char* key_data() { return reinterpret_cast<char*>(this + 1); }
  Slice key() { return Slice(key_data(), key_length); }

  static LRUEntry* New(const Slice& key) {
    void* mem = ::operator new(sizeof(LRUEntry) + key.size());
    LRUEntry* e = new (mem) LRUEntry;
    e->key_length = key.size();
    if (!key.empty()) memcpy(e->key_data(), key.data(), key.size());
    return e;
  }
  // Runs the deleter and frees the entry.
  static void Destroy(LRUEntry* e) {
    assert(e->refs == 0 && !e->in_cache);
    if (e->deleter != nullptr) e->deleter(e->key(), e->value);
    e->~LRUEntry();
    ::operator delete(e);
  }
};

// A chained hash table of entries keyed by (hash, key). Grows so that the
// average chain stays at most one entry long.
class HashTable {
 public:
  HashTable() { Resize(); }
  HashTable(const HashTable&) = delete;
  HashTable& operator=(const HashTable&) = delete;
  ~HashTable() { delete[] buckets_; }

  LRUEntry* Lookup(const Slice& key, uint64_t hash) { return *FindSlot(key, hash); }

  // Inserts e; returns the entry it displaced (same key), or nullptr.
  LRUEntry* Insert(LRUEntry* e) {
    LRUEntry** slot = FindSlot(e->key(), e->hash);
    LRUEntry* old = *slot;
    e->next_hash = old == nullptr ? nullptr : old->next_hash;
    *slot = e;
    if (old == nullptr && ++elems_ > length_) Resize();
    return old;
  }

  LRUEntry* Remove(const Slice& key, uint64_t hash) {
    LRUEntry** slot = FindSlot(key, hash);
    LRUEntry* e = *slot;
    if (e != nullptr) {
      *slot = e->next_hash;
      --elems_;
    }
    return e;
  }

  // Calls f(e) for every entry; f must not modify the table.
  template <typename F>
  void ForEach(F f) {
    for (size_t i = 0; i < length_; i++) {
      for (LRUEntry* e = buckets_[i]; e != nullptr;) {
        LRUEntry* next = e->next_hash;
        f(e);
        e = next;
      }
    }
  }

 private:
  // The slot that points at the entry for key, or at the chain's null end.
  LRUEntry** FindSlot(const Slice& key, uint64_t hash) {
    LRUEntry** slot = &buckets_[hash & (length_ - 1)];
    while (*slot != nullptr && ((*slot)->hash != hash || (*slot)->key() != key)) {
      slot = &(*slot)->next_hash;
    }
    return slot;
  }

  void Resize() {
    size_t new_length = 16;
    while (new_length < elems_ * 2) new_length *= 2;
    LRUEntry** new_buckets = new LRUEntry*[new_length]();
    for (size_t i = 0; i < length_; i++) {
      for (LRUEntry* e = buckets_[i]; e != nullptr;) {
        LRUEntry* next = e->next_hash;
        LRUEntry** head = &new_buckets[e->hash & (new_length - 1)];
        e->next_hash = *head;
        *head = e;
        e = next;
      }
    }
    delete[] buckets_;
    buckets_ = new_buckets;
    length_ = new_length;
  }

  LRUEntry** buckets_ = nullptr;
  size_t length_ = 0;
  size_t elems_ = 0;
};

// Entries whose last reference went while a shard's mutex was held. They are
// destroyed in the order they were added when this goes out of scope, which
// callers arrange to be after the mutex is released.
class Garbage {
 public:
  Garbage() = default;
  Garbage(const Garbage&) = delete;
  Garbage& operator=(const Garbage&) = delete;
  ~Garbage() {
    while (head_ != nullptr) {
      LRUEntry* next = head_->next_hash;
      LRUEntry::Destroy(head_);
      head_ = next;
    }
  }
  void Add(LRUEntry* e) {
    e->next_hash = nullptr;
    *tail_ = e;
    tail_ = &e->next_hash;
  }

 private:
  LRUEntry* head_ = nullptr;
  LRUEntry** tail_ = &head_;
};

// One shard: a capacity, a table and an LRU list, under one mutex.
class LRUShard {
 public:
  LRUShard() {
    lru_.next = &lru_;
    lru_.prev = &lru_;
  }
  LRUShard(const LRUShard&) = delete;
  LRUShard& operator=(const LRUShard&) = delete;

  ~LRUShard() {
    table_.ForEach([](LRUEntry* e) {
      // A handle still outstanding here is a caller bug; free what we own.
      assert(e->refs == 1);
      e->in_cache = false;
      if (--e->refs == 0) LRUEntry::Destroy(e);
    });
  }

  Cache::Handle* Insert(const Slice& key, uint64_t hash, void* value, size_t charge,
                        Cache::Deleter deleter) {
    LRUEntry* e = LRUEntry::New(key);
    e->value = value;
    e->deleter = deleter;
    e->charge = charge;
    e->hash = hash;
    e->refs = 1;  // the returned handle
    e->in_cache = false;
    e->next = e->prev = nullptr;
    Garbage garbage;  // declared first: destroyed after the lock is released
    std::lock_guard<std::mutex> l(mu_);
    LRUEntry* old;
    if (charge <= capacity_) {
      e->in_cache = true;
      e->refs++;
      usage_ += charge;
      old = table_.Insert(e);
    } else {
      // Could never be kept: hand it out uncached rather than flushing the
      // shard, but still retire the key's old value as the caller asked.
      old = table_.Remove(key, hash);
    }
    if (old != nullptr) Detach(old, &garbage);
    EvictOverCapacity(&garbage);
    return e;
  }

  Cache::Handle* Lookup(const Slice& key, uint64_t hash) {
    std::lock_guard<std::mutex> l(mu_);
    LRUEntry* e = table_.Lookup(key, hash);
    if (e != nullptr) {
      if (e->refs == 1) ListRemove(e);  // becomes pinned
      e->refs++;
    }
    return e;
  }

  void Release(LRUEntry* e) {
    Garbage garbage;  // declared first: destroyed after the lock is released
    std::lock_guard<std::mutex> l(mu_);
    Unref(e, &garbage);
    EvictOverCapacity(&garbage);
  }

  void Erase(const Slice& key, uint64_t hash) {
    Garbage garbage;  // declared first: destroyed after the lock is released
    std::lock_guard<std::mutex> l(mu_);
    LRUEntry* e = table_.Remove(key, hash);
    if (e != nullptr) Detach(e, &garbage);
  }

  void Prune() {
    Garbage garbage;  // declared first: destroyed after the lock is released
    std::lock_guard<std::mutex> l(mu_);
    while (lru_.next != &lru_) EvictOldest(&garbage);
  }

  void SetCapacity(size_t capacity) {
    Garbage garbage;  // declared first: destroyed after the lock is released
    std::lock_guard<std::mutex> l(mu_);
    capacity_ = capacity;
    EvictOverCapacity(&garbage);
  }

  size_t Usage() {
    std::lock_guard<std::mutex> l(mu_);
    return usage_;
  }

 private:
  // REQUIRES: mu_ held; e was just removed from table_. Drops the cache's
  // reference; e is freed now if unpinned, else when its last handle goes.
  void Detach(LRUEntry* e, Garbage* garbage) {
    assert(e->in_cache);
    if (e->refs == 1) ListRemove(e);  // unpinned entries are on the LRU list
    e->in_cache = false;
    usage_ -= e->charge;
    Unref(e, garbage);
  }

  // REQUIRES: mu_ held; e is not on the LRU list (it is pinned or detached).
  void Unref(LRUEntry* e, Garbage* garbage) {
    assert(e->refs > 0);
    e->refs--;
    if (e->refs == 0) {
      garbage->Add(e);
    } else if (e->in_cache && e->refs == 1) {
      ListAppend(e);  // last handle gone: evictable, as the most recently used
    }
  }

  // REQUIRES: mu_ held; the LRU list is not empty.
  void EvictOldest(Garbage* garbage) {
    LRUEntry* e = lru_.next;
    assert(e->refs == 1 && e->in_cache);
    table_.Remove(e->key(), e->hash);
    Detach(e, garbage);
  }

  // REQUIRES: mu_ held.
  void EvictOverCapacity(Garbage* garbage) {
    while (usage_ > capacity_ && lru_.next != &lru_) EvictOldest(garbage);
  }

  void ListRemove(LRUEntry* e) {
    e->next->prev = e->prev;
    e->prev->next = e->next;
  }
  void ListAppend(LRUEntry* e) {  // at the newest end
    e->next = &lru_;
    e->prev = lru_.prev;
    e->prev->next = e;
    e->next->prev = e;
  }

  std::mutex mu_;
  size_t capacity_ = 0;
  size_t usage_ = 0;  // charge of every in_cache entry, pinned or not
  LRUEntry lru_;      // list head: lru_.next is the oldest unpinned entry
  HashTable table_;
};

class ShardedLRUCache final : public Cache {
 public:
  ShardedLRUCache(size_t capacity, int num_shard_bits)
      : shard_bits_(num_shard_bits), shards_(new LRUShard[size_t{1} << num_shard_bits]) {
    SetCapacity(capacity);
  }
  ~ShardedLRUCache() override { delete[] shards_; }

  Handle* Insert(const Slice& key, void* value, size_t charge, Deleter deleter) override {
    const uint64_t h = Hash64(key.data(), key.size());
    return ShardFor(h)->Insert(key, h, value, charge, deleter);
  }
  Handle* Lookup(const Slice& key) override {
    const uint64_t h = Hash64(key.data(), key.size());
    return ShardFor(h)->Lookup(key, h);
  }
  void Release(Handle* handle) override {
    LRUEntry* e = static_cast<LRUEntry*>(handle);
    ShardFor(e->hash)->Release(e);
  }
  void* Value(Handle* handle) override { return static_cast<LRUEntry*>(handle)->value; }
  void Erase(const Slice& key) override {
    const uint64_t h = Hash64(key.data(), key.size());
    ShardFor(h)->Erase(key, h);
  }
  uint64_t NewId() override { return next_id_.fetch_add(1, std::memory_order_relaxed) + 1; }
  void Prune() override {
    for (size_t i = 0; i < NumShards(); i++) shards_[i].Prune();
  }
  size_t TotalCharge() const override {
    size_t total = 0;
    for (size_t i = 0; i < NumShards(); i++) total += shards_[i].Usage();
    return total;
  }
  size_t Capacity() const override { return capacity_.load(std::memory_order_relaxed); }
  void SetCapacity(size_t capacity) override {
    std::lock_guard<std::mutex> l(capacity_mu_);
    capacity_.store(capacity, std::memory_order_relaxed);
    // Round up so the shards together hold at least the capacity asked for.
    const size_t n = NumShards();
    const size_t per_shard = capacity / n + (capacity % n != 0 ? 1 : 0);
    for (size_t i = 0; i < n; i++) shards_[i].SetCapacity(per_shard);
  }

 private:
  size_t NumShards() const { return size_t{1} << shard_bits_; }
  LRUShard* ShardFor(uint64_t hash) const {
    // Top bits pick the shard; the table uses the low bits, so they stay independent.
    return &shards_[shard_bits_ == 0 ? 0 : hash >> (64 - shard_bits_)];
  }

  const int shard_bits_;
  LRUShard* const shards_;
  std::mutex capacity_mu_;  // orders concurrent SetCapacity calls
  std::atomic<size_t> capacity_{0};
  std::atomic<uint64_t> next_id_{0};
};

// One shard per 512 KiB of capacity, from 1 to 64 shards.
int ShardBitsFor(size_t capacity) {
  constexpr size_t kMinShardSize = 512 << 10;
  constexpr int kMaxShardBits = 6;
  int bits = 0;
  while (bits < kMaxShardBits && (capacity >> (bits + 1)) >= kMinShardSize) bits++;
  return bits;
}

}  // namespace

std::shared_ptr<Cache> NewLRUCache(size_t capacity, int num_shard_bits) {
  constexpr int kMaxShardBits = 20;
  if (num_shard_bits < 0) num_shard_bits = ShardBitsFor(capacity);
  num_shard_bits = std::min(num_shard_bits, kMaxShardBits);
  return std::make_shared<ShardedLRUCache>(capacity, num_shard_bits);
}

std::shared_ptr<Cache> DefaultBlockCache() {
  // Never destroyed: stores closed during static destruction may still use it.
  static auto* cache = new std::shared_ptr<Cache>(NewLRUCache(kDefaultBlockCacheSize));
  return *cache;
}

}  // namespace strata
