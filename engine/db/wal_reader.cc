// WalReader: reassembles fragments into records and classifies where and
// why reading stopped (see wal_reader.h and docs/wal_format.md).
#include "db/wal_reader.h"

#include "db/wal_format.h"
#include "util/coding.h"
#include "util/hash.h"

namespace strata {
namespace wal {

Reader::Reader(std::unique_ptr<SequentialFile> file, std::string fname)
    : file_(std::move(file)), fname_(std::move(fname)), backing_(new char[kBlockSize]) {}

bool Reader::ReadBlock() {
  if (eof_) return false;
  Slice block;
  Status s = file_->Read(kBlockSize, &block, backing_.get());
  if (!s.ok()) {
    stop_ = Stop::kCorruption;
    status_ = s;
    return false;
  }
  buffer_ = block;
  buffer_end_offset_ += block.size();
  if (block.size() < static_cast<size_t>(kBlockSize)) eof_ = true;
  return !block.empty();
}

Reader::FragmentResult Reader::ReadFragment(uint8_t* type, Slice* fragment,
                                            uint64_t* fragment_offset) {
  while (true) {
    if (buffer_.size() < static_cast<size_t>(kHeaderSize)) {
      // A block tail too short for a header is padding; a short buffer at
      // the end of the file is a torn header (or the clean end).
      const bool tail_is_zero = [&] {
        for (size_t i = 0; i < buffer_.size(); i++) {
          if (buffer_[i] != 0) return false;
        }
        return true;
      }();
      if (eof_) {
        if (!tail_is_zero) {
          StopAtBadFragment(buffer_end_offset_ - buffer_.size(), "truncated record header");
          return kBad;
        }
        return kEof;
      }
      if (!ReadBlock()) {
        if (stop_ != Stop::kNone) return kBad;  // I/O error
        return kEof;
      }
      continue;
    }
    const char* header = buffer_.data();
    *fragment_offset = buffer_end_offset_ - buffer_.size();
    const uint32_t length = static_cast<uint8_t>(header[4]) |
                            (static_cast<uint32_t>(static_cast<uint8_t>(header[5])) << 8);
    *type = static_cast<uint8_t>(header[6]);
    const uint32_t expected = DecodeFixed32(header);
    if (*type == kZeroType && length == 0 && expected == 0) {
      // Zeros: preallocated space never written. The end, if nothing intact
      // follows.
      const uint64_t block_start = *fragment_offset - (*fragment_offset % kBlockSize);
      if (IntactFragmentAfter(block_start + kBlockSize)) {
        // That read the rest of the file: classify without reading it again.
        StopAtBadFragment(*fragment_offset, "zeroed record header", /*intact_after=*/true);
        return kBad;
      }
      return kEof;
    }
    if (kHeaderSize + length > buffer_.size()) {
      StopAtBadFragment(*fragment_offset, eof_ ? "truncated record" : "bad record length");
      return kBad;
    }
    if (*type == kZeroType || *type > kMaxRecordType) {
      StopAtBadFragment(*fragment_offset, "unknown record type");
      return kBad;
    }
    const char* payload = header + kHeaderSize;
    const uint32_t actual =
        static_cast<uint32_t>(Hash64(payload, length, ChecksumSeed(length, *type)));
    if (actual != expected) {
      StopAtBadFragment(*fragment_offset, "checksum mismatch");
      return kBad;
    }
    buffer_.remove_prefix(kHeaderSize + length);
    *fragment = Slice(payload, length);
    return kFragment;
  }
}

bool Reader::IntactFragmentAfter(uint64_t block_start) {
  // Every block that holds data starts with a fragment header, so checking
  // the first fragment of each later block finds any intact data.
  std::unique_ptr<char[]> block(new char[kBlockSize]);
  uint64_t pos = buffer_end_offset_;
  if (eof_) return false;
  // Skip to block_start (we are at buffer_end_offset_, a block boundary).
  if (block_start > pos) {
    if (!file_->Skip(block_start - pos).ok()) return false;
    pos = block_start;
  }
  while (true) {
    Slice b;
    if (!file_->Read(kBlockSize, &b, block.get()).ok() || b.size() < kHeaderSize) return false;
    const uint32_t length =
        static_cast<uint8_t>(b[4]) | (static_cast<uint32_t>(static_cast<uint8_t>(b[5])) << 8);
    const uint8_t type = static_cast<uint8_t>(b[6]);
    if (type != kZeroType && type <= kMaxRecordType && kHeaderSize + length <= b.size()) {
      const uint32_t expected = DecodeFixed32(b.data());
      if (static_cast<uint32_t>(
              Hash64(b.data() + kHeaderSize, length, ChecksumSeed(length, type))) == expected) {
        return true;
      }
    }
    if (b.size() < static_cast<size_t>(kBlockSize)) return false;
    pos += kBlockSize;
  }
}

// True if an intact fragment starts anywhere in block[from, end): after a
// damaged header the next fragment's position is unknown, so every offset
// is tried; a false match needs a 32-bit checksum collision.
static bool IntactFragmentInBlock(const char* block, size_t from, size_t end) {
  for (size_t pos = from; pos + kHeaderSize <= end; pos++) {
    const char* h = block + pos;
    const uint32_t length =
        static_cast<uint8_t>(h[4]) | (static_cast<uint32_t>(static_cast<uint8_t>(h[5])) << 8);
    const uint8_t type = static_cast<uint8_t>(h[6]);
    if (type == kZeroType || type > kMaxRecordType || pos + kHeaderSize + length > end) continue;
    if (static_cast<uint32_t>(Hash64(h + kHeaderSize, length, ChecksumSeed(length, type))) ==
        DecodeFixed32(h)) {
      return true;
    }
  }
  return false;
}

void Reader::StopAtBadFragment(uint64_t offset, const char* reason, bool intact_after) {
  if (stop_ != Stop::kNone) return;
  const uint64_t block_start = offset - (offset % kBlockSize);
  std::string where = fname_ + ": " + reason + " at offset " + std::to_string(offset);
  // The rest of this block (still in the buffer), then the later blocks.
  const uint64_t buffer_start = buffer_end_offset_ - buffer_.size();
  bool intact_in_block = false;
  if (offset >= buffer_start && offset < buffer_end_offset_) {
    const size_t from = static_cast<size_t>(offset - buffer_start) + 1;
    intact_in_block = IntactFragmentInBlock(buffer_.data(), from, buffer_.size());
  }
  if (intact_after || intact_in_block || IntactFragmentAfter(block_start + kBlockSize)) {
    stop_ = Stop::kCorruption;
    status_ = Status::Corruption(where, "intact records follow the damaged one");
  } else {
    stop_ = Stop::kTornTail;
    message_ = where + " (torn tail dropped)";
  }
}

bool Reader::ReadRecord(Slice* record, std::string* scratch) {
  if (stop_ != Stop::kNone) return false;
  scratch->clear();
  bool in_fragmented_record = false;
  uint8_t type;
  Slice fragment;
  uint64_t fragment_offset = 0;
  uint64_t record_start = 0;
  while (true) {
    FragmentResult r = ReadFragment(&type, &fragment, &fragment_offset);
    if (r == kEof) {
      if (in_fragmented_record) {
        stop_ = Stop::kTornTail;
        message_ = fname_ + ": incomplete record at offset " + std::to_string(record_start) +
                   " (torn tail dropped)";
      } else {
        stop_ = Stop::kEndOfFile;
      }
      return false;
    }
    if (r == kBad) return false;
    switch (type) {
      case kFullType:
        if (in_fragmented_record) {
          // The fragment just read is intact: damage, not a torn tail.
          StopAtBadFragment(record_start, "record without its last fragment",
                            /*intact_after=*/true);
          return false;
        }
        *record = fragment;
        last_record_end_ = buffer_end_offset_ - buffer_.size();
        return true;
      case kFirstType:
        if (in_fragmented_record) {
          // The fragment just read is intact: damage, not a torn tail.
          StopAtBadFragment(record_start, "record without its last fragment",
                            /*intact_after=*/true);
          return false;
        }
        record_start = fragment_offset;
        scratch->assign(fragment.data(), fragment.size());
        in_fragmented_record = true;
        break;
      case kMiddleType:
      case kLastType:
        if (!in_fragmented_record) {
          // An intact fragment whose record start is gone: damage, not a torn tail.
          StopAtBadFragment(fragment_offset, "fragment without a record start",
                            /*intact_after=*/true);
          return false;
        }
        scratch->append(fragment.data(), fragment.size());
        if (type == kLastType) {
          *record = Slice(*scratch);
          last_record_end_ = buffer_end_offset_ - buffer_.size();
          return true;
        }
        break;
    }
  }
}

}  // namespace wal
}  // namespace strata
