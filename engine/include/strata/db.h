// DB: a persistent, ordered map from keys to values: an LSM-tree store.
//
// A DB is safe for concurrent access from multiple threads without external
// synchronization: readers never block each other or a writer; writers are
// serialized (and grouped into shared WAL writes). One process at a time may
// open a store; the directory's LOCK file enforces it.
//
//   std::unique_ptr<strata::DB> db;
//   strata::Status s = strata::DB::Open(strata::Options(), "/tmp/store", &db);
//   s = db->Put(strata::WriteOptions(), "key", "value");
//   std::string v;
//   s = db->Get(strata::ReadOptions(), "key", &v);
#ifndef STRATA_INCLUDE_DB_H_
#define STRATA_INCLUDE_DB_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "strata/iterator.h"
#include "strata/options.h"
#include "strata/slice.h"
#include "strata/status.h"
#include "strata/write_batch.h"

namespace strata {

// The library's version, "MAJOR.MINOR.PATCH".
const char* LibraryVersion();

// Largest key and value the engine accepts, in bytes. (The SQL layer
// enforces its own, smaller limits on the values it encodes into them.)
constexpr size_t kMaxKeySize = 4 << 20;         // 4 MiB
constexpr size_t kMaxValueSize = 128ull << 20;  // 128 MiB

class WriteBatchWithIndex;

// An immutable view of the store at one point in time. Obtain from
// DB::GetSnapshot; give back with DB::ReleaseSnapshot.
class Snapshot {
 protected:
  virtual ~Snapshot() = default;
};

class DB {
 public:
  // Opens the store in directory `name`. On success *dbptr holds the store;
  // destroying it closes the store. Busy if another process (or another
  // DB object in this process) holds the store's lock.
  static Status Open(const Options& options, const std::string& name, std::unique_ptr<DB>* dbptr);

  DB() = default;
  DB(const DB&) = delete;
  DB& operator=(const DB&) = delete;
  // Closes the store (see Close()).
  virtual ~DB();

  // Sets key to value. TooBig if the key or value is over the limit.
  virtual Status Put(const WriteOptions& options, const Slice& key, const Slice& value) = 0;
  // Removes key, if present. Not an error if absent.
  virtual Status Delete(const WriteOptions& options, const Slice& key) = 0;
  // Removes every key k with begin <= k < end, in time independent of how
  // many keys the range holds.
  virtual Status DeleteRange(const WriteOptions& options, const Slice& begin, const Slice& end) = 0;
  // Applies the batch atomically. The batch is not modified.
  virtual Status Write(const WriteOptions& options, WriteBatch* updates) = 0;
  // Applies a transaction's indexed batch atomically, as Write() does. A
  // large batch (at least 1 MiB and a quarter of write_buffer_size) without
  // DeleteRange whose keys fall in a key range the store holds nothing in
  // is a bulk load: it goes straight into table files at the bottom level,
  // skipping the WAL and the memtable, and is durable (at any sync level)
  // when this returns. The batch is not modified.
  virtual Status Write(const WriteOptions& options, WriteBatchWithIndex* batch) = 0;

  // The value stored for key in *value; NotFound (not an error) if absent.
  virtual Status Get(const ReadOptions& options, const Slice& key, std::string* value) = 0;
  // Looks up several keys at once, visiting each file at most once when
  // the keys are sorted. (*values)[i] and the returned statuses[i] answer
  // keys[i].
  virtual std::vector<Status> MultiGet(const ReadOptions& options, const std::vector<Slice>& keys,
                                       std::vector<std::string>* values) = 0;

  // An iterator over the store as of options.snapshot (or now). The caller
  // deletes it before the DB. Initially not Valid(): call a Seek method.
  virtual Iterator* NewIterator(const ReadOptions& options) = 0;

  // A handle on the current state. Release it with ReleaseSnapshot.
  virtual const Snapshot* GetSnapshot() = 0;
  virtual void ReleaseSnapshot(const Snapshot* snapshot) = 0;

  // Writes the memtable out as a table file (if it holds anything).
  virtual Status Flush(const FlushOptions& options) = 0;
  // Compacts the key range [*begin, *end] (null: unbounded) down through
  // every level, dropping deleted and overwritten data. CompactRange(nullptr,
  // nullptr) is a full manual compaction.
  virtual Status CompactRange(const Slice* begin, const Slice* end) = 0;

  // Properties, as text:
  //   "strata.levels"        a table of files and bytes per level
  //   "strata.stats"         JSON: memtable, WAL, cache, flush, compaction,
  //                          write amplification and stall counters
  //   "strata.num-files-at-level<N>"
  //   "strata.sstables"      every live file with its key range
  //   "strata.background-error"  empty, or the error that stopped writes
  //   "strata.read-only"     "1" if the store was opened read-only
  //   "strata.estimate-num-keys"  about how many keys the store holds
  //   "strata.levels-json", "strata.sstables-json"  per level / per file, JSON
  // False if the property is unknown.
  virtual bool GetProperty(const Slice& property, std::string* value) = 0;

  // After a background error (a failed flush or compaction, e.g. a full
  // disk) stopped writes: retry the failed work and take writes again.
  virtual Status Resume() = 0;

  // Makes a consistent copy of the store in directory `dir` (which must not
  // exist), hard-linking table files. The copy opens as a store.
  virtual Status Checkpoint(const std::string& dir) = 0;

  // Reads every block of every live file and checks checksums and key
  // order. Corruption names the file and offset of the first problem.
  virtual Status Verify() = 0;

  // Makes everything written so far durable (fdatasync of the WAL).
  virtual Status SyncWAL() = 0;

  // Waits for background work, flushes nothing, releases the lock. Further
  // calls other than destruction fail. Called by the destructor.
  virtual Status Close() = 0;
};

// Removes the store in `name` and its directory. The store must be closed.
Status DestroyDB(const std::string& name, const Options& options);

}  // namespace strata

#endif  // STRATA_INCLUDE_DB_H_
