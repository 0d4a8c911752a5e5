// engine_bench: a db_bench-style benchmark of strata against RocksDB and LevelDB.
//
// Runs the same workloads (fillseq, fillrandom, overwrite, readrandom,
// readmissing, seekrandom, readseq, readwhilewriting, deleterandom) against
// every engine named in --engines through the KVAdapter interface
// (kv_adapter.h). Engines run one after another, each alone in the process
// and in its own directory under --db, so that one engine's background
// compaction never runs during another's measurement. The report gives ops/s
// and µs/op per workload and engine, the first engine's ratio to each other
// engine, write amplification and space on disk after fillrandom, and a
// summary table; --csv writes the same figures for machines.
//
// Every engine sees the same key sequences (each workload's random generator
// is seeded from --seed and the workload's name), and the harness keeps a
// model of which keys exist, so each read workload is checked: a wrong
// number of hits is reported next to the figure. See bench/README.md.
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench/kv_adapter.h"

namespace bench {

// ---- adapter registry -------------------------------------------------------

namespace {

std::vector<std::pair<std::string, AdapterFactory>>& Registry() {
  static auto* registry = new std::vector<std::pair<std::string, AdapterFactory>>();
  return *registry;
}

}  // namespace

bool RegisterAdapter(const char* name, AdapterFactory factory) {
  Registry().emplace_back(name, factory);
  return true;
}

std::unique_ptr<KVAdapter> NewAdapter(const std::string& name) {
  for (const auto& [n, factory] : Registry()) {
    if (n == name) return factory();
  }
  return nullptr;
}

std::vector<std::string> RegisteredAdapters() {
  std::vector<std::string> names;
  for (const auto& entry : Registry()) names.push_back(entry.first);
  return names;
}

bool PollUntilIdle(const std::function<bool()>& idle, int settle_polls, double timeout_seconds) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds * 1000));
  int streak = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    streak = idle() ? streak + 1 : 0;
    if (streak >= settle_polls) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

namespace {

// ---- flags ------------------------------------------------------------------

const char* const kDefaultBenchmarks =
    "fillseq,fillrandom,overwrite,readrandom,readmissing,seekrandom,readseq,readwhilewriting,"
    "deleterandom";
const char* const kKnownBenchmarks[] = {
    "fillseq",    "fillrandom", "overwrite",        "readrandom",   "readmissing",
    "seekrandom", "readseq",    "readwhilewriting", "deleterandom", "compact",
};

struct Flags {
  int64_t num = 1000000;
  int64_t reads = -1;  // -1: min(num, 1000000)
  int key_size = 16;
  int value_size = 100;
  int batch_size = 1;
  std::vector<std::string> benchmarks;
  std::vector<std::string> engines;
  std::string db = "/tmp/engine_bench";
  uint64_t seed = 301;
  int repeat = 1;
  std::string csv;
  bool seek_new_iterator = false;
  std::string command_line;
};

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    if (comma > start) out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

void PrintUsage() {
  std::printf(
      "usage: engine_bench [--flag=value ...]\n"
      "  --num=N              entries in the key space and per fill (default 1000000)\n"
      "  --reads=N            operations of each read workload (default min(num, 1000000))\n"
      "  --key_size=N         bytes per key: zero-padded decimal (default 16)\n"
      "  --value_size=N       bytes per value (default 100)\n"
      "  --batch_size=N       updates per write batch in fills, overwrite, deleterandom (1)\n"
      "  --benchmarks=a,b,... workloads in order (default %s; also: compact)\n"
      "  --engines=a,b,...    engines in order; the first is compared with the others\n"
      "                       (default strata,rocksdb,leveldb: those built in)\n"
      "  --db=DIR             parent directory; each engine uses DIR/<engine> (default\n"
      "                       /tmp/engine_bench); a fill wipes the engine's directory\n"
      "  --seed=N             base seed of every workload's key sequence (default 301)\n"
      "  --repeat=N           run each workload N times and report the median (default 1)\n"
      "  --seek_new_iterator=0|1  seekrandom creates an iterator per seek (LevelDB's\n"
      "                       db_bench) instead of reusing one (RocksDB's; default 0)\n"
      "  --csv=FILE           also write the results as CSV\n",
      kDefaultBenchmarks);
}

bool ParseInt(const std::string& text, int64_t min, int64_t* out) {
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || end == text.c_str() || *end != '\0' || v < min) return false;
  *out = v;
  return true;
}

