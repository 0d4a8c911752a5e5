// gen_seeds: writes small valid inputs for every fuzz target, so fuzzing starts from real
// structure: WAL files written by wal::Writer (real write batches, records across block
// boundaries, a preallocated zero tail, a cut), blocks written by BlockBuilder, tables
// written by TableBuilder (filters, range tombstones, properties, many blocks), manifests
// written by VersionSet::LogAndApply (store creation, flushes, compactions, trivial moves),
// encoded keys and rows, and byte strings for the SQL and build-mode targets.
//
// Usage: gen_seeds DIR   (creates DIR/<target>/ for each target; deterministic output)
// Each file's layout is the input format its target documents at the top of fuzz/*_fuzzer.cc.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "db/dbformat.h"
#include "db/filename.h"
#include "db/table_cache.h"
#include "db/version_edit.h"
#include "db/version_set.h"
#include "db/wal_reader.h"
#include "db/wal_writer.h"
#include "db/write_batch_internal.h"
#include "fuzz/fuzz_util.h"
#include "fuzz/mem_env.h"
#include "sqlite_ext/key_codec.h"
#include "sqlite_ext/row_codec.h"
#include "strata/write_batch.h"
#include "table/block_builder.h"
#include "table/filter_policy.h"
#include "table/table_builder.h"
#include "util/random.h"

