// Versions, the manifest, and compaction picking.
#include "db/version_set.h"

#include <algorithm>
#include <cstdio>

#include "db/filename.h"
#include "db/table_cache.h"
#include "db/wal_reader.h"

namespace strata {

// Grandparent bytes one output file may overlap before it is cut, in units
// of the target file size: bounds the cost of its next compaction.
static constexpr int kMaxGrandparentOverlapFactor = 10;
// A file is worth compacting for its tombstones only when it holds at least
// this many entries (small files are cleaned up by size compactions).
static constexpr uint64_t kMinEntriesForTombstoneCompaction = 64;
// A bottom file whose point deletions are at least 1/this of its entries is
// rewritten once no snapshot needs them (fewer are not worth a rewrite).
static constexpr uint64_t kCleanupDeletionFraction = 32;

int FindFile(const InternalKeyComparator& icmp, const std::vector<FileMetaData*>& files,
             const Slice& key) {
  size_t left = 0, right = files.size();
  while (left < right) {
    size_t mid = (left + right) / 2;
    if (icmp.Compare(files[mid]->largest.Encode(), key) < 0) {
      left = mid + 1;
    } else {
      right = mid;
    }
  }
  return static_cast<int>(right);
}

// ---- Version -----------------------------------------------------------

Version::Version(VersionSet* vset)
    : vset_(vset), next_(this), prev_(this), files_(vset ? vset->num_levels_ : 0) {}

Version::~Version() {
  assert(refs_ == 0);
  prev_->next_ = next_;
  next_->prev_ = prev_;
  for (auto& level : files_) {
    for (FileMetaData* f : level) {
      assert(f->refs > 0);
      if (--f->refs <= 0) delete f;
    }
  }
}

void Version::Unref() {
  assert(refs_ >= 1);
  if (--refs_ == 0) delete this;
}

uint64_t Version::NumLevelBytes(int level) const {
  uint64_t sum = 0;
  for (const FileMetaData* f : files_[level]) sum += f->file_size;
  return sum;
}

namespace {

struct GetState {
  const InternalKeyComparator* icmp;
  Slice user_key;
  SequenceNumber covering;
  Version::GetResult result;
  std::string* value;
  bool corrupt;
};

void SaveValue(void* arg, const Slice& ikey, const Slice& v) {
  auto* s = static_cast<GetState*>(arg);
  ParsedInternalKey parsed;
  if (!ParseInternalKey(ikey, &parsed)) {
    s->corrupt = true;
    return;
  }
  if (s->icmp->CompareUserKeys(parsed.user_key, s->user_key) != 0) return;
  if (parsed.sequence > s->covering && parsed.type == kTypeValue) {
    s->value->assign(v.data(), v.size());
    s->result = Version::GetResult::kFound;
  } else {
    s->result = Version::GetResult::kDeleted;
  }
}

}  // namespace

Version::GetResult Version::Get(const ReadOptions& options, const LookupKey& key,
                                std::string* value, Status* status, SeekCharge* seek_exhausted) {
  const InternalKeyComparator& icmp = *vset_->icmp_;
  const Slice ikey = key.internal_key();
  const Slice user_key = key.user_key();
  const SequenceNumber snapshot = ExtractTrailer(ikey) >> 8;
  TableCache* tc = vset_->table_cache_;

  // The first file probed, charged a seek if the read goes on to another.
  FileMetaData* first_probed = nullptr;
  int first_level = -1;
  bool charged = false;
  auto charge = [&](FileMetaData* f, int level) {
    if (first_probed == nullptr) {
      first_probed = f;
      first_level = level;
    } else if (!charged) {
      charged = true;
      if (first_probed->allowed_seeks.left.fetch_sub(1, std::memory_order_relaxed) == 1) {
        seek_exhausted->file = first_probed;
        seek_exhausted->level = first_level;
      }
    }
  };
  auto search = [&](FileMetaData* f) -> GetResult {
    GetState state{&icmp, user_key, 0, GetResult::kNotFound, value, false};
    if (f->num_range_deletions > 0) {
      std::shared_ptr<const FragmentedTombstones> tombstones;
      *status = tc->GetTombstones(*f, &tombstones);
      if (!status->ok()) return GetResult::kError;
      state.covering = tombstones->MaxCoveringSeq(user_key, snapshot);
    }
    *status = tc->Get(options, *f, ikey, &state, &SaveValue);
    if (!status->ok()) return GetResult::kError;
    if (state.corrupt) {
      *status = Status::Corruption(TableFileBaseName(f->number), "malformed internal key");
      return GetResult::kError;
    }
    if (state.result == GetResult::kNotFound && state.covering > 0) return GetResult::kDeleted;
    return state.result;
  };

  // L0: every file that may hold the key, newest first.
  for (FileMetaData* f : files_[0]) {
    if (icmp.CompareUserKeys(user_key, f->smallest.user_key()) < 0 ||
        icmp.Compare(ikey, f->largest.Encode()) > 0) {
      continue;
    }
    charge(f, 0);
    GetResult r = search(f);
    if (r != GetResult::kNotFound) return r;
  }
  for (size_t level = 1; level < files_.size(); level++) {
    const std::vector<FileMetaData*>& files = files_[level];
    if (files.empty()) continue;
    int index = FindFile(icmp, files, ikey);
    if (index >= static_cast<int>(files.size())) continue;
    FileMetaData* f = files[index];
    if (icmp.CompareUserKeys(user_key, f->smallest.user_key()) < 0) continue;
    charge(f, static_cast<int>(level));
    GetResult r = search(f);
    if (r != GetResult::kNotFound) return r;
  }
  return GetResult::kNotFound;
}

bool Version::RecordSeekCompaction(const SeekCharge& charge) {
  if (charge.file == nullptr || file_to_compact_ != nullptr ||
      charge.level >= static_cast<int>(files_.size()) - 1) {
    return false;
  }
  const auto& files = files_[charge.level];
  if (std::find(files.begin(), files.end(), charge.file) == files.end()) return false;
  file_to_compact_ = charge.file;
  file_to_compact_level_ = charge.level;
  return true;
}

namespace {

// Iterates the files of one sorted level (L1+), opening tables lazily.
class LevelIterator final : public Iterator {
 public:
  LevelIterator(TableCache* table_cache, const ReadOptions& options,
                const InternalKeyComparator* icmp, const std::vector<FileMetaData*>* files)
      : table_cache_(table_cache), options_(options), icmp_(icmp), files_(files) {}
  ~LevelIterator() override { delete file_iter_; }

