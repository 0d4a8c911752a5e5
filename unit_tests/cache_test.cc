// Tests of the sharded LRU cache (engine/util/cache.cc): hits and misses,
// eviction order, charge accounting, pinning, erase and replacement, the
// deleter contract, capacity changes, and concurrent use.
#include "strata/cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace strata {
namespace {

std::string Key(int k) { return "key" + std::to_string(k); }
void* Val(intptr_t v) { return reinterpret_cast<void*>(v); }
intptr_t IntOf(void* v) { return reinterpret_cast<intptr_t>(v); }

class LRUCacheTest : public testing::Test {
 public:
  static constexpr size_t kCapacity = 100;

  LRUCacheTest() {
    current_ = this;
    cache_ = NewLRUCache(kCapacity, 0);  // one shard: eviction order is exact
  }
  ~LRUCacheTest() override {
    cache_.reset();  // its deleters still report to this fixture
    current_ = nullptr;
  }

  // Records every deleter call: key -> value, and a count per key.
  static void Deleter(const Slice& key, void* value) {
    std::lock_guard<std::mutex> l(current_->mu_);
    current_->deleted_.emplace_back(key.ToString(), IntOf(value));
    current_->delete_count_[key.ToString()]++;
  }

  // The value for k, or -1 when it is not cached.
  intptr_t Lookup(int k) {
    Cache::Handle* h = cache_->Lookup(Key(k));
    if (h == nullptr) return -1;
    intptr_t v = IntOf(cache_->Value(h));
    cache_->Release(h);
    return v;
  }

  void Insert(int k, intptr_t v, size_t charge = 1) {
    cache_->Release(cache_->Insert(Key(k), Val(v), charge, &LRUCacheTest::Deleter));
  }

  Cache::Handle* InsertPinned(int k, intptr_t v, size_t charge = 1) {
    return cache_->Insert(Key(k), Val(v), charge, &LRUCacheTest::Deleter);
  }

  // "key3=30,key4=40": the deletions so far, in order.
  std::string Deleted() {
    std::string out;
    for (const auto& [key, value] : deleted_) {
      if (!out.empty()) out += ",";
      out += key + "=" + std::to_string(value);
    }
    return out;
  }

