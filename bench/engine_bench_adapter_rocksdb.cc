// The RocksDB adapter of engine_bench (see kv_adapter.h).
//
// Opens RocksDB with the shared KVSettings: leveled compaction (RocksDB's
// default), no compression, a Bloom filter, a private LRU block cache. Disk
// writes are counted by a FileSystemWrapper that wraps every table and WAL
// file RocksDB creates, which costs nothing on the read path (RocksDB's
// Statistics object would put counters on every operation).
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/version.h>
#include <rocksdb/write_batch.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "bench/kv_adapter.h"

namespace bench {
namespace {

rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
std::string_view ToView(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }

BenchStatus FromStatus(const rocksdb::Status& s) {
  if (s.ok()) return BenchStatus::OK();
  if (s.IsNotFound()) return BenchStatus::NotFound();
  return BenchStatus::Error(s.ToString());
}

// Counts the bytes appended to one file into the adapter's counters.
class CountingFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  CountingFile(std::unique_ptr<rocksdb::FSWritableFile> file, std::atomic<uint64_t>* bytes,
               std::atomic<int>* open_count)
      : FSWritableFileOwnerWrapper(std::move(file)), bytes_(bytes), open_count_(open_count) {
    if (open_count_ != nullptr) ++*open_count_;
  }
  ~CountingFile() override {
    if (open_count_ != nullptr) --*open_count_;
  }

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    *bytes_ += data.size();
    return target()->Append(data, options, dbg);
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    *bytes_ += data.size();
    return target()->Append(data, options, info, dbg);
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     rocksdb::IODebugContext* dbg) override {
    *bytes_ += data.size();
    return target()->PositionedAppend(data, offset, options, dbg);
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     const rocksdb::DataVerificationInfo& info,
                                     rocksdb::IODebugContext* dbg) override {
    *bytes_ += data.size();
    return target()->PositionedAppend(data, offset, options, info, dbg);
  }

 private:
  std::atomic<uint64_t>* bytes_;
  std::atomic<int>* open_count_;  // null for WAL files
};

class CountingFileSystem : public rocksdb::FileSystemWrapper {
 public:
  CountingFileSystem(const std::shared_ptr<rocksdb::FileSystem>& target, WriteCounters* counters)
      : FileSystemWrapper(target), counters_(counters) {}

  const char* Name() const override { return "EngineBenchCountingFileSystem"; }

  rocksdb::IOStatus NewWritableFile(const std::string& fname, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->NewWritableFile(fname, options, result, dbg);
    if (s.ok()) Wrap(fname, result);
    return s;
  }
  // RocksDB recycles WAL files through this call when recycle_log_file_num > 0.
  rocksdb::IOStatus ReuseWritableFile(const std::string& fname, const std::string& old_fname,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->ReuseWritableFile(fname, old_fname, options, result, dbg);
    if (s.ok()) Wrap(fname, result);
    return s;
  }

 private:
  void Wrap(const std::string& fname, std::unique_ptr<rocksdb::FSWritableFile>* file) {
    switch (ClassifyFile(fname)) {
      case FileKind::kTable:
        *file = std::make_unique<CountingFile>(std::move(*file), &counters_->table_bytes,
                                               &counters_->tables_being_written);
        break;
      case FileKind::kWal:
        *file = std::make_unique<CountingFile>(std::move(*file), &counters_->wal_bytes, nullptr);
        break;
      case FileKind::kOther:
        break;
    }
  }

  WriteCounters* counters_;
};

class RocksDBIterator : public KVIterator {
 public:
  explicit RocksDBIterator(rocksdb::Iterator* it) : it_(it) {}
  void SeekToFirst() override { it_->SeekToFirst(); }
  void Seek(std::string_view target) override { it_->Seek(ToSlice(target)); }
  void Next() override { it_->Next(); }
  bool Valid() const override { return it_->Valid(); }
  std::string_view key() const override { return ToView(it_->key()); }
  std::string_view value() const override { return ToView(it_->value()); }
  BenchStatus status() const override { return FromStatus(it_->status()); }

 private:
  std::unique_ptr<rocksdb::Iterator> it_;
};

class RocksDBBatch : public KVBatch {
 public:
  void Put(std::string_view key, std::string_view value) override {
    batch_.Put(ToSlice(key), ToSlice(value));
  }
  void Delete(std::string_view key) override { batch_.Delete(ToSlice(key)); }
  void Clear() override { batch_.Clear(); }
  rocksdb::WriteBatch* rep() { return &batch_; }

 private:
  rocksdb::WriteBatch batch_;
};

class RocksDBAdapter : public KVAdapter {
 public:
  ~RocksDBAdapter() override { Close(); }

  const char* Name() const override { return "rocksdb"; }
  std::string Version() const override {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%d.%d.%d", ROCKSDB_MAJOR, ROCKSDB_MINOR, ROCKSDB_PATCH);
    return buf;
  }

