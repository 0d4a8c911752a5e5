// Tests of WriteBatchWithIndex: the batch-only lookup, the batch-over-DB
// lookup and iterator, save points, iterators that outlive changes to the
// batch (and the batch itself), and a randomized comparison against a
// std::map model of "DB + batch" over a real store with flushed tables.
//
// STRATA_WBWI_STEPS scales the randomized test (default 2500 steps).
// STRATA_BENCH=1 prints a micro-measurement of 1M Get+Put and the commit.
#include "strata/write_batch_with_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "strata/db.h"
#include "unit_tests/test_util.h"

namespace strata {

namespace {

using Model = std::map<std::string, std::string>;

std::string GetStr(const WriteBatchWithIndex& wb, const std::string& key) {
  std::string v;
  switch (wb.Get(key, &v)) {
    case WriteBatchWithIndex::Result::kFound:
      return v;
    case WriteBatchWithIndex::Result::kDeleted:
      return "DELETED";
    case WriteBatchWithIndex::Result::kNotFound:
      break;
  }
  return "NOT_FOUND";
}

// "k=v,k=v" in iteration order (forward from SeekToFirst).
std::string Scan(Iterator* it) {
  std::string out;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (!out.empty()) out += ",";
    out += it->key().ToString() + "=" + it->value().ToString();
  }
  return out;
}

std::string ReverseScan(Iterator* it) {
  std::string out;
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    if (!out.empty()) out += ",";
    out += it->key().ToString() + "=" + it->value().ToString();
  }
  return out;
}

// A base iterator over a sorted vector, knowing nothing of bounds; it can be
// told to fail (become invalid with a Corruption) after a number of moves.
class VectorIterator final : public Iterator {
 public:
  VectorIterator(const Comparator* cmp, std::vector<std::pair<std::string, std::string>> entries,
                 int fail_after = -1)
      : cmp_(cmp), entries_(std::move(entries)), fail_after_(fail_after) {}

  bool Valid() const override { return status_.ok() && pos_ >= 0 && pos_ < Size(); }
  void SeekToFirst() override { Moved(0); }
  void SeekToLast() override { Moved(Size() - 1); }
  void Seek(const Slice& target) override {
    int i = 0;
    while (i < Size() && cmp_->Compare(entries_[i].first, target) < 0) i++;
    Moved(i);
  }
  void SeekForPrev(const Slice& target) override {
    int i = Size() - 1;
    while (i >= 0 && cmp_->Compare(entries_[i].first, target) > 0) i--;
    Moved(i);
  }
  void Next() override { Moved(pos_ + 1); }
  void Prev() override { Moved(pos_ - 1); }
  Slice key() const override { return entries_[pos_].first; }
  Slice value() const override { return entries_[pos_].second; }
  Status status() const override { return status_; }

 private:
  int Size() const { return static_cast<int>(entries_.size()); }
  void Moved(int pos) {
    pos_ = pos;
    if (fail_after_ >= 0 && moves_++ >= fail_after_) status_ = Status::Corruption("injected");
  }

  const Comparator* cmp_;
  std::vector<std::pair<std::string, std::string>> entries_;
  int fail_after_;
  int moves_ = 0;
  int pos_ = -1;
  Status status_;
};

class ReverseBytewise final : public Comparator {
 public:
  int Compare(const Slice& a, const Slice& b) const override { return -a.compare(b); }
  const char* Name() const override { return "test.ReverseBytewise"; }
  void FindShortestSeparator(std::string*, const Slice&) const override {}
  void FindShortSuccessor(std::string*) const override {}
};

Iterator* Base(std::vector<std::pair<std::string, std::string>> entries) {
  return new VectorIterator(BytewiseComparator(), std::move(entries));
}

}  // namespace

TEST(WriteBatchWithIndexTest, GetNewestUpdateWins) {
  WriteBatchWithIndex wb;
  ASSERT_EQ("NOT_FOUND", GetStr(wb, "a"));
  wb.Put("a", "1");
  wb.Put("b", "2");
  ASSERT_EQ("1", GetStr(wb, "a"));
  wb.Put("a", "3");
  ASSERT_EQ("3", GetStr(wb, "a"));
  wb.Delete("a");
  ASSERT_EQ("DELETED", GetStr(wb, "a"));
  wb.Put("a", "4");
  ASSERT_EQ("4", GetStr(wb, "a"));
  ASSERT_EQ("NOT_FOUND", GetStr(wb, "c"));
  ASSERT_EQ(5u, wb.Count());
  ASSERT_EQ(wb.GetWriteBatch()->ApproximateSize(), wb.ApproximateSize());
}