  bool Valid() const override { return file_iter_ != nullptr && file_iter_->Valid(); }
  void Seek(const Slice& target) override {
    OpenFile(FindFile(*icmp_, *files_, target));
    if (file_iter_ != nullptr) file_iter_->Seek(target);
    SkipEmptyFilesForward();
  }
  void SeekForPrev(const Slice& target) override {
    size_t index = FindFile(*icmp_, *files_, target);
    if (index >= files_->size() ||
        icmp_->Compare((*files_)[index]->smallest.Encode(), target) > 0) {
      // target is in a gap (or past the end): the answer is in the file before.
      if (index == 0) {
        OpenFile(files_->size());
        return;
      }
      OpenFile(index - 1);
      if (file_iter_ != nullptr) file_iter_->SeekToLast();
    } else {
      OpenFile(index);
      if (file_iter_ != nullptr) file_iter_->SeekForPrev(target);
    }
    SkipEmptyFilesBackward();
  }
  void SeekToFirst() override {
    OpenFile(0);
    if (file_iter_ != nullptr) file_iter_->SeekToFirst();
    SkipEmptyFilesForward();
  }
  void SeekToLast() override {
    if (files_->empty()) {
      OpenFile(0);
      return;
    }
    OpenFile(files_->size() - 1);
    if (file_iter_ != nullptr) file_iter_->SeekToLast();
    SkipEmptyFilesBackward();
  }
  void Next() override {
    file_iter_->Next();
    SkipEmptyFilesForward();
  }
  void Prev() override {
    file_iter_->Prev();
    SkipEmptyFilesBackward();
  }
  Slice key() const override { return file_iter_->key(); }
  Slice value() const override { return file_iter_->value(); }
  Status status() const override {
    if (!status_.ok()) return status_;
    return file_iter_ != nullptr ? file_iter_->status() : Status::OK();
  }

 private:
  void OpenFile(size_t index) {
    if (file_iter_ != nullptr && index == index_) return;
    if (file_iter_ != nullptr) {
      Status s = file_iter_->status();
      if (!s.ok() && status_.ok()) status_ = s;
      delete file_iter_;
      file_iter_ = nullptr;
    }
    index_ = index;
    if (index < files_->size()) {
      file_iter_ = table_cache_->NewIterator(options_, *(*files_)[index]);
    }
  }
  void SkipEmptyFilesForward() {
    while (file_iter_ != nullptr && !file_iter_->Valid() && file_iter_->status().ok()) {
      if (index_ + 1 >= files_->size()) {
        OpenFile(files_->size());
        return;
      }
      OpenFile(index_ + 1);
      file_iter_->SeekToFirst();
    }
  }
  void SkipEmptyFilesBackward() {
    while (file_iter_ != nullptr && !file_iter_->Valid() && file_iter_->status().ok()) {
      if (index_ == 0) {
        OpenFile(files_->size());
        return;
      }
      OpenFile(index_ - 1);
      file_iter_->SeekToLast();
    }
  }

