// Corruption tests of the engine: a flipped byte, or a file cut short, at
// many offsets of every kind of file of a store: the WAL, each SSTable
// (data, filter, range tombstone, index, properties and metaindex blocks,
// footer; regions found from the footer and metaindex, as
// docs/sstable_format.md lays them out), the MANIFEST and CURRENT.
//
// Every case must end in one of
//   (a) a clean open with every value as written, where the damage is
//       indistinguishable from a crash and documented as such: a WAL cut
//       short, or a damaged last WAL record (dropped as a torn tail, so the
//       store holds every batch but the last);
//   (b) Corruption naming the damaged file, from Open, Get, an iterator or
//       Verify();
// and never a crash or a wrong value: every value read is compared with
// what was written. DB::Verify() must detect every flipped byte of every
// SSTable.
//
// By default every SSTable byte is checked with Verify() and a sample of
// offsets with full reads; STRATA_CORRUPTION_FULL=1 does full reads at
// every offset of every file (minutes). STRATA_SEED fixes the sample.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "strata/db.h"
#include "strata/write_batch.h"
#include "table/block.h"
#include "table/format.h"
#include "unit_tests/fault_test_util.h"
#include "unit_tests/test_util.h"
#include "util/random.h"

namespace strata {
namespace {

using fault_test::Diff;
using fault_test::Map;
using fault_test::ScratchDir;

bool FullSweep() {
  const char* s = getenv("STRATA_CORRUPTION_FULL");
  return s != nullptr && atoi(s) != 0;
}

std::string ReadFile(const std::string& path) {
  std::string data;
  EXPECT_TRUE(ReadFileToString(Env::Default(), path, &data).ok()) << path;
  return data;
}

// Overwrites bytes of a file in place (no truncation).
void Overwrite(const std::string& path, uint64_t offset, const std::string& bytes) {
  int fd = open(path.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(static_cast<ssize_t>(bytes.size()),
            pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset)));
  close(fd);
}

void Restore(const std::string& path, const std::string& contents) {
  ASSERT_TRUE(WriteStringToFile(Env::Default(), contents, path, /*sync=*/false).ok()) << path;
}

// One write: a put, or a delete (value unused).
struct Op {
  bool put;
  std::string key;
  std::string value;
};
using Batch = std::vector<Op>;

void Apply(const Batch& b, Map* m) {
  for (const Op& op : b) {
    if (op.put) {
      (*m)[op.key] = op.value;
    } else {
      m->erase(op.key);
    }
  }
}

std::string Key(char prefix, int i) {
  char buf[16];
  snprintf(buf, sizeof(buf), "%c%04d", prefix, i);
  return buf;
}

std::string Value(const std::string& tag, int i, size_t size) {
  std::string v = tag + std::to_string(i) + ":";
  while (v.size() < size) v.push_back(static_cast<char>('a' + (v.size() * 7 + i) % 26));
  return v;
}

// [begin, end) of a region of a file, with a name for messages.
struct Region {
  std::string name;
  uint64_t begin, end;
};

// The records of a log file (WAL or MANIFEST: docs/wal_format.md): 32 KiB
// blocks of fragments "checksum u32 | length u16 | type u8 | payload".
// Each record's range covers its fragments' headers and payloads (and any
// block padding between them); bytes outside every range are padding.
std::vector<Region> LogRecords(const std::string& data) {
  constexpr uint64_t kBlock = 32768, kHeader = 7;
  std::vector<Region> records;
  uint64_t pos = 0, start = 0;
  while (pos < data.size()) {
    const uint64_t left = kBlock - pos % kBlock;
    if (left < kHeader) {
      pos += left;
      continue;
    }
    if (pos + kHeader > data.size()) break;
    const uint64_t length =
        static_cast<uint8_t>(data[pos + 4]) | (static_cast<uint8_t>(data[pos + 5]) << 8);
    const int type = static_cast<uint8_t>(data[pos + 6]);
    if (type == 0) break;  // zeros: the unused tail
    if (type == 1 || type == 2) start = pos;
    pos += kHeader + length;
    if (type == 1 || type == 4) {
      records.push_back({"record " + std::to_string(records.size()), start, pos});
    }
  }
  return records;
}

// The regions of a table file, from its footer and metaindex block.
std::vector<Region> TableRegions(const std::string& data) {
  std::vector<Region> regions;
  const uint64_t size = data.size();
  Footer footer;
  Status s =
      footer.DecodeFrom(Slice(data.data() + size - Footer::kEncodedLength, Footer::kEncodedLength));
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!s.ok()) return regions;
  auto add = [&](const std::string& name, const BlockHandle& h) {
    regions.push_back({name, h.offset(), h.offset() + h.size() + kBlockTrailerSize});
  };
  add("metaindex block", footer.metaindex_handle());
  add("index block", footer.index_handle());
  regions.push_back({"footer", size - Footer::kEncodedLength, size});
  const BlockHandle& mh = footer.metaindex_handle();
  BlockContents contents;
  contents.data = Slice(data.data() + mh.offset(), mh.size());
  Block metaindex(std::move(contents), mh.offset());
  const std::string name = "metaindex";
  Block::Iter it(BytewiseComparator(), &metaindex, &name);
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    BlockHandle h;
    Slice v = it.value();
    EXPECT_TRUE(h.DecodeFrom(&v));
    const std::string key = it.key().ToString();
    if (key.rfind(kFilterBlockPrefix, 0) == 0) {
      add("filter block", h);
    } else if (key == kPropertiesBlockName) {
      add("properties block", h);
    } else if (key == kRangeTombstoneBlockName) {
      add("range tombstone block", h);
    } else {
      add("meta block " + key, h);
    }
  }
  uint64_t data_end = size;
  for (const Region& r : regions) data_end = std::min(data_end, r.begin);
  regions.push_back({"data blocks", 0, data_end});
  std::sort(regions.begin(), regions.end(),
            [](const Region& a, const Region& b) { return a.begin < b.begin; });
  // The regions must tile the file: no byte unaccounted for.
  uint64_t pos = 0;
  for (const Region& r : regions) {
    EXPECT_EQ(pos, r.begin) << "gap or overlap before " << r.name;
    pos = r.end;
  }
  EXPECT_EQ(size, pos);
  return regions;
}

