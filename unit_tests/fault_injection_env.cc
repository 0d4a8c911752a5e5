// FaultInjectionEnv: bookkeeping of synced bytes and durable directory
// entries per written file, fault triggers, and the power-loss simulation.
// See fault_injection_env.h for what is and is not simulated.
#include "unit_tests/fault_injection_env.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>

namespace strata {

namespace {

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The directory part of a path, spelled as SyncDir callers spell it.
std::string DirName(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string NormalizeDir(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir.empty() ? "." : dir;
}

bool EndsWith(const std::string& s, const char* suffix) {
  const size_t n = strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

}  // namespace

struct FaultInjectionEnv::FileState {
  std::string path;
  uint64_t size = 0;    // bytes written to the file (as the writer reports them)
  uint64_t synced = 0;  // bytes covered by the last successful Sync
  bool entry_durable = false;
  // The rename that put this file here replaced a durable file whose
  // contents were `replaced`: a crash brings those back.
  bool has_replaced = false;
  std::string replaced;
  bool open = false;     // a writer is open on it
  bool removed = false;  // no longer what files_ holds for path
  bool dropped = false;  // DropUnsyncedData ran while it was open
};

// The writer handed out: checks faults with the env, then passes through.
class FaultInjectionEnv::File final : public WritableFile {
 public:
  File(FaultInjectionEnv* env, std::shared_ptr<FileState> state, std::unique_ptr<WritableFile> base)
      : env_(env), state_(std::move(state)), base_(std::move(base)) {}
  ~File() override {
    if (!closed_) Close();
  }

  Status Append(const Slice& data) override {
    size_t keep = 0;
    Status error;
    switch (env_->BeforeAppend(state_.get(), data.size(), &keep, &error)) {
      case AppendVerdict::kFail:
        return error;
      case AppendVerdict::kTear: {
        const uint64_t before = base_->Size();
        base_->Append(Slice(data.data(), keep));  // the injected error wins
        env_->AfterAppend(state_.get(), base_->Size(), base_->Size() - before);
        return error;
      }
      case AppendVerdict::kWrite:
        break;
    }
    const uint64_t before = base_->Size();
    Status s = base_->Append(data);
    env_->AfterAppend(state_.get(), base_->Size(), base_->Size() - before);
    return s;
  }

  Status Flush() override {
    Status s = env_->CheckActive(state_->path);
    return s.ok() ? base_->Flush() : s;
  }

  Status Sync() override {
    Status s = env_->BeforeSync(state_.get());
    if (!s.ok()) return s;
    const uint64_t size = base_->Size();
    s = base_->Sync();
    if (s.ok()) env_->AfterSync(state_.get(), size);
    return s;
  }

  Status Close() override {
    if (closed_) return Status::OK();
    closed_ = true;
    // A crashed process never flushes its buffers: remember what reached the
    // file so Close's own flush can be undone.
    uint64_t on_disk = kUnknown;
    if (!env_->IsFilesystemActive()) {
      std::string path;
      {
        std::lock_guard<std::mutex> l(env_->mu_);
        path = state_->path;
      }
      if (!env_->base_->GetFileSize(path, &on_disk).ok()) on_disk = kUnknown;
    }
    Status s = base_->Close();
    env_->AfterClose(state_.get(), on_disk);
    return s;
  }

  uint64_t Size() const override { return base_->Size(); }

  static constexpr uint64_t kUnknown = ~uint64_t{0};

 private:
  FaultInjectionEnv* const env_;
  const std::shared_ptr<FileState> state_;
  const std::unique_ptr<WritableFile> base_;
  bool closed_ = false;
};

FaultInjectionEnv::FaultInjectionEnv(Env* base) : base_(base != nullptr ? base : Env::Default()) {}

FaultInjectionEnv::~FaultInjectionEnv() = default;

FaultInjectionEnv::FileKind FaultInjectionEnv::KindOf(const std::string& path) {
  const std::string name = BaseName(path);
  if (EndsWith(name, ".wal")) return kWalFile;
  if (EndsWith(name, ".sst")) return kTableFile;
  if (name.rfind("MANIFEST-", 0) == 0) return kManifestFile;
  if (name == "CURRENT") return kCurrentFile;
  if (EndsWith(name, ".dbtmp")) return kTempFile;
  return kOtherFile;
}

int FaultInjectionEnv::KindIndex(FileKind kind) { return __builtin_ctz(kind); }

bool FaultInjectionEnv::Fires(Trigger* trigger, FileKind kind) {
  if (trigger->countdown <= 0 || (trigger->kinds & kind) == 0) return false;
  return --trigger->countdown == 0;
}

FaultInjectionEnv::Counts& FaultInjectionEnv::CountsFor(const std::string& fname) {
  return counts_[KindIndex(KindOf(fname))];
}

Status FaultInjectionEnv::CrashedLocked(const std::string& fname) {
  injected_++;
  return Status::IOError(fname, "simulated crash: file system inactive");
}

// ---- Controls.

void FaultInjectionEnv::SetFilesystemActive(bool active) {
  std::lock_guard<std::mutex> l(mu_);
  active_ = active;
}

bool FaultInjectionEnv::IsFilesystemActive() const {
  std::lock_guard<std::mutex> l(mu_);
  return active_;
}

void FaultInjectionEnv::FailNthAppend(int n, uint32_t kinds) {
  std::lock_guard<std::mutex> l(mu_);
  fail_append_ = Trigger{std::max(n, 0), kinds, 0};
}

void FaultInjectionEnv::TearNthAppend(int n, uint32_t kinds, size_t keep) {
  std::lock_guard<std::mutex> l(mu_);
  tear_append_ = Trigger{std::max(n, 0), kinds, keep};
}

void FaultInjectionEnv::FailNthSync(int n, uint32_t kinds) {
  std::lock_guard<std::mutex> l(mu_);
  fail_sync_ = Trigger{std::max(n, 0), kinds, 0};
}

void FaultInjectionEnv::FailNthRename(int n, uint32_t kinds) {
  std::lock_guard<std::mutex> l(mu_);
  fail_rename_ = Trigger{std::max(n, 0), kinds, 0};
}

void FaultInjectionEnv::FailNthCreate(int n, uint32_t kinds) {
  std::lock_guard<std::mutex> l(mu_);
  fail_create_ = Trigger{std::max(n, 0), kinds, 0};
}

void FaultInjectionEnv::SetDiskFull(bool full) {
  std::lock_guard<std::mutex> l(mu_);
  disk_full_ = full;
}

void FaultInjectionEnv::ClearFaults() {
  std::lock_guard<std::mutex> l(mu_);
  fail_append_ = tear_append_ = fail_sync_ = fail_rename_ = fail_create_ = Trigger();
  disk_full_ = false;
}

uint64_t FaultInjectionEnv::InjectedFaults() const {
  std::lock_guard<std::mutex> l(mu_);
  return injected_;
}

FaultInjectionEnv::Counts FaultInjectionEnv::GetCounts(uint32_t kinds) const {
  std::lock_guard<std::mutex> l(mu_);
  Counts sum;
  for (int i = 0; i < kNumKinds; i++) {
    if ((kinds & (1u << i)) == 0) continue;
    sum.appends += counts_[i].appends;
    sum.bytes_appended += counts_[i].bytes_appended;
    sum.syncs += counts_[i].syncs;
    sum.renames += counts_[i].renames;
    sum.creates += counts_[i].creates;
    sum.removes += counts_[i].removes;
  }
  sum.dir_syncs = dir_syncs_;
  return sum;
}

void FaultInjectionEnv::ResetCounts() {
  std::lock_guard<std::mutex> l(mu_);
  for (Counts& c : counts_) c = Counts();
  dir_syncs_ = 0;
}

bool FaultInjectionEnv::GetFileState(const std::string& path, uint64_t* size, uint64_t* synced,
                                     bool* entry_durable) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = files_.find(path);
  if (it == files_.end()) return false;
  *size = it->second->size;
  *synced = it->second->synced;
  *entry_durable = it->second->entry_durable;
  return true;
}

// ---- Power loss.

Status FaultInjectionEnv::TruncateLocked(const std::string& path, uint64_t size) {
  // Env has no truncate; the wrapped env is a POSIX file system in our tests.
  if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0 && errno != ENOENT) {
    return Status::IOError(path, strerror(errno));
  }
  return Status::OK();
}

Status FaultInjectionEnv::DropUnsyncedData() {
  std::lock_guard<std::mutex> l(mu_);
  Status result;
  auto keep_first_error = [&result](const Status& s) {
    if (result.ok() && !s.ok()) result = s;
  };
  for (auto it = files_.begin(); it != files_.end();) {
    const std::string& path = it->first;
    FileState* st = it->second.get();
    if (st->open) st->dropped = true;
    if (st->entry_durable) {
      keep_first_error(TruncateLocked(path, st->synced));
      st->size = st->synced;
      ++it;
      continue;
    }
    // The entry never reached the disk: the file vanishes, or what it replaced returns.
    if (base_->FileExists(path)) keep_first_error(base_->RemoveFile(path));
    st->removed = true;
    if (!st->has_replaced) {
      it = files_.erase(it);
      continue;
    }
    keep_first_error(WriteStringToFile(base_, st->replaced, path, true));
    auto restored = std::make_shared<FileState>();
    restored->path = path;
    restored->size = restored->synced = st->replaced.size();
    restored->entry_durable = true;
    it->second = std::move(restored);
    ++it;
  }
  return result;
}

// ---- Called by File.

FaultInjectionEnv::AppendVerdict FaultInjectionEnv::BeforeAppend(FileState* state, size_t n,
                                                                 size_t* keep, Status* error) {
  std::lock_guard<std::mutex> l(mu_);
  const FileKind kind = KindOf(state->path);
  counts_[KindIndex(kind)].appends++;
  if (!active_) {
    *error = CrashedLocked(state->path);
    return AppendVerdict::kFail;
  }
  if (disk_full_) {
    injected_++;
    *error = Status::NoSpace(state->path, "injected: no space left on device");
    return AppendVerdict::kFail;
  }
  if (Fires(&fail_append_, kind)) {
    injected_++;
    *error = Status::IOError(state->path, "injected append failure");
    return AppendVerdict::kFail;
  }
  if (Fires(&tear_append_, kind)) {
    injected_++;
    *error = Status::IOError(state->path, "injected torn append");
    const size_t limit = n == 0 ? 0 : n - 1;
    *keep = tear_append_.keep == kKeepHalf ? n / 2 : std::min(tear_append_.keep, limit);
    return AppendVerdict::kTear;
  }
  return AppendVerdict::kWrite;
}

void FaultInjectionEnv::AfterAppend(FileState* state, uint64_t new_size, uint64_t written) {
  std::lock_guard<std::mutex> l(mu_);
  state->size = new_size;
  counts_[KindIndex(KindOf(state->path))].bytes_appended += written;
}

Status FaultInjectionEnv::BeforeSync(FileState* state) {
  std::lock_guard<std::mutex> l(mu_);
  const FileKind kind = KindOf(state->path);
  counts_[KindIndex(kind)].syncs++;
  if (!active_) return CrashedLocked(state->path);
  if (Fires(&fail_sync_, kind)) {
    injected_++;
    return Status::IOError(state->path, "injected sync failure");
  }
  return Status::OK();
}

void FaultInjectionEnv::AfterSync(FileState* state, uint64_t synced) {
  std::lock_guard<std::mutex> l(mu_);
  state->synced = synced;
}

Status FaultInjectionEnv::CheckActive(const std::string& fname) {
  std::lock_guard<std::mutex> l(mu_);
  return active_ ? Status::OK() : CrashedLocked(fname);
}

void FaultInjectionEnv::AfterClose(FileState* state, uint64_t size_before_close) {
  std::lock_guard<std::mutex> l(mu_);
  state->open = false;
  if (state->removed) return;  // the path now names another file (or none)
  if (size_before_close != File::kUnknown) {
    uint64_t now = 0;
    if (base_->GetFileSize(state->path, &now).ok() && now > size_before_close) {
      TruncateLocked(state->path, size_before_close);
      state->size = std::min(state->size, size_before_close);
      state->synced = std::min(state->synced, size_before_close);
    }
  }
  // Closing may have re-extended a dropped file (an mmap writer truncates
  // to its own idea of the size); cut it back.
  if (state->dropped) TruncateLocked(state->path, state->synced);
}

// ---- Env.

Status FaultInjectionEnv::NewSequentialFile(const std::string& fname,
                                            std::unique_ptr<SequentialFile>* result) {
  return base_->NewSequentialFile(fname, result);
}

Status FaultInjectionEnv::NewRandomAccessFile(const std::string& fname,
                                              std::unique_ptr<RandomAccessFile>* result) {
  return base_->NewRandomAccessFile(fname, result);
}

Status FaultInjectionEnv::NewWritableFile(const std::string& fname,
                                          const WritableFileOptions& options,
                                          std::unique_ptr<WritableFile>* result) {
  std::unique_ptr<WritableFile> file;
  Status s = CreateTrackedFile(fname, options, &file);
  // Assigned outside the lock: the file *result held may close through us.
  if (s.ok()) *result = std::move(file);
  return s;
}

Status FaultInjectionEnv::CreateTrackedFile(const std::string& fname,
                                            const WritableFileOptions& options,
                                            std::unique_ptr<WritableFile>* result) {
  std::lock_guard<std::mutex> l(mu_);
  const FileKind kind = KindOf(fname);
  counts_[KindIndex(kind)].creates++;
  if (!active_) return CrashedLocked(fname);
  if (disk_full_) {
    injected_++;
    return Status::NoSpace(fname, "injected: no space left on device");
  }
  if (Fires(&fail_create_, kind)) {
    injected_++;
    return Status::IOError(fname, "injected file creation failure");
  }
  const bool existed = base_->FileExists(fname);
  std::unique_ptr<WritableFile> file;
  Status s = base_->NewWritableFile(fname, options, &file);
  if (!s.ok()) return s;

  auto state = std::make_shared<FileState>();
  state->path = fname;
  state->open = true;
  auto it = files_.find(fname);
  if (it != files_.end()) {
    // Truncating in place keeps the directory entry as durable as it was.
    FileState* old = it->second.get();
    state->entry_durable = old->entry_durable;
    state->has_replaced = old->has_replaced;
    state->replaced = std::move(old->replaced);
    old->removed = true;
    it->second = state;
  } else {
    state->entry_durable = existed;  // a file we never saw is taken as durable
    files_[fname] = state;
  }
  result->reset(new File(this, std::move(state), std::move(file)));
  return Status::OK();
}

bool FaultInjectionEnv::FileExists(const std::string& fname) { return base_->FileExists(fname); }

Status FaultInjectionEnv::GetChildren(const std::string& dir, std::vector<std::string>* result) {
  return base_->GetChildren(dir, result);
}

Status FaultInjectionEnv::RemoveFile(const std::string& fname) {
  std::lock_guard<std::mutex> l(mu_);
  CountsFor(fname).removes++;
  if (!active_) return CrashedLocked(fname);
  Status s = base_->RemoveFile(fname);
  if (s.ok()) {
    auto it = files_.find(fname);
    if (it != files_.end()) {
      it->second->removed = true;
      files_.erase(it);
    }
  }
  return s;
}

Status FaultInjectionEnv::CreateDir(const std::string& dirname) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!active_) return CrashedLocked(dirname);
  }
  return base_->CreateDir(dirname);
}

