// The engine against a model: seeded random operations (puts, deletes,
// range deletions, batches, snapshots, iterators both ways, flushes, manual
// compactions, reopens) applied to strata and to a std::map, compared after
// every step. The same sequence runs under several option sets (tiny
// memtable and files, no bloom filter, big cache), so memtable switches,
// flushes and multi-level compactions happen hundreds of times.
//
// STRATA_MODEL_OPS scales the number of operations (default 4000 per run).
#include <gtest/gtest.h>

#include <map>

#include "strata/db.h"
#include "unit_tests/test_util.h"

namespace strata {

namespace {

using Model = std::map<std::string, std::string>;

struct OptionSet {
  const char* name;
  size_t write_buffer_size;
  uint64_t target_file_size;
  uint64_t level_base;
  int bloom_bits;
  size_t cache;
  int restart_interval;
  uint64_t key_space;                // distinct keys (besides a few with random suffixes)
  size_t value_len;                  // most values are up to this long
  bool index_outside_cache = false;  // !cache_index_and_filter_blocks
  double memtable_bloom = 0.02;      // memtable_bloom_size_ratio
  double memtable_index = 0.125;     // memtable_index_size_ratio
};

const OptionSet kOptionSets[] = {
    {"tiny", 64 << 10, 64 << 10, 128 << 10, 10, 256 << 10, 16, 3000, 120},
    {"tiny_nobloom", 64 << 10, 64 << 10, 128 << 10, 0, 64 << 10, 2, 3000, 120, false, 0, 0},
    {"small_bigcache", 256 << 10, 128 << 10, 512 << 10, 10, 64 << 20, 1, 3000, 120},
    {"default", 64 << 20, 64 << 20, 256 << 20, 10, 8 << 20, 16, 3000, 120},
    // Few keys: file boundaries in one level often fall on the same user
    // key as in the next, where compaction picking must take every version.
    // A one-block memtable bloom, nearly full: most absent keys pass it.
    {"few_keys", 64 << 10, 64 << 10, 128 << 10, 10, 256 << 10, 16, 200, 2000, false, 0.0001},
    // Tables hold their index and filter blocks themselves.
    {"tiny_index_outside_cache", 64 << 10, 64 << 10, 128 << 10, 10, 64 << 10, 16, 3000, 120, true},
};

class ModelRun {
 public:
  ModelRun(const OptionSet& set, uint64_t seed, const std::string& dir)
      : rnd_(seed), dir_(dir), key_space_(set.key_space), value_len_(set.value_len) {
    options_.write_buffer_size = set.write_buffer_size;
    options_.target_file_size = set.target_file_size;
    options_.max_bytes_for_level_base = set.level_base;
    options_.bloom_bits_per_key = set.bloom_bits;
    options_.block_cache = NewLRUCache(set.cache);
    options_.cache_index_and_filter_blocks = !set.index_outside_cache;
    options_.memtable_bloom_size_ratio = set.memtable_bloom;
    options_.memtable_index_size_ratio = set.memtable_index;
    options_.block_restart_interval = set.restart_interval;
    options_.block_size = 1024;
    options_.l0_compaction_trigger = 2;
  }

