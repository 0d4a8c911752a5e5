// DBImpl: flushes, compactions, background errors and obsolete files.
#include <algorithm>

#include "db/compaction_job.h"
#include "db/db_impl.h"
#include "db/filename.h"
#include "util/thread_pool.h"

namespace strata {

// REQUIRES: mutex_ held.
void DBImpl::MaybeScheduleWork() {
  if (shutting_down_.load() || !bg_error_.ok() || read_only_) return;
  if (!imm_.empty() && bg_flush_scheduled_ == 0) {
    bg_flush_scheduled_ = 1;
    ThreadPool::Default()->Schedule([this] { BackgroundFlush(); }, ThreadPool::Priority::kHigh);
  }
  // While a manual compaction is installed, only it runs (until its caller
  // collects it and installs the next level's, or returns).
  const bool wanted = manual_compaction_ != nullptr
                          ? !manual_compaction_->done
                          : versions_->NeedsCompaction(SmallestSnapshot());
  if (bg_compaction_scheduled_ == 0 && wanted) {
    bg_compaction_scheduled_ = 1;
    ThreadPool::Default()->Schedule([this] { BackgroundCompaction(); }, ThreadPool::Priority::kLow);
  }
}

// REQUIRES: mutex_ held.
void DBImpl::RecordBackgroundError(const Status& s) {
  if (bg_error_.ok() && !s.ok()) {
    bg_error_ = s;
    bg_cv_.notify_all();
  }
}

void DBImpl::BackgroundFlush() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!shutting_down_.load() && bg_error_.ok() && !imm_.empty()) {
    Status s = FlushMemTable(lock, &imm_.front());
    if (!s.ok()) RecordBackgroundError(s);
  }
  bg_flush_scheduled_ = 0;
  MaybeScheduleWork();
  bg_cv_.notify_all();
}

// Flushes the oldest immutable memtable. REQUIRES: lock holds mutex_, and
// imm is imm_.front().
Status DBImpl::FlushMemTable(std::unique_lock<std::mutex>& lock, ImmutableMemTable* imm) {
  imm->flush_in_progress = true;
  MemTable* mem = imm->mem;
  VersionEdit edit;
  Status s = WriteLevel0Table(mem, &edit, &lock);
  if (s.ok() && shutting_down_.load()) s = Status::Aborted("the store is closing");
  if (s.ok()) {
    // The WAL of the next memtable is the oldest one still needed.
    edit.SetLogNumber(imm_.size() > 1 ? imm_[1].log_number : log_number_);
    s = versions_->LogAndApply(&edit, &mutex_);
  }
  for (const auto& [level, f] : edit.new_files()) pending_outputs_.erase(f.number);
  if (!s.ok()) {
    imm_.front().flush_in_progress = false;
    return s.IsAborted() ? Status::OK() : s;
  }
  std::shared_ptr<wal::Writer> log = imm_.front().log;
  auto it = std::find(logs_to_sync_.begin(), logs_to_sync_.end(), log);
  if (it != logs_to_sync_.end()) logs_to_sync_.erase(it);
  imm_.pop_front();
  mem->Unref();
  DeleteObsoleteFiles();
  return Status::OK();
}

void DBImpl::BackgroundCompaction() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!shutting_down_.load() && bg_error_.ok()) {
    Compaction* c = nullptr;
    // A manual compaction that is done may not have been collected by its
    // caller yet: never touch it again (the caller may return at any time),
    // and run nothing else meanwhile.
    ManualCompaction* m = manual_compaction_;
    if (m == nullptr) {
      c = versions_->PickCompaction(SmallestSnapshot());
    } else if (!m->done) {
      bool busy = false;
      c = versions_->CompactRange(m->level, m->begin, m->end, m->in_place, &busy);
      if (c == nullptr && !busy) {
        m->done = true;  // nothing in the range
      } else if (c != nullptr) {
        m->in_progress = true;
      }
    }
    if (c != nullptr) {
      Status s = RunCompaction(lock, c, /*manual=*/m != nullptr);
      if (m != nullptr) {
        // Its caller withdraws it; until then no compaction takes it again.
        m->status = s;
        m->done = true;
        m->in_progress = false;
      }
      if (!s.ok() && !s.IsAborted()) RecordBackgroundError(s);
    }
  }
  bg_compaction_scheduled_ = 0;
  MaybeScheduleWork();
  bg_cv_.notify_all();
}

