// Fuzz target: the block reader (engine/table/block.cc), which decodes every data, index,
// properties, metaindex and range-tombstone block of an SSTable.
//
// Input: the first byte picks a mode.
//   even: raw mode. Bytes 1-2 are a little-endian length L; the next L bytes are a block's
//         contents, the rest is a sequence of iterator operations (fuzz/iterator_check.h).
//   odd:  build mode. The rest chooses a restart interval and sorted entries, written with
//         BlockBuilder; the bytes left over are the operations.
// Checks (abort on violation):
//   - no crash, no sanitizer report (the block is an exact-size heap copy, so any read past
//     it is caught), and every iteration ends (within as many steps as the block has bytes);
//   - the block is parsed independently, from the layout in block_builder.cc. When the
//     restart array is malformed (count 0 or too large), well_formed() is false and
//     iterators report Corruption. When the block is canonical (entries parse exactly up to
//     the restart array, restart 0 at offset 0, restart offsets increasing and at entries
//     with no shared bytes), forward and backward scans return exactly the parsed entries;
//     when its keys are also strictly increasing, every Seek, SeekForPrev, Next and Prev of
//     the operation sequence lands where the parsed entries say. For any other block every
//     status is OK or Corruption;
//   - build mode: BlockBuilder's output is canonical and reads back as exactly what was
//     added, under the same operations.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "fuzz/iterator_check.h"
#include "table/block.h"
#include "table/block_builder.h"

