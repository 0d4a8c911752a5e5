// Helpers shared by the engine's unit tests: scratch directories and
// random data.
#ifndef STRATA_UNIT_TESTS_TEST_UTIL_H_
#define STRATA_UNIT_TESTS_TEST_UTIL_H_

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "util/random.h"

namespace strata {
namespace test {

// A fresh, empty directory for one test, removed by the destructor.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name) {
    const char* base = getenv("TEST_TMPDIR");
    path_ = std::string(base ? base : "/tmp") + "/strata-test-" + std::to_string(getpid()) + "-" +
            name + "-" + std::to_string(counter_++);
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  static inline int counter_ = 0;
  std::string path_;
};

inline std::string RandomString(Random* rnd, size_t len) {
  std::string s(len, ' ');
  for (size_t i = 0; i < len; i++) s[i] = static_cast<char>(' ' + rnd->Uniform(95));
  return s;
}

inline std::string RandomBytes(Random* rnd, size_t len) {
  std::string s(len, '\0');
  for (size_t i = 0; i < len; i++) s[i] = static_cast<char>(rnd->Uniform(256));
  return s;
}

// A seed for randomized tests: $STRATA_SEED if set, else from the clock.
inline uint64_t TestSeed() {
  if (const char* s = getenv("STRATA_SEED")) return strtoull(s, nullptr, 10);
  return static_cast<uint64_t>(time(nullptr)) ^ (static_cast<uint64_t>(getpid()) << 16);
}

}  // namespace test
}  // namespace strata

#endif  // STRATA_UNIT_TESTS_TEST_UTIL_H_
