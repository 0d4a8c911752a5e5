// Fuzz target: the row codec (sqlite_ext/row_codec.cc), which encodes every stored row and
// decodes every row a query reads.
//
// Input (FuzzedDataProvider): bytes to decode as a row, then rows of SQL values drawn with a
// bias towards encoding edges (fuzz/sql_values.h) and REAL-key masks of 1 to 3 words.
// Checks (abort on violation):
//   - RowReader::Init on arbitrary bytes never reads outside them (ASan); when it accepts
//     them, every column reads back, ColumnType agrees with Column, and re-encoding the
//     values and mask gives a row no longer than the input (the encoder writes the shortest
//     form) that decodes to exactly the same values and mask bits;
//   - encode -> decode round trip: every value comes back with its storage class, REAL to
//     the bit (-0.0, NaN payloads), TEXT and BLOB byte for byte, and each mask bit as set;
//   - one RowReader and one output string are reused across all rows of all inputs (as the
//     virtual table reuses them), so state left from a wider row must not leak into a
//     narrower one.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "fuzz/sql_values.h"
#include "sqlite_ext/row_codec.h"

namespace strata {
namespace fuzz {
namespace {

RowReader& Reader() {
  static RowReader* reader = new RowReader();
  return *reader;
}

std::string& Output() {
  static std::string* out = new std::string();
  return *out;
}

bool MaskBit(const std::vector<uint64_t>& mask, size_t i) {
  return i / 64 < mask.size() && ((mask[i / 64] >> (i % 64)) & 1);
}

// Checks that reader holds exactly values[0..n) and the mask bits.
void CheckReads(const RowReader& reader, const std::vector<SqlValue>& values,
                const std::vector<uint64_t>& mask, const char* what) {
  FUZZ_CHECK(reader.num_columns() == values.size(), "%s: %zu columns, wrote %zu", what,
             reader.num_columns(), values.size());
  for (size_t k = 0; k < values.size(); k++) {
    const SqlValue v = reader.Column(k);
    FUZZ_CHECK(IdenticalValues(v, values[k]), "%s: column %zu reads %s, wrote %s", what, k,
               Describe(v).c_str(), Describe(values[k]).c_str());
    FUZZ_CHECK(reader.ColumnType(k) == v.type, "%s: ColumnType(%zu) disagrees", what, k);
  }
  for (size_t i = 0; i < 64 * mask.size() + 70; i++) {
    FUZZ_CHECK(reader.KeyColumnWasReal(i) == MaskBit(mask, i), "%s: mask bit %zu", what, i);
  }
}

void Run(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  RowReader& reader = Reader();
  std::string& out = Output();

  // Arbitrary bytes.
  const std::string raw = in.ConsumeRandomLengthString(256);
  if (reader.Init(raw)) {
    std::vector<SqlValue> values;
    for (size_t k = 0; k < reader.num_columns(); k++) {
      values.push_back(reader.Column(k));
      FUZZ_CHECK(reader.ColumnType(k) == values.back().type, "ColumnType(%zu) disagrees", k);
    }
    std::vector<uint64_t> mask((raw.size() * 8 + 63) / 64 + 1, 0);
    for (size_t i = 0; i < raw.size() * 8; i++) {
      if (reader.KeyColumnWasReal(i)) mask[i / 64] |= uint64_t{1} << (i % 64);
    }
    EncodeRow(values.data(), values.size(), mask, &out);
    FUZZ_CHECK(out.size() <= raw.size(), "%s re-encodes longer: %s", Hex(raw).c_str(),
               Hex(out).c_str());
    const std::string again = out;  // values point into raw; the reader now reads again
    FUZZ_CHECK(reader.Init(again), "re-encoding of %s does not decode: %s", Hex(raw).c_str(),
               Hex(again).c_str());
    CheckReads(reader, values, mask, "re-encoded row");
  } else {
    FUZZ_CHECK(reader.num_columns() == 0, "a failed Init leaves %zu columns", reader.num_columns());
  }

  // Drawn rows.
  while (in.remaining_bytes() > 0) {
    ByteStore store;
    std::vector<SqlValue> values(in.ConsumeIntegralInRange<size_t>(0, in.ConsumeBool() ? 70 : 6));
    for (SqlValue& v : values) v = ConsumeValue(&in, &store);
    std::vector<uint64_t> mask(in.ConsumeIntegralInRange<size_t>(1, 3), 0);
    for (uint64_t& w : mask) {
      switch (in.ConsumeIntegralInRange(0, 3)) {
        case 0:
          w = in.ConsumeIntegral<uint64_t>();
          break;
        case 1:
          w = uint64_t{1} << in.ConsumeIntegralInRange(0, 63);
          break;
        default:
          w = 0;
      }
    }
    EncodeRow(values.data(), values.size(), mask, &out);
    FUZZ_CHECK(reader.Init(out), "the encoding of %zu values does not decode: %s", values.size(),
               Hex(out).c_str());
    CheckReads(reader, values, mask, "drawn row");
    if (mask.size() == 1) {  // the single-word overload writes the same bytes
      std::string single;
      EncodeRow(values.data(), values.size(), mask[0], &single);
      FUZZ_CHECK(single == out, "the uint64_t mask overload writes other bytes");
    }
    // Every proper prefix (a row cut short) is refused.
    if (out.size() < 300) {
      for (size_t cut = 0; cut < out.size(); cut++) {
        FUZZ_CHECK(!reader.Init(std::string_view(out).substr(0, cut)),
                   "a row cut to %zu of %zu bytes decodes", cut, out.size());
      }
    }
  }
}

}  // namespace
}  // namespace fuzz
}  // namespace strata

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  strata::fuzz::Run(data, size);
  return 0;
}
