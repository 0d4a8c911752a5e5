// Tests of BlockBuilder and Block: round trips under several restart
// intervals, seeks to present and missing keys in both directions, odd keys
// (empty, long, long shared prefixes), and malformed blocks.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "table/block.h"
#include "table/block_builder.h"
#include "table_test_util.h"

namespace strata {
namespace {

using table_test::KVVector;

// Builds a block from sorted entries; the block owns a copy of its bytes.
std::unique_ptr<Block> BuildBlock(const KVVector& entries, int restart_interval,
                                  std::string* raw = nullptr) {
  BlockBuilder builder(restart_interval);
  for (const auto& [k, v] : entries) builder.Add(k, v);
  Slice contents = builder.Finish();
  if (raw != nullptr) raw->assign(contents.data(), contents.size());
  return std::make_unique<Block>(
      [&] {
        BlockContents c;
        c.owned.reset(new char[contents.size()]);
        memcpy(c.owned.get(), contents.data(), contents.size());
        c.data = Slice(c.owned.get(), contents.size());
        return c;
      }(),
      /*file_offset=*/4096);
}

std::unique_ptr<Block> BlockFromBytes(const std::string& bytes) {
  BlockContents c;
  c.owned.reset(new char[bytes.size() + 1]);
  memcpy(c.owned.get(), bytes.data(), bytes.size());
  c.data = Slice(c.owned.get(), bytes.size());
  return std::make_unique<Block>(std::move(c), 123);
}

const std::string kFileName = "000042.sst";

KVVector SortedUnique(const std::map<std::string, std::string>& m) {
  return KVVector(m.begin(), m.end());
}

// Seek targets: present keys, keys just beside them, and random keys.
std::function<std::string(Random*)> TargetsFor(const KVVector& model) {
  return [&model](Random* rnd) {
    if (model.empty() || rnd->OneIn(4)) return table_test::RandomKey(rnd, rnd->Uniform(6));
    std::string k = model[rnd->Uniform(model.size())].first;
    switch (rnd->Uniform(3)) {
      case 0:
        return k;
      case 1:
        return k + std::string(1, '\0');  // just after k
      default:
        if (!k.empty()) k.back() = static_cast<char>(k.back() - 1);  // just before, usually
        return k;
    }
  };
}

class TableBlockTest : public testing::TestWithParam<int> {};

TEST_P(TableBlockTest, EmptyBlock) {
  std::string raw;
  auto block = BuildBlock({}, GetParam(), &raw);
  EXPECT_EQ(8u, raw.size());  // restart[0] = 0, num_restarts = 1
  Block::Iter iter(BytewiseComparator(), block.get(), &kFileName);
  iter.SeekToFirst();
  EXPECT_FALSE(iter.Valid());
  iter.SeekToLast();
  EXPECT_FALSE(iter.Valid());
  iter.Seek("a");
  EXPECT_FALSE(iter.Valid());
  iter.SeekForPrev("a");
  EXPECT_FALSE(iter.Valid());
  EXPECT_TRUE(iter.status().ok());
}

TEST_P(TableBlockTest, RandomRoundTrip) {
  const uint64_t seed = table_test::Seed();
  SCOPED_TRACE("seed " + std::to_string(seed) + " (rerun with STRATA_SEED)");
  Random rnd(seed);
  for (int round = 0; round < 20; round++) {
    std::map<std::string, std::string> m;
    const int n = static_cast<int>(rnd.Skewed(10));
    for (int i = 0; i < n; i++) {
      m[table_test::RandomKey(&rnd, rnd.Uniform(12))] =
          table_test::RandomValue(&rnd, rnd.Skewed(7));
    }
    KVVector model = SortedUnique(m);
    auto block = BuildBlock(model, GetParam());
    std::unique_ptr<Iterator> iter(block->NewIterator(BytewiseComparator(), &kFileName));
    table_test::CheckScans(iter.get(), model);
    table_test::CheckIteratorAgainstModel(iter.get(), model, BytewiseComparator(), &rnd, 500,
                                          TargetsFor(model));
  }
}

TEST_P(TableBlockTest, OddKeys) {
  std::map<std::string, std::string> m;
  m[""] = "empty key";
  m[std::string(1, '\0')] = "nul";
  m[std::string(70000, 'x')] = "long key";  // varint lengths of 3 bytes
  m[std::string(70000, 'x') + "y"] = std::string(200, 'v');
  const std::string prefix(3000, 'p');
  for (int i = 0; i < 40; i++) m[prefix + std::to_string(i)] = std::to_string(i);
  m["\xff\xff"] = "";
  KVVector model = SortedUnique(m);
  auto block = BuildBlock(model, GetParam());
  std::unique_ptr<Iterator> iter(block->NewIterator(BytewiseComparator(), &kFileName));
  table_test::CheckScans(iter.get(), model);

  iter->Seek("");
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("empty key", iter->value().ToString());
  iter->SeekForPrev("");
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("", iter->key().ToString());
  iter->Seek(prefix + "35a");  // missing, between "...35" and "...36"
  ASSERT_TRUE(iter->Valid());
  EXPECT_TRUE(iter->key() == Slice(prefix + "36"));
  iter->SeekForPrev(prefix + "35a");
  ASSERT_TRUE(iter->Valid());
  EXPECT_TRUE(iter->key() == Slice(prefix + "35"));
  const std::string after_last("\xff\xff\x00", 3);
  iter->Seek(after_last);
  EXPECT_FALSE(iter->Valid());
  iter->SeekForPrev(after_last);
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("\xff\xff", iter->key().ToString());

  Random rnd(7);
  table_test::CheckIteratorAgainstModel(iter.get(), model, BytewiseComparator(), &rnd, 2000,
                                        TargetsFor(model));
}

INSTANTIATE_TEST_SUITE_P(RestartIntervals, TableBlockTest, testing::Values(1, 2, 16, 100));

TEST(TableBlockFormatTest, PrefixCompressionLayout) {
  // Interval 2: "apple" is a restart (whole key), "apply" shares 4 bytes,
  // "banana" restarts.
  std::string raw;
  BuildBlock({{"apple", "1"}, {"apply", "2"}, {"banana", "3"}}, 2, &raw);
  const std::string expected = std::string(
                                   "\x00\x05\x01"
                                   "apple1",
                                   9) +
                               std::string(
                                   "\x04\x01\x01"
                                   "y2",
                                   5) +
                               std::string(
                                   "\x00\x06\x01"
                                   "banana3",
                                   10) +
                               std::string("\x00\x00\x00\x00", 4) +  // restart 0
                               std::string("\x0e\x00\x00\x00", 4) +  // restart at 14
                               std::string("\x02\x00\x00\x00", 4);   // 2 restarts
  EXPECT_EQ(expected, raw);
}

TEST(TableBlockFormatTest, MalformedBlocksReportCorruption) {
  for (const std::string& bytes :
       {std::string(), std::string("\x01\x00", 2), std::string("\x00\x00\x00\x00", 4),
        std::string("\x05\x00\x00\x00", 4), std::string("\xff\xff\xff\xff", 4)}) {
    auto block = BlockFromBytes(bytes);
    EXPECT_FALSE(block->well_formed());
    std::unique_ptr<Iterator> iter(block->NewIterator(BytewiseComparator(), &kFileName));
    iter->SeekToFirst();
    EXPECT_FALSE(iter->Valid());
    EXPECT_TRUE(iter->status().IsCorruption());
    EXPECT_NE(std::string::npos, iter->status().ToString().find("000042.sst"));
    EXPECT_NE(std::string::npos, iter->status().ToString().find("offset 123"));
    iter->Seek("x");
    iter->SeekForPrev("x");
    iter->SeekToLast();
    EXPECT_FALSE(iter->Valid());
  }
  // An entry claiming more bytes than the block holds.
  std::string bad = std::string(
                        "\x00\x7f\x01"
                        "abc",
                        6) +
                    std::string("\x00\x00\x00\x00", 4) + std::string("\x01\x00\x00\x00", 4);
  auto block = BlockFromBytes(bad);
  std::unique_ptr<Iterator> iter(block->NewIterator(BytewiseComparator(), &kFileName));
  iter->SeekToFirst();
  EXPECT_FALSE(iter->Valid());
  EXPECT_TRUE(iter->status().IsCorruption()) << iter->status().ToString();
}

// Any bytes at all: iterating must never read outside the block (ASan
// checks) and either succeed or report Corruption.
TEST(TableBlockFormatTest, FlippedBytesNeverCrash) {
  const uint64_t seed = table_test::Seed();
  SCOPED_TRACE("seed " + std::to_string(seed) + " (rerun with STRATA_SEED)");
  Random rnd(seed);
  KVVector model;
  for (int i = 0; i < 100; i++) {
    char key[16];
    snprintf(key, sizeof(key), "key%05d", i * 7);
    model.emplace_back(key, table_test::RandomValue(&rnd, rnd.Uniform(20)));
  }
  std::string raw;
  BuildBlock(model, 4, &raw);
  int corrupt = 0;
  for (int trial = 0; trial < 2000; trial++) {
    std::string bytes = raw;
    for (int flips = 1 + rnd.Uniform(3); flips > 0; flips--) {
      bytes[rnd.Uniform(bytes.size())] ^= static_cast<char>(1 + rnd.Uniform(255));
    }
    auto block = BlockFromBytes(bytes);
    std::unique_ptr<Iterator> iter(block->NewIterator(BytewiseComparator(), &kFileName));
    int steps = 0;
    for (iter->SeekToFirst(); iter->Valid() && steps < 1000; iter->Next()) steps++;
    for (iter->SeekToLast(); iter->Valid() && steps < 2000; iter->Prev()) steps++;
    for (int i = 0; i < 10; i++) {
      iter->Seek(model[rnd.Uniform(model.size())].first);
      if (iter->Valid()) iter->Prev();
      iter->SeekForPrev(model[rnd.Uniform(model.size())].first);
      if (iter->Valid()) iter->Next();
    }
    if (!iter->status().ok()) {
      EXPECT_TRUE(iter->status().IsCorruption());
      corrupt++;
    }
  }
  EXPECT_GT(corrupt, 0);  // some flips must be caught by the decoder itself
}

}  // namespace
}  // namespace strata
