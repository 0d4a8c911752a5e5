// KVAdapter: the one interface engine_bench drives, so that the same workload
// code runs against strata, RocksDB and LevelDB.
//
// Each engine has one implementation in bench/engine_bench_adapter_<engine>.cc
// that registers itself by name (RegisterAdapter) at static-initialization
// time; a binary built without one of those files simply does not offer that
// engine. Adapters translate the shared KVSettings into the engine's own
// options, count the bytes the engine appends to its table files (flush +
// compaction output) and WAL through a wrapped file system, and know how to
// wait until the engine's background work has settled.
//
// Threads: after Open() and before Close(), Put, Delete, Get, Write,
// NewIterator and GetStats may be called from several threads at once (the
// readwhilewriting workload uses one reader and one writer). Open, Close,
// Flush, WaitForBackgroundWork and CompactAll are called from one thread
// while no other call is running. A KVIterator or KVBatch is used by one
// thread at a time and must be destroyed before Close().
#ifndef STRATA_BENCH_KV_ADAPTER_H_
#define STRATA_BENCH_KV_ADAPTER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bench {

// The result of an adapter call: OK, NotFound (a Get of an absent key; not an
// error), or an error with the engine's message.
class BenchStatus {
 public:
  BenchStatus() = default;
  static BenchStatus OK() { return BenchStatus(); }
  static BenchStatus NotFound() { return BenchStatus(Code::kNotFound, ""); }
  static BenchStatus Error(std::string message) {
    return BenchStatus(Code::kError, std::move(message));
  }

