// DBImpl: properties (stats and level summaries), checkpoints, verification.
#include <cinttypes>
#include <cstdio>

#include "db/db_impl.h"
#include "db/filename.h"
#include "util/thread_pool.h"

namespace strata {

namespace {

std::string Hex(const Slice& s) {
  static const char kDigits[] = "0123456789abcdef";
  std::string r;
  r.reserve(s.size() * 2);
  for (size_t i = 0; i < s.size(); i++) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    r.push_back(kDigits[c >> 4]);
    r.push_back(kDigits[c & 15]);
  }
  return r;
}

std::string JsonString(const std::string& s) {
  std::string r = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        r += "\\\"";
        break;
      case '\\':
        r += "\\\\";
        break;
      case '\n':
        r += "\\n";
        break;
      case '\t':
        r += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          snprintf(buf, sizeof(buf), "\\u%04x", c);
          r += buf;
        } else {
          r.push_back(c);
        }
    }
  }
  return r + "\"";
}

class JsonObject {
 public:
  void Add(const char* name, uint64_t v) { Field(name) += std::to_string(v); }
  void Add(const char* name, double v) {
    char buf[32];
    snprintf(buf, sizeof(buf), "%.3f", v);
    Field(name) += buf;
  }
  void AddString(const char* name, const std::string& v) { Field(name) += JsonString(v); }
  void AddRaw(const char* name, const std::string& v) { Field(name) += v; }
  std::string Done() { return out_ + "}"; }

 private:
  std::string& Field(const char* name) {
    out_ += out_.size() == 1 ? "" : ",";
    out_ += JsonString(name) + ":";
    return out_;
  }
  std::string out_ = "{";
};

}  // namespace

// REQUIRES: mutex_ held.
std::string DBImpl::StatsJson() {
  JsonObject j;
  uint64_t imm_bytes = 0;
  for (const auto& imm : imm_) imm_bytes += imm.mem->ApproximateMemoryUsage();
  j.Add("memtable_bytes", static_cast<uint64_t>(mem_->ApproximateMemoryUsage()));
  j.Add("memtable_entries", mem_->NumEntries());
  j.Add("immutable_memtables", static_cast<uint64_t>(imm_.size()));
  j.Add("immutable_memtable_bytes", imm_bytes);
  j.Add("wal_bytes", log_bytes_);
  j.Add("last_sequence", versions_->LastSequence());
  j.Add("block_cache_hits", table_stats_.block_cache_hits.load());
  j.Add("block_cache_misses", table_stats_.block_cache_misses.load());
  j.Add("block_cache_bytes", static_cast<uint64_t>(block_cache_->TotalCharge()));
  j.Add("block_cache_capacity", static_cast<uint64_t>(block_cache_->Capacity()));
  j.Add("table_bytes_read", table_stats_.bytes_read.load());
  j.Add("flushes", stats_.flushes);
  j.Add("compactions", stats_.compactions);
  j.Add("trivial_moves", stats_.trivial_moves);
  j.Add("user_bytes_written", stats_.user_bytes_written);
  j.Add("wal_bytes_written", stats_.wal_bytes_written);
  j.Add("bytes_written_flush", stats_.bytes_written_flush);
  j.Add("bytes_written_compaction", stats_.bytes_written_compaction);
  j.Add("bytes_read_compaction", stats_.bytes_read_compaction);
  const double user = static_cast<double>(std::max<uint64_t>(1, stats_.user_bytes_written));
  // Table bytes written per byte the user wrote (the WAL excluded, as
  // RocksDB and LevelDB report it).
  j.Add("bulk_loads", stats_.bulk_loads);
  j.Add("bytes_written_bulk_load", stats_.bytes_written_bulk_load);
  j.Add("write_amplification",
        static_cast<double>(stats_.bytes_written_flush + stats_.bytes_written_compaction +
                            stats_.bytes_written_bulk_load) /
            user);
  j.Add("stall_micros", stats_.stall_micros);
  j.Add("slowdowns", stats_.slowdowns);
  j.Add("stops", stats_.stops);
  j.Add("wal_syncs", stats_.wal_syncs);
  j.Add("wal_tails_dropped", stats_.wal_tail_dropped);
  uint64_t live_bytes = 0, files = 0;
  Version* v = versions_->current();
  for (int level = 0; level < versions_->NumLevels(); level++) {
    live_bytes += v->NumLevelBytes(level);
    files += v->NumFiles(level);
  }
  j.Add("live_table_bytes", live_bytes);
  j.Add("table_files", files);
  j.AddString("files_per_level", versions_->LevelSummary());
  j.Add("snapshots", static_cast<uint64_t>(snapshots_.size()));
  j.AddString("background_error", bg_error_.ok() ? "" : bg_error_.ToString());
  return j.Done();
}

