// Table-valued functions over a strata table's LSM shape:
//   SELECT * FROM strata_levels('t')   one row per level
//   SELECT * FROM strata_files('t')    one row per table file
// Key ranges come back as SQL values for single-column keys and as the
// encoded key (a BLOB that sorts like the keys) for composite keys; the
// *_raw columns always hold the encoded keys.
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "sqlite_ext/functions.h"
#include "sqlite_ext/key_codec.h"
#include "sqlite_ext/status_map.h"
#include "sqlite_ext/vtab.h"

namespace strata {

namespace {

// A row of the engine's JSON property: field -> number or string.
using JsonRow = std::map<std::string, std::string>;

// Parses an array of flat objects whose values are numbers or strings (what
// the engine's *-json properties produce). False if malformed.
bool ParseJsonRows(const std::string& s, std::vector<JsonRow>* rows) {
  size_t i = 0;
  auto ws = [&] {
    while (i < s.size() && isspace(static_cast<unsigned char>(s[i]))) i++;
  };
  auto string = [&](std::string* out) {
    if (i >= s.size() || s[i] != '"') return false;
    i++;
    out->clear();
    while (i < s.size() && s[i] != '"') {
      if (s[i] == '\\' && i + 1 < s.size()) i++;
      out->push_back(s[i++]);
    }
    if (i >= s.size()) return false;
    i++;
    return true;
  };
  ws();
  if (i >= s.size() || s[i] != '[') return false;
  i++;
  ws();
  while (i < s.size() && s[i] != ']') {
    if (s[i] != '{') return false;
    i++;
    JsonRow row;
    ws();
    while (i < s.size() && s[i] != '}') {
      std::string name, value;
      if (!string(&name)) return false;
      ws();
      if (i >= s.size() || s[i] != ':') return false;
      i++;
      ws();
      if (i < s.size() && s[i] == '"') {
        if (!string(&value)) return false;
      } else {
        while (i < s.size() && s[i] != ',' && s[i] != '}') value.push_back(s[i++]);
      }
      row[name] = value;
      ws();
      if (i < s.size() && s[i] == ',') i++;
      ws();
    }
    if (i >= s.size()) return false;
    i++;
    rows->push_back(std::move(row));
    ws();
    if (i < s.size() && s[i] == ',') i++;
    ws();
  }
  return i < s.size();
}

std::string FromHex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

struct Spec {
  const char* property;
  std::vector<const char*> columns;  // JSON fields, in column order
  const char* declare;
};

const Spec kLevels = {
    "strata.levels-json",
    {"level", "files", "bytes", "entries", "deletions", "range_deletions", "smallest", "largest"},
    "CREATE TABLE x(level INTEGER, files INTEGER, bytes INTEGER, entries INTEGER, "
    "deletions INTEGER, range_deletions INTEGER, smallest, largest, smallest_raw BLOB, "
    "largest_raw BLOB, tbl HIDDEN)"};
const Spec kFiles = {
    "strata.sstables-json",
    {"level", "number", "bytes", "entries", "deletions", "range_deletions", "smallest", "largest"},
    "CREATE TABLE x(level INTEGER, file INTEGER, bytes INTEGER, entries INTEGER, "
    "deletions INTEGER, range_deletions INTEGER, smallest, largest, smallest_raw BLOB, "
    "largest_raw BLOB, tbl HIDDEN)"};
constexpr int kKeyColumns = 6;  // smallest, largest; then the raw pair at 8, 9
constexpr int kTableColumn = 10;

struct ShapeVtab {
  sqlite3_vtab base;
  sqlite3* db;
  const Spec* spec;
};

struct ShapeCursor {
  sqlite3_vtab_cursor base;
  std::vector<JsonRow> rows;
  size_t index = 0;
  int key_columns = 1;  // of the strata table
  std::string table;
};

int ShapeConnect(sqlite3* db, void* aux, int, const char* const*, sqlite3_vtab** out, char**) {
  const Spec* spec = static_cast<const Spec*>(aux);
  int rc = sqlite3_declare_vtab(db, spec->declare);
  if (rc != SQLITE_OK) return rc;
  auto* vt = new ShapeVtab;
  memset(&vt->base, 0, sizeof(vt->base));
  vt->db = db;
  vt->spec = spec;
  *out = &vt->base;
  return SQLITE_OK;
}

int ShapeDisconnect(sqlite3_vtab* vtab) {
  delete reinterpret_cast<ShapeVtab*>(vtab);
  return SQLITE_OK;
}

int ShapeBestIndex(sqlite3_vtab* vtab, sqlite3_index_info* info) {
  for (int i = 0; i < info->nConstraint; i++) {
    const auto& c = info->aConstraint[i];
    if (c.iColumn == kTableColumn && c.op == SQLITE_INDEX_CONSTRAINT_EQ) {
      if (!c.usable) return SQLITE_CONSTRAINT;
      info->aConstraintUsage[i].argvIndex = 1;
      info->aConstraintUsage[i].omit = 1;
      info->estimatedCost = 10;
      info->estimatedRows = 10;
      info->idxNum = 1;
      return SQLITE_OK;
    }
  }
  SetVtabError(vtab, "strata: name the strata table, e.g. SELECT * FROM strata_levels('t')");
  return SQLITE_ERROR;
}

int ShapeOpen(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
  auto* c = new ShapeCursor;
  memset(&c->base, 0, sizeof(c->base));
  *out = &c->base;
  return SQLITE_OK;
}

int ShapeClose(sqlite3_vtab_cursor* cur) {
  delete reinterpret_cast<ShapeCursor*>(cur);
  return SQLITE_OK;
}

int ShapeFilter(sqlite3_vtab_cursor* cur, int, const char*, int argc, sqlite3_value** argv) {
  auto* c = reinterpret_cast<ShapeCursor*>(cur);
  auto* vt = reinterpret_cast<ShapeVtab*>(cur->pVtab);
  c->rows.clear();
  c->index = 0;
  if (argc < 1 || sqlite3_value_text(argv[0]) == nullptr) return SQLITE_OK;
  c->table = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  StrataVtab* table = FindTable(vt->db, c->table);
  if (table == nullptr) {
    SetVtabError(cur->pVtab, "strata: no strata table named " + c->table);
    return SQLITE_ERROR;
  }
  c->key_columns = KeyColumnCount(table);
  std::string json;
  table->store->db->GetProperty(vt->spec->property, &json);
  if (!ParseJsonRows(json, &c->rows)) {
    SetVtabError(cur->pVtab, "strata: cannot read the store's level summary");
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

int ShapeNext(sqlite3_vtab_cursor* cur) {
  reinterpret_cast<ShapeCursor*>(cur)->index++;
  return SQLITE_OK;
}

int ShapeEof(sqlite3_vtab_cursor* cur) {
  auto* c = reinterpret_cast<ShapeCursor*>(cur);
  return c->index >= c->rows.size();
}

int ShapeColumn(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int col) {
  auto* c = reinterpret_cast<ShapeCursor*>(cur);
  auto* vt = reinterpret_cast<ShapeVtab*>(cur->pVtab);
  const JsonRow& row = c->rows[c->index];
  if (col == kTableColumn) {
    sqlite3_result_text(ctx, c->table.c_str(), -1, SQLITE_TRANSIENT);
    return SQLITE_OK;
  }
  if (col >= kKeyColumns) {
    const bool raw = col >= kKeyColumns + 2;
    const char* field = ((col - kKeyColumns) % 2 == 0) ? "smallest" : "largest";
    auto it = row.find(field);
    if (it == row.end() || it->second.empty()) {
      sqlite3_result_null(ctx);
      return SQLITE_OK;
    }
    std::string key = FromHex(it->second);
    if (!raw && c->key_columns == 1) {
      SqlValue v;
      std::string scratch;
      if (DecodeKey(key, 1, &v, &scratch)) {
        ResultValue(ctx, v);
        return SQLITE_OK;
      }
    }
    sqlite3_result_blob64(ctx, key.data(), key.size(), SQLITE_TRANSIENT);
    return SQLITE_OK;
  }
  auto it = row.find(vt->spec->columns[col]);
  if (it == row.end()) {
    sqlite3_result_null(ctx);
  } else {
    sqlite3_result_int64(ctx, strtoll(it->second.c_str(), nullptr, 10));
  }
  return SQLITE_OK;
}

int ShapeRowid(sqlite3_vtab_cursor* cur, sqlite3_int64* rowid) {
  *rowid = static_cast<sqlite3_int64>(reinterpret_cast<ShapeCursor*>(cur)->index);
  return SQLITE_OK;
}

const sqlite3_module kShapeModule = {
    /* iVersion    */ 0,
    /* xCreate     */ nullptr,  // eponymous only
    /* xConnect    */ ShapeConnect,
    /* xBestIndex  */ ShapeBestIndex,
    /* xDisconnect */ ShapeDisconnect,
    /* xDestroy    */ ShapeDisconnect,
    /* xOpen       */ ShapeOpen,
    /* xClose      */ ShapeClose,
    /* xFilter     */ ShapeFilter,
    /* xNext       */ ShapeNext,
    /* xEof        */ ShapeEof,
    /* xColumn     */ ShapeColumn,
    /* xRowid      */ ShapeRowid,
    /* xUpdate     */ nullptr,
    /* xBegin      */ nullptr,
    /* xSync       */ nullptr,
    /* xCommit     */ nullptr,
    /* xRollback   */ nullptr,
    /* xFindFunction */ nullptr,
    /* xRename     */ nullptr,
    /* xSavepoint  */ nullptr,
    /* xRelease    */ nullptr,
    /* xRollbackTo */ nullptr,
    /* xShadowName */ nullptr,
#if SQLITE_VERSION_NUMBER >= 3044000
    /* xIntegrity  */ nullptr,
#endif
};

}  // namespace

int RegisterLevelFunctions(sqlite3* db) {
  int rc = sqlite3_create_module(db, "strata_levels", &kShapeModule, const_cast<Spec*>(&kLevels));
  if (rc == SQLITE_OK) {
    rc = sqlite3_create_module(db, "strata_files", &kShapeModule, const_cast<Spec*>(&kFiles));
  }
  return rc;
}

}  // namespace strata
