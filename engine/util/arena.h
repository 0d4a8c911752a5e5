// Arena: bump allocation of many small objects freed all at once.
//
// The memtable allocates its skip-list nodes (with keys and values inline)
// here. Allocation is not thread-safe (the memtable has one writer);
// MemoryUsage() may be read from any thread.
#ifndef STRATA_UTIL_ARENA_H_
#define STRATA_UTIL_ARENA_H_

#include <atomic>
#include <cassert>
#include <cstddef>
#include <vector>

namespace strata {

class Arena {
 public:
  // block_size: bytes the arena takes from the system at a time (larger
  // allocations get a block of their own). Default: 64 KiB.
  explicit Arena(size_t block_size = 64 * 1024);
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena();

  // Memory for `bytes` bytes (bytes > 0), with no alignment promise.
  char* Allocate(size_t bytes) {
    assert(bytes > 0);
    if (bytes <= alloc_bytes_remaining_) {
      char* result = alloc_ptr_;
      alloc_ptr_ += bytes;
      alloc_bytes_remaining_ -= bytes;
      return result;
    }
    return AllocateFallback(bytes);
  }

  // Memory aligned to alignof(std::max_align_t) (at least 8 bytes).
  char* AllocateAligned(size_t bytes);

  // Bytes allocated from the system, an estimate of the arena's footprint.
  size_t MemoryUsage() const { return memory_usage_.load(std::memory_order_relaxed); }

 private:
  char* AllocateFallback(size_t bytes);
  char* AllocateNewBlock(size_t block_bytes);

  const size_t block_size_;
  char* alloc_ptr_ = nullptr;
  size_t alloc_bytes_remaining_ = 0;
  std::vector<char*> blocks_;
  std::atomic<size_t> memory_usage_{0};
};

}  // namespace strata

#endif  // STRATA_UTIL_ARENA_H_
