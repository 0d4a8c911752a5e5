// Helpers shared by the fault and corruption tests (db_fault_test.cc,
// db_corruption_test.cc): a scratch directory on a RAM file system, a
// std::map model of a store and ways to compare a store with it.
#ifndef STRATA_UNIT_TESTS_FAULT_TEST_UTIL_H_
#define STRATA_UNIT_TESTS_FAULT_TEST_UTIL_H_

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "strata/db.h"

namespace strata {
namespace fault_test {

using Map = std::map<std::string, std::string>;

// A fresh directory for one test, removed by the destructor: under
// $TEST_TMPDIR if set, else on /dev/shm when it is writable, else /tmp.
// These tests sync a lot while durability is simulated (FaultInjectionEnv)
// or irrelevant (byte flips), so a RAM file system keeps them fast without
// weakening them.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name) {
    std::string base = "/tmp";
    if (const char* t = getenv("TEST_TMPDIR")) {
      base = t;
    } else if (access("/dev/shm", W_OK) == 0) {
      base = "/dev/shm";
    }
    path_ = base + "/strata-fault-" + std::to_string(getpid()) + "-" + name + "-" +
            std::to_string(counter_++);
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

// "" if actual holds exactly the keys and values of expected, else the
// first difference.
inline std::string Diff(const Map& expected, const Map& actual) {
  auto e = expected.begin();
  auto a = actual.begin();
  while (e != expected.end() || a != actual.end()) {
    if (a == actual.end() || (e != expected.end() && e->first < a->first)) {
      return "missing " + e->first + "=" + e->second.substr(0, 24);
    }
    if (e == expected.end() || a->first < e->first) {
      return "unexpected " + a->first + "=" + a->second.substr(0, 24);
    }
    if (e->second != a->second) {
      return "wrong value for " + e->first + ": " + a->second.substr(0, 24) + ", expected " +
             e->second.substr(0, 24);
    }
    ++e;
    ++a;
  }
  return "";
}

// Reads the whole store into *out, forward; then checks that a backward
// scan and a Get of every key agree with it. Returns the first problem
// (an error status or a disagreement), or "".
inline std::string ReadAll(DB* db, Map* out) {
  out->clear();
  std::unique_ptr<Iterator> it(db->NewIterator(ReadOptions()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    (*out)[it->key().ToString()] = it->value().ToString();
  }
  if (!it->status().ok()) return "forward scan: " + it->status().ToString();
  size_t n = 0;
  auto expect = out->rbegin();
  for (it->SeekToLast(); it->Valid(); it->Prev(), ++expect, ++n) {
    if (expect == out->rend() || it->key() != Slice(expect->first) ||
        it->value() != Slice(expect->second)) {
      return "reverse scan disagrees at " + it->key().ToString();
    }
  }
  if (!it->status().ok()) return "reverse scan: " + it->status().ToString();
  if (n != out->size()) {
    return "reverse scan saw " + std::to_string(n) + " keys, forward scan " +
           std::to_string(out->size());
  }
  for (const auto& [k, v] : *out) {
    std::string got;
    Status s = db->Get(ReadOptions(), k, &got);
    if (!s.ok()) return "Get(" + k + "): " + s.ToString();
    if (got != v) return "Get(" + k + ") disagrees with the scan";
  }
  return "";
}

}  // namespace fault_test
}  // namespace strata

#endif  // STRATA_UNIT_TESTS_FAULT_TEST_UTIL_H_