  TableCache* const table_cache_;
  const ReadOptions options_;
  const InternalKeyComparator* const icmp_;
  const std::vector<FileMetaData*>* const files_;
  Iterator* file_iter_ = nullptr;
  size_t index_ = 0;
  Status status_;
};

}  // namespace

Iterator* NewLevelIterator(TableCache* table_cache, const ReadOptions& options,
                           const InternalKeyComparator* icmp,
                           const std::vector<FileMetaData*>* files) {
  return new LevelIterator(table_cache, options, icmp, files);
}

void Version::AddIterators(const ReadOptions& options, std::vector<Iterator*>* iters) {
  for (FileMetaData* f : files_[0]) {
    iters->push_back(vset_->table_cache_->NewIterator(options, *f));
  }
  for (size_t level = 1; level < files_.size(); level++) {
    if (!files_[level].empty()) {
      iters->push_back(
          new LevelIterator(vset_->table_cache_, options, vset_->icmp_, &files_[level]));
    }
  }
}

Status Version::GetRangeTombstones(std::vector<RangeTombstone>* out) {
  for (const auto& level : files_) {
    for (FileMetaData* f : level) {
      if (f->num_range_deletions == 0) continue;
      std::shared_ptr<const FragmentedTombstones> t;
      Status s = vset_->table_cache_->GetTombstones(*f, &t);
      if (!s.ok()) return s;
      for (const auto& frag : t->fragments()) {
        for (SequenceNumber seq : frag.seqs) {
          out->push_back(RangeTombstone{frag.start, frag.end, seq});
        }
      }
    }
  }
  return Status::OK();
}

// Overlap is decided on user keys: the versions of one user key must never
// be split between a compaction's inputs and the files it leaves behind, or
// an older version could end up in a level above a newer one. (Comparing
// internal keys would leave out a file holding only x@old when the range
// ends at x@new, since x@old sorts after x@new.) A file whose largest key is
// a range tombstone's exclusive end counts as touching that user key: that
// is conservative, never wrong.
static bool AfterFile(const Comparator* ucmp, const Slice* begin_user_key, const FileMetaData* f) {
  return begin_user_key != nullptr && ucmp->Compare(f->largest.user_key(), *begin_user_key) < 0;
}

static bool BeforeFile(const Comparator* ucmp, const Slice* end_user_key, const FileMetaData* f) {
  return end_user_key != nullptr && ucmp->Compare(f->smallest.user_key(), *end_user_key) > 0;
}

void Version::GetOverlappingInputs(int level, const InternalKey* begin, const InternalKey* end,
                                   std::vector<FileMetaData*>* inputs) {
  const Comparator* ucmp = vset_->icmp_->user_comparator();
  inputs->clear();
  // The range's user keys; for L0 they widen as overlapping files are found.
  std::string lo = begin ? begin->user_key().ToString() : std::string();
  std::string hi = end ? end->user_key().ToString() : std::string();
  const std::vector<FileMetaData*>& files = files_[level];
  for (size_t i = 0; i < files.size();) {
    FileMetaData* f = files[i++];
    const Slice lo_key(lo), hi_key(hi);
    if (AfterFile(ucmp, begin ? &lo_key : nullptr, f) ||
        BeforeFile(ucmp, end ? &hi_key : nullptr, f)) {
      continue;
    }
    inputs->push_back(f);
    if (level == 0) {
      // L0 files overlap each other: widen the range to what this file
      // covers and start over if it grew.
      bool grew = false;
      if (begin != nullptr && ucmp->Compare(f->smallest.user_key(), lo_key) < 0) {
        lo = f->smallest.user_key().ToString();
        grew = true;
      }
      if (end != nullptr && ucmp->Compare(f->largest.user_key(), hi_key) > 0) {
        hi = f->largest.user_key().ToString();
        grew = true;
      }
      if (grew) {
        inputs->clear();
        i = 0;
      }
    }
  }
}

bool Version::OverlapInLevel(int level, const Slice* smallest_user_key,
                             const Slice* largest_user_key) {
  const Comparator* ucmp = vset_->icmp_->user_comparator();
  for (FileMetaData* f : files_[level]) {
    if (AfterFile(ucmp, smallest_user_key, f) || BeforeFile(ucmp, largest_user_key, f)) continue;
    return true;
  }
  return false;
}

std::string Version::DebugString() const {
  std::string r;
  for (size_t level = 0; level < files_.size(); level++) {
    r += "--- level " + std::to_string(level) + " ---\n";
    for (const FileMetaData* f : files_[level]) {
      r += " " + std::to_string(f->number) + ":" + std::to_string(f->file_size) + "[" +
           f->smallest.DebugString() + " .. " + f->largest.DebugString() + "]\n";
    }
  }
  return r;
}

// ---- VersionBuilder ------------------------------------------------------

// Applies a sequence of edits to a base version without building each
// intermediate version.
class VersionBuilder {
 public:
  VersionBuilder(VersionSet* vset, Version* base)
      : vset_(vset), base_(base), levels_(vset->num_levels_) {
    base_->Ref();
  }
  ~VersionBuilder() {
    for (auto& level : levels_) {
      for (auto& [number, f] : level.added) {
        if (--f->refs <= 0) delete f;
      }
    }
    base_->Unref();
  }

  Status Apply(const VersionEdit* edit) {
    for (const auto& [level, number] : edit->deleted_files_) {
      if (level >= vset_->num_levels_) return Status::Corruption("manifest", "level out of range");
      auto& l = levels_[level];
      auto it = l.added.find(number);
      if (it != l.added.end()) {
        if (--it->second->refs <= 0) delete it->second;
        l.added.erase(it);
      }
      l.deleted.insert(number);
    }
    for (const auto& [level, file] : edit->new_files_) {
      if (level >= vset_->num_levels_) return Status::Corruption("manifest", "level out of range");
      auto& l = levels_[level];
      FileMetaData* f = new FileMetaData(file);
      f->refs = 1;
      f->being_compacted = false;
      // One probe that misses costs about as much as compacting 16 KiB of
      // the file (LevelDB's estimate: a seek ~ 10 ms ~ 25 disk-MB of
      // compaction I/O, rounded down); at least 100 before a compaction.
      f->allowed_seeks.left.store(
          std::max<int64_t>(100, static_cast<int64_t>(f->file_size / 16384)),
          std::memory_order_relaxed);
      l.deleted.erase(f->number);
      auto [it, inserted] = l.added.emplace(f->number, f);
      if (!inserted) {
        delete f;
        return Status::Corruption("manifest", "file added twice");
      }
    }
    return Status::OK();
  }

