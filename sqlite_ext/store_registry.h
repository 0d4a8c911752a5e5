// StoreRegistry: the process-wide map from a store's directory to its open
// engine. Every connection (and every table) naming the same directory
// shares one DB, reference-counted; the engine's lock file keeps other
// processes out. A Store also arbitrates writers: one connection at a time
// may hold a write transaction on it; the others wait up to their
// busy_timeout for it, as for a database's write lock.
//
// References are counted per owner (the SQLite connection), so that a store
// can be moved when only the connection that renames it holds it. A DROP or
// RENAME waits for its transaction (ddl_txn.h): meanwhile the store is marked
// (pending_drops, renamed_to) and the new name's path leads to it.
#ifndef STRATA_SQLITE_EXT_STORE_REGISTRY_H_
#define STRATA_SQLITE_EXT_STORE_REGISTRY_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "sqlite_ext/schema.h"
#include "sqlite_ext/table_options.h"
#include "strata/db.h"

namespace strata {

struct Store {
  std::string path;  // canonical directory
  std::unique_ptr<DB> db;
  Schema schema;
  StoreOptions options;
  WriteOptions write_options;
  bool temporary = false;  // of a :memory: or temp database (in its connection's directory)
  bool read_only = false;  // opened read-only (option or read-only directory)
  bool destroy_on_release = false;
  // Open transactions that dropped the table (it comes back on rollback).
  int pending_drops = 0;
  // Where the store belongs when that is not `path`: where the renames of an
  // open transaction move it at commit, or where a move that failed (another
  // connection held the store) should have put it, which happens when its
  // last reference goes. "" when it is where it belongs.
  std::string renamed_to;

  // Write arbitration. writer is the connection-level owner (a vtab).
  std::mutex mu;
  std::condition_variable writer_released;
  const void* writer = nullptr;
  // Guarded by the registry's mutex.
  int refs = 0;
  std::map<const void*, int> owner_refs;  // refs by owner (connection)
  // Cursors open on the engine (a move closes and reopens it).
  std::atomic<int> open_cursors{0};
  // Transactions written to the engine (each DB::Write of a connection's
  // batch, counted once it returns). Unchanged between a read before an
  // iterator's creation and a later one by the writer: nobody's commit
  // landed after the iterator's snapshot.
  std::atomic<uint64_t> commits{0};
  // DELETE statements whose point deletes became one range tombstone
  // (vtab_range_delete.cc), those of transactions that rolled back included.
  std::atomic<uint64_t> range_deletes{0};

  // Takes the write token for owner, waiting up to wait_ms for another
  // owner to release it (SQLite's busy_timeout); false if it does not.
  bool AcquireWriter(const void* owner, int64_t wait_ms = 0) {
    std::unique_lock<std::mutex> l(mu);
    auto free = [&] { return writer == nullptr || writer == owner; };
    if (!free() && wait_ms > 0) {
      writer_released.wait_for(l, std::chrono::milliseconds(wait_ms), free);
    }
    if (!free()) return false;
    writer = owner;
    return true;
  }
  void ReleaseWriter(const void* owner) {
    {
      std::lock_guard<std::mutex> l(mu);
      if (writer != owner) return;
      writer = nullptr;
    }
    writer_released.notify_all();
  }
};

class StoreRegistry {
 public:
  static StoreRegistry* Get();

  // Opens (or shares) the store in `path` for a table with `schema` and
  // `options`, as a reference of `owner`. `create` is true for CREATE
  // VIRTUAL TABLE, which may not take a store that an open transaction
  // drops or renames away. A path that a pending rename moves a store to
  // leads to that store. On failure returns the status and a message for
  // the user in *error.
  Status Acquire(const std::string& path, bool temporary, bool create, const Schema& schema,
                 const StoreOptions& options, const void* owner, Store** store, std::string* error);

  // One more reference of `owner` to a store already held.
  void AddRef(Store* store, const void* owner);

  // Drops a reference of `owner`; the last one closes the engine (and
  // removes the files if the store was dropped).
  void Release(Store* store, const void* owner);

  // ---- DROP and RENAME waiting for their transaction (ddl_txn.cc) ----
  // A drop: one more reference of `owner` and CREATE refused on the path
  // until EndDrop, which deletes the store (once its last reference goes)
  // if the transaction committed.
  void BeginDrop(Store* store, const void* owner);
  void EndDrop(Store* store, const void* owner, bool committed);

  // Busy unless every reference to the store is owner's.
  Status CheckOnlyOwner(Store* store, const void* owner);
  // Whether no store, alias or file is at `path`.
  bool PathIsFree(const std::string& path);
  // An alias makes Acquire(path) lead to a store kept elsewhere: the new
  // name of a table whose rename has not moved its store yet, or the old
  // name while the transaction that moved it can still roll back.
  void AddAlias(const std::string& path, Store* store);
  void RemoveAlias(const std::string& path, Store* store);
  // Removes every alias of the store but `keep`.
  void RemoveAliases(Store* store, const std::string& keep = "");
  // Sets Store::renamed_to ("" or the store's own path: none).
  void SetRenamedTo(Store* store, const std::string& path);
  std::string RenamedTo(Store* store);

  // Moves a store's directory to `to` (closing and reopening its engine).
  // Busy if an owner other than `owner` holds the store or a cursor is open
  // on it; an error if `to` exists. On failure the store stays where it was.
  Status Move(Store* store, const std::string& to, const void* owner);

  // Number of references (for tests and messages).
  int Refs(Store* store);

 private:
  std::mutex mu_;
  std::map<std::string, Store*> stores_;
  std::map<std::string, Store*> aliases_;
};

// The name of the file in a store directory that records the table's schema.
constexpr const char* kSchemaFileName = "SCHEMA";

// The directory for a path as given: absolute, symbolic links resolved as
// far as the path exists.
std::string CanonicalStorePath(const std::string& path);

}  // namespace strata

#endif  // STRATA_SQLITE_EXT_STORE_REGISTRY_H_
