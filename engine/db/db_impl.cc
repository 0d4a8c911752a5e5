// DBImpl: the write path, the read path and snapshots.
#include "db/db_impl.h"

#include <algorithm>

#include "db/db_iter.h"
#include "db/write_batch_internal.h"
#include "table/merging_iterator.h"
#include "util/thread_pool.h"
#include "util/timer.h"

namespace strata {

class DBImpl::SnapshotImpl final : public Snapshot {
 public:
  explicit SnapshotImpl(SequenceNumber s) : sequence(s) {}
  ~SnapshotImpl() override = default;
  const SequenceNumber sequence;
  std::list<SnapshotImpl*>::iterator position;
};

struct DBImpl::ReadState {
  MemTable* mem;
  std::vector<MemTable*> imm;  // newest first
  Version* version;
};

// ---- writes ----------------------------------------------------------------

MemTable* DBImpl::NewMemTable() const {
  // Arena blocks of 1/16 of the budget (4 KiB to 1 MiB): few allocations
  // for big memtables, little slack for tiny ones.
  size_t block = std::clamp<size_t>(options_.write_buffer_size / 16, 4 << 10, 1 << 20);
  const auto budget = static_cast<double>(options_.write_buffer_size);
  return new MemTable(internal_comparator_, block,
                      static_cast<size_t>(budget * options_.memtable_bloom_size_ratio),
                      static_cast<size_t>(budget * options_.memtable_index_size_ratio));
}

Status DBImpl::CheckWritable() const {
  if (read_only_) return Status::ReadOnly(dbname_, "the store is open read-only");
  return Status::OK();
}

Status DBImpl::Put(const WriteOptions& options, const Slice& key, const Slice& value) {
  if (key.size() > kMaxKeySize) {
    return Status::TooBig("key of " + std::to_string(key.size()) + " bytes exceeds the limit of " +
                          std::to_string(kMaxKeySize) + " bytes");
  }
  if (value.size() > kMaxValueSize) {
    return Status::TooBig("value of " + std::to_string(value.size()) +
                          " bytes exceeds the limit of " + std::to_string(kMaxValueSize) +
                          " bytes");
  }
  WriteBatch batch;
  batch.Put(key, value);
  return Write(options, &batch);
}

Status DBImpl::Delete(const WriteOptions& options, const Slice& key) {
  if (key.size() > kMaxKeySize) return Status::OK();  // cannot exist
  WriteBatch batch;
  batch.Delete(key);
  return Write(options, &batch);
}

Status DBImpl::DeleteRange(const WriteOptions& options, const Slice& begin, const Slice& end) {
  if (internal_comparator_.CompareUserKeys(begin, end) >= 0) return Status::OK();
  if (begin.size() > kMaxKeySize || end.size() > kMaxKeySize) {
    return Status::TooBig("range bound exceeds the key size limit");
  }
  WriteBatch batch;
  batch.DeleteRange(begin, end);
  return Write(options, &batch);
}

namespace {
// Rejects oversized keys and values in a batch before anything is logged.
class SizeChecker final : public WriteBatch::Handler {
 public:
  void Put(const Slice& key, const Slice& value) override {
    if (key.size() > kMaxKeySize || value.size() > kMaxValueSize) too_big = true;
  }
  void Delete(const Slice& key) override {
    if (key.size() > kMaxKeySize) too_big = true;
  }
  void DeleteRange(const Slice& b, const Slice& e) override {
    if (b.size() > kMaxKeySize || e.size() > kMaxKeySize) too_big = true;
  }
  bool too_big = false;
};
}  // namespace

Status DBImpl::Write(const WriteOptions& options, WriteBatch* updates) {
  Status s = CheckWritable();
  if (!s.ok()) return s;
  if (updates != nullptr && updates->ApproximateSize() > kMaxKeySize) {
    // Only a batch this large can hold an oversized key or value.
    SizeChecker checker;
    s = updates->Iterate(&checker);
    if (!s.ok()) return s;
    if (checker.too_big) {
      return Status::TooBig("a key or value in the batch exceeds the size limit (keys " +
                            std::to_string(kMaxKeySize) + " bytes, values " +
                            std::to_string(kMaxValueSize) + " bytes)");
    }
  }
  if (updates != nullptr && updates->Count() == 0 && !options.sync) return Status::OK();

  Writer w(updates, options.sync);
  std::unique_lock<std::mutex> lock(mutex_);
  writers_.push_back(&w);
  while (!w.done && &w != writers_.front()) w.cv.wait(lock);
  if (w.done) return w.status;

  s = MakeRoomForWrite(lock, updates == nullptr);
  SequenceNumber last_sequence = versions_->LastSequence();
  Writer* last_writer = &w;
  if (s.ok() && updates != nullptr) {
    WriteBatch* group = BuildBatchGroup(&last_writer);
    WriteBatchInternal::SetSequence(group, last_sequence + 1);
    last_sequence += WriteBatchInternal::Count(group);
    const bool sync = w.sync;
    std::shared_ptr<wal::Writer> log = log_;
    MemTable* mem = mem_;
    const size_t bytes = WriteBatchInternal::ByteSize(group);
    // Only the leader touches the WAL writer and the memtable's write side,
    // so both are safe without the mutex.
    lock.unlock();
    // An empty batch (a sync request) takes no sequence number and so
    // must leave no record: replay checks sequences are contiguous.
    if (WriteBatchInternal::Count(group) > 0) {
      s = log->AddRecord(WriteBatchInternal::Contents(group));
      if (s.ok()) s = WriteBatchInternal::InsertInto(group, mem);
    }
    lock.lock();
    if (s.ok()) {
      stats_.user_bytes_written += bytes - WriteBatchInternal::kHeader;
      stats_.wal_bytes_written += bytes;
      log_dirty_ = true;
      if (log == log_) log_bytes_ = log->FileSize();  // the leader reads its own writer
      versions_->SetLastSequence(last_sequence);
      if (sync) {
        s = SyncLogs(lock);
      } else {
        MaybeScheduleBackgroundSync();
      }
    }
    if (!s.ok() && bg_error_.ok()) {
      // The WAL may hold a partial record: no later write may follow it.
      RecordBackgroundError(s);
    }
    if (group == &tmp_batch_) tmp_batch_.Clear();
  } else if (s.ok() && w.sync) {
    s = SyncLogs(lock);
  }

  while (true) {
    Writer* ready = writers_.front();
    writers_.pop_front();
    if (ready != &w) {
      ready->status = s;
      ready->done = true;
      ready->cv.notify_one();
    }
    if (ready == last_writer) break;
  }
  if (!writers_.empty()) writers_.front()->cv.notify_one();
  return s;
}

// REQUIRES: the writer list is not empty and its first batch is not null.
WriteBatch* DBImpl::BuildBatchGroup(Writer** last_writer) {
  Writer* first = writers_.front();
  WriteBatch* result = first->batch;
  size_t size = WriteBatchInternal::ByteSize(first->batch);
  // Bound the group so a small write does not wait for a huge one.
  size_t max_size = 1 << 20;
  if (size <= (128 << 10)) max_size = size + (128 << 10);

  *last_writer = first;
  for (auto it = writers_.begin() + 1; it != writers_.end(); ++it) {
    Writer* w = *it;
    if (w->sync && !first->sync) break;  // a sync write does not ride a non-sync group
    if (w->batch == nullptr) break;
    size += WriteBatchInternal::ByteSize(w->batch);
    if (size > max_size) break;
    if (result == first->batch) {
      result = &tmp_batch_;
      tmp_batch_.Clear();
      WriteBatchInternal::Append(result, first->batch);
    }
    WriteBatchInternal::Append(result, w->batch);
    *last_writer = w;
  }
  return result;
}

// Makes every WAL record written so far durable, older WALs first, so what
// survives a power loss is always a prefix. Concurrent callers share syncs.
Status DBImpl::SyncLogs(std::unique_lock<std::mutex>& lock) {
  while (syncing_) sync_cv_.wait(lock);
  if (logs_to_sync_.empty() && !log_dirty_) return Status::OK();
  syncing_ = true;
  std::vector<std::shared_ptr<wal::Writer>> logs = logs_to_sync_;
  std::shared_ptr<wal::Writer> current = log_;
  log_dirty_ = false;
  lock.unlock();
  Status s;
  for (auto& l : logs) {
    s = l->Sync();
    if (!s.ok()) break;
  }
  if (s.ok() && current != nullptr) s = current->Sync();
  lock.lock();
  syncing_ = false;
  sync_cv_.notify_all();
  if (s.ok()) {
    stats_.wal_syncs++;
    // Drop the synced old logs (new ones may have been added meanwhile).
    for (auto& l : logs) {
      auto it = std::find(logs_to_sync_.begin(), logs_to_sync_.end(), l);
      if (it != logs_to_sync_.end()) logs_to_sync_.erase(it);
    }
  } else {
    log_dirty_ = true;
    RecordBackgroundError(s);
  }
  return s;
}

// With sync = normal the WAL is made durable in the background: within
// wal_background_sync_ms of any write (a timer, so an idle store is synced
// too), and right away at a memtable switch. REQUIRES: mutex_ held.
void DBImpl::MaybeScheduleBackgroundSync() {
  if (options_.wal_background_sync_ms <= 0 || sync_timer_id_ != 0 || shutting_down_.load()) {
    return;
  }
  sync_timer_id_ = Timer::Default()->ScheduleAfter(
      static_cast<uint64_t>(options_.wal_background_sync_ms) * 1000, [this] { OnSyncTimer(); });
}

// REQUIRES: mutex_ held.
void DBImpl::ScheduleBackgroundSyncNow() {
  if (options_.wal_background_sync_ms <= 0 || shutting_down_.load()) return;
  bg_syncs_++;
  ThreadPool::Default()->Schedule([this] { BackgroundSync(); }, ThreadPool::Priority::kHigh);
}

void DBImpl::OnSyncTimer() {
  std::lock_guard<std::mutex> l(mutex_);
  sync_timer_id_ = 0;
  ScheduleBackgroundSyncNow();
  bg_cv_.notify_all();
}

void DBImpl::BackgroundSync() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (bg_error_.ok() && !closed_) SyncLogs(lock);
  bg_syncs_--;
  bg_cv_.notify_all();
}

