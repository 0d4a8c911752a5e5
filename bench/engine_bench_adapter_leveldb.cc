// The LevelDB adapter of engine_bench (see kv_adapter.h).
//
// Opens LevelDB with the shared KVSettings where LevelDB has a knob for them
// (write buffer, block cache, Bloom filter, block size, open files, no
// compression) and its defaults otherwise (2 MiB table files, one background
// thread, L0 compaction at 4 files: fixed in LevelDB). Disk writes are counted
// by an EnvWrapper around the files LevelDB creates.
//
// LevelDB has neither a Flush() nor a "wait for compactions" call: Flush()
// compacts an empty key range beyond every key, which makes LevelDB write
// out its memtable and wait for that; WaitForBackgroundWork() recomputes
// LevelDB's compaction scores from the "leveldb.sstables" property.
#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/filter_policy.h>
#include <leveldb/iterator.h>
#include <leveldb/options.h>
#include <leveldb/write_batch.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "bench/kv_adapter.h"

namespace bench {
namespace {

// LevelDB's compiled-in compaction constants (db/dbformat.h, version_set.cc).
constexpr int kLevelDBNumLevels = 7;
constexpr int kLevelDBL0CompactionTrigger = 4;
constexpr double kLevelDBLevel1Bytes = 10.0 * 1048576.0;

leveldb::Slice ToSlice(std::string_view s) { return leveldb::Slice(s.data(), s.size()); }
std::string_view ToView(const leveldb::Slice& s) { return std::string_view(s.data(), s.size()); }

BenchStatus FromStatus(const leveldb::Status& s) {
  if (s.ok()) return BenchStatus::OK();
  if (s.IsNotFound()) return BenchStatus::NotFound();
  return BenchStatus::Error(s.ToString());
}

class CountingFile : public leveldb::WritableFile {
 public:
  CountingFile(leveldb::WritableFile* file, std::atomic<uint64_t>* bytes,
               std::atomic<int>* open_count)
      : file_(file), bytes_(bytes), open_count_(open_count) {
    if (open_count_ != nullptr) ++*open_count_;
  }
  ~CountingFile() override {
    if (open_count_ != nullptr) --*open_count_;
  }

  leveldb::Status Append(const leveldb::Slice& data) override {
    *bytes_ += data.size();
    return file_->Append(data);
  }
  leveldb::Status Close() override { return file_->Close(); }
  leveldb::Status Flush() override { return file_->Flush(); }
  leveldb::Status Sync() override { return file_->Sync(); }

 private:
  std::unique_ptr<leveldb::WritableFile> file_;
  std::atomic<uint64_t>* bytes_;
  std::atomic<int>* open_count_;  // null for log files
};

class CountingEnv : public leveldb::EnvWrapper {
 public:
  explicit CountingEnv(WriteCounters* counters)
      : EnvWrapper(leveldb::Env::Default()), counters_(counters) {}

  leveldb::Status NewWritableFile(const std::string& fname,
                                  leveldb::WritableFile** result) override {
    leveldb::Status s = target()->NewWritableFile(fname, result);
    if (s.ok()) Wrap(fname, result);
    return s;
  }
  leveldb::Status NewAppendableFile(const std::string& fname,
                                    leveldb::WritableFile** result) override {
    leveldb::Status s = target()->NewAppendableFile(fname, result);
    if (s.ok()) Wrap(fname, result);
    return s;
  }

 private:
  void Wrap(const std::string& fname, leveldb::WritableFile** file) {
    switch (ClassifyFile(fname)) {
      case FileKind::kTable:
        *file = new CountingFile(*file, &counters_->table_bytes, &counters_->tables_being_written);
        break;
      case FileKind::kWal:
        *file = new CountingFile(*file, &counters_->wal_bytes, nullptr);
        break;
      case FileKind::kOther:
        break;
    }
  }

