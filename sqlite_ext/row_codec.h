// Row encoding for strata's SQLite virtual table: the value stored under a row's key.
//
// A row holds a list of SQLite values (the columns the virtual table stores outside the key,
// in an order it chooses) and two bitmasks over the key columns. The key encoding
// (key_codec.h) is canonical: it cannot tell 1.0 from 1, nor -0.0 from 0. So the virtual
// table sets bit i of the REAL mask when key column i was REAL, and bit i of the negative-zero
// mask when it was -0.0 (a REAL too), and restores the value from them when reading.
//
// Every value round-trips exactly: the storage class, REAL to the bit (-0.0 and NaN payloads
// included), TEXT and BLOB byte for byte (embedded NULs too); empty TEXT, empty BLOB and NULL
// stay distinct. A header of per-column varint types lets one column be read without
// decoding the others. The byte layout is described at the top of row_codec.cc and in
// docs/row_format.md.
//
// Thread-safety: EncodeRow is a pure function. A RowReader is not safe for concurrent use
// of one object; distinct readers are independent.
#ifndef STRATA_SQLITE_EXT_ROW_CODEC_H_
#define STRATA_SQLITE_EXT_ROW_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sqlite_ext/sql_value.h"

namespace strata {

// *out = the encoding of values[0..n) with the given key-column bitmasks (bit i of word i / 64
// is key column i; trailing zero words may be omitted): real_key_mask marks key columns that
// were REAL, neg_zero_key_mask those that were -0.0. *out is overwritten; its capacity is
// reused, so encoding into the same string for every row allocates only when a row is larger
// than any before it.
void EncodeRow(const SqlValue* values, size_t n, std::span<const uint64_t> real_key_mask,
               std::span<const uint64_t> neg_zero_key_mask, std::string* out);

// The same without negative zeros.
inline void EncodeRow(const SqlValue* values, size_t n, std::span<const uint64_t> real_key_mask,
                      std::string* out) {
  EncodeRow(values, n, real_key_mask, std::span<const uint64_t>(), out);
}

// The same for tables whose key has at most 64 columns.
inline void EncodeRow(const SqlValue* values, size_t n, uint64_t real_key_mask, std::string* out) {
  EncodeRow(values, n, std::span<const uint64_t>(&real_key_mask, 1), out);
}

// Reads one encoded row: parses and checks the header once (Init), then serves any column
// in O(1). TEXT and BLOB values point into the encoded row, which must outlive the reader's
// use and every SqlValue it returned.
//
// Reuse one reader for many rows: Init keeps the capacity of its per-column table, so after
// the widest row it allocates nothing. Column() never allocates.
class RowReader {
 public:
  RowReader() = default;

  // Parses the header of `row` and checks that the whole row is well formed (known version,
  // known types, lengths that add up to exactly the row's size). Returns false on malformed
  // input (and on rows of 4 GiB or more), never reading outside `row`; the reader is then
  // empty.
  bool Init(std::string_view row);

  // Number of values in the row. 0 after a failed Init.
  size_t num_columns() const { return ncols_; }

  // REQUIRES: the last Init returned true and k < num_columns().
  SqlValue Column(size_t k) const;
  SqlValue::Type ColumnType(size_t k) const;

  // Whether key column i was recorded as REAL (false for any i past the mask).
  bool KeyColumnWasReal(size_t i) const { return MaskBit(mask_, i); }
  // Whether key column i was recorded as -0.0 (false for any i past the mask).
  bool KeyColumnWasNegativeZero(size_t i) const { return MaskBit(neg_zero_mask_, i); }

 private:
  // How one value is stored; derived from its serial type.
  enum class Kind : uint8_t { kNull, kInt0, kInt1, kInt, kReal8, kReal4, kText, kBlob };
  struct Col {
    uint32_t offset;  // of the value's bytes, from the start of the row
    uint32_t size;    // number of bytes
    Kind kind;
  };

  static bool MaskBit(std::string_view mask, size_t i) {
    return i / 8 < mask.size() && ((static_cast<uint8_t>(mask[i / 8]) >> (i % 8)) & 1);
  }

  std::string_view row_;
  std::string_view mask_;
  std::string_view neg_zero_mask_;
  size_t ncols_ = 0;
  std::vector<Col> cols_;  // entries [0, ncols_) describe the current row; may be larger
};

}  // namespace strata

#endif  // STRATA_SQLITE_EXT_ROW_CODEC_H_
