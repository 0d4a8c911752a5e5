// DBImpl: bulk loads. A large transaction whose keys fall in a key range
// the store holds nothing in is written straight into table files at the
// bottom level and installed by one manifest edit: no WAL record per
// update, no memtable. Readers see all of it or none of it (the version
// switch), and it is durable once the edit is (table files and directory
// are synced first).
//
// The whole load takes one sequence number S. A WAL record of no updates
// with sequence S marks it consumed, so WAL replay still finds the
// sequence numbers of later records contiguous; recovery takes the last
// sequence as at least every table's largest.
#include <algorithm>

#include "db/db_impl.h"
#include "db/filename.h"
#include "db/table_writer.h"
#include "db/write_batch_internal.h"
#include "db/write_batch_with_index_internal.h"

namespace strata {

Status DBImpl::Write(const WriteOptions& options, WriteBatchWithIndex* batch) {
  WriteBatch* updates = batch->GetWriteBatch();
  const size_t threshold = std::max<size_t>(1 << 20, options_.write_buffer_size / 4);
  if (read_only_ || updates->ApproximateSize() < threshold) return Write(options, updates);
  std::vector<IndexedUpdate> sorted;
  if (!WriteBatchWithIndexInternal::SortedNewestUpdates(batch, &sorted) || sorted.empty()) {
    return Write(options, updates);
  }
  for (const IndexedUpdate& u : sorted) {
    if (u.key.size() > kMaxKeySize || u.value.size() > kMaxValueSize) {
      return Write(options, updates);  // reports the size error
    }
  }
  bool ingested = false;
  Status s = IngestSorted(sorted, &ingested);
  if (!s.ok() || ingested) return s;
  return Write(options, updates);
}

// True if no memtable entry or range tombstone, and no table file, lies in
// [smallest, largest]. REQUIRES: mutex_ held.
bool DBImpl::RangeIsEmpty(const Slice& smallest, const Slice& largest) {
  const InternalKey seek(smallest, kMaxSequenceNumber, kValueTypeForSeek);
  auto overlaps = [&](MemTable* m) {
    if (m->HasRangeTombstones()) return true;
    std::unique_ptr<Iterator> it(m->NewIterator());
    it->Seek(seek.Encode());
    return it->Valid() &&
           internal_comparator_.CompareUserKeys(ExtractUserKey(it->key()), largest) <= 0;
  };
  if (overlaps(mem_)) return false;
  for (const auto& imm : imm_) {
    if (overlaps(imm.mem)) return false;
  }
  Version* v = versions_->current();
  for (int level = 0; level < versions_->NumLevels(); level++) {
    if (v->OverlapInLevel(level, &smallest, &largest)) return false;
  }
  return true;
}

Status DBImpl::IngestSorted(const std::vector<IndexedUpdate>& updates, bool* ingested) {
  *ingested = false;
  const Slice smallest = updates.front().key;
  const Slice largest = updates.back().key;
  // Take the writer slot: no other write may take a sequence number or
  // touch the memtable until the load is installed.
  Writer w(nullptr, false);
  std::unique_lock<std::mutex> lock(mutex_);
  writers_.push_back(&w);
  while (&w != writers_.front()) w.cv.wait(lock);
  auto release_slot = [&] {
    writers_.pop_front();
    if (!writers_.empty()) writers_.front()->cv.notify_one();
  };
  if (!bg_error_.ok()) {
    Status s = bg_error_.WithContext("writes are stopped by a background error");
    release_slot();
    return s;
  }
  if (!RangeIsEmpty(smallest, largest)) {
    release_slot();
    return Status::OK();  // not a bulk load: the caller writes normally
  }
  const SequenceNumber seq = versions_->LastSequence() + 1;
  WriteBatch marker;
  WriteBatchInternal::SetSequence(&marker, seq);
  Status s = log_->AddRecord(WriteBatchInternal::Contents(&marker));
  if (!s.ok()) {
    RecordBackgroundError(s);
    release_slot();
    return s;
  }
  log_dirty_ = true;
  log_bytes_ = log_->FileSize();  // we hold the writer slot: no leader appends

  // The table files, cut at the target file size.
  std::vector<FileMetaData> files;
  std::vector<uint64_t> numbers;
  lock.unlock();
  {
    std::unique_ptr<TableFileWriter> out;
    std::string ikey;
    auto finish = [&]() -> Status {
      FileMetaData meta;
      Status st = out->Finish(&meta);
      out.reset();
      if (st.ok()) files.push_back(meta);
      return st;
    };
    for (const IndexedUpdate& u : updates) {
      // Deletions of keys the store does not hold are no-ops.
      if (u.type != kTypeValue) continue;
      if (out == nullptr) {
        uint64_t number;
        {
          std::lock_guard<std::mutex> l(mutex_);
          number = versions_->NewFileNumber();
          pending_outputs_.insert(number);
        }
        numbers.push_back(number);
        out = std::make_unique<TableFileWriter>(env_, dbname_, table_options_, number);
        s = out->Open();
        if (!s.ok()) {
          out.reset();
          break;
        }
      }
      ikey.clear();
      AppendInternalKey(&ikey, ParsedInternalKey(u.key, seq, kTypeValue));
      out->Add(ikey, u.value);
      if (out->FileSize() >= options_.target_file_size) {
        s = finish();
        if (!s.ok()) break;
      }
    }
    if (s.ok() && out != nullptr) s = finish();
    if (out != nullptr) out->Abandon();
  }
  lock.lock();

  if (s.ok() && !files.empty()) {
    // Compactions that ran meanwhile may have put a file spanning the range
    // into some level; the load is newer than everything, so L0 is always
    // a correct home (and the bottom level when nothing overlaps).
    int level = versions_->NumLevels() - 1;
    Version* v = versions_->current();
    for (int l = 0; l < versions_->NumLevels(); l++) {
      if (v->OverlapInLevel(l, &smallest, &largest)) level = 0;
    }
    VersionEdit edit;
    uint64_t bytes = 0;
    for (const FileMetaData& f : files) {
      edit.AddFile(level, f);
      bytes += f.file_size;
    }
    s = versions_->LogAndApply(&edit, &mutex_);
    if (s.ok()) {
      stats_.bulk_loads++;
      stats_.bytes_written_bulk_load += bytes;
      for (const IndexedUpdate& u : updates)
        stats_.user_bytes_written += u.key.size() + u.value.size();
    }
  }
  // The marker consumed seq whatever happened.
  if (seq > versions_->LastSequence()) versions_->SetLastSequence(seq);
  for (uint64_t n : numbers) pending_outputs_.erase(n);
  if (!s.ok()) {
    for (const FileMetaData& f : files) env_->RemoveFile(TableFileName(dbname_, f.number));
    RecordBackgroundError(s);
  } else {
    *ingested = true;
  }
  release_slot();
  MaybeScheduleWork();
  return s;
}

}  // namespace strata