const Region* RegionOf(const std::vector<Region>& regions, uint64_t offset) {
  for (const Region& r : regions) {
    if (offset >= r.begin && offset < r.end) return &r;
  }
  return nullptr;
}

// What opening and reading a damaged store gave.
struct Outcome {
  Status open;
  std::vector<Status> read_errors;  // Corruption naming the file, met by reads
  std::string wrong;                // never allowed: a wrong value or unexpected error
  int prefix = -1;                  // the store equals the state after this many WAL batches
  Status verify;
  bool Opened() const { return open.ok(); }
  bool Detected() const { return !open.ok() || !read_errors.empty() || !verify.ok(); }
};

class DBCorruptionTest : public testing::Test {
 protected:
  DBCorruptionTest() : pristine_("pristine") {
    options_.write_buffer_size = 1 << 20;  // the WAL batches stay in one WAL
    options_.block_size = 512;             // many small blocks
    options_.block_restart_interval = 4;
    options_.wal_background_sync_ms = 0;
  }

  // Builds the store every case starts from: an L1 table, an L0 table
  // with point and range tombstones, and (with_wal) a WAL of small batches
  // spanning two 32 KiB blocks.
  void BuildPristine(bool with_wal = true) {
    Options o = options_;
    o.block_cache = NewLRUCache(1 << 20);
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(o, pristine_.path(), &db).ok());
    auto write = [&](const Batch& b) {
      WriteBatch wb;
      for (const Op& op : b) {
        if (op.put) {
          wb.Put(op.key, op.value);
        } else {
          wb.Delete(op.key);
        }
        universe_.insert(op.key);
      }
      ASSERT_TRUE(db->Write(WriteOptions(), &wb).ok());
      Apply(b, &base_);
    };
    for (int i = 0; i < 160; i++) write({{true, Key('a', i), Value("A", i, 30 + i % 40)}});
    ASSERT_TRUE(db->Flush(FlushOptions()).ok());
    ASSERT_TRUE(db->CompactRange(nullptr, nullptr).ok());
    for (int i = 0; i < 40; i++) write({{true, Key('a', i), Value("B", i, 20)}});
    for (int i = 0; i < 80; i++) write({{true, Key('b', i), Value("B", i, 40)}});
    for (int i = 50; i < 60; i++) write({{false, Key('a', i), ""}});
    ASSERT_TRUE(db->DeleteRange(WriteOptions(), Key('a', 100), Key('a', 120)).ok());
    base_.erase(base_.lower_bound(Key('a', 100)), base_.lower_bound(Key('a', 120)));
    ASSERT_TRUE(db->Flush(FlushOptions()).ok());
    for (int i = 0; i < (with_wal ? 110 : 0); i++) {
      Batch b = {{true, Key('c', i), Value("C", i, 300)}, {true, Key('a', i), Value("C", i, 20)}};
      if (i % 5 == 0) b.push_back({false, Key('b', i % 80), ""});
      for (const Op& op : b) universe_.insert(op.key);
      WriteBatch wb;
      for (const Op& op : b) {
        if (op.put) {
          wb.Put(op.key, op.value);
        } else {
          wb.Delete(op.key);
        }
      }
      ASSERT_TRUE(db->Write(WriteOptions(), &wb).ok());
      wal_batches_.push_back(b);
    }
    ASSERT_TRUE(db->Close().ok());
    db.reset();