TEST(WriteBatchWithIndexTest, DeleteRangeHidesOlderNotNewer) {
  WriteBatchWithIndex wb;
  wb.Put("b", "old");
  wb.DeleteRange("a", "d");
  wb.Put("c", "new");
  ASSERT_EQ("DELETED", GetStr(wb, "b"));    // older op, hidden
  ASSERT_EQ("new", GetStr(wb, "c"));        // newer op, visible
  ASSERT_EQ("DELETED", GetStr(wb, "a"));    // untouched key in range: the DB must not answer
  ASSERT_EQ("NOT_FOUND", GetStr(wb, "d"));  // end is exclusive
  ASSERT_EQ("NOT_FOUND", GetStr(wb, "0"));
  wb.DeleteRange("x", "x");  // empty range: no effect
  ASSERT_EQ("NOT_FOUND", GetStr(wb, "x"));

  std::unique_ptr<Iterator> it(wb.NewIteratorWithBase(
      Base({{"0", "b0"}, {"a", "ba"}, {"b", "bb"}, {"bb", "bbb"}, {"d", "bd"}, {"e", "be"}}),
      ReadOptions()));
  ASSERT_EQ("0=b0,c=new,d=bd,e=be", Scan(it.get()));
  ASSERT_EQ("e=be,d=bd,c=new,0=b0", ReverseScan(it.get()));
}

TEST(WriteBatchWithIndexTest, ManyKeysLongKeysAndReuse) {
  WriteBatchWithIndex wb;
  const std::string long_key(1 << 20, 'L');  // a 3-byte length prefix
  const std::string mid_key(300, 'M');       // a 2-byte length prefix
  for (int round = 0; round < 2; round++) {
    SCOPED_TRACE("round " + std::to_string(round));
    constexpr int kKeys = 20000;  // the point index grows many times
    for (int i = 0; i < kKeys; i++) wb.Put("key" + std::to_string(i), "v" + std::to_string(i));
    for (int i = 0; i < kKeys; i += 3) wb.Delete("key" + std::to_string(i));
    for (int i = 0; i < kKeys; i += 7) wb.Put("key" + std::to_string(i), "again");
    wb.Put(long_key, "long");
    wb.Put(mid_key, "mid");
    for (int i = 0; i < kKeys; i++) {
      const std::string expect = i % 7 == 0   ? "again"
                                 : i % 3 == 0 ? "DELETED"
                                              : "v" + std::to_string(i);
      ASSERT_EQ(expect, GetStr(wb, "key" + std::to_string(i))) << i;
    }
    ASSERT_EQ("NOT_FOUND", GetStr(wb, "key" + std::to_string(kKeys)));
    ASSERT_EQ("long", GetStr(wb, long_key));
    ASSERT_EQ("mid", GetStr(wb, mid_key));
    ASSERT_EQ("NOT_FOUND", GetStr(wb, std::string(300, 'L')));
    std::unique_ptr<Iterator> it(wb.NewIteratorWithBase(Base({}), ReadOptions()));
    int n = 0;
    std::string prev;
    for (it->SeekToFirst(); it->Valid(); it->Next(), n++) {
      ASSERT_LT(prev, it->key().ToString());
      prev = it->key().ToString();
    }
    // Live keys: every i not deleted, or rewritten after the delete; plus two.
    int live = 0;
    for (int i = 0; i < kKeys; i++) live += (i % 3 != 0 || i % 7 == 0);
    ASSERT_EQ(live + 2, n);
    wb.Clear();  // gives back the large table; the next round starts afresh
    ASSERT_EQ("NOT_FOUND", GetStr(wb, "key1"));
    ASSERT_EQ("NOT_FOUND", GetStr(wb, long_key));
    n = 0;
    for (it->SeekToLast(); it->Valid(); it->Prev()) n++;
    ASSERT_EQ(live + 2, n);  // the iterator keeps its view after Clear
    ASSERT_EQ(0u, wb.Count());
  }
}

