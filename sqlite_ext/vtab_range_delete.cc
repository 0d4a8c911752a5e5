// Range deletes: a DELETE of every row of a key range, recognised as SQLite
// carries it out (a scan to the end of the range, then one xUpdate per row)
// and replaced by one range tombstone. The protocol, and why the tombstone
// deletes exactly the rows the point deletes would: RangeDeleteRun in vtab.h.
#include <atomic>
#include <cstdlib>
#include <cstring>

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

// The deleted keys a run keeps aside: a buffer up to this size is reused.
constexpr size_t kKeepKeyBytes = 1 << 20;

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
  if (!r.keys.empty() && vt->tx->batch != nullptr) {
    for (size_t at = 0; at < r.keys.size();) {
      uint32_t n;
      memcpy(&n, r.keys.data() + at, sizeof(n));
      vt->tx->batch->Delete(Slice(r.keys.data() + at + sizeof(n), n));
      at += sizeof(n) + n;
    }
  }
  // A large run's buffer is not kept for the next one.
  if (r.keys.capacity() > kKeepKeyBytes) {
    std::string().swap(r.keys);
  } else {
    r.keys.clear();
  }
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
  // Strictly ascending keys are distinct ones.
  bool in_run = key >= r.lo && key < r.hi;
  if (in_run && r.deleted > 0) {
    uint32_t n;
    memcpy(&n, r.keys.data() + r.last_key, sizeof(n));
    in_run = Slice(key).compare(Slice(r.keys.data() + r.last_key + sizeof(n), n)) > 0;
  }
  if (!in_run) {
    BreakRangeDeleteRun(vt);
    vt->tx->batch->Delete(key);
    return;
  }
  const uint32_t n = static_cast<uint32_t>(key.size());
  r.last_key = r.keys.size();
  r.keys.append(reinterpret_cast<const char*>(&n), sizeof(n));
  r.keys.append(key);
  if (++r.deleted < r.rows) return;
  // Every row the scan returned is deleted.
  if (vt->store->commits.load() == r.commits) {
    r.keys.clear();
    vt->tx->batch->DeleteRange(r.lo, r.hi);
    vt->store->range_deletes++;
  }
  BreakRangeDeleteRun(vt);
}

}  // namespace strata
