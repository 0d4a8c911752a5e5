// Regression tests for bugs found by the fuzz targets in fuzz/ (see fuzz/README.md). Each
// test feeds the input a target found, minimized, or builds the same bytes with the real
// writers; the comment names the target and what broke.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "db/wal_format.h"
#include "db/wal_reader.h"
#include "db/wal_writer.h"
#include "strata/env.h"
#include "unit_tests/test_util.h"

namespace strata {
namespace {

// ---- WAL reader (target wal_reader) ----

class StringFile final : public SequentialFile {
 public:
  explicit StringFile(std::string data) : data_(std::move(data)) {}
  Status Read(size_t n, Slice* result, char* scratch) override {
    n = std::min(n, data_.size() - pos_);
    memcpy(scratch, data_.data() + pos_, n);
    *result = Slice(scratch, n);
    pos_ += n;
    return Status::OK();
  }
  Status Skip(uint64_t n) override {
    pos_ += std::min<uint64_t>(n, data_.size() - pos_);
    return Status::OK();
  }

 private:
  const std::string data_;
  size_t pos_ = 0;
};

class Sink final : public WritableFile {
 public:
  explicit Sink(std::string* dest) : dest_(dest) {}
  Status Append(const Slice& data) override {
    dest_->append(data.data(), data.size());
    return Status::OK();
  }
  Status Flush() override { return Status::OK(); }
  Status Sync() override { return Status::OK(); }
  Status Close() override { return Status::OK(); }
  uint64_t Size() const override { return dest_->size(); }

 private:
  std::string* dest_;
};

std::string WalOf(const std::vector<std::string>& records) {
  std::string file;
  wal::Writer writer(std::make_unique<Sink>(&file));
  for (const std::string& r : records) EXPECT_TRUE(writer.AddRecord(r).ok());
  return file;
}

struct ReadAll {
  std::vector<std::string> records;
  wal::Reader::Stop stop;
  Status status;
};

ReadAll Read(const std::string& file) {
  wal::Reader reader(std::make_unique<StringFile>(file), "test.wal");
  ReadAll r;
  Slice record;
  std::string scratch;
  while (reader.ReadRecord(&record, &scratch)) r.records.push_back(record.ToString());
  r.stop = reader.stop();
  r.status = reader.status();
  return r;
}

// A zeroed fragment header with an intact block after it is damage. The reader found the
// intact block, then asked again from a file it had already read to the end, and so called
// it a torn tail: the records after the zeros were dropped without an error. (Found by
// wal_reader: the header of a record crossing into the next block overwritten with zeros.)
TEST(WalFuzzRegressionTest, ZeroedHeaderBeforeAnIntactBlockIsCorruption) {
  std::string file = WalOf({"first", std::string(40000, 'b'), "after"});
  const size_t header = wal::kHeaderSize + 5;  // the second record's first fragment
  memset(&file[header], 0, wal::kHeaderSize);
  const ReadAll r = Read(file);
  EXPECT_EQ(std::vector<std::string>{"first"}, r.records);
  EXPECT_EQ(wal::Reader::Stop::kCorruption, r.stop);
  EXPECT_TRUE(r.status.IsCorruption()) << r.status.ToString();
  EXPECT_NE(std::string::npos, r.status.ToString().find("zeroed record header"));
}

// A record start where the last fragment of the record before should be: the new fragment is
// intact, so this is damage, not a torn tail; the reader dropped it and everything after it
// without an error unless a later block started with an intact fragment. (Found by
// wal_reader: the last fragment of a record crossing a block boundary cut out.)
TEST(WalFuzzRegressionTest, RecordStartInsideARecordIsCorruption) {
  const std::string a = WalOf({std::string(40000, 'a')});
  const std::string b = WalOf({"intact record"});
  const std::string file = a.substr(0, wal::kBlockSize) + b;  // a's last fragment is gone
  const ReadAll r = Read(file);
  EXPECT_TRUE(r.records.empty());
  EXPECT_EQ(wal::Reader::Stop::kCorruption, r.stop);
  EXPECT_TRUE(r.status.IsCorruption()) << r.status.ToString();
}

// An intact middle or last fragment without its record's start: the start was lost, which
// is damage. (Found by wal_reader: a file that begins with a last fragment.)
TEST(WalFuzzRegressionTest, FragmentWithoutItsRecordStartIsCorruption) {
  const std::string a = WalOf({std::string(40000, 'a')});
  const ReadAll r = Read(a.substr(wal::kBlockSize));
  EXPECT_TRUE(r.records.empty());
  EXPECT_EQ(wal::Reader::Stop::kCorruption, r.stop);
  EXPECT_TRUE(r.status.IsCorruption()) << r.status.ToString();
}

}  // namespace
}  // namespace strata