    expected_.push_back(base_);
    for (const Batch& b : wal_batches_) {
      expected_.push_back(expected_.back());
      Apply(b, &expected_.back());
    }
    for (const auto& e : std::filesystem::directory_iterator(pristine_.path())) {
      const std::string name = e.path().filename().string();
      if (name.size() > 4 && name.substr(name.size() - 4) == ".sst") tables_.push_back(name);
      if (name.size() > 4 && name.substr(name.size() - 4) == ".wal") wals_.push_back(name);
      if (name.rfind("MANIFEST-", 0) == 0) manifests_.push_back(name);
    }
    std::sort(tables_.begin(), tables_.end());
    // The layout the cases are written for.
    ASSERT_EQ(2u, tables_.size());
    ASSERT_EQ(1u, wals_.size());
    ASSERT_EQ(1u, manifests_.size());
    const std::string wal = ReadFile(pristine_.Sub(wals_[0]));
    if (with_wal) {
      ASSERT_GT(wal.size(), 32768u) << "the WAL should span two blocks";
    }
    ASSERT_EQ(wal_batches_.size(), LogRecords(wal).size());
  }

  // Opens the store in dir (read-only: changes nothing on disk) and reads
  // all of it: a Get of every key ever written, a forward and a backward
  // scan, then Verify(). `file` is the damaged file's name, which any
  // Corruption must name.
  Outcome Evaluate(const std::string& dir, bool read_only, const std::string& file,
                   bool full_reads) {
    Outcome out;
    Options o = options_;
    o.read_only = read_only;
    o.block_cache = NewLRUCache(1 << 20);  // nothing cached from another case
    std::unique_ptr<DB> db;
    out.open = DB::Open(o, dir, &db);
    if (!out.open.ok()) {
      if (!NamesFile(out.open, file)) out.wrong = "Open: " + out.open.ToString();
      return out;
    }
    if (full_reads) ReadEverything(db.get(), file, &out);
    out.verify = db->Verify();
    if (!out.verify.ok() && !NamesFile(out.verify, file)) {
      out.wrong += " Verify: " + out.verify.ToString();
    }
    return out;
  }

  static bool NamesFile(const Status& s, const std::string& file) {
    return s.IsCorruption() && s.ToString().find(file) != std::string::npos;
  }

  void ReadEverything(DB* db, const std::string& file, Outcome* out) {
    auto error = [&](const std::string& what, const Status& s) {
      if (NamesFile(s, file)) {
        out->read_errors.push_back(s);
      } else {
        out->wrong += " " + what + ": " + s.ToString();
      }
    };
    Map got;                       // keys whose Get succeeded
    std::set<std::string> absent;  // keys Get did not find
    for (const std::string& k : universe_) {
      std::string v;
      Status s = db->Get(ReadOptions(), k, &v);
      if (s.ok()) {
        got[k] = v;
      } else if (s.IsNotFound()) {
        absent.insert(k);
      } else {
        error("Get(" + k + ")", s);
      }
    }
    // What a scan yields before it stops must agree with Get, and with
    // what was written.
    auto check_scan = [&](const Map& scanned, const char* what, std::string* wrong) {
      for (const auto& [k, v] : scanned) {
        auto e = expected_.back().find(k);
        if (universe_.count(k) == 0) {
          *wrong += std::string(" ") + what + " returned a key never written: " + k;
        } else if (absent.count(k) > 0) {
          *wrong += std::string(" ") + what + " returned " + k + ", which Get does not find";
        } else if (got.count(k) > 0 && got[k] != v) {
          *wrong += std::string(" ") + what + " and Get disagree on " + k + ": " + v.substr(0, 12) +
                    " vs " + got[k].substr(0, 12);
        } else if (got.count(k) == 0 && (e == expected_.back().end() || e->second != v)) {
          *wrong += std::string(" ") + what + " returned a wrong value for " + k;
        }
      }
    };
    std::unique_ptr<Iterator> it(db->NewIterator(ReadOptions()));
    Map forward, backward;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      forward[it->key().ToString()] = it->value().ToString();
    }
    if (!it->status().ok()) error("forward scan", it->status());
    check_scan(forward, "the forward scan", &out->wrong);
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
      backward[it->key().ToString()] = it->value().ToString();
    }
    if (!it->status().ok()) error("backward scan", it->status());
    check_scan(backward, "the backward scan", &out->wrong);
    if (out->read_errors.empty()) {
      if (forward != got) out->wrong += " the forward scan and Get disagree";
      if (backward != got) out->wrong += " the backward scan and Get disagree";
      // The whole store must be the state after some number of WAL batches.
      for (int p = static_cast<int>(expected_.size()) - 1; p >= 0; p--) {
        if (Diff(expected_[p], got).empty()) {
          out->prefix = p;
          break;
        }
      }
      if (out->prefix < 0) {
        out->wrong += " the store is no prefix of the batches: " + Diff(expected_.back(), got);
      }
    } else {
      // Tables were unreadable: every value that was read must still be right.
      for (const auto& [k, v] : got) {
        auto e = expected_.back().find(k);
        if (e == expected_.back().end() || e->second != v) out->wrong += " wrong value for " + k;
      }
    }
  }

  // Flips bytes of pristine file `name` at each offset (XOR with a random
  // non-zero mask), evaluates, restores. Read-only opens change nothing, so
  // one copy of the store serves every case. check(offset, outcome) asserts
  // what must have happened.
  template <typename Check>
  void FlipEach(const std::string& name, const std::vector<uint64_t>& offsets, bool full_reads,
                Random* rnd, Check check) {
    ScratchDir work("flip");
    std::filesystem::copy(pristine_.path(), work.path(),
                          std::filesystem::copy_options::recursive |
                              std::filesystem::copy_options::overwrite_existing);
    const std::string path = work.Sub(name);
    const std::string original = ReadFile(path);
    for (uint64_t offset : offsets) {
      const uint8_t mask = static_cast<uint8_t>(1 + rnd->Uniform(255));
      Overwrite(path, offset, std::string(1, static_cast<char>(original[offset] ^ mask)));
      Outcome out = Evaluate(work.path(), /*read_only=*/true, name, full_reads);
      Overwrite(path, offset, original.substr(offset, 1));
      SCOPED_TRACE(name + " byte " + std::to_string(offset) + " ^ " + std::to_string(mask));
      ASSERT_EQ("", out.wrong);
      check(offset, out);
      if (testing::Test::HasFatalFailure()) return;
    }
  }

  // Cuts pristine file `name` to each size, evaluates, restores.
  template <typename Check>
  void TruncateEach(const std::string& name, const std::vector<uint64_t>& sizes, Check check) {
    ScratchDir work("cut");
    std::filesystem::copy(pristine_.path(), work.path(),
                          std::filesystem::copy_options::recursive |
                              std::filesystem::copy_options::overwrite_existing);
    const std::string path = work.Sub(name);
    const std::string original = ReadFile(path);
    for (uint64_t size : sizes) {
      ASSERT_EQ(0, truncate(path.c_str(), static_cast<off_t>(size)));
      Outcome out = Evaluate(work.path(), /*read_only=*/true, name, /*full_reads=*/true);
      Restore(path, original);
      SCOPED_TRACE(name + " cut to " + std::to_string(size) + " of " +
                   std::to_string(original.size()) + " bytes");
      ASSERT_EQ("", out.wrong);
      check(size, out);
      if (testing::Test::HasFatalFailure()) return;
    }
  }

  // Offsets to try in a file of `size` bytes: all of them in a full sweep,
  // else the first and last `edge` bytes and `random` more.
  static std::vector<uint64_t> Offsets(uint64_t size, uint64_t edge, int random, Random* rnd) {
    std::set<uint64_t> s;
    if (FullSweep()) {
      for (uint64_t i = 0; i < size; i++) s.insert(i);
    } else {
      for (uint64_t i = 0; i < std::min(edge, size); i++) {
        s.insert(i);
        s.insert(size - 1 - i);
      }
      for (int i = 0; i < random; i++) s.insert(rnd->Uniform(size));
    }
    return std::vector<uint64_t>(s.begin(), s.end());
  }

  int NumWalBatches() const { return static_cast<int>(wal_batches_.size()); }

  ScratchDir pristine_;
  Options options_;
  Map base_;                        // the state before the WAL batches
  std::vector<Batch> wal_batches_;  // the WAL's records, in order
  std::vector<Map> expected_;       // expected_[p]: the state after p WAL batches
  std::set<std::string> universe_;  // every key ever written
  std::vector<std::string> tables_, wals_, manifests_;
};

