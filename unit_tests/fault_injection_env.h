// FaultInjectionEnv: an Env for tests that loses unsynced data and injects
// I/O faults.
//
// It wraps another Env (Env::Default() unless told otherwise) and passes
// every call through, while it
//   - tracks, for each file written through it, how many bytes were synced
//     (WritableFile::Sync) and whether its directory entry is durable (the
//     directory was SyncDir'ed after the file was created or renamed there);
//   - simulates a power loss with DropUnsyncedData();
//   - can freeze the file system (SetFilesystemActive(false)) so that every
//     later mutation fails with IOError "simulated crash";
//   - fails chosen operations: the Nth Append (or tears it: writes a prefix
//     then fails), the Nth Sync, the Nth RenameFile, the Nth file creation,
//     each optionally only for some kinds of files; and a "disk full" switch
//     under which every Append and file creation fails with NoSpace;
//   - counts operations per kind of file.
//
// A typical crash test: write through a store, SetFilesystemActive(false)
// at the chosen moment, close the store (its writes now fail), then
// DropUnsyncedData(), SetFilesystemActive(true) and reopen.
//
// Thread safety: all methods may be called from several threads at once.
// The env must outlive every file object it returned. Reads are never faulted.
#ifndef STRATA_UNIT_TESTS_FAULT_INJECTION_ENV_H_
#define STRATA_UNIT_TESTS_FAULT_INJECTION_ENV_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "strata/env.h"

namespace strata {

class FaultInjectionEnv final : public Env {
 public:
  // Kinds of files, recognised by name; combine them with | to filter faults
  // and counters.
  enum FileKind : uint32_t {
    kWalFile = 1u << 0,       // *.wal
    kTableFile = 1u << 1,     // *.sst
    kManifestFile = 1u << 2,  // MANIFEST-*
    kCurrentFile = 1u << 3,   // CURRENT
    kTempFile = 1u << 4,      // *.dbtmp (e.g. the next CURRENT before its rename)
    kOtherFile = 1u << 5,     // anything else (LOCK, schema, test files)
    kAnyFile = (1u << 6) - 1,
  };
  // The kind of a path, from its last component.
  static FileKind KindOf(const std::string& path);

  // For TearNthAppend: write the first half of the buffer.
  static constexpr size_t kKeepHalf = static_cast<size_t>(-1);

  // Operation counts. Every call is counted, including calls that failed.
  struct Counts {
    uint64_t appends = 0;
    uint64_t bytes_appended = 0;  // bytes actually written, torn prefixes included
    uint64_t syncs = 0;           // WritableFile::Sync
    uint64_t renames = 0;         // counted by the kind of the target name
    uint64_t creates = 0;         // NewWritableFile
    uint64_t removes = 0;
    uint64_t dir_syncs = 0;  // not split by kind: all directories
  };

  // base is not owned and must outlive this env. Default: Env::Default().
  explicit FaultInjectionEnv(Env* base = nullptr);
  ~FaultInjectionEnv() override;

  // ---- Crash simulation.

  // When inactive, every Append, Flush, Sync, file creation, RenameFile,
  // LinkFile, RemoveFile, CreateDir, RemoveDir and SyncDir fails with
  // IOError("simulated crash") and changes nothing; Close releases the file
  // but does not let a buffered writer's pending bytes reach the file. Reads,
  // LockFile and the clock keep working. Default: active.
  void SetFilesystemActive(bool active);
  bool IsFilesystemActive() const;

  // Simulates a power loss, for every file written through this env:
  //   - a file whose directory entry is not durable (created or renamed into
  //     place since its directory's last SyncDir) is removed; if the rename
  //     that put it there replaced a file whose entry was durable, that
  //     file's durable contents are written back instead;
  //   - any other file is truncated to the bytes its last successful Sync
  //     covered (0 if never synced). The unsynced tail of an mmap file goes
  //     too, reserved zeros included.
  // Not simulated: the source name of an undurable rename coming back,
  // removals that were not made durable by SyncDir coming back, and lost
  // directory creations. Files not written through this env are left alone.
  // Call it when no store has the files open (e.g. after closing the store
  // with the file system inactive). A writer still open at the call may only
  // be closed afterwards; its Close re-applies the drop.
  Status DropUnsyncedData();

  // What is tracked for path: bytes written, bytes synced, and whether its
  // directory entry is durable. False if the path is not tracked.
  bool GetFileState(const std::string& path, uint64_t* size, uint64_t* synced,
                    bool* entry_durable) const;

