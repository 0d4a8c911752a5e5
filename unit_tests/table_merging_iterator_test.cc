// Tests of NewMergingIterator: random children (with keys repeated across
// and within children) against a model in both directions with direction
// switches and seeks; tie order; error propagation; merging table
// iterators.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "table/merging_iterator.h"
#include "table/table.h"
#include "table/table_builder.h"
#include "table_test_util.h"

namespace strata {
namespace {

using table_test::KVVector;

// An iterator over a sorted vector (equal keys allowed). After fail_after
// moves it stops with a Corruption status, if fail_after >= 0.
class VectorIterator final : public Iterator {
 public:
  explicit VectorIterator(KVVector entries, int fail_after = -1)
      : entries_(std::move(entries)), fail_after_(fail_after) {}

  bool Valid() const override { return pos_ >= 0 && pos_ < Size(); }
  void SeekToFirst() override { Move(0); }
  void SeekToLast() override { Move(Size() - 1); }
  void Seek(const Slice& target) override {
    auto it = std::lower_bound(
        entries_.begin(), entries_.end(), target,
        [](const auto& kv, const Slice& t) { return Slice(kv.first).compare(t) < 0; });
    Move(static_cast<int>(it - entries_.begin()));
  }
  void SeekForPrev(const Slice& target) override {
    auto it = std::upper_bound(
        entries_.begin(), entries_.end(), target,
        [](const Slice& t, const auto& kv) { return t.compare(Slice(kv.first)) < 0; });
    Move(static_cast<int>(it - entries_.begin()) - 1);
  }
  void Next() override {
    assert(Valid());
    Move(pos_ + 1);
  }
  void Prev() override {
    assert(Valid());
    Move(pos_ - 1);
  }
  Slice key() const override { return entries_[pos_].first; }
  Slice value() const override { return entries_[pos_].second; }
  Status status() const override { return status_; }

 private:
  int Size() const { return static_cast<int>(entries_.size()); }
  void Move(int pos) {
    if (!status_.ok()) return;  // a failed iterator stays failed
    if (fail_after_ >= 0 && moves_++ >= fail_after_) {
      status_ = Status::Corruption("child failed");
      pos_ = -1;
      return;
    }
    pos_ = pos;
  }