  WriteCounters* counters_;
};

class LevelDBIterator : public KVIterator {
 public:
  explicit LevelDBIterator(leveldb::Iterator* it) : it_(it) {}
  void SeekToFirst() override { it_->SeekToFirst(); }
  void Seek(std::string_view target) override { it_->Seek(ToSlice(target)); }
  void Next() override { it_->Next(); }
  bool Valid() const override { return it_->Valid(); }
  std::string_view key() const override { return ToView(it_->key()); }
  std::string_view value() const override { return ToView(it_->value()); }
  BenchStatus status() const override { return FromStatus(it_->status()); }

 private:
  std::unique_ptr<leveldb::Iterator> it_;
};

class LevelDBBatch : public KVBatch {
 public:
  void Put(std::string_view key, std::string_view value) override {
    batch_.Put(ToSlice(key), ToSlice(value));
  }
  void Delete(std::string_view key) override { batch_.Delete(ToSlice(key)); }
  void Clear() override { batch_.Clear(); }
  leveldb::WriteBatch* rep() { return &batch_; }

 private:
  leveldb::WriteBatch batch_;
};

class LevelDBAdapter : public KVAdapter {
 public:
  ~LevelDBAdapter() override { Close(); }

  const char* Name() const override { return "leveldb"; }
  std::string Version() const override {
    return std::to_string(leveldb::kMajorVersion) + "." + std::to_string(leveldb::kMinorVersion);
  }

  std::vector<std::string> DescribeSettings(const KVSettings& s) const override {
    return {
        "write_buffer_size=" + std::to_string(s.write_buffer_size) + ", block_cache=NewLRUCache(" +
            std::to_string(s.block_cache_size) + ")" + ", filter_policy=NewBloomFilterPolicy(" +
            std::to_string(s.bloom_bits_per_key) + ")" +
            ", block_size=" + std::to_string(s.block_size),
        "compression=kNoCompression, max_open_files=" + std::to_string(s.max_open_files),
        "defaults otherwise: max_file_size=2MiB, one background thread and L0 trigger 4 "
        "(compiled in); WriteOptions sync=false; ReadOptions verify_checksums=" +
            std::string(s.verify_checksums ? "true" : "false"),
    };
  }

  BenchStatus Open(const std::string& dir, const KVSettings& s) override {
    if (db_ != nullptr) return BenchStatus::Error("leveldb: already open");
    counters_.Reset();
    env_ = std::make_unique<CountingEnv>(&counters_);
    cache_.reset(leveldb::NewLRUCache(s.block_cache_size));
    filter_.reset(leveldb::NewBloomFilterPolicy(s.bloom_bits_per_key));

    leveldb::Options options;
    options.create_if_missing = true;
    options.env = env_.get();
    options.write_buffer_size = s.write_buffer_size;
    options.block_cache = cache_.get();
    options.filter_policy = filter_.get();
    options.block_size = s.block_size;
    options.max_open_files = s.max_open_files;
    options.compression = leveldb::kNoCompression;

    read_options_ = leveldb::ReadOptions();
    read_options_.verify_checksums = s.verify_checksums;

    leveldb::DB* db = nullptr;
    leveldb::Status st = leveldb::DB::Open(options, dir, &db);
    if (!st.ok()) return BenchStatus::Error("leveldb open: " + st.ToString());
    db_.reset(db);
    return BenchStatus::OK();
  }

