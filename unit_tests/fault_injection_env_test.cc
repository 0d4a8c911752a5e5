// Tests of FaultInjectionEnv (unit_tests/fault_injection_env.h): each fault
// fires exactly on the call it was armed for, and DropUnsyncedData keeps
// exactly the synced prefix of durable files and removes undurable ones.
#include "unit_tests/fault_injection_env.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "unit_tests/test_util.h"

namespace strata {
namespace {

using Kind = FaultInjectionEnv::FileKind;

class FaultInjectionEnvTest : public testing::Test {
 public:
  FaultInjectionEnvTest() : dir_("fault_env") {}

  std::string Path(const std::string& name) const { return dir_.Sub(name); }

  // The file's contents, or "MISSING".
  std::string Contents(const std::string& name) {
    std::string data;
    if (!Env::Default()->FileExists(Path(name))) return "MISSING";
    EXPECT_TRUE(ReadFileToString(Env::Default(), Path(name), &data).ok());
    return data;
  }

  std::unique_ptr<WritableFile> Create(const std::string& name, bool mmap = false) {
    std::unique_ptr<WritableFile> f;
    WritableFileOptions options;
    options.mmap = mmap;
    Status s = env_.NewWritableFile(Path(name), options, &f);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return f;
  }

  // "ok", or the status code's name and message.
  static std::string Result(const Status& s) { return s.ok() ? "ok" : s.ToString(); }

  test::ScratchDir dir_;
  FaultInjectionEnv env_;
};

TEST_F(FaultInjectionEnvTest, KindsFromNames) {
  EXPECT_EQ(Kind::kWalFile, FaultInjectionEnv::KindOf("/a/b/000012.wal"));
  EXPECT_EQ(Kind::kTableFile, FaultInjectionEnv::KindOf("000012.sst"));
  EXPECT_EQ(Kind::kManifestFile, FaultInjectionEnv::KindOf("/x/MANIFEST-000003"));
  EXPECT_EQ(Kind::kCurrentFile, FaultInjectionEnv::KindOf("/x/CURRENT"));
  EXPECT_EQ(Kind::kTempFile, FaultInjectionEnv::KindOf("/x/000004.dbtmp"));
  EXPECT_EQ(Kind::kOtherFile, FaultInjectionEnv::KindOf("/x/LOCK"));
  EXPECT_EQ(Kind::kOtherFile, FaultInjectionEnv::KindOf("/x.wal/CURRENTX"));
}

TEST_F(FaultInjectionEnvTest, PassesThroughAndCounts) {
  auto f = Create("000001.wal");
  ASSERT_TRUE(f->Append("hello ").ok());
  ASSERT_TRUE(f->Append("world").ok());
  ASSERT_TRUE(f->Sync().ok());
  ASSERT_TRUE(f->Close().ok());
  ASSERT_EQ("hello world", Contents("000001.wal"));
  ASSERT_TRUE(WriteStringToFile(&env_, "x", Path("000002.sst"), true).ok());
  ASSERT_TRUE(env_.RenameFile(Path("000002.sst"), Path("000003.sst")).ok());
  ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());

