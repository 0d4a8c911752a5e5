// WalWriter: appends records (serialized WriteBatches) to a WAL file.
// Not thread-safe: the DB's write leader is its only user.
#ifndef STRATA_DB_WAL_WRITER_H_
#define STRATA_DB_WAL_WRITER_H_

#include <memory>

#include "strata/env.h"
#include "strata/slice.h"
#include "strata/status.h"

namespace strata {
namespace wal {

class Writer {
 public:
  // Writes to dest, which must be empty. Takes ownership of dest.
  explicit Writer(std::unique_ptr<WritableFile> dest);
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Appends one record. After it returns OK the record is in the operating
  // system (survives a crash of the process) when the file is mmap-backed,
  // or after Flush() otherwise.
  Status AddRecord(const Slice& payload);
  Status Flush() { return dest_->Flush(); }
  Status Sync() { return dest_->Sync(); }
  Status Close() { return dest_->Close(); }
  uint64_t FileSize() const { return dest_->Size(); }
  WritableFile* file() { return dest_.get(); }

 private:
  Status EmitFragment(uint8_t type, const char* ptr, size_t length);

  std::unique_ptr<WritableFile> dest_;
  int block_offset_ = 0;  // position within the current block
};

}  // namespace wal
}  // namespace strata

#endif  // STRATA_DB_WAL_WRITER_H_