  // ---- One-shot faults. n >= 1 arms the fault for the n-th matching call
  // from now (1: the next one); only calls on files whose kind is in kinds
  // count. n <= 0 disarms it. Injected failures are IOError with a message
  // containing "injected".

  void FailNthAppend(int n, uint32_t kinds = kAnyFile);
  // The n-th matching Append writes only its first keep bytes (at most
  // size-1; kKeepHalf: size/2), then returns IOError.
  void TearNthAppend(int n, uint32_t kinds = kAnyFile, size_t keep = kKeepHalf);
  void FailNthSync(int n, uint32_t kinds = kAnyFile);
  // kinds filters on the target name. A failed rename changes nothing.
  void FailNthRename(int n, uint32_t kinds = kAnyFile);
  // NewWritableFile fails before creating or truncating anything.
  void FailNthCreate(int n, uint32_t kinds = kAnyFile);

  // While set, every Append and NewWritableFile fails with NoSpace (nothing
  // written, nothing created). Other operations work.
  void SetDiskFull(bool full);

  // Disarms every one-shot fault and clears the disk-full switch.
  void ClearFaults();

  // Number of faults injected so far (one-shot, disk-full and inactive).
  uint64_t InjectedFaults() const;

  Counts GetCounts(uint32_t kinds = kAnyFile) const;
  void ResetCounts();

  // ---- Env.
  Status NewSequentialFile(const std::string& fname,
                           std::unique_ptr<SequentialFile>* result) override;
  Status NewRandomAccessFile(const std::string& fname,
                             std::unique_ptr<RandomAccessFile>* result) override;
  Status NewWritableFile(const std::string& fname, const WritableFileOptions& options,
                         std::unique_ptr<WritableFile>* result) override;
  bool FileExists(const std::string& fname) override;
  Status GetChildren(const std::string& dir, std::vector<std::string>* result) override;
  Status RemoveFile(const std::string& fname) override;
  Status CreateDir(const std::string& dirname) override;
  Status RemoveDir(const std::string& dirname) override;
  Status GetFileSize(const std::string& fname, uint64_t* size) override;
  Status RenameFile(const std::string& src, const std::string& target) override;
  Status LinkFile(const std::string& src, const std::string& target) override;
  Status SyncDir(const std::string& dirname) override;
  bool IsDirWritable(const std::string& dirname) override;
  Status LockFile(const std::string& fname, bool exclusive,
                  std::unique_ptr<FileLock>* lock) override;
  uint64_t NowMicros() override;
  void SleepForMicroseconds(int micros) override;

 private:
  class File;
  struct FileState;
  struct Trigger {
    int countdown = 0;  // 0: disarmed
    uint32_t kinds = kAnyFile;
    size_t keep = 0;  // tear only
  };
  enum class AppendVerdict { kWrite, kFail, kTear };
  static constexpr int kNumKinds = 6;

  // REQUIRES: mu_ held. True when trigger fires for a call of this kind.
  static bool Fires(Trigger* trigger, FileKind kind);
  static int KindIndex(FileKind kind);
  // REQUIRES: mu_ held.
  Status CrashedLocked(const std::string& fname);
  Counts& CountsFor(const std::string& fname);  // REQUIRES: mu_ held

  // Called by File.
  AppendVerdict BeforeAppend(FileState* state, size_t n, size_t* keep, Status* error);
  void AfterAppend(FileState* state, uint64_t new_size, uint64_t written);
  Status BeforeSync(FileState* state);
  void AfterSync(FileState* state, uint64_t synced);
  Status CheckActive(const std::string& fname);
  // NewWritableFile but for the hand-over to *result. Takes mu_.
  Status CreateTrackedFile(const std::string& fname, const WritableFileOptions& options,
                           std::unique_ptr<WritableFile>* result);
  void AfterClose(FileState* state, uint64_t size_before_close);

  // REQUIRES: mu_ held. The durable contents at path before it is replaced
  // by a rename or link: *has is false if nothing durable is there.
  Status DurableContentsLocked(const std::string& path, bool* has, std::string* contents);
  Status TruncateLocked(const std::string& path, uint64_t size);

  Env* const base_;
  mutable std::mutex mu_;
  bool active_ = true;
  bool disk_full_ = false;
  Trigger fail_append_, tear_append_, fail_sync_, fail_rename_, fail_create_;
  uint64_t injected_ = 0;
  Counts counts_[kNumKinds];
  uint64_t dir_syncs_ = 0;
  std::map<std::string, std::shared_ptr<FileState>> files_;  // by path
};

}  // namespace strata

#endif  // STRATA_UNIT_TESTS_FAULT_INJECTION_ENV_H_
