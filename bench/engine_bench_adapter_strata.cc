// The strata adapter of engine_bench (see kv_adapter.h).
//
// Uses only strata's public API (engine/include/strata/). Options follow the
// shared KVSettings; most are strata's defaults already. Disk writes are
// counted by an Env that wraps Env::Default() and the table and WAL files it
// creates, the same way the RocksDB and LevelDB adapters count theirs;
// strata's own "strata.stats" figures are read as a cross-check.
//
// strata has no "wait for compactions" call, so WaitForBackgroundWork()
// polls until no table file is being written, no memtable waits for its
// flush, no level is over its size target and the flush and compaction
// counters in "strata.stats" stopped moving.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "bench/kv_adapter.h"
#include "strata/cache.h"
#include "strata/db.h"
#include "strata/env.h"
#include "strata/iterator.h"
#include "strata/options.h"
#include "strata/write_batch.h"

namespace bench {
namespace {

strata::Slice ToSlice(std::string_view s) { return strata::Slice(s.data(), s.size()); }
std::string_view ToView(const strata::Slice& s) { return std::string_view(s.data(), s.size()); }

BenchStatus FromStatus(const strata::Status& s) {
  if (s.ok()) return BenchStatus::OK();
  if (s.IsNotFound()) return BenchStatus::NotFound();
  return BenchStatus::Error(s.ToString());
}

class CountingFile : public strata::WritableFile {
 public:
  CountingFile(std::unique_ptr<strata::WritableFile> file, std::atomic<uint64_t>* bytes,
               std::atomic<int>* open_count)
      : file_(std::move(file)), bytes_(bytes), open_count_(open_count) {
    if (open_count_ != nullptr) ++*open_count_;
  }
  ~CountingFile() override {
    if (open_count_ != nullptr) --*open_count_;
  }

  strata::Status Append(const strata::Slice& data) override {
    *bytes_ += data.size();
    return file_->Append(data);
  }
  strata::Status Flush() override { return file_->Flush(); }
  strata::Status Sync() override { return file_->Sync(); }
  strata::Status Close() override { return file_->Close(); }
  uint64_t Size() const override { return file_->Size(); }

 private:
  std::unique_ptr<strata::WritableFile> file_;
  std::atomic<uint64_t>* bytes_;
  std::atomic<int>* open_count_;  // null for WAL files
};

// Forwards everything to Env::Default(), wrapping the table and WAL files.
class CountingEnv : public strata::Env {
 public:
  explicit CountingEnv(WriteCounters* counters) : counters_(counters) {}

  strata::Status NewSequentialFile(const std::string& fname,
                                   std::unique_ptr<strata::SequentialFile>* result) override {
    return base_->NewSequentialFile(fname, result);
  }
  strata::Status NewRandomAccessFile(const std::string& fname,
                                     std::unique_ptr<strata::RandomAccessFile>* result) override {
    return base_->NewRandomAccessFile(fname, result);
  }
  strata::Status NewWritableFile(const std::string& fname,
                                 const strata::WritableFileOptions& options,
                                 std::unique_ptr<strata::WritableFile>* result) override {
    strata::Status s = base_->NewWritableFile(fname, options, result);
    if (!s.ok()) return s;
    switch (ClassifyFile(fname)) {
      case FileKind::kTable:
        *result = std::make_unique<CountingFile>(std::move(*result), &counters_->table_bytes,
                                                 &counters_->tables_being_written);
        break;
      case FileKind::kWal:
        *result =
            std::make_unique<CountingFile>(std::move(*result), &counters_->wal_bytes, nullptr);
        break;
      case FileKind::kOther:
        break;
    }
    return s;
  }
  bool FileExists(const std::string& fname) override { return base_->FileExists(fname); }
  strata::Status GetChildren(const std::string& dir, std::vector<std::string>* result) override {
    return base_->GetChildren(dir, result);
  }
  strata::Status RemoveFile(const std::string& fname) override { return base_->RemoveFile(fname); }
  strata::Status CreateDir(const std::string& dirname) override {
    return base_->CreateDir(dirname);
  }
  strata::Status RemoveDir(const std::string& dirname) override {
    return base_->RemoveDir(dirname);
  }
  strata::Status GetFileSize(const std::string& fname, uint64_t* size) override {
    return base_->GetFileSize(fname, size);
  }
  strata::Status RenameFile(const std::string& src, const std::string& target) override {
    return base_->RenameFile(src, target);
  }
  strata::Status LinkFile(const std::string& src, const std::string& target) override {
    return base_->LinkFile(src, target);
  }
  strata::Status SyncDir(const std::string& dirname) override { return base_->SyncDir(dirname); }
  bool IsDirWritable(const std::string& dirname) override { return base_->IsDirWritable(dirname); }
  strata::Status LockFile(const std::string& fname, bool exclusive,
                          std::unique_ptr<strata::FileLock>* lock) override {
    return base_->LockFile(fname, exclusive, lock);
  }
  uint64_t NowMicros() override { return base_->NowMicros(); }
  void SleepForMicroseconds(int micros) override { base_->SleepForMicroseconds(micros); }

