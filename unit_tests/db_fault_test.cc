// Fault tests of the engine through its public API, driven by
// FaultInjectionEnv (unit_tests/fault_injection_env.h):
//   - one failed, torn or refused file operation at a time, on the WAL, the
//     tables written by flush and compaction, the manifest, the CURRENT
//     switch and file creation: the error surfaces, reads go on, and after
//     Close + reopen (or Resume) nothing acknowledged is lost and nothing
//     partial is visible;
//   - a full disk during writes, flushes and compactions: NoSpace, the store
//     stays readable, and after the space returns and Resume() all is there;
//   - crashes at many points (the file system frozen at the N-th file
//     operation), followed by a process restart or a power loss (unsynced
//     data dropped): every acknowledged (resp. synced) batch is there, no
//     batch is partial, and what is there is a prefix of the batches.
//
// STRATA_FAULT_ITERS multiplies the crash loops (default 1: a few seconds).
// Randomized tests print their seed; STRATA_SEED fixes it.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "strata/db.h"
#include "strata/write_batch.h"
#include "unit_tests/fault_injection_env.h"
#include "unit_tests/fault_test_util.h"
#include "unit_tests/test_util.h"
#include "util/random.h"
#include "util/thread_pool.h"

namespace strata {
namespace {

using fault_test::Diff;
using fault_test::Map;
using fault_test::ReadAll;
using fault_test::ScratchDir;

int FaultIters() {
  const char* s = getenv("STRATA_FAULT_ITERS");
  const int n = s != nullptr ? atoi(s) : 1;
  return n > 0 ? n : 1;
}

// ---- Batches and the model they are checked against.

struct Op {
  enum Type { kPut, kDelete, kDeleteRange } type;
  std::string key;
  std::string value;  // the end key for kDeleteRange
};
using Batch = std::vector<Op>;

void ApplyToModel(const Batch& batch, Map* model) {
  for (const Op& op : batch) {
    switch (op.type) {
      case Op::kPut:
        (*model)[op.key] = op.value;
        break;
      case Op::kDelete:
        model->erase(op.key);
        break;
      case Op::kDeleteRange:
        model->erase(model->lower_bound(op.key), model->lower_bound(op.value));
        break;
    }
  }
}

void ToWriteBatch(const Batch& batch, WriteBatch* wb) {
  wb->Clear();
  for (const Op& op : batch) {
    switch (op.type) {
      case Op::kPut:
        wb->Put(op.key, op.value);
        break;
      case Op::kDelete:
        wb->Delete(op.key);
        break;
      case Op::kDeleteRange:
        wb->DeleteRange(op.key, op.value);
        break;
    }
  }
}

std::string Key(int i) {
  char buf[16];
  snprintf(buf, sizeof(buf), "k%05d", i);
  return buf;
}

// A value that names the batch and the op that wrote it, so a stale or
// misplaced value is recognisable in a failure message.
std::string Value(int batch, int op, size_t size) {
  std::string v = "v" + std::to_string(batch) + "." + std::to_string(op) + ".";
  while (v.size() < size) v.push_back(static_cast<char>('a' + (v.size() + batch) % 26));
  return v;
}

// Occupies `count` threads of the process-wide pool with tasks of the given
// priority until released, so that background work scheduled meanwhile
// waits: lets a test change the file system between two background steps.
class PoolBlocker {
 public:
  PoolBlocker(ThreadPool::Priority priority, int count) : count_(count) {
    for (int i = 0; i < count_; i++) {
      ThreadPool::Default()->Schedule(
          [this] {
            std::unique_lock<std::mutex> l(mu_);
            started_++;
            cv_.notify_all();
            cv_.wait(l, [this] { return released_; });
            finished_++;
            cv_.notify_all();
          },
          priority);
    }
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [this] { return started_ == count_; });
  }
  // Every thread, so nothing else runs.
  PoolBlocker() : PoolBlocker(ThreadPool::Priority::kHigh, ThreadPool::Default()->Threads()) {}
  // Waits for the tasks to end: they use this object until then.
  ~PoolBlocker() {
    Release();
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [this] { return finished_ == count_; });
  }
  void Release() {
    std::lock_guard<std::mutex> l(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  const int count_;
  int started_ = 0;
  int finished_ = 0;
  bool released_ = false;
};

// ---- One fault at a time.

enum class Trigger {
  kWrite,       // a write whose WAL append fails
  kSyncWrite,   // a sync=true write
  kFlush,       // an acknowledged write, then Flush()
  kCompaction,  // three L0 tables, then CompactRange(all)
};

struct FaultCase {
  const char* name;
  Trigger trigger;
  std::function<void(FaultInjectionEnv*)> arm;
  // max_manifest_file_size = 1: every edit starts a new manifest and
  // switches CURRENT, so the CURRENT faults are reachable.
  bool new_manifest_per_edit;
  // The fault stops writes (a background error) until Resume or reopen.
  // False where the failed step is simply retried by the next write.
  bool stops_writes;
  // The triggering write is large enough to span several WAL blocks.
  bool big_batch = false;
};

using FK = FaultInjectionEnv;
const FaultCase kFaultCases[] = {
    {"WalAppendFails", Trigger::kWrite, [](FK* e) { e->FailNthAppend(1, FK::kWalFile); }, false,
     true},
    {"WalAppendTornInPayload", Trigger::kWrite, [](FK* e) { e->TearNthAppend(2, FK::kWalFile); },
     false, true},
    {"WalAppendTornInHeader", Trigger::kWrite, [](FK* e) { e->TearNthAppend(1, FK::kWalFile, 3); },
     false, true},
    {"WalAppendTornMidRecord", Trigger::kWrite, [](FK* e) { e->TearNthAppend(4, FK::kWalFile); },
     false, true, /*big_batch=*/true},
    {"WalAppendFailsMidRecord", Trigger::kWrite, [](FK* e) { e->FailNthAppend(5, FK::kWalFile); },
     false, true, /*big_batch=*/true},
    {"WalSyncFails", Trigger::kSyncWrite, [](FK* e) { e->FailNthSync(1, FK::kWalFile); }, false,
     true},
    {"WalCreateFails", Trigger::kFlush, [](FK* e) { e->FailNthCreate(1, FK::kWalFile); }, false,
     false},
    {"FlushTableAppendFails", Trigger::kFlush, [](FK* e) { e->FailNthAppend(1, FK::kTableFile); },
     false, true},
    {"FlushTableAppendTorn", Trigger::kFlush, [](FK* e) { e->TearNthAppend(2, FK::kTableFile); },
     false, true},
    {"FlushTableSyncFails", Trigger::kFlush, [](FK* e) { e->FailNthSync(1, FK::kTableFile); },
     false, true},
    {"FlushTableCreateFails", Trigger::kFlush, [](FK* e) { e->FailNthCreate(1, FK::kTableFile); },
     false, true},
    {"CompactionTableAppendFails", Trigger::kCompaction,
     [](FK* e) { e->FailNthAppend(3, FK::kTableFile); }, false, true},
    {"CompactionTableAppendTorn", Trigger::kCompaction,
     [](FK* e) { e->TearNthAppend(3, FK::kTableFile); }, false, true},
    {"CompactionTableSyncFails", Trigger::kCompaction,
     [](FK* e) { e->FailNthSync(1, FK::kTableFile); }, false, true},
    {"CompactionTableCreateFails", Trigger::kCompaction,
     [](FK* e) { e->FailNthCreate(1, FK::kTableFile); }, false, true},
    {"ManifestAppendFails", Trigger::kFlush, [](FK* e) { e->FailNthAppend(1, FK::kManifestFile); },
     false, true},
    {"ManifestAppendTorn", Trigger::kFlush, [](FK* e) { e->TearNthAppend(2, FK::kManifestFile); },
     false, true},
    {"ManifestSyncFails", Trigger::kFlush, [](FK* e) { e->FailNthSync(1, FK::kManifestFile); },
     false, true},
    {"ManifestAppendFailsInCompaction", Trigger::kCompaction,
     [](FK* e) { e->FailNthAppend(1, FK::kManifestFile); }, false, true},
    {"ManifestSyncFailsInCompaction", Trigger::kCompaction,
     [](FK* e) { e->FailNthSync(1, FK::kManifestFile); }, false, true},
    {"NewManifestCreateFails", Trigger::kFlush,
     [](FK* e) { e->FailNthCreate(1, FK::kManifestFile); }, true, true},
    {"NewManifestSnapshotTorn", Trigger::kFlush,
     [](FK* e) { e->TearNthAppend(2, FK::kManifestFile); }, true, true},
    {"CurrentTempCreateFails", Trigger::kFlush, [](FK* e) { e->FailNthCreate(1, FK::kTempFile); },
     true, true},
    {"CurrentTempAppendFails", Trigger::kFlush, [](FK* e) { e->FailNthAppend(1, FK::kTempFile); },
     true, true},
    {"CurrentTempSyncFails", Trigger::kFlush, [](FK* e) { e->FailNthSync(1, FK::kTempFile); }, true,
     true},
    {"CurrentRenameFails", Trigger::kFlush, [](FK* e) { e->FailNthRename(1, FK::kCurrentFile); },
     true, true},
    {"CurrentRenameFailsInCompaction", Trigger::kCompaction,
     [](FK* e) { e->FailNthRename(1, FK::kCurrentFile); }, true, true},
};

// How the store is brought back after the fault.
enum class Recovery { kReopen, kResume };

// A store on a FaultInjectionEnv, a model of what was acknowledged, and
// the checks.
class DBFaultBase : public testing::Test {
 protected:
  DBFaultBase() : dir_("fault") {
    options_.env = &env_;
    options_.write_buffer_size = 64 << 10;
    options_.target_file_size = 64 << 10;
    options_.max_bytes_for_level_base = 256 << 10;
    options_.l0_compaction_trigger = 8;  // compactions only when a test asks
    options_.block_cache = NewLRUCache(1 << 20);
    options_.wal_background_sync_ms = 0;  // syncs only where a test asks
  }
  ~DBFaultBase() override {
    db_.reset();
    env_.ClearFaults();
  }

  Status Open() {
    db_.reset();
    return DB::Open(options_, dir_.path(), &db_);
  }

  // Batch number n: `keys` puts of fresh keys, an overwrite of an older
  // key and a delete of another, so partial application is visible.
  Batch MakeBatch(int n, int keys = 20, size_t value_size = 100) {
    Batch b;
    for (int i = 0; i < keys; i++) {
      b.push_back({Op::kPut, Key(next_key_++), Value(n, i, value_size)});
    }
    if (next_key_ > keys + 2) {
      b.push_back({Op::kPut, Key(n % (next_key_ - keys)), Value(n, keys, 30)});
      b.push_back({Op::kDelete, Key((n * 7 + 1) % (next_key_ - keys)), ""});
    }
    return b;
  }

  // Writes batch n; on success it joins the model.
  Status WriteBatchN(const Batch& b, bool sync) {
    WriteBatch wb;
    ToWriteBatch(b, &wb);
    WriteOptions wo;
    wo.sync = sync;
    Status s = db_->Write(wo, &wb);
    if (s.ok()) ApplyToModel(b, &model_);
    return s;
  }

  void WriteSome(int batches) {
    for (int i = 0; i < batches; i++) {
      Status s = WriteBatchN(MakeBatch(batch_number_++), false);
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
  }

  // The store must hold exactly the model, or (if pending is set) the model
  // with the pending batch applied as a whole.
  void CheckStore(const char* when) {
    SCOPED_TRACE(when);
    Map actual;
    std::string problem = ReadAll(db_.get(), &actual);
    ASSERT_EQ("", problem);
    std::string diff = Diff(model_, actual);
    if (diff.empty()) return;
    ASSERT_TRUE(pending_.has_value()) << diff;
    Map with_pending = model_;
    ApplyToModel(*pending_, &with_pending);
    std::string diff2 = Diff(with_pending, actual);
    ASSERT_EQ("", diff2) << "the store is neither the acknowledged state (" << diff
                         << ") nor that state plus the failed batch";
  }

  ScratchDir dir_;
  FaultInjectionEnv env_;
  Options options_;
  std::unique_ptr<DB> db_;
  Map model_;
  std::optional<Batch> pending_;  // the write that failed: all or nothing
  int next_key_ = 0;
  int batch_number_ = 0;
};

class DBFaultTest : public DBFaultBase,
                    public testing::WithParamInterface<std::tuple<int, Recovery>> {
 protected:
  const FaultCase& Case() const { return kFaultCases[std::get<0>(GetParam())]; }
};

TEST_P(DBFaultTest, FaultSurfacesAndLosesNothing) {
  const FaultCase& c = Case();
  const Recovery recovery = std::get<1>(GetParam());
  if (c.new_manifest_per_edit) options_.max_manifest_file_size = 1;
  ASSERT_TRUE(Open().ok());

  // Data in tables and in the memtable before the fault.
  WriteSome(20);
  ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  if (c.trigger == Trigger::kCompaction) {
    for (int i = 0; i < 2; i++) {
      WriteSome(20);
      ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
    }
  }
  WriteSome(5);

  c.arm(&env_);
  const uint64_t injected_before = env_.InjectedFaults();
  Status s;
  switch (c.trigger) {
    case Trigger::kWrite:
    case Trigger::kSyncWrite: {
      Batch b = c.big_batch ? MakeBatch(batch_number_++, 40, 2000) : MakeBatch(batch_number_++);
      pending_ = b;
      s = WriteBatchN(b, c.trigger == Trigger::kSyncWrite);
      break;
    }
    case Trigger::kFlush:
      WriteSome(3);
      s = db_->Flush(FlushOptions());
      break;
    case Trigger::kCompaction:
      s = db_->CompactRange(nullptr, nullptr);
      break;
  }
  ASSERT_EQ(injected_before + 1, env_.InjectedFaults()) << "the fault was not reached";
  ASSERT_FALSE(s.ok()) << "the fault did not surface";
  EXPECT_NE(std::string::npos, s.ToString().find("injected")) << s.ToString();

  std::string bg;
  ASSERT_TRUE(db_->GetProperty("strata.background-error", &bg));
  if (c.stops_writes) {
    EXPECT_NE(std::string::npos, bg.find("injected")) << bg;
    // Writes stay stopped, naming the cause.
    Status w = db_->Put(WriteOptions(), "after-the-fault", "x");
    EXPECT_FALSE(w.ok());
    EXPECT_NE(std::string::npos, w.ToString().find("injected")) << w.ToString();
    EXPECT_FALSE(db_->Flush(FlushOptions()).ok());
  } else {
    // Nothing was left half done: the next write simply retries the step.
    EXPECT_EQ("", bg);
    Status w = WriteBatchN({{Op::kPut, "after-the-fault", "x"}}, false);
    EXPECT_TRUE(w.ok()) << w.ToString();
  }
  // Reads go on, and show no part of a failed write.
  CheckStore("after the fault");
  env_.ClearFaults();

  if (recovery == Recovery::kResume) {
    Status r = db_->Resume();
    ASSERT_TRUE(r.ok()) << r.ToString();
    ASSERT_TRUE(db_->GetProperty("strata.background-error", &bg));
    EXPECT_EQ("", bg);
    CheckStore("after Resume");
  } else {
    ASSERT_TRUE(Open().ok());
    CheckStore("after reopen");
  }
  // The failed batch is settled one way or the other by now: later checks
  // must see the same state.
  if (pending_.has_value()) {
    Map actual;
    ASSERT_EQ("", ReadAll(db_.get(), &actual));
    if (Diff(model_, actual) != "") ApplyToModel(*pending_, &model_);
    pending_.reset();
  }

  // The store takes writes again, through flush and compaction.
  WriteSome(30);
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  WriteSome(3);
  CheckStore("after more writes");
  Status v = db_->Verify();
  EXPECT_TRUE(v.ok()) << v.ToString();
  ASSERT_TRUE(Open().ok());
  CheckStore("after a final reopen");
}

std::string FaultCaseName(const testing::TestParamInfo<std::tuple<int, Recovery>>& info) {
  return std::string(kFaultCases[std::get<0>(info.param)].name) +
         (std::get<1>(info.param) == Recovery::kResume ? "_Resume" : "_Reopen");
}

INSTANTIATE_TEST_SUITE_P(AllFaults, DBFaultTest,
                         testing::Combine(testing::Range(0,
                                                         static_cast<int>(std::size(kFaultCases))),
                                          testing::Values(Recovery::kReopen, Recovery::kResume)),
                         FaultCaseName);

// ---- A full disk.

class DBFaultDiskFullTest : public DBFaultBase {
 protected:
  // Waits (up to 10 s) for a background error to be recorded.
  std::string WaitForBackgroundError() {
    std::string bg;
    for (int i = 0; i < 1000; i++) {
      db_->GetProperty("strata.background-error", &bg);
      if (!bg.empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return bg;
  }

  // The checks every disk-full case ends with: writes refused with
  // NoSpace, reads fine, then space returns and everything works again.
  void ExpectNoSpaceThenResume() {
    std::string bg;
    ASSERT_TRUE(db_->GetProperty("strata.background-error", &bg));
    EXPECT_NE(std::string::npos, bg.find("No space")) << bg;
    Status w = db_->Put(WriteOptions(), "while-full", "x");
    EXPECT_TRUE(w.IsNoSpace()) << w.ToString();
    EXPECT_NE(std::string::npos, w.ToString().find("no space left")) << w.ToString();
    Status f = db_->Flush(FlushOptions());
    EXPECT_TRUE(f.IsNoSpace()) << f.ToString();
    CheckStore("while the disk is full");

    // Still full: Resume fails the same way and loses nothing.
    Status r = db_->Resume();
    EXPECT_TRUE(r.IsNoSpace()) << r.ToString();
    CheckStore("after a Resume on a full disk");

    env_.SetDiskFull(false);
    r = db_->Resume();
    ASSERT_TRUE(r.ok()) << r.ToString();
    ASSERT_TRUE(db_->GetProperty("strata.background-error", &bg));
    EXPECT_EQ("", bg);
    CheckStore("after Resume");
    WriteSome(30);
    ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
    CheckStore("after more writes");
    ASSERT_TRUE(Open().ok());
    CheckStore("after reopen");
  }
};

TEST_F(DBFaultDiskFullTest, DuringWrite) {
  ASSERT_TRUE(Open().ok());
  WriteSome(20);
  ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  WriteSome(5);
  env_.SetDiskFull(true);
  Batch b = MakeBatch(batch_number_++);
  pending_ = b;
  Status s = WriteBatchN(b, /*sync=*/false);
  EXPECT_TRUE(s.IsNoSpace()) << s.ToString();
  ExpectNoSpaceThenResume();
}

TEST_F(DBFaultDiskFullTest, DuringSyncWrite) {
  ASSERT_TRUE(Open().ok());
  WriteSome(5);
  env_.SetDiskFull(true);
  Batch b = MakeBatch(batch_number_++);
  pending_ = b;
  Status s = WriteBatchN(b, /*sync=*/true);
  EXPECT_TRUE(s.IsNoSpace()) << s.ToString();
  ExpectNoSpaceThenResume();
}

TEST_F(DBFaultDiskFullTest, DuringFlush) {
  ASSERT_TRUE(Open().ok());
  WriteSome(20);
  ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  WriteSome(10);
  {
    // Switch the memtable while there is space, then fill the disk before
    // the flush starts.
    PoolBlocker blocker;
    FlushOptions no_wait;
    no_wait.wait = false;
    ASSERT_TRUE(db_->Flush(no_wait).ok());
    env_.SetDiskFull(true);
  }
  std::string bg = WaitForBackgroundError();
  ASSERT_NE("", bg) << "the flush did not fail";
  ExpectNoSpaceThenResume();
}

TEST_F(DBFaultDiskFullTest, DuringManualCompaction) {
  ASSERT_TRUE(Open().ok());
  for (int i = 0; i < 3; i++) {
    WriteSome(20);
    ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  }
  env_.SetDiskFull(true);
  Status s = db_->CompactRange(nullptr, nullptr);
  EXPECT_TRUE(s.IsNoSpace()) << s.ToString();
  ExpectNoSpaceThenResume();
}

TEST_F(DBFaultDiskFullTest, DuringBackgroundCompaction) {
  if (ThreadPool::Default()->Threads() < 2) GTEST_SKIP() << "needs two pool threads";
  options_.l0_compaction_trigger = 2;
  ASSERT_TRUE(Open().ok());
  WriteSome(20);
  ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  WriteSome(20);
  {
    // A low-priority task holds the one thread compactions may use, so the
    // flush runs and the compaction it schedules waits until the disk is
    // full.
    PoolBlocker blocker(ThreadPool::Priority::kLow, 1);
    ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
    std::string n;
    ASSERT_TRUE(db_->GetProperty("strata.num-files-at-level0", &n));
    ASSERT_EQ("2", n);
    env_.SetDiskFull(true);
  }
  std::string bg = WaitForBackgroundError();
  ASSERT_NE("", bg) << "the compaction did not fail";
  ExpectNoSpaceThenResume();
}

// ---- Crashes: the file system frozen at the N-th mutating operation.

// Passes everything to a FaultInjectionEnv and freezes its file system just
// before the freeze_at-th mutating call (file creation, append, flush, sync,
// close, rename, link, removal, directory creation or sync): that call and
// every later one fail as after a crash. Counting is across threads.
class FreezingEnv final : public Env {
 public:
  explicit FreezingEnv(FaultInjectionEnv* target) : target_(target) {}

  // 0: never freeze.
  void SetFreezeAt(uint64_t n) { freeze_at_.store(n); }
  uint64_t Ops() const { return ops_.load(); }
  bool Frozen() const { return frozen_.load(); }

  // Counts one mutating call and freezes if it is the chosen one.
  void Tick() {
    const uint64_t n = ops_.fetch_add(1) + 1;
    const uint64_t at = freeze_at_.load();
    if (at != 0 && n >= at && !frozen_.exchange(true)) target_->SetFilesystemActive(false);
  }

  Status NewSequentialFile(const std::string& f, std::unique_ptr<SequentialFile>* r) override {
    return target_->NewSequentialFile(f, r);
  }
  Status NewRandomAccessFile(const std::string& f, std::unique_ptr<RandomAccessFile>* r) override {
    return target_->NewRandomAccessFile(f, r);
  }
  Status NewWritableFile(const std::string& f, const WritableFileOptions& o,
                         std::unique_ptr<WritableFile>* r) override {
    Tick();
    std::unique_ptr<WritableFile> file;
    Status s = target_->NewWritableFile(f, o, &file);
    if (s.ok()) *r = std::make_unique<File>(this, std::move(file));
    return s;
  }
  bool FileExists(const std::string& f) override { return target_->FileExists(f); }
  Status GetChildren(const std::string& d, std::vector<std::string>* r) override {
    return target_->GetChildren(d, r);
  }
  Status RemoveFile(const std::string& f) override {
    Tick();
    return target_->RemoveFile(f);
  }
  Status CreateDir(const std::string& d) override {
    Tick();
    return target_->CreateDir(d);
  }
  Status RemoveDir(const std::string& d) override {
    Tick();
    return target_->RemoveDir(d);
  }
  Status GetFileSize(const std::string& f, uint64_t* s) override {
    return target_->GetFileSize(f, s);
  }
  Status RenameFile(const std::string& s, const std::string& t) override {
    Tick();
    return target_->RenameFile(s, t);
  }
  Status LinkFile(const std::string& s, const std::string& t) override {
    Tick();
    return target_->LinkFile(s, t);
  }
  Status SyncDir(const std::string& d) override {
    Tick();
    return target_->SyncDir(d);
  }
  bool IsDirWritable(const std::string& d) override { return target_->IsDirWritable(d); }
  Status LockFile(const std::string& f, bool e, std::unique_ptr<FileLock>* l) override {
    return target_->LockFile(f, e, l);
  }
  uint64_t NowMicros() override { return target_->NowMicros(); }
  void SleepForMicroseconds(int m) override { target_->SleepForMicroseconds(m); }

 private:
  class File final : public WritableFile {
   public:
    File(FreezingEnv* env, std::unique_ptr<WritableFile> base)
        : env_(env), base_(std::move(base)) {}
    Status Append(const Slice& d) override {
      env_->Tick();
      return base_->Append(d);
    }
    Status Flush() override {
      env_->Tick();
      return base_->Flush();
    }
    Status Sync() override {
      env_->Tick();
      return base_->Sync();
    }
    Status Close() override {
      env_->Tick();
      return base_->Close();
    }
    uint64_t Size() const override { return base_->Size(); }

   private:
    FreezingEnv* const env_;
    const std::unique_ptr<WritableFile> base_;
  };

  FaultInjectionEnv* const target_;
  std::atomic<uint64_t> freeze_at_{0};
  std::atomic<uint64_t> ops_{0};
  std::atomic<bool> frozen_{false};
};

std::string MarkerKey(int batch) {
  char buf[16];
  snprintf(buf, sizeof(buf), "m%06d", batch);
  return buf;
}

// Random batches over keys k00000..k01999 (puts, deletes, range deletes),
// each with its own marker key m<batch> that nothing deletes.
std::vector<Batch> RandomBatches(Random* rnd, int count) {
  std::vector<Batch> batches(count);
  for (int n = 0; n < count; n++) {
    Batch& b = batches[n];
    const int ops = 1 + static_cast<int>(rnd->Uniform(16));
    for (int i = 0; i < ops; i++) {
      const uint32_t what = rnd->Uniform(100);
      const int k = static_cast<int>(rnd->Uniform(2000));
      if (what < 72) {
        b.push_back({Op::kPut, Key(k), Value(n, i, 10 + rnd->Uniform(190))});
      } else if (what < 95) {
        b.push_back({Op::kDelete, Key(k), ""});
      } else {
        b.push_back({Op::kDeleteRange, Key(k), Key(k + 1 + static_cast<int>(rnd->Uniform(60)))});
      }
    }
    b.push_back({Op::kPut, MarkerKey(n), Value(n, ops, 8)});
  }
  return batches;
}

// The outcome of one crash run, checked after the restart.
struct CrashRun {
  int acked = 0;         // batches 0..acked-1 were acknowledged
  int attempted = 0;     // acked, or acked + 1 if a write failed
  int last_synced = -1;  // the last acknowledged sync=true batch
};

class DBFaultCrashTest : public testing::Test {
 protected:
  DBFaultCrashTest() {
    options_.write_buffer_size = 64 << 10;
    options_.target_file_size = 64 << 10;
    options_.max_bytes_for_level_base = 256 << 10;
    options_.block_cache = NewLRUCache(4 << 20);
    options_.wal_background_sync_ms = 0;
  }

  // Opens a store in dir through a FreezingEnv frozen at freeze_at (0:
  // never), writes batches until a write fails, and crashes: the store is
  // abandoned with the file system frozen. Then, for a power loss, unsynced
  // data is dropped. Returns the total number of mutating operations.
  uint64_t RunAndCrash(const std::string& dir, const std::vector<Batch>& batches,
                       const std::vector<bool>& sync, uint64_t freeze_at, bool power_loss,
                       CrashRun* run) {
    if (precreate_) {
      // An existing, empty store: the crash hits a reopen, not a creation.
      std::unique_ptr<DB> db;
      Status s = DB::Open(options_, dir, &db);
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
    FaultInjectionEnv fenv;
    FreezingEnv env(&fenv);
    env.SetFreezeAt(freeze_at);
    Options o = options_;
    o.env = &env;
    std::unique_ptr<DB> db;
    Status s = DB::Open(o, dir, &db);
    *run = CrashRun();
    if (s.ok()) {
      WriteBatch wb;
      for (size_t n = 0; n < batches.size(); n++) {
        ToWriteBatch(batches[n], &wb);
        WriteOptions wo;
        wo.sync = sync[n];
        run->attempted = static_cast<int>(n) + 1;
        if (!db->Write(wo, &wb).ok()) break;
        run->acked = static_cast<int>(n) + 1;
        if (sync[n]) run->last_synced = static_cast<int>(n);
      }
    }
    // The crash: nothing reaches the disk from here on, not even from the
    // store's own close.
    fenv.SetFilesystemActive(false);
    const uint64_t ops = env.Ops();
    db.reset();
    if (power_loss) {
      Status d = fenv.DropUnsyncedData();
      EXPECT_TRUE(d.ok()) << d.ToString();
    }
    return ops;
  }

  // Reopens dir with the default env and checks it against the batches.
  // Returns "" or the problem.
  std::string CheckAfterCrash(const std::string& dir, const std::vector<Batch>& batches,
                              const CrashRun& run, bool power_loss) {
    Options o = options_;
    std::unique_ptr<DB> db;
    Status s = DB::Open(o, dir, &db);
    if (!s.ok()) return "reopen failed: " + s.ToString();
    Map actual;
    std::string problem = ReadAll(db.get(), &actual);
    if (!problem.empty()) return problem;
    // The markers present must be batches 0..p-1.
    int p = 0;
    for (auto it = actual.lower_bound("m"); it != actual.end(); ++it, ++p) {
      if (it->first != MarkerKey(p)) {
        return "batch " + std::to_string(p) + " is missing but " + it->first + " is present";
      }
    }
    const int required = power_loss ? run.last_synced + 1 : run.acked;
    if (p < required) {
      return std::to_string(p) + " batches survived, but " + std::to_string(required) +
             " were acknowledged" + (power_loss ? " with sync" : "") + " (of " +
             std::to_string(run.acked) + " acknowledged)";
    }
    if (p > run.attempted) {
      return std::to_string(p) + " batches present, only " + std::to_string(run.attempted) +
             " written";
    }
    Map expected;
    for (int n = 0; n < p; n++) ApplyToModel(batches[n], &expected);
    std::string diff = Diff(expected, actual);
    if (!diff.empty()) return "not the state after batch " + std::to_string(p) + ": " + diff;

    // The store goes on: more writes, a flush, a reopen.
    WriteBatch wb;
    for (int n = 0; n < 20; n++) {
      Batch b = {{Op::kPut, "z" + std::to_string(n), Value(n, 0, 50)}};
      ApplyToModel(b, &expected);
      ToWriteBatch(b, &wb);
      s = db->Write(WriteOptions(), &wb);
      if (!s.ok()) return "write after recovery: " + s.ToString();
    }
    s = db->Flush(FlushOptions());
    if (!s.ok()) return "flush after recovery: " + s.ToString();
    db.reset();
    s = DB::Open(o, dir, &db);
    if (!s.ok()) return "second reopen failed: " + s.ToString();
    problem = ReadAll(db.get(), &actual);
    if (!problem.empty()) return "after the second reopen: " + problem;
    diff = Diff(expected, actual);
    if (!diff.empty()) return "after the second reopen: " + diff;
    return "";
  }

  // Runs `rounds` crashes at random freeze points for each of `seeds` seeds.
  void CrashLoop(bool power_loss, int seeds, int rounds, int batches_per_run) {
    const uint64_t base_seed = test::TestSeed();
    int runs = 0;
    for (int si = 0; si < seeds; si++) {
      const uint64_t seed = base_seed + si;
      Random rnd(seed);
      std::vector<Batch> batches = RandomBatches(&rnd, batches_per_run);
      std::vector<bool> sync(batches.size());
      for (size_t n = 0; n < sync.size(); n++) sync[n] = rnd.OneIn(4);
      // A run without a crash measures how many operations there are to
      // choose from.
      uint64_t total;
      {
        ScratchDir dir("crash-dry");
        CrashRun run;
        total = RunAndCrash(dir.path(), batches, sync, 0, power_loss, &run);
        std::string problem = CheckAfterCrash(dir.path(), batches, run, power_loss);
        ASSERT_EQ("", problem) << "seed " << seed << " (no freeze)";
      }
      for (int r = 0; r < rounds; r++) {
        const uint64_t freeze_at = 1 + rnd.Uniform(total + total / 10);
        ScratchDir dir("crash");
        CrashRun run;
        RunAndCrash(dir.path(), batches, sync, freeze_at, power_loss, &run);
        std::string problem = CheckAfterCrash(dir.path(), batches, run, power_loss);
        ASSERT_EQ("", problem) << "STRATA_SEED=" << base_seed << " seed " << seed
                               << " freeze at operation " << freeze_at << " of about " << total
                               << " (" << run.acked << " batches acknowledged, last synced "
                               << run.last_synced << ")";
        runs++;
      }
    }
    RecordProperty("crash_runs", runs);
  }

  // Checks a crash at every operation of a store's creation (and a few
  // first writes), one at a time.
  void CrashAtEveryOperationOfCreation(bool power_loss) {
    precreate_ = false;
    const uint64_t seed = test::TestSeed();
    Random rnd(seed);
    std::vector<Batch> batches = RandomBatches(&rnd, 3);
    std::vector<bool> sync = {true, false, true};
    uint64_t total;
    {
      ScratchDir dir("create-dry");
      CrashRun run;
      total = RunAndCrash(dir.path(), batches, sync, 0, false, &run);
    }
    for (uint64_t at = 1; at <= total; at++) {
      ScratchDir dir("create");
      CrashRun run;
      RunAndCrash(dir.path(), batches, sync, at, power_loss, &run);
      std::string problem = CheckAfterCrash(dir.path(), batches, run, power_loss);
      ASSERT_EQ("", problem) << "seed " << seed << ", freeze at operation " << at << " of "
                             << total;
    }
  }

  Options options_;
  bool precreate_ = true;
};

TEST_F(DBFaultCrashTest, ProcessCrashKeepsEveryAcknowledgedBatch) {
  CrashLoop(/*power_loss=*/false, 3 * FaultIters(), 10, 300);
}

// Power loss with one memtable and one WAL (made durable at open): no
// memtable switch, flush or compaction.
TEST_F(DBFaultCrashTest, PowerLossKeepsEverySyncedBatchInOneWal) {
  options_.write_buffer_size = 64 << 20;
  CrashLoop(/*power_loss=*/true, 3 * FaultIters(), 10, 300);
}

// With memtable switches, flushes and compactions. (Regression: new tables
// and WALs were not made durable in their directory, so a power loss lost
// a table the manifest named, or a synced write in a new WAL.)
TEST_F(DBFaultCrashTest, PowerLossKeepsEverySyncedBatch) {
  CrashLoop(/*power_loss=*/true, 3 * FaultIters(), 10, 300);
}

TEST_F(DBFaultCrashTest, PowerLossAtEveryOperationOfCreation) {
  CrashAtEveryOperationOfCreation(/*power_loss=*/true);
}

// (Regression: a crash after NewStore created MANIFEST-000001 but before
// CURRENT was in place left a directory that never opened again.)
TEST_F(DBFaultCrashTest, ProcessCrashAtEveryOperationOfCreation) {
  CrashAtEveryOperationOfCreation(/*power_loss=*/false);
}

// ---- Found by tools/crashtest/engine_crash_test.

// Regression: Version::GetOverlappingInputs compared internal keys (user key
// and sequence), not user keys, so the L0->L1 compaction of a file holding
// x@new left out an L1 file that held only x@old (whose internal key sorts
// after x@new). L1 then held two files with user key x; once the newer one
// was compacted down to L2, Get(x) stopped at L1 and returned "old" while an
// iterator returned "new". The crash test met it as Get("~last") returning
// batch 188976 instead of 190323 (seed 11).
TEST(DBFaultRegressionTest, GetAfterCompactionsSeesTheNewestVersion) {
  ScratchDir dir("stale-get");
  Options o;
  o.write_buffer_size = 64 << 10;
  o.target_file_size = 1 << 20;
  o.max_bytes_for_level_base = 64 << 10;
  o.block_cache = NewLRUCache(1 << 20);
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(o, dir.path(), &db).ok());
  ASSERT_TRUE(db->Put(WriteOptions(), "x", "old").ok());
  ASSERT_TRUE(db->CompactRange(nullptr, nullptr).ok());  // L1: [x@1]
  for (int i = 0; i < 1000; i++) {
    ASSERT_TRUE(db->Put(WriteOptions(), Key(i), std::string(100, 'v')).ok());
  }
  ASSERT_TRUE(db->Put(WriteOptions(), "x", "new").ok());
  ASSERT_TRUE(db->CompactRange(nullptr, nullptr).ok());
  // L1 is over its size now: wait for the compaction that pushes it down.
  for (int i = 0; i < 500; i++) {
    std::string n;
    ASSERT_TRUE(db->GetProperty("strata.num-files-at-level2", &n));
    if (n != "0") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::string v;
  ASSERT_TRUE(db->Get(ReadOptions(), "x", &v).ok());
  std::unique_ptr<Iterator> it(db->NewIterator(ReadOptions()));
  it->Seek("x");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ("new", it->value().ToString());
  EXPECT_EQ("new", v);
}

}  // namespace
}  // namespace strata
