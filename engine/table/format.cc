// Block handles, the footer, block trailers and ReadBlock (see format.h).
//
// Byte layouts written here (all fixed ints little-endian):
//
//   BlockHandle:  offset varint64 | size varint64            (2..20 bytes)
//
//   block on disk: contents (size bytes) | type u8 | checksum fixed32
//     checksum = low 32 bits of XXH3_64(contents, seed = XXH3_64(type, 0))
//
//   Footer (56 bytes, the last bytes of the file):
//     [0, 40)   metaindex handle | index handle | zero padding to 40 bytes
//     [40, 44)  format version fixed32 (= 1)
//     [44, 48)  checksum fixed32 = low 32 bits of XXH3_64(footer[0, 44))
//     [48, 56)  magic fixed64 = bytes "\x89STRATA\n"
#include "table/format.h"

#include <cstring>

#include "util/hash.h"

namespace strata {

void BlockHandle::EncodeTo(std::string* dst) const {
  PutVarint64(dst, offset_);
  PutVarint64(dst, size_);
}

bool BlockHandle::DecodeFrom(Slice* input) {
  return GetVarint64(input, &offset_) && GetVarint64(input, &size_);
}

void Footer::EncodeTo(std::string* dst) const {
  const size_t start = dst->size();
  metaindex_handle_.EncodeTo(dst);
  index_handle_.EncodeTo(dst);
  dst->resize(start + kHandlesLength, '\0');
  PutFixed32(dst, kTableFormatVersion);
  PutFixed32(dst, Checksum32(dst->data() + start, kHandlesLength + 4));
  PutFixed64(dst, kTableMagicNumber);
}

Status Footer::DecodeFrom(const Slice& input) {
  if (input.size() != kEncodedLength) return Status::Corruption("footer has the wrong length");
  const char* p = input.data();
  // The magic first: a file that is not a table at all gets the plainest error.
  if (DecodeFixed64(p + kHandlesLength + 8) != kTableMagicNumber) {
    return Status::Corruption("bad table magic number (not an SSTable?)");
  }
  if (DecodeFixed32(p + kHandlesLength + 4) != Checksum32(p, kHandlesLength + 4)) {
    return Status::Corruption("footer checksum mismatch");
  }
  const uint32_t version = DecodeFixed32(p + kHandlesLength);
  if (version != kTableFormatVersion) {
    return Status::Corruption("unsupported table format version " + std::to_string(version));
  }
  Slice handles(p, kHandlesLength);
  if (!metaindex_handle_.DecodeFrom(&handles) || !index_handle_.DecodeFrom(&handles)) {
    return Status::Corruption("bad block handle in footer");
  }
  return Status::OK();
}

uint32_t BlockChecksum(const char* contents, size_t n, char type) {
  return Checksum32Pair(&type, 1, contents, n);
}

Status TableCorruption(const std::string& file_name, const std::string& what, uint64_t offset) {
  return Status::Corruption(file_name + ": " + what + " at offset " + std::to_string(offset));
}

Status ReadBlock(const BlockSource& source, const BlockHandle& handle, bool verify_checksum,
                 BlockContents* result) {
  result->data = Slice();
  result->owned.reset();
  const uint64_t offset = handle.offset();
  const uint64_t size = handle.size();
  // Checked before any allocation so a corrupt handle can neither read
  // outside the file nor ask for a giant buffer.
  if (source.limit < kBlockTrailerSize || size > source.limit - kBlockTrailerSize ||
      offset > source.limit - kBlockTrailerSize - size) {
    return TableCorruption(*source.file_name,
                           "block handle out of range (size " + std::to_string(size) +
                               ", blocks end at " + std::to_string(source.limit) + ")",
                           offset);
  }
  const size_t n = static_cast<size_t>(size);
  const size_t total = n + kBlockTrailerSize;
  std::unique_ptr<char[]> buf;
  if (!source.file->IsMapped()) buf.reset(new char[total]);
  Slice raw;
  Status s = source.file->Read(offset, total, &raw, buf.get());
  if (!s.ok()) return s;
  if (source.stats != nullptr) {
    source.stats->blocks_read.fetch_add(1, std::memory_order_relaxed);
    source.stats->bytes_read.fetch_add(raw.size(), std::memory_order_relaxed);
  }
  if (raw.size() != total) {
    return TableCorruption(*source.file_name,
                           "truncated block read (size " + std::to_string(size) + ")", offset);
  }
  if (buf != nullptr && raw.data() != buf.get()) {
    // A non-mapped file may hand out its own bytes; keep a copy we own.
    memcpy(buf.get(), raw.data(), total);
  }
  const char* data = buf != nullptr ? buf.get() : raw.data();
  const char type = data[n];
  if (verify_checksum && DecodeFixed32(data + n + 1) != BlockChecksum(data, n, type)) {
    return Status::Corruption(*source.file_name + ": block checksum mismatch at offset " +
                              std::to_string(offset) + " (size " + std::to_string(size) + ")");
  }
  if (static_cast<uint8_t>(type) != kNoCompression) {
    return TableCorruption(*source.file_name,
                           "unknown block type " + std::to_string(static_cast<uint8_t>(type)),
                           offset);
  }
  result->data = Slice(data, n);
  result->owned = std::move(buf);
  return Status::OK();
}

}  // namespace strata
