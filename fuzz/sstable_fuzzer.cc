// Fuzz target: the SSTable reader (engine/table/table.cc, format.cc, two_level_iterator.cc,
// bloom.cc): footer, metaindex, properties, index, filter, range tombstones and data blocks,
// read through iterators (both directions, seeks), point lookups and Verify().
//
// Input: the first byte holds flags: bit 0 picks the mode; the others how the table is read
// (mapped file or not, block cache or not, bloom filter policy or not, verify_checksums and
// fill_cache for reads, internal-key comparator in build mode).
//   raw mode (bit 0 clear): the rest of the input is a table file.
//   build mode (bit 0 set): the rest chooses entries, range tombstones, properties and
//         options, written with TableBuilder; then damage: none, 1-3 changed bytes, or a cut.
// Checks (abort on violation):
//   - no crash, no sanitizer report; every status is OK or Corruption (never another kind);
//   - raw mode: when Table::Verify() accepts the file, the table is consistent: scans in both
//     directions, seeks, Next/Prev sequences and point lookups agree with the entries of a
//     forward scan, every key passes the filter, the entry count is the properties' count,
//     ApproximateOffsetOf is monotone;
//   - build mode, undamaged: all of the above against the entries written, the properties
//     and range tombstones read back as written, Verify() accepts it;
//   - build mode, damaged: every byte of a table is covered by a checksum (block trailers,
//     footer), so Open or Verify() must report Corruption; reads with verify_checksums never
//     return wrong data: a forward scan returns a prefix of the entries written and then
//     either ends (having returned all) or stops with Corruption, a backward scan likewise a
//     suffix, a lookup of a written key finds exactly it or fails with Corruption (it is
//     never silently missing), the range tombstones are a prefix of those written. Reads
//     without checksums only must not crash.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "db/dbformat.h"
#include "fuzz/fuzz_util.h"
#include "fuzz/iterator_check.h"
#include "strata/cache.h"
#include "table/filter_policy.h"
#include "table/table.h"
#include "table/table_builder.h"

