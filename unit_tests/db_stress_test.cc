// Concurrency stress of the engine through its public API: one writer, several
// readers holding many cursors, and a maintenance thread calling Flush,
// CompactRange, GetProperty, Verify and Checkpoint, all on one store with tiny
// memtables and files, so flushes and multi-level compactions never stop.
// Everything read is checked against a model, exactly.
//
// The model. Every write (a Put, Delete, DeleteRange, WriteBatch,
// WriteBatchWithIndex or bulk load) gets the next generation number g, and
// every value it writes encodes (key, g, slot), slot being the update's index
// in its batch, so a value names the one write that produced it. The writer
// keeps, per key, the history of what each write left there (a value or
// nothing). Before calling the engine it appends write g to the history and
// raises `pending` to g; after the call returns it raises `committed` to g.
// Version v of the store is the state after writes 1..v.
//
// The checks. A read is one point in time (DB::Get, MultiGet and an iterator
// each read one implicit snapshot), so everything one read observed must be
// version v of the model for a single v, with committed-before-the-read <= v
// <= pending-after-it-started. Each read's observations (a value, or "absent"
// for every key the read covered without finding it: the keys a scan stepped
// over, keys a Get did not find) are intersected key by key into the set of
// versions that explain them; an empty set is a failure, reported with the
// key, what was read, the key's history and the seed. From this follow:
//   - no lost, phantom or resurrected key, no stale or future value;
//   - a batch is never seen half-applied (no single version explains it);
//   - a reader never goes back in time: its next read starts at least at the
//     oldest version that explained its previous one;
//   - reads through a snapshot taken right after write g see version g
//     exactly, however long they are held across flushes and compactions;
//   - iterators respect their bounds, return keys strictly in order both
//     ways, and agree with themselves after a change of direction;
//   - a bulk load (1100 keys in one WriteBatchWithIndex, ingested into table
//     files when its key range is empty) is visible all at once or not at all;
//   - a checkpoint taken during the run opens as a store holding one version
//     in its window; after the run the store, and the store reopened, hold
//     exactly the last version.
//
// Environment:
//   STRATA_STRESS_SECONDS=<s>  run time of each test (default 2, a few seconds
//                              in all); `make stress` runs long.
//   STRATA_SEED=<n>            the seed (default: from the clock). Thread
//                              interleavings differ from run to run, so a
//                              seed reproduces the operations, not the timing.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "strata/db.h"
#include "strata/write_batch.h"
#include "strata/write_batch_with_index.h"
#include "unit_tests/test_util.h"

namespace strata {
namespace {

double StressSeconds(double default_seconds) {
  const char* s = getenv("STRATA_STRESS_SECONDS");
  if (s == nullptr || *s == '\0') return default_seconds;
  return std::max(0.1, atof(s));
}

// ---- the key universe ------------------------------------------------------
//
// Regular keys "k000000".."k001999", written one by one, in batches and by
// range deletions; then bulk-load ranges, load L holding the kLoadKeys keys
// "zLLLLLL.IIIII", written and deleted only as a whole. Every key has a
// position in key order (its "fine" position); the model tracks each regular
// key and each load (as a whole) by a "model index".
constexpr int64_t kNumKeys = 2000;
constexpr int64_t kHotKeys = 64;  // half of the single-key writes go here
constexpr int64_t kLoadKeys = 1100;
constexpr int64_t kMaxLoads = 1000;
constexpr size_t kLoadValueSize = 960;  // 1100 of them pass the 1 MiB bulk threshold
constexpr int64_t kFineCount = kNumKeys + kMaxLoads * kLoadKeys;
constexpr int kModelKeys = static_cast<int>(kNumKeys + kMaxLoads);

std::string RegularKey(int64_t r) {
  char buf[32];
  snprintf(buf, sizeof(buf), "k%06" PRId64, r);
  return buf;
}
std::string LoadKey(int64_t load, int64_t i) {
  char buf[48];
  snprintf(buf, sizeof(buf), "z%06" PRId64 ".%05" PRId64, load, i);
  return buf;
}
std::string FineKey(int64_t p) {
  if (p < kNumKeys) return RegularKey(p);
  return LoadKey((p - kNumKeys) / kLoadKeys, (p - kNumKeys) % kLoadKeys);
}
int ModelIndexOfFine(int64_t p) {
  return p < kNumKeys ? static_cast<int>(p)
                      : static_cast<int>(kNumKeys + (p - kNumKeys) / kLoadKeys);
}
std::string ModelKeyName(int m) {
  return m < kNumKeys ? RegularKey(m) : "load " + std::to_string(m - kNumKeys);
}
// The first fine position whose key is >= s (or > s when strict).
int64_t FineBound(const Slice& s, bool strict) {
  int64_t lo = 0, hi = kFineCount;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    const int c = Slice(FineKey(mid)).compare(s);
    if (c < 0 || (strict && c == 0)) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}
// The fine position of a key of the universe; false for any other string.
bool ParseFine(const Slice& key, int64_t* p) {
  std::string_view k = key.view();
  auto digits = [&k](size_t from, size_t n, int64_t* out) {
    if (k.size() < from + n) return false;
    *out = 0;
    for (size_t i = from; i < from + n; i++) {
      if (k[i] < '0' || k[i] > '9') return false;
      *out = *out * 10 + (k[i] - '0');
    }
    return true;
  };
  int64_t a, b;
  if (k.size() == 7 && k[0] == 'k' && digits(1, 6, &a) && a < kNumKeys) {
    *p = a;
    return true;
  }
  if (k.size() == 13 && k[0] == 'z' && k[7] == '.' && digits(1, 6, &a) && digits(8, 5, &b) &&
      a < kMaxLoads && b < kLoadKeys) {
    *p = kNumKeys + a * kLoadKeys + b;
    return true;
  }
  return false;
}

uint64_t Mix(uint64_t x) {  // splitmix64
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// A regular key's value: "<key>/<gen>/<slot>/" and 0-89 bytes of padding
// derived from all three; a load key's: "<key>/<gen>/" padded to
// kLoadValueSize.
std::string EncodeValue(int64_t p, uint64_t gen, int32_t slot) {
  std::string v = FineKey(p) + "/" + std::to_string(gen) + "/";
  uint64_t h = Mix(static_cast<uint64_t>(p) * 1000003 ^ Mix(gen) ^ static_cast<uint64_t>(slot));
  size_t len;
  if (p < kNumKeys) {
    v += std::to_string(slot) + "/";
    len = v.size() + h % 90;
  } else {
    len = kLoadValueSize;
  }
  while (v.size() < len) {
    h = Mix(h);
    v.push_back(static_cast<char>('a' + h % 26));
  }
  return v;
}
// The (gen, slot) a value encodes, if it is exactly what EncodeValue would
// write for key p.
bool DecodeValue(int64_t p, const Slice& value, uint64_t* gen, int32_t* slot) {
  const std::string key = FineKey(p);
  std::string_view v = value.view();
  if (v.size() < key.size() + 2 || v.substr(0, key.size()) != key || v[key.size()] != '/') {
    return false;
  }
  size_t i = key.size() + 1;
  auto number = [&](uint64_t* out) {
    if (i >= v.size() || v[i] < '0' || v[i] > '9') return false;
    uint64_t n = 0;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9' && n < (uint64_t{1} << 58)) {
      n = n * 10 + static_cast<uint64_t>(v[i++] - '0');
    }
    if (i >= v.size() || v[i] != '/') return false;
    i++;
    *out = n;
    return true;
  };
  uint64_t s = 0;
  if (!number(gen)) return false;
  if (p < kNumKeys && (!number(&s) || s > 100000)) return false;
  *slot = static_cast<int32_t>(s);
  return value == Slice(EncodeValue(p, *gen, *slot));
}

std::string Printable(const Slice& s) {
  std::string r;
  for (size_t i = 0; i < s.size() && i < 40; i++) {
    const unsigned char ch = static_cast<unsigned char>(s.data()[i]);
    if (ch >= 32 && ch < 127) {
      r.push_back(static_cast<char>(ch));
    } else {
      char buf[8];
      snprintf(buf, sizeof(buf), "\\x%02x", ch);
      r += buf;
    }
  }
  if (s.size() > 40) r += "...(" + std::to_string(s.size()) + " bytes)";
  return r;
}

// ---- observations and the model -------------------------------------------

// What a write left at a key: slot >= 0 a value, -1 nothing.
struct Event {
  uint64_t gen;
  int32_t slot;
};

// What a read saw for one model key.
struct Obs {
  bool present = false;
  uint64_t gen = 0;
  int32_t slot = 0;
  bool operator==(const Obs&) const = default;
};
std::string ShowObs(const Obs& o) {
  if (!o.present) return "absent";
  return "value of write " + std::to_string(o.gen) + " slot " + std::to_string(o.slot);
}

// The observations of one read (one point in time), merged key by key: two
// answers for one key are a failure on their own.
class Observations {
 public:
  // Key p (a fine position) holds `value`, or nothing when value is null.
  bool Point(int64_t p, const Slice* value, std::string* error) {
    Obs o;
    if (value != nullptr) {
      if (!DecodeValue(p, *value, &o.gen, &o.slot)) {
        *error = "key " + FineKey(p) + " holds a value no write produced: " + Printable(*value);
        return false;
      }
      o.present = true;
    }
    return Merge(ModelIndexOfFine(p), o, error);
  }

