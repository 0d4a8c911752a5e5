// VersionSet: the manifest records exactly the live files and recovers them,
// versions pin their files, and compaction picking follows the scores.
#include "db/version_set.h"

#include <gtest/gtest.h>

#include <fstream>
#include <mutex>

#include "db/filename.h"
#include "db/table_cache.h"
#include "table/table_options.h"
#include "unit_tests/test_util.h"

namespace strata {

class VersionSetTest : public testing::Test {
 protected:
  VersionSetTest() : dir_("versions"), icmp_(BytewiseComparator()) {
    options_.num_levels = 4;
    options_.l0_compaction_trigger = 4;
    options_.max_bytes_for_level_base = 10000;
    options_.target_file_size = 64 << 10;
    table_options_.comparator = &icmp_;
    table_cache_ = std::make_unique<TableCache>(dir_.path(), Env::Default(), table_options_, 100);
    NewVersionSet();
    // A new store: the first manifest.
    VersionEdit edit;
    edit.SetComparatorName(BytewiseComparator()->Name());
    edit.SetLogNumber(0);
    EXPECT_TRUE(Apply(&edit).ok());
  }

  void NewVersionSet() {
    vset_ = std::make_unique<VersionSet>(dir_.path(), &options_, table_cache_.get(), &icmp_);
  }

  // A file metadata entry for [smallest, largest] (user keys) of `size`
  // bytes; the file itself is created with that size so recovery finds it.
  FileMetaData File(uint64_t number, const std::string& smallest, const std::string& largest,
                    uint64_t size = 1000, SequenceNumber seq = 100) {
    FileMetaData f;
    f.number = number;
    f.file_size = size;
    f.smallest = InternalKey(smallest, seq, kTypeValue);
    f.largest = InternalKey(largest, seq, kTypeValue);
    f.smallest_seq = seq;
    f.largest_seq = seq;
    f.num_entries = 10;
    std::ofstream out(TableFileName(dir_.path(), number), std::ios::binary);
    out << std::string(size, 'x');
    vset_->MarkFileNumberUsed(number);
    return f;
  }

  // LogAndApply expects the mutex held and returns with it held.
  Status Apply(VersionEdit* edit) {
    mu_.lock();
    Status s = vset_->LogAndApply(edit, &mu_);
    mu_.unlock();
    return s;
  }

  std::string Levels() {
    std::string r;
    for (int level = 0; level < options_.num_levels; level++) {
      if (level > 0) r += "|";
      bool first = true;
      for (const FileMetaData* f : vset_->current()->files(level)) {
        r += (first ? "" : ",") + std::to_string(f->number);
        first = false;
      }
    }
    return r;
  }

