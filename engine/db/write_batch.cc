// WriteBatch: serialized updates, applied atomically.
//
// Layout (also the payload of one WAL record; little-endian):
//   fixed64 sequence     sequence number of the first update (set by the DB)
//   fixed32 count        number of updates
//   update*              in the order added:
//     0x01 varint32 klen key varint32 vlen value     Put
//     0x00 varint32 klen key                         Delete
//     0x02 varint32 blen begin varint32 elen end     DeleteRange
// Update i gets sequence number `sequence + i`.
#include "strata/write_batch.h"

#include "db/memtable.h"
#include "db/write_batch_internal.h"
#include "util/coding.h"

namespace strata {

WriteBatch::WriteBatch() { Clear(); }

void WriteBatch::Clear() {
  rep_.clear();
  rep_.resize(WriteBatchInternal::kHeader);
  save_points_.clear();
}

uint32_t WriteBatch::Count() const { return WriteBatchInternal::Count(this); }

void WriteBatch::Put(const Slice& key, const Slice& value) {
  WriteBatchInternal::SetCount(this, WriteBatchInternal::Count(this) + 1);
  rep_.push_back(static_cast<char>(kTypeValue));
  PutLengthPrefixedSlice(&rep_, key);
  PutLengthPrefixedSlice(&rep_, value);
}

void WriteBatch::Delete(const Slice& key) {
  WriteBatchInternal::SetCount(this, WriteBatchInternal::Count(this) + 1);
  rep_.push_back(static_cast<char>(kTypeDeletion));
  PutLengthPrefixedSlice(&rep_, key);
}

void WriteBatch::DeleteRange(const Slice& begin, const Slice& end) {
  WriteBatchInternal::SetCount(this, WriteBatchInternal::Count(this) + 1);
  rep_.push_back(static_cast<char>(kTypeRangeDeletion));
  PutLengthPrefixedSlice(&rep_, begin);
  PutLengthPrefixedSlice(&rep_, end);
}

void WriteBatch::SetSavePoint() { save_points_.push_back(SavePoint{rep_.size(), Count()}); }

Status WriteBatch::RollbackToSavePoint() {
  if (save_points_.empty()) return Status::NotFound("no save point");
  SavePoint sp = save_points_.back();
  save_points_.pop_back();
  rep_.resize(sp.size);
  WriteBatchInternal::SetCount(this, sp.count);
  return Status::OK();
}

Status WriteBatch::PopSavePoint() {
  if (save_points_.empty()) return Status::NotFound("no save point");
  save_points_.pop_back();
  return Status::OK();
}

void WriteBatch::Append(const WriteBatch& source) { WriteBatchInternal::Append(this, &source); }

Status WriteBatch::Iterate(Handler* handler) const {
  Slice input(rep_);
  if (input.size() < WriteBatchInternal::kHeader) {
    return Status::Corruption("write batch too small");
  }
  input.remove_prefix(WriteBatchInternal::kHeader);
  uint32_t found = 0;
  Slice key, value;
  while (!input.empty()) {
    found++;
    const char tag = input[0];
    input.remove_prefix(1);
    switch (tag) {
      case kTypeValue:
        if (!GetLengthPrefixedSlice(&input, &key) || !GetLengthPrefixedSlice(&input, &value)) {
          return Status::Corruption("bad write batch Put");
        }
        handler->Put(key, value);
        break;
      case kTypeDeletion:
        if (!GetLengthPrefixedSlice(&input, &key)) {
          return Status::Corruption("bad write batch Delete");
        }
        handler->Delete(key);
        break;
      case kTypeRangeDeletion:
        if (!GetLengthPrefixedSlice(&input, &key) || !GetLengthPrefixedSlice(&input, &value)) {
          return Status::Corruption("bad write batch DeleteRange");
        }
        handler->DeleteRange(key, value);
        break;
      default:
        return Status::Corruption("unknown write batch tag");
    }
  }
  if (found != WriteBatchInternal::Count(this)) {
    return Status::Corruption("write batch has wrong count");
  }
  return Status::OK();
}

uint32_t WriteBatchInternal::Count(const WriteBatch* b) {
  return DecodeFixed32(b->rep_.data() + 8);
}

void WriteBatchInternal::SetCount(WriteBatch* b, uint32_t n) { EncodeFixed32(&b->rep_[8], n); }

SequenceNumber WriteBatchInternal::Sequence(const WriteBatch* b) {
  return DecodeFixed64(b->rep_.data());
}

void WriteBatchInternal::SetSequence(WriteBatch* b, SequenceNumber seq) {
  EncodeFixed64(&b->rep_[0], seq);
}

Status WriteBatchInternal::SetContents(WriteBatch* b, const Slice& contents) {
  if (contents.size() < kHeader) return Status::Corruption("write batch too small");
  b->rep_.assign(contents.data(), contents.size());
  b->save_points_.clear();
  return Status::OK();
}

void WriteBatchInternal::Append(WriteBatch* dst, const WriteBatch* src) {
  SetCount(dst, Count(dst) + Count(src));
  dst->rep_.append(src->rep_.data() + kHeader, src->rep_.size() - kHeader);
}

namespace {

class MemTableInserter final : public WriteBatch::Handler {
 public:
  MemTableInserter(SequenceNumber seq, MemTable* mem) : sequence_(seq), mem_(mem) {}
  void Put(const Slice& key, const Slice& value) override {
    mem_->Add(sequence_++, kTypeValue, key, value);
  }
  void Delete(const Slice& key) override { mem_->Add(sequence_++, kTypeDeletion, key, Slice()); }
  void DeleteRange(const Slice& begin, const Slice& end) override {
    mem_->AddRangeTombstone(sequence_++, begin, end);
  }

 private:
  SequenceNumber sequence_;
  MemTable* mem_;
};

}  // namespace

Status WriteBatchInternal::InsertInto(const WriteBatch* b, MemTable* memtable) {
  MemTableInserter inserter(Sequence(b), memtable);
  return b->Iterate(&inserter);
}

}  // namespace strata