  // Every key in fine positions [b, e) was covered by a scan, which found
  // exactly `seen` (ascending, inside [b, e)): the others are absent. A load
  // must be found entirely (within [b, e)) or not at all.
  bool Range(int64_t b, int64_t e, const std::vector<std::pair<int64_t, std::string>>& seen,
             std::string* error) {
    if (b >= e) return true;
    size_t si = 0;
    for (int64_t p = b; p < std::min(e, kNumKeys); p++) {
      Slice v;
      const bool found = si < seen.size() && seen[si].first == p;
      if (found) v = seen[si++].second;
      if (!Point(p, found ? &v : nullptr, error)) return false;
    }
    if (e <= kNumKeys) return true;
    const int64_t first_load = (std::max(b, kNumKeys) - kNumKeys) / kLoadKeys;
    const int64_t last_load = (e - 1 - kNumKeys) / kLoadKeys;
    for (int64_t load = first_load; load <= last_load; load++) {
      const int64_t lb = std::max(b, kNumKeys + load * kLoadKeys);
      const int64_t le = std::min(e, kNumKeys + (load + 1) * kLoadKeys);
      int64_t found = 0;
      Obs o;
      for (; si < seen.size() && seen[si].first < le; si++) {
        Obs k;
        if (!DecodeValue(seen[si].first, seen[si].second, &k.gen, &k.slot)) {
          *error = "key " + FineKey(seen[si].first) +
                   " holds a value no write produced: " + Printable(seen[si].second);
          return false;
        }
        k.present = true;
        if (found > 0 && !(k == o)) {
          *error = "load " + std::to_string(load) + " mixes values of writes " +
                   std::to_string(o.gen) + " and " + std::to_string(k.gen) + " (at key " +
                   FineKey(seen[si].first) + ")";
          return false;
        }
        o = k;
        found++;
      }
      if (found != 0 && found != le - lb) {
        *error = "load " + std::to_string(load) + " is half visible: " + std::to_string(found) +
                 " of the " + std::to_string(le - lb) + " keys the scan covered (" + FineKey(lb) +
                 " to " + FineKey(le - 1) + ")";
        return false;
      }
      if (!Merge(static_cast<int>(kNumKeys + load), o, error)) return false;
    }
    return true;
  }

  const std::map<int, Obs>& map() const { return map_; }
  bool empty() const { return map_.empty(); }

 private:
  bool Merge(int m, const Obs& o, std::string* error) {
    auto [it, inserted] = map_.emplace(m, o);
    if (!inserted && !(it->second == o)) {
      *error = "one read gave two answers for " + ModelKeyName(m) + ": " + ShowObs(it->second) +
               ", then " + ShowObs(o);
      return false;
    }
    return true;
  }

