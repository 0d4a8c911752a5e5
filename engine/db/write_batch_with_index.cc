// WriteBatchWithIndex: the batch with two indexes over it, and the iterator
// that lays the batch over a DB iterator (a "base-delta" merge).
//
// Update i of the batch (1-based, in batch order) has sequence number i.
//
// Point index: an open-addressing hash table (linear probing, power-of-two
// capacity, at most half full) from a key's bytes to its newest Put or
// Delete: slot = {low 32 bits of XXH3-64(key), sequence, byte offset of the
// update's record in the batch (0: empty slot)}. The low 32 bits also place
// the slot, so growing the table never reads the batch.
//
// Ordered index: a MemTable in which update i is an entry at sequence i
// (Put -> kTypeValue, Delete -> kTypeDeletion, DeleteRange -> a range
// tombstone at i). Range tombstones go in at once (Get needs them); point
// updates go in when an iterator is created ("catch-up"): of the updates
// since the previous catch-up, those still newest for their key, sorted by
// key. An update superseded before any iterator could see it is never
// needed, since every later iterator sees the newer one. An iterator then
// reads the memtable as of "sequence <= Count() at creation", so it ignores
// whatever is added later. A rollback that drops updates indexes the batch
// anew into a fresh table and MemTable; iterators keep the old MemTable
// alive through its reference count.
#include "strata/write_batch_with_index.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <memory>
#include <vector>

#include "db/dbformat.h"
#include "db/memtable.h"
#include "db/range_tombstone.h"
#include "db/write_batch_internal.h"
#include "db/write_batch_with_index_internal.h"
#include "util/coding.h"
#include "util/hash.h"

namespace strata {

namespace {

// Arena block of the ordered index (which exists only once an iterator or a
// DeleteRange needed it): a million-update batch takes about 2000 blocks.
constexpr size_t kIndexArenaBlockSize = 64 * 1024;

// The delta side: the batch as of sequence snap, one position per user key
// that has an update with sequence <= snap, at that key's newest such update.
// Keys and values point into the memtable's arena, so they stay valid for
// the memtable's life, not just until the next move.
class DeltaIter {
 public:
  // Takes ownership of iter (internal keys of the index). tombstones may be null.
  DeltaIter(const InternalKeyComparator* icmp, Iterator* iter, SequenceNumber snap,
            const FragmentedTombstones* tombstones)
      : icmp_(icmp), iter_(iter), snap_(snap), tombstones_(tombstones) {}
  DeltaIter(const DeltaIter&) = delete;
  DeltaIter& operator=(const DeltaIter&) = delete;
  ~DeltaIter() { delete iter_; }

  bool Valid() const { return iter_->Valid(); }
  // REQUIRES: Valid() for the three below.
  Slice key() const { return key_; }
  Slice value() const { return iter_->value(); }
  // The key's newest update is a Delete, or a Put that a later DeleteRange
  // (still <= snap) covers.
  bool IsDelete() const { return is_delete_; }

  void SeekToFirst() {
    iter_->SeekToFirst();
    SkipNewerForward();
  }
  void Seek(const Slice& target) {
    SeekInternal(target, snap_, kValueTypeForSeek);
    SkipNewerForward();
  }
  void Next() {
    assert(Valid());
    const Slice k = key_;
    // Usually a key has one or two updates: step. Many: jump past them.
    for (int i = 0; i < 4; i++) {
      iter_->Next();
      if (!iter_->Valid() || icmp_->CompareUserKeys(ExtractUserKey(iter_->key()), k) != 0) {
        SkipNewerForward();
        return;
      }
    }
    // (k, 0) sorts after every update of k: sequences start at 1.
    SeekInternal(k, 0, kTypeDeletion);
    SkipNewerForward();
  }

