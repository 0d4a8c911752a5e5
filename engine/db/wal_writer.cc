// WalWriter: cuts records into block-aligned fragments (wal_format.h).
#include "db/wal_writer.h"

#include "db/wal_format.h"
#include "util/coding.h"
#include "util/hash.h"

namespace strata {
namespace wal {

Writer::Writer(std::unique_ptr<WritableFile> dest) : dest_(std::move(dest)) {
  block_offset_ = static_cast<int>(dest_->Size() % kBlockSize);
}

Status Writer::AddRecord(const Slice& payload) {
  const char* ptr = payload.data();
  size_t left = payload.size();
  bool begin = true;
  do {
    const int leftover = kBlockSize - block_offset_;
    if (leftover < kHeaderSize) {
      if (leftover > 0) {
        static const char kZeros[kHeaderSize] = {0};
        Status s = dest_->Append(Slice(kZeros, leftover));
        if (!s.ok()) return s;
      }
      block_offset_ = 0;
    }
    const size_t avail = kBlockSize - block_offset_ - kHeaderSize;
    const size_t fragment_length = left < avail ? left : avail;
    const bool end = (left == fragment_length);
    uint8_t type;
    if (begin && end) {
      type = kFullType;
    } else if (begin) {
      type = kFirstType;
    } else if (end) {
      type = kLastType;
    } else {
      type = kMiddleType;
    }
    Status s = EmitFragment(type, ptr, fragment_length);
    if (!s.ok()) return s;
    ptr += fragment_length;
    left -= fragment_length;
    begin = false;
  } while (left > 0);
  return Status::OK();
}

Status Writer::EmitFragment(uint8_t type, const char* ptr, size_t length) {
  char header[kHeaderSize];
  const uint32_t len32 = static_cast<uint32_t>(length);
  EncodeFixed32(header, static_cast<uint32_t>(Hash64(ptr, length, ChecksumSeed(len32, type))));
  header[4] = static_cast<char>(length & 0xff);
  header[5] = static_cast<char>(length >> 8);
  header[6] = static_cast<char>(type);
  Status s = dest_->Append(Slice(header, kHeaderSize));
  if (s.ok()) s = dest_->Append(Slice(ptr, length));
  block_offset_ += kHeaderSize + static_cast<int>(length);
  return s;
}

}  // namespace wal
}  // namespace strata