// REQUIRES: mutex_ held. One object per level: files, bytes, entries,
// deletions and the key range (user keys in hex).
std::string DBImpl::LevelsJson() {
  Version* v = versions_->current();
  const InternalKeyComparator& icmp = internal_comparator_;
  std::string r = "[";
  for (int level = 0; level < versions_->NumLevels(); level++) {
    uint64_t entries = 0, deletions = 0, range_deletions = 0;
    const FileMetaData* lo = nullptr;
    const FileMetaData* hi = nullptr;
    for (const FileMetaData* f : v->files(level)) {
      entries += f->num_entries;
      deletions += f->num_deletions;
      range_deletions += f->num_range_deletions;
      if (lo == nullptr || icmp.Compare(f->smallest.Encode(), lo->smallest.Encode()) < 0) lo = f;
      if (hi == nullptr || icmp.Compare(f->largest.Encode(), hi->largest.Encode()) > 0) hi = f;
    }
    JsonObject j;
    j.Add("level", static_cast<uint64_t>(level));
    j.Add("files", static_cast<uint64_t>(v->NumFiles(level)));
    j.Add("bytes", v->NumLevelBytes(level));
    j.Add("entries", entries);
    j.Add("deletions", deletions);
    j.Add("range_deletions", range_deletions);
    j.AddString("smallest", lo ? Hex(lo->smallest.user_key()) : "");
    j.AddString("largest", hi ? Hex(hi->largest.user_key()) : "");
    if (level > 0) r += ",";
    r += j.Done();
  }
  return r + "]";
}

std::string DBImpl::LevelsText() {
  Version* v = versions_->current();
  std::string r = "level  files  bytes\n";
  for (int level = 0; level < versions_->NumLevels(); level++) {
    char buf[96];
    snprintf(buf, sizeof(buf), "%5d %6d %12" PRIu64 "\n", level, v->NumFiles(level),
             v->NumLevelBytes(level));
    r += buf;
  }
  return r;
}

bool DBImpl::GetProperty(const Slice& property, std::string* value) {
  value->clear();
  std::lock_guard<std::mutex> l(mutex_);
  Slice in = property;
  if (!in.starts_with("strata.")) return false;
  in.remove_prefix(7);
  if (in == "stats") {
    *value = StatsJson();
  } else if (in == "levels") {
    *value = LevelsText();
  } else if (in == "levels-json") {
    *value = LevelsJson();
  } else if (in == "estimate-num-keys") {
    // Entries in memtables and files, less deletions: duplicates across
    // levels make it an overestimate, which is fine for a query planner.
    uint64_t n = mem_->NumEntries();
    for (const auto& imm : imm_) n += imm.mem->NumEntries();
    Version* v = versions_->current();
    for (int level = 0; level < versions_->NumLevels(); level++) {
      for (const FileMetaData* f : v->files(level)) {
        n += f->num_entries - std::min(f->num_entries, 2 * f->num_deletions);
      }
    }
    *value = std::to_string(n);
  } else if (in == "read-only") {
    value->assign(1, read_only_ ? '1' : '0');
  } else if (in == "background-error") {
    *value = bg_error_.ok() ? "" : bg_error_.ToString();
  } else if (in.starts_with("num-files-at-level")) {
    in.remove_prefix(strlen("num-files-at-level"));
    int level = 0;
    for (size_t i = 0; i < in.size(); i++) {
      if (in[i] < '0' || in[i] > '9') return false;
      level = level * 10 + (in[i] - '0');
      if (level >= versions_->NumLevels()) return false;
    }
    if (in.empty()) return false;
    *value = std::to_string(versions_->current()->NumFiles(level));
  } else if (in == "sstables" || in == "sstables-json") {
    Version* v = versions_->current();
    std::string r = "[";
    for (int level = 0; level < versions_->NumLevels(); level++) {
      for (const FileMetaData* f : v->files(level)) {
        JsonObject j;
        j.Add("level", static_cast<uint64_t>(level));
        j.Add("number", f->number);
        j.Add("bytes", f->file_size);
        j.Add("entries", f->num_entries);
        j.Add("deletions", f->num_deletions);
        j.Add("range_deletions", f->num_range_deletions);
        j.Add("smallest_seq", f->smallest_seq);
        j.Add("largest_seq", f->largest_seq);
        j.AddString("smallest", Hex(f->smallest.user_key()));
        // A boundary largest key excludes its user key.
        j.AddString("largest", Hex(f->largest.user_key()));
        j.Add("largest_exclusive",
              static_cast<uint64_t>((ExtractTrailer(f->largest.Encode()) & 0xff) == kTypeBoundary));
        if (r.size() > 1) r += ",";
        r += j.Done();
      }
    }
    *value = r + "]";
  } else {
    return false;
  }
  return true;
}