Status DBImpl::MakeRoomForWrite(std::unique_lock<std::mutex>& lock, bool force) {
  bool allow_delay = !force;
  while (true) {
    if (!bg_error_.ok()) {
      return bg_error_.WithContext("writes are stopped by a background error");
    }
    const int l0_files = versions_->current()->NumFiles(0);
    if (allow_delay && l0_files >= options_.l0_slowdown_writes_trigger) {
      // Spread the delay over many writes rather than stopping one for long.
      const uint64_t start = env_->NowMicros();
      lock.unlock();
      env_->SleepForMicroseconds(1000);
      lock.lock();
      allow_delay = false;
      stats_.slowdowns++;
      stats_.stall_micros += env_->NowMicros() - start;
    } else if (!force && mem_->ApproximateMemoryUsage() <= options_.write_buffer_size) {
      return Status::OK();
    } else if (static_cast<int>(imm_.size()) >= options_.max_immutable_memtables ||
               l0_files >= options_.l0_stop_writes_trigger) {
      const uint64_t start = env_->NowMicros();
      stats_.stops++;
      MaybeScheduleWork();
      bg_cv_.wait(lock);
      stats_.stall_micros += env_->NowMicros() - start;
    } else {
      if (force && mem_->NumEntries() == 0 && mem_->NumRangeTombstones() == 0) return Status::OK();
      // Switch to a new memtable and WAL; the old WAL is synced before any
      // later sync of the new one (SyncLogs) and by the flush.
      std::shared_ptr<wal::Writer> old_log = log_;
      const uint64_t old_log_number = log_number_;
      Status s = OpenNewLog();
      if (!s.ok()) return s;
      if (old_log != nullptr) logs_to_sync_.push_back(old_log);
      imm_.push_back(ImmutableMemTable{mem_, old_log_number, old_log});
      mem_ = NewMemTable();
      mem_->Ref();
      force = false;
      ScheduleBackgroundSyncNow();  // the switched WAL becomes durable now
      MaybeScheduleWork();
    }
  }
}

