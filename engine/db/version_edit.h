// VersionEdit: one change to the set of live files, as logged in the
// manifest (format in docs/manifest_format.md), and FileMetaData, what the
// engine knows of each table file.
#ifndef STRATA_DB_VERSION_EDIT_H_
#define STRATA_DB_VERSION_EDIT_H_

#include <atomic>
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "db/dbformat.h"
#include "strata/status.h"

namespace strata {

// A counter that may be decremented by readers without the DB mutex, yet
// copies with the FileMetaData that holds it.
struct SeekBudget {
  std::atomic<int64_t> left{0};
  SeekBudget() = default;
  SeekBudget(const SeekBudget& o) : left(o.left.load(std::memory_order_relaxed)) {}
  SeekBudget& operator=(const SeekBudget& o) {
    left.store(o.left.load(std::memory_order_relaxed), std::memory_order_relaxed);
    return *this;
  }
};

struct FileMetaData {
  int refs = 0;                  // Versions that include the file
  bool being_compacted = false;  // guarded by the DB mutex
  uint64_t number = 0;
  uint64_t file_size = 0;
  InternalKey smallest;  // smallest internal key, range tombstones included
  InternalKey largest;   // largest internal key; a (k, max, kTypeBoundary)
                         // boundary if range tombstones end at k
  SequenceNumber smallest_seq = 0;
  SequenceNumber largest_seq = 0;
  uint64_t num_entries = 0;    // point entries
  uint64_t num_deletions = 0;  // point tombstones among them
  uint64_t num_range_deletions = 0;
  // Point reads that probed this file and then had to look in another one,
  // still allowed before the file is compacted (LevelDB's seek compaction):
  // set when the file joins a version, shared by every version holding it.
  // Not persisted.
  mutable SeekBudget allowed_seeks;
};

class VersionEdit {
 public:
  VersionEdit() = default;

  void Clear() { *this = VersionEdit(); }

  void SetComparatorName(const Slice& name) {
    has_comparator_ = true;
    comparator_ = name.ToString();
  }
  void SetLogNumber(uint64_t num) {
    has_log_number_ = true;
    log_number_ = num;
  }
  void SetNextFile(uint64_t num) {
    has_next_file_number_ = true;
    next_file_number_ = num;
  }
  void SetLastSequence(SequenceNumber seq) {
    has_last_sequence_ = true;
    last_sequence_ = seq;
  }
  void SetNumLevels(int n) {
    has_num_levels_ = true;
    num_levels_ = n;
  }

  // Adds the file at the level. REQUIRES: not yet in a saved version.
  void AddFile(int level, const FileMetaData& f) { new_files_.emplace_back(level, f); }
  void RemoveFile(int level, uint64_t file) { deleted_files_.insert(std::make_pair(level, file)); }

  const std::vector<std::pair<int, FileMetaData>>& new_files() const { return new_files_; }

  void EncodeTo(std::string* dst) const;
  Status DecodeFrom(const Slice& src);
  std::string DebugString() const;

 private:
  friend class VersionSet;
  friend class VersionBuilder;

  std::string comparator_;
  uint64_t log_number_ = 0;
  uint64_t next_file_number_ = 0;
  SequenceNumber last_sequence_ = 0;
  int num_levels_ = 0;
  bool has_comparator_ = false;
  bool has_log_number_ = false;
  bool has_next_file_number_ = false;
  bool has_last_sequence_ = false;
  bool has_num_levels_ = false;

  std::set<std::pair<int, uint64_t>> deleted_files_;
  std::vector<std::pair<int, FileMetaData>> new_files_;
};

}  // namespace strata

#endif  // STRATA_DB_VERSION_EDIT_H_