// Returns false (after printing why) on a bad command line.
bool ParseFlags(int argc, char** argv, Flags* flags) {
  std::string benchmarks = kDefaultBenchmarks;
  std::string engines;
  for (int i = 0; i < argc; i++) {
    if (i > 0) flags->command_line += ' ';
    flags->command_line += argv[i];
  }
  for (int i = 1; i < argc; i++) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      PrintUsage();
      std::exit(0);
    }
    size_t eq = arg.find('=');
    if (arg.rfind("--", 0) != 0 || eq == std::string::npos) {
      std::fprintf(stderr, "engine_bench: bad argument '%s' (want --flag=value)\n", arg.c_str());
      return false;
    }
    std::string name = arg.substr(2, eq - 2);
    std::string value = arg.substr(eq + 1);
    int64_t n = 0;
    bool ok = true;
    if (name == "num") {
      ok = ParseInt(value, 1, &flags->num);
    } else if (name == "reads") {
      ok = ParseInt(value, 0, &flags->reads);
    } else if (name == "key_size") {
      ok = ParseInt(value, 1, &n) && n <= 1024;
      flags->key_size = static_cast<int>(n);
    } else if (name == "value_size") {
      ok = ParseInt(value, 0, &n) && n <= (1 << 20);
      flags->value_size = static_cast<int>(n);
    } else if (name == "batch_size") {
      ok = ParseInt(value, 1, &n) && n <= 1000000;
      flags->batch_size = static_cast<int>(n);
    } else if (name == "benchmarks") {
      benchmarks = value;
    } else if (name == "engines") {
      engines = value;
    } else if (name == "db") {
      ok = !value.empty();
      flags->db = value;
    } else if (name == "seed") {
      ok = ParseInt(value, 0, &n);
      flags->seed = static_cast<uint64_t>(n);
    } else if (name == "repeat") {
      ok = ParseInt(value, 1, &n) && n <= 1000;
      flags->repeat = static_cast<int>(n);
    } else if (name == "csv") {
      flags->csv = value;
    } else if (name == "seek_new_iterator") {
      ok = ParseInt(value, 0, &n) && n <= 1;
      flags->seek_new_iterator = n == 1;
    } else {
      std::fprintf(stderr, "engine_bench: unknown flag --%s (see --help)\n", name.c_str());
      return false;
    }
    if (!ok) {
      std::fprintf(stderr, "engine_bench: bad value for --%s: '%s'\n", name.c_str(), value.c_str());
      return false;
    }
  }
  if (flags->reads < 0) flags->reads = std::min<int64_t>(flags->num, 1000000);

  // Keys are zero-padded decimals of numbers below num: they must fit.
  std::string largest = std::to_string(flags->num - 1);
  if (static_cast<int>(largest.size()) > flags->key_size) {
    std::fprintf(stderr, "engine_bench: --key_size=%d cannot hold key %s\n", flags->key_size,
                 largest.c_str());
    return false;
  }

  flags->benchmarks = SplitList(benchmarks);
  for (const std::string& b : flags->benchmarks) {
    if (std::find(std::begin(kKnownBenchmarks), std::end(kKnownBenchmarks), b) ==
        std::end(kKnownBenchmarks)) {
      std::fprintf(stderr, "engine_bench: unknown benchmark '%s'; known: %s,compact\n", b.c_str(),
                   kDefaultBenchmarks);
      return false;
    }
  }
  if (engines.empty()) {
    // strata first (it is compared with the others), then every other engine built in.
    std::vector<std::string> built = RegisteredAdapters();
    for (const char* name : {"strata", "rocksdb", "leveldb"}) {
      if (std::find(built.begin(), built.end(), name) != built.end()) {
        flags->engines.push_back(name);
      }
    }
    for (const std::string& name : built) {
      if (std::find(flags->engines.begin(), flags->engines.end(), name) == flags->engines.end()) {
        flags->engines.push_back(name);
      }
    }
  } else {
    flags->engines = SplitList(engines);
  }
  if (flags->engines.empty() || flags->benchmarks.empty()) {
    std::fprintf(stderr, "engine_bench: nothing to run\n");
    return false;
  }
  return true;
}

// ---- keys, values, randomness ------------------------------------------------

// splitmix64: small, fast, and good enough to spread keys uniformly.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n), by multiply-and-shift (no modulo bias worth noting).
  uint64_t Uniform(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }

 private:
  uint64_t state_;
};

// The seed of one workload's key sequence: the same for every engine.
uint64_t WorkloadSeed(uint64_t base, std::string_view name, int rep) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
  for (char c : name) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  return base * 0x9e3779b97f4a7c15ull ^ h ^ (static_cast<uint64_t>(rep) << 48);
}

// Writes k as key_size zero-padded decimal digits into out.
void FormatKey(uint64_t k, int key_size, char* out) {
  for (int i = key_size - 1; i >= 0; i--) {
    out[i] = static_cast<char>('0' + k % 10);
    k /= 10;
  }
}

// Values are slices of a 1 MiB buffer made once, so producing a value costs
// nothing per operation. Each 100-byte stretch is half random printable
// bytes and half a repeat of them, so the data would compress to about half
// (as db_bench's), although every engine runs without compression here.
class ValueSource {
 public:
  explicit ValueSource(uint64_t seed) {
    Rng rng(seed);
    constexpr size_t kSize = 1 << 20;
    data_.reserve(kSize + 100);
    while (data_.size() < kSize) {
      std::string piece(50, ' ');
      for (char& c : piece) c = static_cast<char>(' ' + rng.Uniform(95));
      data_ += piece;
      data_ += piece;
    }
  }
  std::string_view Next(size_t len) {
    if (len > data_.size()) len = data_.size();
    if (pos_ + len > data_.size()) pos_ = 0;
    std::string_view v(data_.data() + pos_, len);
    pos_ += len;
    return v;
  }

