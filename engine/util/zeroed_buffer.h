// ZeroedBuffer: a fixed array of 64-bit words that starts zero and takes
// memory from the system only where it is written (anonymous mmap; calloc if
// mapping fails). For the memtable's filters and indexes, sized for a full
// memtable up front but mostly untouched in small ones.
#ifndef STRATA_UTIL_ZEROED_BUFFER_H_
#define STRATA_UTIL_ZEROED_BUFFER_H_

#include <cstddef>
#include <cstdint>

namespace strata {

class ZeroedBuffer {
 public:
  // At least `words` words, page-aligned when mapped. Throws std::bad_alloc.
  explicit ZeroedBuffer(size_t words);
  ~ZeroedBuffer();
  ZeroedBuffer(const ZeroedBuffer&) = delete;
  ZeroedBuffer& operator=(const ZeroedBuffer&) = delete;

  uint64_t* words() const { return words_; }
  size_t size() const { return size_; }  // words

 private:
  size_t size_;
  uint64_t* words_ = nullptr;
  bool mapped_ = false;
};

}  // namespace strata

#endif  // STRATA_UTIL_ZEROED_BUFFER_H_
