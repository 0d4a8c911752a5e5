// format_example: produces the worked examples of docs/wal_format.md and
// docs/manifest_format.md with the real engine code, and prints what a
// reader needs to check them byte by byte.
//
// It opens a new store in DIR (which must not exist), writes one Put, saves a
// copy of the open (unclosed, preallocated) WAL as DIR.wal-open, flushes the
// memtable to an L0 table, closes the store, and then for every WAL or
// manifest fragment in the saved files prints its offset, header fields and
// the XXH3 checksum recomputed from the payload (seed = length << 8 | type).
//
// Build and run from the repository root (not part of `make`):
//   g++ -std=c++20 -O1 -Iengine/include -Iengine -I. docs/tools/format_example.cc
//       build/libstrata.a -pthread -o /tmp/format_example
//   /tmp/format_example /tmp/strata-example
//   xxd /tmp/strata-example.wal-open | head; xxd /tmp/strata-example/MANIFEST-000003
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "db/wal_format.h"
#include "strata/db.h"
#include "util/coding.h"
#include "util/hash.h"

namespace {

namespace fs = std::filesystem;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Walks the fragments of a WAL-framed file up to the first all-zero header
// (the preallocated tail) or the end, printing and checking each one.
void DescribeFragments(const std::string& name, const std::string& data) {
  std::printf("%s: %zu bytes\n", name.c_str(), data.size());
  size_t pos = 0;
  while (pos < data.size()) {
    const size_t in_block = pos % strata::wal::kBlockSize;
    if (strata::wal::kBlockSize - in_block < strata::wal::kHeaderSize) {
      pos += strata::wal::kBlockSize - in_block;  // block padding
      continue;
    }
    if (pos + strata::wal::kHeaderSize > data.size()) break;
    const char* h = data.data() + pos;
    const uint32_t stored = strata::DecodeFixed32(h);
    const uint32_t length = static_cast<uint8_t>(h[4]) | (static_cast<uint8_t>(h[5]) << 8);
    const uint8_t type = static_cast<uint8_t>(h[6]);
    if (stored == 0 && length == 0 && type == 0) {
      std::printf("  offset %zu: zero header: preallocated space, end of the log\n", pos);
      break;
    }
    if (pos + strata::wal::kHeaderSize + length > data.size()) {
      std::printf("  offset %zu: fragment overruns the file\n", pos);
      break;
    }
    const uint64_t seed = strata::wal::ChecksumSeed(length, type);
    const uint64_t full = strata::Hash64(h + strata::wal::kHeaderSize, length, seed);
    std::printf("  offset %zu: type %u length %u seed 0x%" PRIx64
                " stored checksum 0x%08x, "
                "XXH3-64 = 0x%016" PRIx64 " -> low 32 bits 0x%08x %s\n",
                pos, type, length, seed, stored, full, static_cast<uint32_t>(full),
                static_cast<uint32_t>(full) == stored ? "(match)" : "(MISMATCH)");
    pos += strata::wal::kHeaderSize + length;
  }
}

int Fail(const strata::Status& s, const char* what) {
  std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR   (DIR must not exist)\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  if (fs::exists(dir)) {
    std::fprintf(stderr, "%s exists\n", dir.c_str());
    return 2;
  }
  std::unique_ptr<strata::DB> db;
  strata::Status s = strata::DB::Open(strata::Options(), dir, &db);
  if (!s.ok()) return Fail(s, "open");
  s = db->Put(strata::WriteOptions(), "apple", "red");
  if (!s.ok()) return Fail(s, "put");

  // The live WAL is the only *.wal file; copy it while it is still open.
  std::string wal_name;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".wal") wal_name = e.path().filename();
  }
  const std::string wal_copy = dir + ".wal-open";
  fs::copy_file(dir + "/" + wal_name, wal_copy, fs::copy_options::overwrite_existing);

  s = db->Flush(strata::FlushOptions());
  if (!s.ok()) return Fail(s, "flush");
  s = db->Close();
  if (!s.ok()) return Fail(s, "close");
  db.reset();

  std::printf("files after close:");
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    std::printf(" %s(%ju)", n.c_str(), static_cast<uintmax_t>(fs::file_size(dir + "/" + n)));
  }
  std::printf("\n\n");

  DescribeFragments(wal_name + " (copied while open)", ReadAll(wal_copy));
  for (const auto& n : names) {
    if (n.rfind("MANIFEST-", 0) == 0) DescribeFragments(n, ReadAll(dir + "/" + n));
    if (n.size() > 4 && n.substr(n.size() - 4) == ".wal") {
      DescribeFragments(n + " (after close)", ReadAll(dir + "/" + n));
    }
  }
  std::printf("CURRENT: \"%s\"\n", ReadAll(dir + "/CURRENT").c_str());
  return 0;
}
