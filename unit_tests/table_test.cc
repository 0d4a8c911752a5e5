// Tests of TableBuilder and Table: random tables against a std::map model
// over a matrix of block sizes, restart intervals, mapped and unmapped
// files, with and without a cache; point lookups; range tombstones;
// properties; ApproximateOffsetOf; cache counters; corruption of every
// block kind and truncation; concurrent readers.
#include "table/table.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "table/block.h"
#include "table/filter_policy.h"
#include "table/format.h"
#include "table/table_builder.h"
#include "table_test_util.h"
#include "util/coding.h"
#include "util/hash.h"

namespace strata {
namespace {

using table_test::KVVector;
using table_test::StringSink;
using table_test::StringSource;

const char kFileName[] = "000012.sst";

struct Tombstone {
  std::string start, end;
};

// Writes a table of entries (sorted) and returns its bytes.
std::string BuildTable(const TableOptions& options, const KVVector& entries,
                       const std::vector<Tombstone>& tombstones = {},
                       const std::map<std::string, std::string>& props = {}) {
  StringSink sink;
  TableBuilder builder(options, &sink);
  for (const auto& [k, v] : entries) builder.Add(k, v);
  for (const Tombstone& t : tombstones) builder.AddRangeTombstone(t.start, t.end);
  for (const auto& [name, value] : props) builder.SetProperty(name, value);
  EXPECT_EQ(entries.size(), builder.NumEntries());
  Status s = builder.Finish();
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(sink.contents().size(), builder.FileSize());
  return sink.contents();
}

Status OpenTable(const TableOptions& options, const std::string& contents, bool mapped,
                 std::unique_ptr<Table>* table, uint64_t file_size = UINT64_MAX) {
  if (file_size == UINT64_MAX) file_size = contents.size();
  return Table::Open(options, std::make_unique<StringSource>(contents, mapped), file_size, table);
}

std::unique_ptr<Table> MustOpen(const TableOptions& options, const std::string& contents,
                                bool mapped = true) {
  std::unique_ptr<Table> table;
  Status s = OpenTable(options, contents, mapped, &table);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return table;
}

// The result of InternalGet as "key=value", "" if handle_result was not
// called, or "error: ..." on failure.
std::string Get(const Table& table, const Slice& key, const ReadOptions& ro = ReadOptions()) {
  std::string result;
  Status s = table.InternalGet(ro, key, &result, [](void* arg, const Slice& k, const Slice& v) {
    auto* r = static_cast<std::string*>(arg);
    EXPECT_TRUE(r->empty()) << "handle_result called twice";
    *r = k.ToString() + "=" + v.ToString();
  });
  if (!s.ok()) return "error: " + s.ToString();
  return result;
}

bool NamesFile(const Status& s) { return s.ToString().find(kFileName) != std::string::npos; }

KVVector RandomModel(Random* rnd, int n) {
  std::map<std::string, std::string> m;
  while (static_cast<int>(m.size()) < n) {
    std::string key = table_test::RandomKey(rnd, 1 + rnd->Uniform(20));
    m[key] = table_test::RandomValue(rnd, rnd->Skewed(8));
  }
  return KVVector(m.begin(), m.end());
}

std::function<std::string(Random*)> TargetsFor(const KVVector& model) {
  return [&model](Random* rnd) {
    if (model.empty() || rnd->OneIn(4)) return table_test::RandomKey(rnd, rnd->Uniform(8));
    std::string k = model[rnd->Uniform(model.size())].first;
    if (rnd->OneIn(3)) k.push_back('\0');
    if (rnd->OneIn(3) && !k.empty()) k.pop_back();
    return k;
  };
}

// ---- the option matrix ------------------------------------------------------

struct MatrixCase {
  size_t block_size;
  int restart_interval;
  bool mapped;
  bool cache;
  bool filter;
};

std::string CaseName(const testing::TestParamInfo<MatrixCase>& info) {
  const MatrixCase& c = info.param;
  return "Block" + std::to_string(c.block_size) + "Restart" + std::to_string(c.restart_interval) +
         (c.mapped ? "Mapped" : "Read") + (c.cache ? "Cache" : "NoCache") +
         (c.filter ? "Bloom" : "NoFilter");
}

class TableMatrixTest : public testing::TestWithParam<MatrixCase> {
 protected:
  void SetUp() override {
    const MatrixCase& c = GetParam();
    policy_ = NewBloomFilterPolicy(10);
    options_.block_size = c.block_size;
    options_.block_restart_interval = c.restart_interval;
    options_.filter_policy = c.filter ? policy_.get() : nullptr;
    options_.block_cache = c.cache ? cache_.get() : nullptr;
    options_.stats = &stats_;
    options_.file_name = kFileName;
  }