namespace strata {
namespace fuzz {
namespace {

std::string g_dir;
int g_count = 0;

void Write(const std::string& target, const std::string& name, const std::string& bytes) {
  const std::string dir = g_dir + "/" + target;
  std::filesystem::create_directories(dir);
  std::ofstream out(dir + "/" + name, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  g_count++;
}

std::string RandomBytes(Random* rnd, size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rnd->Uniform(256));
  return s;
}

std::string Key(Random* rnd, int i) {
  std::string k = "key" + std::to_string(i * 7 + 1000);
  if (rnd->OneIn(4)) k += std::string(rnd->Uniform(20), static_cast<char>('a' + i % 26));
  return k;
}

// ---- WAL ----

std::string WalFile(const std::vector<std::string>& records) {
  std::string file;
  wal::Writer writer(std::make_unique<StringSink>(&file));
  for (const std::string& r : records) writer.AddRecord(r);
  return file;
}

std::string Batch(Random* rnd, SequenceNumber seq, int n, size_t value_size) {
  WriteBatch b;
  for (int i = 0; i < n; i++) {
    if (rnd->OneIn(5)) {
      b.Delete(Key(rnd, i));
    } else {
      b.Put(Key(rnd, i),
            std::string(value_size + rnd->Uniform(8), static_cast<char>('a' + i % 26)));
    }
  }
  if (rnd->OneIn(3)) b.DeleteRange("key1", "key2");
  WriteBatchInternal::SetSequence(&b, seq);
  return WriteBatchInternal::Contents(&b).ToString();
}

void WalSeeds() {
  Random rnd(1);
  std::vector<std::vector<std::string>> sets;
  sets.push_back({Batch(&rnd, 1, 1, 3)});
  sets.push_back({Batch(&rnd, 1, 3, 10), Batch(&rnd, 4, 2, 10), "", Batch(&rnd, 6, 5, 30)});
  // A record across a block boundary, followed by more in the same block.
  sets.push_back({std::string(30000, 'x'), Batch(&rnd, 1, 200, 20), Batch(&rnd, 201, 3, 5),
                  Batch(&rnd, 204, 1, 1)});
  // A record spanning three blocks (first, middle, last fragments), then small ones.
  sets.push_back(
      {Batch(&rnd, 1, 1, 10), std::string(70000, 'm'), Batch(&rnd, 2, 2, 4), Batch(&rnd, 4, 2, 4)});
  // Ending exactly where a block tail is too short for a header.
  sets.push_back({std::string(32768 - 7 - 7 - 3, 'e'), "abc"});
  int i = 0;
  for (const auto& records : sets) {
    const std::string file = WalFile(records);
    Write("wal_reader", "wal-" + std::to_string(i), std::string(1, '\0') + file);
    // As an mmap'd WAL left by a crash: a zero-filled tail to the next 64 KiB.
    std::string tail = file;
    tail.resize(((file.size() / 65536) + 1) * 65536, '\0');
    Write("wal_reader", "wal-tail-" + std::to_string(i), std::string(1, '\0') + tail);
    // Cut inside the last record.
    Write("wal_reader", "wal-cut-" + std::to_string(i),
          std::string(1, '\0') + file.substr(0, file.size() - 1 - file.size() / 50));
    i++;
  }
  for (int j = 0; j < 4; j++) {
    Write("wal_reader", "framed-" + std::to_string(j),
          std::string(1, '\x01') + RandomBytes(&rnd, 32 + 64 * j));
  }
}

// ---- blocks ----

void BlockSeeds() {
  Random rnd(2);
  int i = 0;
  for (int restart : {1, 2, 4, 16}) {
    for (int n : {0, 1, 5, 40}) {
      BlockBuilder b(restart);
      std::map<std::string, std::string> entries;
      for (int j = 0; j < n; j++) entries[Key(&rnd, j)] = std::string(rnd.Uniform(12), 'v');
      for (const auto& [k, v] : entries) b.Add(k, v);
      const std::string contents = b.Finish().ToString();
      std::string seed(1, '\0');
      seed.push_back(static_cast<char>(contents.size() & 0xff));
      seed.push_back(static_cast<char>(contents.size() >> 8));
      seed += contents;
      seed += RandomBytes(&rnd, 40);  // operations
      Write("block", "block-" + std::to_string(i++), seed);
    }
  }
  for (int j = 0; j < 4; j++) {
    Write("block", "build-" + std::to_string(j),
          std::string(1, '\x01') + RandomBytes(&rnd, 64 << j));
  }
}

// ---- tables ----

std::string Table(Random* rnd, int n, size_t block_size, bool filter, int tombstones, bool props) {
  static const FilterPolicy* bloom = NewBloomFilterPolicy(10).release();
  TableOptions o;
  o.block_size = block_size;
  o.block_restart_interval = 1 + static_cast<int>(rnd->Uniform(8));
  o.filter_policy = filter ? bloom : nullptr;
  std::string file;
  StringSink sink(&file);
  TableBuilder b(o, &sink);
  std::map<std::string, std::string> entries;
  for (int j = 0; j < n; j++) entries[Key(rnd, j)] = std::string(rnd->Uniform(40), 'v');
  for (const auto& [k, v] : entries) b.Add(k, v);
  for (int t = 0; t < tombstones; t++)
    b.AddRangeTombstone("key" + std::to_string(t), "key" + std::to_string(t) + "5");
  if (props) b.SetProperty("user.origin", "gen_seeds");
  b.Finish();
  return file;
}

void TableSeeds() {
  Random rnd(3);
  int i = 0;
  struct Shape {
    int n;
    size_t block_size;
    bool filter;
    int tombstones;
    bool props;
  };
  for (const Shape& s : {Shape{0, 4096, false, 0, false}, Shape{1, 4096, true, 0, false},
                         Shape{20, 256, false, 0, true}, Shape{60, 128, true, 2, true},
                         Shape{8, 64, true, 0, false}, Shape{0, 4096, true, 3, false}}) {
    const std::string file = Table(&rnd, s.n, s.block_size, s.filter, s.tombstones, s.props);
    // Read with and without a mapping, a cache, the filter policy.
    for (uint8_t flags : {0x00, 0x0e, 0x08, 0x34}) {
      Write("sstable", "table-" + std::to_string(i++),
            std::string(1, static_cast<char>(flags)) + file);
    }
  }
  for (uint8_t flags : {0x01, 0x0f, 0x41, 0x4f, 0x2d}) {
    Write("sstable", "build-" + std::to_string(i++),
          std::string(1, static_cast<char>(flags)) + RandomBytes(&rnd, 300));
  }
}

// ---- manifests ----

// Logs edits with a real VersionSet in memory and returns the manifest it wrote last.
std::string ManifestFrom(int variant) {
  MemEnv env;
  Options options;
  options.env = &env;
  InternalKeyComparator icmp(BytewiseComparator());
  TableOptions table_options;
  table_options.comparator = &icmp;
  TableCache table_cache("/db", &env, table_options, 10);
  VersionSet vset("/db", &options, &table_cache, &icmp);
  std::mutex mu;
  auto apply = [&](VersionEdit* e) {
    mu.lock();
    Status s = vset.LogAndApply(e, &mu);
    mu.unlock();
    if (!s.ok()) {
      fprintf(stderr, "gen_seeds: LogAndApply: %s\n", s.ToString().c_str());
      exit(1);
    }
  };
  auto file = [&](uint64_t number, const std::string& lo, const std::string& hi, SequenceNumber seq,
                  int level, VersionEdit* e) {
    FileMetaData f;
    f.number = number;
    f.file_size = 1000 + number;
    f.smallest = InternalKey(lo, seq, kTypeValue);
    f.largest = variant == 2 && number == 12 ? InternalKey(hi, kMaxSequenceNumber, kTypeBoundary)
                                             : InternalKey(hi, seq, kTypeValue);
    f.smallest_seq = seq - 1;
    f.largest_seq = seq;
    f.num_entries = 10;
    f.num_deletions = number % 3;
    f.num_range_deletions = variant == 2 ? 1 : 0;
    vset.MarkFileNumberUsed(number);
    e->AddFile(level, f);
  };
  {
    VersionEdit e;  // store creation
    e.SetComparatorName(BytewiseComparator()->Name());
    e.SetLogNumber(0);
    apply(&e);
  }
  if (variant >= 1) {
    VersionEdit e;  // a flush
    file(10, "a", "m", 50, 0, &e);
    e.SetLogNumber(11);
    vset.SetLastSequence(50);
    apply(&e);
    VersionEdit f;  // another
    file(12, "c", "z", 90, 0, &f);
    vset.SetLastSequence(90);
    apply(&f);
  }
  if (variant >= 2) {
    VersionEdit e;  // a compaction: both L0 files into two L1 files
    e.RemoveFile(0, 10);
    e.RemoveFile(0, 12);
    file(13, "a", "k", 90, 1, &e);
    file(14, "l", "z", 90, 1, &e);
    apply(&e);
    VersionEdit m;  // a trivial move
    m.RemoveFile(1, 14);
    file(14, "l", "z", 90, 2, &m);
    apply(&m);
  }
  std::string manifest;
  const std::string name = ManifestFileName("/db", vset.ManifestFileNumber());
  if (!env.GetFile(name, &manifest)) {
    fprintf(stderr, "gen_seeds: no manifest\n");
    exit(1);
  }
  return manifest;
}

void ManifestSeeds() {
  int i = 0;
  for (int variant = 0; variant < 3; variant++) {
    const std::string manifest = ManifestFrom(variant);
    for (uint8_t flags : {0x00, 0x02, 0x30, 0x12}) {
      Write("manifest", "manifest-" + std::to_string(i++),
            std::string(1, static_cast<char>(flags)) + manifest);
    }
    // Framed (flag bit 7): the records alone, each after a 2-byte length.
    std::string framed;
    wal::Reader reader(std::make_unique<StringSequentialFile>(Slice(manifest)), "seed");
    Slice record;
    std::string scratch;
    while (reader.ReadRecord(&record, &scratch)) {
      framed.push_back(static_cast<char>(record.size() & 0xff));
      framed.push_back(static_cast<char>(record.size() >> 8));
      framed.append(record.data(), record.size());
    }
    for (uint8_t flags : {0x80, 0x82, 0xb0, 0x86}) {
      Write("manifest", "manifest-" + std::to_string(i++),
            std::string(1, static_cast<char>(flags)) + framed);
    }
    // A CURRENT that names another manifest, and a damaged one.
    Write("manifest", "manifest-" + std::to_string(i++),
          std::string("\x01\x10") + "MANIFEST-000008\n" + manifest);
    Write("manifest", "manifest-" + std::to_string(i++),
          std::string("\x01\x0f") + "MANIFEST-000007" + manifest);
  }
}

// ---- codecs ----

// Bytes that FuzzedDataProvider::ConsumeRandomLengthString returns as s, then more.
std::string AsRandomLengthString(const std::string& s) {
  std::string r;
  for (char c : s) {
    r.push_back(c);
    if (c == '\\') r.push_back('\\');
  }
  return r + "\\n";
}

void CodecSeeds() {
  Random rnd(4);
  const std::string big(20, 'q');
  const SqlValue values[] = {SqlValue::Integer(0),
                             SqlValue::Integer(-1),
                             SqlValue::Integer(INT64_MIN),
                             SqlValue::Integer(1 << 20),
                             SqlValue::Real(1.5),
                             SqlValue::Real(-0.0),
                             SqlValue::Real(1e300),
                             SqlValue::Real(4.9e-324),
                             SqlValue::Text("k1"),
                             SqlValue::Text(std::string_view("a\0b", 3)),
                             SqlValue::Blob(""),
                             SqlValue::Blob(big),
                             SqlValue::Null()};
  const int n = static_cast<int>(std::size(values));
  for (int i = 0; i < 16; i++) {
    const int ncols = 1 + i % 3;
    SqlValue key[3];
    for (int c = 0; c < ncols; c++) key[c] = values[rnd.Uniform(n)];
    std::string enc;
    EncodeKey(key, ncols, &enc);
    Write("key_codec", "key-" + std::to_string(i),
          AsRandomLengthString(enc) + RandomBytes(&rnd, 64));

    std::vector<SqlValue> row;
    for (int c = 0; c < 1 + i % 5; c++) row.push_back(values[rnd.Uniform(n)]);
    std::string encoded;
    EncodeRow(row.data(), row.size(), rnd.Uniform(8), &encoded);
    Write("row_codec", "row-" + std::to_string(i),
          AsRandomLengthString(encoded) + RandomBytes(&rnd, 64));
  }
}

void SqlSeeds() {
  Random rnd(5);
  for (int i = 0; i < 14; i++) {
    // Any bytes make statements (FuzzedDataProvider takes choices from the end).
    std::string seed = RandomBytes(&rnd, 64 + 96 * (i % 5));
    Write("sql", "sql-" + std::to_string(i), seed);
  }
}

}  // namespace
}  // namespace fuzz
}  // namespace strata

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  strata::fuzz::g_dir = argv[1];
  strata::fuzz::WalSeeds();
  strata::fuzz::BlockSeeds();
  strata::fuzz::TableSeeds();
  strata::fuzz::ManifestSeeds();
  strata::fuzz::CodecSeeds();
  strata::fuzz::SqlSeeds();
  printf("gen_seeds: wrote %d seeds in %s\n", strata::fuzz::g_count, argv[1]);
  return 0;
}
