// TableCache: the open table files of one store, bounded by
// Options::max_open_files, with each table's range tombstones parsed once.
//
// Thread-safe. Handles returned by FindTable pin an open table until
// released; iterators pin theirs until deleted.
#ifndef STRATA_DB_TABLE_CACHE_H_
#define STRATA_DB_TABLE_CACHE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "db/dbformat.h"
#include "db/range_tombstone.h"
#include "db/version_edit.h"
#include "strata/cache.h"
#include "strata/iterator.h"
#include "strata/options.h"
#include "table/table.h"
#include "table/table_options.h"

namespace strata {

class TableCache {
 public:
  // table_options is the template for every table (file_name is set per
  // file); it must outlive the TableCache, as must its pointers.
  TableCache(const std::string& dbname, Env* env, const TableOptions& table_options, int entries);
  TableCache(const TableCache&) = delete;
  TableCache& operator=(const TableCache&) = delete;
  ~TableCache();

  // An iterator over the file's internal keys. If tableptr is not null, it
  // gets the Table (owned by the cache, valid while the iterator lives).
  Iterator* NewIterator(const ReadOptions& options, const FileMetaData& file,
                        Table** tableptr = nullptr);

  // Looks up internal_key in the file, calling handle_result with the first
  // entry >= internal_key if the filter does not rule it out.
  Status Get(const ReadOptions& options, const FileMetaData& file, const Slice& internal_key,
             void* arg, void (*handle_result)(void*, const Slice&, const Slice&));

  // The file's range tombstones (empty if none).
  Status GetTombstones(const FileMetaData& file,
                       std::shared_ptr<const FragmentedTombstones>* tombstones);

  // An open table, pinned: pass the handle to Release when done.
  Status FindTable(const FileMetaData& file, Cache::Handle** handle);
  Table* GetTable(Cache::Handle* handle);
  std::shared_ptr<const FragmentedTombstones> GetTableTombstones(Cache::Handle* handle);
  void Release(Cache::Handle* handle) { cache_->Release(handle); }

  // Drops the file from the cache (its file is about to be deleted).
  void Evict(uint64_t file_number);

 private:
  const std::string dbname_;
  Env* const env_;
  const TableOptions& table_options_;
  std::shared_ptr<Cache> cache_;
};

}  // namespace strata

#endif  // STRATA_DB_TABLE_CACHE_H_
