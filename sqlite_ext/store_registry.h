// StoreRegistry: the process-wide map from a store's directory to its open
// engine. Every connection (and every table) naming the same directory
// shares one DB, reference-counted; the engine's lock file keeps other
// processes out. A Store also arbitrates writers: one connection at a time
// may hold a write transaction on it.
#ifndef STRATA_SQLITE_EXT_STORE_REGISTRY_H_
#define STRATA_SQLITE_EXT_STORE_REGISTRY_H_

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
  bool temporary = false;   // private to a :memory: or temp database
  bool read_only = false;   // opened read-only (option or read-only directory)
  bool destroy_on_release = false;

  // Write arbitration. writer is the connection-level owner (a vtab).
  std::mutex mu;
  const void* writer = nullptr;
  int refs = 0;

  // Takes the write token for owner; false if another owner holds it.
  bool TryAcquireWriter(const void* owner) {
    std::lock_guard<std::mutex> l(mu);
    if (writer != nullptr && writer != owner) return false;
    writer = owner;
    return true;
  }
  void ReleaseWriter(const void* owner) {
    std::lock_guard<std::mutex> l(mu);
    if (writer == owner) writer = nullptr;
  }
};

class StoreRegistry {
 public:
  static StoreRegistry* Get();

  // Opens (or shares) the store in `path` for a table with `schema` and
  // `options`. `create` is true for CREATE VIRTUAL TABLE. On failure
  // returns the status and a message for the user in *error.
  Status Acquire(const std::string& path, bool temporary, const Schema& schema,
                 const StoreOptions& options, Store** store, std::string* error);

  // Drops a reference; the last one closes the engine (and removes the
  // files if the store was dropped or is temporary).
  void Release(Store* store);

  // Moves a store's directory (ALTER TABLE ... RENAME of a store at its
  // default path). Busy if another reference holds the store.
  Status Rename(Store* store, const std::string& new_path);

  // Number of references (for tests and messages).
  int Refs(Store* store);

 private:
  std::mutex mu_;
  std::map<std::string, Store*> stores_;
};

// The name of the file in a store directory that records the table's schema.
constexpr const char* kSchemaFileName = "SCHEMA";

// The directory for a path as given: absolute, symbolic links resolved as
// far as the path exists.
std::string CanonicalStorePath(const std::string& path);

}  // namespace strata

#endif  // STRATA_SQLITE_EXT_STORE_REGISTRY_H_