TEST_F(DBCorruptionTest, PristineStoreReadsBack) {
  ASSERT_NO_FATAL_FAILURE(BuildPristine());
  for (bool read_only : {true, false}) {
    ScratchDir work("clean");
    std::filesystem::copy(pristine_.path(), work.path(),
                          std::filesystem::copy_options::recursive |
                              std::filesystem::copy_options::overwrite_existing);
    Outcome out = Evaluate(work.path(), read_only, "none", true);
    EXPECT_TRUE(out.open.ok()) << out.open.ToString();
    EXPECT_EQ("", out.wrong);
    EXPECT_EQ(NumWalBatches(), out.prefix);
    EXPECT_TRUE(out.verify.ok()) << out.verify.ToString();
  }
}

// Every byte of every table: Verify() finds it; reads (on a sample, or on
// every byte with STRATA_CORRUPTION_FULL) fail with Corruption or return
// the right values.
TEST_F(DBCorruptionTest, VerifyFindsEveryFlippedTableByte) {
  ASSERT_NO_FATAL_FAILURE(BuildPristine(/*with_wal=*/false));
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Random rnd(seed);
  for (const std::string& table : tables_) {
    const std::string data = ReadFile(pristine_.Sub(table));
    const std::vector<Region> regions = TableRegions(data);
    std::map<std::string, int> flips, read_detected;
    // Verify alone: every byte with STRATA_CORRUPTION_FULL; else every byte
    // of the small regions, a random quarter of the properties and filter
    // blocks and a random 1/40 of the data blocks (each case opens the
    // store: about 2 ms).
    std::vector<uint64_t> offsets;
    for (uint64_t i = 0; i < data.size(); i++) {
      const std::string& region = RegionOf(regions, i)->name;
      const uint64_t one_in = region == "data blocks"                                    ? 40
                              : region == "properties block" || region == "filter block" ? 4
                                                                                         : 1;
      if (FullSweep() || rnd.OneIn(one_in)) offsets.push_back(i);
    }
    FlipEach(table, offsets, /*full_reads=*/false, &rnd, [&](uint64_t offset, const Outcome& out) {
      const Region* r = RegionOf(regions, offset);
      ASSERT_NE(nullptr, r);
      SCOPED_TRACE(r->name);
      flips[r->name]++;
      EXPECT_TRUE(!out.Opened() || NamesFile(out.verify, table))
          << "Verify missed it: " << out.verify.ToString();
    });
    // Full reads: a sample in every region (every byte with the env var).
    std::vector<uint64_t> sample;
    for (const Region& r : regions) {
      const uint64_t n = r.end - r.begin;
      for (uint64_t i = 0; i < n; i++) {
        if (FullSweep() || i < 4 || i + 4 >= n || rnd.OneIn(40)) {
          sample.push_back(r.begin + i);
        }
      }
    }
    FlipEach(table, sample, /*full_reads=*/true, &rnd, [&](uint64_t offset, const Outcome& out) {
      const Region* r = RegionOf(regions, offset);
      if (!out.read_errors.empty() || !out.Opened()) read_detected[r->name]++;
      // Undetected by reads means every value came back right.
      if (out.Opened() && out.read_errors.empty()) {
        EXPECT_EQ(NumWalBatches(), out.prefix);
      }
      EXPECT_TRUE(!out.Opened() || NamesFile(out.verify, table)) << out.verify.ToString();
    });
    std::string summary;
    for (const auto& [name, n] : flips) {
      summary += " " + name + ": " + std::to_string(n);
    }
    RecordProperty("flips_" + table.substr(0, table.find('.')), summary);
  }
}

