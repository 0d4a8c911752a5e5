// Helpers for the table layer's tests (table_*_test.cc): in-memory files,
// a seed source, and a checker that drives an Iterator
// and a sorted model through the same random operations.
#ifndef STRATA_UNIT_TESTS_TABLE_TEST_UTIL_H_
#define STRATA_UNIT_TESTS_TABLE_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "strata/comparator.h"
#include "strata/env.h"
#include "strata/iterator.h"
#include "util/random.h"

namespace strata {
namespace table_test {

using KVVector = std::vector<std::pair<std::string, std::string>>;

// $STRATA_SEED if set, else a fresh seed; tests print it on failure.
inline uint64_t Seed() {
  if (const char* s = getenv("STRATA_SEED")) return strtoull(s, nullptr, 10);
  return static_cast<uint64_t>(time(nullptr)) * 1000003u + static_cast<uint64_t>(getpid());
}

inline std::string RandomKey(Random* rnd, size_t len) {
  std::string s(len, '\0');
  // A small alphabet so keys share prefixes and collide in interesting ways.
  for (char& c : s)
    c = "\x00\x01"
        "abcxyz\xfe\xff"[rnd->Uniform(10)];
  return s;
}

inline std::string RandomValue(Random* rnd, size_t len) {
  std::string s(len, '\0');
  for (char& c : s) c = static_cast<char>(rnd->Uniform(256));
  return s;
}

// A WritableFile that keeps what is appended in memory.
class StringSink final : public WritableFile {
 public:
  Status Append(const Slice& data) override {
    if (fail_after_ >= 0 && static_cast<int64_t>(contents_.size() + data.size()) > fail_after_) {
      return Status::NoSpace("StringSink", "injected");
    }
    contents_.append(data.data(), data.size());
    return Status::OK();
  }
  Status Flush() override { return Status::OK(); }
  Status Sync() override { return Status::OK(); }
  Status Close() override { return Status::OK(); }
  uint64_t Size() const override { return contents_.size(); }

  const std::string& contents() const { return contents_; }
  // Appends that would take the file past n bytes fail with NoSpace.
  void FailAfter(int64_t n) { fail_after_ = n; }

 private:
  std::string contents_;
  int64_t fail_after_ = -1;
};

// A RandomAccessFile over a string, mapped (Read returns pointers into the
// string) or not (Read copies into scratch).
class StringSource final : public RandomAccessFile {
 public:
  StringSource(std::string contents, bool mapped)
      : contents_(std::move(contents)), mapped_(mapped) {}
  Status Read(uint64_t offset, size_t n, Slice* result, char* scratch) const override {
    reads_++;
    if (offset > contents_.size()) {
      *result = Slice();
      return Status::IOError("StringSource", "read past the end");
    }
    n = std::min<uint64_t>(n, contents_.size() - offset);
    if (mapped_) {
      *result = Slice(contents_.data() + offset, n);
    } else {
      memcpy(scratch, contents_.data() + offset, n);
      *result = Slice(scratch, n);
    }
    return Status::OK();
  }
  bool IsMapped() const override { return mapped_; }
  uint64_t Size() const override { return contents_.size(); }
  uint64_t reads() const { return reads_; }

 private:
  const std::string contents_;
  const bool mapped_;
  mutable std::atomic<uint64_t> reads_{0};
};

// Drives iter and a sorted model (equal keys allowed; they are ordered as
// the iterator must order them) through `steps` random operations, checking
// after each that both agree. targets(rnd) proposes seek targets.
inline void CheckIteratorAgainstModel(Iterator* iter, const KVVector& model, const Comparator* cmp,
                                      Random* rnd, int steps,
                                      const std::function<std::string(Random*)>& targets) {
  const int n = static_cast<int>(model.size());
  int pos = -1;  // -1: invalid
  auto lower_bound = [&](const Slice& t) {
    int lo = 0, hi = n;
    while (lo < hi) {
      int mid = (lo + hi) / 2;
      if (cmp->Compare(model[mid].first, t) < 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  };
  auto upper_bound = [&](const Slice& t) {
    int lo = 0, hi = n;
    while (lo < hi) {
      int mid = (lo + hi) / 2;
      if (cmp->Compare(model[mid].first, t) <= 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  };
  for (int step = 0; step < steps; step++) {
    std::string op;
    const uint64_t r = rnd->Uniform(100);
    if (r < 5) {
      op = "SeekToFirst";
      iter->SeekToFirst();
      pos = n > 0 ? 0 : -1;
    } else if (r < 10) {
      op = "SeekToLast";
      iter->SeekToLast();
      pos = n - 1;
    } else if (r < 25) {
      std::string t = targets(rnd);
      op = "Seek(" + t + ")";
      iter->Seek(t);
      pos = lower_bound(t);
      if (pos == n) pos = -1;
    } else if (r < 40) {
      std::string t = targets(rnd);
      op = "SeekForPrev(" + t + ")";
      iter->SeekForPrev(t);
      pos = upper_bound(t) - 1;
    } else if (r < 70) {
      if (pos < 0) continue;
      op = "Next";
      iter->Next();
      pos = pos + 1 < n ? pos + 1 : -1;
    } else {
      if (pos < 0) continue;
      op = "Prev";
      iter->Prev();
      pos = pos - 1;
    }
    ASSERT_TRUE(iter->status().ok())
        << "step " << step << " " << op << ": " << iter->status().ToString();
    ASSERT_EQ(pos >= 0, iter->Valid()) << "step " << step << " " << op << " model pos " << pos;
    if (pos >= 0) {
      ASSERT_EQ(model[pos].first, iter->key().ToString()) << "step " << step << " " << op;
      ASSERT_EQ(model[pos].second, iter->value().ToString()) << "step " << step << " " << op;
    }
  }
}

// Full forward and reverse scans must return exactly the model.
inline void CheckScans(Iterator* iter, const KVVector& model) {
  size_t i = 0;
  for (iter->SeekToFirst(); iter->Valid(); iter->Next(), i++) {
    ASSERT_LT(i, model.size());
    ASSERT_EQ(model[i].first, iter->key().ToString()) << "forward at " << i;
    ASSERT_EQ(model[i].second, iter->value().ToString()) << "forward at " << i;
  }
  ASSERT_TRUE(iter->status().ok()) << iter->status().ToString();
  ASSERT_EQ(model.size(), i);
  i = model.size();
  for (iter->SeekToLast(); iter->Valid(); iter->Prev()) {
    ASSERT_GT(i, 0u);
    i--;
    ASSERT_EQ(model[i].first, iter->key().ToString()) << "reverse at " << i;
    ASSERT_EQ(model[i].second, iter->value().ToString()) << "reverse at " << i;
  }
  ASSERT_TRUE(iter->status().ok()) << iter->status().ToString();
  ASSERT_EQ(0u, i);
}

}  // namespace table_test
}  // namespace strata

#endif  // STRATA_UNIT_TESTS_TABLE_TEST_UTIL_H_
