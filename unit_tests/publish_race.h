// Helpers for the tests of the memtable's side structures (bloom filter,
// hash index): distinct keys, and a writer publishing entries while readers
// check them, as the memtable publishes entries and the DB sequence numbers.
#ifndef STRATA_UNIT_TESTS_PUBLISH_RACE_H_
#define STRATA_UNIT_TESTS_PUBLISH_RACE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace strata {
namespace test {

// The i-th of many distinct keys, not in key order.
inline std::string SpreadKey(uint64_t i) { return "key" + std::to_string(i * 7919 + 13); }

// Calls add(i) for i in [0, n), publishing i + 1 after each with a release
// store, while two readers acquire the count and call found(k) for random k
// below it. Returns how many of those calls returned false.
inline uint64_t CountMissesWhilePublishing(uint64_t n, const std::function<void(uint64_t)>& add,
                                           const std::function<bool(uint64_t)>& found) {
  std::atomic<uint64_t> published{0};
  std::atomic<uint64_t> misses{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; t++) {
    readers.emplace_back([&, t] {
      uint64_t x = 88172645463325252ull + static_cast<uint64_t>(t);
      for (;;) {
        const uint64_t upto = published.load(std::memory_order_acquire);
        if (upto > 0) {
          x ^= x << 13, x ^= x >> 7, x ^= x << 17;
          if (!found(x % upto)) misses.fetch_add(1);
        }
        if (upto == n) break;
      }
    });
  }
  for (uint64_t i = 0; i < n; i++) {
    add(i);
    published.store(i + 1, std::memory_order_release);
  }
  for (auto& r : readers) r.join();
  return misses.load();
}

}  // namespace test
}  // namespace strata

#endif  // STRATA_UNIT_TESTS_PUBLISH_RACE_H_