// Regression: a backward scan over a table whose block is corrupt yielded a
// stale value before it reported the Corruption: DBIter's FindPrevUserEntry
// collects a key's versions oldest first, and when the merging iterator
// stopped on the child's error it returned the older version it held instead
// of checking the input's status. E.g. a flipped byte in the first data
// block of the L1 table: SeekToLast/Prev returned a0011 = "A11:..." (the L1
// value) although the memtable holds a0011 = "C11:...".
TEST_F(DBCorruptionTest, BackwardScanNeverYieldsAStaleValueBeforeItsError) {
  ASSERT_NO_FATAL_FAILURE(BuildPristine());
  Random rnd(test::TestSeed());
  for (const std::string& table : tables_) {
    const std::string data = ReadFile(pristine_.Sub(table));
    std::vector<uint64_t> offsets;
    for (uint64_t i = 0; i < data.size(); i += 97) offsets.push_back(i);
    FlipEach(table, offsets, /*full_reads=*/true, &rnd, [](uint64_t, const Outcome&) {});
  }
}

// A table cut short at any length is refused at open, naming it (the
// manifest records every table's size).
TEST_F(DBCorruptionTest, TruncatedTableRefusesToOpen) {
  ASSERT_NO_FATAL_FAILURE(BuildPristine());
  Random rnd(test::TestSeed());
  for (const std::string& table : tables_) {
    const uint64_t size = ReadFile(pristine_.Sub(table)).size();
    std::vector<uint64_t> sizes = {0, 1, size - 1, size - Footer::kEncodedLength};
    for (int i = 0; i < 20; i++) sizes.push_back(rnd.Uniform(size));
    TruncateEach(table, sizes, [&](uint64_t, const Outcome& out) {
      EXPECT_TRUE(NamesFile(out.open, table)) << out.open.ToString();
    });
  }
}