  void SaveTo(Version* v) {
    const InternalKeyComparator& icmp = *vset_->icmp_;
    for (int level = 0; level < vset_->num_levels_; level++) {
      std::vector<FileMetaData*>& out = v->files_[level];
      for (FileMetaData* f : base_->files_[level]) {
        if (levels_[level].deleted.count(f->number) == 0) out.push_back(f);
      }
      for (auto& [number, f] : levels_[level].added) {
        if (levels_[level].deleted.count(number) == 0) out.push_back(f);
      }
      if (level == 0) {
        // Newest first.
        std::sort(out.begin(), out.end(), [](FileMetaData* a, FileMetaData* b) {
          if (a->largest_seq != b->largest_seq) return a->largest_seq > b->largest_seq;
          return a->number > b->number;
        });
      } else {
        std::sort(out.begin(), out.end(), [&icmp](FileMetaData* a, FileMetaData* b) {
          int r = icmp.Compare(a->smallest.Encode(), b->smallest.Encode());
          return r != 0 ? r < 0 : a->number < b->number;
        });
      }
      for (FileMetaData* f : out) f->refs++;
    }
  }

  // Checks that every file's range is in order, that no file is live in two
  // levels, and that no two files of a sorted level overlap.
  Status CheckConsistency(Version* v) {
    const InternalKeyComparator& icmp = *vset_->icmp_;
    std::set<uint64_t> numbers;
    for (int level = 0; level < vset_->num_levels_; level++) {
      for (const FileMetaData* f : v->files_[level]) {
        if (!numbers.insert(f->number).second) {
          return Status::Corruption("manifest",
                                    "file " + std::to_string(f->number) + " is live in two levels");
        }
        // Compaction picking relies on it: an inverted file overlaps nothing,
        // not even its own range.
        if (icmp.Compare(f->smallest.Encode(), f->largest.Encode()) > 0) {
          return Status::Corruption("manifest", "file " + std::to_string(f->number) + " in level " +
                                                    std::to_string(level) +
                                                    " has its smallest key after its largest");
        }
      }
    }
    for (int level = 1; level < vset_->num_levels_; level++) {
      const auto& files = v->files_[level];
      for (size_t i = 1; i < files.size(); i++) {
        if (icmp.Compare(files[i - 1]->largest.Encode(), files[i]->smallest.Encode()) >= 0) {
          return Status::Corruption("manifest", "overlapping files " +
                                                    std::to_string(files[i - 1]->number) + " and " +
                                                    std::to_string(files[i]->number) +
                                                    " in level " + std::to_string(level));
        }
      }
    }
    return Status::OK();
  }

