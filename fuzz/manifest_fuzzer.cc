// Fuzz target: manifest recovery: VersionEdit decoding (engine/db/version_edit.cc) and
// VersionSet::Recover (engine/db/version_set.cc) over a fuzzed MANIFEST and CURRENT in an
// in-memory Env (fuzz/mem_env.h).
//
// Input: byte 0 holds flags:
//   bit 0     CURRENT is fuzzed too: byte 1 is its length n (at most 48), the next n bytes
//             its contents; otherwise CURRENT is "MANIFEST-000007\n";
//   bit 1     after a successful recovery, log one more edit (LogAndApply writes a new
//             manifest and switches CURRENT) and recover again;
//   bit 2, 3  leave out, or resize, the first table file the manifest leaves live;
//   bits 4-6  num_levels: 7 if 0, else 1 + the value (2..8);
//   bit 7     framed: the rest is not the manifest file but its records, each a 2-byte
//             little-endian length and the payload, framed here with wal::Writer (so the
//             fuzzer changes version edits, not checksums).
// The rest is the manifest, stored as MANIFEST-000007. Every table file the manifest names
// is created with the size it records (a sized file: no contents).
// Checks (abort on violation):
//   - no crash, no sanitizer report;
//   - each record is also decoded independently, from docs/manifest_format.md (lenient
//     varints as util/coding.cc reads them); VersionEdit::DecodeFrom accepts exactly the
//     records that decoder accepts, and re-encodes them to the canonical encoding of the
//     same fields;
//   - Recover's outcome equals a model replay of the documented rules: OK, Corruption or
//     InvalidArgument (comparator, levels), never anything else; on OK the version holds
//     exactly the model's files per level with every field, each file's range in order,
//     sorted levels (L0 newest first, L1+ by smallest key, not overlapping), and the model's
//     log number, last sequence (at least every file's largest sequence) and a next file
//     number past the manifest, the log and the recorded next number;
//   - PickCompaction on the recovered version is safe;
//   - bit 1: the state survives LogAndApply + Recover unchanged.
#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "db/dbformat.h"
#include "db/filename.h"
#include "db/table_cache.h"
#include "db/version_edit.h"
#include "db/version_set.h"
#include "db/wal_reader.h"
#include "db/wal_writer.h"
#include "fuzz/fuzz_util.h"
#include "fuzz/mem_env.h"
#include "table/table_options.h"
#include "util/coding.h"

