// The memtable's hash index (engine/db/memtable_index.h): newest entry per key, absent keys,
// giving up at half full, readers racing the writer; and the DB's point reads through it,
// at snapshots older than the indexed entry and once it is full.
#include "db/memtable_index.h"

#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "strata/db.h"
#include "unit_tests/publish_race.h"
#include "unit_tests/test_util.h"

namespace strata {
namespace {

// Test entries: a NUL-terminated key, then anything (the index reads only the key).
Slice KeyOf(const char* entry) { return Slice(entry); }

std::string Key(uint64_t i) { return test::SpreadKey(i); }

class Entries {
 public:
  const char* Make(const std::string& key, const std::string& tag) {
    store_.push_back(key + std::string(1, '\0') + tag);
    return store_.back().c_str();
  }

 private:
  std::deque<std::string> store_;  // stable addresses
};

TEST(MemTableIndexTest, FindsTheNewestEntryOfEachKey) {
  MemTableIndex index(64 << 10, &KeyOf);
  Entries entries;
  std::vector<const char*> newest;
  for (uint64_t i = 0; i < 2000; i++) {
    const char* e = entries.Make(Key(i), "v1");
    index.Add(Key(i), e, nullptr);
    newest.push_back(e);
  }
  for (uint64_t i = 0; i < 2000; i += 3) {
    const char* e = entries.Make(Key(i), "v2");
    index.Add(Key(i), e, newest[i]);
    newest[i] = e;
  }
  ASSERT_FALSE(index.Full());
  for (uint64_t i = 0; i < 2000; i++) ASSERT_EQ(newest[i], index.Find(Key(i))) << i;
  for (uint64_t i = 2000; i < 4000; i++) ASSERT_EQ(nullptr, index.Find(Key(i))) << i;
}

TEST(MemTableIndexTest, GivesUpAtHalfFull) {
  MemTableIndex index(0, &KeyOf);  // the minimum: 1024 slots
  EXPECT_EQ(1024 * sizeof(uint64_t), index.MemoryUsage());
  Entries entries;
  std::vector<const char*> first;
  for (uint64_t i = 0; i < 512; i++) {
    first.push_back(entries.Make(Key(i), "v"));
    index.Add(Key(i), first.back(), nullptr);
  }
  EXPECT_FALSE(index.Full());
  for (uint64_t i = 0; i < 512; i++) index.Add(Key(i), entries.Make(Key(i), "again"), first[i]);
  EXPECT_FALSE(index.Full());  // replacing takes no slot
  index.Add(Key(512), entries.Make(Key(512), "v"), nullptr);
  EXPECT_TRUE(index.Full());
}

TEST(MemTableIndexTest, ReadersFindEveryPublishedEntry) {
  const uint64_t n = 100000;
  MemTableIndex index(n * 16 * sizeof(uint64_t), &KeyOf);
  Entries entries;
  std::vector<const char*> made;
  for (uint64_t i = 0; i < n; i++) made.push_back(entries.Make(Key(i), "v"));
  EXPECT_EQ(0u, test::CountMissesWhilePublishing(
                    n, [&](uint64_t i) { index.Add(Key(i), made[i], nullptr); },
                    [&](uint64_t k) { return index.Find(Key(k)) == made[k]; }));
}

class MemTableIndexDBTest : public testing::Test {
 protected:
  void Open() {
    db_.reset();
    ASSERT_TRUE(DestroyDB(dir_.path(), options_).ok());
    ASSERT_TRUE(DB::Open(options_, dir_.path(), &db_).ok());
  }
  std::string Get(const std::string& k, const Snapshot* snapshot = nullptr) {
    ReadOptions ro;
    ro.snapshot = snapshot;
    std::string v;
    Status s = db_->Get(ro, k, &v);
    return s.ok() ? v : s.IsNotFound() ? "NOT_FOUND" : s.ToString();
  }
  test::ScratchDir dir_{"memtable-index"};
  Options options_;
  std::unique_ptr<DB> db_;
};

TEST_F(MemTableIndexDBTest, RatioOutOfBoundsIsRefused) {
  options_.memtable_index_size_ratio = 0.6;
  Status s = DB::Open(options_, dir_.path(), &db_);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(std::string::npos, s.ToString().find("memtable_index_size_ratio")) << s.ToString();
}

// The index holds each key's newest entry; reads at older snapshots must find the versions
// they see, deletions must hide, and a full index must hand over to the skip list. With the
// index large, tiny (full after 512 keys) and off.
TEST_F(MemTableIndexDBTest, PointReadsAtEverySnapshot) {
  options_.write_buffer_size = 4 << 20;  // everything stays in one memtable
  for (double ratio : {0.125, 0.000001, 0.0}) {
    SCOPED_TRACE(ratio);
    options_.memtable_index_size_ratio = ratio;
    Open();
    WriteOptions wo;
    for (int i = 0; i < 2000; i++) ASSERT_TRUE(db_->Put(wo, Key(i), "v1-" + Key(i)).ok());
    const Snapshot* s1 = db_->GetSnapshot();
    for (int i = 0; i < 2000; i += 2) ASSERT_TRUE(db_->Put(wo, Key(i), "v2-" + Key(i)).ok());
    for (int i = 0; i < 2000; i += 5) ASSERT_TRUE(db_->Delete(wo, Key(i)).ok());
    const Snapshot* s2 = db_->GetSnapshot();
    for (int i = 0; i < 2000; i += 7) ASSERT_TRUE(db_->Put(wo, Key(i), "v3-" + Key(i)).ok());
    for (int i = 0; i < 2000; i++) {
      ASSERT_EQ("v1-" + Key(i), Get(Key(i), s1)) << i;
      const std::string at2 = i % 5 == 0 ? "NOT_FOUND" : (i % 2 == 0 ? "v2-" : "v1-") + Key(i);
      ASSERT_EQ(at2, Get(Key(i), s2)) << i;
      ASSERT_EQ(i % 7 == 0 ? "v3-" + Key(i) : at2, Get(Key(i))) << i;
    }
    EXPECT_EQ("NOT_FOUND", Get(Key(5000)));
    db_->ReleaseSnapshot(s1);
    db_->ReleaseSnapshot(s2);
  }
}

}  // namespace
}  // namespace strata