  bool ok() const { return code_ == Code::kOk; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  const std::string& message() const { return message_; }
  std::string ToString() const {
    switch (code_) {
      case Code::kOk:
        return "OK";
      case Code::kNotFound:
        return "NotFound";
      case Code::kError:
        break;
    }
    return message_;
  }

 private:
  enum class Code { kOk, kNotFound, kError };
  BenchStatus(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  Code code_ = Code::kOk;
  std::string message_;
};

// The settings every engine is opened with. Each adapter maps them onto its
// engine's options and says how (DescribeSettings).
struct KVSettings {
  size_t write_buffer_size = 64 << 20;  // memtable / write buffer
  size_t block_cache_size = 8 << 20;    // LRU cache for blocks
  int bloom_bits_per_key = 10;
  size_t block_size = 4096;
  int max_open_files = 10000;  // engines that cap open table files
  int background_jobs = 2;     // engines whose background threads are per store
  int l0_compaction_trigger = 4;
  bool verify_checksums = true;  // verify block checksums on reads
};

// Bytes an engine wrote to disk, counted by the adapter's file-system wrapper
// since Open().
struct KVStats {
  uint64_t table_bytes_written = 0;  // appended to table files: flush + compaction
  uint64_t wal_bytes_written = 0;    // appended to write-ahead log files
  // The engine's own figures where it reports them, else -1. Only a cross-check.
  int64_t engine_flush_bytes = -1;
  int64_t engine_compaction_bytes = -1;
  int64_t engine_user_bytes = -1;
};

// Counters shared by an adapter and the file wrappers its file system hands
// out. Thread-safe: the engine's background threads update them.
struct WriteCounters {
  std::atomic<uint64_t> table_bytes{0};
  std::atomic<uint64_t> wal_bytes{0};
  // Table files created and not yet closed: nonzero while a flush or a
  // compaction is writing its output.
  std::atomic<int> tables_being_written{0};

  void Reset() {
    table_bytes = 0;
    wal_bytes = 0;
    tables_being_written = 0;
  }
};

enum class FileKind { kTable, kWal, kOther };

// Classifies a file by its name: "*.sst" and "*.ldb" are tables, "*.log"
// (LevelDB, RocksDB) and "*.wal" (strata) are logs. RocksDB's info log is
// named "LOG" and is not a log in this sense.
inline FileKind ClassifyFile(std::string_view fname) {
  auto ends_with = [&](std::string_view suffix) {
    return fname.size() >= suffix.size() &&
           fname.compare(fname.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with(".sst") || ends_with(".ldb")) return FileKind::kTable;
  if (ends_with(".log") || ends_with(".wal")) return FileKind::kWal;
  return FileKind::kOther;
}

// A cursor over the store as of its creation.
class KVIterator {
 public:
  virtual ~KVIterator() = default;
  virtual void SeekToFirst() = 0;
  // Positions at the first key >= target.
  virtual void Seek(std::string_view target) = 0;
  // REQUIRES: Valid()
  virtual void Next() = 0;
  virtual bool Valid() const = 0;
  // REQUIRES: Valid(). The views stay valid until the iterator moves.
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  // Not ok() if an error stopped the iteration.
  virtual BenchStatus status() const = 0;
};

// A batch of updates in the engine's own batch type, so building one costs
// what it costs in the engine's own benchmark.
class KVBatch {
 public:
  virtual ~KVBatch() = default;
  virtual void Put(std::string_view key, std::string_view value) = 0;
  virtual void Delete(std::string_view key) = 0;
  virtual void Clear() = 0;
};

class KVAdapter {
 public:
  KVAdapter() = default;
  KVAdapter(const KVAdapter&) = delete;
  KVAdapter& operator=(const KVAdapter&) = delete;
  // Closes the store if it is open.
  virtual ~KVAdapter() = default;

  // "strata", "rocksdb", "leveldb".
  virtual const char* Name() const = 0;
  // The library's version.
  virtual std::string Version() const = 0;
  // How the settings map onto the engine's options, and every setting that
  // is not the engine's default: one line each, for the report's header.
  virtual std::vector<std::string> DescribeSettings(const KVSettings& settings) const = 0;

  // Opens (creating if missing) the store in directory dir; resets the
  // write counters. REQUIRES: not open.
  virtual BenchStatus Open(const std::string& dir, const KVSettings& settings) = 0;
  // Closes the store, waiting for its background work. Safe when not open.
  virtual BenchStatus Close() = 0;

  // Writes go to the WAL without a per-write sync.
  virtual BenchStatus Put(std::string_view key, std::string_view value) = 0;
  virtual BenchStatus Delete(std::string_view key) = 0;
  // OK and *value, or NotFound.
  virtual BenchStatus Get(std::string_view key, std::string* value) = 0;
  virtual std::unique_ptr<KVBatch> NewBatch() = 0;
  // REQUIRES: batch came from this adapter's NewBatch().
  virtual BenchStatus Write(KVBatch* batch) = 0;
  virtual std::unique_ptr<KVIterator> NewIterator() = 0;

  // Writes the memtable out to a table file and waits for it.
  virtual BenchStatus Flush() = 0;
  // Waits until no flush or compaction is running or due. Error on timeout.
  virtual BenchStatus WaitForBackgroundWork() = 0;
  // A full manual compaction of the whole key range; waits for it.
  virtual BenchStatus CompactAll() = 0;

  virtual BenchStatus GetStats(KVStats* stats) = 0;
};

using AdapterFactory = std::unique_ptr<KVAdapter> (*)();

// Makes an engine available under name. Called from each adapter file's
// static initializer; returns true so the call can initialize a constant.
bool RegisterAdapter(const char* name, AdapterFactory factory);
// A new, unopened adapter for name, or null if this binary has none.
std::unique_ptr<KVAdapter> NewAdapter(const std::string& name);
// The names of the engines built in, in registration order.
std::vector<std::string> RegisteredAdapters();

// Calls idle() every 20 ms until it has returned true on `settle_polls`
// consecutive calls (true), or until timeout_seconds have passed (false).
// For adapters whose engine offers no "wait for compactions" call.
bool PollUntilIdle(const std::function<bool()>& idle, int settle_polls, double timeout_seconds);

}  // namespace bench

#endif  // STRATA_BENCH_KV_ADAPTER_H_