  std::map<int, Obs> map_;
};

using Interval = std::pair<uint64_t, uint64_t>;  // inclusive

std::string ShowIntervals(const std::vector<Interval>& list) {
  std::string r;
  for (size_t i = 0; i < list.size() && i < 8; i++) {
    r += (i ? " " : "") + std::string("[") + std::to_string(list[i].first) + "," +
         std::to_string(list[i].second) + "]";
  }
  if (list.size() > 8) r += " ...";
  return r.empty() ? "(none)" : r;
}

std::vector<Interval> Intersect(const std::vector<Interval>& a, const std::vector<Interval>& b) {
  std::vector<Interval> r;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const uint64_t lo = std::max(a[i].first, b[j].first);
    const uint64_t hi = std::min(a[i].second, b[j].second);
    if (lo <= hi) r.emplace_back(lo, hi);
    if (a[i].second < b[j].second) {
      i++;
    } else {
      j++;
    }
  }
  return r;
}

// The versions in [lo, hi] at which a key with history `ev` matches o.
std::vector<Interval> Allowed(const std::vector<Event>& ev, const Obs& o, uint64_t lo,
                              uint64_t hi) {
  std::vector<Interval> out;
  auto it = std::upper_bound(ev.begin(), ev.end(), lo,
                             [](uint64_t v, const Event& e) { return v < e.gen; });
  ptrdiff_t j = (it - ev.begin()) - 1;  // the event in force at lo; -1: none yet
  const ptrdiff_t n = static_cast<ptrdiff_t>(ev.size());
  for (;; j++) {
    const uint64_t start = j < 0 ? 0 : ev[j].gen;
    if (start > hi) break;
    const uint64_t end = j + 1 < n ? ev[j + 1].gen - 1 : UINT64_MAX;
    bool match;
    if (j < 0 || ev[j].slot < 0) {
      match = !o.present;
    } else {
      match = o.present && ev[j].gen == o.gen && ev[j].slot == o.slot;
    }
    const uint64_t a = std::max(start, lo), b = std::min(end, hi);
    if (match && a <= b) {
      if (!out.empty() && out.back().second + 1 == a) {
        out.back().second = b;
      } else {
        out.emplace_back(a, b);
      }
    }
    if (j + 1 >= n) break;
  }
  return out;
}

std::string ShowHistory(const std::vector<Event>& ev, uint64_t lo, uint64_t hi) {
  // The event in force at lo and everything up to a little past hi.
  auto it = std::upper_bound(ev.begin(), ev.end(), lo,
                             [](uint64_t v, const Event& e) { return v < e.gen; });
  size_t j = it == ev.begin() ? 0 : static_cast<size_t>(it - ev.begin()) - 1;
  if (j >= 3) j -= 3;
  std::string r = j > 0 ? "... " : "";
  int shown = 0;
  for (; j < ev.size() && shown < 16; j++, shown++) {
    r += std::to_string(ev[j].gen) +
         (ev[j].slot < 0 ? ":del " : ":put/" + std::to_string(ev[j].slot) + " ");
    if (ev[j].gen > hi) break;
  }
  if (j + 1 < ev.size()) r += "...";
  return r.empty() ? "(never written)" : r;
}

// A snapshot taken right after write `gen` returned. It pins the model
// history it needs (see Pin) and is released when the last holder drops it.
class StressTest;
struct SnapHandle {
  SnapHandle(StressTest* t, const Snapshot* s, uint64_t g) : test(t), snapshot(s), gen(g) {}
  ~SnapHandle();
  StressTest* test;
  const Snapshot* snapshot;
  uint64_t gen;
};

struct StressConfig {
  const char* name;
  int bloom_bits;
  size_t cache_bytes;
  int max_open_files;
  int restart_interval;
  int max_immutable_memtables;
};

const StressConfig kConfigs[] = {
    {"tiny", 10, 256 << 10, 16, 16, 2},
    {"tiny_nobloom", 0, 64 << 10, 1000, 2, 1},
};

// ---- the run -----------------------------------------------------------------

class StressTest {
 public:
  StressTest(const StressConfig& config, uint64_t seed, const std::string& dir)
      : config_(config), seed_(seed), dir_(dir), hist_(kModelKeys) {
    options_.write_buffer_size = 64 << 10;
    options_.target_file_size = 64 << 10;
    options_.max_bytes_for_level_base = 64 << 10;
    options_.level_size_multiplier = 4;
    options_.l0_compaction_trigger = 2;
    options_.block_size = 1024;
    options_.bloom_bits_per_key = config.bloom_bits;
    options_.block_cache = NewLRUCache(config.cache_bytes);
    options_.max_open_files = config.max_open_files;
    options_.block_restart_interval = config.restart_interval;
    options_.max_immutable_memtables = config.max_immutable_memtables;
  }

  void Run(double seconds, int readers) {
    Status s = DB::Open(options_, dir_ + "/db", &db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
    const auto start = std::chrono::steady_clock::now();
    deadline_ = start + std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
    // At most about 50 bulk loads per run: see Writer().
    load_interval_ =
        std::chrono::milliseconds(std::max<int64_t>(700, static_cast<int64_t>(seconds * 20)));
    std::vector<std::thread> threads;
    threads.emplace_back([this] { Writer(); });
    for (int i = 0; i < readers; i++) threads.emplace_back([this, i] { Reader(i); });
    threads.emplace_back([this] { Admin(); });
    {
      std::unique_lock<std::mutex> l(stop_mu_);
      stop_cv_.wait_until(l, deadline_, [this] { return stop_.load(); });
    }
    stop_.store(true);
    for (auto& t : threads) t.join();
    {
      std::unique_lock<std::shared_mutex> l(mu_);
      for (auto& r : ring_) r.reset();
    }
    std::string stats, levels;
    db_->GetProperty("strata.stats", &stats);
    db_->GetProperty("strata.levels", &levels);
    if (!failed_.load()) FinalChecks();
    printf("[ stress %s ] %.1fs seed %" PRIu64 ": %" PRIu64 " writes (%d loads), %" PRIu64
           " point reads, %" PRIu64 " cursors, %" PRIu64 " snapshot reads, %" PRIu64
           " checkpoints, %" PRIu64 " manual compactions\n  stats %s\n",
           config_.name,
           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), seed_,
           committed_.load(), loads_started_.load(), point_reads_.load(), cursors_.load(),
           snapshot_reads_.load(), checkpoints_.load(), compactions_.load(), stats.c_str());
    if (failed_.load()) printf("%s", levels.c_str());
    db_.reset();
  }

  void Unpin(uint64_t gen) {
    std::lock_guard<std::mutex> l(pin_mu_);
    pins_.erase(pins_.find(gen));
  }
  DB* db() { return db_.get(); }

 private:
  // ---- failures

  void Fail(const std::string& what) {
    std::lock_guard<std::mutex> l(fail_mu_);
    if (failures_++ < 3) {
      ADD_FAILURE() << "[" << config_.name << "] " << what << "\n  (seed " << seed_
                    << ": STRATA_SEED=" << seed_ << " repeats the operations, not the timing)";
    }
    failed_.store(true);
    std::lock_guard<std::mutex> s(stop_mu_);
    stop_.store(true);
    stop_cv_.notify_all();
  }
  bool Stopping() const { return stop_.load(std::memory_order_relaxed); }

  // ---- the model

  // The last committed version, pinned: the history it needs is kept until
  // Unpin. Called before a read starts.
  uint64_t PinCommitted() {
    std::shared_lock<std::shared_mutex> l(mu_);
    const uint64_t v = committed_.load();
    std::lock_guard<std::mutex> p(pin_mu_);
    pins_.insert(v);
    return v;
  }

