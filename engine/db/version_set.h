// Versions: the set of live table files per level, and the VersionSet that
// logs every change to the manifest and picks compactions.
//
// A Version is immutable and reference-counted; readers (Get, iterators)
// pin the Version they start on, so its files are not deleted under them.
// The VersionSet and its methods are guarded by the DB mutex unless noted;
// LogAndApply releases the mutex while it writes the manifest.
//
// Levels: L0 files may overlap each other and are ordered newest first; in
// L1 and below files are sorted by key and never overlap, and one user key
// never spans two files of a level.
#ifndef STRATA_DB_VERSION_SET_H_
#define STRATA_DB_VERSION_SET_H_

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "db/dbformat.h"
#include "db/range_tombstone.h"
#include "db/version_edit.h"
#include "db/wal_writer.h"
#include "strata/options.h"

namespace strata {

class Compaction;
class TableCache;
class Version;
class VersionSet;

// Index of the first file in `files` (sorted, disjoint) whose largest key is
// >= key, or files.size().
int FindFile(const InternalKeyComparator& icmp, const std::vector<FileMetaData*>& files,
             const Slice& key);

// An iterator over the files of one sorted level (or a sorted subset of
// one), opening tables lazily. *files must outlive the iterator.
Iterator* NewLevelIterator(TableCache* table_cache, const ReadOptions& options,
                           const InternalKeyComparator* icmp,
                           const std::vector<FileMetaData*>* files);

class Version {
 public:
  // Looks up the key as of its sequence number.
  // A read that probes a file and then looks further charges that file one
  // seek; the file whose budget this read used up (if any) lands in
  // *seek_exhausted, for RecordSeekCompaction.
  enum class GetResult { kNotFound, kFound, kDeleted, kError };
  struct SeekCharge {
    FileMetaData* file = nullptr;
    int level = -1;
  };
  GetResult Get(const ReadOptions& options, const LookupKey& key, std::string* value,
                Status* status, SeekCharge* seek_exhausted);
  // REQUIRES: the DB mutex held. Marks the file for a seek compaction if it
  // is still in this version and nothing else is marked; true if marked.
  bool RecordSeekCompaction(const SeekCharge& charge);

  // Appends one iterator per L0 file and one per non-empty deeper level, all
  // over internal keys. Used by DB iterators and compaction.
  void AddIterators(const ReadOptions& options, std::vector<Iterator*>* iters);

  // Every range tombstone in the version's files (built once, then shared).
  Status GetRangeTombstones(std::vector<RangeTombstone>* out);

  void Ref() { refs_++; }
  void Unref();

  // Files of `level` overlapping [begin, end] (internal keys; null means
  // unbounded). For L0 the range grows to cover what overlapping files add.
  void GetOverlappingInputs(int level, const InternalKey* begin, const InternalKey* end,
                            std::vector<FileMetaData*>* inputs);
  // True if some file in `level` overlaps the user-key range [smallest, largest].
  bool OverlapInLevel(int level, const Slice* smallest_user_key, const Slice* largest_user_key);

  int NumFiles(int level) const { return static_cast<int>(files_[level].size()); }
  const std::vector<FileMetaData*>& files(int level) const { return files_[level]; }
  uint64_t NumLevelBytes(int level) const;
  std::string DebugString() const;

 private:
  friend class Compaction;
  friend class VersionSet;
  friend class VersionBuilder;

  explicit Version(VersionSet* vset);
  ~Version();
  Version(const Version&) = delete;
  Version& operator=(const Version&) = delete;

  VersionSet* vset_;
  Version* next_;  // in the VersionSet's list of live versions
  Version* prev_;
  int refs_ = 0;
  std::vector<std::vector<FileMetaData*>> files_;

  // Computed by VersionSet::Finalize: the level most in need of compaction.
  double compaction_score_ = -1;
  int compaction_level_ = -1;
  // Computed by VersionSet::Finalize: the files whose deletions (and the data
  // they hide) were kept at the bottom of their key range only because a
  // snapshot needed them, and the smallest largest_seq among them: once the
  // oldest snapshot reaches it, rewriting that file frees space.
  std::vector<std::pair<int, FileMetaData*>> cleanup_files_;
  SequenceNumber min_cleanup_seq_ = kMaxSequenceNumber;
  // Set by RecordSeekCompaction: a file that point reads keep probing in
  // vain, to compact when no level is over its size.
  FileMetaData* file_to_compact_ = nullptr;
  int file_to_compact_level_ = -1;
};

class VersionSet {
 public:
  VersionSet(const std::string& dbname, const Options* options, TableCache* table_cache,
             const InternalKeyComparator* icmp);
  VersionSet(const VersionSet&) = delete;
  VersionSet& operator=(const VersionSet&) = delete;
  ~VersionSet();

  // Applies edit to the current version, logs it to the manifest (starting
  // a new manifest when none is open or the current one is too big), and
  // installs the result as current. REQUIRES: *mu held on entry; it is
  // released while writing and held again on return. Edits are applied one
  // at a time in call order.
  Status LogAndApply(VersionEdit* edit, std::mutex* mu);

  // Reads CURRENT and the manifest it names. NotFound if there is no
  // CURRENT; Corruption naming what is missing or damaged otherwise.
  Status Recover();

  // True if the store has a CURRENT file.
  bool Exists() const;

