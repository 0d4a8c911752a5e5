// CompactionJob: merges a compaction's input files into new files of the
// output level, dropping what no reader can see any more: versions shadowed
// by newer ones, deleted entries, and (at the bottom) tombstones themselves.
//
// Run() does all file I/O without the DB mutex; it only calls back (under
// the caller's synchronization) to allocate file numbers.
#ifndef STRATA_DB_COMPACTION_JOB_H_
#define STRATA_DB_COMPACTION_JOB_H_

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "db/version_edit.h"
#include "db/version_set.h"
#include "table/table_options.h"

namespace strata {

class CompactionJob {
 public:
  struct Options {
    std::string dbname;
    Env* env;
    const TableOptions* table_options;
    TableCache* table_cache;
    // Every snapshot's sequence, ascending, plus the latest sequence last.
    SequenceNumber smallest_snapshot;
    // Allocates a file number and protects it from deletion; thread-safe.
    std::function<uint64_t()> new_file_number;
    const std::atomic<bool>* shutting_down;
  };

  CompactionJob(const Options& options, Compaction* compaction);

  // Writes the outputs. On failure the outputs written so far are removed.
  Status Run();

  const std::vector<FileMetaData>& outputs() const { return outputs_; }
  uint64_t bytes_read() const { return bytes_read_; }
  uint64_t bytes_written() const { return bytes_written_; }
  uint64_t entries_dropped() const { return entries_dropped_; }

 private:
  const Options options_;
  Compaction* const c_;
  std::vector<FileMetaData> outputs_;
  uint64_t bytes_read_ = 0;
  uint64_t bytes_written_ = 0;
  uint64_t entries_dropped_ = 0;
};

}  // namespace strata

#endif  // STRATA_DB_COMPACTION_JOB_H_