  void SeekToLast() {
    iter_->SeekToLast();
    SettleBackward();
  }
  void SeekForPrev(const Slice& target) {
    // (target, 0) is at or after every update of target.
    SeekForPrevInternal(target, 0, kTypeDeletion);
    SettleBackward();
  }
  void Prev() {
    assert(Valid());
    const Slice k = key_;
    do {
      iter_->Prev();
    } while (iter_->Valid() && icmp_->CompareUserKeys(ExtractUserKey(iter_->key()), k) == 0);
    SettleBackward();
  }

 private:
  void SeekInternal(const Slice& user_key, SequenceNumber seq, uint8_t type) {
    buf_.clear();
    AppendInternalKey(&buf_, ParsedInternalKey(user_key, seq, type));
    iter_->Seek(buf_);
  }
  void SeekForPrevInternal(const Slice& user_key, SequenceNumber seq, uint8_t type) {
    buf_.clear();
    AppendInternalKey(&buf_, ParsedInternalKey(user_key, seq, type));
    iter_->SeekForPrev(buf_);
  }

  // Forward: skips updates newer than snap. Within a key they come first, so
  // the first update left is its key's newest visible one.
  void SkipNewerForward() {
    while (iter_->Valid() && (ExtractTrailer(iter_->key()) >> 8) > snap_) iter_->Next();
    Load();
  }

  // Reverse: iter_ is at the oldest update of some key (or invalid). Moves to
  // the newest visible update of the largest key at or before it that has one.
  void SettleBackward() {
    while (iter_->Valid()) {
      const Slice ikey = iter_->key();
      const Slice k = ExtractUserKey(ikey);
      if ((ExtractTrailer(ikey) >> 8) <= snap_) {
        // The key's oldest update is visible: jump to its newest visible one.
        SeekInternal(k, snap_, kValueTypeForSeek);
        break;
      }
      // Every update of k is newer than snap: go before k.
      SeekForPrevInternal(k, kMaxSequenceNumber, kTypeBoundary);
    }
    Load();
  }

  void Load() {
    if (!iter_->Valid()) return;
    const Slice ikey = iter_->key();
    key_ = ExtractUserKey(ikey);
    const uint64_t tag = ExtractTrailer(ikey);
    is_delete_ = (tag & 0xff) != kTypeValue ||
                 (tombstones_ != nullptr && tombstones_->MaxCoveringSeq(key_, snap_) > (tag >> 8));
  }

  const InternalKeyComparator* const icmp_;
  Iterator* const iter_;
  const SequenceNumber snap_;
  const FragmentedTombstones* const tombstones_;
  Slice key_;
  bool is_delete_ = false;
  std::string buf_;
};

// Merges the base (a user-level DB iterator) with the delta: a delta Put
// shadows base's entry of the same key, a delta Delete hides it, a batch
// range tombstone hides every base key it covers.
//
// Both children move in direction_. Forward, each sits at its first entry >=
// the current key; reverse, at its last entry <= it. The current entry comes
// from the delta when current_is_delta_, and equal_keys_ says base is at the
// same key (and must move with the delta).
class BaseDeltaIterator final : public Iterator {
 public:
  // Takes ownership of base and delta_iter, and of one reference to mem
  // (null when the batch had no index yet).
  BaseDeltaIterator(const InternalKeyComparator& icmp, MemTable* mem, Iterator* base,
                    Iterator* delta_iter, SequenceNumber snap,
                    std::shared_ptr<const FragmentedTombstones> tombstones,
                    const ReadOptions& options)
      : icmp_(icmp),
        ucmp_(icmp.user_comparator()),
        mem_{mem},
        base_(base),
        tombstones_(std::move(tombstones)),
        delta_(&icmp_, delta_iter, snap, tombstones_.get()),
        snap_(snap),
        lower_(options.iterate_lower_bound),
        upper_(options.iterate_upper_bound) {}

  // delta_ is destroyed after this body, then mem_ releases the index.
  ~BaseDeltaIterator() override { delete base_; }

  bool Valid() const override { return valid_; }
  Slice key() const override {
    assert(valid_);
    return current_is_delta_ ? delta_.key() : base_->key();
  }
  Slice value() const override {
    assert(valid_);
    return current_is_delta_ ? delta_.value() : base_->value();
  }
  Status status() const override { return base_->status(); }

