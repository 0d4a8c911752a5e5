// Embedding the strata engine in a C++ program: no SQLite involved.
//
// What it shows: a small time-series store on strata's public API
// (engine/include/strata/), with keys built so that byte order is time order
// ("sensor/" + big-endian timestamp). DB::Open with Options; Put, Get and a
// missing key; WriteBatch for atomic groups of writes; iterators bounded to
// one sensor and one time window (iterate_lower_bound/iterate_upper_bound),
// forwards and backwards; a snapshot that keeps seeing the old data while
// the store changes; DeleteRange; Flush, CompactRange and the properties that
// show the LSM tree; Verify and Checkpoint; a second Open of a store that is
// already open (Busy); Close, reopen and DestroyDB.
//
// Build and run from the repository root, after `make` (which builds
// build/libstrata.a):
//
//   g++ -std=c++20 -Wall -Wextra -O2 -Iengine/include -o /tmp/cpp_embed examples/cpp_embed.cc
//   build/libstrata.a -pthread /tmp/cpp_embed
//
// It works in a temporary directory of its own (removed at the end), checks
// every result, and exits with status 1 on the first mismatch.
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "strata/cache.h"
#include "strata/db.h"
#include "strata/iterator.h"
#include "strata/options.h"
#include "strata/slice.h"
#include "strata/status.h"
#include "strata/write_batch.h"

// Stops the program when a condition does not hold.
#define CHECK(cond)                                                                 \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::exit(1);                                                                 \
    }                                                                               \
  } while (0)

// Stops the program when a Status is not OK, printing it.
#define CHECK_OK(expr)                                                                           \
  do {                                                                                           \
    strata::Status _s = (expr);                                                                  \
    if (!_s.ok()) {                                                                              \
      std::fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #expr, _s.ToString().c_str()); \
      std::exit(1);                                                                              \
    }                                                                                            \
  } while (0)

namespace {

// The key of one reading: the sensor's name, '/', and the time in seconds as
// 8 big-endian bytes. The store orders keys bytewise, so a sensor's readings
// are adjacent and in time order.
std::string ReadingKey(std::string_view sensor, uint64_t ts) {
  std::string key(sensor);
  key.push_back('/');
  for (int shift = 56; shift >= 0; shift -= 8) key.push_back(static_cast<char>(ts >> shift));
  return key;
}

uint64_t KeyTime(const strata::Slice& key) {
  uint64_t ts = 0;
  for (size_t i = key.size() - 8; i < key.size(); i++) {
    ts = (ts << 8) | static_cast<unsigned char>(key[i]);
  }
  return ts;
}

// A reading's value: the temperature as the 8 bytes of a double.
std::string Encode(double celsius) {
  std::string v(sizeof celsius, '\0');
  std::memcpy(v.data(), &celsius, sizeof celsius);
  return v;
}

double Decode(const strata::Slice& value) {
  double celsius;
  CHECK(value.size() == sizeof celsius);
  std::memcpy(&celsius, value.data(), sizeof celsius);
  return celsius;
}

constexpr uint64_t kStart = 1709251200;  // 2024-03-01 00:00:00 UTC
constexpr int kMinutes = 2 * 24 * 60;    // two days of one reading a minute
const char* const kSensors[] = {"boiler", "freezer", "porch"};

double Temperature(int sensor, int minute) {
  const double base[] = {65.0, -18.0, 8.0};
  return base[sensor] + 4.0 * std::sin(minute * 2 * M_PI / 1440) + (minute % 7) * 0.125;
}

// Counts a sensor's readings in [from, to) with a bounded iterator, and
// returns their average through *avg.
int ScanWindow(strata::DB* db, const strata::ReadOptions& base, std::string_view sensor,
               uint64_t from, uint64_t to, double* avg) {
  const std::string lower = ReadingKey(sensor, from);
  const std::string upper = ReadingKey(sensor, to);
  const strata::Slice lower_slice(lower), upper_slice(upper);
  strata::ReadOptions options = base;
  options.iterate_lower_bound = &lower_slice;  // the Slices outlive the iterator
  options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<strata::Iterator> it(db->NewIterator(options));
  int n = 0;
  double sum = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    sum += Decode(it->value());
    n++;
  }
  CHECK_OK(it->status());
  *avg = n > 0 ? sum / n : 0;
  return n;
}

