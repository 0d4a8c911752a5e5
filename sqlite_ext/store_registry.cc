// StoreRegistry: one open engine per store directory per process.
#include "sqlite_ext/store_registry.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace strata {

namespace fs = std::filesystem;

StoreRegistry* StoreRegistry::Get() {
  static StoreRegistry* registry = new StoreRegistry;
  return registry;
}

std::string CanonicalStorePath(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
  std::string s = p.string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

static Options EngineOptions(const StoreOptions& o) {
  Options e;
  e.write_buffer_size = o.memtable_size;
  if (o.block_cache_size > 0) e.block_cache = NewLRUCache(o.block_cache_size);
  e.block_size = o.block_size;
  e.bloom_bits_per_key = o.bloom_bits;
  e.num_levels = o.max_levels;
  e.max_bytes_for_level_base = o.level1_size;
  e.level_size_multiplier = o.level_multiplier;
  e.target_file_size = o.target_file_size;
  e.read_only = o.readonly;
  e.wal_background_sync_ms = o.sync == SyncMode::kNormal ? 1000 : 0;
  return e;
}

static bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

Status StoreRegistry::Acquire(const std::string& path, bool temporary, const Schema& schema,
                              const StoreOptions& options, Store** result, std::string* error) {
  std::lock_guard<std::mutex> l(mu_);
  *result = nullptr;
  auto it = stores_.find(path);
  if (it != stores_.end()) {
    Store* s = it->second;
    std::string diff = schema.DiffFrom(s->schema.Canonical());
    if (!diff.empty()) {
      *error = "strata: the store at " + path + " holds another table: " + diff;
      return Status::InvalidArgument(*error);
    }
    s->refs++;
    *result = s;
    return Status::OK();
  }

  // A recorded schema must match before anything is opened or created.
  const std::string schema_file = path + "/" + kSchemaFileName;
  std::string recorded;
  const bool has_schema = ReadFile(schema_file, &recorded);
  if (has_schema) {
    // The file holds the canonical schema, then a blank line, then options.
    size_t end = recorded.find("\n\n");
    std::string canonical = end == std::string::npos ? recorded : recorded.substr(0, end + 1);
    std::string diff = schema.DiffFrom(canonical);
    if (!diff.empty()) {
      *error = "strata: the store at " + path + " does not match this table: " + diff;
      return Status::InvalidArgument(*error);
    }
  }

  auto store = std::make_unique<Store>();
  store->path = path;
  store->schema = schema;
  store->options = options;
  store->temporary = temporary;
  store->write_options.sync = options.sync == SyncMode::kFull;
  Options engine = EngineOptions(options);
  std::error_code ec;
  const bool exists = fs::exists(path, ec);
  if (!exists && options.readonly) {
    *error = "strata: no store at " + path + " (and readonly = 1 prevents creating one)";
    return Status::NotFound(*error);
  }
  if (!exists) {
    fs::create_directories(path, ec);
    if (ec) {
      *error = "strata: cannot create the store directory " + path + ": " + ec.message();
      return Status::IOError(*error);
    }
  }
  Status s = DB::Open(engine, path, &store->db);
  if (!s.ok()) {
    *error = "strata: cannot open the store at " + path + ": " + s.ToString();
    return s;
  }
  std::string ro;
  store->read_only = options.readonly ||
                     (store->db->GetProperty("strata.read-only", &ro) && ro == "1");
  if (!has_schema && !store->read_only) {
    std::ofstream out(schema_file, std::ios::binary | std::ios::trunc);
    out << schema.Canonical() << "\n" << options.ToString();
    out.close();
    if (!out) {
      *error = "strata: cannot write " + schema_file;
      store->db.reset();
      return Status::IOError(*error);
    }
  }
  store->refs = 1;
  *result = store.get();
  stores_[path] = store.release();
  return Status::OK();
}

void StoreRegistry::Release(Store* store) {
  std::unique_lock<std::mutex> l(mu_);
  if (--store->refs > 0) return;
  stores_.erase(store->path);
  l.unlock();
  store->db.reset();
  if (store->destroy_on_release || store->temporary) {
    DestroyDB(store->path, Options());
    std::error_code ec;
    fs::remove(store->path + "/" + kSchemaFileName, ec);
    fs::remove(store->path, ec);
    // A temporary store lives in a private directory made for it.
    if (store->temporary) fs::remove(fs::path(store->path).parent_path(), ec);
  }
  delete store;
}

Status StoreRegistry::Rename(Store* store, const std::string& new_path) {
  std::lock_guard<std::mutex> l(mu_);
  if (store->refs > 1) {
    return Status::Busy(store->path, "other connections have this store open");
  }
  std::error_code ec;
  if (fs::exists(new_path, ec)) return Status::InvalidArgument(new_path, "already exists");
  store->db.reset();  // close: the lock is released, files stay
  fs::rename(store->path, new_path, ec);
  const std::string old_path = store->path;
  if (ec) {
    Status reopen = DB::Open(EngineOptions(store->options), old_path, &store->db);
    return Status::IOError("cannot move " + old_path + " to " + new_path, ec.message());
  }
  Status s = DB::Open(EngineOptions(store->options), new_path, &store->db);
  if (!s.ok()) return s;
  stores_.erase(old_path);
  store->path = new_path;
  stores_[new_path] = store;
  return Status::OK();
}

int StoreRegistry::Refs(Store* store) {
  std::lock_guard<std::mutex> l(mu_);
  return store->refs;
}

}  // namespace strata