  // Some version in [lo, hi] explains every observation: true, and the
  // smallest such version in *first. Otherwise false and *why says which key
  // ruled out the last candidates.
  bool Explain(const Observations& obs, uint64_t lo, uint64_t hi, uint64_t* first,
               std::string* why) {
    std::shared_lock<std::shared_mutex> l(mu_);
    std::vector<Interval> cand = {{lo, hi}};
    for (const auto& [m, o] : obs.map()) {
      std::vector<Interval> next = Intersect(cand, Allowed(hist_[m], o, lo, hi));
      if (next.empty()) {
        *why = "no version in [" + std::to_string(lo) + "," + std::to_string(hi) +
               "] explains the read: " + ModelKeyName(m) + " was read as " + ShowObs(o) +
               "; versions still possible before it: " + ShowIntervals(cand) +
               "; its history (write:what): " + ShowHistory(hist_[m], lo, hi);
        return false;
      }
      cand = std::move(next);
    }
    *first = cand.front().first;
    return true;
  }

  // Appends write `gen` (its effect on each key it touched) to the model and
  // raises pending. Prunes history no pinned read can need now and then.
  void Record(uint64_t gen, const std::map<int, int32_t>& effect) {
    std::unique_lock<std::shared_mutex> l(mu_);
    for (const auto& [m, slot] : effect) hist_[m].push_back(Event{gen, slot});
    pending_.store(gen);
    if (gen % 4096 == 0) {
      uint64_t floor = committed_.load();
      {
        std::lock_guard<std::mutex> p(pin_mu_);
        if (!pins_.empty()) floor = std::min(floor, *pins_.begin());
      }
      // Keep the event in force at floor and everything after it.
      for (auto& ev : hist_) {
        auto it = std::upper_bound(ev.begin(), ev.end(), floor,
                                   [](uint64_t v, const Event& e) { return v < e.gen; });
        if (it - ev.begin() > 1) ev.erase(ev.begin(), it - 1);
      }
    }
  }

  // ---- the writer

  int64_t PickRegular(Random* rnd) {
    return rnd->OneIn(2) ? static_cast<int64_t>(rnd->Uniform(kHotKeys)) * (kNumKeys / kHotKeys)
                         : static_cast<int64_t>(rnd->Uniform(kNumKeys));
  }

  // A range-deletion bound in the regular key space: a key, a prefix of one,
  // or a string between two keys.
  std::string RangeBound(Random* rnd, int64_t r) {
    std::string k = RegularKey(std::min(r, kNumKeys - 1));
    if (r >= kNumKeys) return "k9";
    switch (rnd->Uniform(4)) {
      case 0:
        return k + "\x01";
      case 1:
        return k.substr(0, 6);  // before all keys k.....0-9
      default:
        return k;
    }
  }

  // The regular keys in [begin, end) (model indexes).
  static void DeleteRangeEffect(const std::string& begin, const std::string& end,
                                std::map<int, int32_t>* effect) {
    if (Slice(begin).compare(Slice(end)) >= 0) return;
    const int64_t b = FineBound(begin, false), e = FineBound(end, false);
    for (int64_t p = b; p < e; p++) (*effect)[ModelIndexOfFine(p)] = -1;
  }

  void Writer() {
    Random rnd(seed_);
    uint64_t gen = 0;
    auto last_load = std::chrono::steady_clock::now();
    int next_load = 0;
    while (!Stopping()) {
      gen++;
      std::map<int, int32_t> effect;
      WriteOptions wo;
      wo.sync = rnd.OneIn(200);
      std::string what;
      Status s;
      const auto now = std::chrono::steady_clock::now();
      if (next_load < kMaxLoads && now - last_load > load_interval_) {
        // A bulk load into a fresh range past every key, then the deletion
        // of an older one (as its own write) now and then: by one range
        // deletion, or by a batch deleting each key. (Dead load data under a
        // range deletion can stay in the bottom level for good when a
        // snapshot was held while they met there; long runs would then scan
        // through hundreds of MB of it, hence point deletions mostly, and
        // few loads.)
        last_load = now;
        if (rnd.OneIn(2)) {
          s = db_->Flush(FlushOptions());  // empty memtables: the load can be ingested
          if (!s.ok()) {
            Fail("Flush before a bulk load: " + s.ToString());
            break;
          }
        }
        const int load = next_load++;
        loads_started_.store(next_load);
        WriteBatchWithIndex wb;
        std::vector<int64_t> order(kLoadKeys);
        for (int64_t i = 0; i < kLoadKeys; i++) order[i] = i;
        for (int64_t i = kLoadKeys - 1; i > 0; i--) std::swap(order[i], order[rnd.Uniform(i + 1)]);
        for (int64_t i : order) {
          const int64_t p = kNumKeys + load * kLoadKeys + i;
          wb.Put(FineKey(p), EncodeValue(p, gen, 0));
        }
        effect[static_cast<int>(kNumKeys + load)] = 0;
        Record(gen, effect);
        s = db_->Write(wo, &wb);
        what = "bulk load " + std::to_string(load);
        if (s.ok()) committed_.store(gen);
        if (s.ok() && load >= 3 && !rnd.OneIn(4)) {
          gen++;
          effect.clear();
          const int old = load - 3;
          effect[static_cast<int>(kNumKeys + old)] = -1;
          Record(gen, effect);
          if (rnd.OneIn(4)) {
            s = db_->DeleteRange(wo, LoadKey(old, 0), LoadKey(old + 1, 0));
            what = "range deletion of load " + std::to_string(old);
          } else {
            WriteBatch batch;
            for (int64_t i = 0; i < kLoadKeys; i++) batch.Delete(LoadKey(old, i));
            s = db_->Write(wo, &batch);
            what = "deletion of load " + std::to_string(old) + ", key by key";
          }
        }
      } else {
        const uint64_t kind = rnd.Uniform(100);
        if (kind < 25) {
          const int64_t r = PickRegular(&rnd);
          effect[static_cast<int>(r)] = 0;
          Record(gen, effect);
          s = db_->Put(wo, RegularKey(r), EncodeValue(r, gen, 0));
          what = "Put";
        } else if (kind < 40) {
          const int64_t r = PickRegular(&rnd);
          effect[static_cast<int>(r)] = -1;
          Record(gen, effect);
          s = db_->Delete(wo, RegularKey(r));
          what = "Delete";
        } else if (kind < 45) {
          const int64_t a = static_cast<int64_t>(rnd.Uniform(kNumKeys));
          const int64_t b = a + static_cast<int64_t>(rnd.Skewed(7)) - (rnd.OneIn(20) ? 3 : 0);
          const std::string begin = RangeBound(&rnd, a), end = RangeBound(&rnd, b);
          DeleteRangeEffect(begin, end, &effect);  // an empty or inverted range deletes nothing
          Record(gen, effect);
          s = db_->DeleteRange(wo, begin, end);
          what = "DeleteRange";
        } else {
          // A batch, sometimes through a WriteBatchWithIndex, sometimes a
          // wide one over a run of keys (one write for all of them).
          const bool indexed = kind >= 90;
          const bool wide = kind >= 85 && kind < 90;
          WriteBatch batch;
          WriteBatchWithIndex wbwi;
          const int n = wide ? 100 + static_cast<int>(rnd.Uniform(200))
                             : 2 + static_cast<int>(rnd.Uniform(30));
          const int64_t base = static_cast<int64_t>(rnd.Uniform(kNumKeys));
          for (int slot = 0; slot < n; slot++) {
            const uint64_t op = rnd.Uniform(100);
            const int64_t r = wide ? (base + slot) % kNumKeys : PickRegular(&rnd);
            if (op < 65 || wide) {
              const std::string v = EncodeValue(r, gen, slot);
              indexed ? wbwi.Put(RegularKey(r), v) : batch.Put(RegularKey(r), v);
              effect[static_cast<int>(r)] = slot;
            } else if (op < 93) {
              indexed ? wbwi.Delete(RegularKey(r)) : batch.Delete(RegularKey(r));
              effect[static_cast<int>(r)] = -1;
            } else {
              const std::string begin = RangeBound(&rnd, r);
              const std::string end = RangeBound(&rnd, r + 1 + static_cast<int64_t>(rnd.Skewed(5)));
              if (Slice(begin).compare(Slice(end)) >= 0) continue;
              indexed ? wbwi.DeleteRange(begin, end) : batch.DeleteRange(begin, end);
              DeleteRangeEffect(begin, end, &effect);
            }
          }
          Record(gen, effect);
          s = indexed ? db_->Write(wo, &wbwi) : db_->Write(wo, &batch);
          what = indexed ? "Write(WriteBatchWithIndex)"
                 : wide  ? "Write(wide batch)"
                         : "Write(batch)";
        }
      }
      if (!s.ok()) {
        Fail("write " + std::to_string(gen) + " (" + what + ") failed: " + s.ToString());
        break;
      }
      committed_.store(gen);
      if (rnd.OneIn(16)) {
        // A snapshot of exactly version gen: no other writer exists.
        auto h = std::make_shared<SnapHandle>(this, db_->GetSnapshot(), gen);
        std::shared_ptr<SnapHandle> old;
        {
          std::lock_guard<std::mutex> p(pin_mu_);
          pins_.insert(gen);
        }
        const size_t slot = rnd.Uniform(ring_.size());
        std::unique_lock<std::shared_mutex> l(mu_);
        old = std::move(ring_[slot]);
        ring_[slot] = std::move(h);
        l.unlock();
        old.reset();  // releases the snapshot unless a reader holds it
      }
    }
  }

