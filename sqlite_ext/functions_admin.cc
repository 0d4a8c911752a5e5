// SQL functions that administer a strata table: strata_version(),
// strata_flush(t), strata_compact(t), strata_stats(t), strata_checkpoint(t,
// dir), strata_verify(t), strata_resume(t). They act on committed data, so
// they are allowed inside a transaction.
#include <filesystem>

#include "sqlite_ext/functions.h"
#include "sqlite_ext/status_map.h"
#include "sqlite_ext/vtab.h"
#include "strata_build_info.h"

namespace strata {

namespace {

// The table named by the function's first argument, or null with the
// function's error set.
StrataVtab* TableArg(sqlite3_context* ctx, sqlite3_value* arg) {
  const unsigned char* name = sqlite3_value_text(arg);
  if (name == nullptr) {
    sqlite3_result_error(ctx, "strata: expected a table name", -1);
    return nullptr;
  }
  StrataVtab* vt = FindTable(sqlite3_context_db_handle(ctx), reinterpret_cast<const char*>(name));
  if (vt == nullptr) {
    std::string msg =
        std::string("strata: no strata table named ") + reinterpret_cast<const char*>(name);
    sqlite3_result_error(ctx, msg.c_str(), -1);
  }
  return vt;
}

void Version(sqlite3_context* ctx, int, sqlite3_value**) {
  std::string v = std::string("strata ") + LibraryVersion() +
                  " (git " STRATA_GIT_VERSION ", " STRATA_BUILD_FLAGS ", SQLite " +
                  sqlite3_libversion() + ")";
  sqlite3_result_text(ctx, v.c_str(), -1, SQLITE_TRANSIENT);
}

void Flush(sqlite3_context* ctx, int, sqlite3_value** argv) {
  StrataVtab* vt = TableArg(ctx, argv[0]);
  if (vt == nullptr) return;
  Status s = vt->store->db->Flush(FlushOptions());
  if (!s.ok()) return ResultError(ctx, s, "flush of " + vt->table);
  sqlite3_result_text(ctx, "ok", -1, SQLITE_STATIC);
}

void Compact(sqlite3_context* ctx, int, sqlite3_value** argv) {
  StrataVtab* vt = TableArg(ctx, argv[0]);
  if (vt == nullptr) return;
  Status s = vt->store->db->CompactRange(nullptr, nullptr);
  if (!s.ok()) return ResultError(ctx, s, "compaction of " + vt->table);
  sqlite3_result_text(ctx, "ok", -1, SQLITE_STATIC);
}

void Stats(sqlite3_context* ctx, int, sqlite3_value** argv) {
  StrataVtab* vt = TableArg(ctx, argv[0]);
  if (vt == nullptr) return;
  std::string json;
  vt->store->db->GetProperty("strata.stats", &json);
  // The store's path and the SQL layer's own figures, in front of the engine's.
  std::string head = "{\"table\":\"" + vt->table + "\",\"path\":\"" + vt->store->path +
                     "\",\"range_deletes\":" + std::to_string(vt->store->range_deletes.load()) +
                     ",";
  json = head + json.substr(1);
  sqlite3_result_text(ctx, json.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_result_subtype(ctx, 'J');
}

void CheckpointFn(sqlite3_context* ctx, int, sqlite3_value** argv) {
  StrataVtab* vt = TableArg(ctx, argv[0]);
  if (vt == nullptr) return;
  const unsigned char* dir = sqlite3_value_text(argv[1]);
  if (dir == nullptr || dir[0] == '\0') {
    sqlite3_result_error(ctx, "strata: strata_checkpoint needs a directory that does not exist",
                         -1);
    return;
  }
  const std::string path = CanonicalStorePath(reinterpret_cast<const char*>(dir));
  Status s = vt->store->db->Checkpoint(path);
  if (s.ok()) {
    std::error_code ec;
    std::filesystem::copy_file(vt->store->path + "/" + kSchemaFileName,
                               path + "/" + kSchemaFileName, ec);
    if (ec) s = Status::IOError(path, "cannot copy the schema: " + ec.message());
  }
  if (!s.ok()) return ResultError(ctx, s, "checkpoint of " + vt->table);
  sqlite3_result_text(ctx, path.c_str(), -1, SQLITE_TRANSIENT);
}

void Verify(sqlite3_context* ctx, int, sqlite3_value** argv) {
  StrataVtab* vt = TableArg(ctx, argv[0]);
  if (vt == nullptr) return;
  Status s = vt->store->db->Verify();
  if (!s.ok()) return ResultError(ctx, s, "verify of " + vt->table);
  sqlite3_result_text(ctx, "ok", -1, SQLITE_STATIC);
}

void Resume(sqlite3_context* ctx, int, sqlite3_value** argv) {
  StrataVtab* vt = TableArg(ctx, argv[0]);
  if (vt == nullptr) return;
  Status s = vt->store->db->Resume();
  if (!s.ok()) return ResultError(ctx, s, "resume of " + vt->table);
  sqlite3_result_text(ctx, "ok", -1, SQLITE_STATIC);
}

}  // namespace

int RegisterAdminFunctions(sqlite3* db) {
  struct Fn {
    const char* name;
    int nargs;
    void (*fn)(sqlite3_context*, int, sqlite3_value**);
    bool deterministic;
  };
  static const Fn kFunctions[] = {
      {"strata_version", 0, Version, true},          {"strata_flush", 1, Flush, false},
      {"strata_compact", 1, Compact, false},         {"strata_stats", 1, Stats, false},
      {"strata_checkpoint", 2, CheckpointFn, false}, {"strata_verify", 1, Verify, false},
      {"strata_resume", 1, Resume, false},
  };
  for (const Fn& f : kFunctions) {
    int flags = SQLITE_UTF8 | (f.deterministic ? SQLITE_DETERMINISTIC : 0);
    int rc = sqlite3_create_function_v2(db, f.name, f.nargs, flags, nullptr, f.fn, nullptr, nullptr,
                                        nullptr);
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

}  // namespace strata