  const KVVector entries_;
  const int fail_after_;
  int moves_ = 0;
  int pos_ = -1;
  Status status_;
};

// Children with random keys from a small space (so keys repeat across and
// within children); values name the child and the position.
struct RandomMerge {
  std::vector<KVVector> children;
  KVVector model;  // stable order: (key, child index, position in child)
};

RandomMerge MakeRandomMerge(Random* rnd, int num_children, bool duplicates_within) {
  RandomMerge m;
  struct Tagged {
    std::string key, value;
    int child, pos;
  };
  std::vector<Tagged> all;
  for (int c = 0; c < num_children; c++) {
    std::vector<std::string> keys;
    const int n = static_cast<int>(rnd->Skewed(7));
    for (int i = 0; i < n; i++) keys.push_back(table_test::RandomKey(rnd, 1 + rnd->Uniform(3)));
    std::sort(keys.begin(), keys.end());
    if (!duplicates_within) keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    KVVector child;
    for (size_t i = 0; i < keys.size(); i++) {
      std::string value = "c" + std::to_string(c) + "p" + std::to_string(i);
      child.emplace_back(keys[i], value);
      all.push_back({keys[i], value, c, static_cast<int>(i)});
    }
    m.children.push_back(std::move(child));
  }
  std::sort(all.begin(), all.end(), [](const Tagged& a, const Tagged& b) {
    if (a.key != b.key) return a.key < b.key;
    if (a.child != b.child) return a.child < b.child;
    return a.pos < b.pos;
  });
  for (const Tagged& t : all) m.model.emplace_back(t.key, t.value);
  return m;
}

Iterator* NewMerge(const std::vector<KVVector>& children) {
  std::vector<Iterator*> iters;
  for (const KVVector& c : children) iters.push_back(new VectorIterator(c));
  return NewMergingIterator(BytewiseComparator(), iters.data(), static_cast<int>(iters.size()));
}

std::function<std::string(Random*)> Targets() {
  return [](Random* rnd) { return table_test::RandomKey(rnd, rnd->Uniform(4)); };
}

TEST(TableMergingIteratorTest, NoChildrenAndOneChild) {
  std::unique_ptr<Iterator> empty(NewMerge({}));
  empty->SeekToFirst();
  EXPECT_FALSE(empty->Valid());
  EXPECT_TRUE(empty->status().ok());
  std::unique_ptr<Iterator> one(NewMerge({{{"a", "1"}, {"b", "2"}}}));
  table_test::CheckScans(one.get(), {{"a", "1"}, {"b", "2"}});
}

TEST(TableMergingIteratorTest, TiesFollowChildOrderBothWays) {
  std::unique_ptr<Iterator> iter(
      NewMerge({{{"k", "newest"}, {"m", "0"}}, {{"k", "middle"}}, {{"a", "x"}, {"k", "oldest"}}}));
  const KVVector expected = {
      {"a", "x"}, {"k", "newest"}, {"k", "middle"}, {"k", "oldest"}, {"m", "0"}};
  table_test::CheckScans(iter.get(), expected);
  iter->Seek("k");
  EXPECT_EQ("newest", iter->value().ToString());
  iter->SeekForPrev("k");
  EXPECT_EQ("oldest", iter->value().ToString());
  // Switch direction in the middle of the tie.
  iter->Seek("k");
  iter->Next();
  EXPECT_EQ("middle", iter->value().ToString());
  iter->Prev();
  EXPECT_EQ("newest", iter->value().ToString());
  iter->Next();
  iter->Next();
  EXPECT_EQ("oldest", iter->value().ToString());
  iter->Prev();
  EXPECT_EQ("middle", iter->value().ToString());
  iter->Next();
  EXPECT_EQ("oldest", iter->value().ToString());
  iter->Next();
  EXPECT_EQ("m", iter->key().ToString());
}

class TableMergingIteratorRandomTest : public testing::TestWithParam<bool> {};

TEST_P(TableMergingIteratorRandomTest, MatchesModel) {
  const uint64_t seed = table_test::Seed();
  SCOPED_TRACE("seed " + std::to_string(seed) + " (rerun with STRATA_SEED)");
  Random rnd(seed);
  for (int round = 0; round < 300; round++) {
    RandomMerge m = MakeRandomMerge(&rnd, static_cast<int>(rnd.Uniform(8)), GetParam());
    std::unique_ptr<Iterator> iter(NewMerge(m.children));
    SCOPED_TRACE("round " + std::to_string(round));
    table_test::CheckScans(iter.get(), m.model);
    table_test::CheckIteratorAgainstModel(iter.get(), m.model, BytewiseComparator(), &rnd, 300,
                                          Targets());
    if (HasFatalFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(DuplicatesWithinChildren, TableMergingIteratorRandomTest, testing::Bool());

TEST(TableMergingIteratorTest, ChildErrorStopsTheMerge) {
  for (int fail_after = 0; fail_after < 4; fail_after++) {
    std::vector<Iterator*> iters = {
        new VectorIterator({{"a", "1"}, {"c", "3"}, {"e", "5"}, {"g", "7"}}),
        new VectorIterator({{"b", "2"}, {"d", "4"}, {"f", "6"}, {"h", "8"}}, fail_after)};
    std::unique_ptr<Iterator> iter(NewMergingIterator(BytewiseComparator(), iters.data(), 2));
    int seen = 0;
    for (iter->SeekToFirst(); iter->Valid(); iter->Next()) seen++;
    EXPECT_TRUE(iter->status().IsCorruption()) << fail_after;
    // The merge stops where the child failed (its move fail_after), rather
    // than going on without the child's entries.
    EXPECT_EQ(2 * fail_after, seen);
    iter->SeekToLast();
    EXPECT_FALSE(iter->Valid());
    EXPECT_TRUE(iter->status().IsCorruption());
  }
}

// Merging real table iterators: overlapping tables, keys repeated across
// them, read both ways.
TEST(TableMergingIteratorTest, OverTableIterators) {
  const uint64_t seed = table_test::Seed();
  SCOPED_TRACE("seed " + std::to_string(seed) + " (rerun with STRATA_SEED)");
  Random rnd(seed);
  RandomMerge m = MakeRandomMerge(&rnd, 5, /*duplicates_within=*/false);
  TableOptions options;
  options.block_size = 64;
  options.block_restart_interval = 2;
  options.file_name = "merge.sst";
  std::vector<std::unique_ptr<Table>> tables;
  std::vector<Iterator*> iters;
  for (const KVVector& child : m.children) {
    table_test::StringSink sink;
    TableBuilder builder(options, &sink);
    for (const auto& [k, v] : child) builder.Add(k, v);
    ASSERT_TRUE(builder.Finish().ok());
    std::unique_ptr<Table> table;
    ASSERT_TRUE(Table::Open(options,
                            std::make_unique<table_test::StringSource>(sink.contents(), true),
                            sink.contents().size(), &table)
                    .ok());
    iters.push_back(table->NewIterator(ReadOptions()));
    tables.push_back(std::move(table));
  }
  std::unique_ptr<Iterator> iter(
      NewMergingIterator(BytewiseComparator(), iters.data(), static_cast<int>(iters.size())));
  table_test::CheckScans(iter.get(), m.model);
  table_test::CheckIteratorAgainstModel(iter.get(), m.model, BytewiseComparator(), &rnd, 3000,
                                        Targets());
}

}  // namespace
}  // namespace strata
