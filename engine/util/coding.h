// Endian-fixed integer encodings shared by every on-disk format.
//
// Fixed-width integers are little-endian. Varints are LEB128: seven bits per
// byte, least significant group first, high bit set on every byte but the
// last. Big-endian fixed encodings are used where byte order must equal
// numeric order (order-preserving keys).
#ifndef STRATA_UTIL_CODING_H_
#define STRATA_UTIL_CODING_H_

#include <cstdint>
#include <cstring>
#include <string>

#include "strata/slice.h"

namespace strata {

constexpr int kMaxVarint32Length = 5;
constexpr int kMaxVarint64Length = 10;

inline void EncodeFixed32(char* dst, uint32_t value) { memcpy(dst, &value, 4); }
inline void EncodeFixed64(char* dst, uint64_t value) { memcpy(dst, &value, 8); }
inline uint32_t DecodeFixed32(const char* p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}
inline uint64_t DecodeFixed64(const char* p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "strata assumes a little-endian host");

inline void EncodeBigEndian64(char* dst, uint64_t value) {
  value = __builtin_bswap64(value);
  memcpy(dst, &value, 8);
}
inline uint64_t DecodeBigEndian64(const char* p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return __builtin_bswap64(v);
}

void PutFixed32(std::string* dst, uint32_t value);
void PutFixed64(std::string* dst, uint64_t value);
void PutVarint32(std::string* dst, uint32_t value);
void PutVarint64(std::string* dst, uint64_t value);
// A varint32 length followed by the bytes.
void PutLengthPrefixedSlice(std::string* dst, const Slice& value);

// Each Get* consumes what it decodes from the front of *input; false if the
// input is too short or malformed.
bool GetFixed32(Slice* input, uint32_t* value);
bool GetFixed64(Slice* input, uint64_t* value);
bool GetVarint32(Slice* input, uint32_t* value);
bool GetVarint64(Slice* input, uint64_t* value);
bool GetLengthPrefixedSlice(Slice* input, Slice* result);

// Pointer-based decoding: returns the byte after the value, or nullptr.
const char* GetVarint32PtrFallback(const char* p, const char* limit, uint32_t* value);
inline const char* GetVarint32Ptr(const char* p, const char* limit, uint32_t* value) {
  if (p < limit) {
    uint32_t result = *reinterpret_cast<const unsigned char*>(p);
    if ((result & 128) == 0) {
      *value = result;
      return p + 1;
    }
  }
  return GetVarint32PtrFallback(p, limit, value);
}
const char* GetVarint64Ptr(const char* p, const char* limit, uint64_t* value);

// Writes a varint at dst; returns the byte after it.
char* EncodeVarint32(char* dst, uint32_t value);
char* EncodeVarint64(char* dst, uint64_t value);
int VarintLength(uint64_t value);

}  // namespace strata

#endif  // STRATA_UTIL_CODING_H_
