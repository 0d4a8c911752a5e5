// DBImpl: the engine behind strata::DB.
//
// Write path: writers queue on mutex_; the one at the front becomes leader,
// merges the waiting batches into one group, appends it to the WAL as one
// record (fdatasync if any writer asked), inserts it into the memtable, and
// publishes the new last sequence. A full memtable is switched for a new one
// (with a new WAL) and flushed to an L0 table by the background pool.
//
// Read path: Get and iterators take a reference on the memtable, the
// immutable memtables and the current Version under mutex_, then read
// without it: memtable, immutables newest first, L0 newest first, then one
// file per level.
//
// Background: flushes (high priority) and compactions (low priority) run on
// the process-wide ThreadPool; mutex_ guards every member not marked
// otherwise.
#ifndef STRATA_DB_DB_IMPL_H_
#define STRATA_DB_DB_IMPL_H_

#include <atomic>
#include <condition_variable>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "db/dbformat.h"
#include "db/memtable.h"
#include "db/table_cache.h"
#include "db/version_set.h"
#include "db/wal_writer.h"
#include "db/write_batch_with_index_internal.h"
#include "strata/db.h"
#include "table/filter_policy.h"
#include "table/table_options.h"

namespace strata {

class Compaction;

class DBImpl final : public DB {
 public:
  DBImpl(const Options& options, const std::string& dbname);
  ~DBImpl() override;

  Status Put(const WriteOptions&, const Slice& key, const Slice& value) override;
  Status Delete(const WriteOptions&, const Slice& key) override;
  Status DeleteRange(const WriteOptions&, const Slice& begin, const Slice& end) override;
  Status Write(const WriteOptions& options, WriteBatch* updates) override;
  Status Write(const WriteOptions& options, WriteBatchWithIndex* batch) override;
  Status Get(const ReadOptions& options, const Slice& key, std::string* value) override;
  std::vector<Status> MultiGet(const ReadOptions& options, const std::vector<Slice>& keys,
                               std::vector<std::string>* values) override;
  Iterator* NewIterator(const ReadOptions&) override;
  const Snapshot* GetSnapshot() override;
  void ReleaseSnapshot(const Snapshot* snapshot) override;
  Status Flush(const FlushOptions& options) override;
  Status CompactRange(const Slice* begin, const Slice* end) override;
  bool GetProperty(const Slice& property, std::string* value) override;
  Status Resume() override;
  Status Checkpoint(const std::string& dir) override;
  Status Verify() override;
  Status SyncWAL() override;
  Status Close() override;

  // Opens or creates the store. Called by DB::Open.
  Status Open();

 private:
  // A writer waiting in writers_ (the front one leads).
  struct Writer {
    Writer(WriteBatch* b, bool s) : batch(b), sync(s) {}
    Status status;
    WriteBatch* batch;  // null: a memtable switch or a bulk load
    bool sync;
    bool done = false;
    std::condition_variable cv;
  };
  struct ImmutableMemTable {
    MemTable* mem;
    uint64_t log_number;  // the WAL holding its writes
    std::shared_ptr<wal::Writer> log;
    bool flush_in_progress = false;
  };
  class SnapshotImpl;
  struct ReadState;  // what a read pins: memtables and a version
  struct Stats {
    uint64_t user_bytes_written = 0;  // keys and values written by the user
    uint64_t wal_bytes_written = 0;
    uint64_t bytes_written_flush = 0;
    uint64_t bytes_written_compaction = 0;
    uint64_t bytes_read_compaction = 0;
    uint64_t flushes = 0;
    uint64_t compactions = 0;
    uint64_t trivial_moves = 0;
    uint64_t stall_micros = 0;
    uint64_t slowdowns = 0;
    uint64_t stops = 0;
    uint64_t wal_syncs = 0;
    uint64_t wal_tail_dropped = 0;
    uint64_t bulk_loads = 0;
    uint64_t bytes_written_bulk_load = 0;
  };

  // Opening.
  Status NewStore();
  Status RecoverLogs(VersionEdit* edit, bool* flushed);
  Status ReplayLog(uint64_t log_number, SequenceNumber* replayed, MemTable** mem, VersionEdit* edit,
                   bool* flushed);
  Status OpenNewLog();

  // A new memtable sized for options_ (not yet referenced).
  MemTable* NewMemTable() const;