TEST(WriteBatchWithIndexTest, MergeWithBase) {
  WriteBatchWithIndex wb;
  wb.Put("b", "B");     // overrides base
  wb.Delete("c");       // hides base
  wb.Put("e", "E");     // new key between base keys
  wb.Delete("zz");      // deletes a key base lacks
  wb.Put("0", "Z");     // before every base key
  wb.Put("z", "LAST");  // after every base key
  std::unique_ptr<Iterator> it(wb.NewIteratorWithBase(
      Base({{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}, {"f", "5"}}), ReadOptions()));
  ASSERT_EQ("0=Z,a=1,b=B,d=4,e=E,f=5,z=LAST", Scan(it.get()));
  ASSERT_EQ("z=LAST,f=5,e=E,d=4,b=B,a=1,0=Z", ReverseScan(it.get()));

  it->Seek("c");
  ASSERT_EQ("d", it->key().ToString());
  it->Prev();  // switch to reverse at a base entry
  ASSERT_EQ("b", it->key().ToString());
  ASSERT_EQ("B", it->value().ToString());
  it->Next();  // switch to forward at a delta entry that shadows base
  ASSERT_EQ("d", it->key().ToString());
  it->Next();
  ASSERT_EQ("e", it->key().ToString());
  it->Prev();  // switch at a delta-only entry
  ASSERT_EQ("d", it->key().ToString());
  it->SeekForPrev("c");
  ASSERT_EQ("b", it->key().ToString());
  it->SeekForPrev("zzz");
  ASSERT_EQ("z", it->key().ToString());
  it->Next();
  ASSERT_FALSE(it->Valid());
  ASSERT_TRUE(it->status().ok());

  // Empty base, and empty batch over a base.
  std::unique_ptr<Iterator> only_delta(wb.NewIteratorWithBase(Base({}), ReadOptions()));
  ASSERT_EQ("0=Z,b=B,e=E,z=LAST", Scan(only_delta.get()));
  WriteBatchWithIndex empty;
  std::unique_ptr<Iterator> only_base(
      empty.NewIteratorWithBase(Base({{"a", "1"}, {"b", "2"}}), ReadOptions()));
  ASSERT_EQ("b=2,a=1", ReverseScan(only_base.get()));
}

TEST(WriteBatchWithIndexTest, BoundsHoldEvenIfBaseIgnoresThem) {
  WriteBatchWithIndex wb;
  wb.Put("a", "A");
  wb.Put("c", "C");
  wb.Put("e", "E");
  wb.Put("g", "G");
  Slice lower("b"), upper("f");
  ReadOptions ro;
  ro.iterate_lower_bound = &lower;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<Iterator> it(wb.NewIteratorWithBase(
      Base({{"a", "1"}, {"b", "2"}, {"d", "4"}, {"f", "6"}, {"h", "8"}}), ro));
  ASSERT_EQ("b=2,c=C,d=4,e=E", Scan(it.get()));
  ASSERT_EQ("e=E,d=4,c=C,b=2", ReverseScan(it.get()));
  it->Seek("a");
  ASSERT_EQ("b", it->key().ToString());
  it->Prev();
  ASSERT_FALSE(it->Valid());
  it->SeekForPrev("z");
  ASSERT_EQ("e", it->key().ToString());
  it->Next();
  ASSERT_FALSE(it->Valid());
  it->Seek("f");
  ASSERT_FALSE(it->Valid());
  it->SeekForPrev("a");
  ASSERT_FALSE(it->Valid());
}

TEST(WriteBatchWithIndexTest, IteratorSeesBatchAsOfCreation) {
  WriteBatchWithIndex wb;
  wb.Put("b", "1");
  wb.Put("d", "2");
  std::unique_ptr<Iterator> it(wb.NewIteratorWithBase(Base({{"c", "base"}}), ReadOptions()));
  it->SeekToFirst();
  ASSERT_EQ("b", it->key().ToString());
  // An UPDATE that scans the rows it changes: rewrite every row, insert new
  // ones ahead and behind, delete the rest. The scan must not see any of it.
  wb.Put("b", "changed");
  wb.Put("c2", "new");
  wb.Delete("c");
  wb.DeleteRange("d", "e");
  wb.Put("a", "new");
  wb.Put("z", "new");
  it->Next();
  ASSERT_EQ("c", it->key().ToString());
  ASSERT_EQ("base", it->value().ToString());
  it->Next();
  ASSERT_EQ("d", it->key().ToString());
  ASSERT_EQ("2", it->value().ToString());
  it->Next();
  ASSERT_FALSE(it->Valid());
  ASSERT_EQ("d=2,c=base,b=1", ReverseScan(it.get()));

  // Rollback and Clear rebuild or drop the index; the iterator keeps its own.
  wb.SetSavePoint();
  wb.Put("q", "x");
  ASSERT_TRUE(wb.RollbackToSavePoint().ok());
  wb.Clear();
  wb.Put("c", "after-clear");
  ASSERT_EQ("b=1,c=base,d=2", Scan(it.get()));
  std::unique_ptr<Iterator> fresh(wb.NewIteratorWithBase(Base({{"c", "base"}}), ReadOptions()));
  ASSERT_EQ("c=after-clear", Scan(fresh.get()));
}

