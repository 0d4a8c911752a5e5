// DBImpl: opening (creation and recovery from the manifest and WALs),
// closing, and DestroyDB.
#include <algorithm>

#include "db/db_impl.h"
#include "db/filename.h"
#include "db/table_writer.h"
#include "db/wal_reader.h"
#include "db/write_batch_internal.h"
#include "util/thread_pool.h"
#include "util/timer.h"

namespace strata {

static constexpr size_t kMinWriteBufferSize = 64 << 10;
static constexpr size_t kMinBlockSize = 256;
static constexpr int kMinLevels = 2;
static constexpr int kMaxLevels = 12;

static Status ValidateOptions(const Options& o) {
  auto bad = [](const std::string& what) { return Status::InvalidArgument(what); };
  if (o.comparator == nullptr) return bad("comparator must not be null");
  if (o.env == nullptr) return bad("env must not be null");
  if (o.write_buffer_size < kMinWriteBufferSize) {
    return bad("write_buffer_size must be at least 65536 bytes (64 KiB)");
  }
  if (!(o.memtable_bloom_size_ratio >= 0 && o.memtable_bloom_size_ratio <= 0.25)) {
    return bad("memtable_bloom_size_ratio must be between 0 and 0.25");
  }
  if (!(o.memtable_index_size_ratio >= 0 && o.memtable_index_size_ratio <= 0.5)) {
    return bad("memtable_index_size_ratio must be between 0 and 0.5");
  }
  if (o.block_size < kMinBlockSize) return bad("block_size must be at least 256 bytes");
  if (o.block_restart_interval < 1) return bad("block_restart_interval must be at least 1");
  if (o.bloom_bits_per_key < 0 || o.bloom_bits_per_key > 100) {
    return bad("bloom_bits_per_key must be between 0 and 100");
  }
  if (o.num_levels < kMinLevels || o.num_levels > kMaxLevels) {
    return bad("num_levels must be between 2 and 12");
  }
  if (o.level_size_multiplier < 2) return bad("level_size_multiplier must be at least 2");
  if (o.target_file_size < kMinWriteBufferSize) {
    return bad("target_file_size must be at least 65536 bytes (64 KiB)");
  }
  if (o.max_bytes_for_level_base < kMinWriteBufferSize) {
    return bad("max_bytes_for_level_base must be at least 65536 bytes (64 KiB)");
  }
  if (o.l0_compaction_trigger < 1 || o.l0_slowdown_writes_trigger < o.l0_compaction_trigger ||
      o.l0_stop_writes_trigger < o.l0_slowdown_writes_trigger) {
    return bad("L0 triggers must satisfy 1 <= compaction <= slowdown <= stop");
  }
  if (o.max_immutable_memtables < 1) return bad("max_immutable_memtables must be at least 1");
  if (o.max_open_files < 16) return bad("max_open_files must be at least 16");
  return Status::OK();
}

Status DB::Open(const Options& options, const std::string& name, std::unique_ptr<DB>* dbptr) {
  dbptr->reset();
  Status s = ValidateOptions(options);
  if (!s.ok()) return s;
  auto impl = std::make_unique<DBImpl>(options, name);
  s = impl->Open();
  if (s.ok()) *dbptr = std::move(impl);
  return s;
}

DB::~DB() = default;

const char* LibraryVersion() { return "0.1.0"; }

DBImpl::DBImpl(const Options& options, const std::string& dbname)
    : dbname_(dbname),
      options_(options),
      env_(options.env),
      internal_comparator_(options.comparator) {
  if (options_.bloom_bits_per_key > 0) {
    filter_policy_ = NewBloomFilterPolicy(options_.bloom_bits_per_key);
  }
  block_cache_ = options_.block_cache ? options_.block_cache : DefaultBlockCache();
  table_options_.comparator = &internal_comparator_;
  table_options_.filter_policy = filter_policy_.get();
  table_options_.filter_key = &FilterKeyOfInternalKey;
  table_options_.block_size = options_.block_size;
  table_options_.block_restart_interval = options_.block_restart_interval;
  table_options_.block_cache = block_cache_.get();
  table_options_.cache_index_and_filter_blocks = options_.cache_index_and_filter_blocks;
  table_options_.stats = &table_stats_;
  table_cache_ =
      std::make_unique<TableCache>(dbname_, env_, table_options_, options_.max_open_files);
  versions_ =
      std::make_unique<VersionSet>(dbname_, &options_, table_cache_.get(), &internal_comparator_);
}

DBImpl::~DBImpl() { Close(); }

Status DBImpl::Open() {
  open_micros_ = env_->NowMicros();
  read_only_ = options_.read_only;
  if (!read_only_) {
    Status s = env_->CreateDir(dbname_);
    if (!s.ok()) {
      if (!env_->FileExists(dbname_)) return s;
      read_only_ = true;  // the directory exists but cannot be written
    } else if (!env_->IsDirWritable(dbname_)) {
      read_only_ = true;
    }
  }
  Status s;
  if (read_only_) {
    if (!env_->FileExists(CurrentFileName(dbname_))) {
      return Status::NotFound(dbname_,
                              "no strata store here (and it cannot be created: read-only)");
    }
    if (env_->FileExists(LockFileName(dbname_))) {
      s = env_->LockFile(LockFileName(dbname_), /*exclusive=*/false, &db_lock_);
      if (!s.ok()) return s;
    }
  } else {
    s = env_->LockFile(LockFileName(dbname_), /*exclusive=*/true, &db_lock_);
    if (!s.ok()) return s;
  }

  std::unique_lock<std::mutex> lock(mutex_);
  if (!versions_->Exists()) {
    if (read_only_) return Status::NotFound(dbname_, "no strata store here");
    if (!options_.create_if_missing) {
      return Status::InvalidArgument(dbname_, "does not exist (create_if_missing is false)");
    }
    // A directory with engine files but no CURRENT lost its CURRENT file:
    // refuse rather than start empty over existing data.
    // The one exception: a crash while the store was being created leaves
    // the first manifest (number 1) and nothing else; nothing was written.
    std::vector<std::string> children;
    env_->GetChildren(dbname_, &children);
    for (const std::string& child : children) {
      uint64_t number;
      FileType type;
      if (ParseFileName(child, &number, &type) && type == FileType::kManifestFile && number == 1) {
        continue;
      }
      if (ParseFileName(child, &number, &type) &&
          (type == FileType::kManifestFile || type == FileType::kTableFile ||
           type == FileType::kWalFile)) {
        return Status::Corruption(CurrentFileName(dbname_),
                                  "CURRENT is missing but the directory holds " + child +
                                      ": refusing to open the store as empty");
      }
    }
    s = NewStore();
    if (!s.ok()) return s;
  } else if (options_.error_if_exists) {
    return Status::InvalidArgument(dbname_, "exists (error_if_exists is true)");
  }

  s = versions_->Recover();
  if (!s.ok()) return s;

  VersionEdit edit;
  bool flushed = false;
  s = RecoverLogs(&edit, &flushed);
  if (!s.ok()) return s;
  if (read_only_) return Status::OK();

  s = OpenNewLog();
  if (!s.ok()) return s;
  edit.SetLogNumber(log_number_);
  s = versions_->LogAndApply(&edit, &mutex_);
  pending_outputs_.clear();  // recovery's flushes are applied (or abandoned)
  if (!s.ok()) return s;
  DeleteObsoleteFiles();
  MaybeScheduleWork();
  return Status::OK();
}

// Writes the first manifest and CURRENT of a new store.
Status DBImpl::NewStore() {
  VersionEdit edit;
  edit.SetComparatorName(internal_comparator_.user_comparator()->Name());
  edit.SetNumLevels(options_.num_levels);
  edit.SetLogNumber(0);
  edit.SetNextFile(2);
  edit.SetLastSequence(0);
  const std::string manifest = ManifestFileName(dbname_, 1);
  std::unique_ptr<WritableFile> file;
  Status s = env_->NewWritableFile(manifest, WritableFileOptions(), &file);
  if (!s.ok()) return s;
  {
    wal::Writer log(std::move(file));
    std::string record;
    edit.EncodeTo(&record);
    s = log.AddRecord(record);
    if (s.ok()) s = log.Sync();
    if (s.ok()) s = log.Close();
  }
  if (s.ok()) s = SetCurrentFile(env_, dbname_, 1);
  if (!s.ok()) env_->RemoveFile(manifest);
  return s;
}

Status DBImpl::OpenNewLog() {
  const uint64_t number = versions_->NewFileNumber();
  std::unique_ptr<WritableFile> file;
  WritableFileOptions wopts;
  wopts.mmap = true;
  Status s = env_->NewWritableFile(WalFileName(dbname_, number), wopts, &file);
  if (!s.ok()) {
    versions_->ReuseFileNumber(number);
    return s;
  }
  // Synced writes to this WAL count on its directory entry surviving.
  s = env_->SyncDir(dbname_);
  if (!s.ok()) {
    file->Close();
    env_->RemoveFile(WalFileName(dbname_, number));
    return s;
  }
  log_ = std::make_shared<wal::Writer>(std::move(file));
  log_number_ = number;
  log_bytes_ = 0;
  log_dirty_ = false;
  if (mem_ == nullptr) {
    mem_ = NewMemTable();
    mem_->Ref();
  }
  return Status::OK();
}

// Replays every WAL not yet covered by a flush, in order. What each WAL
// holds is checked to continue exactly where the previous one ended, so a
// WAL lost or cut short in the middle is reported, never skipped silently.
Status DBImpl::RecoverLogs(VersionEdit* edit, bool* flushed) {
  std::vector<std::string> children;
  Status s = env_->GetChildren(dbname_, &children);
  if (!s.ok()) return s;
  std::vector<uint64_t> logs;
  for (const std::string& child : children) {
    uint64_t number;
    FileType type;
    if (ParseFileName(child, &number, &type)) {
      versions_->MarkFileNumberUsed(number);
      if (type == FileType::kWalFile && number >= versions_->LogNumber()) logs.push_back(number);
    }
  }
  std::sort(logs.begin(), logs.end());
  MemTable* mem = nullptr;
  SequenceNumber replayed = 0;  // last sequence replayed; 0 before the first record
  for (size_t i = 0; i < logs.size(); i++) {
    s = ReplayLog(logs[i], &replayed, &mem, edit, flushed);
    if (!s.ok()) break;
  }
  if (s.ok() && mem != nullptr && !read_only_ &&
      (mem->NumEntries() > 0 || mem->NumRangeTombstones() > 0)) {
    s = WriteLevel0Table(mem, edit, nullptr);
    *flushed = true;
  }
  if (mem != nullptr) {
    if (s.ok() && read_only_) {
      mem_ = mem;  // a read-only store serves the WALs' contents from memory
    } else {
      mem->Unref();
    }
  }
  if (s.ok() && read_only_ && mem_ == nullptr) {
    mem_ = NewMemTable();
    mem_->Ref();
  }
  return s;
}

Status DBImpl::ReplayLog(uint64_t log_number, SequenceNumber* replayed, MemTable** mem,
                         VersionEdit* edit, bool* flushed) {
  const std::string fname = WalFileName(dbname_, log_number);
  std::unique_ptr<SequentialFile> file;
  Status s = env_->NewSequentialFile(fname, &file);
  if (!s.ok()) return s;
  wal::Reader reader(std::move(file), fname);
  std::string scratch;
  Slice record;
  WriteBatch batch;
  while (reader.ReadRecord(&record, &scratch)) {
    if (record.size() < WriteBatchInternal::kHeader) {
      return Status::Corruption(fname, "WAL record too small for a write batch");
    }
    s = WriteBatchInternal::SetContents(&batch, record);
    if (!s.ok()) return s.WithContext(fname);
    const SequenceNumber first = WriteBatchInternal::Sequence(&batch);
    const uint32_t count = WriteBatchInternal::Count(&batch);
    if (*replayed == 0 && first > versions_->LastSequence() + 1) {
      // Every write before this WAL's first is in a table the manifest
      // names, and the manifest's last sequence covers it; a gap means
      // edits (a flush) were lost from the manifest's end.
      return Status::Corruption(ManifestFileName(dbname_, versions_->ManifestFileNumber()),
                                "the WALs start at sequence " + std::to_string(first) +
                                    " but the manifest ends at " +
                                    std::to_string(versions_->LastSequence()) +
                                    ": edits at the end of the manifest were lost");
    }
    if (*replayed != 0 && first != *replayed + 1) {
      return Status::Corruption(fname, "WAL jumps from sequence " + std::to_string(*replayed) +
                                           " to " + std::to_string(first) +
                                           ": acknowledged writes are missing");
    }
    // A record of no updates marks a sequence number consumed elsewhere
    // (by a bulk load straight into table files).
    const SequenceNumber last = count == 0 ? first : first + count - 1;
    *replayed = last;
    if (count == 0) {
      if (last > versions_->LastSequence()) versions_->SetLastSequence(last);
      continue;
    }
    if (*mem == nullptr) {
      *mem = NewMemTable();
      (*mem)->Ref();
    }
    s = WriteBatchInternal::InsertInto(&batch, *mem);
    if (!s.ok()) return s.WithContext(fname);
    if (last > versions_->LastSequence()) versions_->SetLastSequence(last);
    if (!read_only_ && (*mem)->ApproximateMemoryUsage() > options_.write_buffer_size) {
      s = WriteLevel0Table(*mem, edit, nullptr);
      if (!s.ok()) return s;
      *flushed = true;
      (*mem)->Unref();
      *mem = nullptr;
    }
  }
  switch (reader.stop()) {
    case wal::Reader::Stop::kCorruption:
      if (options_.paranoid_checks) return reader.status();
      stats_.wal_tail_dropped++;
      break;
    case wal::Reader::Stop::kTornTail:
      // A later WAL must continue at the next sequence, which ReplayLog of
      // that WAL checks; a torn record was never acknowledged.
      stats_.wal_tail_dropped++;
      break;
    default:
      break;
  }
  return Status::OK();
}

// Writes mem to a new L0 table and records it in edit. With lock (held on
// entry) the mutex is released during the write; without it the caller is
// single-threaded (recovery).
Status DBImpl::WriteLevel0Table(MemTable* mem, VersionEdit* edit,
                                std::unique_lock<std::mutex>* lock) {
  const uint64_t number = versions_->NewFileNumber();
  pending_outputs_.insert(number);
  // Versions every reader sees past need not reach the table: readers
  // older than the flush keep reading the memtable itself.
  const SequenceNumber smallest_snapshot = SmallestSnapshot();
  if (lock != nullptr) lock->unlock();

  FileMetaData meta;
  Status s;
  {
    TableFileWriter writer(env_, dbname_, table_options_, number);
    s = writer.Open();
    if (s.ok()) {
      std::shared_ptr<const FragmentedTombstones> tombstones = mem->GetTombstones();
      std::unique_ptr<Iterator> iter(mem->NewIterator());
      Slice current_user_key;
      bool has_current = false;
      SequenceNumber last_sequence_for_key = kMaxSequenceNumber;
      for (iter->SeekToFirst(); iter->Valid(); iter->Next()) {
        const Slice key = iter->key();
        const Slice user_key = ExtractUserKey(key);
        const SequenceNumber seq = ExtractTrailer(key) >> 8;
        if (!has_current || internal_comparator_.CompareUserKeys(user_key, current_user_key) != 0) {
          current_user_key = user_key;  // memtable keys stay put while mem lives
          has_current = true;
          last_sequence_for_key = kMaxSequenceNumber;
        }
        // Shadowed by a newer version, or deleted by a range tombstone, that
        // every snapshot sees. (Point deletions stay: older data may be
        // below in the tree.)
        const bool drop =
            last_sequence_for_key <= smallest_snapshot ||
            (!tombstones->empty() && tombstones->MaxCoveringSeq(user_key, smallest_snapshot) > seq);
        last_sequence_for_key = seq;
        if (drop) continue;
        writer.Add(key, iter->value());
      }
      for (const auto& f : tombstones->fragments()) {
        for (SequenceNumber seq : f.seqs) {
          writer.AddTombstone(f.start, f.end, seq);
          if (seq <= smallest_snapshot) break;  // older ones are hidden for everyone
        }
      }
      s = writer.status();
      if (s.ok()) {
        s = writer.Finish(&meta);
      } else {
        writer.Abandon();
      }
    }
  }
  // Open the new table once: checks it reads back, and warms the caches.
  if (s.ok()) {
    Cache::Handle* handle = nullptr;
    s = table_cache_->FindTable(meta, &handle);
    if (s.ok()) table_cache_->Release(handle);
  }

  if (lock != nullptr) lock->lock();
  // The caller erases number from pending_outputs_ once the edit is applied
  // (or failed): until then the file is in no version.
  if (!s.ok()) pending_outputs_.erase(number);
  if (s.ok()) {
    edit->AddFile(0, meta);
    stats_.bytes_written_flush += meta.file_size;
    stats_.flushes++;
  }
  return s;
}

Status DBImpl::Close() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (closed_) return Status::OK();
  shutting_down_.store(true);
  if (manual_compaction_ != nullptr) bg_cv_.notify_all();
  if (sync_timer_id_ != 0 && Timer::Default()->Cancel(sync_timer_id_)) sync_timer_id_ = 0;
  bg_cv_.wait(lock, [this] {
    return bg_flush_scheduled_ == 0 && bg_compaction_scheduled_ == 0 && bg_syncs_ == 0 &&
           sync_timer_id_ == 0;
  });
  Status s;
  if (!read_only_ && log_ != nullptr) {
    // A clean close leaves every acknowledged write durable.
    if (bg_error_.ok()) s = SyncLogs(lock);
    logs_to_sync_.clear();
    Status cs = log_->Close();
    if (s.ok()) s = cs;
  }
  for (auto& imm : imm_) imm.mem->Unref();
  imm_.clear();
  log_.reset();
  if (mem_ != nullptr) mem_->Unref();
  mem_ = nullptr;
  closed_ = true;
  lock.unlock();
  versions_.reset();
  table_cache_.reset();
  db_lock_.reset();
  return s;
}

Status DestroyDB(const std::string& dbname, const Options& options) {
  Env* env = options.env;
  std::vector<std::string> children;
  Status s = env->GetChildren(dbname, &children);
  if (!s.ok()) return s.IsNotFound() ? Status::OK() : s;
  std::unique_ptr<FileLock> lock;
  s = env->LockFile(LockFileName(dbname), /*exclusive=*/true, &lock);
  if (!s.ok()) return s;
  Status result;
  for (const std::string& child : children) {
    uint64_t number;
    FileType type;
    if (ParseFileName(child, &number, &type) && type != FileType::kLockFile) {
      Status del = env->RemoveFile(dbname + "/" + child);
      if (result.ok() && !del.ok()) result = del;
    }
  }
  lock.reset();
  env->RemoveFile(LockFileName(dbname));
  env->RemoveDir(dbname);  // fails if the directory holds other files
  return result;
}

}  // namespace strata