  // Writing.
  Status MakeRoomForWrite(std::unique_lock<std::mutex>& lock, bool force);
  WriteBatch* BuildBatchGroup(Writer** last_writer);
  Status SyncLogs(std::unique_lock<std::mutex>& lock);
  void MaybeScheduleBackgroundSync();
  void ScheduleBackgroundSyncNow();
  void OnSyncTimer();
  void BackgroundSync();

  // Bulk loads (db_impl_ingest.cc).
  Status IngestSorted(const std::vector<IndexedUpdate>& updates, bool* ingested);
  bool RangeIsEmpty(const Slice& smallest, const Slice& largest);

  // Reading.
  ReadState* AcquireReadState(SequenceNumber* sequence, const ReadOptions& options);
  void ReleaseReadState(ReadState* state);
  static void CleanupReadState(void* db, void* state);
  Iterator* NewInternalIterator(const ReadOptions& options, ReadState* state);

  // Background work.
  // A point read used up a file's seek budget: mark it for compaction.
  void MaybeCompactForSeeks(Version* v, const Version::SeekCharge& charge);
  void MaybeScheduleWork();
  void BackgroundFlush();
  void BackgroundCompaction();
  Status FlushMemTable(std::unique_lock<std::mutex>& lock, ImmutableMemTable* imm);
  Status WriteLevel0Table(MemTable* mem, VersionEdit* edit, std::unique_lock<std::mutex>* lock);
  Status RunCompaction(std::unique_lock<std::mutex>& lock, Compaction* c, bool manual);
  void RecordBackgroundError(const Status& s);
  void DeleteObsoleteFiles();
  SequenceNumber SmallestSnapshot() const;
  Status CheckWritable() const;

  // Properties.
  std::string StatsJson();
  std::string LevelsJson();
  std::string LevelsText();

  const std::string dbname_;
  Options options_;
  Env* const env_;
  const InternalKeyComparator internal_comparator_;
  std::unique_ptr<const FilterPolicy> filter_policy_;
  std::shared_ptr<Cache> block_cache_;
  TableStats table_stats_;
  TableOptions table_options_;
  std::unique_ptr<TableCache> table_cache_;
  std::unique_ptr<FileLock> db_lock_;
  bool read_only_ = false;

  std::mutex mutex_;
  std::condition_variable bg_cv_;  // background work finished
  std::atomic<bool> shutting_down_{false};
  bool closed_ = false;

  MemTable* mem_ = nullptr;
  uint64_t log_number_ = 0;  // of mem_'s WAL
  std::shared_ptr<wal::Writer> log_;
  std::deque<ImmutableMemTable> imm_;  // oldest first
  // WALs of switched memtables not yet known to be synced, oldest first.
  std::vector<std::shared_ptr<wal::Writer>> logs_to_sync_;
  bool log_dirty_ = false;  // log_ has records not yet synced
  // Bytes in log_ as of the last write, for stats: log_ itself belongs to
  // the write leader, which appends to it without the mutex.
  uint64_t log_bytes_ = 0;
  bool syncing_ = false;  // a SyncLogs is in progress
  std::condition_variable sync_cv_;

  std::deque<Writer*> writers_;
  WriteBatch tmp_batch_;

  std::unique_ptr<VersionSet> versions_;
  std::set<uint64_t> pending_outputs_;  // files being written, not yet live

  std::list<SnapshotImpl*> snapshots_;

  int bg_flush_scheduled_ = 0;
  int bg_compaction_scheduled_ = 0;
  uint64_t sync_timer_id_ = 0;  // a pending Timer callback, or 0
  int bg_syncs_ = 0;            // BackgroundSync tasks scheduled or running
  Status bg_error_;

  // A CompactRange() request for one level, on the caller's stack. The
  // caller withdraws it (manual_compaction_ = nullptr) once it is done, or
  // at an error or shutdown once no compaction is running for it; while it
  // is installed no automatic compaction runs.
  struct ManualCompaction {
    int level;
    bool in_place = false;  // rewrite the level's files holding deletions
    bool done = false;
    bool in_progress = false;  // a background compaction is running for it
    Status status;
    const InternalKey* begin;  // null: unbounded
    const InternalKey* end;
    InternalKey tmp_storage;
  };
  ManualCompaction* manual_compaction_ = nullptr;

  Stats stats_;
  uint64_t open_micros_ = 0;
};

}  // namespace strata

#endif  // STRATA_DB_DB_IMPL_H_