Status FaultInjectionEnv::RemoveDir(const std::string& dirname) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!active_) return CrashedLocked(dirname);
  }
  return base_->RemoveDir(dirname);
}

Status FaultInjectionEnv::GetFileSize(const std::string& fname, uint64_t* size) {
  return base_->GetFileSize(fname, size);
}

Status FaultInjectionEnv::DurableContentsLocked(const std::string& path, bool* has,
                                                std::string* contents) {
  *has = false;
  contents->clear();
  auto it = files_.find(path);
  if (it != files_.end()) {
    const FileState* st = it->second.get();
    if (st->entry_durable) {
      Status s = ReadFileToString(base_, path, contents);
      if (!s.ok()) return s;
      contents->resize(std::min<uint64_t>(contents->size(), st->synced));
      *has = true;
    } else if (st->has_replaced) {
      *contents = st->replaced;
      *has = true;
    }
    return Status::OK();
  }
  if (!base_->FileExists(path)) return Status::OK();
  *has = true;
  return ReadFileToString(base_, path, contents);
}

Status FaultInjectionEnv::RenameFile(const std::string& src, const std::string& target) {
  std::lock_guard<std::mutex> l(mu_);
  const FileKind kind = KindOf(target);
  counts_[KindIndex(kind)].renames++;
  if (!active_) return CrashedLocked(target);
  if (Fires(&fail_rename_, kind)) {
    injected_++;
    return Status::IOError(src, "injected rename failure");
  }
  bool has_replaced = false;
  std::string replaced;
  Status s = DurableContentsLocked(target, &has_replaced, &replaced);
  if (!s.ok()) return s;
  s = base_->RenameFile(src, target);
  if (!s.ok()) return s;

  std::shared_ptr<FileState> state;
  auto src_it = files_.find(src);
  if (src_it != files_.end()) {
    state = std::move(src_it->second);
    files_.erase(src_it);
  } else {
    // Written before we were watching: take its contents as synced.
    state = std::make_shared<FileState>();
    uint64_t size = 0;
    base_->GetFileSize(target, &size);
    state->size = state->synced = size;
  }
  auto target_it = files_.find(target);
  if (target_it != files_.end()) target_it->second->removed = true;
  state->path = target;
  state->entry_durable = false;
  state->has_replaced = has_replaced;
  state->replaced = std::move(replaced);
  files_[target] = std::move(state);
  return Status::OK();
}