  // ---- readers

  std::shared_ptr<SnapHandle> RingSnapshot(Random* rnd) {
    std::shared_lock<std::shared_mutex> l(mu_);
    return ring_[rnd->Uniform(ring_.size())];
  }

  // A key to read: mostly regular, sometimes one of a recent load.
  int64_t PickFine(Random* rnd) {
    if (rnd->OneIn(8)) {
      const int64_t loads = loads_started_.load();
      const int64_t load = std::max<int64_t>(0, loads - 1 - static_cast<int64_t>(rnd->Uniform(6)));
      return kNumKeys + load * kLoadKeys + static_cast<int64_t>(rnd->Uniform(kLoadKeys));
    }
    return PickRegular(rnd);
  }

  // A seek target or iterator bound: a key, or a string next to one, or an
  // extreme.
  std::string PickTarget(Random* rnd) {
    switch (rnd->Uniform(10)) {
      case 0:
        return "";
      case 1: {
        static const char* kExtremes[] = {"a", "k", "k9", "l", "z", "z9", "\xff\xff"};
        return kExtremes[rnd->Uniform(7)];
      }
      case 2:
        return FineKey(PickFine(rnd)) + "\x01";
      case 3: {
        std::string k = FineKey(PickFine(rnd));
        return k.substr(0, k.size() - 1 - rnd->Uniform(3));
      }
      default:
        return FineKey(PickFine(rnd));
    }
  }

  // One reader's view for the monotonic check: the oldest version that
  // explained its latest read without a snapshot.
  struct ReaderState {
    explicit ReaderState(uint64_t seed) : rnd(seed) {}
    Random rnd;
    uint64_t floor = 0;
    std::shared_ptr<SnapHandle> held;  // a snapshot kept across many reads
  };

  // Checks one read made at version lo..hi (or exactly at the snapshot),
  // started when the reader's floor was `floor`.
  void Check(ReaderState* st, const Observations& obs, uint64_t lo, uint64_t hi, uint64_t floor,
             bool snapshot, const std::string& what) {
    uint64_t first = 0;
    std::string why;
    const uint64_t from = snapshot ? lo : std::max(lo, floor);
    if (!Explain(obs, from, hi, &first, &why)) {
      Fail(what +
           (snapshot ? " (snapshot of version " + std::to_string(lo) + ")"
                     : " (committed " + std::to_string(lo) + " before it, the reader's " +
                           "earlier reads at version >= " + std::to_string(floor) + ", pending " +
                           std::to_string(hi) + " after it)") +
           ": " + why);
      return;
    }
    if (!snapshot) st->floor = std::max(st->floor, first);
  }