  void SeekToFirst() override {
    if (lower_ != nullptr) {
      Seek(*lower_);
      return;
    }
    direction_ = kForward;
    base_->SeekToFirst();
    delta_.SeekToFirst();
    UpdateCurrent();
  }

  void Seek(const Slice& target) override {
    direction_ = kForward;
    const Slice t = BeforeLower(target) ? *lower_ : target;
    base_->Seek(t);
    delta_.Seek(t);
    UpdateCurrent();
  }

  void SeekToLast() override {
    direction_ = kReverse;
    if (upper_ != nullptr) {
      SeekForPrevBelowUpper();
    } else {
      base_->SeekToLast();
      delta_.SeekToLast();
    }
    UpdateCurrent();
  }

  void SeekForPrev(const Slice& target) override {
    direction_ = kReverse;
    if (AtOrPastUpper(target)) {
      SeekForPrevBelowUpper();
    } else {
      base_->SeekForPrev(target);
      delta_.SeekForPrev(target);
    }
    UpdateCurrent();
  }

  void Next() override {
    assert(valid_);
    if (direction_ == kReverse) {
      // The child that is not at the current key sits before it: bring it to
      // the first entry after it.
      direction_ = kForward;
      switch_key_.assign(key().data(), key().size());
      if (!current_is_delta_) {
        delta_.Seek(switch_key_);
        if (delta_.Valid() && ucmp_->Compare(delta_.key(), switch_key_) == 0) delta_.Next();
        base_->Next();
      } else {
        if (equal_keys_) {
          base_->Next();
        } else {
          base_->Seek(switch_key_);
          if (base_->Valid() && ucmp_->Compare(base_->key(), switch_key_) == 0) base_->Next();
        }
        delta_.Next();
      }
    } else if (current_is_delta_) {
      if (equal_keys_) base_->Next();
      delta_.Next();
    } else {
      base_->Next();
    }
    UpdateCurrent();
  }

  void Prev() override {
    assert(valid_);
    if (direction_ == kForward) {
      direction_ = kReverse;
      switch_key_.assign(key().data(), key().size());
      if (!current_is_delta_) {
        delta_.SeekForPrev(switch_key_);
        if (delta_.Valid() && ucmp_->Compare(delta_.key(), switch_key_) == 0) delta_.Prev();
        base_->Prev();
      } else {
        if (equal_keys_) {
          base_->Prev();
        } else {
          base_->SeekForPrev(switch_key_);
          if (base_->Valid() && ucmp_->Compare(base_->key(), switch_key_) == 0) base_->Prev();
        }
        delta_.Prev();
      }
    } else if (current_is_delta_) {
      if (equal_keys_) base_->Prev();
      delta_.Prev();
    } else {
      base_->Prev();
    }
    UpdateCurrent();
  }

 private:
  enum Direction { kForward, kReverse };

  bool BeforeLower(const Slice& k) const {
    return lower_ != nullptr && ucmp_->Compare(k, *lower_) < 0;
  }
  bool AtOrPastUpper(const Slice& k) const {
    return upper_ != nullptr && ucmp_->Compare(k, *upper_) >= 0;
  }
  // Within bounds on the side direction_ moves towards (the other side holds
  // by construction: seeks are clamped).
  bool InRange(const Slice& k) const {
    return direction_ == kForward ? !AtOrPastUpper(k) : !BeforeLower(k);
  }

  // Both children at their last entry < *upper_ (base may lack the bound).
  void SeekForPrevBelowUpper() {
    base_->SeekForPrev(*upper_);
    if (base_->Valid() && AtOrPastUpper(base_->key())) base_->Prev();
    delta_.SeekForPrev(*upper_);
    if (delta_.Valid() && AtOrPastUpper(delta_.key())) delta_.Prev();
  }