namespace strata {
namespace fuzz {
namespace {

struct Config {
  bool mapped = false;
  bool cache = false;
  bool filter = false;
  bool verify = true;
  bool fill_cache = true;
  bool internal = false;
};

Config ConfigFrom(uint8_t flags) {
  Config c;
  c.mapped = flags & 2;
  c.cache = flags & 4;
  c.filter = flags & 8;
  c.verify = (flags & 16) == 0;
  c.fill_cache = (flags & 32) == 0;
  c.internal = flags & 64;
  return c;
}

const Comparator* Cmp(bool internal) {
  static const InternalKeyComparator* icmp = new InternalKeyComparator(BytewiseComparator());
  return internal ? icmp : BytewiseComparator();
}

const FilterPolicy* Bloom() {
  static const FilterPolicy* policy = NewBloomFilterPolicy(10).release();
  return policy;
}

Cache* SharedCache() {
  // Small, so that blocks are evicted; shared by every input, as a store's tables share one.
  static std::shared_ptr<Cache>* cache = new std::shared_ptr<Cache>(NewLRUCache(64 << 10));
  return cache->get();
}

TableOptions Options(const Config& c) {
  TableOptions o;
  o.comparator = Cmp(c.internal);
  o.filter_policy = c.filter ? Bloom() : nullptr;
  o.filter_key = c.internal ? &FilterKeyOfInternalKey : nullptr;
  o.block_cache = c.cache ? SharedCache() : nullptr;
  o.file_name = "fuzz.sst";
  return o;
}

ReadOptions Reads(const Config& c, bool verify) {
  ReadOptions r;
  r.verify_checksums = verify;
  r.fill_cache = c.fill_cache;
  return r;
}

Status Open(const std::string& file, const TableOptions& options, bool mapped,
            std::unique_ptr<Table>* table) {
  return Table::Open(options, std::make_unique<StringRandomAccessFile>(Slice(file), mapped),
                     file.size(), table);
}

void CheckStatus(const Status& s, const char* where) {
  FUZZ_CHECK(s.ok() || s.IsCorruption(), "%s: status %s", where, s.ToString().c_str());
}

// Seek targets for internal keys: a user key near the model's, with a trailer.
std::string InternalTarget(const std::vector<KV>& model, uint8_t a, uint8_t b) {
  std::vector<KV> users;
  if (!model.empty()) {
    const std::string& k = model[(static_cast<size_t>(a) * 256 + b) % model.size()].key;
    users.push_back({std::string(ExtractUserKey(k).data(), k.size() - 8), ""});
  }
  const std::string user = SeekTarget(users, a, b);
  const SequenceNumber seq = b & 1 ? kMaxSequenceNumber : (b >> 1) % 8;
  return InternalKey(user, seq, b & 2 ? kTypeValue : kTypeDeletion).Encode().ToString();
}

struct GetResult {
  bool called = false;
  std::string key, value;
};

void SaveGet(void* arg, const Slice& k, const Slice& v) {
  GetResult* r = static_cast<GetResult*>(arg);
  FUZZ_CHECK(!r->called, "InternalGet called its handler twice");
  r->called = true;
  r->key = k.ToString();
  r->value = v.ToString();
}

// Checks a table that holds exactly `model` (and `tombstones`) and is undamaged.
void CheckConsistent(const Table& table, const Config& c, const std::vector<KV>& model,
                     const std::vector<KV>& tombstones, Slice ops, const char* what) {
  const Comparator* cmp = Cmp(c.internal);
  const TargetFunction target = c.internal ? InternalTarget : SeekTarget;
  FUZZ_CHECK(table.properties().num_entries == model.size(), "%s: properties say %llu entries, %zu",
             what, static_cast<unsigned long long>(table.properties().num_entries), model.size());
  for (const bool verify : {true, false}) {
    std::unique_ptr<Iterator> it(table.NewIterator(Reads(c, verify)));
    CheckScans(it.get(), model, what);
    CheckOps(it.get(), model, cmp, ops, what, target);
  }
  const ReadOptions reads = Reads(c, c.verify);
  // Lookups of every key (a sample of big tables) and of targets near them.
  const size_t stride = model.size() / 64 + 1;
  for (size_t i = 0; i < model.size(); i += stride) {
    FUZZ_CHECK(table.KeyMayMatch(model[i].key), "%s: the filter rules out key %zu", what, i);
    GetResult r;
    const Status s = table.InternalGet(reads, model[i].key, &r, &SaveGet);
    FUZZ_CHECK(s.ok(), "%s: Get of key %zu: %s", what, i, s.ToString().c_str());
    FUZZ_CHECK(r.called && r.key == model[i].key && r.value == model[i].value,
               "%s: Get of key %zu finds %s", what, i, r.called ? Hex(r.key).c_str() : "nothing");
  }
  for (size_t j = 0; j + 1 < ops.size() && j < 64; j += 2) {
    const std::string t =
        target(model, static_cast<uint8_t>(ops[j]), static_cast<uint8_t>(ops[j + 1]));
    const size_t pos = LowerBound(model, cmp, t);
    GetResult r;
    const Status s = table.InternalGet(reads, t, &r, &SaveGet);
    FUZZ_CHECK(s.ok(), "%s: Get(%s): %s", what, Hex(t).c_str(), s.ToString().c_str());
    if (r.called) {
      FUZZ_CHECK(pos < model.size() && r.key == model[pos].key && r.value == model[pos].value,
                 "%s: Get(%s) finds %s, the first entry at or after it is %s", what, Hex(t).c_str(),
                 Hex(r.key).c_str(), pos < model.size() ? Hex(model[pos].key).c_str() : "none");
    } else {
      FUZZ_CHECK(pos == model.size() || !table.KeyMayMatch(t),
                 "%s: Get(%s) finds nothing, but %s follows it and the filter passes it", what,
                 Hex(t).c_str(), Hex(model[pos].key).c_str());
    }
  }
  uint64_t last = 0;
  for (size_t i = 0; i < model.size(); i += stride) {
    const uint64_t offset = table.ApproximateOffsetOf(model[i].key);
    FUZZ_CHECK(offset >= last, "%s: ApproximateOffsetOf goes back at key %zu", what, i);
    last = offset;
  }
  std::unique_ptr<Iterator> t(table.NewRangeTombstoneIterator(reads));
  size_t n = 0;
  if (t != nullptr) {
    for (t->SeekToFirst(); t->Valid(); t->Next(), n++) {
      FUZZ_CHECK(n < tombstones.size() && t->key() == Slice(tombstones[n].key) &&
                     t->value() == Slice(tombstones[n].value),
                 "%s: range tombstone %zu differs", what, n);
    }
    FUZZ_CHECK(t->status().ok(), "%s: tombstones: %s", what, t->status().ToString().c_str());
  }
  FUZZ_CHECK(n == tombstones.size(), "%s: %zu range tombstones read, %zu expected", what, n,
             tombstones.size());
  const Status v = table.Verify();
  FUZZ_CHECK(v.ok(), "%s: Verify: %s", what, v.ToString().c_str());
}

// Reads of a table with arbitrary contents: every status OK or Corruption, every walk ends.
// Returns the entries of a forward scan (at most max) in *seen.
void Exercise(const Table& table, const Config& c, bool verify, size_t max_steps,
              std::vector<KV>* seen) {
  const ReadOptions reads = Reads(c, verify);
  std::unique_ptr<Iterator> it(table.NewIterator(reads));
  size_t steps = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    FUZZ_CHECK(++steps <= max_steps, "forward scan does not end");
    if (seen->size() < 512) seen->push_back({it->key().ToString(), it->value().ToString()});
  }
  CheckStatus(it->status(), "forward scan");
  steps = 0;
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    FUZZ_CHECK(++steps <= max_steps, "backward scan does not end");
  }
  CheckStatus(it->status(), "backward scan");
  for (size_t i = 0; i < seen->size(); i += 7) {
    it->Seek((*seen)[i].key);
    CheckStatus(it->status(), "seek");
    if (it->Valid()) it->Prev();
    CheckStatus(it->status(), "prev after seek");
    it->SeekForPrev((*seen)[i].key);
    CheckStatus(it->status(), "seek for prev");
    if (it->Valid()) it->Next();
    CheckStatus(it->status(), "next after seek for prev");
    GetResult r;
    CheckStatus(table.InternalGet(reads, (*seen)[i].key, &r, &SaveGet), "get");
    table.ApproximateOffsetOf((*seen)[i].key);
  }
  std::unique_ptr<Iterator> t(table.NewRangeTombstoneIterator(reads));
  if (t != nullptr) {
    steps = 0;
    for (t->SeekToFirst(); t->Valid(); t->Next()) {
      FUZZ_CHECK(++steps <= max_steps, "tombstone scan does not end");
    }
    CheckStatus(t->status(), "tombstones");
  }
}

void RawMode(const Config& c, const std::string& file) {
  const TableOptions options = Options(c);
  std::unique_ptr<Table> table;
  const Status s = Open(file, options, c.mapped, &table);
  FUZZ_CHECK(s.ok() == (table != nullptr), "Open: status and table disagree");
  if (!s.ok()) {
    FUZZ_CHECK(s.IsCorruption(), "Open: %s", s.ToString().c_str());
    return;
  }
  std::vector<KV> seen;
  Exercise(*table, c, c.verify, file.size() + 2, &seen);
  const Status v = table->Verify();
  CheckStatus(v, "Verify");
  if (!v.ok()) return;
  // Verified: the strong properties, against what a checked forward scan returns.
  std::vector<KV> model;
  std::unique_ptr<Iterator> it(table->NewIterator(Reads(c, true)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    model.push_back({it->key().ToString(), it->value().ToString()});
  }
  FUZZ_CHECK(it->status().ok(), "Verify accepts the table, a scan fails: %s",
             it->status().ToString().c_str());
  for (size_t i = 1; i < model.size(); i++) {
    FUZZ_CHECK(Cmp(c.internal)->Compare(model[i - 1].key, model[i].key) < 0,
               "Verify accepts the table, a scan returns keys out of order at %zu", i);
  }
  std::vector<KV> tombstones;
  std::unique_ptr<Iterator> t(table->NewRangeTombstoneIterator(Reads(c, true)));
  if (t != nullptr) {
    for (t->SeekToFirst(); t->Valid(); t->Next()) {
      tombstones.push_back({t->key().ToString(), t->value().ToString()});
    }
  }
  CheckConsistent(*table, c, model, tombstones,
                  Slice(file.data(), std::min<size_t>(file.size(), 256)), "verified table");
}

std::string UserKey(FuzzedDataProvider* in) {
  static const char kAlphabet[] = {'\0', '\x01', 'a', 'b', 'c', 'k', '\x80', '\xff'};
  std::string key;
  const int len = in->ConsumeIntegralInRange(0, in->ConsumeBool() ? 40 : 6);
  const uint8_t pattern = in->ConsumeIntegral<uint8_t>();
  for (int j = 0; j < len; j++) key.push_back(kAlphabet[(pattern + j * (pattern | 1)) % 8]);
  return key;
}

void BuildMode(const Config& c, const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  TableOptions options = Options(c);
  options.block_size = in.ConsumeIntegralInRange<size_t>(64, 2048);
  options.block_restart_interval = in.ConsumeIntegralInRange(1, 16);
  const Comparator* cmp = Cmp(c.internal);
  const auto less = [cmp](const std::string& a, const std::string& b) {
    return cmp->Compare(a, b) < 0;
  };

  std::map<std::string, std::string, decltype(less)> entries(less);
  const int n = in.ConsumeIntegralInRange(0, 400);
  for (int i = 0; i < n && in.remaining_bytes() > 0; i++) {
    const std::string user = UserKey(&in);
    const size_t vlen = in.ConsumeIntegralInRange<size_t>(0, in.ConsumeBool() ? 3000 : 30);
    const std::string value(vlen, static_cast<char>('A' + i % 50));
    if (c.internal) {
      const int versions = in.ConsumeIntegralInRange(1, 3);
      for (int v = 0; v < versions; v++) {
        const SequenceNumber seq = in.ConsumeIntegralInRange<SequenceNumber>(0, 1000);
        entries[InternalKey(user, seq, in.ConsumeBool() ? kTypeValue : kTypeDeletion)
                    .Encode()
                    .ToString()] = value;
      }
    } else {
      entries[user] = value;
    }
  }
  std::map<std::string, std::string, decltype(less)> tomb_map(less);
  const int ntomb = in.ConsumeIntegralInRange(0, 4);
  for (int i = 0; i < ntomb; i++) {
    const std::string begin = UserKey(&in);
    const std::string start =
        c.internal ? InternalKey(begin, i + 1, kTypeRangeDeletion).Encode().ToString() : begin;
    tomb_map[start] = begin + "~";
  }
  std::map<std::string, std::string> props;
  const int nprops = in.ConsumeIntegralInRange(0, 2);
  for (int i = 0; i < nprops; i++) props["user." + UserKey(&in)] = UserKey(&in);

  std::string file;
  StringSink sink(&file);
  TableBuilder builder(options, &sink);
  std::vector<KV> model, tombstones;
  for (const auto& [k, v] : entries) {
    builder.Add(k, v);
    model.push_back({k, v});
  }
  for (const auto& [k, v] : tomb_map) {
    builder.AddRangeTombstone(k, v);
    tombstones.push_back({k, v});
  }
  for (const auto& [k, v] : props) builder.SetProperty(k, v);
  const Status built = builder.Finish();
  FUZZ_CHECK(built.ok(), "TableBuilder::Finish: %s", built.ToString().c_str());
  FUZZ_CHECK(builder.FileSize() == file.size(), "FileSize %llu, wrote %zu",
             static_cast<unsigned long long>(builder.FileSize()), file.size());

  // Damage, chosen before the operations take the rest of the input.
  const int damage = in.ConsumeIntegralInRange(0, 3);  // 0-1: none, 2: bytes, 3: cut
  std::string damaged = file;
  if (damage == 2) {
    const int k = in.ConsumeIntegralInRange(1, 3);
    for (int i = 0; i < k; i++) {
      // Half the time in the metadata at the end: footer, metaindex, properties, index.
      const size_t from = in.ConsumeBool() ? 0 : (file.size() > 400 ? file.size() - 400 : 0);
      const size_t at = in.ConsumeIntegralInRange<size_t>(from, file.size() - 1);
      damaged[at] = static_cast<char>(damaged[at] ^ in.ConsumeIntegralInRange(1, 255));
    }
  } else if (damage == 3) {
    damaged.resize(in.ConsumeIntegralInRange<size_t>(0, file.size() - 1));
  }
  const std::string ops = in.ConsumeRemainingBytesAsString();

  {
    std::unique_ptr<Table> table;
    const Status s = Open(file, options, c.mapped, &table);
    FUZZ_CHECK(s.ok(), "Open of a table just built: %s", s.ToString().c_str());
    const TableProperties& p = table->properties();
    FUZZ_CHECK(p.num_range_tombstones == tombstones.size() &&
                   p.first_key == (model.empty() ? "" : model.front().key) &&
                   p.last_key == (model.empty() ? "" : model.back().key) &&
                   p.user_properties == props && p.comparator_name == cmp->Name(),
               "properties read back differently");
    CheckConsistent(*table, c, model, tombstones, ops, "built table");
  }
  if (damaged == file) return;

  std::unique_ptr<Table> table;
  const Status s = Open(damaged, options, c.mapped, &table);
  if (!s.ok()) {
    FUZZ_CHECK(s.IsCorruption(), "Open of a damaged table: %s", s.ToString().c_str());
    return;
  }
  const Status v = table->Verify();
  FUZZ_CHECK(v.IsCorruption(), "a damaged table (%zu of %zu bytes) verifies: %s", damaged.size(),
             file.size(), v.ToString().c_str());
  std::vector<KV> seen;
  Exercise(*table, c, false, damaged.size() + 2, &seen);

  // Checked reads never return wrong data.
  const ReadOptions reads = Reads(c, true);
  std::unique_ptr<Iterator> it(table->NewIterator(reads));
  size_t i = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), i++) {
    FUZZ_CHECK(i < model.size() && it->key() == Slice(model[i].key) &&
                   it->value() == Slice(model[i].value),
               "damaged table: forward scan entry %zu is not what was written", i);
  }
  FUZZ_CHECK(it->status().IsCorruption() || (it->status().ok() && i == model.size()),
             "damaged table: forward scan ends after %zu of %zu entries with %s", i, model.size(),
             it->status().ToString().c_str());
  i = model.size();
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    FUZZ_CHECK(
        i > 0 && it->key() == Slice(model[i - 1].key) && it->value() == Slice(model[i - 1].value),
        "damaged table: backward scan entry %zu is not what was written", i);
    i--;
  }
  FUZZ_CHECK(it->status().IsCorruption() || (it->status().ok() && i == 0),
             "damaged table: backward scan ends with %zu entries unread, %s", i,
             it->status().ToString().c_str());
  const size_t stride = model.size() / 64 + 1;
  for (size_t j = 0; j < model.size(); j += stride) {
    GetResult r;
    const Status g = table->InternalGet(reads, model[j].key, &r, &SaveGet);
    if (g.ok()) {
      FUZZ_CHECK(r.called && r.key == model[j].key && r.value == model[j].value,
                 "damaged table: Get of key %zu finds %s", j,
                 r.called ? Hex(r.key).c_str() : "nothing");
    } else {
      FUZZ_CHECK(g.IsCorruption(), "damaged table: Get: %s", g.ToString().c_str());
    }
  }
  std::unique_ptr<Iterator> t(table->NewRangeTombstoneIterator(reads));
  if (t != nullptr) {
    size_t n = 0;
    for (t->SeekToFirst(); t->Valid(); t->Next(), n++) {
      FUZZ_CHECK(n < tombstones.size() && t->key() == Slice(tombstones[n].key) &&
                     t->value() == Slice(tombstones[n].value),
                 "damaged table: range tombstone %zu is not what was written", n);
    }
    CheckStatus(t->status(), "damaged table: tombstones");
  }
}

}  // namespace
}  // namespace fuzz
}  // namespace strata

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const strata::fuzz::Config c = strata::fuzz::ConfigFrom(data[0]);
  if (data[0] & 1) {
    strata::fuzz::BuildMode(c, data + 1, size - 1);
  } else {
    strata::fuzz::Config raw = c;
    raw.internal = false;  // keys from arbitrary bytes may be shorter than an internal key
    strata::fuzz::RawMode(raw, std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  }
  return 0;
}
