// Tests of the blocked bloom filter policy: no false negatives, measured
// false-positive rates at 5, 10 and 20 bits per key, the empty filter, and
// filters of shapes it does not know.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "table/filter_policy.h"
#include "table_test_util.h"
#include "util/coding.h"

namespace strata {
namespace {

std::string Key(uint64_t i) {
  std::string k;
  PutFixed64(&k, i);
  return k;
}

std::string BuildFilter(const FilterPolicy& policy, uint64_t first, uint64_t n) {
  std::vector<uint64_t> hashes;
  hashes.reserve(n);
  for (uint64_t i = first; i < first + n; i++) hashes.push_back(FilterPolicy::FilterHash(Key(i)));
  std::string filter;
  policy.CreateFilter(hashes.data(), hashes.size(), &filter);
  return filter;
}

// Fraction of `probes` keys never added that the filter still matches.
double FalsePositiveRate(const FilterPolicy& policy, const std::string& filter, uint64_t absent,
                         uint64_t probes) {
  uint64_t hits = 0;
  for (uint64_t i = absent; i < absent + probes; i++) hits += policy.KeyMayMatch(Key(i), filter);
  return static_cast<double>(hits) / static_cast<double>(probes);
}

TEST(TableBloomTest, EmptyFilterMatchesNothing) {
  auto policy = NewBloomFilterPolicy(10);
  std::string filter;
  policy->CreateFilter(nullptr, 0, &filter);
  EXPECT_EQ(5u, filter.size());
  EXPECT_FALSE(policy->KeyMayMatch("hello", filter));
  EXPECT_FALSE(policy->KeyMayMatch("", filter));
}

TEST(TableBloomTest, UnknownShapesMatchEverything) {
  auto policy = NewBloomFilterPolicy(10);
  std::string filter = BuildFilter(*policy, 0, 100);
  EXPECT_TRUE(policy->KeyMayMatch("x", Slice()));
  EXPECT_TRUE(policy->KeyMayMatch("x", Slice("abc")));
  // A line count that disagrees with the size: must not rule anything out
  // (and must not read past the filter).
  std::string bad = filter;
  EncodeFixed32(&bad[bad.size() - 4], 1000);
  for (uint64_t i = 1000; i < 1100; i++) EXPECT_TRUE(policy->KeyMayMatch(Key(i), bad));
  bad = filter;
  bad[bad.size() - 5] = 0;  // zero probes
  EXPECT_TRUE(policy->KeyMayMatch(Key(5000), bad));
}

TEST(TableBloomTest, NoFalseNegativesAtAnySize) {
  auto policy = NewBloomFilterPolicy(10);
  for (uint64_t n : {1, 2, 3, 10, 51, 52, 100, 1000, 10000}) {
    std::string filter = BuildFilter(*policy, n * 1000000, n);
    for (uint64_t i = n * 1000000; i < n * 1000001; i++) {
      ASSERT_TRUE(policy->KeyMayMatch(Key(i), filter)) << "n=" << n << " key " << i;
    }
    // Size: about 10 bits per key, rounded up to whole 64-byte lines.
    EXPECT_LE(filter.size(), (n * 10 + 511) / 512 * 64 + 5) << n;
  }
}

struct RateCase {
  int bits_per_key;
  double low, high;
};

class TableBloomRateTest : public testing::TestWithParam<RateCase> {};

TEST_P(TableBloomRateTest, FalsePositiveRate) {
  const RateCase c = GetParam();
  auto policy = NewBloomFilterPolicy(c.bits_per_key);
  constexpr uint64_t kKeys = 200000;
  std::string filter = BuildFilter(*policy, 0, kKeys);
  for (uint64_t i = 0; i < kKeys; i++) ASSERT_TRUE(policy->KeyMayMatch(Key(i), filter)) << i;
  const double rate = FalsePositiveRate(*policy, filter, 1ull << 40, 400000);
  fprintf(stderr, "bloom %d bits/key: %.3f%% false positives, %zu bytes for %llu keys\n",
          c.bits_per_key, rate * 100, filter.size(), static_cast<unsigned long long>(kKeys));
  EXPECT_GE(rate, c.low);
  EXPECT_LE(rate, c.high);
}

INSTANTIATE_TEST_SUITE_P(BitsPerKey, TableBloomRateTest,
                         testing::Values(RateCase{5, 0.05, 0.13},     // textbook 9.2%
                                         RateCase{10, 0.005, 0.016},  // textbook 0.82%
                                         RateCase{20, 0.00002, 0.0015}));

// Keys that differ in one bit, or share long prefixes, spread like any
// others (the line and the probes come from a 64-bit XXH3 hash).
TEST(TableBloomTest, SimilarKeys) {
  auto policy = NewBloomFilterPolicy(10);
  std::vector<uint64_t> hashes;
  const std::string prefix(100, 'k');
  for (int i = 0; i < 50000; i++) {
    hashes.push_back(FilterPolicy::FilterHash(prefix + std::to_string(i * 2)));
  }
  std::string filter;
  policy->CreateFilter(hashes.data(), hashes.size(), &filter);
  int hits = 0;
  for (int i = 0; i < 50000; i++) {
    ASSERT_TRUE(policy->KeyMayMatch(prefix + std::to_string(i * 2), filter));
    hits += policy->KeyMayMatch(prefix + std::to_string(i * 2 + 1), filter);
  }
  EXPECT_LT(hits, 50000 * 0.02);
}

}  // namespace
}  // namespace strata
