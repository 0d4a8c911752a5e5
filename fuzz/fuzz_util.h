// Helpers shared by the fuzz targets in fuzz/: in-memory files for the engine's Env interfaces,
// an invariant check that aborts (libFuzzer reports an abort as a crash and saves the input),
// and a private scratch directory for targets that must use real files.
//
// Everything here is for one fuzzing thread; nothing is shared between threads.
#ifndef STRATA_FUZZ_FUZZ_UTIL_H_
#define STRATA_FUZZ_FUZZ_UTIL_H_

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "strata/env.h"
#include "strata/slice.h"
#include "strata/status.h"

// Aborts with a message when an invariant does not hold.
#define FUZZ_CHECK(cond, ...)                                                        \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      fprintf(stderr, "%s:%d: invariant failed: %s\n  ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                                  \
      fprintf(stderr, "\n");                                                         \
      abort();                                                                       \
    }                                                                                \
  } while (0)

namespace strata {
namespace fuzz {

// A SequentialFile over bytes the caller keeps alive.
class StringSequentialFile final : public SequentialFile {
 public:
  explicit StringSequentialFile(Slice data) : data_(data) {}
  Status Read(size_t n, Slice* result, char* scratch) override {
    n = std::min(n, data_.size() - pos_);
    // Copy, as a file would: the reader must not rely on the bytes staying put.
    if (n > 0) memcpy(scratch, data_.data() + pos_, n);
    *result = Slice(scratch, n);
    pos_ += n;
    return Status::OK();
  }
  Status Skip(uint64_t n) override {
    pos_ += static_cast<size_t>(std::min<uint64_t>(n, data_.size() - pos_));
    return Status::OK();
  }

 private:
  const Slice data_;
  size_t pos_ = 0;
};

// A RandomAccessFile over bytes the caller keeps alive: mapped (Read returns pointers into
// them) or not (Read copies into scratch, exactly n bytes asked for at most).
class StringRandomAccessFile final : public RandomAccessFile {
 public:
  StringRandomAccessFile(Slice data, bool mapped) : data_(data), mapped_(mapped) {}
  Status Read(uint64_t offset, size_t n, Slice* result, char* scratch) const override {
    if (offset > data_.size()) {
      *result = Slice();
      return Status::IOError("fuzz file", "read past the end");
    }
    n = static_cast<size_t>(std::min<uint64_t>(n, data_.size() - offset));
    if (mapped_) {
      *result = Slice(data_.data() + offset, n);
    } else {
      if (n > 0) memcpy(scratch, data_.data() + offset, n);
      *result = Slice(scratch, n);
    }
    return Status::OK();
  }
  bool IsMapped() const override { return mapped_; }
  uint64_t Size() const override { return data_.size(); }

 private:
  const Slice data_;
  const bool mapped_;
};

// A WritableFile that appends to a string the caller owns (so it outlives a writer that
// takes ownership of the file).
class StringSink final : public WritableFile {
 public:
  explicit StringSink(std::string* dest) : dest_(dest) {}
  Status Append(const Slice& data) override {
    dest_->append(data.data(), data.size());
    return Status::OK();
  }
  Status Flush() override { return Status::OK(); }
  Status Sync() override { return Status::OK(); }
  Status Close() override { return Status::OK(); }
  uint64_t Size() const override { return dest_->size(); }

 private:
  std::string* const dest_;
};

// A directory private to this process (in /dev/shm when there is one: fuzzing writes files
// at every input), created empty on first use and removed at exit.
inline const std::string& ScratchDir() {
  static const std::string dir = [] {
    const std::string base = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
    std::string d = base + "/strata-fuzz-" + std::to_string(getpid());
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    static std::string to_remove = d;
    atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(to_remove, ec);
    });
    return d;
  }();
  return dir;
}

inline std::string Hex(Slice s, size_t max = 64) {
  static const char kDigits[] = "0123456789abcdef";
  std::string r;
  for (size_t i = 0; i < s.size() && i < max; i++) {
    r += kDigits[static_cast<uint8_t>(s[i]) >> 4];
    r += kDigits[static_cast<uint8_t>(s[i]) & 15];
  }
  if (s.size() > max) r += "...";
  return r;
}

}  // namespace fuzz
}  // namespace strata

#endif  // STRATA_FUZZ_FUZZ_UTIL_H_