  void AdvanceBase() { direction_ == kForward ? base_->Next() : base_->Prev(); }
  void AdvanceDelta() { direction_ == kForward ? delta_.Next() : delta_.Prev(); }

  // If a batch range tombstone covers base's key, moves base past every key
  // that tombstone's fragment covers (one seek however many keys it hides)
  // and returns true.
  bool SkipBaseCoveredByTombstone() {
    const Slice k = base_->key();
    const FragmentedTombstones::Fragment* f = tombstones_->FindCovering(k);
    // seqs is descending: the smallest one decides whether any is visible.
    if (f == nullptr || f->seqs.back() > snap_) return false;
    if (direction_ == kForward) {
      base_->Seek(f->end);
    } else {
      base_->SeekForPrev(f->start);
      if (base_->Valid() && ucmp_->Compare(base_->key(), f->start) == 0) base_->Prev();
    }
    return true;
  }

  // Establishes the current entry from the children's positions, stepping
  // over hidden base entries and delta deletions.
  void UpdateCurrent() {
    while (true) {
      bool base_ok = base_->Valid();
      if (!base_ok && !base_->status().ok()) {
        valid_ = false;  // an error in base ends the iteration
        return;
      }
      if (base_ok) base_ok = InRange(base_->key());
      if (base_ok && tombstones_ != nullptr && SkipBaseCoveredByTombstone()) continue;
      const bool delta_ok = delta_.Valid() && InRange(delta_.key());

      if (!delta_ok) {
        valid_ = base_ok;
        current_is_delta_ = false;
        equal_keys_ = false;
        return;
      }
      int c = 0;  // delta's key against base's, in direction_ (< 0: delta first)
      if (base_ok) {
        c = ucmp_->Compare(delta_.key(), base_->key());
        if (direction_ == kReverse) c = -c;
      } else {
        c = -1;
      }
      if (c > 0) {
        valid_ = true;
        current_is_delta_ = false;
        equal_keys_ = false;
        return;
      }
      if (delta_.IsDelete()) {
        if (c == 0) AdvanceBase();
        AdvanceDelta();
        continue;
      }
      valid_ = true;
      current_is_delta_ = true;
      equal_keys_ = (c == 0);
      return;
    }
  }

  // Holds the index's reference; declared first so that it is released
  // after delta_ (which reads the index) is destroyed.
  struct MemRef {
    MemTable* mem;
    ~MemRef() {
      if (mem != nullptr) mem->Unref();
    }
  };

  const InternalKeyComparator icmp_;
  const Comparator* const ucmp_;
  MemRef mem_;
  Iterator* const base_;
  const std::shared_ptr<const FragmentedTombstones> tombstones_;
  DeltaIter delta_;
  const SequenceNumber snap_;
  const Slice* const lower_;
  const Slice* const upper_;

  Direction direction_ = kForward;
  bool valid_ = false;
  bool current_is_delta_ = false;
  bool equal_keys_ = false;
  std::string switch_key_;
};

// One update decoded from the batch (see write_batch.cc for the layout).
struct BatchOp {
  uint8_t type;
  Slice key;
  Slice value;  // Put: the value; DeleteRange: the end key
};

// Decodes the update at the front of *input and removes it.
bool ParseOp(Slice* input, BatchOp* op) {
  if (input->empty()) return false;
  op->type = static_cast<uint8_t>((*input)[0]);
  input->remove_prefix(1);
  if (!GetLengthPrefixedSlice(input, &op->key)) return false;
  if (op->type == kTypeDeletion) {
    op->value = Slice();
    return true;
  }
  return (op->type == kTypeValue || op->type == kTypeRangeDeletion) &&
         GetLengthPrefixedSlice(input, &op->value);
}

}  // namespace

struct WriteBatchWithIndex::Rep {
  struct Slot {
    uint32_t hash;
    uint32_t seq;
    uint64_t offset;  // of the update's record in the batch; 0: empty
  };

  explicit Rep(const Comparator* c) : icmp(c) {}
  ~Rep() {
    if (mem != nullptr) mem->Unref();
  }

