// Order-preserving key encoding for strata's SQLite virtual table.
//
// The engine orders keys bytewise (memcmp, the shorter first on a tie). These functions map
// SQLite values to byte strings whose bytewise order is SQLite's order under BINARY
// collation: NULL < numbers (INTEGER and REAL compared exactly by value) < TEXT < BLOB, TEXT
// and BLOB by memcmp then length. The byte layout is described at the top of key_codec.cc
// and in docs/key_encoding.md.
//
// Canonical: values SQLite considers equal encode to identical bytes (1 and 1.0; 0, 0.0 and
// -0.0; -9223372036854775808 and -9223372036854775808.0), since the key is the row's
// identity. So a key alone cannot tell 1 from 1.0: DecodeKey returns a number as INTEGER when
// it is integral and fits int64, else as REAL, and the row codec records which key columns
// were REAL (and which were -0.0). NaN (which SQLite never stores; it turns NaN into NULL)
// encodes as NULL.
//
// Single-column and composite keys. A key of n columns is the concatenation of its columns'
// encodings. Every column except the last is written in a self-delimiting ("escaped") form,
// so the concatenation compares column by column; the last column is written in the short
// form, in which TEXT and BLOB are raw bytes after the tag. A single-column key is the
// n == 1 case. Numbers and NULL have a single form that is always self-delimiting.
//
// Forming scan bounds (engine bounds: lower inclusive, upper exclusive). P is the encoding of
// the first k columns (k < n, all in escaped form, e.g. EncodeKeyPrefix), "col" is column k:
//   first k columns == values           [P, PrefixSuccessor(P))   (k == 0: unbounded)
//   ... and col >= v  / col > v          lower = RangeBound(P, v, last, kGe / kGt)
//   ... and col <  v  / col <= v         upper = RangeBound(P, v, last, kLt / kLe)
//   (when only one side of col is bounded, the other side is the equality range on P)
//   single-column key = v                point Get(EncodeKey(v))
//   single-column key <= v               upper = KeySuccessor(EncodeKey(v))
//   TEXT key GLOB 'p*'                   [TextPrefix(p), PrefixSuccessor(TextPrefix(p)))
//
// All functions are pure and thread-safe. Encoders append to a caller-owned std::string and
// do not allocate beyond growing it.
#ifndef STRATA_SQLITE_EXT_KEY_CODEC_H_
#define STRATA_SQLITE_EXT_KEY_CODEC_H_

#include <string>
#include <string_view>

#include "sqlite_ext/sql_value.h"

namespace strata {

// Appends the encoding of `v` as one column of a key. `last_column` selects the short form
// (true: the column ends the key, TEXT/BLOB written raw) or the self-delimiting form (false:
// TEXT/BLOB escaped and terminated). Numbers and NULL encode identically in both forms.
void AppendKeyColumn(const SqlValue& v, bool last_column, std::string* out);

// Single-column key: *out = encoding of v (last-column form). The hot path.
void EncodeKey(const SqlValue& v, std::string* out);

// Key of `ncols` columns: *out = encoding of values[0..ncols).
// REQUIRES: ncols >= 1.
void EncodeKey(const SqlValue* values, int ncols, std::string* out);

// *out = the encoding of the first k columns of a key of ncols columns (0 <= k <= ncols).
// With k < ncols every column is in escaped form, so the keys whose first k columns equal
// values[0..k) are exactly the keys that start with *out. With k == ncols this is EncodeKey.
void EncodeKeyPrefix(const SqlValue* values, int k, int ncols, std::string* out);

// Decodes a key of `ncols` columns into out[0..ncols). Returns false if `encoded` is not
// exactly the encoding of ncols columns as EncodeKey writes them (truncated, trailing bytes,
// unknown tag, non-canonical number, bad escape); never reads outside `encoded`.
// Numbers come back as INTEGER when integral and within int64, else REAL. TEXT/BLOB values
// point into `encoded` when no unescaping is needed (always for single-column keys), else
// into *scratch; both must outlive out[]. *scratch is overwritten.
// REQUIRES: ncols >= 1; out has room for ncols values; scratch != nullptr.
bool DecodeKey(std::string_view encoded, int ncols, SqlValue* out, std::string* scratch);

// The smallest byte string greater than every string that starts with `prefix`: strip the
// trailing 0xFF bytes, then add one to the last byte. Returns "" when no such string exists
// (prefix empty or all 0xFF), meaning "no upper bound". Never "" for a prefix that starts
// with a key tag.
std::string PrefixSuccessor(std::string_view prefix);

// The smallest byte string greater than `key`: key + '\0'. For a complete key k this is the
// exclusive upper bound of `key <= k` and the inclusive lower bound of `key > k`.
std::string KeySuccessor(std::string_view key);

// The encoded form of "a TEXT value that starts with p" for the column at the end of the
// encoding (last_column true: the single-column form; false: escaped, without terminator).
// Every TEXT value t starting with p encodes (as that column) to a string starting with
// *out = TextPrefix(p, ...), and vice versa; so [*out, PrefixSuccessor(*out)) is exactly
// the set of keys whose column is a TEXT starting with p.
std::string TextPrefix(std::string_view p, bool last_column);

// Comparison operators on one key column, for RangeBound.
enum class KeyBoundOp { kGe, kGt, kLe, kLt };

// The engine bound for keys that start with `prefix` (the encoded first k columns, escaped
// form) and whose column k compares to `v` with `op`: the inclusive lower bound for kGe and
// kGt, the exclusive upper bound for kLe and kLt. `last_column` says whether column k ends
// the key. Returns "" for "no bound", which happens only for kLe/kGt when nothing can follow
// (never for an encodable v).
std::string RangeBound(std::string_view prefix, const SqlValue& v, bool last_column, KeyBoundOp op);

}  // namespace strata

#endif  // STRATA_SQLITE_EXT_KEY_CODEC_H_