Status FaultInjectionEnv::LinkFile(const std::string& src, const std::string& target) {
  std::lock_guard<std::mutex> l(mu_);
  if (!active_) return CrashedLocked(target);
  Status s = base_->LinkFile(src, target);
  if (!s.ok()) return s;
  // The link shares src's data; it is tracked as a separate, undurable entry.
  auto state = std::make_shared<FileState>();
  state->path = target;
  auto src_it = files_.find(src);
  if (src_it != files_.end()) {
    state->size = src_it->second->size;
    state->synced = src_it->second->synced;
  } else {
    uint64_t size = 0;
    base_->GetFileSize(target, &size);
    state->size = state->synced = size;
  }
  files_[target] = std::move(state);
  return Status::OK();
}

Status FaultInjectionEnv::SyncDir(const std::string& dirname) {
  std::lock_guard<std::mutex> l(mu_);
  dir_syncs_++;
  if (!active_) return CrashedLocked(dirname);
  Status s = base_->SyncDir(dirname);
  if (!s.ok()) return s;
  const std::string dir = NormalizeDir(dirname);
  for (auto& [path, st] : files_) {
    if (DirName(path) != dir) continue;
    st->entry_durable = true;
    st->has_replaced = false;
    st->replaced.clear();
  }
  return Status::OK();
}

bool FaultInjectionEnv::IsDirWritable(const std::string& dirname) {
  return base_->IsDirWritable(dirname);
}

Status FaultInjectionEnv::LockFile(const std::string& fname, bool exclusive,
                                   std::unique_ptr<FileLock>* lock) {
  return base_->LockFile(fname, exclusive, lock);
}

uint64_t FaultInjectionEnv::NowMicros() { return base_->NowMicros(); }

void FaultInjectionEnv::SleepForMicroseconds(int micros) { base_->SleepForMicroseconds(micros); }

}  // namespace strata
