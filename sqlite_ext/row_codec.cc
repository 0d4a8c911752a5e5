// Row encoding (see row_codec.h for the contract, docs/row_format.md for a worked example).
//
// Byte layout:
//
//   row    := version  ncols  nmask  mask  [nzmask  zmask]  types  body
//   version   1 byte: 0x01, or 0x02 when the row has zmask (and only then)
//   ncols     varint: number of values
//   nmask     varint: number of bytes in mask (0 when no key column was REAL)
//   mask      nmask bytes: bit (i % 8) of byte i / 8 is set when key column i was REAL;
//             the last byte is never 0
//   nzmask    version 2 only: varint, number of bytes in zmask (at least 1)
//   zmask     version 2 only: nzmask bytes, bit (i % 8) of byte i / 8 set when key column i
//             was -0.0 (its mask bit is set too); the last byte is never 0
//   types     ncols varints: the serial type of each value, in column order
//   body      the values' bytes, concatenated in column order
//
// The key encoding gives 0 for -0.0 (they are the same key), so a native table's -0.0 key
// could not come back without zmask. Rows without such a key stay in version 1, byte for
// byte what earlier releases wrote.
//
// Varints are LEB128 (7 bits per byte, least significant group first, high bit set on every
// byte but the last), at most 10 bytes, as in the engine's formats.
//
//   serial type  value                                         body bytes
//   0            NULL                                          0
//   1            INTEGER 0                                     0
//   2            INTEGER 1                                     0
//   3..10        INTEGER, two's complement little-endian,      type - 2 (1..8)
//                in the fewest bytes that hold it
//   11           REAL, IEEE-754 binary64 bits, little-endian   8
//   12           REAL that binary32 holds exactly (same bits   4
//                after widening), binary32 bits, little-endian
//   13..15       reserved (rejected)
//   N >= 16      even: TEXT, odd: BLOB, of (N - 16) / 2 bytes  (N - 16) / 2
//
// Column k's offset is the header size plus the sizes of columns 0..k-1; a reader computes
// all offsets in one pass over the types and then serves any column directly.
#include "sqlite_ext/row_codec.h"

#include <bit>
#include <cassert>
#include <cmath>
#include <cstring>
#include <limits>