// Damage to a WAL record followed by intact records is Corruption at open
// (paranoid_checks, the default), naming the WAL; damage to the last record
// is a torn tail: it is dropped and the store holds every batch before it;
// damage to block padding changes nothing. (Regression: damage in the last
// 32 KiB block was taken for a torn tail even with intact records after it
// in the same block, dropping acknowledged batches silently.)
TEST_F(DBCorruptionTest, FlippedWalByteIsCorruptionUnlessInTheLastRecord) {
  ASSERT_NO_FATAL_FAILURE(BuildPristine());
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Random rnd(seed);
  const std::string wal = wals_[0];
  const std::string data = ReadFile(pristine_.Sub(wal));
  const std::vector<Region> records = LogRecords(data);
  const int n = NumWalBatches();
  std::vector<uint64_t> offsets = Offsets(data.size(), 24, 150, &rnd);
  // Every byte around the block boundary and of the last two records.
  for (uint64_t i = 32768 - 40; i < 32768 + 40; i++) offsets.push_back(i);
  for (uint64_t i = records[n - 2].begin; i < records[n - 1].end; i++) offsets.push_back(i);
  FlipEach(wal, offsets, /*full_reads=*/true, &rnd, [&](uint64_t offset, const Outcome& out) {
    int record = -1;
    for (int i = 0; i < n; i++) {
      if (offset >= records[i].begin && offset < records[i].end) record = i;
    }
    SCOPED_TRACE(record < 0 ? std::string("block padding")
                            : "in record " + std::to_string(record) + " of " + std::to_string(n));
    if (record >= 0 && record < n - 1) {
      EXPECT_TRUE(NamesFile(out.open, wal))
          << "acknowledged batches after the damaged one were dropped without an error: "
          << out.open.ToString();
      return;
    }
    ASSERT_TRUE(out.Opened()) << out.open.ToString();
    EXPECT_TRUE(out.read_errors.empty());
    EXPECT_EQ(record < 0 ? n : n - 1, out.prefix);
  });
}

