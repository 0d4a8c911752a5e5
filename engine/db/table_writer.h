// TableFileWriter: writes one table file for a flush or a compaction and
// collects the FileMetaData the manifest records for it (key range
// including range tombstones, sequence range, entry counts).
// Not thread-safe: one per output file.
#ifndef STRATA_DB_TABLE_WRITER_H_
#define STRATA_DB_TABLE_WRITER_H_

#include <memory>
#include <string>

#include "db/dbformat.h"
#include "db/range_tombstone.h"
#include "db/version_edit.h"
#include "strata/env.h"
#include "table/table_builder.h"
#include "table/table_options.h"

namespace strata {

class TableFileWriter {
 public:
  TableFileWriter(Env* env, const std::string& dbname, const TableOptions& options,
                  uint64_t file_number);
  TableFileWriter(const TableFileWriter&) = delete;
  TableFileWriter& operator=(const TableFileWriter&) = delete;
  ~TableFileWriter();

  Status Open();
  // REQUIRES: internal keys in increasing order.
  void Add(const Slice& internal_key, const Slice& value);
  // REQUIRES: tombstones in increasing start order.
  void AddTombstone(const Slice& start, const Slice& end, SequenceNumber seq);
  uint64_t FileSize() const { return builder_ ? builder_->FileSize() : 0; }
  uint64_t NumEntries() const { return meta_.num_entries + meta_.num_range_deletions; }
  Status status() const;

  // Finishes the table, syncs and closes the file, and fills *meta.
  Status Finish(FileMetaData* meta);
  // Stops and removes the file.
  void Abandon();

 private:
  void ExtendRange(const Slice& smallest, const Slice& largest);

  Env* const env_;
  const std::string fname_;
  const TableOptions& options_;
  const InternalKeyComparator* icmp_;
  std::unique_ptr<WritableFile> file_;
  std::unique_ptr<TableBuilder> builder_;
  FileMetaData meta_;
  bool has_range_ = false;
  std::string key_buf_;
};

}  // namespace strata

#endif  // STRATA_DB_TABLE_WRITER_H_