TEST(WriteBatchWithIndexTest, IteratorOutlivesBatch) {
  auto wb = std::make_unique<WriteBatchWithIndex>();
  wb->Put("k", "v");
  wb->DeleteRange("a", "b");
  std::unique_ptr<Iterator> it(
      wb->NewIteratorWithBase(Base({{"a1", "x"}, {"k", "base"}, {"m", "y"}}), ReadOptions()));
  wb.reset();
  ASSERT_EQ("k=v,m=y", Scan(it.get()));
  ASSERT_EQ("m=y,k=v", ReverseScan(it.get()));
}

TEST(WriteBatchWithIndexTest, SavePointsNest) {
  WriteBatchWithIndex wb;
  ASSERT_TRUE(wb.RollbackToSavePoint().IsNotFound());
  ASSERT_TRUE(wb.PopSavePoint().IsNotFound());
  wb.Put("a", "1");
  wb.SetSavePoint();
  wb.Put("a", "2");
  wb.DeleteRange("a", "c");
  wb.SetSavePoint();
  wb.Put("b", "3");
  ASSERT_EQ("3", GetStr(wb, "b"));
  ASSERT_TRUE(wb.RollbackToSavePoint().ok());
  ASSERT_EQ("DELETED", GetStr(wb, "b"));
  ASSERT_EQ("DELETED", GetStr(wb, "a"));
  ASSERT_EQ(3u, wb.Count());
  wb.SetSavePoint();  // nothing added after it: a rollback drops nothing
  ASSERT_TRUE(wb.RollbackToSavePoint().ok());
  ASSERT_EQ(3u, wb.Count());
  ASSERT_TRUE(wb.RollbackToSavePoint().ok());
  ASSERT_EQ("1", GetStr(wb, "a"));
  ASSERT_EQ("NOT_FOUND", GetStr(wb, "b"));
  ASSERT_EQ(1u, wb.Count());
  ASSERT_TRUE(wb.RollbackToSavePoint().IsNotFound());

  wb.SetSavePoint();
  wb.Put("c", "4");
  ASSERT_TRUE(wb.PopSavePoint().ok());  // keeps "c"
  ASSERT_TRUE(wb.RollbackToSavePoint().IsNotFound());
  ASSERT_EQ("4", GetStr(wb, "c"));

  wb.SetSavePoint();
  wb.Clear();  // drops save points too
  ASSERT_TRUE(wb.RollbackToSavePoint().IsNotFound());
  ASSERT_EQ(0u, wb.Count());
  ASSERT_EQ("NOT_FOUND", GetStr(wb, "c"));
}

TEST(WriteBatchWithIndexTest, BaseErrorStopsIteration) {
  WriteBatchWithIndex wb;
  wb.Put("a", "A");
  wb.Put("z", "Z");
  std::unique_ptr<Iterator> it(wb.NewIteratorWithBase(
      new VectorIterator(BytewiseComparator(), {{"b", "1"}, {"c", "2"}, {"d", "3"}}, 2),
      ReadOptions()));
  it->SeekToFirst();
  ASSERT_TRUE(it->Valid());
  int n = 0;
  while (it->Valid() && n < 10) {
    it->Next();
    n++;
  }
  ASSERT_FALSE(it->Valid());
  ASSERT_TRUE(it->status().IsCorruption()) << it->status().ToString();
  ASSERT_LT(n, 4);  // never reached "z" past the failure
}

TEST(WriteBatchWithIndexTest, UsesItsComparator) {
  ReverseBytewise rev;
  WriteBatchWithIndex wb(&rev);
  wb.Put("a", "A");
  wb.Put("c", "C");
  wb.DeleteRange("e", "d");  // [e, d) in reverse order holds "e" and "dz"
  ASSERT_EQ("DELETED", GetStr(wb, "dz"));
  ASSERT_EQ("NOT_FOUND", GetStr(wb, "d"));
  std::unique_ptr<Iterator> it(wb.NewIteratorWithBase(
      new VectorIterator(&rev, {{"e", "1"}, {"dz", "2"}, {"d", "3"}, {"b", "4"}, {"a", "5"}}),
      ReadOptions()));
  ASSERT_EQ("d=3,c=C,b=4,a=A", Scan(it.get()));
  ASSERT_EQ("a=A,b=4,c=C,d=3", ReverseScan(it.get()));
}