  void Open() {
    db_.reset();
    Status s = DB::Open(options_, dir_, &db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  std::string RandomKey() {
    // A few thousand keys, clustered so ranges hit many of them.
    uint64_t n =
        rnd_.OneIn(5) ? rnd_.Uniform(std::min<uint64_t>(50, key_space_)) : rnd_.Uniform(key_space_);
    char buf[24];
    snprintf(buf, sizeof(buf), "k%05llu", static_cast<unsigned long long>(n));
    std::string k(buf);
    if (rnd_.OneIn(10)) k += test::RandomString(&rnd_, rnd_.Uniform(5));
    return k;
  }
  std::string RandomValue() {
    size_t len = rnd_.OneIn(20) ? rnd_.Uniform(5000) : rnd_.Uniform(value_len_);
    return test::RandomString(&rnd_, len);
  }

  void CheckGet(const Model& model, const std::string& key, const Snapshot* snap) {
    ReadOptions ro;
    ro.snapshot = snap;
    std::string value;
    Status s = db_->Get(ro, key, &value);
    auto it = model.find(key);
    if (it == model.end()) {
      ASSERT_TRUE(s.IsNotFound()) << key << ": " << s.ToString() << " value " << value.size();
    } else {
      ASSERT_TRUE(s.ok()) << key << ": " << s.ToString();
      ASSERT_EQ(it->second, value) << key;
    }
  }

  // A bounded scan in a random direction compared with the model.
  void CheckScan(const Model& model, const Snapshot* snap) {
    ReadOptions ro;
    ro.snapshot = snap;
    std::string lo = RandomKey(), hi = RandomKey();
    if (hi < lo) std::swap(lo, hi);
    Slice lower(lo), upper(hi);
    const bool bounded = rnd_.OneIn(2);
    if (bounded) {
      ro.iterate_lower_bound = &lower;
      ro.iterate_upper_bound = &upper;
    }
    std::unique_ptr<Iterator> it(db_->NewIterator(ro));
    auto begin = bounded ? model.lower_bound(lo) : model.begin();
    auto end = bounded ? model.lower_bound(hi) : model.end();
    const int limit = 200;
    if (rnd_.OneIn(2)) {
      if (rnd_.OneIn(2)) {
        it->SeekToFirst();
      } else {
        std::string target = RandomKey();
        it->Seek(target);
        if (!bounded || target >= lo) begin = model.lower_bound(target);
        if (bounded && target >= hi) begin = end;
      }
      auto m = begin;
      for (int n = 0; m != end && n < limit; ++m, ++n) {
        ASSERT_TRUE(it->Valid()) << "expected " << m->first;
        ASSERT_EQ(m->first, it->key().ToString());
        ASSERT_EQ(m->second, it->value().ToString());
        it->Next();
      }
      if (m == end) {
        ASSERT_FALSE(it->Valid()) << it->key().ToString();
      }
    } else {
      it->SeekToLast();
      auto m = end;
      int n = 0;
      while (m != begin && n < limit) {
        --m;
        ASSERT_TRUE(it->Valid()) << "expected " << m->first;
        ASSERT_EQ(m->first, it->key().ToString());
        ASSERT_EQ(m->second, it->value().ToString());
        // Now and then turn around and come back.
        if (rnd_.OneIn(8)) {
          it->Next();
          auto after = std::next(m);
          if (after != end) {
            ASSERT_TRUE(it->Valid());
            ASSERT_EQ(after->first, it->key().ToString());
          } else {
            ASSERT_FALSE(it->Valid());
          }
          if (it->Valid()) {
            it->Prev();
          } else {
            it->SeekToLast();
          }
          ASSERT_TRUE(it->Valid());
          ASSERT_EQ(m->first, it->key().ToString());
        }
        it->Prev();
        n++;
      }
      if (m == begin) {
        ASSERT_FALSE(it->Valid());
      }
    }
    ASSERT_TRUE(it->status().ok()) << it->status().ToString();
  }

  void Run(int ops) {
    Open();
    Model model;
    struct Snap {
      const Snapshot* snapshot;
      Model model;
    };
    std::vector<Snap> snaps;
    for (int op = 0; op < ops; op++) {
      SCOPED_TRACE("op " + std::to_string(op));
      const int choice = static_cast<int>(rnd_.Uniform(100));
      if (choice < 45) {
        std::string k = RandomKey(), v = RandomValue();
        ASSERT_TRUE(db_->Put(WriteOptions(), k, v).ok());
        model[k] = v;
      } else if (choice < 60) {
        std::string k = RandomKey();
        ASSERT_TRUE(db_->Delete(WriteOptions(), k).ok());
        model.erase(k);
      } else if (choice < 63) {
        std::string a = RandomKey(), b = RandomKey();
        if (b < a) std::swap(a, b);
        ASSERT_TRUE(db_->DeleteRange(WriteOptions(), a, b).ok());
        model.erase(model.lower_bound(a), model.lower_bound(b));
      } else if (choice < 68) {
        WriteBatch batch;
        int n = static_cast<int>(rnd_.Uniform(20));
        for (int i = 0; i < n; i++) {
          std::string k = RandomKey();
          if (rnd_.OneIn(4)) {
            batch.Delete(k);
            model.erase(k);
          } else {
            std::string v = RandomValue();
            batch.Put(k, v);
            model[k] = v;
          }
        }
        ASSERT_TRUE(db_->Write(WriteOptions(), &batch).ok());
      } else if (choice < 85) {
        CheckGet(model, RandomKey(), nullptr);
        if (!snaps.empty()) {
          const Snap& s = snaps[rnd_.Uniform(snaps.size())];
          CheckGet(s.model, RandomKey(), s.snapshot);
        }
      } else if (choice < 93) {
        if (!snaps.empty() && rnd_.OneIn(3)) {
          const Snap& s = snaps[rnd_.Uniform(snaps.size())];
          CheckScan(s.model, s.snapshot);
        } else {
          CheckScan(model, nullptr);
        }
      } else if (choice < 95) {
        if (snaps.size() < 4) {
          snaps.push_back(Snap{db_->GetSnapshot(), model});
        } else {
          size_t i = rnd_.Uniform(snaps.size());
          db_->ReleaseSnapshot(snaps[i].snapshot);
          snaps.erase(snaps.begin() + i);
        }
      } else if (choice < 97) {
        ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
      } else if (choice < 98) {
        Status s = db_->CompactRange(nullptr, nullptr);
        ASSERT_TRUE(s.ok()) << s.ToString();
      } else {
        for (auto& s : snaps) db_->ReleaseSnapshot(s.snapshot);
        snaps.clear();
        Open();
      }
      if (testing::Test::HasFatalFailure()) return;
    }
    // Full comparison at the end, then again after a reopen.
    for (int pass = 0; pass < 2; pass++) {
      std::unique_ptr<Iterator> it(db_->NewIterator(ReadOptions()));
      it->SeekToFirst();
      for (const auto& [k, v] : model) {
        ASSERT_TRUE(it->Valid()) << k;
        ASSERT_EQ(k, it->key().ToString());
        ASSERT_EQ(v, it->value().ToString());
        it->Next();
      }
      ASSERT_FALSE(it->Valid());
      it.reset();
      for (auto& s : snaps) db_->ReleaseSnapshot(s.snapshot);
      snaps.clear();
      Open();
    }
    std::string stats;
    db_->GetProperty("strata.stats", &stats);
    testing::Test::RecordProperty("stats", stats);
    db_.reset();
  }

 private:
  Random rnd_;
  std::string dir_;
  const uint64_t key_space_;
  const size_t value_len_;
  Options options_;
  std::unique_ptr<DB> db_;
};

int ModelOps() {
  const char* s = getenv("STRATA_MODEL_OPS");
  return s ? atoi(s) : 4000;
}

}  // namespace

class DBModelTest : public testing::TestWithParam<int> {};

TEST_P(DBModelTest, RandomOperationsMatchStdMap) {
  const OptionSet& set = kOptionSets[GetParam()];
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE(std::string("options=") + set.name + " seed=" + std::to_string(seed) +
               " (rerun with STRATA_SEED=" + std::to_string(seed) + ")");
  test::ScratchDir dir(std::string("model-") + set.name);
  ModelRun run(set, seed, dir.path());
  run.Run(ModelOps());
}

INSTANTIATE_TEST_SUITE_P(OptionMatrix, DBModelTest,
                         testing::Range(0, static_cast<int>(std::size(kOptionSets))),
                         [](const testing::TestParamInfo<int>& info) {
                           return std::string(kOptionSets[info.param].name);
                         });

}  // namespace strata