namespace strata {
namespace fuzz {
namespace {

const std::string kDb = "/db";
constexpr uint64_t kManifestNumber = 7;

// ---- an independent decoder of version edit records ----

// Varints as util/coding.cc reads them: up to 5 (10) bytes; bits past 32 (64) are dropped.
bool ReadVarint(Slice* in, int max_bytes, int bits, uint64_t* v) {
  uint64_t r = 0;
  for (int i = 0; i < max_bytes && i < static_cast<int>(in->size()); i++) {
    const uint64_t b = static_cast<uint8_t>((*in)[i]);
    if (7 * i < 64) r |= (b & 127) << (7 * i);
    if (b < 128) {
      if (bits == 32) r &= 0xffffffffu;
      *v = r;
      in->remove_prefix(i + 1);
      return true;
    }
  }
  return false;
}
bool V32(Slice* in, uint64_t* v) { return ReadVarint(in, 5, 32, v); }
bool V64(Slice* in, uint64_t* v) { return ReadVarint(in, 10, 64, v); }
bool Bytes(Slice* in, std::string* s) {
  uint64_t n;
  if (!V32(in, &n) || n > in->size()) return false;
  s->assign(in->data(), n);
  in->remove_prefix(n);
  return true;
}
bool Level(Slice* in, int* level) {
  uint64_t v;
  if (!V32(in, &v) || v >= 64) return false;
  *level = static_cast<int>(v);
  return true;
}

struct MFile {
  uint64_t number = 0, size = 0;
  std::string smallest, largest;
  uint64_t smallest_seq = 0, largest_seq = 0, entries = 0, deletions = 0, range_deletions = 0;
};

struct MEdit {
  bool has_comparator = false, has_log = false, has_next = false, has_last = false,
       has_levels = false;
  std::string comparator;
  uint64_t log = 0, next = 0, last = 0;
  int levels = 0;
  std::set<std::pair<int, uint64_t>> deleted;
  std::vector<std::pair<int, MFile>> added;
};

bool Decode(Slice in, MEdit* e) {
  while (!in.empty()) {
    uint64_t tag;
    if (!V32(&in, &tag)) return false;
    switch (tag) {
      case 1:
        if (!Bytes(&in, &e->comparator)) return false;
        e->has_comparator = true;
        break;
      case 2:
        if (!V64(&in, &e->log)) return false;
        e->has_log = true;
        break;
      case 3:
        if (!V64(&in, &e->next)) return false;
        e->has_next = true;
        break;
      case 4:
        if (!V64(&in, &e->last)) return false;
        e->has_last = true;
        break;
      case 5:
        if (!Level(&in, &e->levels)) return false;
        e->has_levels = true;
        break;
      case 6: {
        int level;
        uint64_t number;
        if (!Level(&in, &level) || !V64(&in, &number)) return false;
        e->deleted.insert({level, number});
        break;
      }
      case 7: {
        int level;
        MFile f;
        if (!Level(&in, &level) || !V64(&in, &f.number) || !V64(&in, &f.size) ||
            !Bytes(&in, &f.smallest) || f.smallest.size() < 8 || !Bytes(&in, &f.largest) ||
            f.largest.size() < 8 || !V64(&in, &f.smallest_seq) || !V64(&in, &f.largest_seq) ||
            !V64(&in, &f.entries) || !V64(&in, &f.deletions) || !V64(&in, &f.range_deletions)) {
          return false;
        }
        e->added.push_back({level, f});
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

// The canonical encoding (the field order VersionEdit::EncodeTo documents).
std::string Encode(const MEdit& e) {
  std::string r;
  if (e.has_comparator) {
    PutVarint32(&r, 1);
    PutLengthPrefixedSlice(&r, e.comparator);
  }
  if (e.has_log) {
    PutVarint32(&r, 2);
    PutVarint64(&r, e.log);
  }
  if (e.has_next) {
    PutVarint32(&r, 3);
    PutVarint64(&r, e.next);
  }
  if (e.has_last) {
    PutVarint32(&r, 4);
    PutVarint64(&r, e.last);
  }
  if (e.has_levels) {
    PutVarint32(&r, 5);
    PutVarint32(&r, static_cast<uint32_t>(e.levels));
  }
  for (const auto& [level, number] : e.deleted) {
    PutVarint32(&r, 6);
    PutVarint32(&r, static_cast<uint32_t>(level));
    PutVarint64(&r, number);
  }
  for (const auto& [level, f] : e.added) {
    PutVarint32(&r, 7);
    PutVarint32(&r, static_cast<uint32_t>(level));
    PutVarint64(&r, f.number);
    PutVarint64(&r, f.size);
    PutLengthPrefixedSlice(&r, f.smallest);
    PutLengthPrefixedSlice(&r, f.largest);
    for (uint64_t v : {f.smallest_seq, f.largest_seq, f.entries, f.deletions, f.range_deletions}) {
      PutVarint64(&r, v);
    }
  }
  return r;
}

// ---- the model of recovery ----

enum class Outcome { kOk, kCorruption, kInvalidArgument };

const char* Name(Outcome o) {
  return o == Outcome::kOk ? "OK" : o == Outcome::kCorruption ? "Corruption" : "InvalidArgument";
}

struct Model {
  Outcome outcome = Outcome::kOk;
  std::string why;
  std::vector<std::map<uint64_t, MFile>> levels;  // live files by number
  uint64_t log = 0, next = 0, last = 0;
};

Outcome OutcomeOf(const Status& s) {
  if (s.ok()) return Outcome::kOk;
  if (s.IsCorruption()) return Outcome::kCorruption;
  FUZZ_CHECK(s.IsInvalidArgument(), "Recover: unexpected status %s", s.ToString().c_str());
  return Outcome::kInvalidArgument;
}

const InternalKeyComparator& Icmp() {
  static const InternalKeyComparator* icmp = new InternalKeyComparator(BytewiseComparator());
  return *icmp;
}

// Replays the records as docs/manifest_format.md describes recovery. *tables receives every
// table file a record adds, with its recorded size (the last one recorded wins).
Model Replay(const std::string& manifest, int num_levels, std::map<uint64_t, uint64_t>* tables) {
  Model m;
  m.levels.resize(num_levels);
  auto fail = [&](Outcome o, const std::string& why) {
    if (m.outcome == Outcome::kOk) {
      m.outcome = o;
      m.why = why;
    }
  };
  bool have_log = false, have_next = false, have_last = false;
  int records = 0;
  wal::Reader reader(std::make_unique<StringSequentialFile>(Slice(manifest)), "MANIFEST");
  Slice record;
  std::string scratch;
  while (reader.ReadRecord(&record, &scratch)) {
    records++;
    MEdit e;
    const bool ok = Decode(record, &e);
    VersionEdit edit;
    const Status s = edit.DecodeFrom(record);
    FUZZ_CHECK(s.ok() == ok, "record %d: DecodeFrom says %s, the format says %s: %s", records,
               s.ToString().c_str(), ok ? "valid" : "invalid", Hex(record).c_str());
    if (ok) {
      std::string encoded;
      edit.EncodeTo(&encoded);
      FUZZ_CHECK(encoded == Encode(e), "record %d re-encodes as %s, expected %s", records,
                 Hex(encoded, 200).c_str(), Hex(Encode(e), 200).c_str());
      edit.DebugString();
      for (const auto& [level, f] : e.added) (*tables)[f.number] = f.size;
    }
    if (m.outcome != Outcome::kOk) continue;  // the first failure decides; tables still noted
    if (!ok) {
      fail(Outcome::kCorruption, "bad record");
      continue;
    }
    if (e.has_comparator && e.comparator != BytewiseComparator()->Name()) {
      fail(Outcome::kInvalidArgument, "comparator");
      continue;
    }
    if (e.has_levels && e.levels > num_levels) {
      bool too_deep = false;
      for (const auto& [level, f] : e.added) too_deep |= level >= num_levels;
      if (too_deep) {
        fail(Outcome::kInvalidArgument, "files below num_levels");
        continue;
      }
    }
    for (const auto& [level, number] : e.deleted) {
      if (level >= num_levels) {
        fail(Outcome::kCorruption, "deletion below num_levels");
        break;
      }
      m.levels[level].erase(number);
    }
    if (m.outcome != Outcome::kOk) continue;
    for (const auto& [level, f] : e.added) {
      if (level >= num_levels) {
        fail(Outcome::kCorruption, "file below num_levels");
        break;
      }
      if (!m.levels[level].emplace(f.number, f).second) {
        fail(Outcome::kCorruption, "file added twice");
        break;
      }
    }
    if (m.outcome != Outcome::kOk) continue;
    if (e.has_log) m.log = e.log, have_log = true;
    if (e.has_next) m.next = e.next, have_next = true;
    if (e.has_last) m.last = e.last, have_last = true;
  }
  if (m.outcome != Outcome::kOk) return m;
  if (reader.stop() == wal::Reader::Stop::kCorruption) {
    fail(Outcome::kCorruption, "damaged manifest");
    return m;
  }
  if (records == 0 || !have_log || !have_next || !have_last) {
    fail(Outcome::kCorruption, "empty manifest or required fields missing");
    return m;
  }
  for (const auto& level : m.levels) {
    for (const auto& [number, f] : level) {
      if (Icmp().Compare(f.smallest, f.largest) > 0) {
        fail(Outcome::kCorruption, "a file's smallest key after its largest");
        return m;
      }
    }
  }
  for (int level = 1; level < num_levels; level++) {
    std::vector<const MFile*> files;
    for (const auto& [number, f] : m.levels[level]) files.push_back(&f);
    std::sort(files.begin(), files.end(), [](const MFile* a, const MFile* b) {
      const int r = Icmp().Compare(a->smallest, b->smallest);
      return r != 0 ? r < 0 : a->number < b->number;
    });
    for (size_t i = 1; i < files.size(); i++) {
      if (Icmp().Compare(files[i - 1]->largest, files[i]->smallest) >= 0) {
        fail(Outcome::kCorruption, "overlapping files");
        return m;
      }
    }
  }
  return m;
}

// ---- the target ----

std::string Describe(const FileMetaData& f) {
  return std::to_string(f.number) + ":" + std::to_string(f.file_size) + "[" +
         Hex(f.smallest.Encode(), 20) + " " + Hex(f.largest.Encode(), 20) + "]";
}

// Checks the recovered state against the model.
void CheckVersion(VersionSet* vset, const Model& m, int num_levels, const char* what) {
  Version* v = vset->current();
  for (int level = 0; level < num_levels; level++) {
    const std::vector<FileMetaData*>& files = v->files(level);
    FUZZ_CHECK(files.size() == m.levels[level].size(), "%s: level %d holds %zu files, model %zu",
               what, level, files.size(), m.levels[level].size());
    for (size_t i = 0; i < files.size(); i++) {
      const FileMetaData& f = *files[i];
      auto it = m.levels[level].find(f.number);
      FUZZ_CHECK(it != m.levels[level].end(), "%s: level %d holds %s, not in the model", what,
                 level, Describe(f).c_str());
      const MFile& mf = it->second;
      FUZZ_CHECK(f.file_size == mf.size && f.smallest.Encode() == Slice(mf.smallest) &&
                     f.largest.Encode() == Slice(mf.largest) && f.smallest_seq == mf.smallest_seq &&
                     f.largest_seq == mf.largest_seq && f.num_entries == mf.entries &&
                     f.num_deletions == mf.deletions && f.num_range_deletions == mf.range_deletions,
                 "%s: file %s differs from the manifest's record", what, Describe(f).c_str());
      if (i == 0) continue;
      const FileMetaData& prev = *files[i - 1];
      if (level == 0) {
        FUZZ_CHECK(prev.largest_seq > f.largest_seq ||
                       (prev.largest_seq == f.largest_seq && prev.number > f.number),
                   "%s: level 0 is not newest first at %zu", what, i);
      } else {
        FUZZ_CHECK(Icmp().Compare(prev.largest.Encode(), f.smallest.Encode()) < 0,
                   "%s: level %d files %s and %s overlap or are out of order", what, level,
                   Describe(prev).c_str(), Describe(f).c_str());
      }
    }
  }
  FUZZ_CHECK(vset->LogNumber() == m.log, "%s: log number %llu, model %llu", what,
             static_cast<unsigned long long>(vset->LogNumber()),
             static_cast<unsigned long long>(m.log));
  SequenceNumber last = m.last;
  for (const auto& level : m.levels) {
    for (const auto& [number, f] : level) last = std::max<SequenceNumber>(last, f.largest_seq);
  }
  FUZZ_CHECK(vset->LastSequence() == last, "%s: last sequence %llu, expected %llu", what,
             static_cast<unsigned long long>(vset->LastSequence()),
             static_cast<unsigned long long>(last));
}

struct Store {
  Options options;
  TableOptions table_options;
  std::unique_ptr<TableCache> table_cache;
  std::unique_ptr<VersionSet> vset;

  Store(MemEnv* env, int num_levels) {
    options.env = env;
    options.num_levels = num_levels;
    table_options.comparator = &Icmp();
    table_cache = std::make_unique<TableCache>(kDb, env, table_options, 10);
    vset = std::make_unique<VersionSet>(kDb, &options, table_cache.get(), &Icmp());
  }
};

void Run(const uint8_t* data, size_t size) {
  if (size == 0) return;
  const uint8_t flags = data[0];
  size_t pos = 1;
  std::string current = "MANIFEST-000007\n";
  if (flags & 1) {
    const size_t n = pos < size ? std::min<size_t>(data[pos], 48) : 0;
    pos++;
    current.assign(reinterpret_cast<const char*>(data) + std::min(pos, size),
                   std::min(n, size - std::min(pos, size)));
    pos += n;
  }
  pos = std::min(pos, size);
  std::string manifest(reinterpret_cast<const char*>(data) + pos, size - pos);
  if (flags & 128) {
    const std::string records = manifest;
    manifest.clear();
    wal::Writer writer(std::make_unique<StringSink>(&manifest));
    for (size_t p = 0; p + 2 <= records.size();) {
      const size_t n = std::min<size_t>(
          static_cast<uint8_t>(records[p]) | static_cast<uint8_t>(records[p + 1]) << 8,
          records.size() - p - 2);
      writer.AddRecord(Slice(records.data() + p + 2, n));
      p += 2 + n;
    }
  }
  const int level_bits = (flags >> 4) & 7;
  const int num_levels = level_bits == 0 ? 7 : 1 + level_bits;

  std::map<uint64_t, uint64_t> tables;
  Model m = Replay(manifest, num_levels, &tables);

  MemEnv env;
  env.SetFile(CurrentFileName(kDb), current);
  env.SetFile(ManifestFileName(kDb, kManifestNumber), manifest);
  for (const auto& [number, fsize] : tables) env.SetSizedFile(TableFileName(kDb, number), fsize);

  // CURRENT must name the manifest exactly: any other name, valid or not, is Corruption
  // (damaged, or naming a manifest that is not there).
  if (current != "MANIFEST-000007\n") {
    m = Model();
    m.outcome = Outcome::kCorruption;
    m.why = "CURRENT";
  }
  // Leave out or resize the first live table.
  if ((flags & 12) && m.outcome == Outcome::kOk) {
    for (const auto& level : m.levels) {
      if (level.empty()) continue;
      const MFile& f = level.begin()->second;
      if (flags & 4) {
        env.RemoveFile(TableFileName(kDb, f.number));
      } else {
        env.SetSizedFile(TableFileName(kDb, f.number), f.size + 1);
      }
      m.outcome = Outcome::kCorruption;
      m.why = "a table file missing or resized";
      break;
    }
  }
  if (m.outcome == Outcome::kOk) {
    // The last size recorded for a number is the file's size; an earlier record of the same
    // number with another size that is still live makes the store unopenable.
    // And a number live in two levels is one file in two places.
    std::set<uint64_t> live;
    for (const auto& level : m.levels) {
      for (const auto& [number, f] : level) {
        if (tables[number] != f.size) {
          m.outcome = Outcome::kCorruption;
          m.why = "a live file recorded with two sizes";
        }
        if (!live.insert(number).second) {
          m.outcome = Outcome::kCorruption;
          m.why = "a file live in two levels";
        }
      }
    }
  }

  // The WAL the manifest names as still needed (its log number, unless 0) is there:
  // recovery refuses a manifest whose WAL is gone (DBCorruptionTest covers that case).
  if (m.log != 0) env.SetFile(WalFileName(kDb, m.log), "");

  Store store(&env, num_levels);
  const Status s = store.vset->Recover();
  FUZZ_CHECK(OutcomeOf(s) == m.outcome, "Recover: %s, the model says %s (%s)", s.ToString().c_str(),
             Name(m.outcome), m.why.c_str());
  if (!s.ok()) return;
  CheckVersion(store.vset.get(), m, num_levels, "recovered");
  const uint64_t next = store.vset->NewFileNumber();
  FUZZ_CHECK(next >= m.next && next > kManifestNumber && next > m.log,
             "next file number %llu (recorded %llu, manifest %llu, log %llu)",
             static_cast<unsigned long long>(next), static_cast<unsigned long long>(m.next),
             static_cast<unsigned long long>(kManifestNumber),
             static_cast<unsigned long long>(m.log));
  store.vset->ReuseFileNumber(next);

  if (Compaction* c = store.vset->PickCompaction(kMaxSequenceNumber)) {
    c->IsTrivialMove();
    c->InputBytes();
    c->ReleaseInputs();
    delete c;
  }

  if (flags & 2) {
    std::mutex mu;
    VersionEdit edit;
    mu.lock();
    const Status a = store.vset->LogAndApply(&edit, &mu);
    mu.unlock();
    FUZZ_CHECK(a.ok(), "LogAndApply after recovery: %s", a.ToString().c_str());
    Store again(&env, num_levels);
    const Status r = again.vset->Recover();
    FUZZ_CHECK(r.ok(), "Recover of the manifest LogAndApply wrote: %s", r.ToString().c_str());
    CheckVersion(again.vset.get(), m, num_levels, "recovered twice");
  }
}

}  // namespace
}  // namespace fuzz
}  // namespace strata

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  strata::fuzz::Run(data, size);
  return 0;
}
