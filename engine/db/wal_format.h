// WAL record framing, shared by wal_writer and wal_reader. The full format,
// with a worked example, is in docs/wal_format.md.
//
// A WAL file is a sequence of 32 KiB blocks. A record (one WriteBatch) is cut
// into fragments that never cross a block boundary; each fragment is
//   fixed32 checksum | fixed16 length | uint8 type | payload[length]
// checksum = low 32 bits of XXH3-64(payload, seed = length << 8 | type).
// A block tail shorter than a header is zero-filled. Type 0 (kZeroType) is
// never written: zeros mark preallocated space that was never reached.
#ifndef STRATA_DB_WAL_FORMAT_H_
#define STRATA_DB_WAL_FORMAT_H_

#include <cstdint>

namespace strata {
namespace wal {

// DO NOT CHANGE: part of the on-disk format.
enum RecordType : uint8_t {
  kZeroType = 0,
  kFullType = 1,
  kFirstType = 2,
  kMiddleType = 3,
  kLastType = 4,
};
constexpr int kMaxRecordType = kLastType;
constexpr int kBlockSize = 32768;
constexpr int kHeaderSize = 4 + 2 + 1;

inline uint64_t ChecksumSeed(uint32_t length, uint8_t type) {
  return (static_cast<uint64_t>(length) << 8) | type;
}

}  // namespace wal
}  // namespace strata

#endif  // STRATA_DB_WAL_FORMAT_H_