  static LRUCacheTest* current_;
  std::shared_ptr<Cache> cache_;
  std::mutex mu_;
  std::vector<std::pair<std::string, intptr_t>> deleted_;
  std::map<std::string, int> delete_count_;
};

LRUCacheTest* LRUCacheTest::current_ = nullptr;

TEST_F(LRUCacheTest, HitAndMiss) {
  ASSERT_EQ(-1, Lookup(100));
  Insert(100, 101);
  ASSERT_EQ(101, Lookup(100));
  ASSERT_EQ(-1, Lookup(200));
  ASSERT_EQ(-1, Lookup(300));

  Insert(200, 201);
  ASSERT_EQ(101, Lookup(100));
  ASSERT_EQ(201, Lookup(200));
  ASSERT_EQ(-1, Lookup(300));

  Insert(100, 102);  // replaces
  ASSERT_EQ(102, Lookup(100));
  ASSERT_EQ(201, Lookup(200));
  ASSERT_EQ("key100=101", Deleted());
}

TEST_F(LRUCacheTest, KeysAreBytesNotStrings) {
  const std::string a("a\0b", 3), b("a\0c", 3);
  cache_->Release(cache_->Insert(a, Val(1), 1, &LRUCacheTest::Deleter));
  ASSERT_EQ(nullptr, cache_->Lookup(b));
  ASSERT_EQ(nullptr, cache_->Lookup("a"));
  Cache::Handle* h = cache_->Lookup(a);
  ASSERT_NE(nullptr, h);
  ASSERT_EQ(1, IntOf(cache_->Value(h)));
  cache_->Release(h);
  cache_->Release(cache_->Insert("", Val(2), 1, &LRUCacheTest::Deleter));  // empty key
  h = cache_->Lookup("");
  ASSERT_NE(nullptr, h);
  ASSERT_EQ(2, IntOf(cache_->Value(h)));
  cache_->Release(h);
}

TEST_F(LRUCacheTest, EvictsLeastRecentlyUsedFirst) {
  for (int i = 0; i < 10; i++) Insert(i, i * 10, 10);  // exactly full
  ASSERT_EQ(100u, cache_->TotalCharge());
  ASSERT_EQ("", Deleted());
  // Touch 0 and 1: now 2 is the oldest.
  ASSERT_EQ(0, Lookup(0));
  ASSERT_EQ(10, Lookup(1));
  Insert(10, 100, 10);
  ASSERT_EQ("key2=20", Deleted());
  Insert(11, 110, 25);  // needs three slots: 3, 4, 5 go
  ASSERT_EQ("key2=20,key3=30,key4=40,key5=50", Deleted());
  ASSERT_EQ(0, Lookup(0));
  ASSERT_EQ(10, Lookup(1));
  ASSERT_EQ(-1, Lookup(2));
  ASSERT_EQ(60, Lookup(6));
  ASSERT_LE(cache_->TotalCharge(), kCapacity);
}

TEST_F(LRUCacheTest, ChargeAccounting) {
  ASSERT_EQ(0u, cache_->TotalCharge());
  Insert(1, 1, 30);
  Insert(2, 2, 20);
  ASSERT_EQ(50u, cache_->TotalCharge());
  Insert(1, 11, 5);  // replacement charges the new entry only
  ASSERT_EQ(25u, cache_->TotalCharge());
  cache_->Erase(Key(2));
  ASSERT_EQ(5u, cache_->TotalCharge());
  cache_->Erase(Key(2));  // erasing a missing key is a no-op
  cache_->Erase(Key(99));
  ASSERT_EQ(5u, cache_->TotalCharge());
  cache_->Prune();
  ASSERT_EQ(0u, cache_->TotalCharge());
  ASSERT_EQ(-1, Lookup(1));
}

TEST_F(LRUCacheTest, PinnedEntriesSurviveEviction) {
  Cache::Handle* pinned = InsertPinned(1, 101, 40);
  for (int i = 100; i < 200; i++) {
    Insert(i, i, 10);
    ASSERT_EQ(101, Lookup(1)) << "at " << i;
  }
  // Unpinned entries never exceed the capacity, even with a pinned one there.
  ASSERT_LE(cache_->TotalCharge(), kCapacity);
  ASSERT_EQ(101, IntOf(cache_->Value(pinned)));
  ASSERT_EQ(0, delete_count_[Key(1)]);
  cache_->Release(pinned);
  ASSERT_EQ(101, Lookup(1));  // still cached: released into the LRU
}

TEST_F(LRUCacheTest, PinnedPastCapacityEvictedOnRelease) {
  Cache::Handle* a = InsertPinned(1, 1, 60);
  Cache::Handle* b = InsertPinned(2, 2, 60);  // 120 pinned: over capacity
  ASSERT_EQ(120u, cache_->TotalCharge());
  ASSERT_EQ("", Deleted());
  cache_->Release(a);  // over capacity and now unpinned: goes
  ASSERT_EQ("key1=1", Deleted());
  ASSERT_EQ(60u, cache_->TotalCharge());
  cache_->Release(b);  // fits: stays
  ASSERT_EQ(2, Lookup(2));
  ASSERT_EQ("key1=1", Deleted());
}

TEST_F(LRUCacheTest, EraseWhilePinned) {
  Cache::Handle* h = InsertPinned(1, 101);
  cache_->Erase(Key(1));
  ASSERT_EQ(-1, Lookup(1));  // gone from the cache at once
  ASSERT_EQ(0u, cache_->TotalCharge());
  ASSERT_EQ("", Deleted());  // but not deleted while pinned
  ASSERT_EQ(101, IntOf(cache_->Value(h)));
  cache_->Release(h);
  ASSERT_EQ("key1=101", Deleted());
}

TEST_F(LRUCacheTest, ReplacementWhilePinned) {
  Cache::Handle* h1 = InsertPinned(1, 101);
  Cache::Handle* h2 = cache_->Lookup(Key(1));
  Insert(1, 102);
  ASSERT_EQ(102, Lookup(1));
  ASSERT_EQ(101, IntOf(cache_->Value(h1)));
  cache_->Release(h1);
  ASSERT_EQ("", Deleted());  // h2 still pins the old value
  cache_->Release(h2);
  ASSERT_EQ("key1=101", Deleted());
  ASSERT_EQ(102, Lookup(1));
}

TEST_F(LRUCacheTest, EntryLargerThanCapacityIsNotCached) {
  Insert(1, 1, 10);
  Cache::Handle* h = InsertPinned(2, 2, kCapacity + 1);
  ASSERT_EQ(2, IntOf(cache_->Value(h)));
  ASSERT_EQ(1, Lookup(1));  // did not flush the rest
  ASSERT_EQ(-1, Lookup(2));
  cache_->Release(h);
  ASSERT_EQ("key2=2", Deleted());
  ASSERT_EQ(10u, cache_->TotalCharge());
}

TEST_F(LRUCacheTest, PruneKeepsPinned) {
  Insert(1, 1);
  Cache::Handle* h = InsertPinned(2, 2);
  Insert(3, 3);
  cache_->Prune();
  ASSERT_EQ(-1, Lookup(1));
  ASSERT_EQ(2, Lookup(2));
  ASSERT_EQ(-1, Lookup(3));
  ASSERT_EQ(1u, cache_->TotalCharge());
  cache_->Release(h);
}

TEST_F(LRUCacheTest, SetCapacityEvicts) {
  ASSERT_EQ(kCapacity, cache_->Capacity());
  for (int i = 0; i < 10; i++) Insert(i, i, 10);
  cache_->SetCapacity(45);
  ASSERT_EQ(45u, cache_->Capacity());
  ASSERT_EQ(40u, cache_->TotalCharge());
  ASSERT_EQ("key0=0,key1=1,key2=2,key3=3,key4=4,key5=5", Deleted());
  ASSERT_EQ(6, Lookup(6));
  cache_->SetCapacity(1000);
  for (int i = 20; i < 80; i++) Insert(i, i, 10);
  ASSERT_EQ(640u, cache_->TotalCharge());
}

TEST_F(LRUCacheTest, DeleterCalledExactlyOncePerEntry) {
  const uint32_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rnd(seed);
  std::map<std::string, int> inserted;  // key -> number of entries inserted
  std::vector<Cache::Handle*> held;
  for (int i = 0; i < 20000; i++) {
    const int k = rnd() % 200;
    switch (rnd() % 6) {
      case 0:
      case 1: {
        Cache::Handle* h = InsertPinned(k, i, 1 + rnd() % 8);
        inserted[Key(k)]++;
        if (rnd() % 4 == 0) {
          held.push_back(h);
        } else {
          cache_->Release(h);
        }
        break;
      }
      case 2: {
        Cache::Handle* h = cache_->Lookup(Key(k));
        if (h != nullptr) held.push_back(h);
        break;
      }
      case 3:
        cache_->Erase(Key(k));
        break;
      case 4:
        if (!held.empty()) {
          size_t j = rnd() % held.size();
          cache_->Release(held[j]);
          held[j] = held.back();
          held.pop_back();
        }
        break;
      case 5:
        if (rnd() % 50 == 0) cache_->SetCapacity(20 + rnd() % 200);
        if (rnd() % 200 == 0) cache_->Prune();
        break;
    }
    ASSERT_LE(cache_->TotalCharge(), cache_->Capacity() + 8 * held.size());
  }
  for (Cache::Handle* h : held) cache_->Release(h);
  cache_.reset();  // destroys every remaining entry
  ASSERT_EQ(inserted, delete_count_);
}

TEST_F(LRUCacheTest, DestructorDeletesEntries) {
  Insert(1, 1);
  Insert(2, 2);
  cache_.reset();
  ASSERT_EQ(1, delete_count_[Key(1)]);
  ASSERT_EQ(1, delete_count_[Key(2)]);
}

TEST_F(LRUCacheTest, NewIdIsUnique) {
  std::set<uint64_t> ids;
  for (int i = 0; i < 1000; i++) ASSERT_TRUE(ids.insert(cache_->NewId()).second);
  ASSERT_EQ(0u, ids.count(0));  // 0 stays free for "no id"
}

TEST_F(LRUCacheTest, ShardedCacheHoldsItsCapacity) {
  // Many shards, capacity of 1000 unit-charge entries: most of a working set
  // just under capacity must stay cached despite per-shard limits.
  cache_ = NewLRUCache(1000, 4);
  for (int i = 0; i < 800; i++) Insert(i, i, 1);
  int hits = 0;
  for (int i = 0; i < 800; i++) hits += Lookup(i) == i;
  ASSERT_GT(hits, 700);
  for (int i = 0; i < 10000; i++) Insert(i, i, 1);
  ASSERT_LE(cache_->TotalCharge(), 1000u + 16);  // per-shard rounding
  ASSERT_EQ(1000u, cache_->Capacity());
}

TEST_F(LRUCacheTest, DefaultBlockCacheIsShared) {
  std::shared_ptr<Cache> a = DefaultBlockCache();
  std::shared_ptr<Cache> b = DefaultBlockCache();
  ASSERT_EQ(a.get(), b.get());
  ASSERT_EQ(kDefaultBlockCacheSize, a->Capacity());
}

TEST_F(LRUCacheTest, ConcurrentInsertLookupRelease) {
  cache_ = NewLRUCache(2000);  // automatic sharding
  constexpr int kThreads = 4;
  constexpr int kOps = 20000;
  std::atomic<int> bad{0};
  std::atomic<size_t> inserts{0};
  std::vector<std::thread> threads;
  const uint32_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([this, t, seed, &bad, &inserts] {
      std::mt19937 rnd(seed + t);
      std::vector<Cache::Handle*> held;
      for (int i = 0; i < kOps; i++) {
        const int k = rnd() % 3000;
        // Every value for key k is k itself, so any hit can be checked.
        if (rnd() % 3 == 0) {
          Cache::Handle* h = cache_->Insert(Key(k), Val(k), 1 + rnd() % 3, &LRUCacheTest::Deleter);
          inserts++;
          held.push_back(h);
        } else if (Cache::Handle* h = cache_->Lookup(Key(k))) {
          if (IntOf(cache_->Value(h)) != k) bad++;
          held.push_back(h);
        }
        if (rnd() % 50 == 0) cache_->Erase(Key(rnd() % 3000));
        while (held.size() > 8 || (!held.empty() && rnd() % 2 == 0)) {
          cache_->Release(held.back());
          held.pop_back();
        }
      }
      for (Cache::Handle* h : held) cache_->Release(h);
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(0, bad.load());
  ASSERT_LE(cache_->TotalCharge(), cache_->Capacity() + 64);
  cache_.reset();
  for (const auto& [key, value] : deleted_) ASSERT_EQ(Key(value), key);
  ASSERT_EQ(inserts.load(), deleted_.size());  // each entry deleted exactly once
}

}  // namespace
}  // namespace strata