// ---- reads -----------------------------------------------------------------

DBImpl::ReadState* DBImpl::AcquireReadState(SequenceNumber* sequence, const ReadOptions& options) {
  auto* state = new ReadState;
  std::lock_guard<std::mutex> l(mutex_);
  *sequence = options.snapshot != nullptr
                  ? static_cast<const SnapshotImpl*>(options.snapshot)->sequence
                  : versions_->LastSequence();
  state->mem = mem_;
  mem_->Ref();
  state->imm.reserve(imm_.size());
  for (auto it = imm_.rbegin(); it != imm_.rend(); ++it) {
    it->mem->Ref();
    state->imm.push_back(it->mem);
  }
  state->version = versions_->current();
  state->version->Ref();
  return state;
}

void DBImpl::ReleaseReadState(ReadState* state) {
  state->mem->Unref();
  for (MemTable* m : state->imm) m->Unref();
  {
    std::lock_guard<std::mutex> l(mutex_);
    state->version->Unref();
  }
  delete state;
}

void DBImpl::CleanupReadState(void* db, void* state) {
  static_cast<DBImpl*>(db)->ReleaseReadState(static_cast<ReadState*>(state));
}

Status DBImpl::Get(const ReadOptions& options, const Slice& key, std::string* value) {
  SequenceNumber sequence;
  ReadState* state = AcquireReadState(&sequence, options);
  LookupKey lkey(key, sequence);
  Status s;
  MemTable::GetResult r = state->mem->Get(lkey, value);
  for (size_t i = 0; r == MemTable::GetResult::kNotHere && i < state->imm.size(); i++) {
    r = state->imm[i]->Get(lkey, value);
  }
  if (r == MemTable::GetResult::kFound) {
    s = Status::OK();
  } else if (r == MemTable::GetResult::kDeleted) {
    s = Status::NotFound(Slice());
  } else {
    Version::SeekCharge exhausted;
    Version::GetResult vr = state->version->Get(options, lkey, value, &s, &exhausted);
    if (exhausted.file != nullptr) MaybeCompactForSeeks(state->version, exhausted);
    if (vr == Version::GetResult::kFound) {
      s = Status::OK();
    } else if (vr != Version::GetResult::kError) {
      s = Status::NotFound(Slice());
    }
  }
  ReleaseReadState(state);
  return s;
}

