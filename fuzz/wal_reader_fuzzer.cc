// Fuzz target: the WAL reader (engine/db/wal_reader.cc), the code recovery runs over every
// WAL and manifest file.
//
// Input: the first byte picks a mode.
//   even: raw mode. The rest of the input is a WAL file, read with wal::Reader to the end.
//   odd:  framed mode. The rest chooses records (sizes from empty to several 32 KiB blocks),
//         written with the real wal::Writer, then one kind of damage: none, truncation, a
//         zero-filled tail (an mmap'd WAL's preallocated space), flipped or overwritten
//         bytes, or garbage appended. The result is read back.
// Checks (abort on violation), for any file:
//   - no crash, no sanitizer report;
//   - the reader agrees with an independent walk of the fragments written from
//     docs/wal_format.md: the same records, byte-exact, each starting where the previous one
//     ended, LastRecordEnd() just past the last one; and the same stop:
//       kEndOfFile   the walk reached the file end or a zero header at a record boundary, and
//                    no later block starts with an intact fragment;
//       kTornTail    the walk met a bad fragment (or the end inside a record), and nothing
//                    intact follows it: no intact fragment at any offset after it in its
//                    block, none at the start of a later block;
//       kCorruption  otherwise: intact data follows the damage. A well-formed fragment of the
//                    wrong kind (a record start inside an unfinished record, a middle or
//                    last fragment without a start) is intact data itself, so it is
//                    corruption, never a torn tail;
//     status OK for the first two (with a message for a torn tail), Corruption for the last;
//   - once stopped, the reader stays stopped.
// Framed mode adds: every record written wholly before the first damaged byte is returned;
// a truncation or a zero-filled tail is never reported as corruption and returns nothing
// past the cut; a cut exactly at a record boundary reads as a clean kEndOfFile.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "db/wal_format.h"
#include "db/wal_reader.h"
#include "db/wal_writer.h"
#include "fuzz/fuzz_util.h"
#include "util/coding.h"
#include "util/hash.h"