  void PointRead(ReaderState* st) {
    Random& rnd = st->rnd;
    std::shared_ptr<SnapHandle> snap;
    if (rnd.OneIn(3)) snap = rnd.OneIn(2) && st->held ? st->held : RingSnapshot(&rnd);
    ReadOptions ro;
    ro.verify_checksums = !rnd.OneIn(4);
    ro.fill_cache = !rnd.OneIn(4);
    uint64_t lo, hi = 0;
    if (snap) {
      ro.snapshot = snap->snapshot;
      lo = hi = snap->gen;
      snapshot_reads_.fetch_add(1, std::memory_order_relaxed);
    } else {
      lo = PinCommitted();
    }
    Observations obs;
    std::string error, what;
    if (rnd.OneIn(3)) {
      // MultiGet: sorted or not, duplicates allowed, keys of one load together.
      std::vector<int64_t> fine(1 + rnd.Uniform(24));
      for (size_t i = 0; i < fine.size(); i++) {
        if (i > 0 && rnd.OneIn(5)) {
          fine[i] = fine[rnd.Uniform(i)];
        } else if (i > 0 && fine[i - 1] >= kNumKeys && rnd.OneIn(2)) {
          // another key of the same load
          const int64_t load_start = fine[i - 1] - (fine[i - 1] - kNumKeys) % kLoadKeys;
          fine[i] = load_start + static_cast<int64_t>(rnd.Uniform(kLoadKeys));
        } else {
          fine[i] = PickFine(&rnd);
        }
      }
      std::vector<std::string> keys(fine.size());
      for (size_t i = 0; i < fine.size(); i++) keys[i] = FineKey(fine[i]);
      if (rnd.OneIn(2)) {
        std::vector<size_t> idx(keys.size());
        for (size_t i = 0; i < idx.size(); i++) idx[i] = i;
        std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return fine[a] < fine[b]; });
        std::vector<std::string> k2;
        std::vector<int64_t> f2;
        for (size_t i : idx) {
          k2.push_back(keys[i]);
          f2.push_back(fine[i]);
        }
        keys.swap(k2);
        fine.swap(f2);
      }
      std::vector<Slice> slices(keys.begin(), keys.end());
      std::vector<std::string> values;
      std::vector<Status> statuses = db_->MultiGet(ro, slices, &values);
      if (!snap) hi = pending_.load();
      what = "MultiGet of " + std::to_string(keys.size()) + " keys";
      if (statuses.size() != keys.size() || values.size() != keys.size()) {
        Fail(what + " returned " + std::to_string(statuses.size()) + " statuses");
      }
      for (size_t i = 0; i < keys.size() && !failed_.load(); i++) {
        if (!statuses[i].ok() && !statuses[i].IsNotFound()) {
          Fail(what + ": " + keys[i] + ": " + statuses[i].ToString());
          break;
        }
        Slice v(values[i]);
        if (!obs.Point(fine[i], statuses[i].ok() ? &v : nullptr, &error)) {
          Fail(what + ": " + error);
          break;
        }
      }
    } else {
      const int64_t p = PickFine(&rnd);
      std::string value;
      Status s = db_->Get(ro, FineKey(p), &value);
      if (!snap) hi = pending_.load();
      what = "Get(" + FineKey(p) + ")";
      if (!s.ok() && !s.IsNotFound()) {
        Fail(what + ": " + s.ToString());
      } else {
        Slice v(value);
        if (!obs.Point(p, s.ok() ? &v : nullptr, &error)) Fail(what + ": " + error);
      }
    }
    if (!failed_.load()) Check(st, obs, lo, hi, st->floor, snap != nullptr, what);
    if (!snap) Unpin(lo);
    point_reads_.fetch_add(1, std::memory_order_relaxed);
  }

  // An open iterator with what it has observed so far, read in segments: a
  // run of Next() from a seek (or from a change of direction), or of Prev().
  struct Cursor {
    std::unique_ptr<Iterator> it;
    bool has_lower = false, has_upper = false;
    std::string lower, upper;
    Slice lower_slice, upper_slice;
    int64_t vis_lo = 0, vis_hi = kFineCount;  // the fine positions the bounds let through
    uint64_t lo = 0, hi = 0;
    uint64_t floor = 0;  // the reader's floor when the iterator was created
    std::shared_ptr<SnapHandle> snap;
    bool pinned = false;
    Observations obs;
    std::string trace;    // what was done, for messages
    bool active = false;  // in a segment
    bool forward = true;
    int64_t from = 0;  // forward: first position covered; reverse: one past the last
    std::vector<std::pair<int64_t, std::string>> seen;  // this segment, in the order read
    int64_t pos = -1;                                   // the current key's position while Valid()
  };

  std::string Describe(const Cursor& c) {
    std::string r = "iterator";
    if (c.has_lower) r += " lower=\"" + Printable(c.lower) + "\"";
    if (c.has_upper) r += " upper=\"" + Printable(c.upper) + "\"";
    r += ": " + c.trace;
    return r;
  }

  std::unique_ptr<Cursor> OpenCursor(ReaderState* st) {
    Random& rnd = st->rnd;
    auto c = std::make_unique<Cursor>();
    ReadOptions ro;
    ro.fill_cache = !rnd.OneIn(4);
    ro.verify_checksums = !rnd.OneIn(4);
    if (rnd.OneIn(3)) c->snap = rnd.OneIn(2) && st->held ? st->held : RingSnapshot(&rnd);
    const uint64_t bounds = rnd.Uniform(4);  // 0 none, 1 lower, 2 upper, 3 both
    if (bounds & 1) c->lower = PickTarget(&rnd);
    if (bounds & 2) c->upper = PickTarget(&rnd);
    if (bounds == 3 && Slice(c->lower).compare(Slice(c->upper)) > 0) std::swap(c->lower, c->upper);
    c->has_lower = (bounds & 1) != 0;
    c->has_upper = (bounds & 2) != 0;
    if (bounds & 1) {
      c->lower_slice = Slice(c->lower);
      ro.iterate_lower_bound = &c->lower_slice;
      c->vis_lo = FineBound(c->lower, false);
    }
    if (bounds & 2) {
      c->upper_slice = Slice(c->upper);
      ro.iterate_upper_bound = &c->upper_slice;
      c->vis_hi = FineBound(c->upper, false);
    }
    if (c->snap) {
      ro.snapshot = c->snap->snapshot;
      c->lo = c->hi = c->snap->gen;
      c->trace = "snapshot " + std::to_string(c->snap->gen) + ";";
    } else {
      c->lo = PinCommitted();
      c->pinned = true;
    }
    c->it.reset(db_->NewIterator(ro));
    if (!c->snap) c->hi = pending_.load();
    c->floor = st->floor;
    cursors_.fetch_add(1, std::memory_order_relaxed);
    return c;
  }

  void Trace(Cursor* c, const std::string& s) {
    if (c->trace.size() < 600) c->trace += " " + s;
  }

  // Notes the iterator's current entry in the segment; false on a failure.
  bool Observe(Cursor* c) {
    if (!c->it->Valid()) {
      if (!c->it->status().ok()) {
        Fail(Describe(*c) + ": iterator error: " + c->it->status().ToString());
        return false;
      }
      return true;
    }
    int64_t p;
    const Slice key = c->it->key();
    if (!ParseFine(key, &p)) {
      Fail(Describe(*c) + ": returned a key no write produced: \"" + Printable(key) + "\"");
      return false;
    }
    std::string problem;
    if (p < c->vis_lo || p >= c->vis_hi) problem = "outside its bounds";
    if (c->forward && (p < c->from || (!c->seen.empty() && p <= c->seen.back().first))) {
      problem = "not after the previous one";
    }
    if (!c->forward && (p >= c->from || (!c->seen.empty() && p >= c->seen.back().first))) {
      problem = "not before the previous one";
    }
    if (!problem.empty()) {
      Fail(Describe(*c) + ": returned " + FineKey(p) + ", " + problem +
           (c->seen.empty() ? "" : " (previous " + FineKey(c->seen.back().first) + ")"));
      return false;
    }
    c->seen.emplace_back(p, c->it->value().ToString());  // reverse segments: descending
    c->pos = p;
    return true;
  }

  // Ends the current segment: records the positions it covered.
  bool EndSegment(Cursor* c) {
    if (!c->active) return true;
    c->active = false;
    const bool valid = c->it->Valid();
    int64_t b, e;
    if (c->forward) {
      b = std::max(c->from, c->vis_lo);
      e = valid ? c->pos + 1 : c->vis_hi;
    } else {
      b = valid ? c->pos : c->vis_lo;
      e = std::min(c->from, c->vis_hi);
    }
    if (!c->forward) std::reverse(c->seen.begin(), c->seen.end());
    std::string error;
    bool ok = c->obs.Range(b, e, c->seen, &error);
    c->seen.clear();
    if (!ok) Fail(Describe(*c) + ": " + error);
    return ok;
  }

  // Starts a segment: a seek, or a change of direction from the current key.
  bool StartSegment(ReaderState* st, Cursor* c) {
    Random& rnd = st->rnd;
    const bool valid = c->it->Valid();
    if (valid && rnd.OneIn(2)) {
      const int64_t at = c->pos;
      if (!EndSegment(c)) return false;
      c->active = true;
      c->forward = !c->forward;
      if (c->forward) {
        c->from = at + 1;
        Trace(c, "Next");
        c->it->Next();
      } else {
        c->from = at;
        Trace(c, "Prev");
        c->it->Prev();
      }
      return Observe(c);
    }
    if (!EndSegment(c)) return false;
    c->active = true;
    switch (rnd.Uniform(4)) {
      case 0:
        c->forward = true;
        c->from = 0;
        Trace(c, "SeekToFirst");
        c->it->SeekToFirst();
        break;
      case 1:
        c->forward = false;
        c->from = kFineCount;
        Trace(c, "SeekToLast");
        c->it->SeekToLast();
        break;
      case 2: {
        const std::string t = PickTarget(&rnd);
        c->forward = true;
        c->from = FineBound(t, false);
        Trace(c, "Seek(" + Printable(t) + ")");
        c->it->Seek(t);
        break;
      }
      default: {
        const std::string t = PickTarget(&rnd);
        c->forward = false;
        c->from = FineBound(t, true);
        Trace(c, "SeekForPrev(" + Printable(t) + ")");
        c->it->SeekForPrev(t);
        break;
      }
    }
    return Observe(c);
  }

  // Moves the cursor on: a few steps, a whole run to the end, or a new segment.
  bool Step(ReaderState* st, Cursor* c) {
    Random& rnd = st->rnd;
    if (!c->active || !c->it->Valid() || rnd.OneIn(6)) return StartSegment(st, c);
    const int steps = rnd.OneIn(8) ? INT32_MAX : 1 + static_cast<int>(rnd.Uniform(64));
    int done = 0;
    for (; done < steps && c->it->Valid(); done++) {
      if (c->forward) {
        c->it->Next();
      } else {
        c->it->Prev();
      }
      if (!Observe(c)) return false;
      if (rnd.OneIn(256)) std::this_thread::yield();  // let flushes and compactions in
    }
    Trace(c, (c->forward ? "Next*" : "Prev*") + std::to_string(done) +
                 (c->it->Valid() ? "" : "(end)"));
    return true;
  }

  void CloseCursor(ReaderState* st, std::unique_ptr<Cursor> c) {
    if (EndSegment(c.get())) {
      if (!c->it->status().ok()) {
        Fail(Describe(*c) + ": " + c->it->status().ToString());
      } else {
        Check(st, c->obs, c->lo, c->hi, c->floor, c->snap != nullptr, Describe(*c));
      }
    }
    c->it.reset();
    if (c->pinned) Unpin(c->lo);
  }

  void Reader(int id) {
    ReaderState st(seed_ * 31 + static_cast<uint64_t>(id) + 1);
    Random& rnd = st.rnd;
    std::vector<std::unique_ptr<Cursor>> cursors;
    const size_t max_cursors = 1 + id % 4;
    while (!Stopping()) {
      if (rnd.OneIn(50)) st.held = RingSnapshot(&rnd);
      if (rnd.OneIn(3)) {
        PointRead(&st);
        continue;
      }
      if (cursors.size() < max_cursors && (cursors.empty() || rnd.OneIn(4))) {
        cursors.push_back(OpenCursor(&st));
      }
      const size_t i = rnd.Uniform(cursors.size());
      if (!Step(&st, cursors[i].get())) break;
      if (rnd.OneIn(12)) {
        CloseCursor(&st, std::move(cursors[i]));
        cursors.erase(cursors.begin() + static_cast<ptrdiff_t>(i));
      }
    }
    for (auto& c : cursors) CloseCursor(&st, std::move(c));
  }

  // ---- maintenance

  // Opens a checkpoint and checks it holds one version in [lo, hi], exactly.
  void CheckCheckpoint(const std::string& dir, uint64_t lo, uint64_t hi) {
    Options o = options_;
    o.block_cache = NewLRUCache(1 << 20);
    std::unique_ptr<DB> copy;
    Status s = DB::Open(o, dir, &copy);
    if (!s.ok()) {
      Fail("a checkpoint does not open: " + s.ToString());
      return;
    }
    std::unique_ptr<Iterator> it(copy->NewIterator(ReadOptions()));
    std::vector<std::pair<int64_t, std::string>> seen;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      int64_t p;
      if (!ParseFine(it->key(), &p) || (!seen.empty() && p <= seen.back().first)) {
        Fail("checkpoint: unexpected key \"" + Printable(it->key()) + "\"");
        return;
      }
      seen.emplace_back(p, it->value().ToString());
    }
    if (!it->status().ok()) {
      Fail("checkpoint scan: " + it->status().ToString());
      return;
    }
    Observations obs;
    std::string error;
    uint64_t first;
    if (!obs.Range(0, kFineCount, seen, &error)) {
      Fail("checkpoint: " + error);
    } else if (!Explain(obs, lo, hi, &first, &error)) {
      Fail("checkpoint (taken between versions " + std::to_string(lo) + " and " +
           std::to_string(hi) + "): " + error);
    }
  }

  void Admin() {
    Random rnd(seed_ * 7 + 3);
    int n = 0;
    while (!Stopping()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5 + rnd.Uniform(40)));
      if (Stopping()) break;
      n++;
      Status s;
      std::string what;
      const uint64_t op = rnd.Uniform(100);
      if (op < 30) {
        FlushOptions fo;
        fo.wait = rnd.OneIn(2);
        what = fo.wait ? "Flush" : "Flush(no wait)";
        s = db_->Flush(fo);
      } else if (op < 50) {
        const std::string a = RegularKey(static_cast<int64_t>(rnd.Uniform(kNumKeys)));
        const std::string b = RegularKey(static_cast<int64_t>(rnd.Uniform(kNumKeys)));
        const Slice begin(std::min(a, b)), end(std::max(a, b));
        what = "CompactRange(" + begin.ToString() + ", " + end.ToString() + ")";
        s = db_->CompactRange(rnd.OneIn(5) ? nullptr : &begin, rnd.OneIn(5) ? nullptr : &end);
        compactions_.fetch_add(1);
      } else if (op < 53) {
        what = "CompactRange(all)";
        s = db_->CompactRange(nullptr, nullptr);
        compactions_.fetch_add(1);
      } else if (op < 56) {
        what = "Verify";
        s = db_->Verify();
      } else if (op < 59) {
        const std::string dir = dir_ + "/checkpoint-" + std::to_string(n);
        const uint64_t lo = PinCommitted();
        what = "Checkpoint";
        s = db_->Checkpoint(dir);
        const uint64_t hi = pending_.load();
        if (s.ok()) {
          CheckCheckpoint(dir, lo, hi);
          checkpoints_.fetch_add(1);
        }
        Unpin(lo);
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
      } else {
        static const char* kProps[] = {"strata.levels",
                                       "strata.stats",
                                       "strata.sstables",
                                       "strata.levels-json",
                                       "strata.sstables-json",
                                       "strata.estimate-num-keys",
                                       "strata.read-only",
                                       "strata.num-files-at-level0",
                                       "strata.num-files-at-level3"};
        const char* prop = kProps[rnd.Uniform(9)];
        std::string v;
        what = std::string("GetProperty(") + prop + ")";
        if (!db_->GetProperty(prop, &v)) s = Status::NotFound(prop);
        const std::string name = prop;
        if (s.ok() && name.find("json") != std::string::npos &&
            (v.empty() || (v[0] != '{' && v[0] != '['))) {
          s = Status::Corruption("not JSON: " + v.substr(0, 80));
        }
        if (s.ok() &&
            (name.find("num-") != std::string::npos ||
             name.find("estimate") != std::string::npos) &&
            (v.empty() || v.find_first_not_of("0123456789") != std::string::npos)) {
          s = Status::Corruption("not a number: " + v.substr(0, 80));
        }
        if (s.ok() && name == "strata.read-only" && v != "0")
          s = Status::Corruption("read-only: " + v);
        std::string bg;
        if (s.ok() && db_->GetProperty("strata.background-error", &bg) && !bg.empty()) {
          s = Status::Corruption("background error: " + bg);
        }
      }
      if (!s.ok()) Fail(what + " failed: " + s.ToString());
    }
  }

  // ---- after the run

  // Scans the whole store both ways and checks it is exactly version v.
  void CheckExact(DB* db, uint64_t v, const std::string& what) {
    for (int dir = 0; dir < 2; dir++) {
      std::unique_ptr<Iterator> it(db->NewIterator(ReadOptions()));
      std::vector<std::pair<int64_t, std::string>> seen;
      for (dir == 0 ? it->SeekToFirst() : it->SeekToLast(); it->Valid();
           dir == 0 ? it->Next() : it->Prev()) {
        int64_t p;
        if (!ParseFine(it->key(), &p)) {
          Fail(what + ": unexpected key \"" + Printable(it->key()) + "\"");
          return;
        }
        seen.emplace_back(p, it->value().ToString());
      }
      if (!it->status().ok()) {
        Fail(what + ": " + it->status().ToString());
        return;
      }
      if (dir == 1) std::reverse(seen.begin(), seen.end());
      for (size_t i = 1; i < seen.size(); i++) {
        if (seen[i - 1].first >= seen[i].first) {
          Fail(what + ": keys out of order at " + FineKey(seen[i].first));
          return;
        }
      }
      Observations obs;
      std::string error;
      uint64_t first;
      if (!obs.Range(0, kFineCount, seen, &error)) {
        Fail(what + (dir ? " (reverse)" : " (forward)") + ": " + error);
      } else if (!Explain(obs, v, v, &first, &error)) {
        Fail(what + (dir ? " (reverse)" : " (forward)") + ": " + error);
      }
    }
  }

  void FinalChecks() {
    const uint64_t v = committed_.load();
    if (pending_.load() != v) {
      Fail("a write was left pending");
      return;
    }
    CheckExact(db_.get(), v, "the store after the run");
    Status s = db_->Verify();
    if (!s.ok()) Fail("Verify after the run: " + s.ToString());
    db_.reset();
    s = DB::Open(options_, dir_ + "/db", &db_);
    if (!s.ok()) {
      Fail("reopen after the run: " + s.ToString());
      return;
    }
    CheckExact(db_.get(), v, "the store reopened after the run");
  }

  const StressConfig config_;
  const uint64_t seed_;
  const std::string dir_;
  Options options_;
  std::unique_ptr<DB> db_;
  std::chrono::steady_clock::time_point deadline_;
  std::chrono::milliseconds load_interval_{700};

  // mu_ guards the model history and the snapshot ring; readers check under
  // a shared lock, the writer appends under an exclusive one.
  std::shared_mutex mu_;
  std::vector<std::vector<Event>> hist_;              // per model index
  std::vector<std::shared_ptr<SnapHandle>> ring_{8};  // recent snapshots
  std::atomic<uint64_t> committed_{0};                // writes 1..committed_ have returned
  std::atomic<uint64_t> pending_{0};                  // no write past pending_ has started
  std::atomic<int> loads_started_{0};

  // Versions reads in progress (and snapshots) may still be checked at.
  std::mutex pin_mu_;
  std::multiset<uint64_t> pins_;

  std::atomic<bool> stop_{false};
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  std::atomic<bool> failed_{false};
  std::mutex fail_mu_;
  int failures_ = 0;

  std::atomic<uint64_t> point_reads_{0}, cursors_{0}, snapshot_reads_{0}, checkpoints_{0},
      compactions_{0};
};

SnapHandle::~SnapHandle() {
  test->db()->ReleaseSnapshot(snapshot);
  test->Unpin(gen);
}

class DBStressTest : public testing::TestWithParam<int> {};

TEST_P(DBStressTest, ReadersWriterAndBackgroundWorkAgreeWithModel) {
  const StressConfig& config = kConfigs[GetParam()];
  const uint64_t seed = test::TestSeed() + static_cast<uint64_t>(GetParam());
  test::ScratchDir dir(std::string("stress-") + config.name);
  StressTest t(config, seed, dir.path());
  t.Run(StressSeconds(2), /*readers=*/3);
}

INSTANTIATE_TEST_SUITE_P(Configs, DBStressTest, testing::Range(0, 2),
                         [](const testing::TestParamInfo<int>& info) {
                           return std::string(kConfigs[info.param].name);
                         });

}  // namespace
}  // namespace strata
