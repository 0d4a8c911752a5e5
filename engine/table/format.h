// The SSTable file format's fixed pieces: block handles, block trailers, the
// footer, the names of meta blocks and properties, and ReadBlock(), the one
// place where bytes of a table file are read and checked.
//
// docs/sstable_format.md describes the whole file. Everything here is a
// plain value or a free function; all are safe to use from many threads.
#ifndef STRATA_TABLE_FORMAT_H_
#define STRATA_TABLE_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "strata/env.h"
#include "strata/slice.h"
#include "strata/status.h"
#include "table/table_options.h"
#include "util/coding.h"

namespace strata {

// DO NOT CHANGE: part of the on-disk format.
// The last 8 bytes of every table, the bytes "\x89STRATA\n" read as a
// little-endian fixed64.
constexpr uint64_t kTableMagicNumber = 0x0a41'5441'5254'5389ull;
// DO NOT CHANGE: part of the on-disk format.
constexpr uint32_t kTableFormatVersion = 1;
// DO NOT CHANGE: part of the on-disk format.
// A block's trailer: 1 type byte, then the fixed32 checksum.
constexpr size_t kBlockTrailerSize = 5;
// DO NOT CHANGE: part of the on-disk format. The block type byte.
enum BlockType : uint8_t {
  kNoCompression = 0,
};

// DO NOT CHANGE: part of the on-disk format. Keys of the metaindex block.
// The filter block's key is kFilterBlockPrefix + FilterPolicy::Name().
inline constexpr char kFilterBlockPrefix[] = "filter.";
inline constexpr char kPropertiesBlockName[] = "strata.properties";
inline constexpr char kRangeTombstoneBlockName[] = "strata.range_tombstones";

// DO NOT CHANGE: part of the on-disk format. Built-in property names
// (numbers are varint64, keys raw bytes). User properties may not start
// with kReservedPropertyPrefix.
inline constexpr char kReservedPropertyPrefix[] = "strata.";
inline constexpr char kPropNumEntries[] = "strata.num_entries";
inline constexpr char kPropNumRangeTombstones[] = "strata.num_range_tombstones";
inline constexpr char kPropRawKeySize[] = "strata.raw_key_size";
inline constexpr char kPropRawValueSize[] = "strata.raw_value_size";
inline constexpr char kPropDataSize[] = "strata.data_size";
inline constexpr char kPropIndexSize[] = "strata.index_size";
inline constexpr char kPropFilterSize[] = "strata.filter_size";
inline constexpr char kPropNumDataBlocks[] = "strata.num_data_blocks";
inline constexpr char kPropFirstKey[] = "strata.first_key";
inline constexpr char kPropLastKey[] = "strata.last_key";
inline constexpr char kPropComparator[] = "strata.comparator";
inline constexpr char kPropFilterPolicy[] = "strata.filter_policy";

// Where a block lies in the file: its offset and the size of its contents
// (the trailer after them is not counted).
class BlockHandle {
 public:
  // DO NOT CHANGE: part of the on-disk format. Two varint64s.
  static constexpr size_t kMaxEncodedLength = 2 * kMaxVarint64Length;

  BlockHandle() = default;
  BlockHandle(uint64_t offset, uint64_t size) : offset_(offset), size_(size) {}

  uint64_t offset() const { return offset_; }
  uint64_t size() const { return size_; }
  void set_offset(uint64_t offset) { offset_ = offset; }
  void set_size(uint64_t size) { size_ = size; }

  void EncodeTo(std::string* dst) const;
  // Consumes the handle from the front of *input; false if malformed.
  bool DecodeFrom(Slice* input);

 private:
  uint64_t offset_ = 0;
  uint64_t size_ = 0;
};

// The fixed-size tail of every table: where the metaindex and index blocks
// are, the format version, a checksum of those, and the magic number.
class Footer {
 public:
  // DO NOT CHANGE: part of the on-disk format.
  // 40 bytes of handles (zero padded), version, checksum, magic.
  static constexpr size_t kHandlesLength = 2 * BlockHandle::kMaxEncodedLength;
  static constexpr size_t kEncodedLength = kHandlesLength + 4 + 4 + 8;

  const BlockHandle& metaindex_handle() const { return metaindex_handle_; }
  const BlockHandle& index_handle() const { return index_handle_; }
  void set_metaindex_handle(const BlockHandle& h) { metaindex_handle_ = h; }
  void set_index_handle(const BlockHandle& h) { index_handle_ = h; }

  // Appends exactly kEncodedLength bytes.
  void EncodeTo(std::string* dst) const;
  // REQUIRES: input.size() == kEncodedLength. A Corruption message says
  // what is wrong but not which file.
  Status DecodeFrom(const Slice& input);

 private:
  BlockHandle metaindex_handle_;
  BlockHandle index_handle_;
};

// A block's contents (trailer stripped). data points either into a mapped
// file (owned is null) or into owned.
struct BlockContents {
  Slice data;
  std::unique_ptr<char[]> owned;
};

// The checksum stored in a block's trailer: low 32 bits of
// XXH3_64(contents, seed = XXH3_64(type byte)), see util/hash.h.
uint32_t BlockChecksum(const char* contents, size_t n, char type);

// Where ReadBlock reads from and whom it blames.
struct BlockSource {
  const RandomAccessFile* file;
  // Blocks (with trailers) must end at or before this offset: the start of
  // the footer.
  uint64_t limit;
  const std::string* file_name;  // for error messages
  TableStats* stats;             // may be null
};

// Reads the block at handle. Checks that it lies inside the file and that
// its type is known and, if verify_checksum, its checksum. With a mapped
// file result->data points into the mapping; otherwise into result->owned.
// Errors are Corruption naming the file and the block's offset.
Status ReadBlock(const BlockSource& source, const BlockHandle& handle, bool verify_checksum,
                 BlockContents* result);

// Corruption("<file_name>: <what> at offset <offset>").
Status TableCorruption(const std::string& file_name, const std::string& what, uint64_t offset);

}  // namespace strata

#endif  // STRATA_TABLE_FORMAT_H_
