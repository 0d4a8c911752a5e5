// MemTableBloom (see memtable_bloom.h).
#include "db/memtable_bloom.h"

#include <algorithm>
#include <atomic>

#include "util/hash.h"

namespace strata {

namespace {

// Seeds the key hash apart from the table files' filters and checksums.
constexpr uint64_t kSeed = 0x6d656d626c6f6f6dull;  // "membloom"

// Bit positions within the block: double hashing over its 512 bits.
template <typename F>
void ForEachProbe(uint32_t h, int probes, F&& f) {
  const uint32_t delta = (h >> 17) | (h << 15) | 1;
  for (int i = 0; i < probes; i++) {
    f(h & 511);
    h += delta;
  }
}

}  // namespace

MemTableBloom::MemTableBloom(size_t bytes)
    : num_blocks_(std::max<size_t>(1, bytes / kBlockBytes)), words_(num_blocks_ * kWordsPerBlock) {}

uint64_t* MemTableBloom::Block(uint64_t hash) const {
  // The high 32 bits map onto [0, num_blocks_) by multiply-shift.
  const uint64_t index = ((hash >> 32) * static_cast<uint64_t>(num_blocks_)) >> 32;
  return &words_.words()[index * kWordsPerBlock];
}

void MemTableBloom::Add(const Slice& user_key) {
  const uint64_t h = Hash64(user_key.data(), user_key.size(), kSeed);
  uint64_t* block = Block(h);
  ForEachProbe(static_cast<uint32_t>(h), kProbes, [block](uint32_t bit) {
    std::atomic_ref<uint64_t> word(block[bit >> 6]);
    // One writer: a plain read-modify-write, no locked instruction.
    word.store(word.load(std::memory_order_relaxed) | (uint64_t{1} << (bit & 63)),
               std::memory_order_relaxed);
  });
}

bool MemTableBloom::MayContain(const Slice& user_key) const {
  const uint64_t h = Hash64(user_key.data(), user_key.size(), kSeed);
  uint64_t* block = Block(h);
  bool all = true;
  ForEachProbe(static_cast<uint32_t>(h), kProbes, [block, &all](uint32_t bit) {
    const uint64_t word =
        std::atomic_ref<uint64_t>(block[bit >> 6]).load(std::memory_order_relaxed);
    all = all && ((word >> (bit & 63)) & 1) != 0;
  });
  return all;
}

}  // namespace strata