  std::vector<std::string> DescribeSettings(const KVSettings& s) const override {
    return {
        "write_buffer_size=" + std::to_string(s.write_buffer_size) + ", block_cache=NewLRUCache(" +
            std::to_string(s.block_cache_size) + ")" + ", filter_policy=NewBloomFilterPolicy(" +
            std::to_string(s.bloom_bits_per_key) + ")" +
            ", block_size=" + std::to_string(s.block_size),
        "compression=kNoCompression, max_background_jobs=" + std::to_string(s.background_jobs) +
            ", level0_file_num_compaction_trigger=" + std::to_string(s.l0_compaction_trigger) +
            ", max_open_files=-1 (all)",
        "defaults otherwise: leveled compaction, max_write_buffer_number=2, "
        "target_file_size_base=64MiB, max_bytes_for_level_base=256MiB, index and filter "
        "blocks held outside the block cache; WriteOptions() (WAL on, no sync); "
        "ReadOptions verify_checksums=" +
            std::string(s.verify_checksums ? "true" : "false"),
        "Debian's librocksdb is built with assertions enabled, which costs RocksDB some speed",
    };
  }

  BenchStatus Open(const std::string& dir, const KVSettings& s) override {
    if (db_ != nullptr) return BenchStatus::Error("rocksdb: already open");
    counters_.Reset();
    auto fs = std::make_shared<CountingFileSystem>(rocksdb::FileSystem::Default(), &counters_);
    env_ = rocksdb::NewCompositeEnv(fs);

    rocksdb::BlockBasedTableOptions table;
    table.block_size = s.block_size;
    table.block_cache = rocksdb::NewLRUCache(s.block_cache_size);
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(s.bloom_bits_per_key));

    rocksdb::Options options;
    options.create_if_missing = true;
    options.env = env_.get();
    options.write_buffer_size = s.write_buffer_size;
    options.compression = rocksdb::kNoCompression;
    options.max_background_jobs = s.background_jobs;
    options.level0_file_num_compaction_trigger = s.l0_compaction_trigger;
    options.max_open_files = -1;
    options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

    read_options_ = rocksdb::ReadOptions();
    read_options_.verify_checksums = s.verify_checksums;

    rocksdb::DB* db = nullptr;
    rocksdb::Status st = rocksdb::DB::Open(options, dir, &db);
    if (!st.ok()) return BenchStatus::Error("rocksdb open: " + st.ToString());
    db_.reset(db);
    return BenchStatus::OK();
  }

  BenchStatus Close() override {
    if (db_ == nullptr) return BenchStatus::OK();
    rocksdb::Status st = db_->Close();
    db_.reset();
    env_.reset();
    return st.ok() ? BenchStatus::OK() : BenchStatus::Error("rocksdb close: " + st.ToString());
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
  std::unique_ptr<KVBatch> NewBatch() override { return std::make_unique<RocksDBBatch>(); }
  BenchStatus Write(KVBatch* batch) override {
    return FromStatus(db_->Write(write_options_, static_cast<RocksDBBatch*>(batch)->rep()));
  }
  std::unique_ptr<KVIterator> NewIterator() override {
    return std::make_unique<RocksDBIterator>(db_->NewIterator(read_options_));
  }

  BenchStatus Flush() override {
    rocksdb::FlushOptions options;
    options.wait = true;
    return FromStatus(db_->Flush(options));
  }

  BenchStatus WaitForBackgroundWork() override {
    // RocksDB 7.8 has no WaitForCompact(); its properties say what is due
    // or running.
    auto idle = [this] {
      for (const std::string* property : {&rocksdb::DB::Properties::kMemTableFlushPending,
                                          &rocksdb::DB::Properties::kNumRunningFlushes,
                                          &rocksdb::DB::Properties::kCompactionPending,
                                          &rocksdb::DB::Properties::kNumRunningCompactions}) {
        uint64_t v = 0;
        if (!db_->GetIntProperty(*property, &v) || v != 0) return false;
      }
      return counters_.tables_being_written.load() == 0;
    };
    if (!PollUntilIdle(idle, 3, 1800)) {
      return BenchStatus::Error("rocksdb: background work did not settle in 30 minutes");
    }
    return BenchStatus::OK();
  }

  BenchStatus CompactAll() override {
    rocksdb::CompactRangeOptions options;
    return FromStatus(db_->CompactRange(options, nullptr, nullptr));
  }

  BenchStatus GetStats(KVStats* stats) override {
    *stats = KVStats();
    stats->table_bytes_written = counters_.table_bytes.load();
    stats->wal_bytes_written = counters_.wal_bytes.load();
    return BenchStatus::OK();
  }

 private:
  WriteCounters counters_;
  std::unique_ptr<rocksdb::Env> env_;  // outlives db_
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ReadOptions read_options_;
  rocksdb::WriteOptions write_options_;
};

std::unique_ptr<KVAdapter> NewRocksDBAdapter() { return std::make_unique<RocksDBAdapter>(); }

[[maybe_unused]] const bool kRegistered = RegisterAdapter("rocksdb", &NewRocksDBAdapter);

}  // namespace
}  // namespace bench