 private:
  std::string data_;
  size_t pos_ = 0;
};

// Which keys exist, as far as the harness knows: updated after each write
// workload by replaying its key sequence. Unknown (not checked) until a fill.
class KeyModel {
 public:
  void Reset(int64_t num) {
    present_.assign(num, false);
    count_ = 0;
    known_ = true;
  }
  void Forget() { known_ = false; }
  bool known() const { return known_; }
  void Set(uint64_t k, bool present) {
    if (present_[k] != present) {
      present_[k] = present;
      count_ += present ? 1 : -1;
    }
  }
  bool Get(uint64_t k) const { return present_[k]; }
  int64_t count() const { return count_; }

 private:
  std::vector<bool> present_;
  int64_t count_ = 0;
  bool known_ = false;
};

double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// ---- results ----------------------------------------------------------------

struct RunResult {
  bool ok = true;
  std::string error;
  int64_t ops = 0;
  double seconds = 0;
  int64_t bytes = 0;            // key + value bytes moved
  int64_t found = -1;           // hits of a read workload
  int64_t expected_found = -1;  // what the key model says; -1 if unknown
  std::string note;

  double OpsPerSec() const { return seconds > 0 ? ops / seconds : 0; }
  double MicrosPerOp() const { return ops > 0 ? seconds * 1e6 / ops : 0; }
  bool CheckFailed() const { return expected_found >= 0 && found != expected_found; }
};

RunResult Failure(std::string error) {
  RunResult r;
  r.ok = false;
  r.error = std::move(error);
  return r;
}

// State of the store after fillrandom, flushed and settled.
struct SpaceResult {
  bool ok = false;
  std::string error;
  uint64_t user_bytes = 0;
  KVStats stats;
  uint64_t space_bytes = 0;
  uint64_t table_file_bytes = 0;
  int files = 0;
};

// Sum of the sizes of the regular files under dir, and of the table files.
void DirectoryBytes(const std::string& dir, uint64_t* total, uint64_t* tables, int* files) {
  *total = *tables = 0;
  *files = 0;
  std::error_code ec;
  namespace fs = std::filesystem;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code fec;
    if (!it->is_regular_file(fec)) continue;
    uint64_t size = it->file_size(fec);
    if (fec) continue;
    *total += size;
    ++*files;
    if (ClassifyFile(it->path().filename().string()) == FileKind::kTable) *tables += size;
  }
}

// ---- one engine's run -------------------------------------------------------

class EngineRunner {
 public:
  EngineRunner(const Flags& flags, const KVSettings& settings, KVAdapter* db, std::string dir)
      : flags_(flags), settings_(settings), db_(db), dir_(std::move(dir)) {}
  ~EngineRunner() { db_->Close(); }

  // Runs one repetition of the named workload.
  RunResult Run(const std::string& name, int rep) {
    if (name == "fillseq" || name == "fillrandom") {
      RunResult r = Fill(name, name == "fillseq", rep);
      if (r.ok && name == "fillrandom") MeasureSpace(&r);
      return r;
    }
    if (!open_) {
      BenchStatus s = Open();
      if (!s.ok()) return Failure(s.ToString());
    }
    if (name == "overwrite") return Write(name, rep, /*deletes=*/false);
    if (name == "deleterandom") return Write(name, rep, /*deletes=*/true);
    if (name == "readrandom") return ReadRandom(name, rep, /*missing=*/false);
    if (name == "readmissing") return ReadRandom(name, rep, /*missing=*/true);
    if (name == "seekrandom") return SeekRandom(name, rep);
    if (name == "readseq") return ReadSeq();
    if (name == "readwhilewriting") return ReadWhileWriting(name, rep);
    if (name == "compact") return Compact();
    return Failure("unknown benchmark " + name);
  }

  const SpaceResult& space() const { return space_; }

 private:
  BenchStatus Open() {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    if (ec) return BenchStatus::Error("cannot create " + dir_ + ": " + ec.message());
    BenchStatus s = db_->Open(dir_, settings_);
    open_ = s.ok();
    // A store left by an earlier run holds keys the model does not know.
    model_.Forget();
    return s;
  }

  // Waits (untimed) for the compactions a write workload left behind, so
  // that they are not charged to the next workload.
  BenchStatus Settle() { return db_->WaitForBackgroundWork(); }

  // Writes n updates of keys drawn by next_key; returns the harness's count
  // of user bytes in r.
  template <typename NextKey>
  RunResult TimedWrites(int64_t n, bool deletes, NextKey next_key) {
    RunResult r;
    ValueSource values(flags_.seed);
    std::string key(flags_.key_size, '0');
    std::unique_ptr<KVBatch> batch = db_->NewBatch();
    const double start = NowSeconds();
    for (int64_t i = 0; i < n;) {
      batch->Clear();
      for (int j = 0; j < flags_.batch_size && i < n; j++, i++) {
        FormatKey(next_key(i), flags_.key_size, key.data());
        if (deletes) {
          batch->Delete(key);
          r.bytes += key.size();
        } else {
          std::string_view value = values.Next(flags_.value_size);
          batch->Put(key, value);
          r.bytes += key.size() + value.size();
        }
      }
      BenchStatus s = db_->Write(batch.get());
      if (!s.ok()) {
        r.ok = false;
        r.error = "write: " + s.ToString();
        r.ops = i;
        break;
      }
      r.ops = i;
    }
    r.seconds = NowSeconds() - start;
    return r;
  }