  uint32_t Count() const { return WriteBatchInternal::Count(&batch); }

  static uint32_t HashOf(const Slice& key) {
    return static_cast<uint32_t>(Hash64(key.data(), key.size()));
  }
  // REQUIRES: !slots.empty(). The slot holding key, or the empty slot where
  // it would go.
  size_t FindSlot(const Slice& key, uint32_t hash) const {
    const size_t mask = slots.size() - 1;
    const char* rep = WriteBatchInternal::Contents(&batch).data();
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      const Slot& s = slots[i];
      if (s.offset == 0) return i;
      if (s.hash == hash) {
        // The record: tag byte, then the length-prefixed key.
        uint32_t klen;
        const char* p = GetVarint32Ptr(rep + s.offset + 1, rep + s.offset + 6, &klen);
        if (klen == key.size() && memcmp(p, key.data(), klen) == 0) return i;
      }
    }
  }
  // The newest point update of key, or nullptr.
  const Slot* Lookup(const Slice& key) const {
    if (used == 0) return nullptr;
    const Slot& s = slots[FindSlot(key, HashOf(key))];
    return s.offset == 0 ? nullptr : &s;
  }

  void Grow() {
    std::vector<Slot> old;
    old.swap(slots);
    slots.assign(old.empty() ? 64 : old.size() * 2, Slot{0, 0, 0});
    const size_t mask = slots.size() - 1;
    for (const Slot& s : old) {
      if (s.offset == 0) continue;
      size_t i = s.hash & mask;
      while (slots[i].offset != 0) i = (i + 1) & mask;
      slots[i] = s;
    }
  }

  // Records the update just appended at offset as key's newest.
  void IndexPoint(const Slice& key, uint64_t offset, uint32_t seq) {
    if ((used + 1) * 2 > slots.size()) Grow();
    const uint32_t hash = HashOf(key);
    Slot& s = slots[FindSlot(key, hash)];
    if (s.offset == 0) used++;
    s = Slot{hash, seq, offset};
  }

  void EnsureMem() {
    if (mem == nullptr) {
      mem = new MemTable(icmp, kIndexArenaBlockSize);
      mem->Ref();
    }
  }

  // Brings mem's point entries up to Count() (see the top of this file).
  void CatchUp() {
    const uint32_t count = Count();
    if (mem_count == count) return;
    EnsureMem();
    struct Pending {
      Slice key;
      Slice value;
      uint32_t seq;
      uint8_t type;
    };
    std::vector<Pending> pending;
    pending.reserve(count - mem_count);
    Slice input = WriteBatchInternal::Contents(&batch);
    input.remove_prefix(mem_offset);
    BatchOp op;
    for (uint32_t seq = mem_count + 1; seq <= count && ParseOp(&input, &op); seq++) {
      if (op.type == kTypeRangeDeletion) continue;  // already in mem
      const Slot* s = Lookup(op.key);
      if (s != nullptr && s->seq == seq) pending.push_back(Pending{op.key, op.value, seq, op.type});
    }
    // In key order the skip list inserts touch neighbouring nodes (and an
    // empty one appends in O(1)).
    std::sort(pending.begin(), pending.end(), [this](const Pending& a, const Pending& b) {
      return icmp.CompareUserKeys(a.key, b.key) < 0;
    });
    for (const Pending& p : pending) {
      mem->Add(p.seq, static_cast<ValueType>(p.type), p.key, p.value);
    }
    mem_offset = WriteBatchInternal::ByteSize(&batch);
    mem_count = count;
  }