  BenchStatus Close() override {
    db_.reset();  // LevelDB's destructor waits for its background compaction
    filter_.reset();
    cache_.reset();
    env_.reset();
    return BenchStatus::OK();
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
  std::unique_ptr<KVBatch> NewBatch() override { return std::make_unique<LevelDBBatch>(); }
  BenchStatus Write(KVBatch* batch) override {
    return FromStatus(db_->Write(write_options_, static_cast<LevelDBBatch*>(batch)->rep()));
  }
  std::unique_ptr<KVIterator> NewIterator() override {
    return std::make_unique<LevelDBIterator>(db_->NewIterator(read_options_));
  }

  BenchStatus Flush() override {
    // CompactRange first forces the memtable out and waits for it, then
    // compacts the files overlapping [begin, end]: none, since every key
    // sorts below a run of 0xff bytes. The benchmark's keys are decimal.
    const std::string beyond(64, '\xff');
    const leveldb::Slice begin(beyond);
    const leveldb::Slice end(beyond);
    db_->CompactRange(&begin, &end);
    return BackgroundError();
  }

  BenchStatus WaitForBackgroundWork() override {
    auto idle = [this] {
      if (counters_.tables_being_written.load() != 0) return false;
      std::vector<double> bytes;
      int l0_files = 0;
      if (!LevelSizes(&bytes, &l0_files)) return false;
      // LevelDB compacts when some level's score reaches 1 (VersionSet::Finalize).
      if (l0_files >= kLevelDBL0CompactionTrigger) return false;
      double limit = kLevelDBLevel1Bytes;
      for (int level = 1; level < kLevelDBNumLevels - 1; level++, limit *= 10) {
        if (bytes[level] >= limit) return false;
      }
      return true;
    };
    if (!PollUntilIdle(idle, 3, 1800)) {
      return BenchStatus::Error("leveldb: background work did not settle in 30 minutes");
    }
    return BackgroundError();
  }

  BenchStatus CompactAll() override {
    db_->CompactRange(nullptr, nullptr);
    return BackgroundError();
  }

  BenchStatus GetStats(KVStats* stats) override {
    *stats = KVStats();
    stats->table_bytes_written = counters_.table_bytes.load();
    stats->wal_bytes_written = counters_.wal_bytes.load();
    return BenchStatus::OK();
  }

 private:
  // Bytes of table files per level and the number of L0 files, parsed from
  // "leveldb.sstables": a "--- level N ---" line, then " number:size[...]"
  // per file.
  bool LevelSizes(std::vector<double>* bytes, int* l0_files) {
    std::string text;
    if (!db_->GetProperty("leveldb.sstables", &text)) return false;
    bytes->assign(kLevelDBNumLevels, 0);
    *l0_files = 0;
    int level = -1;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t eol = text.find('\n', pos);
      if (eol == std::string::npos) eol = text.size();
      std::string line = text.substr(pos, eol - pos);
      pos = eol + 1;
      int n = 0;
      unsigned long long number = 0, size = 0;
      if (std::sscanf(line.c_str(), "--- level %d ---", &n) == 1) {
        level = n;
      } else if (level >= 0 && level < kLevelDBNumLevels &&
                 std::sscanf(line.c_str(), " %llu:%llu[", &number, &size) == 2) {
        (*bytes)[level] += static_cast<double>(size);
        if (level == 0) ++*l0_files;
      }
    }
    return true;
  }

  // LevelDB's CompactRange returns nothing; a failed background write shows
  // up in the stats text only as a stopped store, so probe with an empty write.
  BenchStatus BackgroundError() {
    leveldb::WriteBatch empty;
    leveldb::Status s = db_->Write(write_options_, &empty);
    return s.ok() ? BenchStatus::OK() : BenchStatus::Error("leveldb: " + s.ToString());
  }

  WriteCounters counters_;
  // Declared before db_ so that they outlive it.
  std::unique_ptr<leveldb::Env> env_;
  std::unique_ptr<leveldb::Cache> cache_;
  std::unique_ptr<const leveldb::FilterPolicy> filter_;
  std::unique_ptr<leveldb::DB> db_;
  leveldb::ReadOptions read_options_;
  leveldb::WriteOptions write_options_;
};

std::unique_ptr<KVAdapter> NewLevelDBAdapter() { return std::make_unique<LevelDBAdapter>(); }

[[maybe_unused]] const bool kRegistered = RegisterAdapter("leveldb", &NewLevelDBAdapter);

}  // namespace
}  // namespace bench