  // Large tables are scanned once (with fill_cache), small ones both ways.
  void CheckTable(const KVVector& model, Random* rnd, int random_steps) {
    std::string contents = BuildTable(options_, model);
    std::unique_ptr<Table> table = MustOpen(options_, contents, GetParam().mapped);
    ASSERT_NE(nullptr, table);
    EXPECT_EQ(model.size(), table->properties().num_entries);
    for (bool fill_cache : {true, false}) {
      if (!fill_cache && model.size() > 10000) break;
      ReadOptions ro;
      ro.fill_cache = fill_cache;
      std::unique_ptr<Iterator> iter(table->NewIterator(ro));
      table_test::CheckScans(iter.get(), model);
      table_test::CheckIteratorAgainstModel(iter.get(), model, BytewiseComparator(), rnd,
                                            random_steps, TargetsFor(model));
    }
    // Point lookups of present keys, and of absent ones (the first entry
    // >= the key, unless the filter rules the key out).
    const size_t probes = std::min<size_t>(model.size(), 3000);
    for (size_t i = 0; i < probes; i++) {
      const auto& [k, v] = model[rnd->Uniform(model.size())];
      ASSERT_EQ(k + "=" + v, Get(*table, k));
      ASSERT_TRUE(table->KeyMayMatch(k));
    }
    auto targets = TargetsFor(model);
    for (int i = 0; i < 1000; i++) {
      const std::string t = targets(rnd);
      auto it = std::lower_bound(model.begin(), model.end(), t,
                                 [](const auto& kv, const std::string& x) { return kv.first < x; });
      std::string expected;
      if (it != model.end() && table->KeyMayMatch(t)) expected = it->first + "=" + it->second;
      ASSERT_EQ(expected, Get(*table, t)) << "target " << t;
      if (it != model.end() && it->first == t) {
        ASSERT_NE("", expected);  // no false negative
      }
    }
    ASSERT_TRUE(table->Verify().ok()) << table->Verify().ToString();
  }