Status DBImpl::SyncWAL() {
  Status s = CheckWritable();
  if (!s.ok()) return s;
  std::unique_lock<std::mutex> lock(mutex_);
  return SyncLogs(lock);
}

Status DBImpl::Checkpoint(const std::string& dir) {
  if (env_->FileExists(dir)) return Status::InvalidArgument(dir, "already exists");
  // Flush first so the checkpoint needs table files only (no WAL).
  Status s = read_only_ ? Status::OK() : Flush(FlushOptions());
  if (!s.ok()) return s;
  Version* v;
  uint64_t next_file;
  SequenceNumber last_sequence;
  // Copied under the mutex: a FileMetaData is shared by every version that
  // holds the file, and its refs and being_compacted change under the mutex.
  std::vector<std::pair<int, FileMetaData>> files;
  {
    std::lock_guard<std::mutex> l(mutex_);
    v = versions_->current();
    v->Ref();  // its files stay on disk while we link them
    next_file = versions_->NewFileNumber() + 1;
    last_sequence = versions_->LastSequence();
    for (int level = 0; level < options_.num_levels; level++) {
      for (const FileMetaData* f : v->files(level)) files.emplace_back(level, *f);
    }
  }
  s = env_->CreateDir(dir);
  VersionEdit edit;
  edit.SetComparatorName(internal_comparator_.user_comparator()->Name());
  edit.SetNumLevels(options_.num_levels);
  edit.SetLogNumber(0);  // no WAL: the checkpoint is all in its tables
  edit.SetNextFile(next_file + 1);
  edit.SetLastSequence(last_sequence);
  for (const auto& [level, f] : files) {
    if (!s.ok()) break;
    const std::string src = TableFileName(dbname_, f.number);
    const std::string dst = TableFileName(dir, f.number);
    s = env_->LinkFile(src, dst);
    if (!s.ok()) {
      // Another file system: copy instead.
      std::string data;
      s = ReadFileToString(env_, src, &data);
      if (s.ok()) s = WriteStringToFile(env_, data, dst, /*sync=*/true);
    }
    if (s.ok()) edit.AddFile(level, f);
  }
  if (s.ok()) {
    std::unique_ptr<WritableFile> file;
    s = env_->NewWritableFile(ManifestFileName(dir, 1), WritableFileOptions(), &file);
    if (s.ok()) {
      wal::Writer log(std::move(file));
      std::string record;
      edit.EncodeTo(&record);
      s = log.AddRecord(record);
      if (s.ok()) s = log.Sync();
      if (s.ok()) s = log.Close();
    }
  }
  if (s.ok()) s = SetCurrentFile(env_, dir, 1);
  {
    std::lock_guard<std::mutex> l(mutex_);
    v->Unref();
  }
  return s;
}

Status DBImpl::Verify() {
  Version* v;
  {
    std::lock_guard<std::mutex> l(mutex_);
    v = versions_->current();
    v->Ref();
  }
  Status s;
  for (int level = 0; level < options_.num_levels && s.ok(); level++) {
    for (const FileMetaData* f : v->files(level)) {
      Cache::Handle* handle = nullptr;
      s = table_cache_->FindTable(*f, &handle);
      if (!s.ok()) break;
      s = table_cache_->GetTable(handle)->Verify();
      table_cache_->Release(handle);
      if (!s.ok()) break;
    }
  }
  {
    std::lock_guard<std::mutex> l(mutex_);
    v->Unref();
  }
  return s;
}

}  // namespace strata