  RunResult Fill(const std::string& name, bool sequential, int rep) {
    db_->Close();
    open_ = false;
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    if (ec) return Failure("cannot remove " + dir_ + ": " + ec.message());
    BenchStatus s = Open();
    if (!s.ok()) return Failure(s.ToString());
    model_.Reset(flags_.num);

    const uint64_t seed = WorkloadSeed(flags_.seed, name, rep);
    Rng rng(seed);
    const uint64_t num = flags_.num;
    RunResult r = TimedWrites(flags_.num, false, [&](int64_t i) {
      return sequential ? static_cast<uint64_t>(i) : rng.Uniform(num);
    });
    Rng replay(seed);
    for (int64_t i = 0; i < r.ops; i++) {
      model_.Set(sequential ? static_cast<uint64_t>(i) : replay.Uniform(num), true);
    }
    if (!r.ok) {
      model_.Forget();  // the failed batch may or may not have landed
      return r;
    }
    user_bytes_since_fill_ = r.bytes;
    s = Settle();
    if (!s.ok()) return Failure("after the fill: " + s.ToString());
    return r;
  }

  RunResult Write(const std::string& name, int rep, bool deletes) {
    const uint64_t seed = WorkloadSeed(flags_.seed, name, rep);
    Rng rng(seed);
    const uint64_t num = flags_.num;
    RunResult r = TimedWrites(flags_.num, deletes, [&](int64_t) { return rng.Uniform(num); });
    if (model_.known()) {
      Rng replay(seed);
      for (int64_t i = 0; i < r.ops; i++) model_.Set(replay.Uniform(num), !deletes);
    }
    if (!r.ok) {
      model_.Forget();
      return r;
    }
    BenchStatus s = Settle();
    if (!s.ok()) return Failure("after the writes: " + s.ToString());
    return r;
  }

  // Gets of random existing-range keys, or (missing) of keys with a '.'
  // appended, which no workload writes (LevelDB's db_bench does the same).
  RunResult ReadRandom(const std::string& name, int rep, bool missing) {
    const uint64_t seed = WorkloadSeed(flags_.seed, name, rep);
    Rng rng(seed);
    const uint64_t num = flags_.num;
    std::string key(flags_.key_size + (missing ? 1 : 0), '.');
    std::string value;
    RunResult r;
    r.found = 0;
    const double start = NowSeconds();
    for (int64_t i = 0; i < flags_.reads; i++) {
      FormatKey(rng.Uniform(num), flags_.key_size, key.data());
      BenchStatus s = db_->Get(key, &value);
      if (s.ok()) {
        r.found++;
        r.bytes += key.size() + value.size();
      } else if (!s.IsNotFound()) {
        r.ok = false;
        r.error = "get: " + s.ToString();
        break;
      }
      r.ops = i + 1;
    }
    r.seconds = NowSeconds() - start;
    if (r.ok && model_.known()) {
      Rng replay(seed);
      r.expected_found = 0;
      for (int64_t i = 0; i < r.ops; i++) {
        uint64_t k = replay.Uniform(num);
        if (!missing && model_.Get(k)) r.expected_found++;
      }
    }
    return r;
  }

  // db_bench's seekrandom: Seek to a random key and read the entry there;
  // a hit is an entry whose key equals the target.
  RunResult SeekRandom(const std::string& name, int rep) {
    const uint64_t seed = WorkloadSeed(flags_.seed, name, rep);
    Rng rng(seed);
    const uint64_t num = flags_.num;
    std::string key(flags_.key_size, '0');
    RunResult r;
    r.found = 0;
    std::unique_ptr<KVIterator> it;
    const double start = NowSeconds();
    for (int64_t i = 0; i < flags_.reads; i++) {
      if (it == nullptr || flags_.seek_new_iterator) it = db_->NewIterator();
      FormatKey(rng.Uniform(num), flags_.key_size, key.data());
      it->Seek(key);
      if (it->Valid()) {
        r.bytes += it->key().size() + it->value().size();
        if (it->key() == key) r.found++;
      } else if (!it->status().ok()) {
        r.ok = false;
        r.error = "seek: " + it->status().ToString();
        break;
      }
      r.ops = i + 1;
    }
    it.reset();
    r.seconds = NowSeconds() - start;
    if (r.ok && model_.known()) {
      Rng replay(seed);
      r.expected_found = 0;
      for (int64_t i = 0; i < r.ops; i++) r.expected_found += model_.Get(replay.Uniform(num));
    }
    if (flags_.seek_new_iterator) r.note = "new iterator per seek";
    return r;
  }

