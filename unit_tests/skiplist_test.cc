// SkipList: ordering, iteration both ways, the append fast path, and
// lock-free readers running while a writer inserts.
#include "db/skiplist.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "unit_tests/test_util.h"
#include "util/coding.h"
#include "util/random.h"

namespace strata {

namespace {

// Keys are 8-byte big-endian numbers: memcmp order is numeric order.
struct U64Comparator {
  int operator()(const char* a, const char* b) const { return memcmp(a, b, 8); }
};
using List = SkipList<U64Comparator>;

void InsertKey(List* list, uint64_t k) {
  char* p = list->AllocateKey(8);
  EncodeBigEndian64(p, k);
  list->Insert(p);
}
uint64_t KeyOf(const char* p) { return DecodeBigEndian64(p); }
std::string Enc(uint64_t k) {
  char buf[8];
  EncodeBigEndian64(buf, k);
  return std::string(buf, 8);
}

}  // namespace

TEST(SkipListTest, Empty) {
  Arena arena;
  List list(U64Comparator(), &arena);
  EXPECT_FALSE(list.Contains(Enc(10).data()));
  List::Iterator iter(&list);
  iter.SeekToFirst();
  EXPECT_FALSE(iter.Valid());
  iter.Seek(Enc(100).data());
  EXPECT_FALSE(iter.Valid());
  iter.SeekToLast();
  EXPECT_FALSE(iter.Valid());
  iter.SeekForPrev(Enc(100).data());
  EXPECT_FALSE(iter.Valid());
}

TEST(SkipListTest, RandomInsertAndLookup) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed=" + std::to_string(seed));
  Random rnd(seed);
  Arena arena;
  List list(U64Comparator(), &arena);
  std::set<uint64_t> model;
  for (int i = 0; i < 5000; i++) {
    uint64_t k = rnd.Uniform(20000);
    if (model.insert(k).second) InsertKey(&list, k);
  }
  EXPECT_EQ(model.size(), list.Count());
  for (uint64_t k = 0; k < 20000; k++) {
    ASSERT_EQ(model.count(k) > 0, list.Contains(Enc(k).data())) << k;
  }
  // Forward and backward full scans.
  List::Iterator iter(&list);
  iter.SeekToFirst();
  for (uint64_t k : model) {
    ASSERT_TRUE(iter.Valid());
    ASSERT_EQ(k, KeyOf(iter.key()));
    iter.Next();
  }
  EXPECT_FALSE(iter.Valid());
  iter.SeekToLast();
  for (auto it = model.rbegin(); it != model.rend(); ++it) {
    ASSERT_TRUE(iter.Valid());
    ASSERT_EQ(*it, KeyOf(iter.key()));
    iter.Prev();
  }
  EXPECT_FALSE(iter.Valid());
  // Seek and SeekForPrev to arbitrary targets.
  for (int i = 0; i < 2000; i++) {
    uint64_t target = rnd.Uniform(21000);
    iter.Seek(Enc(target).data());
    auto lb = model.lower_bound(target);
    if (lb == model.end()) {
      ASSERT_FALSE(iter.Valid());
    } else {
      ASSERT_TRUE(iter.Valid());
      ASSERT_EQ(*lb, KeyOf(iter.key()));
    }
    iter.SeekForPrev(Enc(target).data());
    auto ub = model.upper_bound(target);
    if (ub == model.begin()) {
      ASSERT_FALSE(iter.Valid());
    } else {
      ASSERT_TRUE(iter.Valid());
      ASSERT_EQ(*std::prev(ub), KeyOf(iter.key()));
    }
  }
}

TEST(SkipListTest, AscendingAppendsThenRandomInserts) {
  // Appends take the fast path; mixing in random inserts afterwards must
  // keep the list consistent.
  Arena arena;
  List list(U64Comparator(), &arena);
  std::set<uint64_t> model;
  for (uint64_t k = 0; k < 3000; k += 2) {
    InsertKey(&list, k);
    model.insert(k);
  }
  Random rnd(7);
  for (int i = 0; i < 3000; i++) {
    uint64_t k = rnd.Uniform(6000);
    if (model.insert(k).second) InsertKey(&list, k);
    if (i % 100 == 0) {
      uint64_t big = 100000 + i;  // an append again
      model.insert(big);
      InsertKey(&list, big);
    }
  }
  List::Iterator iter(&list);
  iter.SeekToFirst();
  for (uint64_t k : model) {
    ASSERT_TRUE(iter.Valid());
    ASSERT_EQ(k, KeyOf(iter.key()));
    iter.Next();
  }
  ASSERT_FALSE(iter.Valid());
  // Backwards, through the level-0 back links.
  iter.SeekToLast();
  for (auto it = model.rbegin(); it != model.rend(); ++it) {
    ASSERT_TRUE(iter.Valid());
    ASSERT_EQ(*it, KeyOf(iter.key()));
    iter.Prev();
  }
  ASSERT_FALSE(iter.Valid());
}

// Readers run while the writer inserts ascending and random keys; every
// reader scan, forward or backward, must be sorted and must contain every
// key that was inserted before the scan started.
TEST(SkipListTest, ConcurrentReadersWhileWriting) {
  Arena arena;
  List list(U64Comparator(), &arena);
  constexpr int kKeys = 20000;
  std::atomic<int> published{0};  // keys [0, published) of `order` are in
  std::atomic<bool> done{false};
  std::vector<uint64_t> order;
  Random rnd(42);
  std::set<uint64_t> seen;
  while (order.size() < kKeys) {
    // Ascending odd keys (appends) mixed with random even ones.
    uint64_t k = order.size() % 3 == 0 ? order.size() * 2000 + 1 : rnd.Uniform(kKeys * 1000) * 2;
    if (seen.insert(k).second) order.push_back(k);
  }
  std::atomic<int> failures{0};
  auto reader = [&] {
    while (!done.load(std::memory_order_acquire)) {
      const int n = published.load(std::memory_order_acquire);
      std::set<uint64_t> expected(order.begin(), order.begin() + n);
      List::Iterator iter(&list);
      uint64_t prev = 0;
      bool first = true;
      size_t found = 0;
      const bool backward = n % 2 == 1;
      if (backward) {
        iter.SeekToLast();
      } else {
        iter.SeekToFirst();
      }
      for (; iter.Valid(); backward ? iter.Prev() : iter.Next()) {
        uint64_t k = KeyOf(iter.key());
        if (!first && (backward ? k >= prev : k <= prev)) failures++;
        if (expected.count(k)) found++;
        prev = k;
        first = false;
      }
      if (found != expected.size()) failures++;
    }
  };
  std::thread r1(reader), r2(reader);
  for (int i = 0; i < kKeys; i++) {
    InsertKey(&list, order[i]);
    published.store(i + 1, std::memory_order_release);
  }
  done.store(true, std::memory_order_release);
  r1.join();
  r2.join();
  EXPECT_EQ(0, failures.load());
  EXPECT_EQ(static_cast<uint64_t>(kKeys), list.Count());
}

}  // namespace strata
