// VersionEdit serialization: one manifest record per edit.
//
// A record is a sequence of fields, each a varint32 tag followed by its value:
//   1 comparator        length-prefixed name
//   2 log number        varint64: WALs numbered below it are obsolete
//   3 next file number  varint64
//   4 last sequence     varint64
//   5 number of levels  varint32
//   6 deleted file      varint32 level, varint64 file number
//   7 new file          varint32 level, varint64 number, varint64 size,
//                       length-prefixed smallest and largest internal keys,
//                       varint64 smallest_seq, largest_seq, num_entries,
//                       num_deletions, num_range_deletions
// DO NOT CHANGE the tags or their layouts: part of the on-disk format.
#include "db/version_edit.h"

#include "util/coding.h"

namespace strata {

enum Tag : uint32_t {
  kComparator = 1,
  kLogNumber = 2,
  kNextFileNumber = 3,
  kLastSequence = 4,
  kNumLevels = 5,
  kDeletedFile = 6,
  kNewFile = 7,
};

// Levels beyond this are rejected when decoding (the option allows 12).
static constexpr uint32_t kMaxLevelsInFormat = 64;

void VersionEdit::EncodeTo(std::string* dst) const {
  if (has_comparator_) {
    PutVarint32(dst, kComparator);
    PutLengthPrefixedSlice(dst, comparator_);
  }
  if (has_log_number_) {
    PutVarint32(dst, kLogNumber);
    PutVarint64(dst, log_number_);
  }
  if (has_next_file_number_) {
    PutVarint32(dst, kNextFileNumber);
    PutVarint64(dst, next_file_number_);
  }
  if (has_last_sequence_) {
    PutVarint32(dst, kLastSequence);
    PutVarint64(dst, last_sequence_);
  }
  if (has_num_levels_) {
    PutVarint32(dst, kNumLevels);
    PutVarint32(dst, static_cast<uint32_t>(num_levels_));
  }
  for (const auto& [level, number] : deleted_files_) {
    PutVarint32(dst, kDeletedFile);
    PutVarint32(dst, static_cast<uint32_t>(level));
    PutVarint64(dst, number);
  }
  for (const auto& [level, f] : new_files_) {
    PutVarint32(dst, kNewFile);
    PutVarint32(dst, static_cast<uint32_t>(level));
    PutVarint64(dst, f.number);
    PutVarint64(dst, f.file_size);
    PutLengthPrefixedSlice(dst, f.smallest.Encode());
    PutLengthPrefixedSlice(dst, f.largest.Encode());
    PutVarint64(dst, f.smallest_seq);
    PutVarint64(dst, f.largest_seq);
    PutVarint64(dst, f.num_entries);
    PutVarint64(dst, f.num_deletions);
    PutVarint64(dst, f.num_range_deletions);
  }
}

static bool GetInternalKey(Slice* input, InternalKey* dst) {
  Slice str;
  if (!GetLengthPrefixedSlice(input, &str) || str.size() < 8) return false;
  dst->DecodeFrom(str);
  return true;
}

static bool GetLevel(Slice* input, int* level) {
  uint32_t v;
  if (!GetVarint32(input, &v) || v >= kMaxLevelsInFormat) return false;
  *level = static_cast<int>(v);
  return true;
}

Status VersionEdit::DecodeFrom(const Slice& src) {
  Clear();
  Slice input = src;
  const char* msg = nullptr;
  uint32_t tag;
  while (msg == nullptr && GetVarint32(&input, &tag)) {
    switch (tag) {
      case kComparator: {
        Slice str;
        if (GetLengthPrefixedSlice(&input, &str)) {
          comparator_ = str.ToString();
          has_comparator_ = true;
        } else {
          msg = "comparator name";
        }
        break;
      }
      case kLogNumber:
        if (GetVarint64(&input, &log_number_)) {
          has_log_number_ = true;
        } else {
          msg = "log number";
        }
        break;
      case kNextFileNumber:
        if (GetVarint64(&input, &next_file_number_)) {
          has_next_file_number_ = true;
        } else {
          msg = "next file number";
        }
        break;
      case kLastSequence:
        if (GetVarint64(&input, &last_sequence_)) {
          has_last_sequence_ = true;
        } else {
          msg = "last sequence number";
        }
        break;
      case kNumLevels: {
        int n;
        if (GetLevel(&input, &n)) {
          num_levels_ = n;
          has_num_levels_ = true;
        } else {
          msg = "number of levels";
        }
        break;
      }
      case kDeletedFile: {
        int level;
        uint64_t number;
        if (GetLevel(&input, &level) && GetVarint64(&input, &number)) {
          deleted_files_.insert(std::make_pair(level, number));
        } else {
          msg = "deleted file";
        }
        break;
      }
      case kNewFile: {
        int level;
        FileMetaData f;
        if (GetLevel(&input, &level) && GetVarint64(&input, &f.number) &&
            GetVarint64(&input, &f.file_size) && GetInternalKey(&input, &f.smallest) &&
            GetInternalKey(&input, &f.largest) && GetVarint64(&input, &f.smallest_seq) &&
            GetVarint64(&input, &f.largest_seq) && GetVarint64(&input, &f.num_entries) &&
            GetVarint64(&input, &f.num_deletions) && GetVarint64(&input, &f.num_range_deletions)) {
          new_files_.emplace_back(level, f);
        } else {
          msg = "new file";
        }
        break;
      }
      default:
        msg = "unknown tag";
        break;
    }
  }
  if (msg == nullptr && !input.empty()) msg = "invalid tag";
  if (msg != nullptr) return Status::Corruption("manifest record", msg);
  return Status::OK();
}

std::string VersionEdit::DebugString() const {
  std::string r = "VersionEdit {";
  if (has_comparator_) r += "\n  Comparator: " + comparator_;
  if (has_log_number_) r += "\n  LogNumber: " + std::to_string(log_number_);
  if (has_next_file_number_) r += "\n  NextFile: " + std::to_string(next_file_number_);
  if (has_last_sequence_) r += "\n  LastSeq: " + std::to_string(last_sequence_);
  for (const auto& [level, number] : deleted_files_) {
    r += "\n  RemoveFile: " + std::to_string(level) + " " + std::to_string(number);
  }
  for (const auto& [level, f] : new_files_) {
    r += "\n  AddFile: " + std::to_string(level) + " " + std::to_string(f.number) + " " +
         std::to_string(f.file_size) + " " + f.smallest.DebugString() + " .. " +
         f.largest.DebugString();
  }
  r += "\n}\n";
  return r;
}

}  // namespace strata