// A WAL cut short keeps exactly the records wholly before the cut.
TEST_F(DBCorruptionTest, TruncatedWalKeepsWholeRecords) {
  ASSERT_NO_FATAL_FAILURE(BuildPristine());
  Random rnd(test::TestSeed());
  const std::string wal = wals_[0];
  const std::string data = ReadFile(pristine_.Sub(wal));
  const std::vector<Region> records = LogRecords(data);
  std::vector<uint64_t> sizes = Offsets(data.size(), 16, 60, &rnd);
  for (const Region& r : records) {
    if (rnd.OneIn(4)) {
      sizes.push_back(r.end);
      sizes.push_back(r.end - 1);
      sizes.push_back(r.begin + 3);
    }
  }
  TruncateEach(wal, sizes, [&](uint64_t size, const Outcome& out) {
    ASSERT_TRUE(out.Opened()) << out.open.ToString();
    int whole = 0;
    for (const Region& r : records) whole += r.end <= size ? 1 : 0;
    EXPECT_EQ(whole, out.prefix);
  });
}

// CURRENT damaged or cut anywhere: the open fails with Corruption naming
// CURRENT; the store never opens empty or partial.
TEST_F(DBCorruptionTest, DamagedCurrentRefusesToOpen) {
  ASSERT_NO_FATAL_FAILURE(BuildPristine());
  Random rnd(test::TestSeed());
  const std::string data = ReadFile(pristine_.Sub("CURRENT"));
  std::vector<uint64_t> all(data.size());
  for (uint64_t i = 0; i < data.size(); i++) all[i] = i;
  auto refused = [&](uint64_t, const Outcome& out) {
    EXPECT_TRUE(NamesFile(out.open, "CURRENT")) << out.open.ToString();
  };
  // Each byte, with several masks.
  for (int round = 0; round < 4; round++) FlipEach("CURRENT", all, true, &rnd, refused);
  TruncateEach("CURRENT", all, refused);
}

