// ZeroedBuffer (see zeroed_buffer.h).
#include "util/zeroed_buffer.h"

#include <sys/mman.h>

#include <cstdlib>
#include <new>

namespace strata {

ZeroedBuffer::ZeroedBuffer(size_t words) : size_(words > 0 ? words : 1) {
  void* p = mmap(nullptr, size_ * sizeof(uint64_t), PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p != MAP_FAILED) {
    words_ = static_cast<uint64_t*>(p);
    mapped_ = true;
    return;
  }
  words_ = static_cast<uint64_t*>(std::calloc(size_, sizeof(uint64_t)));
  if (words_ == nullptr) throw std::bad_alloc();
}

ZeroedBuffer::~ZeroedBuffer() {
  if (mapped_) {
    munmap(words_, size_ * sizeof(uint64_t));
  } else {
    std::free(words_);
  }
}

}  // namespace strata