std::string Property(strata::DB* db, const char* name) {
  std::string value;
  CHECK(db->GetProperty(name, &value));
  return value;
}

}  // namespace

int main() {
  const char* tmp = std::getenv("TMPDIR");
  std::string dir =
      std::string(tmp != nullptr && *tmp ? tmp : "/tmp") + "/strata-cpp-example-XXXXXX";
  CHECK(mkdtemp(dir.data()) != nullptr);
  const std::string path = dir + "/readings";
  std::printf("strata %s, store in %s\n", strata::LibraryVersion(), path.c_str());

  strata::Options options;
  options.create_if_missing = true;
  options.write_buffer_size = 256 << 10;               // small, to see flushes here
  options.block_cache = strata::NewLRUCache(8 << 20);  // a private 8 MiB cache
  std::unique_ptr<strata::DB> db;
  CHECK_OK(strata::DB::Open(options, path, &db));

  // One store per directory, one open at a time: a second Open is Busy.
  {
    std::unique_ptr<strata::DB> again;
    strata::Status s = strata::DB::Open(options, path, &again);
    std::printf("second open: %s\n", s.ToString().c_str());
    CHECK(s.IsBusy());
  }

  // Single writes and reads. A missing key is NotFound, which is not an error.
  const strata::WriteOptions write_options;
  const strata::ReadOptions read_options;
  CHECK_OK(db->Put(write_options, "sensor-count", "3"));
  std::string value;
  CHECK_OK(db->Get(read_options, "sensor-count", &value));
  CHECK(value == "3");
  strata::Status missing = db->Get(read_options, "no-such-key", &value);
  CHECK(missing.IsNotFound());
  CHECK_OK(db->Delete(write_options, "sensor-count"));
  CHECK(db->Get(read_options, "sensor-count", &value).IsNotFound());

  // Two days of readings for three sensors, an hour per WriteBatch: each
  // batch is applied atomically (and after a crash, all of it or none).
  for (int hour = 0; hour < kMinutes / 60; hour++) {
    strata::WriteBatch batch;
    for (int s = 0; s < 3; s++) {
      for (int m = hour * 60; m < hour * 60 + 60; m++) {
        batch.Put(ReadingKey(kSensors[s], kStart + m * 60), Encode(Temperature(s, m)));
      }
    }
    CHECK_OK(db->Write(write_options, &batch));
  }
  std::printf("wrote %d readings; about %s keys in the store\n", 3 * kMinutes,
              Property(db.get(), "strata.estimate-num-keys").c_str());

  // A point read of one reading.
  CHECK_OK(db->Get(read_options, ReadingKey("porch", kStart + 600 * 60), &value));
  CHECK(Decode(value) == Temperature(2, 600));

  // A bounded scan: the freezer between 06:00 and 07:00 on the first day.
  double avg = 0;
  int n = ScanWindow(db.get(), read_options, "freezer", kStart + 6 * 3600, kStart + 7 * 3600, &avg);
  std::printf("freezer 06:00-07:00: %d readings, average %.3f C\n", n, avg);
  CHECK(n == 60);
  CHECK(avg < -13 && avg > -15);

  // Backwards: the porch's latest reading. Bounded to the porch's keys (from
  // "porch/" up to "porch0", '0' being the byte after '/'), SeekToLast lands
  // on its newest reading and Prev walks back in time.
  {
    const std::string lower = "porch/";
    const std::string upper = "porch0";
    const strata::Slice lower_slice(lower), upper_slice(upper);
    strata::ReadOptions bounded;
    bounded.iterate_lower_bound = &lower_slice;
    bounded.iterate_upper_bound = &upper_slice;
    std::unique_ptr<strata::Iterator> it(db->NewIterator(bounded));
    it->SeekToLast();
    CHECK(it->Valid());
    std::printf("porch, latest reading: minute %llu, %.3f C\n",
                static_cast<unsigned long long>((KeyTime(it->key()) - kStart) / 60),
                Decode(it->value()));
    CHECK(KeyTime(it->key()) == kStart + (kMinutes - 1) * 60);
    it->Prev();
    CHECK(it->Valid() && KeyTime(it->key()) == kStart + (kMinutes - 2) * 60);
    CHECK_OK(it->status());
  }

  // A snapshot keeps seeing the store as it was: the boiler's first day is
  // deleted with one DeleteRange, yet reads at the snapshot still find it.
  const strata::Snapshot* before = db->GetSnapshot();
  CHECK_OK(db->DeleteRange(write_options, ReadingKey("boiler", kStart),
                           ReadingKey("boiler", kStart + 24 * 3600)));
  strata::ReadOptions at_snapshot;
  at_snapshot.snapshot = before;
  CHECK(ScanWindow(db.get(), read_options, "boiler", kStart, kStart + kMinutes * 60, &avg) == 1440);
  CHECK(ScanWindow(db.get(), at_snapshot, "boiler", kStart, kStart + kMinutes * 60, &avg) == 2880);
  CHECK(db->Get(read_options, ReadingKey("boiler", kStart), &value).IsNotFound());
  CHECK_OK(db->Get(at_snapshot, ReadingKey("boiler", kStart), &value));
  std::printf("boiler readings: 1440 now, 2880 at the snapshot\n");
  db->ReleaseSnapshot(before);

  // The LSM tree: the small memtable has been flushed several times; a full
  // compaction merges everything and drops the deleted range for good.
  CHECK_OK(db->Flush(strata::FlushOptions()));
  std::printf("before compaction:\n%s", Property(db.get(), "strata.levels").c_str());
  CHECK_OK(db->CompactRange(nullptr, nullptr));
  std::printf("after CompactRange(nullptr, nullptr):\n%s",
              Property(db.get(), "strata.levels").c_str());
  int files = 0;
  for (int level = 0; level < options.num_levels; level++) {
    const std::string name = "strata.num-files-at-level" + std::to_string(level);
    files += std::atoi(Property(db.get(), name.c_str()).c_str());
  }
  CHECK(files >= 1);
  CHECK(Property(db.get(), "strata.num-files-at-level0") == "0");
  CHECK(Property(db.get(), "strata.background-error").empty());
  {
    std::unique_ptr<strata::Iterator> it(db->NewIterator(read_options));
    int keys = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) keys++;
    CHECK_OK(it->status());
    std::printf("keys after compaction: %d (estimated: %s)\n", keys,
                Property(db.get(), "strata.estimate-num-keys").c_str());
    CHECK(keys == 3 * kMinutes - 1440);
  }

  // Every block's checksum and the key order, then a consistent copy.
  CHECK_OK(db->Verify());
  const std::string backup = dir + "/backup";
  CHECK_OK(db->Checkpoint(backup));

  // Close and reopen: everything is still there.
  CHECK_OK(db->Close());
  db.reset();
  CHECK_OK(strata::DB::Open(options, path, &db));
  CHECK(ScanWindow(db.get(), read_options, "porch", kStart, kStart + kMinutes * 60, &avg) == 2880);
  CHECK(ScanWindow(db.get(), read_options, "boiler", kStart, kStart + kMinutes * 60, &avg) == 1440);

  // The checkpoint opens as a store of its own, read-only here.
  {
    strata::Options ro = options;
    ro.read_only = true;
    std::unique_ptr<strata::DB> copy;
    CHECK_OK(strata::DB::Open(ro, backup, &copy));
    CHECK(ScanWindow(copy.get(), read_options, "freezer", kStart, kStart + kMinutes * 60, &avg) ==
          2880);
    strata::Status s = copy->Put(write_options, "x", "y");
    std::printf("write to the read-only copy: %s\n", s.ToString().c_str());
    CHECK(s.IsReadOnly());
  }

  CHECK_OK(db->Close());
  db.reset();
  CHECK_OK(strata::DestroyDB(path, options));
  CHECK_OK(strata::DestroyDB(backup, options));
  CHECK(!std::filesystem::exists(path));
  std::filesystem::remove_all(dir);
  std::printf("cpp_embed: all checks passed\n");
  return 0;
}
