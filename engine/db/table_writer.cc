// TableFileWriter: one output table and its metadata.
#include "db/table_writer.h"

#include "db/filename.h"

namespace strata {

TableFileWriter::TableFileWriter(Env* env, const std::string& dbname, const TableOptions& options,
                                 uint64_t file_number)
    : env_(env),
      fname_(TableFileName(dbname, file_number)),
      options_(options),
      icmp_(static_cast<const InternalKeyComparator*>(options.comparator)) {
  meta_.number = file_number;
  meta_.smallest_seq = kMaxSequenceNumber;
}

TableFileWriter::~TableFileWriter() {
  if (builder_ != nullptr) Abandon();
}

Status TableFileWriter::Open() {
  Status s = env_->NewWritableFile(fname_, WritableFileOptions(), &file_);
  if (!s.ok()) return s;
  builder_ = std::make_unique<TableBuilder>(options_, file_.get());
  return Status::OK();
}

void TableFileWriter::ExtendRange(const Slice& smallest, const Slice& largest) {
  if (!has_range_ || icmp_->Compare(smallest, meta_.smallest.Encode()) < 0) {
    meta_.smallest.DecodeFrom(smallest);
  }
  if (!has_range_ || icmp_->Compare(largest, meta_.largest.Encode()) > 0) {
    meta_.largest.DecodeFrom(largest);
  }
  has_range_ = true;
}

void TableFileWriter::Add(const Slice& internal_key, const Slice& value) {
  builder_->Add(internal_key, value);
  if (meta_.num_entries == 0) {
    ExtendRange(internal_key, internal_key);
  } else if (icmp_->Compare(internal_key, meta_.largest.Encode()) > 0) {
    meta_.largest.DecodeFrom(internal_key);
  }
  meta_.num_entries++;
  const uint64_t trailer = ExtractTrailer(internal_key);
  const SequenceNumber seq = trailer >> 8;
  if ((trailer & 0xff) == kTypeDeletion) meta_.num_deletions++;
  if (seq < meta_.smallest_seq) meta_.smallest_seq = seq;
  if (seq > meta_.largest_seq) meta_.largest_seq = seq;
}

void TableFileWriter::AddTombstone(const Slice& start, const Slice& end, SequenceNumber seq) {
  key_buf_.clear();
  AppendInternalKey(&key_buf_, ParsedInternalKey(start, seq, kTypeRangeDeletion));
  builder_->AddRangeTombstone(key_buf_, end);
  // The tombstone covers [start, end): its largest key is the boundary just
  // before every entry of `end`.
  InternalKey limit(end, kMaxSequenceNumber, kTypeBoundary);
  ExtendRange(key_buf_, limit.Encode());
  meta_.num_range_deletions++;
  if (seq < meta_.smallest_seq) meta_.smallest_seq = seq;
  if (seq > meta_.largest_seq) meta_.largest_seq = seq;
}

Status TableFileWriter::status() const {
  return builder_ != nullptr ? builder_->status() : Status::OK();
}

Status TableFileWriter::Finish(FileMetaData* meta) {
  builder_->SetProperty("db.num_deletions", std::to_string(meta_.num_deletions));
  builder_->SetProperty("db.smallest_seq", std::to_string(meta_.smallest_seq));
  builder_->SetProperty("db.largest_seq", std::to_string(meta_.largest_seq));
  Status s = builder_->Finish();
  if (s.ok()) meta_.file_size = builder_->FileSize();
  builder_.reset();
  // A table is durable before the manifest edit that names it.
  if (s.ok()) s = file_->Sync();
  if (s.ok()) s = file_->Close();
  file_.reset();
  // ... and so is its directory entry, before any manifest names it.
  if (s.ok()) s = env_->SyncDir(fname_.substr(0, fname_.rfind('/')));
  if (!s.ok()) {
    env_->RemoveFile(fname_);
    return s;
  }
  if (meta_.smallest_seq == kMaxSequenceNumber) meta_.smallest_seq = 0;
  *meta = meta_;
  return Status::OK();
}

void TableFileWriter::Abandon() {
  if (builder_ != nullptr) {
    builder_->Abandon();
    builder_.reset();
  }
  if (file_ != nullptr) {
    file_->Close();
    file_.reset();
  }
  env_->RemoveFile(fname_);
}

}  // namespace strata