TEST(WriteBatchWithIndexTest, GetFromBatchAndDBAndCommit) {
  test::ScratchDir dir("wbwi_get");
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(Options(), dir.path(), &db).ok());
  ASSERT_TRUE(db->Put(WriteOptions(), "a", "db-a").ok());
  ASSERT_TRUE(db->Put(WriteOptions(), "b", "db-b").ok());
  ASSERT_TRUE(db->Put(WriteOptions(), "c", "db-c").ok());
  const Snapshot* snap = db->GetSnapshot();
  ASSERT_TRUE(db->Put(WriteOptions(), "d", "db-d").ok());

  WriteBatchWithIndex wb;
  wb.Put("a", "wb-a");
  wb.Delete("b");
  std::string v;
  ASSERT_TRUE(wb.GetFromBatchAndDB(db.get(), ReadOptions(), "a", &v).ok());
  ASSERT_EQ("wb-a", v);
  ASSERT_TRUE(wb.GetFromBatchAndDB(db.get(), ReadOptions(), "b", &v).IsNotFound());
  ASSERT_TRUE(wb.GetFromBatchAndDB(db.get(), ReadOptions(), "c", &v).ok());
  ASSERT_EQ("db-c", v);
  ReadOptions at_snap;
  at_snap.snapshot = snap;
  ASSERT_TRUE(wb.GetFromBatchAndDB(db.get(), at_snap, "d", &v).IsNotFound());
  ASSERT_TRUE(wb.GetFromBatchAndDB(db.get(), ReadOptions(), "d", &v).ok());
  db->ReleaseSnapshot(snap);

  std::unique_ptr<Iterator> it(
      wb.NewIteratorWithBase(db->NewIterator(ReadOptions()), ReadOptions()));
  ASSERT_EQ("a=wb-a,c=db-c,d=db-d", Scan(it.get()));
  it.reset();
  ASSERT_TRUE(db->Write(WriteOptions(), wb.GetWriteBatch()).ok());
  std::unique_ptr<Iterator> after(db->NewIterator(ReadOptions()));
  ASSERT_EQ("a=wb-a,c=db-c,d=db-d", Scan(after.get()));
}

// ---- randomized model test --------------------------------------------------

namespace {

// The batch alone, as a model: the newest point op per key and the ranges.
struct BatchModel {
  struct Point {
    uint32_t seq;
    std::optional<std::string> value;  // nullopt: Delete
  };
  struct Range {
    std::string begin, end;
    uint32_t seq;
  };
  std::map<std::string, Point> points;
  std::vector<Range> ranges;
  Model view;  // DB + batch
  uint32_t count = 0;

  std::string Get(const std::string& k) const {
    uint32_t range_seq = 0;
    for (const Range& r : ranges) {
      if (r.begin <= k && k < r.end) range_seq = std::max(range_seq, r.seq);
    }
    auto it = points.find(k);
    if (it != points.end() && it->second.seq > range_seq) {
      return it->second.value ? *it->second.value : "DELETED";
    }
    return range_seq > 0 ? "DELETED" : "NOT_FOUND";
  }
};

// A user iterator's expected behaviour over a frozen model with bounds.
class ModelIter {
 public:
  ModelIter(const Model& m, const std::string* lo, const std::string* hi)
      : m_(m), lo_(lo), hi_(hi) {}
  bool Valid() const { return valid_; }
  const std::string& key() const { return pos_->first; }
  const std::string& value() const { return pos_->second; }
  void SeekToFirst() { Set(lo_ ? m_.lower_bound(*lo_) : m_.begin()); }
  void SeekToLast() { SetBefore(hi_ ? m_.lower_bound(*hi_) : m_.end()); }
  void Seek(const std::string& t) { Set(m_.lower_bound(lo_ && t < *lo_ ? *lo_ : t)); }
  void SeekForPrev(const std::string& t) {
    if (hi_ && t >= *hi_) {
      SeekToLast();
    } else {
      SetBefore(m_.upper_bound(t));
    }
  }
  void Next() { Set(std::next(pos_)); }
  void Prev() { SetBefore(pos_); }