// The manifest: any damaged byte or cut either leaves every row there or
// refuses to open with Corruption; never a partial store.
class DBCorruptionManifestTest : public DBCorruptionTest {
 public:
  void Damage(bool cut) {
    ASSERT_NO_FATAL_FAILURE(BuildPristine());
    Random rnd(test::TestSeed());
    const std::string manifest = manifests_[0];
    const std::string data = ReadFile(pristine_.Sub(manifest));
    const std::vector<Region> records = LogRecords(data);
    std::vector<uint64_t> all(data.size());
    for (uint64_t i = 0; i < data.size(); i++) all[i] = i;
    auto check = [&](uint64_t offset, const Outcome& out) {
      const Region* r = RegionOf(records, offset);
      SCOPED_TRACE(r != nullptr ? r->name + " of " + std::to_string(records.size())
                                : std::string("past the records"));
      if (!out.Opened()) return;  // Corruption naming the manifest (Evaluate checked)
      EXPECT_EQ(NumWalBatches(), out.prefix) << "opened partial";
      EXPECT_TRUE(out.read_errors.empty());
    };
    if (cut) {
      TruncateEach(manifest, all, check);
    } else {
      FlipEach(manifest, all, true, &rnd, check);
    }
  }
};

// Regression: a damaged or cut last manifest record was taken for a torn
// tail and dropped, and the store opened without the table that edit added
// (here the second flush's L0 table, whose WAL was deleted long ago): rows
// went missing or older values came back, and a read-write open deleted the
// table as obsolete. Recovery now requires the WAL the manifest names.
TEST_F(DBCorruptionManifestTest, FlippedManifestByteNeverOpensPartial) { Damage(false); }

// As above, for a manifest cut inside its last record or at any record
// boundary.
TEST_F(DBCorruptionManifestTest, TruncatedManifestNeverOpensPartial) { Damage(true); }

// Read-write opens on copies of the damaged store (recovery then flushes
// the WAL into a table and deletes it): a sample of cases of every kind.
// What the first open accepted must read back the same after a second.
TEST_F(DBCorruptionTest, ReadWriteOpenOfDamagedStores) {
  ASSERT_NO_FATAL_FAILURE(BuildPristine());
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Random rnd(seed);
  std::vector<std::string> files = tables_;
  files.push_back(wals_[0]);
  files.push_back("CURRENT");
  for (const std::string& file : files) {
    const std::string data = ReadFile(pristine_.Sub(file));
    for (int i = 0; i < (FullSweep() ? 200 : 12); i++) {
      ScratchDir work("rw");
      std::filesystem::copy(pristine_.path(), work.path(),
                            std::filesystem::copy_options::recursive |
                                std::filesystem::copy_options::overwrite_existing);
      const uint64_t offset = rnd.Uniform(data.size());
      const bool cut = rnd.OneIn(3);
      if (cut) {
        ASSERT_EQ(0, truncate(work.Sub(file).c_str(), static_cast<off_t>(offset)));
      } else {
        Overwrite(work.Sub(file), offset,
                  std::string(1, static_cast<char>(data[offset] ^ (1 + rnd.Uniform(255)))));
      }
      SCOPED_TRACE(file + (cut ? " cut to " : " flipped at ") + std::to_string(offset));
      Outcome first = Evaluate(work.path(), /*read_only=*/false, file, true);
      ASSERT_EQ("", first.wrong);
      if (!first.Opened() || !first.read_errors.empty()) continue;
      if (file.find(".sst") == std::string::npos) {
        // Nothing of a table was read: the store is some prefix.
        ASSERT_GE(first.prefix, 0);
      }
      Outcome second = Evaluate(work.path(), /*read_only=*/false, file, true);
      ASSERT_EQ("", second.wrong);
      ASSERT_TRUE(second.Opened()) << "opened once, then no more: " << second.open.ToString();
      EXPECT_EQ(first.prefix, second.prefix);
    }
  }
}

}  // namespace
}  // namespace strata