 private:
  struct LevelState {
    std::set<uint64_t> deleted;
    std::map<uint64_t, FileMetaData*> added;
  };
  VersionSet* vset_;
  Version* base_;
  std::vector<LevelState> levels_;
};

// ---- VersionSet ----------------------------------------------------------

VersionSet::VersionSet(const std::string& dbname, const Options* options, TableCache* table_cache,
                       const InternalKeyComparator* icmp)
    : dbname_(dbname),
      options_(options),
      env_(options->env),
      table_cache_(table_cache),
      icmp_(icmp),
      num_levels_(options->num_levels),
      dummy_versions_(nullptr) {
  AppendVersion(new Version(this));
}

VersionSet::~VersionSet() {
  current_->Unref();
  assert(dummy_versions_.next_ == &dummy_versions_);  // every version released
}

void VersionSet::AppendVersion(Version* v) {
  assert(v->refs_ == 0);
  if (current_ != nullptr) current_->Unref();
  current_ = v;
  v->Ref();
  v->prev_ = dummy_versions_.prev_;
  v->next_ = &dummy_versions_;
  v->prev_->next_ = v;
  v->next_->prev_ = v;
}

bool VersionSet::Exists() const { return env_->FileExists(CurrentFileName(dbname_)); }

Status VersionSet::LogAndApply(VersionEdit* edit, std::mutex* mu) {
  std::unique_lock<std::mutex> lock(*mu, std::adopt_lock);
  manifest_cv_.wait(lock, [this] { return !manifest_writer_busy_; });
  manifest_writer_busy_ = true;

  if (!edit->has_log_number_) edit->SetLogNumber(log_number_);
  edit->SetNextFile(next_file_number_);
  edit->SetLastSequence(last_sequence_);

  Version* v = new Version(this);
  Status s;
  {
    VersionBuilder builder(this, current_);
    s = builder.Apply(edit);
    if (s.ok()) {
      builder.SaveTo(v);
      s = builder.CheckConsistency(v);
    }
  }
  if (!s.ok()) {
    delete v;
    manifest_writer_busy_ = false;
    manifest_cv_.notify_all();
    lock.release();
    return s;
  }
  Finalize(v);

  uint64_t new_manifest_number = 0;
  if (descriptor_log_ == nullptr ||
      descriptor_log_->FileSize() >= options_->max_manifest_file_size) {
    new_manifest_number = NewFileNumber();
    edit->SetNextFile(next_file_number_);
  }
  // A fresh manifest is one record of the whole new state (the edit
  // applied), not a snapshot of the old state followed by the edit: a
  // prefix of it then never names a state whose files or WALs later edits
  // removed (recovery could not tell a manifest cut there from a new store).
  std::string record;
  if (new_manifest_number != 0) {
    EncodeSnapshot(*v, *edit, &record);
  } else {
    edit->EncodeTo(&record);
  }

  lock.unlock();
  std::string new_manifest_name;
  if (new_manifest_number != 0) {
    new_manifest_name = ManifestFileName(dbname_, new_manifest_number);
    std::unique_ptr<WritableFile> file;
    s = env_->NewWritableFile(new_manifest_name, WritableFileOptions(), &file);
    if (s.ok()) descriptor_log_ = std::make_unique<wal::Writer>(std::move(file));
  }
  if (s.ok()) s = descriptor_log_->AddRecord(record);
  if (s.ok()) s = descriptor_log_->Sync();
  bool current_may_name_it = false;
  if (s.ok() && new_manifest_number != 0) {
    s = SetCurrentFile(env_, dbname_, new_manifest_number);
    // If the rename happened but the directory sync failed, CURRENT may
    // already name the new manifest (now or after a crash): keep it.
    current_may_name_it = !s.ok();
  }
  lock.lock();

  if (s.ok()) {
    if (new_manifest_number != 0) manifest_file_number_ = new_manifest_number;
    AppendVersion(v);
    log_number_ = edit->log_number_;
  } else {
    delete v;
    // Whether the record reached the disk is unknown: start a new manifest
    // (a full snapshot) on the next edit rather than append after it.
    if (descriptor_log_ != nullptr) descriptor_log_->Close();
    descriptor_log_.reset();
    if (new_manifest_number != 0 && !current_may_name_it) env_->RemoveFile(new_manifest_name);
  }
  manifest_writer_busy_ = false;
  manifest_cv_.notify_all();
  lock.release();
  return s;
}

void VersionSet::EncodeSnapshot(const Version& v, const VersionEdit& edit, std::string* record) {
  VersionEdit snapshot;
  snapshot.SetComparatorName(icmp_->user_comparator()->Name());
  snapshot.SetNumLevels(num_levels_);
  snapshot.SetLogNumber(edit.log_number_);
  snapshot.SetNextFile(edit.next_file_number_);
  snapshot.SetLastSequence(edit.last_sequence_);
  for (int level = 0; level < num_levels_; level++) {
    for (const FileMetaData* f : v.files_[level]) snapshot.AddFile(level, *f);
  }
  snapshot.EncodeTo(record);
}

Status VersionSet::Recover() {
  std::string current;
  Status s = ReadFileToString(env_, CurrentFileName(dbname_), &current);
  if (!s.ok()) return s;
  if (current.empty() || current.back() != '\n' || current.rfind("MANIFEST-", 0) != 0) {
    return Status::Corruption(CurrentFileName(dbname_),
                              "CURRENT does not name a manifest (damaged CURRENT file)");
  }
  current.pop_back();
  uint64_t manifest_number;
  FileType type;
  if (!ParseFileName(current, &manifest_number, &type) || type != FileType::kManifestFile) {
    return Status::Corruption(CurrentFileName(dbname_), "CURRENT names no valid manifest");
  }
  const std::string manifest = dbname_ + "/" + current;
  std::unique_ptr<SequentialFile> file;
  s = env_->NewSequentialFile(manifest, &file);
  if (!s.ok()) {
    if (s.IsNotFound()) {
      return Status::Corruption(manifest, "the manifest named by CURRENT is missing");
    }
    return s;
  }

  bool have_log_number = false, have_next_file = false, have_last_sequence = false;
  uint64_t next_file = 0, log_number = 0;
  SequenceNumber last_sequence = 0;
  VersionBuilder builder(this, current_);
  wal::Reader reader(std::move(file), manifest);
  Slice record;
  std::string scratch;
  int records = 0;
  while (reader.ReadRecord(&record, &scratch)) {
    records++;
    VersionEdit edit;
    s = edit.DecodeFrom(record);
    if (s.ok() && edit.has_comparator_ && edit.comparator_ != icmp_->user_comparator()->Name()) {
      s = Status::InvalidArgument(manifest, "the store uses comparator " + edit.comparator_ +
                                                ", not " + icmp_->user_comparator()->Name());
    }
    if (s.ok() && edit.has_num_levels_ && edit.num_levels_ > num_levels_) {
      // Files may live in levels this configuration does not have.
      for (const auto& [level, f] : edit.new_files_) {
        if (level >= num_levels_) {
          s = Status::InvalidArgument(manifest, "the store has files in level " +
                                                    std::to_string(level) + " but num_levels is " +
                                                    std::to_string(num_levels_));
          break;
        }
      }
    }
    if (s.ok()) s = builder.Apply(&edit);
    if (!s.ok()) return s.WithContext(manifest);
    if (edit.has_log_number_) {
      log_number = edit.log_number_;
      have_log_number = true;
    }
    if (edit.has_next_file_number_) {
      next_file = edit.next_file_number_;
      have_next_file = true;
    }
    if (edit.has_last_sequence_) {
      last_sequence = edit.last_sequence_;
      have_last_sequence = true;
    }
  }
  if (reader.stop() == wal::Reader::Stop::kCorruption) return reader.status();
  if (records == 0 || !have_next_file || !have_log_number || !have_last_sequence) {
    return Status::Corruption(
        manifest, records == 0 ? "the manifest is empty" : "the manifest lacks required fields");
  }

  Version* v = new Version(this);
  builder.SaveTo(v);
  s = builder.CheckConsistency(v);
  if (!s.ok()) {
    delete v;
    return s;
  }
  // Every live table must be there: a store never opens partial.
  for (int level = 0; level < num_levels_ && s.ok(); level++) {
    for (const FileMetaData* f : v->files_[level]) {
      uint64_t size;
      const std::string fname = TableFileName(dbname_, f->number);
      Status fs = env_->GetFileSize(fname, &size);
      if (!fs.ok()) {
        // Removed by hand, or by a compaction whose edit the manifest lost.
        s = Status::Corruption(fname, "a table file named by " + current +
                                          " is missing (edits at the end of the manifest were "
                                          "lost, or the file was removed)");
        break;
      }
      if (size != f->file_size) {
        s = Status::Corruption(fname, "table file has size " + std::to_string(size) +
                                          ", the manifest says " + std::to_string(f->file_size));
        break;
      }
    }
  }
  // The WAL the manifest names as the oldest still needed must exist: it is
  // removed only after a durable edit moved log_number past it. Missing, it
  // means edits were lost from the manifest's end (a damaged or cut last
  // record looks like a torn tail) or the WAL was removed by hand; either
  // way rows it held are in no table this manifest names. (A crash inside
  // LogAndApply also leaves a torn last edit, but then that WAL is still
  // here and its rows are replayed.) Zero names no WAL: a new store, or a
  // checkpoint.
  if (s.ok() && log_number != 0 && !env_->FileExists(WalFileName(dbname_, log_number))) {
    s = Status::Corruption(manifest, "it needs " + WalFileName(dbname_, log_number) +
                                         ", which is missing: edits at the end of the "
                                         "manifest were lost, or the WAL was removed");
  }
  if (!s.ok()) {
    delete v;
    return s;
  }
  // A bulk load's files may carry a sequence number newer than the last
  // one the manifest recorded.
  for (const auto& level : v->files_) {
    for (const FileMetaData* f : level) last_sequence = std::max(last_sequence, f->largest_seq);
  }
  Finalize(v);
  AppendVersion(v);
  manifest_file_number_ = manifest_number;
  next_file_number_ = next_file;
  last_sequence_ = last_sequence;
  log_number_ = log_number;
  MarkFileNumberUsed(manifest_number);
  MarkFileNumberUsed(log_number);
  return Status::OK();
}

uint64_t VersionSet::MaxBytesForLevel(int level) const {
  double result = static_cast<double>(options_->max_bytes_for_level_base);
  for (int l = 1; l < level; l++) result *= options_->level_size_multiplier;
  return static_cast<uint64_t>(result);
}

void VersionSet::Finalize(Version* v) {
  int best_level = -1;
  double best_score = -1;
  for (int level = 0; level < num_levels_ - 1; level++) {
    double score;
    if (level == 0) {
      score = static_cast<double>(v->files_[0].size()) / options_->l0_compaction_trigger;
    } else {
      score = static_cast<double>(v->NumLevelBytes(level)) / MaxBytesForLevel(level);
    }
    if (score > best_score) {
      best_score = score;
      best_level = level;
    }
  }
  v->compaction_level_ = best_level;
  v->compaction_score_ = best_score;

  // Files at the bottom of their key range (no level below overlaps them)
  // that hold range deletions, or point deletions in some number: a
  // compaction drops those there unless a snapshot needs them, so they are
  // left only because one did (or came down by a trivial move).
  v->cleanup_files_.clear();
  v->min_cleanup_seq_ = kMaxSequenceNumber;
  for (int level = 1; level < num_levels_; level++) {
    for (FileMetaData* f : v->files_[level]) {
      const bool garbage =
          f->num_range_deletions > 0 ||
          (f->num_deletions > 0 && f->num_deletions * kCleanupDeletionFraction >= f->num_entries);
      if (!garbage) continue;
      const Slice lo = f->smallest.user_key(), hi = f->largest.user_key();
      bool bottom = true;
      for (int l = level + 1; l < num_levels_ && bottom; l++)
        bottom = !v->OverlapInLevel(l, &lo, &hi);
      if (!bottom) continue;
      v->cleanup_files_.emplace_back(level, f);
      v->min_cleanup_seq_ = std::min(v->min_cleanup_seq_, f->largest_seq);
    }
  }
}

int VersionSet::MaxLevelWithFiles() const {
  int max_level = 1;
  for (int level = 1; level < num_levels_; level++) {
    if (!current_->files_[level].empty()) max_level = level;
  }
  return max_level;
}

bool VersionSet::AnyBeingCompacted(const std::vector<FileMetaData*>& files) const {
  for (const FileMetaData* f : files) {
    if (f->being_compacted) return true;
  }
  return false;
}

static uint64_t TotalFileSize(const std::vector<FileMetaData*>& files) {
  uint64_t sum = 0;
  for (const FileMetaData* f : files) sum += f->file_size;
  return sum;
}

static double TombstoneDensity(const FileMetaData* f) {
  if (f->num_entries < kMinEntriesForTombstoneCompaction && f->num_range_deletions == 0) return 0;
  const double dead = static_cast<double>(f->num_deletions + f->num_range_deletions);
  return dead / static_cast<double>(std::max<uint64_t>(1, f->num_entries));
}

bool VersionSet::NeedsCompaction(SequenceNumber smallest_snapshot) const {
  Version* v = current_;
  if (v->compaction_score_ >= 1) return true;
  if (v->min_cleanup_seq_ <= smallest_snapshot) return true;
  if (v->file_to_compact_ != nullptr && !v->file_to_compact_->being_compacted) return true;
  for (int level = 0; level < num_levels_ - 1; level++) {
    for (const FileMetaData* f : v->files_[level]) {
      if (!f->being_compacted && TombstoneDensity(f) >= options_->tombstone_compaction_ratio) {
        return true;
      }
    }
  }
  return false;
}

Compaction* VersionSet::PickCompaction(SequenceNumber smallest_snapshot) {
  Version* v = current_;
  // Levels by score, highest first.
  std::vector<std::pair<double, int>> candidates;
  for (int level = 0; level < num_levels_ - 1; level++) {
    double score = level == 0
                       ? static_cast<double>(v->files_[0].size()) / options_->l0_compaction_trigger
                       : static_cast<double>(v->NumLevelBytes(level)) / MaxBytesForLevel(level);
    if (score >= 1) candidates.emplace_back(score, level);
  }
  std::sort(candidates.rbegin(), candidates.rend());
  for (const auto& [score, level] : candidates) {
    if (level == 0) {
      if (AnyBeingCompacted(v->files_[0])) continue;
      Compaction* c = SetupCompaction(0, v->files_[0]);
      if (c != nullptr) {
        c->reason_ = "l0";
        return c;
      }
      continue;
    }
    // The file whose rewrite costs least per byte it pushes down.
    FileMetaData* best = nullptr;
    double best_ratio = 0;
    for (FileMetaData* f : v->files_[level]) {
      if (f->being_compacted) continue;
      std::vector<FileMetaData*> overlap;
      v->GetOverlappingInputs(level + 1, &f->smallest, &f->largest, &overlap);
      if (AnyBeingCompacted(overlap)) continue;
      double ratio = static_cast<double>(TotalFileSize(overlap)) /
                     static_cast<double>(std::max<uint64_t>(1, f->file_size));
      if (best == nullptr || ratio < best_ratio) {
        best = f;
        best_ratio = ratio;
      }
    }
    if (best != nullptr) {
      Compaction* c = SetupCompaction(level, {best});
      if (c != nullptr) return c;
    }
  }
  // Nothing over its size: a file that point reads keep probing in vain.
  if (v->file_to_compact_ != nullptr && !v->file_to_compact_->being_compacted) {
    const int level = v->file_to_compact_level_;
    Compaction* c =
        SetupCompaction(level, level == 0 ? v->files_[0] : std::vector{v->file_to_compact_});
    if (c != nullptr) {
      c->reason_ = "seeks";
      return c;
    }
  }
  // Clean up files dense with tombstones.
  FileMetaData* best = nullptr;
  int best_level = -1;
  double best_density = 0;
  for (int level = 0; level < num_levels_ - 1; level++) {
    for (FileMetaData* f : v->files_[level]) {
      if (f->being_compacted) continue;
      double d = TombstoneDensity(f);
      if (d >= options_->tombstone_compaction_ratio && d > best_density) {
        best = f;
        best_level = level;
        best_density = d;
      }
    }
  }
  if (best != nullptr) {
    Compaction* c = SetupCompaction(best_level, best_level == 0 ? v->files_[0] : std::vector{best});
    if (c != nullptr) {
      c->reason_ = "tombstones";
      return c;
    }
  }
  // Deletions kept at the bottom for a snapshot that is gone: rewrite the
  // file in place, which drops them and the data they hide.
  for (const auto& [level, f] : v->cleanup_files_) {
    if (f->largest_seq > smallest_snapshot || f->being_compacted) continue;
    Compaction* c = SetupCompaction(level, {f}, /*in_place=*/true);
    if (c != nullptr) {
      c->reason_ = "cleanup";
      return c;
    }
  }
  return nullptr;
}

Compaction* VersionSet::SetupCompaction(int level, std::vector<FileMetaData*> inputs0,
                                        bool in_place) {
  Version* v = current_;
  if (inputs0.empty() || AnyBeingCompacted(inputs0)) return nullptr;
  assert(!in_place || level > 0);  // L0 files overlap: they only move down
  const int out = in_place ? level : level + 1;
  Compaction* c = new Compaction(options_, level, out, v);
  c->icmp_ = icmp_;
  c->inputs_[0] = std::move(inputs0);

  auto range_of = [this](const std::vector<FileMetaData*>& files, InternalKey* smallest,
                         InternalKey* largest) {
    for (size_t i = 0; i < files.size(); i++) {
      FileMetaData* f = files[i];
      if (i == 0 || icmp_->Compare(f->smallest.Encode(), smallest->Encode()) < 0) {
        *smallest = f->smallest;
      }
      if (i == 0 || icmp_->Compare(f->largest.Encode(), largest->Encode()) > 0) {
        *largest = f->largest;
      }
    }
  };
  InternalKey smallest, largest;
  range_of(c->inputs_[0], &smallest, &largest);
  if (level == 0) {
    // Overlapping L0 files must move down together so no older version of
    // a key stays above a newer one.
    v->GetOverlappingInputs(0, &smallest, &largest, &c->inputs_[0]);
    if (AnyBeingCompacted(c->inputs_[0])) {
      delete c;
      return nullptr;
    }
    range_of(c->inputs_[0], &smallest, &largest);
  }
  if (!in_place) v->GetOverlappingInputs(out, &smallest, &largest, &c->inputs_[1]);
  if (AnyBeingCompacted(c->inputs_[1])) {
    delete c;
    return nullptr;
  }
  InternalKey all_start, all_limit;
  std::vector<FileMetaData*> all = c->inputs_[0];
  all.insert(all.end(), c->inputs_[1].begin(), c->inputs_[1].end());
  range_of(all, &all_start, &all_limit);
  if (out + 1 < num_levels_) {
    v->GetOverlappingInputs(out + 1, &all_start, &all_limit, &c->grandparents_);
  }
  c->bottommost_ = true;
  for (int l = out + 1; l < num_levels_; l++) {
    std::vector<FileMetaData*> overlap;
    v->GetOverlappingInputs(l, &all_start, &all_limit, &overlap);
    if (!overlap.empty()) {
      c->bottommost_ = false;
      break;
    }
  }
  for (int which = 0; which < 2; which++) {
    for (FileMetaData* f : c->inputs_[which]) f->being_compacted = true;
  }
  return c;
}

Compaction* VersionSet::CompactRange(int level, const InternalKey* begin, const InternalKey* end,
                                     bool in_place, bool* busy) {
  *busy = false;
  std::vector<FileMetaData*> inputs;
  current_->GetOverlappingInputs(level, begin, end, &inputs);
  if (in_place) {
    // The files from the first to the last that hold deletions: a
    // contiguous run, so the outputs overlap no file left in the level.
    auto has_deletions = [](const FileMetaData* f) {
      return f->num_deletions > 0 || f->num_range_deletions > 0;
    };
    auto first = std::find_if(inputs.begin(), inputs.end(), has_deletions);
    auto last = std::find_if(inputs.rbegin(), inputs.rend(), has_deletions).base();
    inputs = first < last ? std::vector<FileMetaData*>(first, last) : std::vector<FileMetaData*>();
  }
  if (inputs.empty()) return nullptr;
  if (AnyBeingCompacted(inputs)) {
    *busy = true;
    return nullptr;
  }
  Compaction* c = SetupCompaction(level, inputs, in_place);
  if (c == nullptr) {
    *busy = true;
    return nullptr;
  }
  c->reason_ = "manual";
  return c;
}

void VersionSet::AddLiveFiles(std::set<uint64_t>* live) {
  for (Version* v = dummy_versions_.next_; v != &dummy_versions_; v = v->next_) {
    for (const auto& level : v->files_) {
      for (const FileMetaData* f : level) live->insert(f->number);
    }
  }
}

std::string VersionSet::LevelSummary() const {
  std::string r;
  for (int level = 0; level < num_levels_; level++) {
    if (level > 0) r += ",";
    r += std::to_string(current_->files_[level].size());
  }
  return r;
}

// ---- Compaction ------------------------------------------------------

Compaction::Compaction(const Options* options, int level, int output_level, Version* input_version)
    : level_(level),
      output_level_(output_level),
      max_output_file_size_(options->target_file_size),
      input_version_(input_version),
      level_ptrs_(options->num_levels, 0) {
  input_version_->Ref();
}

Compaction::~Compaction() {
  if (input_version_ != nullptr) input_version_->Unref();
}

bool Compaction::IsTrivialMove() const {
  if (output_level_ == level_ || !inputs_[1].empty()) return false;
  uint64_t grandparent_bytes = TotalFileSize(grandparents_);
  if (grandparent_bytes > kMaxGrandparentOverlapFactor * max_output_file_size_) return false;
  if (inputs_[0].size() == 1) return true;
  // Several L0 files move together only if they share no user key (a
  // sorted level never splits one user key between files).
  std::vector<FileMetaData*> sorted = inputs_[0];
  std::sort(sorted.begin(), sorted.end(), [this](FileMetaData* a, FileMetaData* b) {
    return icmp_->Compare(a->smallest.Encode(), b->smallest.Encode()) < 0;
  });
  for (size_t i = 1; i < sorted.size(); i++) {
    if (icmp_->CompareUserKeys(sorted[i - 1]->largest.user_key(), sorted[i]->smallest.user_key()) >=
        0) {
      return false;
    }
  }
  return true;
}

void Compaction::AddInputDeletions(VersionEdit* edit) {
  for (int which = 0; which < 2; which++) {
    for (FileMetaData* f : inputs_[which])
      edit->RemoveFile(which == 0 ? level_ : output_level_, f->number);
  }
}

bool Compaction::IsBaseLevelForKey(const Slice& user_key) {
  const auto& files_by_level = input_version_->files_;
  for (size_t level = output_level_ + 1; level < files_by_level.size(); level++) {
    const std::vector<FileMetaData*>& files = files_by_level[level];
    while (level_ptrs_[level] < files.size()) {
      FileMetaData* f = files[level_ptrs_[level]];
      if (icmp_->CompareUserKeys(user_key, f->largest.user_key()) <= 0) {
        if (icmp_->CompareUserKeys(user_key, f->smallest.user_key()) >= 0) return false;
        break;
      }
      level_ptrs_[level]++;
    }
  }
  return true;
}

bool Compaction::ShouldStopBefore(const Slice& internal_key) {
  while (grandparent_index_ < grandparents_.size() &&
         icmp_->Compare(internal_key, grandparents_[grandparent_index_]->largest.Encode()) > 0) {
    if (seen_key_) overlapped_bytes_ += grandparents_[grandparent_index_]->file_size;
    grandparent_index_++;
  }
  seen_key_ = true;
  if (overlapped_bytes_ > kMaxGrandparentOverlapFactor * max_output_file_size_) {
    overlapped_bytes_ = 0;
    return true;
  }
  return false;
}

void Compaction::ReleaseInputs() {
  for (int which = 0; which < 2; which++) {
    for (FileMetaData* f : inputs_[which]) f->being_compacted = false;
  }
  if (input_version_ != nullptr) {
    input_version_->Unref();
    input_version_ = nullptr;
  }
}

uint64_t Compaction::InputBytes() const {
  return TotalFileSize(inputs_[0]) + TotalFileSize(inputs_[1]);
}

}  // namespace strata