  // A full forward scan; ops are the entries read.
  RunResult ReadSeq() {
    RunResult r;
    std::unique_ptr<KVIterator> it = db_->NewIterator();
    const double start = NowSeconds();
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      r.bytes += it->key().size() + it->value().size();
      r.ops++;
    }
    r.seconds = NowSeconds() - start;
    if (!it->status().ok()) return Failure("scan: " + it->status().ToString());
    r.found = r.ops;
    if (model_.known()) r.expected_found = model_.count();
    return r;
  }

  // One reader (measured) and one writer at full speed; the writer stops
  // when the reader is done. Reader hits are not checked: they race.
  RunResult ReadWhileWriting(const std::string& name, int rep) {
    const uint64_t writer_seed = WorkloadSeed(flags_.seed, name + ".writer", rep);
    const uint64_t num = flags_.num;
    std::atomic<bool> stop{false};
    std::atomic<int64_t> writes{0};
    std::string writer_error;
    std::thread writer([&] {
      Rng rng(writer_seed);
      ValueSource values(flags_.seed + 1);
      std::string key(flags_.key_size, '0');
      while (!stop.load(std::memory_order_relaxed)) {
        FormatKey(rng.Uniform(num), flags_.key_size, key.data());
        BenchStatus s = db_->Put(key, values.Next(flags_.value_size));
        if (!s.ok()) {
          writer_error = "writer put: " + s.ToString();
          break;
        }
        writes.fetch_add(1, std::memory_order_relaxed);
      }
    });
    const double start = NowSeconds();
    RunResult r = ReadRandom(name, rep, /*missing=*/false);
    const double seconds = NowSeconds() - start;
    stop = true;
    writer.join();
    r.expected_found = -1;
    if (model_.known()) {
      Rng replay(writer_seed);
      for (int64_t i = 0; i < writes.load(); i++) model_.Set(replay.Uniform(num), true);
    }
    char note[96];
    std::snprintf(note, sizeof(note), "writer %.0f ops/s",
                  seconds > 0 ? writes.load() / seconds : 0.0);
    r.note = note;
    if (!writer_error.empty()) {
      r.ok = false;
      r.error = writer_error;
      model_.Forget();
      return r;
    }
    BenchStatus s = Settle();
    if (r.ok && !s.ok()) return Failure("after the writes: " + s.ToString());
    return r;
  }

  RunResult Compact() {
    RunResult r;
    const double start = NowSeconds();
    BenchStatus s = db_->CompactAll();
    r.seconds = NowSeconds() - start;
    r.ops = 1;
    if (!s.ok()) return Failure("compact: " + s.ToString());
    uint64_t total = 0, tables = 0;
    int files = 0;
    DirectoryBytes(dir_, &total, &tables, &files);
    char note[96];
    std::snprintf(note, sizeof(note), "space after: %.1f MB", total / 1048576.0);
    r.note = note;
    return r;
  }

  // After fillrandom: flush, let compactions settle (untimed), then read the
  // write counters and the directory's size.
  void MeasureSpace(RunResult* r) {
    space_ = SpaceResult();
    BenchStatus s = db_->Flush();
    if (s.ok()) s = Settle();
    if (s.ok()) s = db_->GetStats(&space_.stats);
    if (!s.ok()) {
      space_.error = s.ToString();
      r->note = "space not measured: " + s.ToString();
      return;
    }
    space_.ok = true;
    space_.user_bytes = user_bytes_since_fill_;
    DirectoryBytes(dir_, &space_.space_bytes, &space_.table_file_bytes, &space_.files);
  }

  const Flags& flags_;
  const KVSettings& settings_;
  KVAdapter* db_;
  const std::string dir_;
  bool open_ = false;
  KeyModel model_;
  uint64_t user_bytes_since_fill_ = 0;
  SpaceResult space_;
};

// ---- report -----------------------------------------------------------------

