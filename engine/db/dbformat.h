// Internal keys: the user key plus an 8-byte trailer of sequence number and
// entry type, and the order the engine keeps them in.
//
// internal key := user_key | fixed64(sequence << 8 | type)    (little-endian)
//
// Internal keys sort by user key ascending, then by sequence descending, then
// by type descending, so the newest version of a key comes first. A snapshot
// is a sequence number: it sees entries with sequence <= it.
#ifndef STRATA_DB_DBFORMAT_H_
#define STRATA_DB_DBFORMAT_H_

#include <cstdint>
#include <string>

#include "strata/comparator.h"
#include "strata/slice.h"
#include "util/coding.h"

namespace strata {

using SequenceNumber = uint64_t;

// DO NOT CHANGE: part of the on-disk format (WAL, memtable, SSTable keys).
enum ValueType : uint8_t {
  kTypeDeletion = 0x0,
  kTypeValue = 0x1,
  kTypeRangeDeletion = 0x2,  // only in WAL records and range-tombstone blocks
};
// The type used in seek targets: the largest real type, so a seek key
// (k, s, kValueTypeForSeek) sorts before every entry of k with sequence <= s.
constexpr ValueType kValueTypeForSeek = kTypeRangeDeletion;
// Sentinel type, with kMaxSequenceNumber, of an exclusive upper boundary:
// (k, kMaxSequenceNumber, kTypeBoundary) sorts before every entry of k.
// Used as a table's largest key when its range tombstones end at k.
constexpr uint8_t kTypeBoundary = 0xFF;

// 56 bits of sequence; the largest value is reserved for boundaries and
// seek keys and never assigned to an entry.
constexpr SequenceNumber kMaxSequenceNumber = (uint64_t{1} << 56) - 1;

inline uint64_t PackSequenceAndType(SequenceNumber seq, uint8_t t) { return (seq << 8) | t; }

struct ParsedInternalKey {
  Slice user_key;
  SequenceNumber sequence = 0;
  uint8_t type = kTypeValue;

  ParsedInternalKey() = default;
  ParsedInternalKey(const Slice& u, SequenceNumber seq, uint8_t t)
      : user_key(u), sequence(seq), type(t) {}
  std::string DebugString() const;
};

inline size_t InternalKeyEncodingLength(const ParsedInternalKey& key) {
  return key.user_key.size() + 8;
}

void AppendInternalKey(std::string* result, const ParsedInternalKey& key);

// False if the key is shorter than 8 bytes or its type is unknown.
inline bool ParseInternalKey(const Slice& internal_key, ParsedInternalKey* result) {
  const size_t n = internal_key.size();
  if (n < 8) return false;
  uint64_t num = DecodeFixed64(internal_key.data() + n - 8);
  uint8_t c = num & 0xff;
  result->sequence = num >> 8;
  result->type = c;
  result->user_key = Slice(internal_key.data(), n - 8);
  return c <= kTypeRangeDeletion || c == kTypeBoundary;
}

// REQUIRES: internal_key.size() >= 8
inline Slice ExtractUserKey(const Slice& internal_key) {
  return Slice(internal_key.data(), internal_key.size() - 8);
}
inline uint64_t ExtractTrailer(const Slice& internal_key) {
  return DecodeFixed64(internal_key.data() + internal_key.size() - 8);
}

// Orders internal keys (see the top of this file).
class InternalKeyComparator final : public Comparator {
 public:
  explicit InternalKeyComparator(const Comparator* c)
      : user_comparator_(c), bytewise_(c == BytewiseComparator()) {}

  const char* Name() const override { return "strata.InternalKeyComparator"; }
  int Compare(const Slice& a, const Slice& b) const override {
    int r = CompareUserKeys(ExtractUserKey(a), ExtractUserKey(b));
    if (r == 0) {
      const uint64_t anum = ExtractTrailer(a);
      const uint64_t bnum = ExtractTrailer(b);
      if (anum > bnum) {
        r = -1;
      } else if (anum < bnum) {
        r = +1;
      }
    }
    return r;
  }
  void FindShortestSeparator(std::string* start, const Slice& limit) const override;
  void FindShortSuccessor(std::string* key) const override;

  int CompareUserKeys(const Slice& a, const Slice& b) const {
    return bytewise_ ? a.compare(b) : user_comparator_->Compare(a, b);
  }
  const Comparator* user_comparator() const { return user_comparator_; }

 private:
  const Comparator* user_comparator_;
  const bool bytewise_;
};

// An owned internal key, as kept in file metadata.
class InternalKey {
 public:
  InternalKey() = default;
  InternalKey(const Slice& user_key, SequenceNumber s, uint8_t t) {
    AppendInternalKey(&rep_, ParsedInternalKey(user_key, s, t));
  }
  bool DecodeFrom(const Slice& s) {
    rep_.assign(s.data(), s.size());
    return !rep_.empty();
  }
  Slice Encode() const { return rep_; }
  Slice user_key() const { return ExtractUserKey(rep_); }
  void SetFrom(const ParsedInternalKey& p) {
    rep_.clear();
    AppendInternalKey(&rep_, p);
  }
  void Clear() { rep_.clear(); }
  bool empty() const { return rep_.empty(); }
  std::string DebugString() const;

 private:
  std::string rep_;
};

// A key for looking up user_key as of a sequence number, in the formats the
// memtable (length-prefixed) and tables (internal key) need.
class LookupKey {
 public:
  LookupKey(const Slice& user_key, SequenceNumber sequence);
  LookupKey(const LookupKey&) = delete;
  LookupKey& operator=(const LookupKey&) = delete;
  ~LookupKey() {
    if (start_ != space_) delete[] start_;
  }

  // varint32 length | internal key: what the memtable's skip list compares.
  Slice memtable_key() const { return Slice(start_, end_ - start_); }
  Slice internal_key() const { return Slice(kstart_, end_ - kstart_); }
  Slice user_key() const { return Slice(kstart_, end_ - kstart_ - 8); }

 private:
  const char* start_;
  const char* kstart_;
  const char* end_;
  char space_[200];
};

// What filters store for an internal key: its user key.
inline Slice FilterKeyOfInternalKey(const Slice& internal_key) {
  return ExtractUserKey(internal_key);
}

}  // namespace strata

#endif  // STRATA_DB_DBFORMAT_H_
