// Cursors of the strata virtual table: xFilter turns a plan (vtab.h) into a
// point get, a sorted multi-get or a bounded iterator over the key order
// (merged with the connection's pending writes inside a transaction);
// xColumn decodes only the column asked for.
#include <algorithm>
#include <cstdint>

#include "sqlite_ext/key_codec.h"
#include "sqlite_ext/status_map.h"
#include "sqlite_ext/vtab.h"

namespace strata {

namespace {

// Values at least this large are not copied out for an UPDATE that leaves
// them unchanged (sqlite3_vtab_nochange).
constexpr size_t kNoChangeMinBytes = 1024;

StrataCursor* AsCursor(sqlite3_vtab_cursor* c) { return reinterpret_cast<StrataCursor*>(c); }

void ResetCursor(StrataCursor* c) {
  c->iter.reset();
  c->mode = StrataCursor::Mode::kEof;
  c->row_index = 0;
  c->limit = -1;
  c->rows_returned = 0;
  c->key_decoded = false;
  c->row_parsed = false;
}

// Moves to the iterator's current row, or to EOF (releasing the iterator,
// and with it the snapshot and files it pins).
int SettleIterator(StrataCursor* c) {
  if (c->iter->Valid() && c->limit != 0) {
    c->SetRowFromIterator();
    c->rows_returned++;
    return SQLITE_OK;
  }
  Status s = c->iter->status();
  c->iter.reset();
  c->mode = StrataCursor::Mode::kEof;
  if (!s.ok()) {
    EndRangeDeleteRun(c->vtab);
    return VtabError(&c->vtab->base, s, "reading table " + c->vtab->table);
  }
  if (c->vtab->range_delete.cursor == c) RangeDeleteScanDone(c);
  return SQLITE_OK;
}

void SetRowFromList(StrataCursor* c) {
  c->key = c->rows[c->row_index].first;
  c->value = c->rows[c->row_index].second;
  c->key_decoded = false;
  c->row_parsed = false;
}

// The literal prefix of a GLOB or LIKE pattern: the characters before the
// first wildcard. SQLite reads a pattern (and the text it matches) as a C
// string, so a NUL ends it: 'K0' || char(0) || '%' matches 'K0' exactly.
std::string PatternPrefix(std::string_view pattern, bool glob) {
  std::string prefix;
  for (char ch : pattern) {
    if (ch == '\0') break;
    if (glob && (ch == '*' || ch == '?' || ch == '[')) break;
    if (!glob && (ch == '%' || ch == '_')) break;
    prefix.push_back(ch);
  }
  return prefix;
}

// A case-insensitive LIKE matches each ASCII letter of the prefix in either
// case (and nothing else differently: SQLite folds ASCII only). Upper case
// sorts first, so every text that starts with some casing of the prefix lies
// between the all-upper and the all-lower casing, position by position, and
// thus in [upper, PrefixSuccessor(lower)).
std::string AsciiCase(std::string s, bool upper) {
  for (char& ch : s) {
    if (upper && ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
    if (!upper && ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  }
  return s;
}

bool LikeIsCaseInsensitive(sqlite3* db) {
  sqlite3_stmt* stmt = nullptr;
  bool nocase = true;
  if (sqlite3_prepare_v2(db, "SELECT 'a' LIKE 'A'", -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    nocase = sqlite3_column_int(stmt, 0) != 0;
  }
  sqlite3_finalize(stmt);
  return nocase;
}

int DecodeCurrentKey(StrataCursor* c) {
  if (c->key_decoded) return SQLITE_OK;
  const int n = KeyColumnCount(c->vtab);
  c->key_values.resize(n);
  if (!DecodeKey(c->key.view(), n, c->key_values.data(), &c->key_scratch)) {
    SetVtabError(&c->vtab->base, "strata: table " + c->vtab->table + " holds a malformed key");
    return SQLITE_CORRUPT;
  }
  c->key_decoded = true;
  return SQLITE_OK;
}

int ParseCurrentRow(StrataCursor* c) {
  if (c->row_parsed) return SQLITE_OK;
  if (!c->row.Init(c->value.view())) {
    SetVtabError(&c->vtab->base, "strata: table " + c->vtab->table + " holds a malformed row");
    return SQLITE_CORRUPT;
  }
  c->row_parsed = true;
  return SQLITE_OK;
}

}  // namespace

int StrataOpen(sqlite3_vtab* vtab, sqlite3_vtab_cursor** out) {
  auto* c = new StrataCursor;
  memset(&c->base, 0, sizeof(c->base));
  c->vtab = reinterpret_cast<StrataVtab*>(vtab);
  c->vtab->store->open_cursors++;  // the store is not moved under it
  c->vtab->open_cursors++;
  *out = &c->base;
  return SQLITE_OK;
}

int StrataClose(sqlite3_vtab_cursor* cursor) {
  StrataCursor* c = AsCursor(cursor);
  c->vtab->store->open_cursors--;
  c->vtab->open_cursors--;
  if (c->vtab->range_delete.cursor == c) EndRangeDeleteRun(c->vtab);  // closed before its end
  delete c;
  return SQLITE_OK;
}

int StrataFilter(sqlite3_vtab_cursor* cursor, int idx, const char*, int argc,
                 sqlite3_value** argv) {
  StrataCursor* c = AsCursor(cursor);
  StrataVtab* vt = c->vtab;
  ResetCursor(c);
  EndRangeDeleteRun(vt);  // another scan of the table
  const int access = idx & plan::kAccessMask;
  const int eq = (idx & plan::kEqMask) >> plan::kEqShift;
  const int nkey = KeyColumnCount(vt);
  c->desc = (idx & plan::kDesc) != 0;
  DB* db = vt->store->db.get();
  int a = 0;
  auto next_arg = [&]() -> sqlite3_value* { return a < argc ? argv[a++] : nullptr; };

  // Equality values of the leading key columns.
  std::vector<ValueHolder> holders(eq + 3);
  std::vector<SqlValue> eqv(eq);
  sqlite3_value* in_list = nullptr;
  if (idx & plan::kHiddenKey) {
    sqlite3_value* v = next_arg();
    if (v == nullptr || sqlite3_value_type(v) != SQLITE_BLOB) return SQLITE_OK;
    c->rows.resize(1);
    const void* p = sqlite3_value_blob(v);
    c->rows[0].first.assign(static_cast<const char*>(p ? p : ""), sqlite3_value_bytes(v));
    Status s = ReadKey(vt, c->rows[0].first, &c->rows[0].second);
    if (s.IsNotFound()) return SQLITE_OK;
    if (!s.ok()) return VtabError(&vt->base, s, "reading table " + vt->table);
    c->mode = StrataCursor::Mode::kList;
    SetRowFromList(c);
    return SQLITE_OK;
  }
  for (int p = 0; p < eq; p++) {
    sqlite3_value* v = next_arg();
    if (v == nullptr) return SQLITE_OK;
    if (p == eq - 1 && (idx & plan::kInList)) {
      in_list = v;
      continue;
    }
    eqv[p] = WithAffinity(v, KeyAffinity(vt, p), &holders[p]);
    if (eqv[p].is_null()) return SQLITE_OK;  // key = NULL matches nothing
  }

  if (access == plan::kPointGet) {
    c->rows.resize(1);
    std::string& key = c->rows[0].first;
    key.clear();
    if (nkey == 1) {
      EncodeKey(eqv[0], &key);
    } else {
      EncodeKey(eqv.data(), nkey, &key);
    }
    Status s = ReadKey(vt, key, &c->rows[0].second);
    if (s.IsNotFound()) return SQLITE_OK;
    if (!s.ok()) return VtabError(&vt->base, s, "reading table " + vt->table);
    c->mode = StrataCursor::Mode::kList;
    SetRowFromList(c);
    return SQLITE_OK;
  }

  if (access == plan::kMultiGet) {
    std::string prefix;
    if (nkey > 1) EncodeKeyPrefix(eqv.data(), eq - 1, nkey, &prefix);
    std::vector<std::string> keys;
    sqlite3_value* item = nullptr;
    ValueHolder holder;
    for (int rc = sqlite3_vtab_in_first(in_list, &item); rc == SQLITE_OK && item != nullptr;
         rc = sqlite3_vtab_in_next(in_list, &item)) {
      SqlValue v = WithAffinity(item, KeyAffinity(vt, eq - 1), &holder);
      if (v.is_null()) continue;
      std::string key = prefix;
      AppendKeyColumn(v, true, &key);
      keys.push_back(std::move(key));
    }
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    if (c->desc) std::reverse(keys.begin(), keys.end());
    c->rows.clear();
    if (vt->tx->HasPendingWrites()) {
      std::string value;
      for (std::string& k : keys) {
        Status s = ReadKey(vt, k, &value);
        if (s.ok()) {
          c->rows.emplace_back(std::move(k), value);
        } else if (!s.IsNotFound()) {
          return VtabError(&vt->base, s, "reading table " + vt->table);
        }
      }
    } else {
      // One snapshot for the whole list.
      std::vector<Slice> slices(keys.begin(), keys.end());
      std::vector<std::string> values;
      ReadOptions ro;
      ro.snapshot = ReadSnapshot(vt);
      std::vector<Status> st = db->MultiGet(ro, slices, &values);
      for (size_t i = 0; i < keys.size(); i++) {
        if (st[i].ok()) {
          c->rows.emplace_back(std::move(keys[i]), std::move(values[i]));
        } else if (!st[i].IsNotFound()) {
          return VtabError(&vt->base, st[i], "reading table " + vt->table);
        }
      }
    }
    if (c->rows.empty()) return SQLITE_OK;
    c->mode = StrataCursor::Mode::kList;
    SetRowFromList(c);
    return SQLITE_OK;
  }

  // A scan: bounds from the equality prefix, the range and the pattern.
  std::string prefix;
  if (eq > 0) EncodeKeyPrefix(eqv.data(), eq, nkey, &prefix);
  std::string lower = prefix;
  std::string upper;
  bool has_upper = false;
  if (eq > 0) {
    upper = PrefixSuccessor(prefix);
    has_upper = !upper.empty();
  }
  const bool last = eq == nkey - 1;
  auto tighten_upper = [&](const std::string& b) {
    if (b.empty()) return;
    if (!has_upper || b < upper) upper = b;
    has_upper = true;
  };
  if (idx & plan::kLower) {
    sqlite3_value* arg = next_arg();
    SqlValue v = arg ? WithAffinity(arg, KeyAffinity(vt, eq), &holders[eq]) : SqlValue();
    if (v.is_null()) return SQLITE_OK;
    std::string b = RangeBound(prefix, v, last,
                               (idx & plan::kLowerInclusive) ? KeyBoundOp::kGe : KeyBoundOp::kGt);
    if (b > lower) lower = b;
  }
  if (idx & plan::kUpper) {
    sqlite3_value* arg = next_arg();
    SqlValue v = arg ? WithAffinity(arg, KeyAffinity(vt, eq), &holders[eq + 1]) : SqlValue();
    if (v.is_null()) return SQLITE_OK;
    tighten_upper(RangeBound(prefix, v, last,
                             (idx & plan::kUpperInclusive) ? KeyBoundOp::kLe : KeyBoundOp::kLt));
  }
  if (idx & (plan::kGlob | plan::kLike)) {
    sqlite3_value* arg = next_arg();
    if (arg != nullptr && sqlite3_value_type(arg) == SQLITE_TEXT) {
      const bool glob = (idx & plan::kGlob) != 0;
      std::string_view pattern(reinterpret_cast<const char*>(sqlite3_value_text(arg)),
                               sqlite3_value_bytes(arg));
      std::string literal = PatternPrefix(pattern, glob);
      if (!literal.empty()) {
        const bool nocase = !glob && LikeIsCaseInsensitive(vt->db);
        std::string first = prefix + TextPrefix(nocase ? AsciiCase(literal, true) : literal, last);
        std::string past = PrefixSuccessor(
            prefix + TextPrefix(nocase ? AsciiCase(literal, false) : literal, last));
        if (first > lower) lower = std::move(first);
        tighten_upper(past);
      }
    }
  }
  if (idx & plan::kLimit) {
    sqlite3_value* arg = next_arg();
    int64_t n = arg ? sqlite3_value_int64(arg) : -1;
    c->limit = n < 0 ? -1 : n;
  }
  int64_t offset = 0;
  if (idx & plan::kOffset) {
    sqlite3_value* arg = next_arg();
    offset = arg ? std::max<int64_t>(0, sqlite3_value_int64(arg)) : 0;
  }
  if (has_upper && lower >= upper) return SQLITE_OK;
  if (c->limit == 0) return SQLITE_OK;

  c->lower = std::move(lower);
  c->upper = std::move(upper);
  c->lower_slice = Slice(c->lower);
  c->upper_slice = Slice(c->upper);
  ReadOptions ro;
  ro.snapshot = ReadSnapshot(vt);
  if (!c->lower.empty()) ro.iterate_lower_bound = &c->lower_slice;
  if (has_upper) ro.iterate_upper_bound = &c->upper_slice;
  // A scan of the whole table reads every block once: put in the block
  // cache, they would only push out the blocks that other reads come back
  // to (RocksDB and LevelDB users set fill_cache = false for such scans).
  if (c->lower.empty() && !has_upper && (idx & plan::kLimit) == 0) ro.fill_cache = false;
  // A scan of the whole range may be the first pass of a DELETE of it.
  if ((idx & (plan::kLimit | plan::kOffset)) == 0) RangeDeleteScanStart(c);
  c->iter.reset(db->NewIterator(ro));
  if (vt->tx->HasPendingWrites())
    c->iter.reset(vt->tx->batch->NewIteratorWithBase(c->iter.release(), ro));
  c->mode = StrataCursor::Mode::kIterator;
  if (c->desc) {
    c->iter->SeekToLast();
  } else {
    c->iter->SeekToFirst();
  }
  for (int64_t i = 0; i < offset && c->iter->Valid(); i++) {
    if (c->desc) {
      c->iter->Prev();
    } else {
      c->iter->Next();
    }
  }
  return SettleIterator(c);
}

int StrataNext(sqlite3_vtab_cursor* cursor) {
  StrataCursor* c = AsCursor(cursor);
  switch (c->mode) {
    case StrataCursor::Mode::kEof:
      return SQLITE_OK;
    case StrataCursor::Mode::kList:
      if (++c->row_index >= c->rows.size()) {
        c->mode = StrataCursor::Mode::kEof;
      } else {
        SetRowFromList(c);
      }
      return SQLITE_OK;
    case StrataCursor::Mode::kIterator:
      if (c->limit > 0) c->limit--;
      if (c->desc) {
        c->iter->Prev();
      } else {
        c->iter->Next();
      }
      return SettleIterator(c);
  }
  return SQLITE_OK;
}

int StrataEof(sqlite3_vtab_cursor* cursor) {
  return AsCursor(cursor)->mode == StrataCursor::Mode::kEof;
}

int StrataColumn(sqlite3_vtab_cursor* cursor, sqlite3_context* ctx, int column) {
  StrataCursor* c = AsCursor(cursor);
  StrataVtab* vt = c->vtab;
  const Schema& schema = *vt->schema;
  if (column == schema.hidden_key_column()) {
    sqlite3_result_blob64(ctx, c->key.data(), c->key.size(), SQLITE_TRANSIENT);
    return SQLITE_OK;
  }
  if (column < 0 || column >= static_cast<int>(schema.columns().size())) {
    sqlite3_result_null(ctx);
    return SQLITE_OK;
  }
  const Column& col = schema.columns()[column];
  int p = schema.key_index(column);
  if (p >= 0) {
    int rc = DecodeCurrentKey(c);
    if (rc != SQLITE_OK) return rc;
    SqlValue v = c->key_values[schema.kind() == KeyKind::kRowid ? 0 : p];
    if (v.type == SqlValue::Type::kInteger && schema.kind() != KeyKind::kRowid) {
      // The key cannot tell 1.0 from 1, nor -0.0 from 0; the row remembers. REAL affinity
      // makes every number a REAL (and, as in a native table, -0.0 reads back as 0.0).
      // INTEGER affinity turns every integral REAL into an INTEGER except -2^63 (SQLite
      // leaves the int64 extremes alone), so only that value needs the row there.
      if (col.affinity == Affinity::kReal) {
        v = SqlValue::Real(static_cast<double>(v.i));
      } else if (col.affinity != Affinity::kInteger || v.i == INT64_MIN) {
        rc = ParseCurrentRow(c);
        if (rc != SQLITE_OK) return rc;
        if (c->row.KeyColumnWasNegativeZero(p)) {
          v = SqlValue::Real(-0.0);
        } else if (c->row.KeyColumnWasReal(p)) {
          v = SqlValue::Real(static_cast<double>(v.i));
        }
      }
    }
    ResultValue(ctx, v);
    return SQLITE_OK;
  }
  int rc = ParseCurrentRow(c);
  if (rc != SQLITE_OK) return rc;
  const int j = schema.value_index(column);
  if (j < 0 || static_cast<size_t>(j) >= c->row.num_columns()) {
    sqlite3_result_null(ctx);
    return SQLITE_OK;
  }
  const SqlValue v = c->row.Column(j);
  // An UPDATE that does not change this column need not copy a large value
  // out and back in: xUpdate takes it from the stored row instead.
  if (v.is_bytes() && v.bytes.size() >= kNoChangeMinBytes && sqlite3_vtab_nochange(ctx)) {
    return SQLITE_OK;
  }
  ResultValue(ctx, v);
  return SQLITE_OK;
}

int StrataRowid(sqlite3_vtab_cursor* cursor, sqlite3_int64* rowid) {
  StrataCursor* c = AsCursor(cursor);
  int rc = DecodeCurrentKey(c);
  if (rc != SQLITE_OK) return rc;
  const SqlValue& v = c->key_values[0];
  *rowid = v.type == SqlValue::Type::kInteger ? v.i : 0;
  return SQLITE_OK;
}

}  // namespace strata