 private:
  bool InWindow(const std::string& k) const {
    return (lo_ == nullptr || k >= *lo_) && (hi_ == nullptr || k < *hi_);
  }
  void Set(Model::const_iterator p) {
    pos_ = p;
    valid_ = p != m_.end() && InWindow(p->first);
  }
  void SetBefore(Model::const_iterator p) {
    if (p == m_.begin()) {
      valid_ = false;
    } else {
      Set(std::prev(p));
    }
  }

  const Model& m_;
  const std::string* lo_;
  const std::string* hi_;
  Model::const_iterator pos_;
  bool valid_ = false;
};

// An iterator under test with what it must show.
struct LiveIter {
  std::unique_ptr<std::string> lo, hi;  // heap: the Slices must not move
  std::unique_ptr<Slice> lo_slice, hi_slice;
  Model frozen;
  std::unique_ptr<Iterator> it;
};

class WbwiModelRun {
 public:
  WbwiModelRun(uint64_t seed, const std::string& dir) : rnd_(seed), dir_(dir) {}

  std::string RandomKey() {
    char buf[16];
    snprintf(buf, sizeof(buf), "k%04d", static_cast<int>(rnd_.Uniform(400)));
    std::string k(buf);
    if (rnd_.OneIn(8)) k += static_cast<char>('a' + rnd_.Uniform(3));
    return k;
  }
  std::string RandomValue() { return test::RandomString(&rnd_, rnd_.Uniform(30)); }

