// Regression tests for engine bugs found while writing docs/. Each test
// states the behaviour the code should have (all of them are fixed).
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "strata/db.h"
#include "strata/env.h"
#include "unit_tests/test_util.h"

namespace strata {
namespace {

// Passes everything to Env::Default() except that the armed SyncDir fails.
class FailSyncDirEnv final : public Env {
 public:
  void FailNextSyncDir() { fail_next_sync_dir_ = true; }

  Status NewSequentialFile(const std::string& f, std::unique_ptr<SequentialFile>* r) override {
    return base_->NewSequentialFile(f, r);
  }
  Status NewRandomAccessFile(const std::string& f, std::unique_ptr<RandomAccessFile>* r) override {
    return base_->NewRandomAccessFile(f, r);
  }
  Status NewWritableFile(const std::string& f, const WritableFileOptions& o,
                         std::unique_ptr<WritableFile>* r) override {
    return base_->NewWritableFile(f, o, r);
  }
  bool FileExists(const std::string& f) override { return base_->FileExists(f); }
  Status GetChildren(const std::string& d, std::vector<std::string>* r) override {
    return base_->GetChildren(d, r);
  }
  Status RemoveFile(const std::string& f) override { return base_->RemoveFile(f); }
  Status CreateDir(const std::string& d) override { return base_->CreateDir(d); }
  Status RemoveDir(const std::string& d) override { return base_->RemoveDir(d); }
  Status GetFileSize(const std::string& f, uint64_t* s) override {
    return base_->GetFileSize(f, s);
  }
  Status RenameFile(const std::string& s, const std::string& t) override {
    return base_->RenameFile(s, t);
  }
  Status LinkFile(const std::string& s, const std::string& t) override {
    return base_->LinkFile(s, t);
  }
  Status SyncDir(const std::string& d) override {
    if (fail_next_sync_dir_.exchange(false)) return Status::IOError(d, "injected SyncDir failure");
    return base_->SyncDir(d);
  }
  bool IsDirWritable(const std::string& d) override { return base_->IsDirWritable(d); }
  Status LockFile(const std::string& f, bool exclusive, std::unique_ptr<FileLock>* l) override {
    return base_->LockFile(f, exclusive, l);
  }
  uint64_t NowMicros() override { return base_->NowMicros(); }
  void SleepForMicroseconds(int micros) override { base_->SleepForMicroseconds(micros); }

 private:
  Env* const base_ = Env::Default();
  std::atomic<bool> fail_next_sync_dir_{false};
};

// VersionSet::LogAndApply starts a new manifest, and SetCurrentFile renames
// the new CURRENT into place but then fails to sync the directory. The
// failure path removes the new manifest although CURRENT already names it,
// so the next open finds "the manifest named by CURRENT is missing" and the
// store, whose data is all intact, no longer opens.
TEST(DocsFindingsTest, FailedDirectorySyncAfterCurrentSwitchKeepsStoreOpenable) {
  test::ScratchDir dir("docs-findings");
  const std::string name = dir.Sub("store");
  FailSyncDirEnv env;
  Options options;
  options.env = &env;
  {
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(options, name, &db).ok());
    ASSERT_TRUE(db->Put(WriteOptions(), "k", "v").ok());
    ASSERT_TRUE(db->Close().ok());
  }
  {
    // Every open writes a new manifest and switches CURRENT to it.
    env.FailNextSyncDir();
    std::unique_ptr<DB> db;
    Status s = DB::Open(options, name, &db);
    ASSERT_FALSE(s.ok()) << "the injected SyncDir failure was not reached";
  }
  std::unique_ptr<DB> db;
  Status s = DB::Open(options, name, &db);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::string value;
  ASSERT_TRUE(db->Get(ReadOptions(), "k", &value).ok());
  EXPECT_EQ("v", value);
}

// A bit flipped in the first of three WAL records of one 32 KiB block: the
// reader checks only the first fragment of each *later* block for intact
// data (IntactFragmentAfter), so damage followed by intact records in the
// same block is classified as a torn tail, and the two acknowledged records
// after it are dropped without an error (only wal_tails_dropped counts it).
// The open should fail with Corruption (paranoid_checks is on by default).
TEST(DocsFindingsTest, DamagedWalRecordFollowedByIntactOnesInSameBlockIsCorruption) {
  test::ScratchDir dir("docs-findings");
  const std::string name = dir.Sub("store");
  std::string wal;
  {
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(Options(), name, &db).ok());
    ASSERT_TRUE(db->Put(WriteOptions(), "a", "1").ok());
    ASSERT_TRUE(db->Put(WriteOptions(), "b", "2").ok());
    ASSERT_TRUE(db->Put(WriteOptions(), "c", "3").ok());
    ASSERT_TRUE(db->Close().ok());  // no flush: the three records stay in the WAL
  }
  for (const auto& e : std::filesystem::directory_iterator(name)) {
    if (e.path().extension() == ".wal" && std::filesystem::file_size(e.path()) > 0) {
      wal = e.path().string();
    }
  }
  ASSERT_FALSE(wal.empty());
  {
    // Record 1 is 7 (header) + 12 (batch header) + 5 bytes: flip the last
    // byte of its payload, the value "1".
    std::fstream f(wal, std::ios::in | std::ios::out | std::ios::binary);
    const std::streamoff pos = 7 + 12 + 4;
    char c = 0;
    f.seekg(pos);
    ASSERT_TRUE(f.get(c));
    f.seekp(pos);
    f.put(static_cast<char>(c ^ 0x01));
    ASSERT_TRUE(f.good());
  }
  std::unique_ptr<DB> db;
  Status s = DB::Open(Options(), name, &db);
  if (s.ok()) {
    std::string v;
    ADD_FAILURE() << "open succeeded; Get(b): " << db->Get(ReadOptions(), "b", &v).ToString()
                  << ", Get(c): " << db->Get(ReadOptions(), "c", &v).ToString();
  } else {
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  }
}

}  // namespace
}  // namespace strata