 private:
  strata::Env* const base_ = strata::Env::Default();
  WriteCounters* counters_;
};

class StrataIterator : public KVIterator {
 public:
  explicit StrataIterator(strata::Iterator* it) : it_(it) {}
  void SeekToFirst() override { it_->SeekToFirst(); }
  void Seek(std::string_view target) override { it_->Seek(ToSlice(target)); }
  void Next() override { it_->Next(); }
  bool Valid() const override { return it_->Valid(); }
  std::string_view key() const override { return ToView(it_->key()); }
  std::string_view value() const override { return ToView(it_->value()); }
  BenchStatus status() const override { return FromStatus(it_->status()); }

 private:
  std::unique_ptr<strata::Iterator> it_;
};

class StrataBatch : public KVBatch {
 public:
  void Put(std::string_view key, std::string_view value) override {
    batch_.Put(ToSlice(key), ToSlice(value));
  }
  void Delete(std::string_view key) override { batch_.Delete(ToSlice(key)); }
  void Clear() override { batch_.Clear(); }
  strata::WriteBatch* rep() { return &batch_; }

 private:
  strata::WriteBatch batch_;
};

// The number after "name": in a flat JSON object, or -1.
int64_t JsonInt(const std::string& json, const char* name) {
  std::string needle = std::string("\"") + name + "\":";
  size_t pos = json.find(needle);
  if (pos == std::string::npos) return -1;
  return std::strtoll(json.c_str() + pos + needle.size(), nullptr, 10);
}

class StrataAdapter : public KVAdapter {
 public:
  ~StrataAdapter() override { Close(); }

  const char* Name() const override { return "strata"; }
  std::string Version() const override { return strata::LibraryVersion(); }

  std::vector<std::string> DescribeSettings(const KVSettings& s) const override {
    const strata::Options defaults;
    return {
        "write_buffer_size=" + std::to_string(s.write_buffer_size) + ", block_cache=NewLRUCache(" +
            std::to_string(s.block_cache_size) + ")" + ", bloom_bits_per_key=" +
            std::to_string(s.bloom_bits_per_key) + ", block_size=" + std::to_string(s.block_size) +
            ", l0_compaction_trigger=" + std::to_string(s.l0_compaction_trigger) +
            ", max_open_files=" + std::to_string(s.max_open_files),
        "defaults otherwise: no compression (strata has none), target_file_size=" +
            std::to_string(defaults.target_file_size >> 20) + "MiB, max_bytes_for_level_base=" +
            std::to_string(defaults.max_bytes_for_level_base >> 20) +
            "MiB, max_immutable_memtables=" + std::to_string(defaults.max_immutable_memtables) +
            ", wal_background_sync_ms=" + std::to_string(defaults.wal_background_sync_ms) +
            " (a background WAL fdatasync about every second), background threads: strata's "
            "process-wide pool",
        "cache_index_and_filter_blocks=false: index and filter blocks held outside the block "
        "cache, as RocksDB (by default) and LevelDB hold theirs (strata's own default is true)",
        "WriteOptions() (WAL on, no sync); ReadOptions verify_checksums=" +
            std::string(s.verify_checksums ? "true" : "false"),
    };
  }

  BenchStatus Open(const std::string& dir, const KVSettings& s) override {
    if (db_ != nullptr) return BenchStatus::Error("strata: already open");
    counters_.Reset();
    env_ = std::make_unique<CountingEnv>(&counters_);

    options_ = strata::Options();
    options_.create_if_missing = true;
    options_.env = env_.get();
    options_.write_buffer_size = s.write_buffer_size;
    options_.block_cache = strata::NewLRUCache(s.block_cache_size);
    options_.cache_index_and_filter_blocks = false;  // like the other engines here
    options_.bloom_bits_per_key = s.bloom_bits_per_key;
    options_.block_size = s.block_size;
    options_.l0_compaction_trigger = s.l0_compaction_trigger;
    options_.max_open_files = s.max_open_files;

    read_options_ = strata::ReadOptions();
    read_options_.verify_checksums = s.verify_checksums;

    strata::Status st = strata::DB::Open(options_, dir, &db_);
    if (!st.ok()) return BenchStatus::Error("strata open: " + st.ToString());
    return BenchStatus::OK();
  }

  BenchStatus Close() override {
    if (db_ == nullptr) return BenchStatus::OK();
    strata::Status st = db_->Close();
    db_.reset();
    env_.reset();
    return st.ok() ? BenchStatus::OK() : BenchStatus::Error("strata close: " + st.ToString());
  }

