// TableCache: an LRU of open tables keyed by file number.
#include "db/table_cache.h"

#include "db/filename.h"
#include "util/coding.h"

namespace strata {

namespace {

struct OpenTable {
  std::unique_ptr<Table> table;
  std::shared_ptr<const FragmentedTombstones> tombstones;
};

void DeleteOpenTable(const Slice&, void* value) { delete static_cast<OpenTable*>(value); }

void UnrefEntry(void* arg1, void* arg2) {
  static_cast<Cache*>(arg1)->Release(static_cast<Cache::Handle*>(arg2));
}

}  // namespace

TableCache::TableCache(const std::string& dbname, Env* env, const TableOptions& table_options,
                       int entries)
    : dbname_(dbname),
      env_(env),
      table_options_(table_options),
      cache_(NewLRUCache(static_cast<size_t>(entries), 0)) {}

TableCache::~TableCache() = default;

Status TableCache::FindTable(const FileMetaData& file, Cache::Handle** handle) {
  char buf[8];
  EncodeFixed64(buf, file.number);
  Slice key(buf, sizeof(buf));
  *handle = cache_->Lookup(key);
  if (*handle != nullptr) return Status::OK();

  const std::string fname = TableFileName(dbname_, file.number);
  std::unique_ptr<RandomAccessFile> raf;
  Status s = env_->NewRandomAccessFile(fname, &raf);
  if (!s.ok()) return s;
  TableOptions options = table_options_;
  options.file_name = TableFileBaseName(file.number);
  auto entry = std::make_unique<OpenTable>();
  s = Table::Open(options, std::move(raf), file.file_size, &entry->table);
  if (!s.ok()) return s;
  std::vector<RangeTombstone> list;
  if (std::unique_ptr<Iterator> it(entry->table->NewRangeTombstoneIterator(ReadOptions())); it) {
    s = CollectRangeTombstones(it.get(), &list);
    if (!s.ok()) return s.WithContext(options.file_name);
  }
  entry->tombstones = std::make_shared<FragmentedTombstones>(
      static_cast<const InternalKeyComparator*>(table_options_.comparator)->user_comparator(),
      std::move(list));
  // Do not cache failures: a transient error must not stick.
  *handle = cache_->Insert(key, entry.release(), 1, &DeleteOpenTable);
  return Status::OK();
}

Table* TableCache::GetTable(Cache::Handle* handle) {
  return static_cast<OpenTable*>(cache_->Value(handle))->table.get();
}

std::shared_ptr<const FragmentedTombstones> TableCache::GetTableTombstones(Cache::Handle* handle) {
  return static_cast<OpenTable*>(cache_->Value(handle))->tombstones;
}

Iterator* TableCache::NewIterator(const ReadOptions& options, const FileMetaData& file,
                                  Table** tableptr) {
  if (tableptr != nullptr) *tableptr = nullptr;
  Cache::Handle* handle = nullptr;
  Status s = FindTable(file, &handle);
  if (!s.ok()) return NewErrorIterator(s);
  Table* table = GetTable(handle);
  Iterator* result = table->NewIterator(options);
  result->RegisterCleanup(&UnrefEntry, cache_.get(), handle);
  if (tableptr != nullptr) *tableptr = table;
  return result;
}

Status TableCache::Get(const ReadOptions& options, const FileMetaData& file,
                       const Slice& internal_key, void* arg,
                       void (*handle_result)(void*, const Slice&, const Slice&)) {
  Cache::Handle* handle = nullptr;
  Status s = FindTable(file, &handle);
  if (s.ok()) {
    s = GetTable(handle)->InternalGet(options, internal_key, arg, handle_result);
    cache_->Release(handle);
  }
  return s;
}

Status TableCache::GetTombstones(const FileMetaData& file,
                                 std::shared_ptr<const FragmentedTombstones>* tombstones) {
  Cache::Handle* handle = nullptr;
  Status s = FindTable(file, &handle);
  if (s.ok()) {
    *tombstones = GetTableTombstones(handle);
    cache_->Release(handle);
  }
  return s;
}

void TableCache::Evict(uint64_t file_number) {
  char buf[8];
  EncodeFixed64(buf, file_number);
  cache_->Erase(Slice(buf, sizeof(buf)));
}

}  // namespace strata
