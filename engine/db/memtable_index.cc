// MemTableIndex (see memtable_index.h).
#include "db/memtable_index.h"

#include <algorithm>
#include <bit>

#include "util/hash.h"

namespace strata {

namespace {

constexpr uint64_t kSeed = 0x6d656d696e646578ull;  // "memindex"

size_t SlotCount(size_t bytes) {
  return std::bit_floor(std::max<size_t>(1024, bytes / sizeof(uint64_t)));
}

}  // namespace

MemTableIndex::MemTableIndex(size_t bytes, UserKeyOf user_key_of)
    : user_key_of_(user_key_of), slots_(SlotCount(bytes)), mask_(SlotCount(bytes) - 1) {}

uint64_t MemTableIndex::Hash(const Slice& user_key) {
  return Hash64(user_key.data(), user_key.size(), kSeed);
}

void MemTableIndex::Add(const Slice& user_key, const char* entry, const char* replaced) {
  if (full_.load(std::memory_order_relaxed)) return;
  const auto address = reinterpret_cast<uintptr_t>(entry);
  if ((address & ~kAddressMask) != 0) {  // an address the slots cannot hold
    full_.store(true, std::memory_order_release);
    return;
  }
  const uint64_t h = Hash(user_key);
  const uint64_t value = ((h >> kTagShift) << kTagShift) | address;
  const auto old = reinterpret_cast<uintptr_t>(replaced);
  uint64_t* slots = slots_.words();
  for (uint64_t i = h & mask_;; i = (i + 1) & mask_) {
    std::atomic_ref<uint64_t> slot(slots[i]);
    const uint64_t v = slot.load(std::memory_order_relaxed);
    if (v == 0) {  // a new key (or, defensively, a replaced entry never indexed)
      // Half full: probes would lengthen; readers go back to the skip list.
      if ((used_ + 1) * 2 > slots_.size()) {
        full_.store(true, std::memory_order_release);
        return;
      }
      slot.store(value, std::memory_order_release);
      used_++;
      return;
    }
    if (old != 0 && (v & kAddressMask) == old) {
      slot.store(value, std::memory_order_release);  // the newer entry replaces it
      return;
    }
  }
}

const char* MemTableIndex::Find(const Slice& user_key) const {
  const uint64_t h = Hash(user_key);
  const uint64_t tag = h >> kTagShift;
  uint64_t* slots = slots_.words();
  for (uint64_t i = h & mask_;; i = (i + 1) & mask_) {
    const uint64_t v = std::atomic_ref<uint64_t>(slots[i]).load(std::memory_order_acquire);
    if (v == 0) return nullptr;
    if ((v >> kTagShift) != tag) continue;
    const char* entry = reinterpret_cast<const char*>(v & kAddressMask);
    if (user_key_of_(entry) == user_key) return entry;
  }
}

}  // namespace strata
