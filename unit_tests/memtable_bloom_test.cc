// The memtable's bloom filter (engine/db/memtable_bloom.h): no false negatives, a false
// positive rate that follows its size, readers racing the writer, and the point reads of the
// DB that consult it (deletions and range tombstones in the memtable still hide older values;
// the option's bounds).
#include "db/memtable_bloom.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "strata/db.h"
#include "unit_tests/publish_race.h"
#include "unit_tests/test_util.h"

namespace strata {
namespace {

std::string Key(uint64_t i) { return test::SpreadKey(i); }

TEST(MemTableBloomTest, EveryAddedKeyMayBeThere) {
  MemTableBloom bloom(200000 * 10 / 8);  // 10 bits a key
  for (uint64_t i = 0; i < 200000; i++) bloom.Add(Key(i));
  for (uint64_t i = 0; i < 200000; i++) ASSERT_TRUE(bloom.MayContain(Key(i))) << i;
  EXPECT_TRUE(bloom.MayContain(Key(0)));
}

double FalsePositiveRate(size_t bits_per_key) {
  const uint64_t n = 100000;
  MemTableBloom bloom(n * bits_per_key / 8);
  for (uint64_t i = 0; i < n; i++) bloom.Add(Key(i));
  uint64_t positives = 0;
  for (uint64_t i = n; i < 3 * n; i++) positives += bloom.MayContain(Key(i)) ? 1 : 0;
  return static_cast<double>(positives) / static_cast<double>(2 * n);
}

TEST(MemTableBloomTest, FalsePositivesFollowTheSize) {
  const double at10 = FalsePositiveRate(10);
  const double at25 = FalsePositiveRate(25);
  EXPECT_LT(at10, 0.03);
  EXPECT_GT(at10, 0.001);  // a real filter at this size lets some through
  EXPECT_LT(at25, 0.003);
  EXPECT_LT(at25, at10);
  // One block: nearly everything passes, and nothing breaks.
  MemTableBloom one(1);
  EXPECT_EQ(64u, one.MemoryUsage());
  for (uint64_t i = 0; i < 1000; i++) one.Add(Key(i));
  for (uint64_t i = 0; i < 1000; i++) ASSERT_TRUE(one.MayContain(Key(i)));
}

// Resident memory, from /proc/self/statm, in bytes.
size_t ResidentBytes() {
  FILE* f = fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0, resident = 0;
  const int n = fscanf(f, "%lu %lu", &size, &resident);
  fclose(f);
  return n == 2 ? resident * static_cast<size_t>(sysconf(_SC_PAGESIZE)) : 0;
}

// A filter costs memory only where keys set bits: 40 filters of 4 MiB with a few keys each
// (a store's many small tables, each with a memtable) stay far below their 160 MiB.
TEST(MemTableBloomTest, UntouchedFilterCostsNoMemory) {
  const size_t before = ResidentBytes();
  ASSERT_GT(before, 0u);
  std::vector<std::unique_ptr<MemTableBloom>> blooms;
  for (int i = 0; i < 40; i++) {
    blooms.push_back(std::make_unique<MemTableBloom>(4 << 20));
    for (uint64_t k = 0; k < 10; k++) blooms.back()->Add(Key(k));
  }
  for (const auto& b : blooms) EXPECT_TRUE(b->MayContain(Key(3)));
  const size_t after = ResidentBytes();
  EXPECT_LT(after - std::min(after, before), size_t{16} << 20)
      << "resident " << before << " -> " << after;
}

// A writer adds keys and publishes how many with a release store; readers acquire the count
// and must find every key below it (the memtable publishes entries, and the DB sequence
// numbers, the same way).
TEST(MemTableBloomTest, ReadersFindEveryPublishedKey) {
  const uint64_t n = 100000;
  MemTableBloom bloom(n * 10 / 8);
  EXPECT_EQ(0u, test::CountMissesWhilePublishing(
                    n, [&](uint64_t i) { bloom.Add(Key(i)); },
                    [&](uint64_t k) { return bloom.MayContain(Key(k)); }));
}

class MemTableBloomDBTest : public testing::Test {
 protected:
  void Open() {
    db_.reset();
    ASSERT_TRUE(DB::Open(options_, dir_.path(), &db_).ok());
  }
  std::string Get(const std::string& k) {
    std::string v;
    Status s = db_->Get(ReadOptions(), k, &v);
    return s.ok() ? v : s.IsNotFound() ? "NOT_FOUND" : s.ToString();
  }
  test::ScratchDir dir_{"memtable-bloom"};
  Options options_;
  std::unique_ptr<DB> db_;
};

TEST_F(MemTableBloomDBTest, RatioOutOfBoundsIsRefused) {
  for (double bad : {-0.1, 0.26, 1.0}) {
    options_.memtable_bloom_size_ratio = bad;
    Status s = DB::Open(options_, dir_.path(), &db_);
    EXPECT_TRUE(s.IsInvalidArgument()) << bad << ": " << s.ToString();
    EXPECT_NE(std::string::npos, s.ToString().find("memtable_bloom_size_ratio")) << s.ToString();
  }
}

// Keys the memtable does not hold read through to the tables; deletions and range tombstones
// in the memtable still hide the tables' values; with the filter on and off alike.
TEST_F(MemTableBloomDBTest, PointReadsThroughTheMemtable) {
  for (double ratio : {0.02, 0.0}) {
    SCOPED_TRACE(ratio);
    options_.memtable_bloom_size_ratio = ratio;
    db_.reset();
    ASSERT_TRUE(DestroyDB(dir_.path(), options_).ok());
    Open();
    WriteOptions wo;
    for (int i = 0; i < 1000; i++) ASSERT_TRUE(db_->Put(wo, Key(i), "table" + Key(i)).ok());
    ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
    for (int i = 1000; i < 2000; i++) ASSERT_TRUE(db_->Put(wo, Key(i), "mem" + Key(i)).ok());
    ASSERT_TRUE(db_->Delete(wo, Key(5)).ok());
    ASSERT_TRUE(db_->Put(wo, Key(6), "newer").ok());
    // ["key79203", "key87122"): Key(10), and other keys of the range, left unchecked.
    ASSERT_TRUE(db_->DeleteRange(wo, Key(10), Key(11)).ok());
    EXPECT_EQ("table" + Key(4), Get(Key(4)));
    EXPECT_EQ("NOT_FOUND", Get(Key(5)));
    EXPECT_EQ("newer", Get(Key(6)));
    EXPECT_EQ("NOT_FOUND", Get(Key(10)));
    EXPECT_EQ("mem" + Key(1500), Get(Key(1500)));
    EXPECT_EQ("NOT_FOUND", Get(Key(5000)));
    std::vector<std::string> values;
    std::vector<Status> st = db_->MultiGet(ReadOptions(), {Key(4), Key(5), Key(1500)}, &values);
    EXPECT_TRUE(st[0].ok());
    EXPECT_TRUE(st[1].IsNotFound());
    EXPECT_EQ("mem" + Key(1500), values[2]);
  }
}

}  // namespace
}  // namespace strata