  // Indexes the whole batch anew (after a rollback); iterators keep the old
  // MemTable.
  void Rebuild() {
    std::fill(slots.begin(), slots.end(), Slot{0, 0, 0});
    used = 0;
    if (mem != nullptr) mem->Unref();
    mem = nullptr;
    mem_offset = WriteBatchInternal::kHeader;
    mem_count = 0;
    const Slice contents = WriteBatchInternal::Contents(&batch);
    Slice input = contents;
    input.remove_prefix(WriteBatchInternal::kHeader);
    BatchOp op;
    uint32_t seq = 0;
    while (true) {
      const uint64_t offset = input.data() - contents.data();
      if (!ParseOp(&input, &op)) break;
      seq++;
      if (op.type == kTypeRangeDeletion) {
        EnsureMem();
        mem->AddRangeTombstone(seq, op.key, op.value);
      } else {
        IndexPoint(op.key, offset, seq);
      }
    }
    assert(seq == Count());
  }

  // Forgets every update; gives back a large table.
  void Reset() {
    batch.Clear();
    if (slots.size() > 4096) {
      std::vector<Slot>().swap(slots);
    } else {
      std::fill(slots.begin(), slots.end(), Slot{0, 0, 0});
    }
    used = 0;
    if (mem != nullptr) mem->Unref();
    mem = nullptr;
    mem_offset = WriteBatchInternal::kHeader;
    mem_count = 0;
  }

  const InternalKeyComparator icmp;
  WriteBatch batch;
  std::vector<Slot> slots;  // point index
  size_t used = 0;          // occupied slots
  // Ordered index (null until needed), with one reference held here.
  MemTable* mem = nullptr;
  // Batch bytes and updates whose point entries are in mem.
  size_t mem_offset = WriteBatchInternal::kHeader;
  uint32_t mem_count = 0;
};

WriteBatchWithIndex::WriteBatchWithIndex(const Comparator* cmp) : rep_(new Rep(cmp)) {}

WriteBatchWithIndex::~WriteBatchWithIndex() = default;

void WriteBatchWithIndex::Put(const Slice& key, const Slice& value) {
  const uint64_t offset = WriteBatchInternal::ByteSize(&rep_->batch);
  rep_->batch.Put(key, value);
  rep_->IndexPoint(key, offset, rep_->Count());
}

void WriteBatchWithIndex::Delete(const Slice& key) {
  const uint64_t offset = WriteBatchInternal::ByteSize(&rep_->batch);
  rep_->batch.Delete(key);
  rep_->IndexPoint(key, offset, rep_->Count());
}

void WriteBatchWithIndex::DeleteRange(const Slice& begin, const Slice& end) {
  rep_->batch.DeleteRange(begin, end);
  rep_->EnsureMem();
  rep_->mem->AddRangeTombstone(rep_->Count(), begin, end);
}

WriteBatchWithIndex::Result WriteBatchWithIndex::Get(const Slice& key, std::string* value) const {
  const Rep::Slot* s = rep_->Lookup(key);
  SequenceNumber covering = 0;
  if (rep_->mem != nullptr && rep_->mem->HasRangeTombstones()) {
    covering = rep_->mem->GetTombstones()->MaxCoveringSeq(key, rep_->Count());
  }
  if (s != nullptr && s->seq > covering) {
    Slice input = WriteBatchInternal::Contents(&rep_->batch);
    input.remove_prefix(s->offset);
    BatchOp op;
    const bool ok = ParseOp(&input, &op);
    assert(ok);
    (void)ok;
    if (op.type == kTypeValue) {
      value->assign(op.value.data(), op.value.size());
      return Result::kFound;
    }
    return Result::kDeleted;
  }
  return covering > 0 ? Result::kDeleted : Result::kNotFound;
}

Status WriteBatchWithIndex::GetFromBatchAndDB(DB* db, const ReadOptions& options, const Slice& key,
                                              std::string* value) const {
  switch (Get(key, value)) {
    case Result::kFound:
      return Status::OK();
    case Result::kDeleted:
      return Status::NotFound(Slice());
    case Result::kNotFound:
      break;
  }
  return db->Get(options, key, value);
}