  test::ScratchDir dir_;
  Options options_;
  InternalKeyComparator icmp_;
  TableOptions table_options_;
  std::unique_ptr<TableCache> table_cache_;
  std::unique_ptr<VersionSet> vset_;
  std::mutex mu_;
};

TEST_F(VersionSetTest, ManifestRecoversExactlyTheLiveFiles) {
  VersionEdit e1;
  e1.AddFile(0, File(10, "a", "m"));
  e1.AddFile(0, File(11, "c", "z", 1000, 200));
  e1.AddFile(1, File(12, "a", "f"));
  e1.AddFile(1, File(13, "g", "k"));
  ASSERT_TRUE(Apply(&e1).ok());
  VersionEdit e2;  // a compaction: 10 and 12 become 14
  e2.RemoveFile(0, 10);
  e2.RemoveFile(1, 12);
  e2.AddFile(1, File(14, "a", "f"));
  e2.SetLogNumber(7);
  std::ofstream(WalFileName(dir_.path(), 7));  // recovery requires the WAL it names
  vset_->SetLastSequence(555);
  ASSERT_TRUE(Apply(&e2).ok());
  VersionEdit e3;  // a trivial move
  e3.RemoveFile(1, 13);
  e3.AddFile(2, File(13, "g", "k"));
  ASSERT_TRUE(Apply(&e3).ok());
  const std::string expected = "11|14|13|";
  EXPECT_EQ(expected, Levels());
  const uint64_t next = vset_->NewFileNumber();

  NewVersionSet();
  ASSERT_TRUE(vset_->Recover().ok());
  EXPECT_EQ(expected, Levels());
  EXPECT_EQ(7u, vset_->LogNumber());
  EXPECT_EQ(555u, vset_->LastSequence());
  EXPECT_GE(vset_->NewFileNumber(), next);
}

TEST_F(VersionSetTest, RecoveryRefusesAMissingOrResizedTable) {
  VersionEdit e;
  e.AddFile(1, File(20, "a", "b"));
  ASSERT_TRUE(Apply(&e).ok());
  std::filesystem::resize_file(TableFileName(dir_.path(), 20), 999);
  NewVersionSet();
  Status s = vset_->Recover();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(std::string::npos, s.ToString().find("000020.sst")) << s.ToString();
  std::filesystem::remove(TableFileName(dir_.path(), 20));
  NewVersionSet();
  s = vset_->Recover();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(std::string::npos, s.ToString().find("missing")) << s.ToString();
}

TEST_F(VersionSetTest, NewManifestWhenTheOldOneGrows) {
  options_.max_manifest_file_size = 1;  // every edit starts a new manifest
  NewVersionSet();
  ASSERT_TRUE(vset_->Recover().ok());
  const uint64_t first = vset_->ManifestFileNumber();
  for (int i = 0; i < 5; i++) {
    VersionEdit e;
    e.AddFile(0, File(30 + i, "k" + std::to_string(i), "k" + std::to_string(i)));
    ASSERT_TRUE(Apply(&e).ok());
  }
  EXPECT_GT(vset_->ManifestFileNumber(), first);
  std::string current;
  ASSERT_TRUE(ReadFileToString(Env::Default(), CurrentFileName(dir_.path()), &current).ok());
  EXPECT_EQ(
      ManifestFileName(dir_.path(), vset_->ManifestFileNumber()).substr(dir_.path().size() + 1) +
          "\n",
      current);
  const std::string expected = Levels();
  NewVersionSet();
  ASSERT_TRUE(vset_->Recover().ok());
  EXPECT_EQ(expected, Levels());
  EXPECT_EQ(5, vset_->current()->NumFiles(0));
}

TEST_F(VersionSetTest, VersionsKeepTheirFilesLive) {
  VersionEdit e1;
  e1.AddFile(1, File(40, "a", "b"));
  ASSERT_TRUE(Apply(&e1).ok());
  Version* old = vset_->current();
  old->Ref();  // as an iterator would
  VersionEdit e2;
  e2.RemoveFile(1, 40);
  ASSERT_TRUE(Apply(&e2).ok());
  std::set<uint64_t> live;
  vset_->AddLiveFiles(&live);
  EXPECT_EQ(1u, live.count(40));  // still needed by the pinned version
  EXPECT_EQ(0, vset_->current()->NumFiles(1));
  old->Unref();
  live.clear();
  vset_->AddLiveFiles(&live);
  EXPECT_EQ(0u, live.count(40));
}

TEST_F(VersionSetTest, LevelZeroCompactionTakesOverlappingFilesAndNextLevel) {
  VersionEdit e;
  e.AddFile(0, File(50, "a", "c", 1000, 10));
  e.AddFile(0, File(51, "b", "d", 1000, 20));
  e.AddFile(0, File(52, "x", "y", 1000, 30));
  e.AddFile(1, File(53, "a", "b"));
  e.AddFile(1, File(54, "c", "e"));
  e.AddFile(1, File(55, "f", "g"));
  ASSERT_TRUE(Apply(&e).ok());
  EXPECT_FALSE(vset_->NeedsCompaction(0));  // 3 L0 files, trigger 4
  VersionEdit e2;
  e2.AddFile(0, File(56, "c", "c", 1000, 40));
  ASSERT_TRUE(Apply(&e2).ok());
  ASSERT_TRUE(vset_->NeedsCompaction(0));
  std::unique_ptr<Compaction> c(vset_->PickCompaction(0));
  ASSERT_NE(nullptr, c);
  EXPECT_EQ(0, c->level());
  EXPECT_EQ(4, c->num_input_files(0));  // all L0 files (they span a..y)
  std::vector<uint64_t> l1;
  for (FileMetaData* f : c->inputs(1)) l1.push_back(f->number);
  EXPECT_EQ((std::vector<uint64_t>{53, 54, 55}), l1);
  EXPECT_FALSE(c->IsTrivialMove());
  // Inputs are marked: nothing else can be picked from them now.
  EXPECT_EQ(nullptr, vset_->PickCompaction(0));
  c->ReleaseInputs();
}

TEST_F(VersionSetTest, SizeCompactionPicksTheFileWithLeastOverlap) {
  VersionEdit e;
  // L1 holds 3 x 5000 bytes (over its 10000 limit).
  e.AddFile(1, File(60, "a", "c", 5000));
  e.AddFile(1, File(61, "d", "f", 5000));
  e.AddFile(1, File(62, "g", "i", 5000));
  e.AddFile(2, File(63, "a", "b", 20000));  // heavy overlap with 60
  e.AddFile(2, File(64, "d", "e", 1000));   // light overlap with 61
  e.AddFile(2, File(65, "g", "h", 9000));
  ASSERT_TRUE(Apply(&e).ok());
  std::unique_ptr<Compaction> c(vset_->PickCompaction(0));
  ASSERT_NE(nullptr, c);
  EXPECT_EQ(1, c->level());
  ASSERT_EQ(1, c->num_input_files(0));
  EXPECT_EQ(61u, c->input(0, 0)->number);
  ASSERT_EQ(1, c->num_input_files(1));
  EXPECT_EQ(64u, c->input(1, 0)->number);
  c->ReleaseInputs();
}

TEST_F(VersionSetTest, TrivialMoveWhenNothingOverlaps) {
  VersionEdit e;
  e.AddFile(1, File(70, "a", "c", 6000));
  e.AddFile(1, File(71, "d", "f", 6000));
  e.AddFile(2, File(72, "x", "z", 6000));
  ASSERT_TRUE(Apply(&e).ok());
  std::unique_ptr<Compaction> c(vset_->PickCompaction(0));
  ASSERT_NE(nullptr, c);
  EXPECT_TRUE(c->IsTrivialMove());
  c->ReleaseInputs();
}

TEST_F(VersionSetTest, TombstoneDensityTriggersCompaction) {
  VersionEdit e;
  FileMetaData f = File(80, "a", "z", 1000);
  f.num_entries = 1000;
  f.num_deletions = 900;
  e.AddFile(1, f);
  ASSERT_TRUE(Apply(&e).ok());
  ASSERT_TRUE(vset_->NeedsCompaction(0));  // no level is over its size
  std::unique_ptr<Compaction> c(vset_->PickCompaction(0));
  ASSERT_NE(nullptr, c);
  EXPECT_EQ(1, c->level());
  EXPECT_STREQ("tombstones", c->reason());
  c->ReleaseInputs();
}

// A file at the bottom of its key range that still holds deletions (a
// snapshot needed them when it was written) is rewritten in place once the
// oldest snapshot has passed everything in it, and not before; a file with
// data below it, or with few point deletions, is left alone.
TEST_F(VersionSetTest, BottomDeletionsAreCleanedUpOnceNoSnapshotNeedsThem) {
  VersionEdit e;
  FileMetaData ranged = File(100, "a", "f", 1000, /*seq=*/500);
  ranged.num_range_deletions = 1;
  e.AddFile(3, ranged);
  FileMetaData few = File(101, "g", "k", 1000, /*seq=*/10);
  few.num_entries = 1000;
  few.num_deletions = 3;  // under 1/32 of its entries: not worth a rewrite
  e.AddFile(3, few);
  FileMetaData above = File(102, "m", "p", 1000, /*seq=*/10);
  above.num_range_deletions = 1;
  e.AddFile(2, above);  // L3 below holds data in its range
  e.AddFile(3, File(103, "n", "o", 1000, /*seq=*/5));
  ASSERT_TRUE(Apply(&e).ok());
  EXPECT_FALSE(vset_->NeedsCompaction(499));
  EXPECT_EQ(nullptr, vset_->PickCompaction(499));
  ASSERT_TRUE(vset_->NeedsCompaction(500));
  std::unique_ptr<Compaction> c(vset_->PickCompaction(500));
  ASSERT_NE(nullptr, c);
  EXPECT_STREQ("cleanup", c->reason());
  EXPECT_EQ(3, c->level());
  EXPECT_EQ(3, c->output_level());
  ASSERT_EQ(1, c->num_input_files(0));
  EXPECT_EQ(100u, c->input(0, 0)->number);
  EXPECT_EQ(0, c->num_input_files(1));
  EXPECT_FALSE(c->IsTrivialMove());
  EXPECT_TRUE(c->bottommost());
  EXPECT_TRUE(c->IsBaseLevelForKey("c"));
  c->ReleaseInputs();
}

TEST_F(VersionSetTest, BottommostAndBaseLevel) {
  VersionEdit e;
  e.AddFile(1, File(90, "a", "c", 20000));
  e.AddFile(3, File(91, "b", "b", 100));
  ASSERT_TRUE(Apply(&e).ok());
  std::unique_ptr<Compaction> c(vset_->PickCompaction(0));
  ASSERT_NE(nullptr, c);
  EXPECT_FALSE(c->bottommost());  // L3 overlaps the range
  EXPECT_TRUE(c->IsBaseLevelForKey("a"));
  EXPECT_FALSE(c->IsBaseLevelForKey("b"));
  EXPECT_TRUE(c->IsBaseLevelForKey("c"));
  c->ReleaseInputs();
}

}  // namespace strata
