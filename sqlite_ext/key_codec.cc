// Order-preserving key encoding (see key_codec.h for the contract, docs/key_encoding.md for
// worked examples).
//
// Byte layout. Every column starts with a tag byte; tags are ordered as SQLite orders the
// storage classes, and no tag is 0x00 or 0xFF.
//
//   tag        meaning                         followed by
//   0x05       NULL                            nothing
//   0x10       -infinity                       nothing
//   0x11       negative, exponent e >= 64      ~e (2 bytes, big-endian), ~mantissa
//   0x12-0x51  negative, e = 63 - (tag-0x12)   ~mantissa
//   0x52       negative, exponent e < 0        ~(e + 1074) (2 bytes, big-endian), ~mantissa
//   0x53       zero (0, 0.0 and -0.0)          nothing
//   0x54       positive, exponent e < 0        e + 1074 (2 bytes, big-endian), mantissa
//   0x55-0x94  positive, e = tag - 0x55        mantissa
//   0x95       positive, exponent e >= 64      e (2 bytes, big-endian), mantissa
//   0x96       +infinity                       nothing
//   0xA0       TEXT                            the bytes (see below)
//   0xB0       BLOB                            the bytes (see below)
//   (~x is the bitwise complement of every byte of x.)
//
// Numbers. An INTEGER or REAL x != 0 is written as sign, e and f where |x| = 2^e * 1.f
// exactly: e is the position of the leading one bit (-1074..1023 for doubles, 0..63 for
// int64 magnitudes, 2^63 being INT64_MIN's), f the bits after it (at most 62 for an int64,
// 52 for a double). Being exact and independent of the C++ type, it makes 1 and 1.0 (and
// INT64_MIN and -2^63) identical, and orders an int64 against a double exactly. Positives
// order by e, then f; the exponent is either folded into the tag (0 <= e <= 63, every
// integer-valued int64) or written in two bytes.
// The mantissa f is written 7 bits per byte, most significant first: byte = bits << 1 | more,
// where `more` is 1 when a later byte follows. Trailing zero bits are dropped, so the last
// byte holds a non-zero group unless it is the only byte (f == 0 is the one byte 0x00). At
// most 9 bytes. The continuation bit keeps the order (a value whose bits continue is larger
// than one whose bits stop there) and makes the mantissa self-delimiting, so a negative
// number can complement its bytes after the tag: complementing a prefix-free code reverses
// its order, as a larger magnitude must sort lower.
//
// TEXT and BLOB. In the last column of a key (and so in every single-column key) the bytes
// follow the tag unchanged: bytewise order with "shorter first" is exactly SQLite's BINARY
// order. In any other column they are escaped to be self-delimiting: 0x00 becomes 0x00 0xFF
// and the value ends with 0x00 0x01. The terminator sorts below an escaped 0x00 and below
// every other byte, so a string sorts before its extensions; no encoding is a prefix of
// another, so "all keys starting with these columns" is a byte-prefix range.
//
// NaN never reaches a key from SQLite (it becomes NULL); if given, it encodes as NULL.
#include "sqlite_ext/key_codec.h"

#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>

