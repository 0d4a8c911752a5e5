// WAL writer and reader: round trips across block boundaries, torn tails
// that are dropped, damage in the middle that is reported, and the
// zero-filled tail an mmap'd log leaves after a crash.
#include <gtest/gtest.h>

#include <fstream>

#include "db/wal_format.h"
#include "db/wal_reader.h"
#include "db/wal_writer.h"
#include "unit_tests/test_util.h"

namespace strata {

namespace {

class WalTest : public testing::Test {
 protected:
  WalTest() : dir_("wal"), fname_(dir_.Sub("000001.wal")) {}

  void Write(const std::vector<std::string>& records, bool mmap = false, bool close = true) {
    std::unique_ptr<WritableFile> file;
    WritableFileOptions o;
    o.mmap = mmap;
    ASSERT_TRUE(Env::Default()->NewWritableFile(fname_, o, &file).ok());
    writer_ = std::make_unique<wal::Writer>(std::move(file));
    for (const auto& r : records) ASSERT_TRUE(writer_->AddRecord(r).ok());
    ASSERT_TRUE(writer_->Flush().ok());
    if (close) {
      ASSERT_TRUE(writer_->Close().ok());
      writer_.reset();
    }
  }

  // Reads every record; returns them, and the reader's stop reason.
  std::vector<std::string> ReadAll(wal::Reader::Stop* stop, Status* status = nullptr) {
    std::unique_ptr<SequentialFile> file;
    EXPECT_TRUE(Env::Default()->NewSequentialFile(fname_, &file).ok());
    wal::Reader reader(std::move(file), fname_);
    std::vector<std::string> out;
    Slice record;
    std::string scratch;
    while (reader.ReadRecord(&record, &scratch)) out.push_back(record.ToString());
    *stop = reader.stop();
    if (status != nullptr) *status = reader.status();
    return out;
  }

  std::string Contents() {
    std::string data;
    EXPECT_TRUE(ReadFileToString(Env::Default(), fname_, &data).ok());
    return data;
  }
  void SetContents(const std::string& data) {
    std::ofstream f(fname_, std::ios::binary | std::ios::trunc);
    f.write(data.data(), data.size());
  }