  BenchStatus Put(std::string_view key, std::string_view value) override {
    return FromStatus(db_->Put(write_options_, ToSlice(key), ToSlice(value)));
  }
  BenchStatus Delete(std::string_view key) override {
    return FromStatus(db_->Delete(write_options_, ToSlice(key)));
  }
  BenchStatus Get(std::string_view key, std::string* value) override {
    return FromStatus(db_->Get(read_options_, ToSlice(key), value));
  }
  std::unique_ptr<KVBatch> NewBatch() override { return std::make_unique<StrataBatch>(); }
  BenchStatus Write(KVBatch* batch) override {
    return FromStatus(db_->Write(write_options_, static_cast<StrataBatch*>(batch)->rep()));
  }
  std::unique_ptr<KVIterator> NewIterator() override {
    return std::make_unique<StrataIterator>(db_->NewIterator(read_options_));
  }

  BenchStatus Flush() override {
    strata::FlushOptions options;
    options.wait = true;
    return FromStatus(db_->Flush(options));
  }

  BenchStatus WaitForBackgroundWork() override {
    int64_t last_progress = -1;
    std::string error;
    auto idle = [&] {
      std::string stats;
      if (!db_->GetProperty("strata.stats", &stats)) {
        error = "strata.stats is not available";
        return false;
      }
      // Work finished since the last poll means more may follow.
      const int64_t progress = JsonInt(stats, "flushes") + JsonInt(stats, "compactions") +
                               JsonInt(stats, "trivial_moves");
      const bool moved = progress != last_progress;
      last_progress = progress;
      if (moved || counters_.tables_being_written.load() != 0) return false;
      if (JsonInt(stats, "immutable_memtables") > 0) return false;
      return !LevelsOverTarget();
    };
    // 10 polls: 200 ms without a table being written or a counter moving.
    const bool settled = PollUntilIdle(idle, 10, 1800);
    if (!error.empty()) return BenchStatus::Error("strata: " + error);
    if (!settled) return BenchStatus::Error("strata: background work did not settle in 30 min");
    return BackgroundError();
  }

  BenchStatus CompactAll() override { return FromStatus(db_->CompactRange(nullptr, nullptr)); }

  BenchStatus GetStats(KVStats* stats) override {
    *stats = KVStats();
    stats->table_bytes_written = counters_.table_bytes.load();
    stats->wal_bytes_written = counters_.wal_bytes.load();
    std::string json;
    if (db_ != nullptr && db_->GetProperty("strata.stats", &json)) {
      stats->engine_flush_bytes = JsonInt(json, "bytes_written_flush");
      stats->engine_compaction_bytes = JsonInt(json, "bytes_written_compaction");
      stats->engine_user_bytes = JsonInt(json, "user_bytes_written");
    }
    return BenchStatus::OK();
  }

 private:
  // True if L0 has reached its compaction trigger or a level past L0 (but
  // not the last) holds more than its target size, from "strata.levels":
  // a header line, then "level files bytes" per level.
  bool LevelsOverTarget() {
    std::string text;
    if (!db_->GetProperty("strata.levels", &text)) return false;
    std::vector<std::pair<int, double>> levels;  // files, bytes
    size_t pos = text.find('\n');
    while (pos != std::string::npos && pos + 1 < text.size()) {
      int level = 0, files = 0;
      unsigned long long bytes = 0;
      if (std::sscanf(text.c_str() + pos + 1, "%d %d %llu", &level, &files, &bytes) == 3) {
        levels.emplace_back(files, static_cast<double>(bytes));
      }
      pos = text.find('\n', pos + 1);
    }
    if (!levels.empty() && levels[0].first >= options_.l0_compaction_trigger) return true;
    double target = static_cast<double>(options_.max_bytes_for_level_base);
    for (size_t level = 1; level + 1 < levels.size(); level++) {
      if (levels[level].second >= target) return true;
      target *= options_.level_size_multiplier;
    }
    return false;
  }

  BenchStatus BackgroundError() {
    std::string error;
    if (db_->GetProperty("strata.background-error", &error) && !error.empty()) {
      return BenchStatus::Error("strata background error: " + error);
    }
    return BenchStatus::OK();
  }

  WriteCounters counters_;
  std::unique_ptr<strata::Env> env_;  // outlives db_
  strata::Options options_;
  std::unique_ptr<strata::DB> db_;
  strata::ReadOptions read_options_;
  strata::WriteOptions write_options_;
};

std::unique_ptr<KVAdapter> NewStrataAdapter() { return std::make_unique<StrataAdapter>(); }

[[maybe_unused]] const bool kRegistered = RegisterAdapter("strata", &NewStrataAdapter);

}  // namespace
}  // namespace bench
