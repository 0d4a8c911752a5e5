// WalReader: reads records back from a WAL file at recovery.
//
// Reading stops at the first fragment that is not intact. What stopped it
// tells recovery what to do:
//   kEndOfFile      the file ends (or its zero-filled preallocated tail
//                   begins) at a record boundary: everything was read;
//   kTornTail       the last record is incomplete or damaged and nothing
//                   intact follows it: a write interrupted by a crash, to be
//                   dropped;
//   kCorruption     a damaged fragment is followed by intact ones later in
//                   the file: real damage, which recovery must not hide.
// Not thread-safe.
#ifndef STRATA_DB_WAL_READER_H_
#define STRATA_DB_WAL_READER_H_

#include <memory>
#include <string>

#include "strata/env.h"
#include "strata/slice.h"
#include "strata/status.h"

namespace strata {
namespace wal {

class Reader {
 public:
  enum class Stop { kNone, kEndOfFile, kTornTail, kCorruption };

  // Takes ownership of file. fname is used in messages.
  Reader(std::unique_ptr<SequentialFile> file, std::string fname);
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // Reads the next record into *record (which may point into *scratch or an
  // internal buffer, valid until the next call). False when reading stops;
  // then stop() and status() say why.
  bool ReadRecord(Slice* record, std::string* scratch);

  Stop stop() const { return stop_; }
  // OK for kEndOfFile and kTornTail (with message() describing a torn
  // tail); Corruption naming the file and offset for kCorruption; IOError
  // if the file could not be read.
  Status status() const { return status_; }
  // Description of a torn tail that was dropped (empty otherwise).
  const std::string& message() const { return message_; }
  // File offset just past the last record returned.
  uint64_t LastRecordEnd() const { return last_record_end_; }

 private:
  enum FragmentResult { kFragment, kEof, kBad };
  FragmentResult ReadFragment(uint8_t* type, Slice* fragment, uint64_t* fragment_offset);
  bool ReadBlock();
  // Called at a bad fragment: classifies it as torn tail or corruption.
  // intact_after: the caller already found intact data after it.
  void StopAtBadFragment(uint64_t offset, const char* reason, bool intact_after = false);
  // True if a block from block_start on starts with an intact fragment.
  // Reads the file up to there: it can be asked only once.
  bool IntactFragmentAfter(uint64_t block_start);

  std::unique_ptr<SequentialFile> file_;
  const std::string fname_;
  std::unique_ptr<char[]> backing_;
  Slice buffer_;                    // unread part of the current block
  uint64_t buffer_end_offset_ = 0;  // file offset just past buffer_
  bool eof_ = false;                // the last read returned less than a block
  Stop stop_ = Stop::kNone;
  Status status_;
  std::string message_;
  uint64_t last_record_end_ = 0;
};

}  // namespace wal
}  // namespace strata

#endif  // STRATA_DB_WAL_READER_H_
