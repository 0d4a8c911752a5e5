// xBestIndex: turns the WHERE, ORDER BY and LIMIT of a query into a plan on
// the key order (see the plan contract table in vtab.h), with costs that
// tell the planner the truth: a point get is one lookup, a bounded range a
// fraction of the table, a full scan all of it.
#include <cmath>
#include <string>

#include "sqlite_ext/vtab.h"

namespace strata {

namespace {

constexpr int kMaxEqColumns = 63;

// The key position (0-based) of a constraint's column, or -1.
int KeyPosition(const StrataVtab* vt, int column) {
  const Schema& schema = *vt->schema;
  if (schema.kind() == KeyKind::kRowid) {
    return (column == -1 || (column >= 0 && column == schema.rowid_alias())) ? 0 : -1;
  }
  if (column < 0 || column >= static_cast<int>(schema.columns().size())) return -1;
  return schema.key_index(column);
}

std::string KeyName(const StrataVtab* vt, int p) {
  const Schema& schema = *vt->schema;
  if (schema.kind() == KeyKind::kRowid) {
    return schema.rowid_alias() >= 0 ? schema.columns()[schema.rowid_alias()].name : "rowid";
  }
  return schema.columns()[schema.key_columns()[p]].name;
}

double RowEstimate(StrataVtab* vt) {
  if (vt->plans_since_estimate-- <= 0 || vt->row_estimate <= 0) {
    std::string v;
    double n = 0;
    if (vt->store->db->GetProperty("strata.estimate-num-keys", &v)) n = atof(v.c_str());
    vt->row_estimate = n < 1 ? 1 : n;
    vt->plans_since_estimate = 64;
  }
  return vt->row_estimate;
}

// A constraint strata may consume as a key lookup or bound: its comparison uses BINARY, the
// order of the keys. (Collation matters only between two TEXT values, which an integer
// rowid key never is.)
bool BinaryComparison(const StrataVtab* vt, sqlite3_index_info* info, int i) {
  if (vt->schema->kind() == KeyKind::kRowid) return true;
  const char* collation = sqlite3_vtab_collation(info, i);
  return collation == nullptr || sqlite3_stricmp(collation, "BINARY") == 0;
}

bool IsEquality(unsigned char op) {
  return op == SQLITE_INDEX_CONSTRAINT_EQ || op == SQLITE_INDEX_CONSTRAINT_IS;
}
bool IsLower(unsigned char op) {
  return op == SQLITE_INDEX_CONSTRAINT_GT || op == SQLITE_INDEX_CONSTRAINT_GE;
}
bool IsUpper(unsigned char op) {
  return op == SQLITE_INDEX_CONSTRAINT_LT || op == SQLITE_INDEX_CONSTRAINT_LE;
}

}  // namespace

int StrataBestIndex(sqlite3_vtab* vtab, sqlite3_index_info* info) {
  auto* vt = reinterpret_cast<StrataVtab*>(vtab);
  const Schema& schema = *vt->schema;
  const int nkey = KeyColumnCount(vt);
  const int hidden = schema.hidden_key_column();

  int eq_cons[kMaxEqColumns + 1];
  for (int& c : eq_cons) c = -1;
  int hidden_eq = -1;
  for (int i = 0; i < info->nConstraint; i++) {
    const auto& c = info->aConstraint[i];
    if (!c.usable || !IsEquality(c.op)) continue;
    if (hidden >= 0 && c.iColumn == hidden) {
      if (hidden_eq < 0) hidden_eq = i;
      continue;
    }
    int p = KeyPosition(vt, c.iColumn);
    // `k = 'a' COLLATE NOCASE` also holds for 'A': not one key, so left to SQLite.
    if (p >= 0 && p <= kMaxEqColumns && eq_cons[p] < 0 && BinaryComparison(vt, info, i)) {
      eq_cons[p] = i;
    }
  }
  int eq = 0;
  while (eq < nkey && eq <= kMaxEqColumns && eq_cons[eq] >= 0) eq++;

  int idx = 0;
  int argv_index = 0;
  std::string desc;
  auto use = [&](int i, bool omit) {
    info->aConstraintUsage[i].argvIndex = ++argv_index;
    info->aConstraintUsage[i].omit = omit ? 1 : 0;
  };
  const double n = RowEstimate(vt);
  double rows = n;
  double cost = n + 10;

  if (hidden_eq >= 0) {
    idx = plan::kPointGet | plan::kHiddenKey;
    use(hidden_eq, true);
    desc = std::string("point get (") + Schema::kHiddenKeyName + "=?)";
    rows = 1;
    cost = 1;
  } else if (eq == nkey) {
    idx = plan::kPointGet | (eq << plan::kEqShift);
    for (int p = 0; p < eq; p++) use(eq_cons[p], true);
    const int last = eq_cons[eq - 1];
    // The last equality as one sorted batch of keys, when it is an IN list.
    if (info->aConstraint[last].op == SQLITE_INDEX_CONSTRAINT_EQ &&
        sqlite3_vtab_in(info, last, -1) && sqlite3_vtab_in(info, last, 1)) {
      idx = (idx & ~plan::kAccessMask) | plan::kMultiGet | plan::kInList;
      // The list's length is not known here. Costed below two point gets so
      // that SQLite takes `k = a OR k = b` as this one sorted batch (rows in
      // key order, as a native table gives them) rather than a MULTI-INDEX
      // OR of point gets run in the order the terms were written.
      rows = 4;
      cost = 1.5;
    } else {
      rows = 1;
      cost = 1;
      info->idxFlags |= SQLITE_INDEX_SCAN_UNIQUE;
    }
    for (int p = 0; p < eq; p++) {
      if (p > 0) desc += " AND ";
      desc += KeyName(vt, p) + ((idx & plan::kInList) && p == eq - 1 ? " IN (...)" : "=?");
    }
    desc =
        ((idx & plan::kAccessMask) == plan::kMultiGet ? "multi-get (" : "point get (") + desc + ")";
  } else {
    // A scan, bounded by the equality prefix and a range on the next column.
    idx = (eq > 0 ? plan::kRange : plan::kFullScan) | (eq << plan::kEqShift);
    for (int p = 0; p < eq; p++) {
      use(eq_cons[p], true);
      desc += (p > 0 ? " AND " : "") + KeyName(vt, p) + "=?";
    }
    int lower = -1, upper = -1, pattern = -1;
    for (int i = 0; i < info->nConstraint; i++) {
      const auto& c = info->aConstraint[i];
      if (!c.usable || KeyPosition(vt, c.iColumn) != eq || eq >= nkey) continue;
      // A bound under another collation is not a range of the key order.
      const bool binary = (IsLower(c.op) || IsUpper(c.op)) && BinaryComparison(vt, info, i);
      if (IsLower(c.op) && lower < 0 && binary) lower = i;
      if (IsUpper(c.op) && upper < 0 && binary) upper = i;
      // A prefix range is exact only for TEXT keys (123 GLOB '12*' holds
      // for a number, which sorts elsewhere); SQLite re-checks the pattern.
      if ((c.op == SQLITE_INDEX_CONSTRAINT_GLOB || c.op == SQLITE_INDEX_CONSTRAINT_LIKE) &&
          pattern < 0 && KeyAffinity(vt, eq) == Affinity::kText) {
        pattern = i;
      }
    }
    const std::string name = eq < nkey ? KeyName(vt, eq) : "";
    if (lower >= 0) {
      idx |= plan::kLower | plan::kRange;
      if (info->aConstraint[lower].op == SQLITE_INDEX_CONSTRAINT_GE) idx |= plan::kLowerInclusive;
      use(lower, true);
      desc += (desc.empty() ? "" : " AND ") + name + ((idx & plan::kLowerInclusive) ? ">=?" : ">?");
      rows /= 4;
    }
    if (upper >= 0) {
      idx |= plan::kUpper | plan::kRange;
      if (info->aConstraint[upper].op == SQLITE_INDEX_CONSTRAINT_LE) idx |= plan::kUpperInclusive;
      use(upper, true);
      desc += (desc.empty() ? "" : " AND ") + name + ((idx & plan::kUpperInclusive) ? "<=?" : "<?");
      rows /= 4;
    }
    if (pattern >= 0) {
      const bool glob = info->aConstraint[pattern].op == SQLITE_INDEX_CONSTRAINT_GLOB;
      idx |= (glob ? plan::kGlob : plan::kLike) | plan::kRange;
      use(pattern, false);
      desc += (desc.empty() ? "" : " AND ") + name + (glob ? " GLOB ?" : " LIKE ?");
      rows /= 16;
    }
    for (int p = 0; p < eq; p++) rows /= 16;
    if ((idx & plan::kAccessMask) == plan::kRange) {
      desc = "range " + desc;
      cost = rows + 2 * std::log2(n + 1) + 2;
    } else {
      desc = "full scan";
      cost = n + 10;
    }
    if (rows < 1) rows = 1;
  }

  // ORDER BY on the key columns, after any equality-bound leading columns.
  if (info->nOrderBy > 0) {
    bool ok = true;
    const bool is_desc = info->aOrderBy[0].desc;
    int first = -1;
    for (int t = 0; t < info->nOrderBy && ok; t++) {
      const auto& o = info->aOrderBy[t];
      int p = (hidden >= 0 && o.iColumn == hidden) ? (t == 0 ? 0 : -1) : KeyPosition(vt, o.iColumn);
      if (o.desc != is_desc || p < 0) {
        ok = false;
        break;
      }
      if (t == 0) {
        if (p > eq) ok = false;
        first = p;
      } else if (p != first + t) {
        ok = false;
      }
      if (hidden >= 0 && o.iColumn == hidden && info->nOrderBy > 1) ok = false;
    }
    if (ok && (idx & plan::kAccessMask) != plan::kPointGet) {
      info->orderByConsumed = 1;
      idx |= plan::kOrdered | (is_desc ? plan::kDesc : 0);
      if (is_desc) desc += " DESC";
    } else if (ok) {
      info->orderByConsumed = 1;  // at most one row
    }
  }

  // LIMIT and OFFSET, only when every WHERE term is handled here.
  bool all_handled = true;
  int limit = -1, offset = -1;
  for (int i = 0; i < info->nConstraint; i++) {
    const auto& c = info->aConstraint[i];
    if (c.op == SQLITE_INDEX_CONSTRAINT_LIMIT) {
      limit = i;
    } else if (c.op == SQLITE_INDEX_CONSTRAINT_OFFSET) {
      offset = i;
    } else if (!info->aConstraintUsage[i].omit) {
      all_handled = false;
    }
  }
  const int access = idx & plan::kAccessMask;
  if (all_handled && (access == plan::kFullScan || access == plan::kRange) &&
      (info->nOrderBy == 0 || info->orderByConsumed)) {
    if (limit >= 0 && info->aConstraint[limit].usable) {
      idx |= plan::kLimit;
      use(limit, true);
      desc += " LIMIT ?";
    }
    if (offset >= 0 && info->aConstraint[offset].usable && (idx & plan::kLimit)) {
      idx |= plan::kOffset;
      use(offset, true);
      desc += " OFFSET ?";
    }
  }

  info->idxNum = idx;
  info->idxStr = sqlite3_mprintf("strata: %s", desc.c_str());
  info->needToFreeIdxStr = 1;
  info->estimatedCost = cost;
  info->estimatedRows = static_cast<sqlite3_int64>(rows);
  return SQLITE_OK;
}

}  // namespace strata
