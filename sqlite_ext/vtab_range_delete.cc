// Range deletes: a DELETE of every row of a key range, recognised as SQLite
// carries it out (a scan to the end of the range, then one xUpdate per row)
// and replaced by one range tombstone. The protocol, and why the tombstone
// deletes exactly the rows the point deletes would: RangeDeleteRun in vtab.h.
#include <atomic>
#include <cstdlib>

#include "sqlite_ext/vtab.h"

namespace strata {

namespace {

// Fewer rows keep their point tombstones: they are cheap, while a range
// tombstone is one more thing each read of the range checks until a
// compaction drops it.
constexpr uint64_t kDefaultMinRows = 32;

std::atomic<uint64_t> min_rows{kDefaultMinRows};

// Sorts after every encoded key: no key starts with the byte 0xFF
// (docs/key_encoding.md, "No tag is 00 or FF").
constexpr char kPastEveryKey[] = "\xff";

using Phase = RangeDeleteRun::Phase;

}  // namespace

uint64_t RangeDeleteMinRows() { return min_rows.load(std::memory_order_relaxed); }

void ReadRangeDeleteMinRows() {
  uint64_t n = kDefaultMinRows;
  const char* v = getenv("STRATA_RANGE_DELETE_MIN_ROWS");
  if (v != nullptr && *v != '\0') {
    char* end = nullptr;
    const unsigned long long x = strtoull(v, &end, 10);
    if (*end == '\0' && x >= 1) n = x;
  }
  min_rows.store(n, std::memory_order_relaxed);
}

void BreakRangeDeleteRun(StrataVtab* vt) {
  RangeDeleteRun& r = vt->range_delete;
  if (r.save_point && vt->txn != nullptr) vt->txn->PopSavePoint();
  r.save_point = false;
  r.phase = Phase::kNone;
  r.cursor = nullptr;
  r.rows = 0;
  r.deleted = 0;
}

void RangeDeleteScanStart(StrataCursor* c) {
  StrataVtab* vt = c->vtab;
  // Another open cursor may belong to a statement that scanned earlier and
  // deletes later: its keys would not be this scan's rows.
  if (vt->range_delete.phase != Phase::kNone || vt->open_cursors != 1) return;
  RangeDeleteRun& r = vt->range_delete;
  r.phase = Phase::kScanning;
  r.cursor = c;
  // Before the iterator takes its snapshot: a commit the scan does not see
  // is counted after it.
  r.commits = vt->store->commits.load();
}

void RangeDeleteScanDone(StrataCursor* c) {
  StrataVtab* vt = c->vtab;
  RangeDeleteRun& r = vt->range_delete;
  r.cursor = nullptr;
  if (c->rows_returned < RangeDeleteMinRows()) {
    BreakRangeDeleteRun(vt);
    return;
  }
  r.phase = Phase::kDeleting;
  r.rows = c->rows_returned;
  r.deleted = 0;
  r.lo = c->lower;  // "" when unbounded: no key is smaller
  r.hi = c->upper.empty() ? std::string(kPastEveryKey) : c->upper;
}

void RangeDeleteDelete(StrataVtab* vt, const std::string& key) {
  RangeDeleteRun& r = vt->range_delete;
  WriteBatchWithIndex* txn = vt->txn.get();
  // Strictly ascending keys are distinct ones.
  if (key < r.lo || key >= r.hi || (r.deleted > 0 && key <= r.last_key)) {
    BreakRangeDeleteRun(vt);
    txn->Delete(key);
    return;
  }
  if (r.deleted == 0) {
    r.updates_before = txn->Count();
    txn->SetSavePoint();
    r.save_point = true;
  }
  txn->Delete(key);
  r.last_key = key;
  if (++r.deleted < r.rows) return;
  // Every row of the scan is deleted. The rollback re-indexes the updates
  // before the run, so it must not cost more than the run did.
  if (vt->store->commits.load() == r.commits && r.deleted >= r.updates_before) {
    txn->RollbackToSavePoint();
    r.save_point = false;
    txn->DeleteRange(r.lo, r.hi);
    vt->store->range_deletes++;
  }
  BreakRangeDeleteRun(vt);
}

}  // namespace strata