// Once per file at most (its budget reaches zero once): takes the mutex.
void DBImpl::MaybeCompactForSeeks(Version* v, const Version::SeekCharge& charge) {
  std::lock_guard<std::mutex> l(mutex_);
  if (v == versions_->current() && v->RecordSeekCompaction(charge)) MaybeScheduleWork();
}

std::vector<Status> DBImpl::MultiGet(const ReadOptions& options, const std::vector<Slice>& keys,
                                     std::vector<std::string>* values) {
  // One read state for the whole batch, so every key is read at one point
  // in time.
  SequenceNumber sequence;
  ReadState* state = AcquireReadState(&sequence, options);
  std::vector<Status> result(keys.size());
  values->resize(keys.size());
  for (size_t k = 0; k < keys.size(); k++) {
    LookupKey lkey(keys[k], sequence);
    std::string* value = &(*values)[k];
    MemTable::GetResult r = state->mem->Get(lkey, value);
    for (size_t i = 0; r == MemTable::GetResult::kNotHere && i < state->imm.size(); i++) {
      r = state->imm[i]->Get(lkey, value);
    }
    Status s;
    if (r == MemTable::GetResult::kDeleted) {
      s = Status::NotFound(Slice());
    } else if (r == MemTable::GetResult::kNotHere) {
      Version::SeekCharge exhausted;
      Version::GetResult vr = state->version->Get(options, lkey, value, &s, &exhausted);
      if (exhausted.file != nullptr) MaybeCompactForSeeks(state->version, exhausted);
      if (vr == Version::GetResult::kNotFound || vr == Version::GetResult::kDeleted) {
        s = Status::NotFound(Slice());
      }
    }
    if (!s.ok()) value->clear();
    result[k] = s;
  }
  ReleaseReadState(state);
  return result;
}