namespace strata {
namespace fuzz {
namespace {

using wal::kBlockSize;
using wal::kHeaderSize;
using Stop = wal::Reader::Stop;

const char* StopName(Stop s) {
  switch (s) {
    case Stop::kNone:
      return "kNone";
    case Stop::kEndOfFile:
      return "kEndOfFile";
    case Stop::kTornTail:
      return "kTornTail";
    case Stop::kCorruption:
      return "kCorruption";
  }
  return "?";
}

// An intact fragment header at `pos` of `file`: known type, payload inside the block and the
// file, checksum valid. *length and *type are set when true.
bool IntactFragmentAt(const std::string& file, size_t pos, uint32_t* length, uint8_t* type) {
  if (pos + kHeaderSize > file.size()) return false;
  if (kBlockSize - pos % kBlockSize < static_cast<size_t>(kHeaderSize)) return false;
  const uint8_t* h = reinterpret_cast<const uint8_t*>(file.data() + pos);
  const uint32_t len = h[4] | (static_cast<uint32_t>(h[5]) << 8);
  const uint8_t t = h[6];
  if (t == wal::kZeroType || t > wal::kMaxRecordType) return false;
  if (pos % kBlockSize + kHeaderSize + len > static_cast<size_t>(kBlockSize)) return false;
  if (pos + kHeaderSize + len > file.size()) return false;
  const uint32_t want = static_cast<uint32_t>(
      Hash64(file.data() + pos + kHeaderSize, len, wal::ChecksumSeed(len, t)));
  if (want != DecodeFixed32(file.data() + pos)) return false;
  *length = len;
  *type = t;
  return true;
}

// True if some later block (after the one holding pos) starts with an intact fragment.
bool IntactBlockStartAfter(const std::string& file, size_t pos) {
  for (size_t b = (pos / kBlockSize + 1) * kBlockSize; b < file.size(); b += kBlockSize) {
    uint32_t len;
    uint8_t type;
    if (IntactFragmentAt(file, b, &len, &type)) return true;
  }
  return false;
}

// True if an intact fragment starts at any offset in (pos, end of pos's block).
bool IntactLaterInBlock(const std::string& file, size_t pos) {
  const size_t block_end = std::min(file.size(), (pos / kBlockSize + 1) * kBlockSize);
  for (size_t p = pos + 1; p + kHeaderSize <= block_end; p++) {
    uint32_t len;
    uint8_t type;
    if (IntactFragmentAt(file, p, &len, &type)) return true;
  }
  return false;
}

bool AllZero(const std::string& file, size_t from, size_t to) {
  for (size_t i = from; i < to && i < file.size(); i++) {
    if (file[i] != 0) return false;
  }
  return true;
}

// What the format says reading `file` must give.
struct Expected {
  std::vector<std::string> records;
  std::vector<size_t> ends;  // offset just past each record
  Stop stop = Stop::kNone;
  size_t where = 0;  // offset of the bad fragment, or of the end
  const char* why = "";
};

Expected Walk(const std::string& file) {
  Expected e;
  size_t p = 0;
  bool in_record = false;
  std::string record;
  auto bad = [&](size_t at, const char* why, bool intact_itself) {
    e.where = at;
    e.why = why;
    const bool intact_after =
        intact_itself || IntactLaterInBlock(file, at) || IntactBlockStartAfter(file, at);
    e.stop = intact_after ? Stop::kCorruption : Stop::kTornTail;
  };
  auto end = [&](size_t at, const char* why) {
    e.where = at;
    e.why = why;
    e.stop = in_record ? Stop::kTornTail : Stop::kEndOfFile;
  };
  while (true) {
    const size_t left = kBlockSize - p % kBlockSize;
    if (left < static_cast<size_t>(kHeaderSize)) {
      if (p + left <= file.size()) {  // padding (not checked), then the next block
        p += left;
        continue;
      }
      // The file ends inside a block tail: zeros are the end, anything else a cut header.
      if (AllZero(file, p, file.size())) {
        end(p, "end in block tail");
      } else {
        bad(p, "truncated header in block tail", false);
      }
      return e;
    }
    if (p == file.size()) {
      end(p, "end of file");
      return e;
    }
    if (file.size() - p < static_cast<size_t>(kHeaderSize)) {
      if (AllZero(file, p, file.size())) {
        end(p, "end in a zero partial header");
      } else {
        bad(p, "truncated header", false);
      }
      return e;
    }
    if (AllZero(file, p, p + kHeaderSize)) {
      // Preallocated space: the end, unless a later block holds intact data. (The rest of
      // this block is not searched: a zero header is where the writer stopped.)
      if (IntactBlockStartAfter(file, p)) {
        e.where = p;
        e.why = "zero header before intact blocks";
        e.stop = Stop::kCorruption;
      } else {
        end(p, "zero header");
      }
      return e;
    }
    uint32_t len;
    uint8_t type;
    if (!IntactFragmentAt(file, p, &len, &type)) {
      bad(p, "damaged fragment", false);
      return e;
    }
    const bool starts = type == wal::kFullType || type == wal::kFirstType;
    if (starts == in_record) {
      bad(p, starts ? "record start inside a record" : "fragment without a record start", true);
      return e;
    }
    if (starts) record.clear();
    record.append(file, p + kHeaderSize, len);
    p += kHeaderSize + len;
    in_record = type == wal::kFirstType || type == wal::kMiddleType;
    if (!in_record) {
      e.records.push_back(record);
      e.ends.push_back(p);
    }
  }
}

struct ReadResult {
  std::vector<std::string> records;
  Stop stop;
};

// Reads `file` to its end and checks it against Walk().
ReadResult ReadAndCheck(const std::string& file) {
  const Expected want = Walk(file);
  wal::Reader reader(std::make_unique<StringSequentialFile>(Slice(file)), "fuzz.wal");
  ReadResult result;
  Slice record;
  std::string scratch;
  while (reader.ReadRecord(&record, &scratch)) {
    const size_t i = result.records.size();
    FUZZ_CHECK(i < want.records.size(), "record %zu returned; the walk stops at %zu (%s)", i,
               want.where, want.why);
    FUZZ_CHECK(record == Slice(want.records[i]),
               "record %zu differs from its fragments (%zu vs %zu bytes)", i, record.size(),
               want.records[i].size());
    FUZZ_CHECK(reader.LastRecordEnd() == want.ends[i],
               "record %zu: LastRecordEnd %llu, ends at %zu", i,
               static_cast<unsigned long long>(reader.LastRecordEnd()), want.ends[i]);
    result.records.push_back(record.ToString());
  }
  result.stop = reader.stop();
  FUZZ_CHECK(result.records.size() == want.records.size(),
             "%zu records read, the walk finds %zu before offset %zu (%s)", result.records.size(),
             want.records.size(), want.where, want.why);
  FUZZ_CHECK(result.stop == want.stop, "stop %s, expected %s at offset %zu (%s): %s",
             StopName(result.stop), StopName(want.stop), want.where, want.why,
             reader.status().ok() ? reader.message().c_str() : reader.status().ToString().c_str());
  const Status s = reader.status();
  switch (result.stop) {
    case Stop::kEndOfFile:
      FUZZ_CHECK(s.ok(), "kEndOfFile with status %s", s.ToString().c_str());
      break;
    case Stop::kTornTail:
      FUZZ_CHECK(s.ok(), "kTornTail with status %s", s.ToString().c_str());
      FUZZ_CHECK(!reader.message().empty(), "kTornTail without a message");
      break;
    case Stop::kCorruption:
      FUZZ_CHECK(s.IsCorruption(), "kCorruption with status %s", s.ToString().c_str());
      break;
    case Stop::kNone:
      FUZZ_CHECK(false, "ReadRecord returned false with stop() == kNone");
  }
  FUZZ_CHECK(!reader.ReadRecord(&record, &scratch), "a record after the stop");
  return result;
}

void FramedMode(FuzzedDataProvider* in) {
  std::string file;
  std::vector<std::string> written;
  std::vector<size_t> ends;  // file offset just past each record
  {
    wal::Writer writer(std::make_unique<StringSink>(&file));
    const int n = in->ConsumeIntegralInRange(0, 24);
    for (int i = 0; i < n; i++) {
      size_t len;
      switch (in->ConsumeIntegralInRange(0, 5)) {
        case 0:
          len = 0;
          break;
        case 1:
        case 2:
          len = in->ConsumeIntegralInRange<size_t>(1, 200);
          break;
        case 3:  // lands near the end of a block
          len = in->ConsumeIntegralInRange<size_t>(kBlockSize - 3 * kHeaderSize, kBlockSize);
          break;
        default:
          len = in->ConsumeIntegralInRange<size_t>(0, 3 * kBlockSize);
          break;
      }
      std::string rec(len, '\0');
      const uint8_t fill = in->ConsumeIntegral<uint8_t>();
      for (size_t j = 0; j < len; j++) rec[j] = static_cast<char>(fill + j * 7 + i);
      FUZZ_CHECK(writer.AddRecord(rec).ok(), "AddRecord failed");
      written.push_back(std::move(rec));
      ends.push_back(static_cast<size_t>(writer.FileSize()));
    }
  }
  const size_t full_size = file.size();

  // One kind of damage; damage_at is the first byte it may have changed.
  enum Damage { kNone, kTruncate, kZeroTail, kFlip, kOverwrite, kAppend };
  const Damage damage = static_cast<Damage>(in->ConsumeIntegralInRange(0, 5));
  size_t damage_at = full_size;
  bool cut_at_boundary = false;
  switch (damage) {
    case kNone:
      break;
    case kTruncate:
    case kZeroTail: {
      size_t at = in->ConsumeIntegralInRange<size_t>(0, full_size);
      if (!ends.empty() && in->ConsumeBool()) {  // exactly at a record boundary
        at = ends[in->ConsumeIntegralInRange<size_t>(0, ends.size() - 1)];
        cut_at_boundary = true;
      }
      damage_at = at;
      if (damage == kTruncate) {
        file.resize(at);
      } else {
        std::fill(file.begin() + at, file.end(), '\0');
      }
      if (at == 0) cut_at_boundary = true;
      break;
    }
    case kFlip:
    case kOverwrite: {
      const int k = in->ConsumeIntegralInRange(1, 4);
      for (int i = 0; i < k && !file.empty(); i++) {
        const size_t at = in->ConsumeIntegralInRange<size_t>(0, file.size() - 1);
        const uint8_t b = in->ConsumeIntegral<uint8_t>();
        const char old = file[at];
        file[at] = damage == kFlip ? static_cast<char>(old ^ (b | 1)) : static_cast<char>(b);
        if (file[at] != old) damage_at = std::min(damage_at, at);
      }
      break;
    }
    case kAppend: {
      const std::string garbage = in->ConsumeRandomLengthString(2 * kBlockSize);
      file += garbage;
      break;
    }
  }

  const ReadResult r = ReadAndCheck(file);
  size_t intact = 0;  // records wholly before the damage
  while (intact < ends.size() && ends[intact] <= damage_at) intact++;
  FUZZ_CHECK(r.records.size() >= intact,
             "damage %d at %zu: %zu records written before it, only %zu read", damage, damage_at,
             intact, r.records.size());
  for (size_t i = 0; i < intact; i++) {
    FUZZ_CHECK(r.records[i] == written[i], "record %zu read back differently", i);
  }
  if (damage == kNone) {
    FUZZ_CHECK(r.records.size() == written.size() && r.stop == Stop::kEndOfFile,
               "undamaged file: %zu of %zu records, stop %d", r.records.size(), written.size(),
               static_cast<int>(r.stop));
  }
  if (damage == kTruncate || damage == kZeroTail) {
    FUZZ_CHECK(r.stop != Stop::kCorruption, "a %s at %zu of %zu bytes reported as corruption",
               damage == kTruncate ? "truncation" : "zero tail", damage_at, full_size);
    FUZZ_CHECK(r.records.size() == intact, "%zu records read past a cut after %zu",
               r.records.size(), intact);
    if (cut_at_boundary) {
      FUZZ_CHECK(r.stop == Stop::kEndOfFile,
                 "a cut at record boundary %zu is not a clean end (stop %d)", damage_at,
                 static_cast<int>(r.stop));
    }
  }
}

}  // namespace
}  // namespace fuzz
}  // namespace strata

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  if ((data[0] & 1) == 0) {
    strata::fuzz::ReadAndCheck(std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  } else {
    FuzzedDataProvider in(data + 1, size - 1);
    strata::fuzz::FramedMode(&in);
  }
  return 0;
}