Iterator* WriteBatchWithIndex::NewIteratorWithBase(Iterator* base, const ReadOptions& options) {
  rep_->CatchUp();
  MemTable* mem = rep_->mem;
  const SequenceNumber snap = rep_->Count();
  Iterator* delta_iter;
  std::shared_ptr<const FragmentedTombstones> tombstones;
  if (mem != nullptr) {
    mem->Ref();
    delta_iter = mem->NewIterator();
    // Tombstones added later have sequences > snap and would be ignored anyway.
    if (mem->HasRangeTombstones()) tombstones = mem->GetTombstones();
    if (tombstones != nullptr && tombstones->empty()) tombstones.reset();
  } else {
    delta_iter = NewEmptyIterator();
  }
  return new BaseDeltaIterator(rep_->icmp, mem, base, delta_iter, snap, std::move(tombstones),
                               options);
}

void WriteBatchWithIndex::SetSavePoint() { rep_->batch.SetSavePoint(); }

Status WriteBatchWithIndex::RollbackToSavePoint() {
  const uint32_t before = rep_->Count();
  Status s = rep_->batch.RollbackToSavePoint();
  if (s.ok() && rep_->Count() != before) rep_->Rebuild();
  return s;
}

Status WriteBatchWithIndex::PopSavePoint() { return rep_->batch.PopSavePoint(); }

void WriteBatchWithIndex::Clear() { rep_->Reset(); }

uint32_t WriteBatchWithIndex::Count() const { return rep_->Count(); }

size_t WriteBatchWithIndex::ApproximateSize() const { return rep_->batch.ApproximateSize(); }

WriteBatch* WriteBatchWithIndex::GetWriteBatch() { return &rep_->batch; }

const WriteBatch* WriteBatchWithIndex::GetWriteBatch() const { return &rep_->batch; }

}  // namespace strata

namespace strata {

bool WriteBatchWithIndexInternal::SortedNewestUpdates(const WriteBatchWithIndex* b,
                                                      std::vector<IndexedUpdate>* out) {
  const WriteBatchWithIndex::Rep* rep = b->rep_.get();
  out->clear();
  out->reserve(rep->used);
  Slice input = WriteBatchInternal::Contents(&rep->batch);
  input.remove_prefix(WriteBatchInternal::kHeader);
  BatchOp op;
  for (uint32_t seq = 1; ParseOp(&input, &op); seq++) {
    if (op.type == kTypeRangeDeletion) return false;
    const WriteBatchWithIndex::Rep::Slot* s = rep->Lookup(op.key);
    if (s != nullptr && s->seq == seq) out->push_back(IndexedUpdate{op.key, op.value, op.type});
  }
  const Comparator* ucmp = rep->icmp.user_comparator();
  if (ucmp != BytewiseComparator()) {
    std::sort(out->begin(), out->end(), [ucmp](const IndexedUpdate& a, const IndexedUpdate& c) {
      return ucmp->Compare(a.key, c.key) < 0;
    });
    return true;
  }
  // Bytewise order: sort (first 8 bytes, index) pairs, which settles almost
  // every comparison without reaching into the batch (a cache miss each for
  // a large one); equal prefixes fall back to the whole keys.
  struct Entry {
    uint64_t prefix;
    uint32_t index;
  };
  std::vector<Entry> order(out->size());
  for (size_t i = 0; i < out->size(); i++) {
    const Slice& k = (*out)[i].key;
    uint64_t prefix = 0;
    for (size_t j = 0; j < 8; j++) {
      prefix = (prefix << 8) | (j < k.size() ? static_cast<uint8_t>(k[j]) : 0);
    }
    order[i] = Entry{prefix, static_cast<uint32_t>(i)};
  }
  const std::vector<IndexedUpdate>& updates = *out;
  std::sort(order.begin(), order.end(), [&updates](const Entry& a, const Entry& c) {
    if (a.prefix != c.prefix) return a.prefix < c.prefix;
    return updates[a.index].key.compare(updates[c.index].key) < 0;
  });
  std::vector<IndexedUpdate> sorted;
  sorted.reserve(order.size());
  for (const Entry& e : order) sorted.push_back(updates[e.index]);
  out->swap(sorted);
  return true;
}

}  // namespace strata