namespace strata {
namespace fuzz {
namespace {

const std::string kName = "fuzz.block";

// A varint32 as the format defines it (LEB128, at most 5 bytes, fits 32 bits).
bool ParseVarint32(const uint8_t** p, const uint8_t* limit, uint32_t* v) {
  uint64_t result = 0;
  for (int i = 0; i < 5; i++) {
    if (*p == limit) return false;
    const uint8_t b = *(*p)++;
    result |= static_cast<uint64_t>(b & 127) << (7 * i);
    if (b < 128) {
      if (result > UINT32_MAX) return false;
      *v = static_cast<uint32_t>(result);
      return true;
    }
  }
  return false;
}

struct Parsed {
  bool restarts_ok = false;  // the restart count fits the block
  bool canonical = false;
  bool sorted = false;
  std::vector<KV> entries;
};

Parsed Parse(const std::string& block) {
  Parsed r;
  const size_t size = block.size();
  if (size < 4 || size > UINT32_MAX) return r;
  const uint32_t n = DecodeFixed32(block.data() + size - 4);
  if (n == 0 || n > (size - 4) / 4) return r;
  r.restarts_ok = true;
  const size_t restart_offset = size - 4 * (static_cast<size_t>(n) + 1);
  std::vector<uint32_t> restarts(n);
  for (uint32_t i = 0; i < n; i++)
    restarts[i] = DecodeFixed32(block.data() + restart_offset + 4 * i);

  const uint8_t* base = reinterpret_cast<const uint8_t*>(block.data());
  const uint8_t* p = base;
  const uint8_t* limit = base + restart_offset;
  std::string key;
  size_t next_restart = 0;
  while (p < limit) {
    const uint32_t offset = static_cast<uint32_t>(p - base);
    uint32_t shared, non_shared, value_length;
    if (!ParseVarint32(&p, limit, &shared) || !ParseVarint32(&p, limit, &non_shared) ||
        !ParseVarint32(&p, limit, &value_length)) {
      return r;
    }
    if (shared > key.size() ||
        non_shared + static_cast<uint64_t>(value_length) > static_cast<uint64_t>(limit - p)) {
      return r;
    }
    if (next_restart < n && restarts[next_restart] == offset) {
      if (shared != 0) return r;  // a restart entry stores its whole key
      next_restart++;
    } else if (next_restart < n && restarts[next_restart] < offset) {
      return r;  // a restart point inside an entry (or out of order)
    }
    key.resize(shared);
    key.append(reinterpret_cast<const char*>(p), non_shared);
    p += non_shared;
    r.entries.push_back({key, std::string(reinterpret_cast<const char*>(p), value_length)});
    p += value_length;
  }
  // Every restart point consumed; an empty block has the single restart 0.
  if (r.entries.empty()) {
    if (n != 1 || restarts[0] != 0) return r;
  } else if (next_restart != n || restarts[0] != 0) {
    return r;
  }
  r.canonical = true;
  r.sorted = true;
  for (size_t i = 1; i < r.entries.size(); i++) {
    if (Slice(r.entries[i - 1].key).compare(r.entries[i].key) >= 0) r.sorted = false;
  }
  return r;
}

void CheckStatus(const Iterator& it, const char* where) {
  const Status s = it.status();
  FUZZ_CHECK(s.ok() || s.IsCorruption(), "%s: status %s", where, s.ToString().c_str());
}

// For blocks with no stronger property: every operation is safe and every walk ends.
void Exercise(const Block& block, Slice ops, size_t max_steps) {
  std::unique_ptr<Iterator> it(block.NewIterator(BytewiseComparator(), &kName));
  std::vector<KV> seen;
  size_t steps = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    FUZZ_CHECK(++steps <= max_steps, "forward scan does not end");
    if (seen.size() < 64) seen.push_back({it->key().ToString(), it->value().ToString()});
  }
  CheckStatus(*it, "forward scan");
  steps = 0;
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    FUZZ_CHECK(++steps <= max_steps, "backward scan does not end");
  }
  CheckStatus(*it, "backward scan");
  for (size_t step = 0; ops.size() >= 2 && step < 200; step++) {
    const uint8_t a = static_cast<uint8_t>(ops[0]);
    const uint8_t b = static_cast<uint8_t>(ops[1]);
    ops.remove_prefix(2);
    switch (a % 8) {
      case 0:
        it->SeekToFirst();
        break;
      case 1:
        it->SeekToLast();
        break;
      case 2:
        it->Seek(SeekTarget(seen, a >> 3, b));
        break;
      case 3:
        it->SeekForPrev(SeekTarget(seen, a >> 3, b));
        break;
      case 4:
      case 5:
        if (it->Valid()) it->Next();
        break;
      default:
        if (it->Valid()) it->Prev();
        break;
    }
    CheckStatus(*it, "operation");
    if (it->Valid()) {
      // Touch the bytes: ASan reports a key or value outside the block.
      volatile size_t sum = 0;
      for (char c : it->key().ToString()) sum = sum + static_cast<uint8_t>(c);
      for (char c : it->value().ToString()) sum = sum + static_cast<uint8_t>(c);
    }
  }
}

void CheckBlock(const std::string& contents, Slice ops) {
  const Parsed parsed = Parse(contents);
  BlockContents bc;
  bc.owned.reset(new char[contents.size() + (contents.empty() ? 1 : 0)]);
  if (!contents.empty()) memcpy(bc.owned.get(), contents.data(), contents.size());
  bc.data = Slice(bc.owned.get(), contents.size());
  const Block block(std::move(bc), 4096);

  FUZZ_CHECK(block.well_formed() == parsed.restarts_ok, "well_formed() %d, restart count fits %d",
             block.well_formed(), parsed.restarts_ok);
  if (!block.well_formed()) {
    std::unique_ptr<Iterator> it(block.NewIterator(BytewiseComparator(), &kName));
    it->SeekToFirst();
    FUZZ_CHECK(!it->Valid() && it->status().IsCorruption(),
               "malformed restart array but SeekToFirst gives Valid %d, status %s", it->Valid(),
               it->status().ToString().c_str());
    it->Seek("k");
    FUZZ_CHECK(!it->Valid() && it->status().IsCorruption(), "malformed restart array: Seek");
    return;
  }
  if (!parsed.canonical) {
    Exercise(block, ops, contents.size() + 2);
    return;
  }
  std::unique_ptr<Iterator> it(block.NewIterator(BytewiseComparator(), &kName));
  CheckScans(it.get(), parsed.entries, "canonical block");
  if (parsed.sorted) {
    CheckOps(it.get(), parsed.entries, BytewiseComparator(), ops, "canonical block");
    // A fresh iterator too: Seek narrows its search using where the iterator is.
    std::unique_ptr<Iterator> fresh(block.NewIterator(BytewiseComparator(), &kName));
    CheckOps(fresh.get(), parsed.entries, BytewiseComparator(), ops, "fresh iterator");
  } else {
    Exercise(block, ops, contents.size() + 2);
  }
}

void BuildMode(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const int restart_interval = in.ConsumeIntegralInRange(1, 20);
  const int n = in.ConsumeIntegralInRange(0, 120);
  std::map<std::string, std::string> entries;
  static const char kAlphabet[] = {'\0', '\x01', 'a', 'b', 'c', '\x7f', '\x80', '\xff'};
  for (int i = 0; i < n && in.remaining_bytes() > 0; i++) {
    std::string key;
    const int len = in.ConsumeIntegralInRange(0, in.ConsumeBool() ? 300 : 12);
    const uint8_t pattern = in.ConsumeIntegral<uint8_t>();
    for (int j = 0; j < len; j++) key.push_back(kAlphabet[(pattern + j * (pattern | 1)) % 8]);
    if (in.ConsumeBool() && !entries.empty()) {
      key = entries.rbegin()->first + key;  // share a long prefix
    }
    const size_t vlen = in.ConsumeIntegralInRange<size_t>(0, in.ConsumeBool() ? 2000 : 20);
    entries[key] = std::string(vlen, static_cast<char>('v' + i));
  }
  BlockBuilder builder(restart_interval);
  std::vector<KV> model;
  for (const auto& [k, v] : entries) {
    builder.Add(k, v);
    model.push_back({k, v});
  }
  const std::string contents = builder.Finish().ToString();
  const std::string ops = in.ConsumeRemainingBytesAsString();
  const Parsed parsed = Parse(contents);
  FUZZ_CHECK(parsed.canonical && parsed.sorted, "BlockBuilder wrote a non-canonical block");
  FUZZ_CHECK(parsed.entries.size() == model.size(), "parsed %zu entries of %zu",
             parsed.entries.size(), model.size());
  for (size_t i = 0; i < model.size(); i++) {
    FUZZ_CHECK(parsed.entries[i].key == model[i].key && parsed.entries[i].value == model[i].value,
               "entry %zu parsed differently", i);
  }
  CheckBlock(contents, ops);
}

}  // namespace
}  // namespace fuzz
}  // namespace strata

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  if (data[0] & 1) {
    strata::fuzz::BuildMode(data + 1, size - 1);
    return 0;
  }
  size_t len = 0;
  if (size >= 3) len = data[1] | (static_cast<size_t>(data[2]) << 8);
  const size_t start = std::min<size_t>(size, 3);
  len = std::min(len, size - start);
  const std::string contents(reinterpret_cast<const char*>(data) + start, len);
  strata::fuzz::CheckBlock(
      contents,
      strata::Slice(reinterpret_cast<const char*>(data) + start + len, size - start - len));
  return 0;
}
