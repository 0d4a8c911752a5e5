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

Status StoreRegistry::Acquire(const std::string& path, bool temporary, bool create,
                              const Schema& schema, const StoreOptions& options, const void* owner,
                              Store** result, std::string* error) {
  std::lock_guard<std::mutex> l(mu_);
  *result = nullptr;
  // A table renamed by an open transaction: its store moves only at commit.
  auto alias = aliases_.find(path);
  auto it = stores_.find(path);
  Store* open =
      alias != aliases_.end() ? alias->second : (it != stores_.end() ? it->second : nullptr);
  if (open != nullptr) {
    Store* s = open;
    // A new table must not inherit the rows of one dropped or renamed away by a transaction
    // that can still roll back (or of one dropped while another connection still reads it).
    if (create && s->pending_drops > 0) {
      *error = "strata: the store at " + path +
               " belongs to a table dropped by a transaction that is still open; commit it " +
               "before creating a table there";
      return Status::Busy(*error);
    }
    if (create && s->destroy_on_release) {
      *error = "strata: the store at " + path +
               " is deleted once another connection that still has it open lets it go " +
               "(its table was dropped); try again then";
      return Status::Busy(*error);
    }
    if (create && alias == aliases_.end() && !s->renamed_to.empty()) {
      *error = "strata: the store at " + path + " moves to " + s->renamed_to +
               " when the transaction that renamed its table commits; commit it before " +
               "creating a table there";
      return Status::Busy(*error);
    }
    std::string diff = schema.DiffFrom(s->schema.Canonical());
    if (!diff.empty()) {
      *error = "strata: the store at " + path + " holds another table: " + diff;
      return Status::InvalidArgument(*error);
    }
    s->refs++;
    s->owner_refs[owner]++;
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
  store->read_only =
      options.readonly || (store->db->GetProperty("strata.read-only", &ro) && ro == "1");
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
  store->owner_refs[owner] = 1;
  *result = store.get();
  stores_[path] = store.release();
  return Status::OK();
}

void StoreRegistry::AddRef(Store* store, const void* owner) {
  std::lock_guard<std::mutex> l(mu_);
  store->refs++;
  store->owner_refs[owner]++;
}

void StoreRegistry::Release(Store* store, const void* owner) {
  std::unique_lock<std::mutex> l(mu_);
  auto owned = store->owner_refs.find(owner);
  if (owned != store->owner_refs.end() && --owned->second == 0) store->owner_refs.erase(owned);
  if (--store->refs > 0) return;
  stores_.erase(store->path);
  for (auto it = aliases_.begin(); it != aliases_.end();) {
    it = it->second == store ? aliases_.erase(it) : std::next(it);
  }
  l.unlock();
  store->db.reset();
  // A rename whose move failed (another connection held the store at commit
  // or at rollback) left the store away from its table's path, reachable
  // only through an alias in this process: with no one holding it, it can
  // move now.
  if (!store->renamed_to.empty() && !store->destroy_on_release) {
    std::error_code ec;
    if (!fs::exists(store->renamed_to, ec)) fs::rename(store->path, store->renamed_to, ec);
  }
  // (A temporary store stays until its connection closes: SQLite may connect
  // the table again.)
  if (store->destroy_on_release) {
    DestroyDB(store->path, Options());
    std::error_code ec;
    fs::remove(store->path + "/" + kSchemaFileName, ec);
    fs::remove(store->path, ec);
  }
  delete store;
}

void StoreRegistry::BeginDrop(Store* store, const void* owner) {
  std::lock_guard<std::mutex> l(mu_);
  store->pending_drops++;
  store->refs++;
  store->owner_refs[owner]++;
}

void StoreRegistry::EndDrop(Store* store, const void* owner, bool committed) {
  {
    std::lock_guard<std::mutex> l(mu_);
    store->pending_drops--;
    if (committed) store->destroy_on_release = true;
  }
  Release(store, owner);
}

static Status OnlyOwner(const Store* store, const void* owner) {
  for (const auto& [o, n] : store->owner_refs) {
    if (o != owner && n > 0) {
      return Status::Busy(store->path, "other connections have this store open");
    }
  }
  return Status::OK();
}

Status StoreRegistry::CheckOnlyOwner(Store* store, const void* owner) {
  std::lock_guard<std::mutex> l(mu_);
  return OnlyOwner(store, owner);
}

bool StoreRegistry::PathIsFree(const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  std::error_code ec;
  return stores_.count(path) == 0 && aliases_.count(path) == 0 && !fs::exists(path, ec);
}

void StoreRegistry::AddAlias(const std::string& path, Store* store) {
  std::lock_guard<std::mutex> l(mu_);
  aliases_[path] = store;
}

void StoreRegistry::RemoveAlias(const std::string& path, Store* store) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = aliases_.find(path);
  if (it != aliases_.end() && it->second == store) aliases_.erase(it);
}

void StoreRegistry::RemoveAliases(Store* store, const std::string& keep) {
  std::lock_guard<std::mutex> l(mu_);
  for (auto it = aliases_.begin(); it != aliases_.end();) {
    it = it->second == store && it->first != keep ? aliases_.erase(it) : std::next(it);
  }
}

void StoreRegistry::SetRenamedTo(Store* store, const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  store->renamed_to = path == store->path ? std::string() : path;
}

std::string StoreRegistry::RenamedTo(Store* store) {
  std::lock_guard<std::mutex> l(mu_);
  return store->renamed_to;
}

Status StoreRegistry::Move(Store* store, const std::string& to, const void* owner) {
  std::lock_guard<std::mutex> l(mu_);
  Status s = OnlyOwner(store, owner);
  if (!s.ok()) return s;
  // Closing the engine would pull it from under an open iterator.
  if (store->open_cursors.load() > 0) {
    return Status::Busy(store->path, "a statement still reads this store");
  }
  std::error_code ec;
  if (fs::exists(to, ec)) return Status::InvalidArgument(to, "already exists");
  const std::string from = store->path;
  store->db.reset();  // close: the lock is released, files stay
  fs::rename(from, to, ec);
  if (!ec) {
    s = DB::Open(EngineOptions(store->options), to, &store->db);
    if (s.ok()) {
      stores_.erase(from);
      store->path = to;
      stores_[to] = store;
      return Status::OK();
    }
    // Opened nowhere is worse than not moved: put it back.
    store->db.reset();
    fs::rename(to, from, ec);
  } else {
    s = Status::IOError("cannot move " + from + " to " + to, ec.message());
  }
  Status reopen = DB::Open(EngineOptions(store->options), from, &store->db);
  if (!reopen.ok()) return reopen;
  return s;
}

int StoreRegistry::Refs(Store* store) {
  std::lock_guard<std::mutex> l(mu_);
  return store->refs;
}

}  // namespace strata