  void FillDB(Model* db_model) {
    Options options;
    options.write_buffer_size = 64 << 10;
    options.block_size = 512;
    ASSERT_TRUE(DB::Open(options, dir_, &db_).ok());
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < 300; i++) {
        std::string k = RandomKey();
        if (rnd_.OneIn(6)) {
          ASSERT_TRUE(db_->Delete(WriteOptions(), k).ok());
          db_model->erase(k);
        } else {
          std::string v = "db" + RandomValue();
          ASSERT_TRUE(db_->Put(WriteOptions(), k, v).ok());
          (*db_model)[k] = v;
        }
      }
      if (round == 1) {
        std::string a = RandomKey(), b = RandomKey();
        if (b < a) std::swap(a, b);
        ASSERT_TRUE(db_->DeleteRange(WriteOptions(), a, b).ok());
        db_model->erase(db_model->lower_bound(a), db_model->lower_bound(b));
      }
      if (round < 2) {
        ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
      }
    }
  }

  void NewLiveIter(const BatchModel& m) {
    auto li = std::make_unique<LiveIter>();
    ReadOptions ro;
    if (rnd_.OneIn(2)) {
      li->lo = std::make_unique<std::string>(RandomKey());
      li->lo_slice = std::make_unique<Slice>(*li->lo);
      ro.iterate_lower_bound = li->lo_slice.get();
    }
    if (rnd_.OneIn(2)) {
      li->hi = std::make_unique<std::string>(RandomKey());
      li->hi_slice = std::make_unique<Slice>(*li->hi);
      ro.iterate_upper_bound = li->hi_slice.get();
    }
    li->frozen = m.view;
    // Base sometimes without the bounds: the merged iterator must enforce them.
    ReadOptions base_ro = rnd_.OneIn(4) ? ReadOptions() : ro;
    li->it.reset(wb_.NewIteratorWithBase(db_->NewIterator(base_ro), ro));
    live_.push_back(std::move(li));
  }

  // Full scans both ways, then a random walk of seeks, steps and turns.
  void CheckIter(LiveIter* li) {
    Iterator* it = li->it.get();
    ModelIter expect(li->frozen, li->lo.get(), li->hi.get());
    auto same = [&](const char* what) {
      SCOPED_TRACE(what);
      ASSERT_EQ(expect.Valid(), it->Valid())
          << (it->Valid() ? it->key().ToString() : "") << " expected "
          << (expect.Valid() ? expect.key() : "");
      if (expect.Valid()) {
        ASSERT_EQ(expect.key(), it->key().ToString());
        ASSERT_EQ(expect.value(), it->value().ToString());
      }
    };
    if (rnd_.OneIn(3)) {
      expect.SeekToFirst();
      it->SeekToFirst();
      for (;;) {
        same("scan");
        if (::testing::Test::HasFatalFailure() || !expect.Valid()) break;
        expect.Next();
        it->Next();
      }
      expect.SeekToLast();
      it->SeekToLast();
      for (;;) {
        same("reverse scan");
        if (::testing::Test::HasFatalFailure() || !expect.Valid()) break;
        expect.Prev();
        it->Prev();
      }
    }
    for (int i = 0; i < 40 && !::testing::Test::HasFatalFailure(); i++) {
      const int op = static_cast<int>(rnd_.Uniform(10));
      if (op < 4 && expect.Valid()) {
        expect.Next();
        it->Next();
        same("next");
      } else if (op < 8 && expect.Valid()) {
        expect.Prev();
        it->Prev();
        same("prev");
      } else {
        std::string t = RandomKey();
        switch (rnd_.Uniform(4)) {
          case 0:
            expect.Seek(t);
            it->Seek(t);
            same("seek");
            break;
          case 1:
            expect.SeekForPrev(t);
            it->SeekForPrev(t);
            same("seek for prev");
            break;
          case 2:
            expect.SeekToFirst();
            it->SeekToFirst();
            same("first");
            break;
          default:
            expect.SeekToLast();
            it->SeekToLast();
            same("last");
            break;
        }
      }
    }
    ASSERT_TRUE(it->status().ok()) << it->status().ToString();
  }

  void Run(int steps) {
    Model db_model;
    FillDB(&db_model);
    if (::testing::Test::HasFatalFailure()) return;
    BatchModel m;
    m.view = db_model;
    std::vector<BatchModel> save_points;

    for (int step = 0; step < steps; step++) {
      SCOPED_TRACE("step " + std::to_string(step));
      const int choice = static_cast<int>(rnd_.Uniform(100));
      if (choice < 45) {
        std::string k = RandomKey(), v = RandomValue();
        wb_.Put(k, v);
        m.points[k] = {++m.count, v};
        m.view[k] = v;
      } else if (choice < 60) {
        std::string k = RandomKey();
        wb_.Delete(k);
        m.points[k] = {++m.count, std::nullopt};
        m.view.erase(k);
      } else if (choice < 64) {
        std::string a = RandomKey(), b = RandomKey();
        if (b < a && !rnd_.OneIn(10)) std::swap(a, b);  // sometimes an empty range
        wb_.DeleteRange(a, b);
        m.ranges.push_back({a, b, ++m.count});
        if (a < b) m.view.erase(m.view.lower_bound(a), m.view.lower_bound(b));
      } else if (choice < 68) {
        wb_.SetSavePoint();
        save_points.push_back(m);
      } else if (choice < 71) {
        Status s = wb_.RollbackToSavePoint();
        ASSERT_EQ(save_points.empty(), s.IsNotFound()) << s.ToString();
        if (!save_points.empty()) {
          m = std::move(save_points.back());
          save_points.pop_back();
        }
      } else if (choice < 73) {
        Status s = wb_.PopSavePoint();
        ASSERT_EQ(save_points.empty(), s.IsNotFound()) << s.ToString();
        if (!save_points.empty()) save_points.pop_back();
      } else if (choice < 80) {
        if (live_.size() >= 3) live_.erase(live_.begin() + rnd_.Uniform(live_.size()));
        NewLiveIter(m);
      } else if (choice < 90) {
        if (!live_.empty()) CheckIter(live_[rnd_.Uniform(live_.size())].get());
      } else if (choice < 91 && rnd_.OneIn(3)) {
        wb_.Clear();  // live iterators keep their view
        m = BatchModel();
        m.view = db_model;
        save_points.clear();
      }
      ASSERT_FALSE(::testing::Test::HasFatalFailure());

      ASSERT_EQ(m.count, wb_.Count());
      ASSERT_EQ(wb_.GetWriteBatch()->ApproximateSize(), wb_.ApproximateSize());
      for (int i = 0; i < 4; i++) {
        std::string k = RandomKey();
        ASSERT_EQ(m.Get(k), GetStr(wb_, k)) << k;
        std::string v;
        Status s = wb_.GetFromBatchAndDB(db_.get(), ReadOptions(), k, &v);
        auto it = m.view.find(k);
        if (it == m.view.end()) {
          ASSERT_TRUE(s.IsNotFound()) << k << " " << s.ToString();
        } else {
          ASSERT_TRUE(s.ok()) << k << " " << s.ToString();
          ASSERT_EQ(it->second, v) << k;
        }
      }
    }
    // Every live iterator still shows its creation-time view.
    for (auto& li : live_) {
      CheckIter(li.get());
      ASSERT_FALSE(::testing::Test::HasFatalFailure());
    }
    live_.clear();

    ASSERT_TRUE(db_->Write(WriteOptions(), wb_.GetWriteBatch()).ok());
    std::unique_ptr<Iterator> it(db_->NewIterator(ReadOptions()));
    it->SeekToFirst();
    for (const auto& [k, v] : m.view) {
      ASSERT_TRUE(it->Valid()) << "missing " << k;
      ASSERT_EQ(k, it->key().ToString());
      ASSERT_EQ(v, it->value().ToString());
      it->Next();
    }
    ASSERT_FALSE(it->Valid()) << "extra " << it->key().ToString();
  }

 private:
  Random rnd_;
  std::string dir_;
  std::unique_ptr<DB> db_;
  WriteBatchWithIndex wb_;
  std::vector<std::unique_ptr<LiveIter>> live_;
};

}  // namespace