  test::ScratchDir dir_;
  std::string fname_;
  std::unique_ptr<wal::Writer> writer_;
};

std::vector<std::string> MixedRecords(uint64_t seed, int n) {
  Random rnd(seed);
  std::vector<std::string> records;
  for (int i = 0; i < n; i++) {
    // Sizes from empty to several blocks.
    size_t len = rnd.OneIn(10) ? rnd.Uniform(3 * wal::kBlockSize) : rnd.Skewed(10);
    records.push_back(test::RandomBytes(&rnd, len));
  }
  return records;
}

}  // namespace

TEST_F(WalTest, RoundTrip) {
  for (bool mmap : {false, true}) {
    auto records = MixedRecords(1 + mmap, 300);
    Write(records, mmap);
    wal::Reader::Stop stop;
    EXPECT_EQ(records, ReadAll(&stop));
    EXPECT_EQ(wal::Reader::Stop::kEndOfFile, stop);
  }
}

TEST_F(WalTest, EmptyFile) {
  Write({});
  wal::Reader::Stop stop;
  EXPECT_TRUE(ReadAll(&stop).empty());
  EXPECT_EQ(wal::Reader::Stop::kEndOfFile, stop);
}

TEST_F(WalTest, RecordFillingBlockExactly) {
  // A record that leaves fewer than kHeaderSize bytes in its block forces
  // zero padding before the next one.
  std::vector<std::string> records = {std::string(wal::kBlockSize - wal::kHeaderSize - 3, 'a'), "b",
                                      "", std::string(wal::kBlockSize - wal::kHeaderSize, 'c'),
                                      "d"};
  Write(records);
  wal::Reader::Stop stop;
  EXPECT_EQ(records, ReadAll(&stop));
  EXPECT_EQ(wal::Reader::Stop::kEndOfFile, stop);
}

TEST_F(WalTest, TornTailIsDroppedAtEveryCut) {
  auto records = MixedRecords(3, 40);
  Write(records);
  const std::string full = Contents();
  // Cut the file at many offsets: the result must be a prefix of the
  // records, never anything else, and the stop a clean end or a torn tail.
  Random rnd(5);
  for (int i = 0; i < 200; i++) {
    size_t cut = rnd.Uniform(full.size());
    SetContents(full.substr(0, cut));
    wal::Reader::Stop stop;
    auto got = ReadAll(&stop);
    ASSERT_LE(got.size(), records.size()) << "cut=" << cut;
    for (size_t j = 0; j < got.size(); j++) ASSERT_EQ(records[j], got[j]) << "cut=" << cut;
    ASSERT_TRUE(stop == wal::Reader::Stop::kEndOfFile || stop == wal::Reader::Stop::kTornTail)
        << "cut=" << cut;
  }
}

TEST_F(WalTest, FlippedByteInLastRecordIsATornTail) {
  std::vector<std::string> records = {"first", "second", std::string(1000, 'x')};
  Write(records);
  std::string data = Contents();
  data[data.size() - 10] ^= 0x01;
  SetContents(data);
  wal::Reader::Stop stop;
  auto got = ReadAll(&stop);
  EXPECT_EQ(std::vector<std::string>({"first", "second"}), got);
  EXPECT_EQ(wal::Reader::Stop::kTornTail, stop);
}

TEST_F(WalTest, FlippedByteFollowedByIntactRecordsIsCorruption) {
  // Enough records to fill several blocks after the damaged one.
  std::vector<std::string> records;
  for (int i = 0; i < 2000; i++) records.push_back(std::string(100, 'a' + i % 26));
  Write(records);
  std::string data = Contents();
  data[200] ^= 0x40;  // inside the second record of the first block
  SetContents(data);
  wal::Reader::Stop stop;
  Status status;
  auto got = ReadAll(&stop, &status);
  EXPECT_EQ(wal::Reader::Stop::kCorruption, stop);
  EXPECT_TRUE(status.IsCorruption()) << status.ToString();
  EXPECT_NE(std::string::npos, status.ToString().find("000001.wal")) << status.ToString();
  EXPECT_LT(got.size(), 3u);
  for (size_t j = 0; j < got.size(); j++) EXPECT_EQ(records[j], got[j]);
}

TEST_F(WalTest, MmapLogNotClosedEndsAtZeroTail) {
  // As after a crash: the mapped file keeps its zero-filled reserved tail.
  auto records = MixedRecords(9, 50);
  Write(records, /*mmap=*/true, /*close=*/false);
  uint64_t size;
  ASSERT_TRUE(Env::Default()->GetFileSize(fname_, &size).ok());
  EXPECT_GT(size, writer_->FileSize());  // the reserved tail is there
  wal::Reader::Stop stop;
  EXPECT_EQ(records, ReadAll(&stop));
  EXPECT_EQ(wal::Reader::Stop::kEndOfFile, stop);
  ASSERT_TRUE(writer_->Close().ok());
  ASSERT_TRUE(Env::Default()->GetFileSize(fname_, &size).ok());
  EXPECT_EQ(size, writer_->FileSize());  // Close cut the reserved tail
}

TEST_F(WalTest, MmapAppendsVisibleBeforeClose) {
  // What an mmap'd writer appended is in the file (page cache) at once,
  // without Flush or Close: what survives a crash of the process.
  Write({"alpha", "beta"}, /*mmap=*/true, /*close=*/false);
  ASSERT_TRUE(writer_->AddRecord("gamma").ok());
  wal::Reader::Stop stop;
  EXPECT_EQ(std::vector<std::string>({"alpha", "beta", "gamma"}), ReadAll(&stop));
  writer_->Close();
}

}  // namespace strata