  auto wal = env_.GetCounts(Kind::kWalFile);
  EXPECT_EQ(2u, wal.appends);
  EXPECT_EQ(11u, wal.bytes_appended);
  EXPECT_EQ(1u, wal.syncs);
  EXPECT_EQ(1u, wal.creates);
  EXPECT_EQ(0u, wal.renames);
  auto sst = env_.GetCounts(Kind::kTableFile);
  EXPECT_EQ(1u, sst.appends);
  EXPECT_EQ(1u, sst.renames);
  auto all = env_.GetCounts();
  EXPECT_EQ(3u, all.appends);
  EXPECT_EQ(2u, all.syncs);
  EXPECT_EQ(1u, all.dir_syncs);
  EXPECT_EQ(0u, env_.InjectedFaults());
  env_.ResetCounts();
  EXPECT_EQ(0u, env_.GetCounts().appends);
}

TEST_F(FaultInjectionEnvTest, FailNthAppend) {
  env_.FailNthAppend(3);
  auto f = Create("a.wal");
  std::string results;
  for (const char* piece : {"1", "2", "3", "4", "5"}) results += Result(f->Append(piece)) + ";";
  ASSERT_EQ("ok;ok;IO error: " + Path("a.wal") + ": injected append failure;ok;ok;", results);
  ASSERT_TRUE(f->Close().ok());
  ASSERT_EQ("1245", Contents("a.wal"));  // the failed append wrote nothing
  ASSERT_EQ(1u, env_.InjectedFaults());
}

TEST_F(FaultInjectionEnvTest, FaultsFilterByKind) {
  env_.FailNthAppend(2, Kind::kWalFile | Kind::kManifestFile);
  auto sst = Create("000001.sst");
  auto wal = Create("000002.wal");
  for (int i = 0; i < 5; i++) ASSERT_TRUE(sst->Append("s").ok());
  ASSERT_TRUE(wal->Append("w").ok());
  for (int i = 0; i < 5; i++) ASSERT_TRUE(sst->Append("s").ok());
  ASSERT_TRUE(wal->Append("w").IsIOError());  // the second WAL append
  ASSERT_TRUE(wal->Append("w").ok());
}

TEST_F(FaultInjectionEnvTest, TearNthAppend) {
  env_.TearNthAppend(2);  // default: half the buffer
  auto f = Create("a.wal");
  ASSERT_TRUE(f->Append("0123").ok());
  Status s = f->Append("abcdefgh");
  ASSERT_TRUE(s.IsIOError());
  ASSERT_NE(std::string::npos, s.ToString().find("injected torn append"));
  ASSERT_TRUE(f->Append("Z").ok());
  ASSERT_TRUE(f->Close().ok());
  ASSERT_EQ("0123abcdZ", Contents("a.wal"));

  env_.TearNthAppend(1, Kind::kAnyFile, 3);
  auto g = Create("b.wal", /*mmap=*/true);
  ASSERT_TRUE(g->Append("abcdefgh").IsIOError());
  env_.TearNthAppend(1, Kind::kAnyFile, 100);  // never the whole buffer
  ASSERT_TRUE(g->Append("xyz").IsIOError());
  ASSERT_TRUE(g->Close().ok());
  ASSERT_EQ("abcxy", Contents("b.wal"));
  ASSERT_EQ(4u + 4u + 1u + 3u + 2u, env_.GetCounts().bytes_appended);  // torn prefixes count
}

TEST_F(FaultInjectionEnvTest, FailNthSync) {
  env_.FailNthSync(2, Kind::kWalFile);
  auto f = Create("a.wal");
  auto other = Create("LOG");
  ASSERT_TRUE(f->Append("one").ok());
  ASSERT_TRUE(f->Sync().ok());
  ASSERT_TRUE(other->Sync().ok());  // not a WAL: does not count
  ASSERT_TRUE(f->Append("two").ok());
  ASSERT_TRUE(f->Sync().IsIOError());
  uint64_t size, synced;
  bool durable;
  ASSERT_TRUE(env_.GetFileState(Path("a.wal"), &size, &synced, &durable));
  ASSERT_EQ(6u, size);
  ASSERT_EQ(3u, synced);  // the failed sync made nothing durable
  ASSERT_TRUE(f->Append("three").ok());
  ASSERT_TRUE(f->Close().ok());
  ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  ASSERT_EQ("one", Contents("a.wal"));
}

TEST_F(FaultInjectionEnvTest, FailNthRename) {
  ASSERT_TRUE(WriteStringToFile(&env_, "m1", Path("000001.dbtmp"), true).ok());
  ASSERT_TRUE(WriteStringToFile(&env_, "t", Path("x.tmp"), true).ok());
  env_.FailNthRename(2, Kind::kCurrentFile);
  ASSERT_TRUE(env_.RenameFile(Path("x.tmp"), Path("y.tmp")).ok());  // other kind
  ASSERT_TRUE(env_.RenameFile(Path("000001.dbtmp"), Path("CURRENT")).ok());
  ASSERT_TRUE(WriteStringToFile(&env_, "m2", Path("000002.dbtmp"), true).ok());
  Status s = env_.RenameFile(Path("000002.dbtmp"), Path("CURRENT"));
  ASSERT_TRUE(s.IsIOError());
  ASSERT_NE(std::string::npos, s.ToString().find("injected rename failure"));
  ASSERT_EQ("m1", Contents("CURRENT"));  // nothing moved
  ASSERT_EQ("m2", Contents("000002.dbtmp"));
  ASSERT_TRUE(env_.RenameFile(Path("000002.dbtmp"), Path("CURRENT")).ok());
  ASSERT_EQ("m2", Contents("CURRENT"));
  ASSERT_EQ(3u, env_.GetCounts(Kind::kCurrentFile).renames);  // the failed one too
}

TEST_F(FaultInjectionEnvTest, FailNthCreate) {
  env_.FailNthCreate(2, Kind::kTableFile);
  std::unique_ptr<WritableFile> f;
  ASSERT_TRUE(env_.NewWritableFile(Path("000001.sst"), {}, &f).ok());
  ASSERT_TRUE(env_.NewWritableFile(Path("000001.wal"), {}, &f).ok());
  f.reset();
  Status s = env_.NewWritableFile(Path("000002.sst"), {}, &f);
  ASSERT_TRUE(s.IsIOError());
  ASSERT_EQ(nullptr, f);
  ASSERT_EQ("MISSING", Contents("000002.sst"));
  ASSERT_TRUE(env_.NewWritableFile(Path("000002.sst"), {}, &f).ok());
  ASSERT_EQ(3u, env_.GetCounts(Kind::kTableFile).creates);
}

TEST_F(FaultInjectionEnvTest, DiskFull) {
  auto f = Create("a.wal");
  ASSERT_TRUE(f->Append("abc").ok());
  env_.SetDiskFull(true);
  for (int i = 0; i < 3; i++) ASSERT_TRUE(f->Append("more").IsNoSpace());
  std::unique_ptr<WritableFile> g;
  ASSERT_TRUE(env_.NewWritableFile(Path("b.sst"), {}, &g).IsNoSpace());
  ASSERT_EQ("MISSING", Contents("b.sst"));
  ASSERT_TRUE(f->Sync().ok());  // syncing what is there still works
  ASSERT_TRUE(env_.RenameFile(Path("a.wal"), Path("c.wal")).ok());
  env_.SetDiskFull(false);
  ASSERT_TRUE(f->Append("def").ok());
  ASSERT_TRUE(f->Close().ok());
  ASSERT_EQ("abcdef", Contents("c.wal"));
  ASSERT_EQ(4u, env_.InjectedFaults());
}

TEST_F(FaultInjectionEnvTest, ClearFaultsDisarms) {
  env_.FailNthAppend(1);
  env_.FailNthSync(1);
  env_.SetDiskFull(true);
  env_.ClearFaults();
  auto f = Create("a.wal");
  ASSERT_TRUE(f->Append("x").ok());
  ASSERT_TRUE(f->Sync().ok());
  env_.FailNthAppend(2);
  env_.FailNthAppend(0);  // disarmed
  for (int i = 0; i < 5; i++) ASSERT_TRUE(f->Append("x").ok());
}

TEST_F(FaultInjectionEnvTest, InactiveFilesystemRefusesMutations) {
  ASSERT_TRUE(WriteStringToFile(&env_, "keep", Path("k"), true).ok());
  auto f = Create("a.wal");
  ASSERT_TRUE(f->Append("abc").ok());
  env_.SetFilesystemActive(false);
  ASSERT_FALSE(env_.IsFilesystemActive());
  std::unique_ptr<WritableFile> g;
  for (const Status& s :
       {f->Append("x"), f->Flush(), f->Sync(), env_.NewWritableFile(Path("b"), {}, &g),
        env_.RenameFile(Path("k"), Path("k2")), env_.RemoveFile(Path("k")),
        env_.LinkFile(Path("k"), Path("k3")), env_.SyncDir(dir_.path()),
        env_.CreateDir(Path("d"))}) {
    ASSERT_TRUE(s.IsIOError()) << s.ToString();
    ASSERT_NE(std::string::npos, s.ToString().find("simulated crash"));
  }
  // Reads still work.
  std::string data;
  ASSERT_TRUE(ReadFileToString(&env_, Path("k"), &data).ok());
  ASSERT_EQ("keep", data);
  ASSERT_TRUE(env_.FileExists(Path("k")));
  ASSERT_FALSE(env_.FileExists(Path("b")));
  ASSERT_FALSE(env_.FileExists(Path("k2")));
  env_.SetFilesystemActive(true);
  ASSERT_TRUE(f->Append("d").ok());
  ASSERT_TRUE(f->Close().ok());
  ASSERT_EQ("abcd", Contents("a.wal"));
}

TEST_F(FaultInjectionEnvTest, CloseWhileInactiveDoesNotFlushBuffers) {
  auto f = Create("a.wal");  // buffered writer: bytes sit in user space
  ASSERT_TRUE(f->Append("synced").ok());
  ASSERT_TRUE(f->Sync().ok());
  ASSERT_TRUE(f->Append("-buffered").ok());
  env_.SetFilesystemActive(false);
  f->Close();
  ASSERT_EQ("synced", Contents("a.wal"));
}

TEST_F(FaultInjectionEnvTest, DropKeepsSyncedPrefix) {
  auto f = Create("000001.wal");
  ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
  ASSERT_TRUE(f->Append("abc").ok());
  ASSERT_TRUE(f->Sync().ok());
  ASSERT_TRUE(f->Append("def").ok());
  ASSERT_TRUE(f->Flush().ok());  // in the OS, not on disk
  ASSERT_TRUE(f->Close().ok());
  auto g = Create("000002.sst");  // durable entry, never synced
  ASSERT_TRUE(g->Append("xyz").ok());
  ASSERT_TRUE(g->Close().ok());
  ASSERT_TRUE(env_.SyncDir(dir_.path() + "/").ok());
  auto h = Create("000003.wal");  // synced data, but its entry is not durable
  ASSERT_TRUE(h->Append("lost").ok());
  ASSERT_TRUE(h->Sync().ok());
  ASSERT_TRUE(h->Close().ok());
  // Not written through the env: left alone.
  ASSERT_TRUE(WriteStringToFile(Env::Default(), "outside", Path("other"), false).ok());

  ASSERT_EQ("abcdef", Contents("000001.wal"));
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  ASSERT_EQ("abc", Contents("000001.wal"));
  ASSERT_EQ("", Contents("000002.sst"));
  ASSERT_EQ("MISSING", Contents("000003.wal"));
  ASSERT_EQ("outside", Contents("other"));

  // The env keeps working, and a second crash drops only the new tail.
  auto w = Create("000004.wal");
  ASSERT_TRUE(w->Append("new").ok());
  ASSERT_TRUE(w->Sync().ok());
  ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
  ASSERT_TRUE(w->Append("tail").ok());
  ASSERT_TRUE(w->Close().ok());
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  ASSERT_EQ("new", Contents("000004.wal"));
  ASSERT_EQ("abc", Contents("000001.wal"));
}

TEST_F(FaultInjectionEnvTest, DropWithMmapFiles) {
  enum Mode { kClosedBeforeDrop, kClosedWhileInactive, kClosedAfterReactivation };
  for (Mode mode : {kClosedBeforeDrop, kClosedWhileInactive, kClosedAfterReactivation}) {
    SCOPED_TRACE("mode " + std::to_string(mode));
    const std::string name = "00000" + std::to_string(mode) + ".wal";
    auto f = Create(name, /*mmap=*/true);
    ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
    std::string expected;
    for (int i = 0; i < 100; i++) {
      const std::string record(1000, static_cast<char>('a' + i % 26));
      ASSERT_TRUE(f->Append(record).ok());
      expected += record;
    }
    ASSERT_TRUE(f->Sync().ok());
    for (int i = 0; i < 50; i++) ASSERT_TRUE(f->Append(std::string(1000, 'Z')).ok());
    env_.SetFilesystemActive(false);
    if (mode == kClosedBeforeDrop) f->Close();
    ASSERT_TRUE(env_.DropUnsyncedData().ok());
    ASSERT_EQ(expected, Contents(name));
    if (mode == kClosedAfterReactivation) env_.SetFilesystemActive(true);
    f.reset();  // closes now if still open: the drop is re-applied
    ASSERT_EQ(expected.size(), Contents(name).size());
    ASSERT_EQ(expected, Contents(name));
    env_.SetFilesystemActive(true);
  }
}

TEST_F(FaultInjectionEnvTest, UndurableRenameRestoresReplacedFile) {
  // CURRENT is durable with "old".
  ASSERT_TRUE(WriteStringToFile(&env_, "old\n", Path("000001.dbtmp"), true).ok());
  ASSERT_TRUE(env_.RenameFile(Path("000001.dbtmp"), Path("CURRENT")).ok());
  ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
  // Replaced by a rename that never reached the directory.
  ASSERT_TRUE(WriteStringToFile(&env_, "new\n", Path("000002.dbtmp"), true).ok());
  ASSERT_TRUE(env_.RenameFile(Path("000002.dbtmp"), Path("CURRENT")).ok());
  ASSERT_EQ("new\n", Contents("CURRENT"));
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  ASSERT_EQ("old\n", Contents("CURRENT"));
  ASSERT_EQ("MISSING", Contents("000002.dbtmp"));  // the source does not come back

  // Now made durable: the new file survives.
  ASSERT_TRUE(WriteStringToFile(&env_, "newer\n", Path("000003.dbtmp"), true).ok());
  ASSERT_TRUE(env_.RenameFile(Path("000003.dbtmp"), Path("CURRENT")).ok());
  ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  ASSERT_EQ("newer\n", Contents("CURRENT"));

  // A rename onto a path with nothing durable: the target just goes.
  ASSERT_TRUE(WriteStringToFile(&env_, "m", Path("MANIFEST-000004"), true).ok());
  ASSERT_TRUE(env_.RenameFile(Path("MANIFEST-000004"), Path("MANIFEST-000005")).ok());
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  ASSERT_EQ("MISSING", Contents("MANIFEST-000005"));
  ASSERT_EQ("MISSING", Contents("MANIFEST-000004"));
}

TEST_F(FaultInjectionEnvTest, RemovedFilesAreForgotten) {
  ASSERT_TRUE(WriteStringToFile(&env_, "abc", Path("a.sst"), true).ok());
  ASSERT_TRUE(env_.RemoveFile(Path("a.sst")).ok());
  uint64_t size, synced;
  bool durable;
  ASSERT_FALSE(env_.GetFileState(Path("a.sst"), &size, &synced, &durable));
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  ASSERT_EQ("MISSING", Contents("a.sst"));
  ASSERT_EQ(1u, env_.GetCounts(Kind::kTableFile).removes);
}

TEST_F(FaultInjectionEnvTest, ConcurrentWriters) {
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  env_.FailNthAppend(50);  // exactly one of all appends fails
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([this, t, &failures] {
      std::unique_ptr<WritableFile> f;
      if (!env_.NewWritableFile(Path(std::to_string(t) + ".wal"), {}, &f).ok()) {
        failures += 1000;
        return;
      }
      for (int i = 0; i < 100; i++) {
        if (!f->Append("x").ok()) failures++;
        if (i % 10 == 0 && !f->Sync().ok()) failures += 1000;
      }
      f->Close();
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(1, failures.load());
  ASSERT_EQ(uint64_t{kThreads * 100}, env_.GetCounts().appends);
  ASSERT_EQ(uint64_t{kThreads * 100 - 1}, env_.GetCounts().bytes_appended);
}

}  // namespace
}  // namespace strata