namespace strata {

namespace {

// DO NOT CHANGE: part of the on-disk format.
constexpr uint8_t kRowFormatVersion = 1;
constexpr uint8_t kRowFormatVersionNegZero = 2;  // version 1 plus zmask
constexpr uint64_t kTypeNull = 0;
constexpr uint64_t kTypeZero = 1;
constexpr uint64_t kTypeOne = 2;
constexpr uint64_t kTypeIntBase = 2;  // + number of bytes (1..8)
constexpr uint64_t kTypeReal8 = 11;
constexpr uint64_t kTypeReal4 = 12;
constexpr uint64_t kTypeFirstBytes = 16;  // 16 + 2 * len: TEXT; 17 + 2 * len: BLOB
// END DO NOT CHANGE.

static_assert(std::endian::native == std::endian::little, "row codec assumes little-endian");

int VarintLength(uint64_t v) {
  // ceil(bits / 7), at least 1.
  return v < 128 ? 1 : (64 - std::countl_zero(v) + 6) / 7;
}

char* PutVarint(char* p, uint64_t v) {
  while (v >= 128) {
    *p++ = static_cast<char>(v | 128);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

// Reads a varint at *p, never past limit. False if truncated or longer than 10 bytes.
bool GetVarint(const char** p, const char* limit, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && *p < limit; shift += 7) {
    const uint64_t byte = static_cast<uint8_t>(*(*p)++);
    if (shift == 63 && byte > 1) return false;  // would overflow 64 bits
    result |= (byte & 127) << shift;
    if (byte < 128) {
      *v = result;
      return true;
    }
  }
  return false;
}

// Bytes of the shortest two's complement form of v; v is neither 0 nor 1.
int IntBytes(int64_t v) {
  const uint64_t u = static_cast<uint64_t>(v < 0 ? ~v : v);  // sign bit excluded below
  return (64 - std::countl_zero(u)) / 8 + 1;
}

bool FitsReal4(double d) {
  // Only values within float's range are narrowed: beyond it the conversion is undefined.
  if (!std::isnan(d) && !std::isinf(d) && std::fabs(d) > std::numeric_limits<float>::max()) {
    return false;
  }
  const double back = static_cast<double>(static_cast<float>(d));
  return std::bit_cast<uint64_t>(back) == std::bit_cast<uint64_t>(d);
}

// Serial type and body size of one value.
uint64_t SerialType(const SqlValue& v, size_t* body) {
  switch (v.type) {
    case SqlValue::Type::kInteger:
      if (v.i == 0 || v.i == 1) {
        *body = 0;
        return v.i == 0 ? kTypeZero : kTypeOne;
      } else {
        const int n = IntBytes(v.i);
        *body = n;
        return kTypeIntBase + n;
      }
    case SqlValue::Type::kReal:
      if (FitsReal4(v.r)) {
        *body = 4;
        return kTypeReal4;
      }
      *body = 8;
      return kTypeReal8;
    case SqlValue::Type::kText:
    case SqlValue::Type::kBlob:
      *body = v.bytes.size();
      return kTypeFirstBytes + 2 * static_cast<uint64_t>(v.bytes.size()) +
             (v.type == SqlValue::Type::kBlob ? 1 : 0);
    case SqlValue::Type::kNull:
      break;
  }
  *body = 0;
  return kTypeNull;
}

// Bytes of a bitmask written as little-endian bytes without trailing zero bytes.
size_t MaskBytes(std::span<const uint64_t> mask) {
  size_t bytes = mask.size() * 8;
  while (bytes > 0 && ((mask[(bytes - 1) / 8] >> (8 * ((bytes - 1) % 8))) & 0xFF) == 0) bytes--;
  return bytes;
}

char* PutMask(char* p, std::span<const uint64_t> mask, size_t bytes) {
  p = PutVarint(p, bytes);
  for (size_t k = 0; k < bytes; k++) *p++ = static_cast<char>(mask[k / 8] >> (8 * (k % 8)));
  return p;
}

// Reads a mask (varint length, then the bytes) at *p. False if it runs past limit or its last
// byte is 0 (the encoder drops trailing zero bytes).
bool GetMask(const char** p, const char* limit, std::string_view* mask) {
  uint64_t n;
  if (!GetVarint(p, limit, &n) || n > static_cast<uint64_t>(limit - *p)) return false;
  *mask = std::string_view(*p, n);
  if (n > 0 && mask->back() == 0) return false;
  *p += n;
  return true;
}

}  // namespace

void EncodeRow(const SqlValue* values, size_t n, std::span<const uint64_t> real_key_mask,
               std::span<const uint64_t> neg_zero_key_mask, std::string* out) {
  const size_t mask_bytes = MaskBytes(real_key_mask);
  const size_t zmask_bytes = MaskBytes(neg_zero_key_mask);
  // First pass: sizes, so the output is sized once and written through a pointer.
  size_t header = 1 + VarintLength(n) + VarintLength(mask_bytes) + mask_bytes;
  if (zmask_bytes > 0) header += VarintLength(zmask_bytes) + zmask_bytes;
  size_t body = 0;
  // The first columns' types are kept for the second pass; wider rows recompute the rest.
  constexpr size_t kCached = 32;
  uint64_t types[kCached];
  size_t sizes[kCached];
  for (size_t k = 0; k < n; k++) {
    size_t b;
    const uint64_t type = SerialType(values[k], &b);
    if (k < kCached) {
      types[k] = type;
      sizes[k] = b;
    }
    header += VarintLength(type);
    body += b;
  }
  out->resize(header + body);
  char* h = out->data();
  char* d = h + header;
  *h++ = static_cast<char>(zmask_bytes > 0 ? kRowFormatVersionNegZero : kRowFormatVersion);
  h = PutVarint(h, n);
  h = PutMask(h, real_key_mask, mask_bytes);
  if (zmask_bytes > 0) h = PutMask(h, neg_zero_key_mask, zmask_bytes);
  for (size_t k = 0; k < n; k++) {
    const SqlValue& v = values[k];
    size_t b;
    if (k < kCached) {
      b = sizes[k];
      h = PutVarint(h, types[k]);
    } else {
      h = PutVarint(h, SerialType(v, &b));
    }
    switch (v.type) {
      case SqlValue::Type::kInteger:
        memcpy(d, &v.i, b);  // little-endian: the low b bytes
        break;
      case SqlValue::Type::kReal:
        if (b == 4) {
          const float f = static_cast<float>(v.r);
          memcpy(d, &f, 4);
        } else {
          memcpy(d, &v.r, 8);
        }
        break;
      case SqlValue::Type::kText:
      case SqlValue::Type::kBlob:
        if (b > 0) memcpy(d, v.bytes.data(), b);
        break;
      case SqlValue::Type::kNull:
        break;
    }
    d += b;
  }
}

bool RowReader::Init(std::string_view row) {
  row_ = std::string_view();
  mask_ = std::string_view();
  neg_zero_mask_ = std::string_view();
  ncols_ = 0;
  if (row.empty()) return false;
  const uint8_t version = static_cast<uint8_t>(row[0]);
  if (version != kRowFormatVersion && version != kRowFormatVersionNegZero) return false;
  if (row.size() > std::numeric_limits<uint32_t>::max()) return false;
  const char* p = row.data() + 1;
  const char* const limit = row.data() + row.size();
  uint64_t ncols;
  std::string_view mask, zmask;
  if (!GetVarint(&p, limit, &ncols) || !GetMask(&p, limit, &mask)) return false;
  // Version 2 exists only to carry a non-empty zmask.
  if (version == kRowFormatVersionNegZero && (!GetMask(&p, limit, &zmask) || zmask.empty())) {
    return false;
  }
  // Each type takes at least one byte: this bounds ncols before anything is reserved.
  if (ncols > static_cast<uint64_t>(limit - p)) return false;
  // Grow only: a reused reader keeps its table, and entries are written before being read.
  if (cols_.size() < ncols) cols_.resize(ncols);
  uint64_t body = 0;
  for (uint64_t k = 0; k < ncols; k++) {
    uint64_t type;
    if (!GetVarint(&p, limit, &type)) break;
    Col& c = cols_[k];
    uint64_t size = 0;
    if (type >= kTypeFirstBytes) {
      size = (type - kTypeFirstBytes) / 2;
      c.kind = (type & 1) ? Kind::kBlob : Kind::kText;
    } else if (type == kTypeNull) {
      c.kind = Kind::kNull;
    } else if (type == kTypeZero) {
      c.kind = Kind::kInt0;
    } else if (type == kTypeOne) {
      c.kind = Kind::kInt1;
    } else if (type <= kTypeIntBase + 8) {
      size = type - kTypeIntBase;
      c.kind = Kind::kInt;
    } else if (type == kTypeReal8) {
      size = 8;
      c.kind = Kind::kReal8;
    } else if (type == kTypeReal4) {
      size = 4;
      c.kind = Kind::kReal4;
    } else {
      break;  // reserved
    }
    if (size > row.size()) break;
    c.offset = static_cast<uint32_t>(body);  // relative to the body for now
    c.size = static_cast<uint32_t>(size);
    body += size;  // both terms are below 2^32: no overflow
    if (body > row.size()) break;
    if (k + 1 == ncols) {
      const uint64_t header = static_cast<uint64_t>(p - row.data());
      if (header + body != row.size()) break;
      for (size_t j = 0; j < ncols; j++) cols_[j].offset += static_cast<uint32_t>(header);
      row_ = row;
      mask_ = mask;
      neg_zero_mask_ = zmask;
      ncols_ = ncols;
      return true;
    }
  }
  if (ncols == 0 && p == limit) {
    row_ = row;
    mask_ = mask;
    neg_zero_mask_ = zmask;
    return true;
  }
  return false;
}

SqlValue::Type RowReader::ColumnType(size_t k) const {
  assert(k < ncols_);
  switch (cols_[k].kind) {
    case Kind::kNull:
      return SqlValue::Type::kNull;
    case Kind::kInt0:
    case Kind::kInt1:
    case Kind::kInt:
      return SqlValue::Type::kInteger;
    case Kind::kReal8:
    case Kind::kReal4:
      return SqlValue::Type::kReal;
    case Kind::kText:
      return SqlValue::Type::kText;
    case Kind::kBlob:
      return SqlValue::Type::kBlob;
  }
  return SqlValue::Type::kNull;
}

SqlValue RowReader::Column(size_t k) const {
  assert(k < ncols_);
  const Col& c = cols_[k];
  const char* data = row_.data() + c.offset;
  switch (c.kind) {
    case Kind::kNull:
      return SqlValue::Null();
    case Kind::kInt0:
      return SqlValue::Integer(0);
    case Kind::kInt1:
      return SqlValue::Integer(1);
    case Kind::kInt: {
      uint64_t u = 0;
      memcpy(&u, data, c.size);
      // Sign-extend from the top stored bit.
      const int unused = 64 - 8 * static_cast<int>(c.size);
      return SqlValue::Integer(static_cast<int64_t>(u << unused) >> unused);
    }
    case Kind::kReal8: {
      double d;
      memcpy(&d, data, 8);
      return SqlValue::Real(d);
    }
    case Kind::kReal4: {
      float f;
      memcpy(&f, data, 4);
      return SqlValue::Real(static_cast<double>(f));
    }
    case Kind::kText:
      return SqlValue::Text(std::string_view(data, c.size));
    case Kind::kBlob:
      return SqlValue::Blob(std::string_view(data, c.size));
  }
  return SqlValue::Null();
}

}  // namespace strata