TEST(WriteBatchWithIndexTest, RandomizedAgainstModel) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed) + " (rerun with STRATA_SEED)");
  int steps = 2500;
  if (const char* s = getenv("STRATA_WBWI_STEPS")) steps = atoi(s);
  for (int run = 0; run < 4; run++) {
    SCOPED_TRACE("run " + std::to_string(run));
    test::ScratchDir dir("wbwi_model");
    WbwiModelRun r(seed + run, dir.path());
    r.Run(steps);
    ASSERT_FALSE(::testing::Test::HasFatalFailure());
  }
}

// ---- micro-measurement ------------------------------------------------------

namespace {

// Wall and thread-CPU time since construction (the CPU figure is the one to
// trust on a loaded machine).
class Stopwatch {
 public:
  Stopwatch() { Reset(); }
  void Reset() {
    wall_ = std::chrono::steady_clock::now();
    cpu_ = Cpu();
  }
  // "W ns wall, C ns CPU" per op for n ops.
  std::string PerOp(double n) const {
    const double wall =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - wall_).count();
    char buf[96];
    snprintf(buf, sizeof(buf), "%.0f ns wall, %.0f ns CPU", wall / n, (Cpu() - cpu_) / n);
    return buf;
  }

 private:
  static double Cpu() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
  }
  std::chrono::steady_clock::time_point wall_;
  double cpu_;
};

}  // namespace

TEST(WriteBatchWithIndexTest, BenchGetPutThenWrite) {
  if (getenv("STRATA_BENCH") == nullptr || std::string(getenv("STRATA_BENCH")) != "1") {
    GTEST_SKIP() << "set STRATA_BENCH=1";
  }
  constexpr int kN = 1000000;
  Random rnd(301);
  std::vector<std::string> keys(kN);
  for (auto& k : keys) k = test::RandomBytes(&rnd, 16);
  const std::string value = test::RandomString(&rnd, 100);

  WriteBatchWithIndex wb;
  std::string v;
  int found = 0;
  Stopwatch sw;
  for (const auto& k : keys) {
    if (wb.Get(k, &v) != WriteBatchWithIndex::Result::kNotFound) found++;
    wb.Put(k, value);
  }
  printf(
      "wbwi: %d x (Get + Put), 16-byte keys, 100-byte values: %s per Get+Put "
      "(batch %.1f MiB, %d found)\n",
      kN, sw.PerOp(kN).c_str(), wb.ApproximateSize() / 1048576.0, found);

  sw.Reset();
  for (const auto& k : keys) {
    if (wb.Get(k, &v) == WriteBatchWithIndex::Result::kFound) found++;
  }
  printf("wbwi: Get of present keys: %s per Get (%d found)\n", sw.PerOp(kN).c_str(), found);

  sw.Reset();
  int n = 0;
  {
    std::unique_ptr<Iterator> it(wb.NewIteratorWithBase(NewEmptyIterator(), ReadOptions()));
    printf("wbwi: first iterator (orders the whole batch): %s per update\n", sw.PerOp(kN).c_str());
    sw.Reset();
    for (it->SeekToFirst(); it->Valid(); it->Next()) n++;
    printf("wbwi: forward scan of the batch: %s per entry (%d entries)\n", sw.PerOp(n).c_str(), n);
  }

  test::ScratchDir dir("wbwi_bench");
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(Options(), dir.path(), &db).ok());
  sw.Reset();
  Status s = db->Write(WriteOptions(), wb.GetWriteBatch());
  ASSERT_TRUE(s.ok()) << s.ToString();
  printf("wbwi: DB::Write of the batch: %s per entry\n", sw.PerOp(kN).c_str());
  sw.Reset();
  wb.Clear();
  printf("wbwi: Clear: %s\n", sw.PerOp(1).c_str());
}

}  // namespace strata