std::string ReadFileText(const char* path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string CpuModel() {
  std::string text = ReadFileText("/proc/cpuinfo");
  size_t pos = text.find("model name");
  if (pos == std::string::npos) return "unknown";
  size_t colon = text.find(':', pos);
  size_t eol = text.find('\n', pos);
  if (colon == std::string::npos || colon > eol) return "unknown";
  return text.substr(colon + 2, eol - colon - 2);
}

// The 1-, 5- and 15-minute load averages: a busy machine skews every figure.
std::string LoadAverage() {
  std::string text = ReadFileText("/proc/loadavg");
  double a = 0, b = 0, c = 0;
  if (std::sscanf(text.c_str(), "%lf %lf %lf", &a, &b, &c) != 3) return "unknown";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.2f %.2f %.2f", a, b, c);
  return buf;
}

std::string MemTotal() {
  std::string text = ReadFileText("/proc/meminfo");
  unsigned long long kb = 0;
  size_t pos = text.find("MemTotal:");
  if (pos == std::string::npos || std::sscanf(text.c_str() + pos, "MemTotal: %llu", &kb) != 1) {
    return "unknown";
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f GiB", kb / 1048576.0);
  return buf;
}

// 1234567 -> "1,234,567".
std::string WithCommas(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.0f", v);
  std::string digits = buf;
  std::string out;
  int n = 0;
  for (size_t i = digits.size(); i-- > 0;) {
    out.insert(out.begin(), digits[i]);
    if (++n % 3 == 0 && i > 0 && digits[i - 1] != '-') out.insert(out.begin(), ',');
  }
  return out;
}

std::string Ratio(const RunResult* base, const RunResult* other) {
  if (base == nullptr || other == nullptr || !base->ok || !other->ok || other->OpsPerSec() <= 0) {
    return "-";
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2fx", base->OpsPerSec() / other->OpsPerSec());
  return buf;
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

struct EngineReport {
  std::string name;
  std::string version;
  std::string open_error;  // the engine could not be created or opened at all
  std::map<std::string, RunResult> results;
  SpaceResult space;
};

void PrintHeader(const Flags& flags, const KVSettings& settings,
                 const std::vector<std::unique_ptr<KVAdapter>>& adapters) {
  char date[64];
  std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S %Z", std::localtime(&now));
  struct utsname uts;
  std::string kernel = uname(&uts) == 0 ? std::string(uts.sysname) + " " + uts.release : "?";

  std::printf("engine_bench: strata vs RocksDB vs LevelDB, db_bench-style workloads\n");
  std::printf("Date:       %s\n", date);
  std::printf("Command:    %s\n", flags.command_line.c_str());
  std::printf("CPU:        %ld x %s (nproc %u)\n", sysconf(_SC_NPROCESSORS_ONLN),
              CpuModel().c_str(), std::thread::hardware_concurrency());
  std::printf("Memory:     %s; kernel %s\n", MemTotal().c_str(), kernel.c_str());
  std::printf("Load:       %s (load average at start, on %ld CPUs)\n", LoadAverage().c_str(),
              sysconf(_SC_NPROCESSORS_ONLN));
  std::printf("Directory:  %s/<engine>\n", flags.db.c_str());
#ifdef NDEBUG
  std::printf("Build:      optimized (NDEBUG)\n");
#else
  std::printf("Build:      WARNING: assertions enabled (no NDEBUG); figures are not comparable\n");
#endif
  std::printf("Keys:       %d bytes each (zero-padded decimal)\n", flags.key_size);
  std::printf("Values:     %d bytes each (a 1 MiB buffer of half-repeated random text)\n",
              flags.value_size);
  std::printf("Entries:    %" PRId64 " (%.1f MB of keys and values per fill)\n", flags.num,
              flags.num * double(flags.key_size + flags.value_size) / 1048576.0);
  std::printf("Reads:      %" PRId64 " per read workload; write batch %d; repeat %d (median)\n",
              flags.reads, flags.batch_size, flags.repeat);
  std::printf("Seed:       %" PRIu64 "\n", flags.seed);
  std::printf(
      "Settings:   the same for every engine: %zu MiB write buffer, %zu MiB LRU block cache, "
      "%d-bit Bloom filter, no compression, %zu-byte blocks, WAL on without per-write sync, "
      "checksums verified on reads\n",
      settings.write_buffer_size >> 20, settings.block_cache_size >> 20,
      settings.bloom_bits_per_key, settings.block_size);
  for (const auto& a : adapters) {
    if (a == nullptr) continue;
    std::printf("  %-8s %s\n", a->Name(), a->Version().c_str());
    for (const std::string& line : a->DescribeSettings(settings)) {
      std::printf("           %s\n", line.c_str());
    }
  }
  std::printf(
      "Method:     engines run one after another, each alone; a fill wipes the engine's\n"
      "            directory; after every write workload the harness waits (untimed) for\n"
      "            background compaction to settle; after fillrandom it also flushes the\n"
      "            memtable and then measures write amplification and space. ops/s are\n"
      "            wall-clock over the whole workload; ratio = %s ops/s / other ops/s\n"
      "            (> 1: %s is faster).\n",
      flags.engines[0].c_str(), flags.engines[0].c_str());
  std::printf("------------------------------------------------------------------------\n");
  std::fflush(stdout);
}

void PrintProgress(const std::string& engine, const std::string& bench, const RunResult& r, int rep,
                   int repeat) {
  std::string run = repeat > 1 ? " (run " + std::to_string(rep + 1) + ")" : "";
  if (!r.ok) {
    std::printf("[%s] %-16s ERROR: %s%s\n", engine.c_str(), bench.c_str(), r.error.c_str(),
                run.c_str());
  } else {
    std::printf("[%s] %-16s %10.3f µs/op %12s ops/s  %8.1f MB/s%s%s\n", engine.c_str(),
                bench.c_str(), r.MicrosPerOp(), WithCommas(r.OpsPerSec()).c_str(),
                r.seconds > 0 ? r.bytes / 1048576.0 / r.seconds : 0.0, run.c_str(),
                r.CheckFailed() ? "  CHECK FAILED" : "");
  }
  std::fflush(stdout);
}

std::string FoundText(const RunResult& r) {
  if (r.found < 0) return "";
  std::string s = "found " + WithCommas(r.found);
  if (r.expected_found >= 0) {
    s += r.CheckFailed() ? " CHECK FAILED: expected " + WithCommas(r.expected_found) : " (ok)";
  }
  return s;
}

const RunResult* Find(const EngineReport& e, const std::string& bench) {
  auto it = e.results.find(bench);
  return it == e.results.end() ? nullptr : &it->second;
}

void PrintReport(const Flags& flags, const std::vector<EngineReport>& engines) {
  const EngineReport& base = engines[0];
  std::printf("\n== Results%s\n", flags.repeat > 1 ? " (median of each workload's runs)" : "");
  for (const std::string& bench : flags.benchmarks) {
    std::printf("%s\n", bench.c_str());
    for (const EngineReport& e : engines) {
      const RunResult* r = Find(e, bench);
      if (r == nullptr) {
        std::printf("  %-8s not run: %s\n", e.name.c_str(), e.open_error.c_str());
      } else if (!r->ok) {
        std::printf("  %-8s ERROR: %s\n", e.name.c_str(), r->error.c_str());
      } else {
        std::printf("  %-8s %10.3f µs/op %12s ops/s  %s%s%s\n", e.name.c_str(), r->MicrosPerOp(),
                    WithCommas(r->OpsPerSec()).c_str(), FoundText(*r).c_str(),
                    r->note.empty() ? "" : "  ", r->note.c_str());
      }
    }
    if (engines.size() > 1) {
      std::printf("  ");
      for (size_t i = 1; i < engines.size(); i++) {
        std::printf("%s%s vs %s: %s", i > 1 ? "   " : "", base.name.c_str(),
                    engines[i].name.c_str(),
                    Ratio(Find(base, bench), Find(engines[i], bench)).c_str());
      }
      std::printf("\n");
    }
  }

  bool any_space = std::find(flags.benchmarks.begin(), flags.benchmarks.end(), "fillrandom") !=
                   flags.benchmarks.end();
  if (any_space) {
    std::printf(
        "\n== After fillrandom, memtable flushed and compactions settled\n"
        "   write-amp = bytes written to table files (flush + compaction) / user bytes (keys +\n"
        "   values written by fillrandom); space = all files in the engine's directory\n");
    std::printf("%-8s %10s %12s %10s %10s %10s %12s %6s\n", "engine", "user MB", "table MB wr",
                "WAL MB wr", "write-amp", "space MB", "table files", "files");
    for (const EngineReport& e : engines) {
      const SpaceResult& s = e.space;
      if (!s.ok) {
        std::printf("%-8s not measured%s%s\n", e.name.c_str(), s.error.empty() ? "" : ": ",
                    s.error.c_str());
        continue;
      }
      std::printf("%-8s %10.1f %12.1f %10.1f %10.2f %10.1f %12.1f %6d\n", e.name.c_str(),
                  s.user_bytes / 1048576.0, s.stats.table_bytes_written / 1048576.0,
                  s.stats.wal_bytes_written / 1048576.0,
                  s.user_bytes ? double(s.stats.table_bytes_written) / s.user_bytes : 0.0,
                  s.space_bytes / 1048576.0, s.table_file_bytes / 1048576.0, s.files);
      if (s.stats.engine_flush_bytes >= 0) {
        std::printf("         (%s's own stats: flush %.1f MB, compaction %.1f MB, user %.1f MB)\n",
                    e.name.c_str(), s.stats.engine_flush_bytes / 1048576.0,
                    s.stats.engine_compaction_bytes / 1048576.0,
                    s.stats.engine_user_bytes / 1048576.0);
      }
    }
  }

  std::printf("\n== Summary: ops/s\n%-17s", "benchmark");
  for (const EngineReport& e : engines) std::printf(" %12s", e.name.c_str());
  for (size_t i = 1; i < engines.size(); i++) {
    std::printf(" %12s", (base.name + "/" + engines[i].name).c_str());
  }
  std::printf("\n");
  bool any_check_failed = false;
  for (const std::string& bench : flags.benchmarks) {
    std::printf("%-17s", bench.c_str());
    for (const EngineReport& e : engines) {
      const RunResult* r = Find(e, bench);
      std::string cell = r == nullptr ? "-" : !r->ok ? "error" : WithCommas(r->OpsPerSec());
      if (r != nullptr && r->CheckFailed()) {
        cell += "!";
        any_check_failed = true;
      }
      std::printf(" %12s", cell.c_str());
    }
    for (size_t i = 1; i < engines.size(); i++) {
      std::printf(" %12s", Ratio(Find(base, bench), Find(engines[i], bench)).c_str());
    }
    std::printf("\n");
  }
  if (any_check_failed) {
    std::printf("! the engine returned a different number of hits than the keys written\n");
  }
  std::printf("Load average at the end: %s\n", LoadAverage().c_str());
  std::fflush(stdout);
}

bool WriteCsv(const Flags& flags, const std::vector<EngineReport>& engines) {
  FILE* f = std::fopen(flags.csv.c_str(), "w");
  if (f == nullptr) {
    std::fprintf(stderr, "engine_bench: cannot write %s: %s\n", flags.csv.c_str(),
                 std::strerror(errno));
    return false;
  }
  std::fprintf(f,
               "record,engine,version,benchmark,num,runs,ok,ops,seconds,ops_per_sec,"
               "micros_per_op,mb_per_sec,found,expected_found,user_bytes,table_bytes_written,"
               "wal_bytes_written,write_amp,space_bytes,table_file_bytes,note\n");
  for (const EngineReport& e : engines) {
    for (const std::string& bench : flags.benchmarks) {
      const RunResult* r = Find(e, bench);
      if (r == nullptr) {
        std::fprintf(f, "result,%s,%s,%s,%" PRId64 ",%d,0,,,,,,,,,,,,,,%s\n", e.name.c_str(),
                     e.version.c_str(), bench.c_str(), flags.num, flags.repeat,
                     CsvField(e.open_error).c_str());
        continue;
      }
      std::fprintf(f, "result,%s,%s,%s,%" PRId64 ",%d,%d,%" PRId64 ",%.6f,%.1f,%.4f,%.2f,",
                   e.name.c_str(), e.version.c_str(), bench.c_str(), flags.num, flags.repeat,
                   r->ok ? 1 : 0, r->ops, r->seconds, r->OpsPerSec(), r->MicrosPerOp(),
                   r->seconds > 0 ? r->bytes / 1048576.0 / r->seconds : 0.0);
      if (r->found >= 0) std::fprintf(f, "%" PRId64, r->found);
      std::fprintf(f, ",");
      if (r->expected_found >= 0) std::fprintf(f, "%" PRId64, r->expected_found);
      std::fprintf(f, ",,,,,,,%s\n", CsvField(r->ok ? r->note : r->error).c_str());
    }
    const SpaceResult& s = e.space;
    if (s.ok) {
      std::fprintf(f,
                   "space,%s,%s,fillrandom,%" PRId64 ",,1,,,,,,,,%" PRIu64 ",%" PRIu64 ",%" PRIu64
                   ",%.4f,%" PRIu64 ",%" PRIu64 ",\n",
                   e.name.c_str(), e.version.c_str(), flags.num, s.user_bytes,
                   s.stats.table_bytes_written, s.stats.wal_bytes_written,
                   s.user_bytes ? double(s.stats.table_bytes_written) / s.user_bytes : 0.0,
                   s.space_bytes, s.table_file_bytes);
    }
  }
  bool ok = std::fclose(f) == 0;
  if (!ok) std::fprintf(stderr, "engine_bench: error writing %s\n", flags.csv.c_str());
  return ok;
}

// Lets engines that cap their open files keep every table open.
int RaiseOpenFileLimit() {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1000;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  rlim_t usable = rl.rlim_cur == RLIM_INFINITY ? 100000 : rl.rlim_cur;
  return static_cast<int>(std::clamp<rlim_t>(usable > 200 ? usable - 100 : 100, 100, 100000));
}

int Main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, &flags)) return 2;

  KVSettings settings;
  settings.max_open_files = RaiseOpenFileLimit();

  std::vector<EngineReport> reports(flags.engines.size());
  std::vector<std::unique_ptr<KVAdapter>> adapters;
  for (size_t i = 0; i < flags.engines.size(); i++) {
    reports[i].name = flags.engines[i];
    adapters.push_back(NewAdapter(flags.engines[i]));
    if (adapters.back() == nullptr) {
      std::string built;
      for (const std::string& n : RegisteredAdapters()) built += (built.empty() ? "" : ",") + n;
      reports[i].open_error = "engine not built into this binary (built in: " + built + ")";
    } else {
      reports[i].version = adapters.back()->Version();
    }
  }
  PrintHeader(flags, settings, adapters);
  for (const EngineReport& r : reports) {
    if (!r.open_error.empty()) std::printf("[%s] %s\n", r.name.c_str(), r.open_error.c_str());
  }

  for (size_t e = 0; e < adapters.size(); e++) {
    if (adapters[e] == nullptr) continue;
    EngineReport& report = reports[e];
    EngineRunner runner(flags, settings, adapters[e].get(), flags.db + "/" + report.name);
    for (const std::string& bench : flags.benchmarks) {
      std::vector<RunResult> runs;
      // A second full compaction finds nothing to do: compact runs once.
      const int repeat = bench == "compact" ? 1 : flags.repeat;
      for (int rep = 0; rep < repeat; rep++) {
        RunResult r = runner.Run(bench, rep);
        PrintProgress(report.name, bench, r, rep, repeat);
        runs.push_back(std::move(r));
        if (!runs.back().ok) break;
      }
      // The median by speed; an error in any run is the result.
      std::sort(runs.begin(), runs.end(), [](const RunResult& a, const RunResult& b) {
        return a.ok != b.ok ? !a.ok : a.OpsPerSec() < b.OpsPerSec();
      });
      report.results[bench] = runs[runs[0].ok ? runs.size() / 2 : 0];
    }
    report.space = runner.space();
  }
  adapters.clear();

  PrintReport(flags, reports);
  if (!flags.csv.empty() && !WriteCsv(flags, reports)) return 1;
  return 0;
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) { return bench::Main(argc, argv); }