// REQUIRES: lock holds mutex_. Releases it during the work.
Status DBImpl::RunCompaction(std::unique_lock<std::mutex>& lock, Compaction* c, bool manual) {
  Status s;
  if (!manual && c->IsTrivialMove()) {
    VersionEdit* edit = c->edit();
    for (FileMetaData* f : c->inputs(0)) {
      edit->RemoveFile(c->level(), f->number);
      edit->AddFile(c->output_level(), *f);
    }
    s = versions_->LogAndApply(edit, &mutex_);
    if (s.ok()) stats_.trivial_moves++;
  } else {
    CompactionJob::Options jo;
    jo.dbname = dbname_;
    jo.env = env_;
    jo.table_options = &table_options_;
    jo.table_cache = table_cache_.get();
    jo.smallest_snapshot = SmallestSnapshot();
    jo.shutting_down = &shutting_down_;
    std::vector<uint64_t> numbers;
    jo.new_file_number = [this, &numbers] {
      std::lock_guard<std::mutex> l(mutex_);
      uint64_t n = versions_->NewFileNumber();
      pending_outputs_.insert(n);
      numbers.push_back(n);
      return n;
    };
    CompactionJob job(jo, c);
    lock.unlock();
    s = job.Run();
    lock.lock();
    if (s.ok()) {
      VersionEdit* edit = c->edit();
      c->AddInputDeletions(edit);
      for (const FileMetaData& f : job.outputs()) edit->AddFile(c->output_level(), f);
      s = versions_->LogAndApply(edit, &mutex_);
    }
    for (uint64_t n : numbers) pending_outputs_.erase(n);
    if (s.ok()) {
      stats_.compactions++;
      stats_.bytes_read_compaction += job.bytes_read();
      stats_.bytes_written_compaction += job.bytes_written();
    }
  }
  c->ReleaseInputs();
  delete c;
  DeleteObsoleteFiles();
  return s;
}

// Removes files no version, pending output or live WAL needs.
// REQUIRES: mutex_ held.
void DBImpl::DeleteObsoleteFiles() {
  // After a background error the manifest's state on disk is unknown: keep
  // everything until Resume() writes a fresh one.
  if (!bg_error_.ok() || read_only_) return;
  std::set<uint64_t> live = pending_outputs_;
  versions_->AddLiveFiles(&live);
  std::vector<std::string> children;
  env_->GetChildren(dbname_, &children);
  std::vector<std::string> doomed;
  for (const std::string& child : children) {
    uint64_t number;
    FileType type;
    if (!ParseFileName(child, &number, &type)) continue;
    bool keep = true;
    switch (type) {
      case FileType::kWalFile:
        keep = number >= versions_->LogNumber();
        break;
      case FileType::kManifestFile:
        keep = number >= versions_->ManifestFileNumber();
        break;
      case FileType::kTableFile:
        keep = live.count(number) > 0;
        break;
      case FileType::kTempFile:
        keep = live.count(number) > 0;
        break;
      case FileType::kCurrentFile:
      case FileType::kLockFile:
        break;
    }
    if (!keep) {
      if (type == FileType::kTableFile) table_cache_->Evict(number);
      doomed.push_back(dbname_ + "/" + child);
    }
  }
  if (doomed.empty()) return;
  mutex_.unlock();
  for (const std::string& f : doomed) env_->RemoveFile(f);
  mutex_.lock();
}

Status DBImpl::Flush(const FlushOptions& options) {
  Status s = CheckWritable();
  if (!s.ok()) return s;
  // Everything written before this call is in memtables whose WAL is no
  // newer than the current one. Only those are waited for (flushes go oldest
  // first): memtables switched later, by a writer that keeps going, would
  // keep imm_ from ever being empty.
  uint64_t last_log;
  {
    std::lock_guard<std::mutex> l(mutex_);
    last_log = log_number_;
  }
  // A null batch makes the writer switch the memtable.
  s = Write(WriteOptions(), static_cast<WriteBatch*>(nullptr));
  if (!s.ok() || !options.wait) return s;
  std::unique_lock<std::mutex> lock(mutex_);
  while (!imm_.empty() && imm_.front().log_number <= last_log && bg_error_.ok() &&
         !shutting_down_.load()) {
    bg_cv_.wait(lock);
  }
  return bg_error_;
}