  std::unique_ptr<const FilterPolicy> policy_;
  // Small enough that the larger tables evict blocks while being read.
  std::shared_ptr<Cache> cache_ = NewLRUCache(256 << 10);
  TableStats stats_;
  TableOptions options_;
};

TEST_P(TableMatrixTest, SmallRandomTables) {
  const uint64_t seed = table_test::Seed();
  SCOPED_TRACE("seed " + std::to_string(seed) + " (rerun with STRATA_SEED)");
  Random rnd(seed);
  for (int n : {0, 1, 2, 1000}) {
    SCOPED_TRACE("entries " + std::to_string(n));
    CheckTable(RandomModel(&rnd, n), &rnd, 1000);
    if (HasFatalFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Options, TableMatrixTest,
    testing::Values(MatrixCase{4096, 16, true, true, true},
                    MatrixCase{4096, 16, false, false, true},
                    MatrixCase{4096, 16, true, false, false}, MatrixCase{256, 1, true, true, true},
                    MatrixCase{256, 2, false, true, false}, MatrixCase{64, 100, true, false, true},
                    MatrixCase{1, 16, false, true, true}, MatrixCase{65536, 16, true, true, true}),
    CaseName);

class TableLargeTest : public TableMatrixTest {};

TEST_P(TableLargeTest, HundredThousandEntries) {
  const uint64_t seed = table_test::Seed();
  SCOPED_TRACE("seed " + std::to_string(seed) + " (rerun with STRATA_SEED)");
  Random rnd(seed);
  CheckTable(RandomModel(&rnd, 100000), &rnd, 2000);
}

INSTANTIATE_TEST_SUITE_P(Options, TableLargeTest,
                         testing::Values(MatrixCase{4096, 16, true, true, true},
                                         MatrixCase{1024, 4, false, false, true}),
                         CaseName);

// ---- single behaviours ------------------------------------------------------

TableOptions BasicOptions() {
  TableOptions options;
  options.file_name = kFileName;
  return options;
}

TEST(TableTest, EmptyTable) {
  TableOptions options = BasicOptions();
  std::string contents = BuildTable(options, {});
  auto table = MustOpen(options, contents);
  std::unique_ptr<Iterator> iter(table->NewIterator(ReadOptions()));
  iter->SeekToFirst();
  EXPECT_FALSE(iter->Valid());
  iter->SeekForPrev("z");
  EXPECT_FALSE(iter->Valid());
  EXPECT_TRUE(iter->status().ok());
  EXPECT_EQ("", Get(*table, "a"));
  EXPECT_EQ(0u, table->ApproximateOffsetOf("a"));
  EXPECT_EQ(nullptr, table->NewRangeTombstoneIterator(ReadOptions()));
  EXPECT_EQ(0u, table->properties().num_entries);
  EXPECT_EQ(0u, table->properties().num_data_blocks);
  EXPECT_EQ("", table->properties().first_key);
  EXPECT_TRUE(table->Verify().ok());
}

TEST(TableTest, GetFindsFirstEntryOfNextBlockWhenKeyFallsInSeparatorGap) {
  TableOptions options = BasicOptions();
  options.block_size = 1;  // one entry per block
  // Block 0 ends with "abc"; its separator is "abd"; block 1 starts at "abz".
  auto table = MustOpen(options, BuildTable(options, {{"abc", "1"}, {"abz", "2"}}));
  EXPECT_EQ("abc=1", Get(*table, "abc"));
  EXPECT_EQ("abz=2", Get(*table, "abcd"));
  EXPECT_EQ("abz=2", Get(*table, "abd"));
  EXPECT_EQ("", Get(*table, "b"));
}

TEST(TableTest, OutOfOrderAddsAreRejected) {
  TableOptions options = BasicOptions();
  StringSink sink;
  TableBuilder builder(options, &sink);
  builder.Add("b", "1");
  builder.Add("b", "2");
  EXPECT_TRUE(builder.status().IsInvalidArgument());
  builder.Add("c", "3");  // ignored after the error
  EXPECT_EQ(1u, builder.NumEntries());
  EXPECT_TRUE(builder.Finish().IsInvalidArgument());

  TableBuilder builder2(options, &sink);
  builder2.AddRangeTombstone("m", "z");
  builder2.AddRangeTombstone("a", "b");
  EXPECT_TRUE(builder2.status().IsInvalidArgument());
  builder2.Abandon();

  TableBuilder builder3(options, &sink);
  builder3.SetProperty("strata.num_entries", "7");
  EXPECT_TRUE(builder3.status().IsInvalidArgument());
  builder3.Abandon();
}

TEST(TableTest, WriteErrorsAreReported) {
  TableOptions options = BasicOptions();
  options.block_size = 64;
  for (int64_t limit : {0, 100, 1000, 5000}) {
    StringSink sink;
    sink.FailAfter(limit);
    TableBuilder builder(options, &sink);
    for (int i = 0; i < 100; i++)
      builder.Add("key" + std::to_string(1000 + i), std::string(50, 'v'));
    Status s = builder.Finish();
    EXPECT_TRUE(s.IsNoSpace()) << limit << ": " << s.ToString();
    EXPECT_TRUE(builder.status().IsNoSpace());
  }
}

TEST(TableTest, RangeTombstonesRoundTrip) {
  TableOptions options = BasicOptions();
  std::vector<Tombstone> tombstones;
  for (int i = 0; i < 500; i++) {
    tombstones.push_back({"start" + std::to_string(10000 + i * 3), "end" + std::to_string(i)});
  }
  std::string contents = BuildTable(options, {{"a", "1"}, {"b", "2"}}, tombstones);
  auto table = MustOpen(options, contents);
  EXPECT_EQ(500u, table->properties().num_range_tombstones);
  std::unique_ptr<Iterator> iter(table->NewRangeTombstoneIterator(ReadOptions()));
  ASSERT_NE(nullptr, iter);
  size_t i = 0;
  for (iter->SeekToFirst(); iter->Valid(); iter->Next(), i++) {
    ASSERT_LT(i, tombstones.size());
    EXPECT_EQ(tombstones[i].start, iter->key().ToString());
    EXPECT_EQ(tombstones[i].end, iter->value().ToString());
  }
  EXPECT_TRUE(iter->status().ok());
  EXPECT_EQ(tombstones.size(), i);
  iter->SeekForPrev("start10004");
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("start10003", iter->key().ToString());
  // Point data is unaffected by the tombstones (interpreting them is the
  // DB's business).
  EXPECT_EQ("a=1", Get(*table, "a"));
  EXPECT_TRUE(table->Verify().ok());

  // A table with only tombstones.
  auto only = MustOpen(options, BuildTable(options, {}, {{"k", "m"}}));
  iter.reset(only->NewRangeTombstoneIterator(ReadOptions()));
  ASSERT_NE(nullptr, iter);
  iter->SeekToFirst();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("k", iter->key().ToString());
  EXPECT_EQ("m", iter->value().ToString());
}

TEST(TableTest, PropertiesRoundTrip) {
  auto policy = NewBloomFilterPolicy(10);
  TableOptions options = BasicOptions();
  options.filter_policy = policy.get();
  options.block_size = 100;
  KVVector model;
  uint64_t raw_keys = 0, raw_values = 0;
  for (int i = 0; i < 300; i++) {
    model.emplace_back("key" + std::to_string(100000 + i), std::string(i % 17, 'v'));
    raw_keys += model.back().first.size();
    raw_values += model.back().second.size();
  }
  std::map<std::string, std::string> user = {
      {"db.deletions", "42"}, {"db.seq", std::string("\x00\x01\xff", 3)}, {"", "empty name"}};
  std::string contents = BuildTable(options, model, {{"x", "y"}, {"y", "z"}}, user);
  auto table = MustOpen(options, contents);
  const TableProperties& p = table->properties();
  EXPECT_EQ(300u, p.num_entries);
  EXPECT_EQ(2u, p.num_range_tombstones);
  EXPECT_EQ(raw_keys, p.raw_key_size);
  EXPECT_EQ(raw_values, p.raw_value_size);
  EXPECT_EQ("key100000", p.first_key);
  EXPECT_EQ("key100299", p.last_key);
  EXPECT_EQ(BytewiseComparator()->Name(), p.comparator_name);
  EXPECT_EQ(policy->Name(), p.filter_policy_name);
  EXPECT_GT(p.num_data_blocks, 10u);
  EXPECT_GT(p.data_size, raw_values);  // keys are prefix compressed
  EXPECT_LT(p.data_size, contents.size());
  EXPECT_EQ((300 * 10 + 511) / 512 * 64 + 5 + kBlockTrailerSize, p.filter_size);
  EXPECT_GT(p.index_size, p.num_data_blocks * 4);
  EXPECT_EQ(user, p.user_properties);
  // Iteration over data is not disturbed by any of it.
  std::unique_ptr<Iterator> iter(table->NewIterator(ReadOptions()));
  table_test::CheckScans(iter.get(), model);
}

// The DB's use: internal keys (user key + 8-byte trailer), several versions
// per user key, a filter over user keys only.
Slice StripTrailer(const Slice& key) { return Slice(key.data(), key.size() - 8); }

std::string InternalKey(const std::string& user_key, uint64_t inverted_seq) {
  std::string k = user_key;
  char buf[8];
  EncodeBigEndian64(buf, inverted_seq);  // bytewise order = newest first
  k.append(buf, 8);
  return k;
}

TEST(TableTest, FilterKeyExtractorAndDuplicateFilterKeys) {
  auto policy = NewBloomFilterPolicy(10);
  TableOptions options = BasicOptions();
  options.filter_policy = policy.get();
  options.filter_key = &StripTrailer;
  options.block_size = 512;
  KVVector model;
  for (int u = 0; u < 2000; u++) {
    for (uint64_t v = 0; v < 5; v++) {
      model.emplace_back(InternalKey("user" + std::to_string(10000 + u), v), std::to_string(v));
    }
  }
  auto table = MustOpen(options, BuildTable(options, model));
  // Five versions per user key add one filter key: 2000 keys' worth of bits.
  EXPECT_EQ((2000 * 10 + 511) / 512 * 64 + 5 + kBlockTrailerSize, table->properties().filter_size);
  for (int u = 0; u < 2000; u++) {
    const std::string user = "user" + std::to_string(10000 + u);
    // Newest version first, as the DB asks with the largest sequence.
    EXPECT_EQ(InternalKey(user, 0) + "=0", Get(*table, InternalKey(user, 0)));
    EXPECT_EQ(InternalKey(user, 3) + "=3", Get(*table, InternalKey(user, 3)));
  }
  int passed = 0;
  for (int u = 0; u < 10000; u++) {
    passed += table->KeyMayMatch(InternalKey("absent" + std::to_string(u), 0));
  }
  EXPECT_LT(passed, 200);  // about 1%
  EXPECT_TRUE(table->Verify().ok());
}

TEST(TableTest, ApproximateOffsetOfIsMonotone) {
  TableOptions options = BasicOptions();
  KVVector model;
  for (int i = 0; i < 10000; i++) {
    model.emplace_back("k" + std::to_string(100000 + i), std::string(100, 'x'));
  }
  std::string contents = BuildTable(options, model);
  auto table = MustOpen(options, contents);
  EXPECT_EQ(0u, table->ApproximateOffsetOf(""));
  EXPECT_EQ(0u, table->ApproximateOffsetOf(model[0].first));
  uint64_t prev = 0;
  for (int i = 0; i < 10000; i += 37) {
    const uint64_t offset = table->ApproximateOffsetOf(model[i].first);
    EXPECT_GE(offset, prev);
    // Entries are ~110 bytes: the offset tracks the position within a block.
    EXPECT_NEAR(static_cast<double>(i) * 110, static_cast<double>(offset), 4096 + i * 10.0);
    prev = offset;
  }
  const uint64_t end = table->ApproximateOffsetOf("z");
  EXPECT_GE(end, prev);
  EXPECT_EQ(table->properties().data_size, end);
}

// 2,000 small entries in 512-byte blocks, a bloom filter, and a 64 MiB
// cache whose hits and misses go to stats: the cache tests' table.
struct CachedTableSetup {
  std::unique_ptr<const FilterPolicy> policy = NewBloomFilterPolicy(10);
  std::shared_ptr<Cache> cache = NewLRUCache(64 << 20, 0);
  TableStats stats;
  TableOptions options = BasicOptions();
  KVVector model;
  CachedTableSetup() {
    options.filter_policy = policy.get();
    options.block_cache = cache.get();
    options.stats = &stats;
    options.block_size = 512;
    for (int i = 0; i < 2000; i++) model.emplace_back("k" + std::to_string(10000 + i), "v");
  }
};

TEST(TableTest, CacheHitsMissesAndFillCache) {
  CachedTableSetup setup;
  TableOptions& options = setup.options;
  TableStats& stats = setup.stats;
  Cache* cache = setup.cache.get();
  const KVVector& model = setup.model;
  std::string contents = BuildTable(options, model);
  auto table = MustOpen(options, contents);
  const TableProperties& props = table->properties();
  const uint64_t blocks = props.num_data_blocks;
  ASSERT_GT(blocks, 10u);
  // Index and filter: inserted at open, charged, pinned by the table.
  const size_t pinned = cache->TotalCharge();
  EXPECT_EQ(
      props.index_size - kBlockTrailerSize + sizeof(Block) + props.filter_size - kBlockTrailerSize,
      pinned);
  EXPECT_EQ(4u, stats.blocks_read.load());  // metaindex, properties, index, filter
  cache->Prune();
  EXPECT_EQ(pinned, cache->TotalCharge());

  // A compaction-style scan does not fill the cache.
  ReadOptions no_fill;
  no_fill.fill_cache = false;
  {
    std::unique_ptr<Iterator> iter(table->NewIterator(no_fill));
    table_test::CheckScans(iter.get(), model);
  }
  EXPECT_EQ(pinned, cache->TotalCharge());
  EXPECT_EQ(0u, stats.block_cache_hits.load());
  EXPECT_GE(stats.block_cache_misses.load(), blocks);
  const uint64_t misses_before = stats.block_cache_misses.load();

  // A normal forward scan misses once per block, then hits.
  {
    std::unique_ptr<Iterator> iter(table->NewIterator(ReadOptions()));
    for (iter->SeekToFirst(); iter->Valid(); iter->Next()) {
    }
  }
  EXPECT_EQ(misses_before + blocks, stats.block_cache_misses.load());
  EXPECT_GT(cache->TotalCharge(), pinned + props.data_size - blocks * kBlockTrailerSize);
  {
    std::unique_ptr<Iterator> iter(table->NewIterator(ReadOptions()));
    for (iter->SeekToFirst(); iter->Valid(); iter->Next()) {
    }
  }
  EXPECT_EQ(blocks, stats.block_cache_hits.load());
  const uint64_t reads = stats.blocks_read.load();
  EXPECT_EQ("k10500=v", Get(*table, "k10500"));
  EXPECT_EQ(blocks + 1, stats.block_cache_hits.load());
  EXPECT_EQ(reads, stats.blocks_read.load());  // no file read on a hit
  // A filtered-out key costs no block at all.
  int filtered = 0;
  for (int i = 0; i < 100; i++) {
    const std::string absent = "absent" + std::to_string(i);
    if (!table->KeyMayMatch(absent)) {
      filtered++;
      EXPECT_EQ("", Get(*table, absent));
    }
  }
  EXPECT_GT(filtered, 90);
  EXPECT_EQ(blocks + 1, stats.block_cache_hits.load());
  EXPECT_EQ(reads, stats.blocks_read.load());

  // Iterators and lookups released their blocks: only the table's pins stay.
  cache->Prune();
  EXPECT_EQ(pinned, cache->TotalCharge());
  // Closing the table drops its index and filter from the cache.
  table.reset();
  EXPECT_EQ(0u, cache->TotalCharge());
}

// cache_index_and_filter_blocks = false: the table holds its index and
// filter itself; the cache gets data blocks only, and the filter still
// answers.
TEST(TableTest, IndexAndFilterOutsideTheCache) {
  CachedTableSetup setup;
  TableOptions& options = setup.options;
  Cache* cache = setup.cache.get();
  const KVVector& model = setup.model;
  options.cache_index_and_filter_blocks = false;
  for (bool mapped : {false, true}) {
    SCOPED_TRACE(mapped ? "mapped" : "read");
    std::string contents = BuildTable(options, model);
    auto table = MustOpen(options, contents, mapped);
    EXPECT_EQ(0u, cache->TotalCharge()) << "index or filter charged to the cache";
    {
      std::unique_ptr<Iterator> iter(table->NewIterator(ReadOptions()));
      table_test::CheckScans(iter.get(), model);
    }
    EXPECT_GT(cache->TotalCharge(), 0u);  // data blocks
    EXPECT_EQ("k10500=v", Get(*table, "k10500"));
    int filtered = 0;
    for (int i = 0; i < 100; i++) {
      if (!table->KeyMayMatch("absent" + std::to_string(i))) filtered++;
    }
    EXPECT_GT(filtered, 90);
    table.reset();
    cache->Prune();
    EXPECT_EQ(0u, cache->TotalCharge());
  }
}

TEST(TableTest, TablesSharingACacheDoNotCollide) {
  std::shared_ptr<Cache> cache = NewLRUCache(1 << 20);
  TableOptions options = BasicOptions();
  options.block_cache = cache.get();
  auto t1 = MustOpen(options, BuildTable(options, {{"a", "table1"}}));
  auto t2 = MustOpen(options, BuildTable(options, {{"a", "table2"}}));
  for (int i = 0; i < 3; i++) {
    EXPECT_EQ("a=table1", Get(*t1, "a"));
    EXPECT_EQ("a=table2", Get(*t2, "a"));
  }
}

TEST(TableTest, VerifyDetectsKeysOutOfOrder) {
  // Written in reverse order, read as bytewise: every block is out of order.
  class Reverse final : public Comparator {
   public:
    int Compare(const Slice& a, const Slice& b) const override { return b.compare(a); }
    const char* Name() const override { return "test.Reverse"; }
    void FindShortestSeparator(std::string*, const Slice&) const override {}
    void FindShortSuccessor(std::string*) const override {}
  } reverse;
  TableOptions options = BasicOptions();
  options.comparator = &reverse;
  std::string contents = BuildTable(options, {{"c", "1"}, {"b", "2"}, {"a", "3"}});
  TableOptions read_options = BasicOptions();
  auto table = MustOpen(read_options, contents);
  Status s = table->Verify();
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_TRUE(NamesFile(s)) << s.ToString();
  EXPECT_NE(std::string::npos, s.ToString().find("at offset 0")) << s.ToString();
  EXPECT_EQ("test.Reverse", table->properties().comparator_name);
}

TEST(TableTest, RealFileThroughEnv) {
  Env* env = Env::Default();
  const char* tmp = getenv("TEST_TMPDIR");
  const std::string fname =
      std::string(tmp ? tmp : "/tmp") + "/strata_table_test_" + std::to_string(getpid()) + ".sst";
  auto policy = NewBloomFilterPolicy(10);
  std::shared_ptr<Cache> cache = NewLRUCache(1 << 20);
  TableOptions options = BasicOptions();
  options.filter_policy = policy.get();
  options.block_cache = cache.get();
  KVVector model;
  for (int i = 0; i < 5000; i++) model.emplace_back("key" + std::to_string(10000 + i), "v");
  {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(env->NewWritableFile(fname, WritableFileOptions(), &file).ok());
    TableBuilder builder(options, file.get());
    for (const auto& [k, v] : model) builder.Add(k, v);
    ASSERT_TRUE(builder.Finish().ok());
    ASSERT_TRUE(file->Sync().ok());
    ASSERT_TRUE(file->Close().ok());
  }
  uint64_t size = 0;
  ASSERT_TRUE(env->GetFileSize(fname, &size).ok());
  std::unique_ptr<RandomAccessFile> file;
  ASSERT_TRUE(env->NewRandomAccessFile(fname, &file).ok());
  std::unique_ptr<Table> table;
  ASSERT_TRUE(Table::Open(options, std::move(file), size, &table).ok());
  std::unique_ptr<Iterator> iter(table->NewIterator(ReadOptions()));
  table_test::CheckScans(iter.get(), model);
  iter.reset();
  EXPECT_EQ("key12345=v", Get(*table, "key12345"));
  EXPECT_TRUE(table->Verify().ok());
  table.reset();
  env->RemoveFile(fname);
}

TEST(TableTest, ConcurrentReaders) {
  auto policy = NewBloomFilterPolicy(10);
  std::shared_ptr<Cache> cache = NewLRUCache(1 << 20);
  TableStats stats;
  TableOptions options = BasicOptions();
  options.filter_policy = policy.get();
  options.block_cache = cache.get();
  options.stats = &stats;
  options.block_size = 512;
  KVVector model;
  for (int i = 0; i < 5000; i++) {
    model.emplace_back("key" + std::to_string(10000 + i), std::to_string(i));
  }
  auto table = MustOpen(options, BuildTable(options, model));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&, t] {
      Random rnd(t + 1);
      ReadOptions ro;
      ro.fill_cache = t % 2 == 0;
      for (int i = 0; i < 2000; i++) {
        const auto& [k, v] = model[rnd.Uniform(model.size())];
        EXPECT_EQ(k + "=" + v, Get(*table, k, ro));
      }
      std::unique_ptr<Iterator> iter(table->NewIterator(ro));
      size_t n = 0;
      for (iter->SeekToLast(); iter->Valid(); iter->Prev()) n++;
      EXPECT_EQ(model.size(), n);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_GT(stats.block_cache_hits.load(), 0u);
}

// ---- corruption -------------------------------------------------------------

// Where each block of a table lies, found by decoding it independently of
// Table.
struct Layout {
  std::vector<BlockHandle> data;
  BlockHandle index, metaindex, filter, properties, tombstones;
  uint64_t footer = 0;
};

Layout ParseLayout(const std::string& contents) {
  Layout layout;
  layout.footer = contents.size() - Footer::kEncodedLength;
  Footer footer;
  EXPECT_TRUE(
      footer.DecodeFrom(Slice(contents.data() + layout.footer, Footer::kEncodedLength)).ok());
  layout.index = footer.index_handle();
  layout.metaindex = footer.metaindex_handle();
  auto read_block = [&](const BlockHandle& h) {
    BlockContents c;
    c.data = Slice(contents.data() + h.offset(), h.size());
    return std::make_unique<Block>(std::move(c), h.offset());
  };
  std::string name = kFileName;
  auto metaindex = read_block(layout.metaindex);
  Block::Iter it(BytewiseComparator(), metaindex.get(), &name);
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    BlockHandle h;
    Slice v = it.value();
    EXPECT_TRUE(h.DecodeFrom(&v));
    if (it.key().starts_with(kFilterBlockPrefix)) layout.filter = h;
    if (it.key() == Slice(kPropertiesBlockName)) layout.properties = h;
    if (it.key() == Slice(kRangeTombstoneBlockName)) layout.tombstones = h;
  }
  auto index = read_block(layout.index);
  Block::Iter ii(BytewiseComparator(), index.get(), &name);
  for (ii.SeekToFirst(); ii.Valid(); ii.Next()) {
    BlockHandle h;
    Slice v = ii.value();
    EXPECT_TRUE(h.DecodeFrom(&v));
    layout.data.push_back(h);
  }
  return layout;
}

// Everything a reader may do with the damaged table. Each step must either
// succeed with exactly the model's data or fail with Corruption naming the
// file. Returns true if some step reported the damage.
bool ExerciseDamagedTable(const TableOptions& options, const std::string& contents,
                          const KVVector& model, bool mapped, uint64_t file_size = UINT64_MAX) {
  std::unique_ptr<Table> table;
  Status s = OpenTable(options, contents, mapped, &table, file_size);
  if (!s.ok()) {
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
    EXPECT_TRUE(NamesFile(s)) << s.ToString();
    return true;
  }
  bool detected = false;
  auto check_error = [&](const Status& st) {
    if (st.ok()) return;
    EXPECT_TRUE(st.IsCorruption()) << st.ToString();
    EXPECT_TRUE(NamesFile(st)) << st.ToString();
    detected = true;
  };
  {
    std::unique_ptr<Iterator> iter(table->NewIterator(ReadOptions()));
    size_t i = 0;
    for (iter->SeekToFirst(); iter->Valid(); iter->Next(), i++) {
      // Entries come out in order; a block that fails stops the scan.
      EXPECT_LT(i, model.size());
      if (i >= model.size()) break;
      EXPECT_EQ(model[i].first, iter->key().ToString());
      EXPECT_EQ(model[i].second, iter->value().ToString());
    }
    check_error(iter->status());
    if (iter->status().ok()) {
      EXPECT_EQ(model.size(), i);
    }
  }
  for (const auto& [k, v] : model) {
    std::string result;
    Status st = table->InternalGet(
        ReadOptions(), k, &result, [](void* arg, const Slice& key, const Slice& value) {
          *static_cast<std::string*>(arg) = key.ToString() + "=" + value.ToString();
        });
    check_error(st);
    // Never a wrong value; "" only if the filter (or the error) said so.
    if (st.ok() && !result.empty()) {
      EXPECT_EQ(k + "=" + v, result);
    }
  }
  Status verify = table->Verify();
  check_error(verify);
  return detected;
}

class TableCorruptionTest : public testing::TestWithParam<bool> {};

TEST_P(TableCorruptionTest, FlippedByteInEveryBlockKindIsDetected) {
  const bool mapped = GetParam();
  const uint64_t seed = table_test::Seed();
  SCOPED_TRACE("seed " + std::to_string(seed) + " (rerun with STRATA_SEED)");
  Random rnd(seed);
  auto policy = NewBloomFilterPolicy(10);
  std::shared_ptr<Cache> cache = NewLRUCache(1 << 20);
  TableOptions options = BasicOptions();
  options.filter_policy = policy.get();
  options.block_size = 256;
  options.block_cache = cache.get();
  KVVector model = RandomModel(&rnd, 300);
  std::string good =
      BuildTable(options, model, {{"r1", "r2"}, {"r3", "r4"}}, {{"user.prop", "value"}});
  Layout layout = ParseLayout(good);
  ASSERT_GT(layout.data.size(), 5u);
  struct Region {
    const char* kind;
    uint64_t offset, size;
  };
  const BlockHandle& some_data = layout.data[rnd.Uniform(layout.data.size())];
  const std::vector<Region> regions = {
      {"data", some_data.offset(), some_data.size() + kBlockTrailerSize},
      {"index", layout.index.offset(), layout.index.size() + kBlockTrailerSize},
      {"filter", layout.filter.offset(), layout.filter.size() + kBlockTrailerSize},
      {"properties", layout.properties.offset(), layout.properties.size() + kBlockTrailerSize},
      {"metaindex", layout.metaindex.offset(), layout.metaindex.size() + kBlockTrailerSize},
      {"tombstones", layout.tombstones.offset(), layout.tombstones.size() + kBlockTrailerSize},
      {"footer", layout.footer, Footer::kEncodedLength},
  };
  for (const Region& region : regions) {
    for (int trial = 0; trial < 12; trial++) {
      // The first and last bytes (trailer / magic) and random ones between.
      uint64_t pos = region.offset + (trial == 0   ? 0
                                      : trial == 1 ? region.size - 1
                                                   : rnd.Uniform(region.size));
      std::string damaged = good;
      damaged[pos] ^= static_cast<char>(1 << rnd.Uniform(8));
      SCOPED_TRACE(std::string(region.kind) + " byte at offset " + std::to_string(pos));
      EXPECT_TRUE(ExerciseDamagedTable(options, damaged, model, mapped));
      cache->Prune();
      if (HasFailure()) return;
    }
  }
}

TEST_P(TableCorruptionTest, UncheckedReadsOfDamagedDataNeverCrash) {
  const bool mapped = GetParam();
  Random rnd(301);
  TableOptions options = BasicOptions();
  options.block_size = 256;
  KVVector model = RandomModel(&rnd, 300);
  std::string good = BuildTable(options, model);
  Layout layout = ParseLayout(good);
  ReadOptions unchecked;
  unchecked.verify_checksums = false;
  for (int trial = 0; trial < 200; trial++) {
    std::string damaged = good;
    const BlockHandle& h = layout.data[rnd.Uniform(layout.data.size())];
    for (int i = 0; i < 3; i++) damaged[h.offset() + rnd.Uniform(h.size())] ^= 1 + rnd.Uniform(255);
    auto table = MustOpen(options, damaged, mapped);
    std::unique_ptr<Iterator> iter(table->NewIterator(unchecked));
    int steps = 0;
    for (iter->SeekToFirst(); iter->Valid() && steps < 10000; iter->Next()) steps++;
    for (iter->SeekToLast(); iter->Valid() && steps < 20000; iter->Prev()) steps++;
    for (int i = 0; i < 20; i++) Get(*table, model[rnd.Uniform(model.size())].first, unchecked);
    EXPECT_TRUE(table->Verify().IsCorruption());  // Verify always checks
  }
}

TEST_P(TableCorruptionTest, TruncatedFilesAreCorruption) {
  const bool mapped = GetParam();
  auto policy = NewBloomFilterPolicy(10);
  TableOptions options = BasicOptions();
  options.filter_policy = policy.get();
  options.block_size = 256;
  Random rnd(17);
  KVVector model = RandomModel(&rnd, 200);
  std::string good = BuildTable(options, model);
  std::set<uint64_t> lengths = {0,
                                1,
                                8,
                                Footer::kEncodedLength - 1,
                                Footer::kEncodedLength,
                                good.size() / 2,
                                good.size() - Footer::kEncodedLength,
                                good.size() - 8,
                                good.size() - 1};
  for (int i = 0; i < 20; i++) lengths.insert(rnd.Uniform(good.size()));
  for (uint64_t length : lengths) {
    SCOPED_TRACE("truncated to " + std::to_string(length));
    const std::string cut = good.substr(0, length);
    std::unique_ptr<Table> table;
    // Opened with its new size, and with the size the manifest remembers.
    Status s = OpenTable(options, cut, mapped, &table);
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
    EXPECT_TRUE(NamesFile(s)) << s.ToString();
    s = OpenTable(options, cut, mapped, &table, good.size());
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
    EXPECT_TRUE(NamesFile(s)) << s.ToString();
  }
}

TEST_P(TableCorruptionTest, ForgedFootersAreCorruption) {
  const bool mapped = GetParam();
  TableOptions options = BasicOptions();
  std::string good = BuildTable(options, {{"a", "1"}});
  const std::string body = good.substr(0, good.size() - Footer::kEncodedLength);
  const std::vector<std::pair<BlockHandle, BlockHandle>> forged = {
      {BlockHandle(0, 1ull << 62), BlockHandle(0, 10)},              // giant metaindex
      {BlockHandle(~0ull - 3, 10), BlockHandle(0, 10)},              // offset overflow
      {BlockHandle(0, body.size()), BlockHandle(0, 10)},             // trailer past the end
      {BlockHandle(0, 0), BlockHandle(0, 0)},                        // checksum of nothing
      {BlockHandle(3, 5), BlockHandle(body.size() - 5, 1ull << 40)}  // bad index only
  };
  for (const auto& [meta, index] : forged) {
    Footer footer;
    footer.set_metaindex_handle(meta);
    footer.set_index_handle(index);
    std::string contents = body;
    footer.EncodeTo(&contents);
    std::unique_ptr<Table> table;
    Status s = OpenTable(options, contents, mapped, &table);
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
    EXPECT_TRUE(NamesFile(s)) << s.ToString();
  }
  // Bad magic, bad version (with a matching checksum), garbage.
  std::string contents = good;
  contents.back() ^= 1;
  std::unique_ptr<Table> table;
  Status s = OpenTable(options, contents, mapped, &table);
  EXPECT_NE(std::string::npos, s.ToString().find("magic")) << s.ToString();
  contents = good;
  const size_t footer = good.size() - Footer::kEncodedLength;
  EncodeFixed32(&contents[footer + Footer::kHandlesLength], 2);
  EncodeFixed32(&contents[footer + Footer::kHandlesLength + 4],
                Checksum32(contents.data() + footer, Footer::kHandlesLength + 4));
  s = OpenTable(options, contents, mapped, &table);
  EXPECT_NE(std::string::npos, s.ToString().find("version 2")) << s.ToString();
  EXPECT_TRUE(NamesFile(s));
  s = OpenTable(options, std::string(4096, '\0'), mapped, &table);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_TRUE(NamesFile(s));
}

TEST_P(TableCorruptionTest, ChecksumMessageNamesFileOffsetAndSize) {
  const bool mapped = GetParam();
  TableOptions options = BasicOptions();
  options.block_size = 128;
  KVVector model;
  for (int i = 0; i < 100; i++) model.emplace_back("key" + std::to_string(1000 + i), "value");
  std::string good = BuildTable(options, model);
  Layout layout = ParseLayout(good);
  const BlockHandle& h = layout.data[2];
  std::string damaged = good;
  damaged[h.offset() + 3] ^= 0x10;
  auto table = MustOpen(options, damaged, mapped);
  Status s = table->Verify();
  EXPECT_EQ("Corruption: 000012.sst: block checksum mismatch at offset " +
                std::to_string(h.offset()) + " (size " + std::to_string(h.size()) + ")",
            s.ToString());
  // Unchecked reads skip the checksum.
  ReadOptions unchecked;
  unchecked.verify_checksums = false;
  std::unique_ptr<Iterator> iter(table->NewIterator(unchecked));
  iter->SeekToFirst();
  EXPECT_TRUE(iter->Valid());
}

INSTANTIATE_TEST_SUITE_P(Files, TableCorruptionTest, testing::Values(true, false),
                         [](const testing::TestParamInfo<bool>& info) {
                           return info.param ? "Mapped" : "Read";
                         });

}  // namespace
}  // namespace strata