namespace strata {

namespace {

// DO NOT CHANGE: part of the on-disk format.
constexpr uint8_t kTagNull = 0x05;
constexpr uint8_t kTagNegInf = 0x10;
constexpr uint8_t kTagNegLarge = 0x11;
constexpr uint8_t kTagNegE63 = 0x12;  // through kTagNegE0, for e = 63 down to 0
constexpr uint8_t kTagNegE0 = 0x51;
constexpr uint8_t kTagNegSmall = 0x52;
constexpr uint8_t kTagZero = 0x53;
constexpr uint8_t kTagPosSmall = 0x54;
constexpr uint8_t kTagPosE0 = 0x55;  // through kTagPosE63, for e = 0 up to 63
constexpr uint8_t kTagPosE63 = 0x94;
constexpr uint8_t kTagPosLarge = 0x95;
constexpr uint8_t kTagPosInf = 0x96;
constexpr uint8_t kTagText = 0xA0;
constexpr uint8_t kTagBlob = 0xB0;
constexpr int kSmallExpBias = 1074;  // e < 0 is stored as e + 1074, in [0, 1073]
constexpr char kEscapedZero[2] = {'\x00', '\xFF'};
constexpr char kTerminator[2] = {'\x00', '\x01'};
// END DO NOT CHANGE.

constexpr int kMaxMantissaBytes = 9;  // 63 bits; an int64 needs 62, a double 52
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr uint64_t kDoubleFracMask = (uint64_t{1} << 52) - 1;

// Appends a non-zero number given as sign, exponent e and the bits after the leading one,
// left-aligned in `frac` (bit 63 is the first bit after the leading one).
void AppendNumber(bool neg, int e, uint64_t frac, std::string* out) {
  char buf[1 + 2 + kMaxMantissaBytes];
  int n = 1;
  if (e >= 0 && e <= 63) {
    buf[0] = static_cast<char>(neg ? kTagNegE63 + (63 - e) : kTagPosE0 + e);
  } else {
    const unsigned stored = e < 0 ? static_cast<unsigned>(e + kSmallExpBias) : e;
    buf[0] = static_cast<char>(e < 0 ? (neg ? kTagNegSmall : kTagPosSmall)
                                     : (neg ? kTagNegLarge : kTagPosLarge));
    buf[1] = static_cast<char>(stored >> 8);
    buf[2] = static_cast<char>(stored);
    n = 3;
  }
  do {
    const unsigned group = static_cast<unsigned>(frac >> 57);
    frac <<= 7;
    buf[n++] = static_cast<char>(group << 1 | (frac != 0 ? 1 : 0));
  } while (frac != 0);
  if (neg) {
    for (int k = 1; k < n; k++) buf[k] = static_cast<char>(~buf[k]);
  }
  out->append(buf, n);
}

void AppendInteger(int64_t v, std::string* out) {
  if (v == 0) {
    out->push_back(static_cast<char>(kTagZero));
    return;
  }
  const bool neg = v < 0;
  // 0 - u is the magnitude also for INT64_MIN (2^63), computed without overflow.
  const uint64_t mag = neg ? uint64_t{0} - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  const int e = 63 - std::countl_zero(mag);
  AppendNumber(neg, e, e == 0 ? 0 : mag << (64 - e), out);
}

void AppendReal(double d, std::string* out) {
  const uint64_t bits = std::bit_cast<uint64_t>(d);
  const bool neg = (bits >> 63) != 0;
  const int biased = static_cast<int>((bits >> 52) & 0x7FF);
  const uint64_t m = bits & kDoubleFracMask;
  if (biased == 0x7FF) {
    if (m != 0) {
      out->push_back(static_cast<char>(kTagNull));  // NaN: SQLite's own treatment
    } else {
      out->push_back(static_cast<char>(neg ? kTagNegInf : kTagPosInf));
    }
    return;
  }
  if (biased != 0) {
    AppendNumber(neg, biased - 1023, m << 12, out);
  } else if (m == 0) {
    out->push_back(static_cast<char>(kTagZero));
  } else {
    // Subnormal: value = m * 2^-1074, leading one at bit p of m.
    const int p = 63 - std::countl_zero(m);
    AppendNumber(neg, p - kSmallExpBias, p == 0 ? 0 : m << (64 - p), out);
  }
}

void AppendEscaped(std::string_view s, std::string* out) {
  const char* p = s.data();
  const char* const end = p + s.size();
  while (p < end) {
    const char* z = static_cast<const char*>(memchr(p, 0, end - p));
    if (z == nullptr) {
      out->append(p, end - p);
      break;
    }
    out->append(p, z - p);
    out->append(kEscapedZero, 2);
    p = z + 1;
  }
}

// Decodes the number whose tag is `tag` and whose remaining bytes start at *p. On success
// advances *p past it.
bool DecodeNumber(uint8_t tag, const uint8_t** p, const uint8_t* limit, SqlValue* out) {
  const bool neg = tag < kTagZero;
  const uint8_t flip = neg ? 0xFF : 0x00;
  const uint8_t* q = *p;
  int e;
  if (tag >= kTagNegE63 && tag <= kTagNegE0) {
    e = 63 - (tag - kTagNegE63);
  } else if (tag >= kTagPosE0 && tag <= kTagPosE63) {
    e = tag - kTagPosE0;
  } else {
    if (limit - q < 2) return false;
    const int stored = (q[0] ^ flip) << 8 | (q[1] ^ flip);
    q += 2;
    if (tag == kTagNegSmall || tag == kTagPosSmall) {
      if (stored >= kSmallExpBias) return false;
      e = stored - kSmallExpBias;
    } else {
      if (stored < 64 || stored > 1023) return false;
      e = stored;
    }
  }
  uint64_t frac = 0;
  for (int k = 0;; k++) {
    if (q == limit || k == kMaxMantissaBytes) return false;
    const uint8_t b = *q++ ^ flip;
    frac |= static_cast<uint64_t>(b >> 1) << (57 - 7 * k);
    if ((b & 1) == 0) {
      if (k > 0 && (b >> 1) == 0) return false;  // trailing zero group: not canonical
      break;
    }
  }
  *p = q;

  // Integral and within int64: an INTEGER (this also covers every integral REAL in range,
  // which shares the encoding).
  if (e >= 0 && e <= 62 && (e == 0 ? frac == 0 : (frac << e) == 0)) {
    const uint64_t mag = (uint64_t{1} << e) | (e == 0 ? 0 : frac >> (64 - e));
    *out = SqlValue::Integer(neg ? -static_cast<int64_t>(mag) : static_cast<int64_t>(mag));
    return true;
  }
  if (neg && e == 63 && frac == 0) {
    *out = SqlValue::Integer(INT64_MIN);
    return true;
  }
  // Otherwise it must be a double, exactly.
  uint64_t bits;
  if (e >= -1022) {
    if ((frac & 0xFFF) != 0) return false;  // more than 52 bits after the leading one
    bits = static_cast<uint64_t>(e + 1023) << 52 | frac >> 12;
  } else {
    const int s = e + kSmallExpBias;  // subnormal: leading one at bit s of the fraction
    if (s == 0 ? frac != 0 : (frac << s) != 0) return false;
    bits = (uint64_t{1} << s) | (s == 0 ? 0 : frac >> (64 - s));
  }
  if (neg) bits |= uint64_t{1} << 63;
  *out = SqlValue::Real(std::bit_cast<double>(bits));
  return true;
}

// Decodes an escaped TEXT/BLOB body starting at *p, up to and including its terminator.
bool DecodeEscaped(const uint8_t** p, const uint8_t* limit, std::string_view encoded,
                   std::string* scratch, std::string_view* result) {
  const char* start = reinterpret_cast<const char*>(*p);
  const char* const end = reinterpret_cast<const char*>(limit);
  const char* z = static_cast<const char*>(memchr(start, 0, end - start));
  if (z == nullptr || end - z < 2) return false;
  if (z[1] == kTerminator[1]) {  // no escaped zero: point into the input
    *result = std::string_view(start, z - start);
    *p = reinterpret_cast<const uint8_t*>(z + 2);
    return true;
  }
  // Unescape into scratch. It is reserved to the whole key's size before the first value
  // goes in, and all unescaped output together is smaller, so earlier views stay valid.
  if (scratch->empty()) scratch->reserve(encoded.size());
  const size_t begin = scratch->size();
  const char* chunk = start;
  while (true) {
    if (end - z < 2) return false;
    scratch->append(chunk, z - chunk);
    if (z[1] == kTerminator[1]) break;
    if (z[1] != kEscapedZero[1]) return false;
    scratch->push_back('\0');
    chunk = z + 2;
    z = static_cast<const char*>(memchr(chunk, 0, end - chunk));
    if (z == nullptr) return false;
  }
  *result = std::string_view(scratch->data() + begin, scratch->size() - begin);
  *p = reinterpret_cast<const uint8_t*>(z + 2);
  return true;
}

}  // namespace

void AppendKeyColumn(const SqlValue& v, bool last_column, std::string* out) {
  switch (v.type) {
    case SqlValue::Type::kInteger:
      AppendInteger(v.i, out);
      return;
    case SqlValue::Type::kReal:
      AppendReal(v.r, out);
      return;
    case SqlValue::Type::kText:
    case SqlValue::Type::kBlob:
      out->push_back(static_cast<char>(v.type == SqlValue::Type::kText ? kTagText : kTagBlob));
      if (last_column) {
        out->append(v.bytes);
      } else {
        AppendEscaped(v.bytes, out);
        out->append(kTerminator, 2);
      }
      return;
    case SqlValue::Type::kNull:
      break;
  }
  out->push_back(static_cast<char>(kTagNull));
}

void EncodeKey(const SqlValue& v, std::string* out) {
  out->clear();
  AppendKeyColumn(v, /*last_column=*/true, out);
}

void EncodeKey(const SqlValue* values, int ncols, std::string* out) {
  EncodeKeyPrefix(values, ncols, ncols, out);
}

void EncodeKeyPrefix(const SqlValue* values, int k, int ncols, std::string* out) {
  out->clear();
  for (int c = 0; c < k; c++) AppendKeyColumn(values[c], c == ncols - 1, out);
}

bool DecodeKey(std::string_view encoded, int ncols, SqlValue* out, std::string* scratch) {
  scratch->clear();
  const uint8_t* p = reinterpret_cast<const uint8_t*>(encoded.data());
  const uint8_t* const limit = p + encoded.size();
  for (int c = 0; c < ncols; c++) {
    if (p == limit) return false;
    const uint8_t tag = *p++;
    if (tag == kTagText || tag == kTagBlob) {
      std::string_view bytes;
      if (c == ncols - 1) {
        bytes = std::string_view(reinterpret_cast<const char*>(p), limit - p);
        p = limit;
      } else if (!DecodeEscaped(&p, limit, encoded, scratch, &bytes)) {
        return false;
      }
      out[c] = tag == kTagText ? SqlValue::Text(bytes) : SqlValue::Blob(bytes);
    } else if (tag == kTagNull) {
      out[c] = SqlValue::Null();
    } else if (tag == kTagZero) {
      out[c] = SqlValue::Integer(0);
    } else if (tag == kTagNegInf || tag == kTagPosInf) {
      out[c] = SqlValue::Real(tag == kTagPosInf ? kInf : -kInf);
    } else if (tag >= kTagNegLarge && tag <= kTagPosLarge) {
      if (!DecodeNumber(tag, &p, limit, &out[c])) return false;
    } else {
      return false;
    }
  }
  return p == limit;
}

std::string PrefixSuccessor(std::string_view prefix) {
  size_t n = prefix.size();
  while (n > 0 && static_cast<uint8_t>(prefix[n - 1]) == 0xFF) n--;
  if (n == 0) return std::string();
  std::string s(prefix.substr(0, n));
  s[n - 1] = static_cast<char>(static_cast<uint8_t>(s[n - 1]) + 1);
  return s;
}

std::string KeySuccessor(std::string_view key) {
  std::string s;
  s.reserve(key.size() + 1);
  s.append(key);
  s.push_back('\0');
  return s;
}

std::string TextPrefix(std::string_view p, bool last_column) {
  std::string s;
  s.push_back(static_cast<char>(kTagText));
  if (last_column) {
    s.append(p);
  } else {
    AppendEscaped(p, &s);
  }
  return s;
}

std::string RangeBound(std::string_view prefix, const SqlValue& v, bool last_column,
                       KeyBoundOp op) {
  std::string s(prefix);
  AppendKeyColumn(v, last_column, &s);
  switch (op) {
    case KeyBoundOp::kGe:
    case KeyBoundOp::kLt:
      return s;  // the first key whose column is v (or the first after all below v)
    case KeyBoundOp::kGt:
    case KeyBoundOp::kLe:
      break;
  }
  // Past every key whose column equals v. In the last column only the key s itself equals
  // v (a longer key with raw TEXT/BLOB is a longer value); elsewhere every key that starts
  // with s does.
  return last_column ? KeySuccessor(s) : PrefixSuccessor(s);
}

}  // namespace strata