Status DBImpl::CompactRange(const Slice* begin, const Slice* end) {
  Status s = Flush(FlushOptions());
  if (!s.ok()) return s;
  std::unique_lock<std::mutex> lock(mutex_);
  // Each level into the next, down to the bottom; then the bottom files that
  // still hold deletions are rewritten in place (dropping what no snapshot
  // needs), so a full compaction frees the space of deleted data. The bottom
  // is looked up at each step: compactions that ran before this one was
  // installed may have moved data deeper.
  bool bottom_done = false;
  for (int level = 0; !bottom_done && s.ok(); level++) {
    ManualCompaction m;
    m.level = level;
    m.in_place = bottom_done = level >= versions_->MaxLevelWithFiles();
    InternalKey b, e;
    if (begin != nullptr) {
      b = InternalKey(*begin, kMaxSequenceNumber, kValueTypeForSeek);
      m.begin = &b;
    } else {
      m.begin = nullptr;
    }
    if (end != nullptr) {
      e = InternalKey(*end, 0, 0);
      m.end = &e;
    } else {
      m.end = nullptr;
    }
    // One manual compaction at a time; it runs on the background thread.
    while (manual_compaction_ != nullptr) bg_cv_.wait(lock);
    manual_compaction_ = &m;
    while (!m.done && bg_error_.ok() && !shutting_down_.load()) {
      MaybeScheduleWork();
      bg_cv_.wait(lock);
    }
    // m lives on this stack: after an error or at shutdown, a compaction
    // may still be running for it.
    while (m.in_progress) bg_cv_.wait(lock);
    if (manual_compaction_ == &m) manual_compaction_ = nullptr;
    bg_cv_.notify_all();
    if (!m.done) s = bg_error_.ok() ? Status::Aborted("the store is closing") : bg_error_;
    if (s.ok()) s = m.status;
  }
  MaybeScheduleWork();
  return s;
}

Status DBImpl::Resume() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (bg_error_.ok()) return Status::OK();
  if (read_only_) return bg_error_;
  bg_error_ = Status::OK();
  // The manifest on disk may or may not hold the edit that failed: write a
  // fresh one from the state in memory before anything else (and before any
  // file is deleted as obsolete).
  {
    VersionEdit empty;
    Status s = versions_->LogAndApply(&empty, &mutex_);
    if (!s.ok()) {
      bg_error_ = s;
      return s;
    }
  }
  // The current WAL may end in a partial record: continue in a new one. The
  // sequence check at recovery accepts the cut, since nothing acknowledged
  // is missing from it.
  if (mem_->NumEntries() > 0 || mem_->NumRangeTombstones() > 0 || log_dirty_) {
    std::shared_ptr<wal::Writer> old_log = log_;
    const uint64_t old_number = log_number_;
    Status s = OpenNewLog();
    if (!s.ok()) {
      bg_error_ = s;
      return s;
    }
    logs_to_sync_.push_back(old_log);
    imm_.push_back(ImmutableMemTable{mem_, old_number, old_log});
    mem_ = NewMemTable();
    mem_->Ref();
  } else if (log_ != nullptr && log_->FileSize() > 0) {
    // Nothing in the memtable but the log may hold a torn write: start over.
    std::shared_ptr<wal::Writer> old_log = log_;
    Status s = OpenNewLog();
    if (!s.ok()) {
      bg_error_ = s;
      return s;
    }
    old_log->Close();
  }
  MaybeScheduleWork();
  // Wait for the retried flushes, so the caller learns whether the cause is
  // really gone.
  while (!imm_.empty() && bg_error_.ok() && !shutting_down_.load()) bg_cv_.wait(lock);
  if (bg_error_.ok()) DeleteObsoleteFiles();
  return bg_error_;
}

}  // namespace strata