Iterator* DBImpl::NewInternalIterator(const ReadOptions& options, ReadState* state) {
  std::vector<Iterator*> list;
  list.push_back(state->mem->NewIterator());
  for (MemTable* m : state->imm) list.push_back(m->NewIterator());
  ReadOptions table_options = options;
  state->version->AddIterators(table_options, &list);
  return NewMergingIterator(&internal_comparator_, list.data(), static_cast<int>(list.size()));
}

Iterator* DBImpl::NewIterator(const ReadOptions& options) {
  SequenceNumber sequence;
  ReadState* state = AcquireReadState(&sequence, options);
  std::vector<RangeTombstone> tombstones;
  auto collect = [&tombstones](MemTable* m) {
    if (!m->HasRangeTombstones()) return;
    // Held in a local: a DeleteRange arriving meanwhile drops the memtable's
    // cached copy, and a range-for over `m->GetTombstones()->fragments()`
    // would not keep the temporary shared_ptr alive.
    const std::shared_ptr<const FragmentedTombstones> fragmented = m->GetTombstones();
    for (const auto& f : fragmented->fragments()) {
      for (SequenceNumber s : f.seqs) tombstones.push_back(RangeTombstone{f.start, f.end, s});
    }
  };
  collect(state->mem);
  for (MemTable* m : state->imm) collect(m);
  Status s = state->version->GetRangeTombstones(&tombstones);
  if (!s.ok()) {
    ReleaseReadState(state);
    return NewErrorIterator(s);
  }
  std::shared_ptr<const FragmentedTombstones> fragmented;
  if (!tombstones.empty()) {
    fragmented = std::make_shared<FragmentedTombstones>(internal_comparator_.user_comparator(),
                                                        std::move(tombstones));
  }
  Iterator* internal = NewInternalIterator(options, state);
  Iterator* result =
      NewDBIterator(&internal_comparator_, internal, sequence, std::move(fragmented), options);
  result->RegisterCleanup(&DBImpl::CleanupReadState, this, state);
  return result;
}

const Snapshot* DBImpl::GetSnapshot() {
  std::lock_guard<std::mutex> l(mutex_);
  auto* s = new SnapshotImpl(versions_->LastSequence());
  snapshots_.push_back(s);
  s->position = std::prev(snapshots_.end());
  return s;
}

void DBImpl::ReleaseSnapshot(const Snapshot* snapshot) {
  if (snapshot == nullptr) return;
  auto* s = const_cast<SnapshotImpl*>(static_cast<const SnapshotImpl*>(snapshot));
  {
    std::lock_guard<std::mutex> l(mutex_);
    snapshots_.erase(s->position);
    // Deletions kept at the bottom for this snapshot may be droppable now.
    MaybeScheduleWork();
  }
  delete s;
}

// REQUIRES: mutex_ held.
SequenceNumber DBImpl::SmallestSnapshot() const {
  // Snapshots are appended in sequence order, so the oldest is first.
  return snapshots_.empty() ? versions_->LastSequence() : snapshots_.front()->sequence;
}

}  // namespace strata