  Version* current() const { return current_; }
  uint64_t NewFileNumber() { return next_file_number_++; }
  // Returns an unused number for reuse if nothing else took a number since.
  void ReuseFileNumber(uint64_t number) {
    if (next_file_number_ == number + 1) next_file_number_ = number;
  }
  void MarkFileNumberUsed(uint64_t number) {
    if (next_file_number_ <= number) next_file_number_ = number + 1;
  }
  uint64_t ManifestFileNumber() const { return manifest_file_number_; }
  uint64_t LogNumber() const { return log_number_; }
  SequenceNumber LastSequence() const { return last_sequence_; }
  void SetLastSequence(SequenceNumber s) { last_sequence_ = s; }
  int NumLevels() const { return num_levels_; }

  // The compaction most needed now, or nullptr. Marks its inputs as being
  // compacted. smallest_snapshot: the oldest sequence any reader may still
  // read at.
  Compaction* PickCompaction(SequenceNumber smallest_snapshot);
  // A compaction of the files of `level` overlapping [begin, end] into
  // level + 1, or nullptr if there are none (or some are being compacted:
  // then *busy is set). in_place: only the files holding deletions,
  // rewritten into `level` itself (the bottom of the tree, where a rewrite
  // drops what no snapshot needs).
  Compaction* CompactRange(int level, const InternalKey* begin, const InternalKey* end,
                           bool in_place, bool* busy);
  // True if PickCompaction(smallest_snapshot) would return something.
  bool NeedsCompaction(SequenceNumber smallest_snapshot) const;

  // Inserts the numbers of every file in any live version.
  void AddLiveFiles(std::set<uint64_t>* live);

  uint64_t MaxBytesForLevel(int level) const;
  // The last level that holds files (at least 1).
  int MaxLevelWithFiles() const;
  std::string LevelSummary() const;

  // Bytes written by compactions, for write amplification.
  const InternalKeyComparator* icmp() const { return icmp_; }
  TableCache* table_cache() const { return table_cache_; }
  const Options* options() const { return options_; }

 private:
  friend class Compaction;
  friend class Version;
  friend class VersionBuilder;

  void AppendVersion(Version* v);
  void Finalize(Version* v);
  // The record that starts a new manifest: version v with the log number,
  // next file number and last sequence of edit (which v includes).
  void EncodeSnapshot(const Version& v, const VersionEdit& edit, std::string* record);
  Compaction* SetupCompaction(int level, std::vector<FileMetaData*> inputs0, bool in_place = false);
  bool AnyBeingCompacted(const std::vector<FileMetaData*>& files) const;

  const std::string dbname_;
  const Options* const options_;
  Env* const env_;
  TableCache* const table_cache_;
  const InternalKeyComparator* const icmp_;
  const int num_levels_;

  uint64_t next_file_number_ = 2;
  uint64_t manifest_file_number_ = 0;
  SequenceNumber last_sequence_ = 0;
  uint64_t log_number_ = 0;

  std::unique_ptr<wal::Writer> descriptor_log_;
  bool manifest_writer_busy_ = false;  // a LogAndApply is writing
  std::condition_variable_any manifest_cv_;

  Version dummy_versions_;  // head of the circular list of live versions
  Version* current_ = nullptr;
};

// A compaction: input files of one level (and the overlapping files of the
// next), merged into new files of the output level.
class Compaction {
 public:
  ~Compaction();

  int level() const { return level_; }
  // level() + 1, or level() itself for a rewrite in place.
  int output_level() const { return output_level_; }
  VersionEdit* edit() { return &edit_; }
  int num_input_files(int which) const { return static_cast<int>(inputs_[which].size()); }
  FileMetaData* input(int which, int i) const { return inputs_[which][i]; }
  const std::vector<FileMetaData*>& inputs(int which) const { return inputs_[which]; }
  uint64_t MaxOutputFileSize() const { return max_output_file_size_; }

  // A single input file that can move to the next level without rewriting
  // (never for a rewrite in place).
  bool IsTrivialMove() const;
  // Records the removal of every input in the edit.
  void AddInputDeletions(VersionEdit* edit);
  // True if no level below the output level holds data for user_key (so a
  // tombstone for it may be dropped). Calls must come in increasing key
  // order.
  bool IsBaseLevelForKey(const Slice& user_key);
  // True if no level below the output overlaps the compaction's key range.
  bool bottommost() const { return bottommost_; }
  // True if the output file should end before internal_key, to keep its
  // overlap with the level below the output bounded.
  bool ShouldStopBefore(const Slice& internal_key);
  // Clears being_compacted on the inputs and drops the input version.
  void ReleaseInputs();
  // Why it was picked, for stats: "size", "l0", "tombstones", "cleanup",
  // "manual".
  const char* reason() const { return reason_; }
  uint64_t InputBytes() const;

 private:
  friend class VersionSet;
  Compaction(const Options* options, int level, int output_level, Version* input_version);

  const int level_;
  const int output_level_;
  uint64_t max_output_file_size_;
  Version* input_version_;
  VersionEdit edit_;
  std::vector<FileMetaData*> inputs_[2];
  std::vector<FileMetaData*> grandparents_;
  size_t grandparent_index_ = 0;
  bool seen_key_ = false;
  uint64_t overlapped_bytes_ = 0;
  bool bottommost_ = false;
  const char* reason_ = "size";
  std::vector<size_t> level_ptrs_;
  const InternalKeyComparator* icmp_ = nullptr;
};

}  // namespace strata

#endif  // STRATA_DB_VERSION_SET_H_
