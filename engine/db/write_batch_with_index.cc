// WriteBatchWithIndex: the batch indexed by a MemTable, and the iterator that
// lays the batch over a DB iterator (a "base-delta" merge).
//
// The index is an ordinary MemTable in which update i of the batch (1-based)
// has sequence number i: Put -> kTypeValue, Delete -> kTypeDeletion,
// DeleteRange -> a range tombstone at i. So "the newest update of k" is the
// memtable's own lookup, and "the batch as of now" for an iterator is the
// snapshot "sequence <= Count()". A rollback that drops updates indexes the
// truncated batch into a fresh MemTable; iterators keep the old one alive
// through its reference count.
#include "strata/write_batch_with_index.h"

#include <cassert>
#include <memory>

#include "db/dbformat.h"
#include "db/memtable.h"
#include "db/range_tombstone.h"

namespace strata {

namespace {

// Arena block of the index: small enough that a one-row transaction is
// cheap, large enough that a million-row one takes few blocks per MiB.
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

// Re-indexes a batch after a rollback: update i at sequence i.
class IndexBuilder final : public WriteBatch::Handler {
 public:
  explicit IndexBuilder(MemTable* mem) : mem_(mem) {}
  void Put(const Slice& key, const Slice& value) override {
    mem_->Add(++seq_, kTypeValue, key, value);
  }
  void Delete(const Slice& key) override { mem_->Add(++seq_, kTypeDeletion, key, Slice()); }
  void DeleteRange(const Slice& begin, const Slice& end) override {
    mem_->AddRangeTombstone(++seq_, begin, end);
  }

 private:
  MemTable* const mem_;
  SequenceNumber seq_ = 0;
};

}  // namespace

WriteBatchWithIndex::WriteBatchWithIndex(const Comparator* cmp) : ucmp_(cmp) {}

WriteBatchWithIndex::~WriteBatchWithIndex() {
  if (index_ != nullptr) index_->Unref();
}

void WriteBatchWithIndex::EnsureIndex() {
  if (index_ == nullptr) {
    index_ = new MemTable(InternalKeyComparator(ucmp_), kIndexArenaBlockSize);
    index_->Ref();
  }
}

void WriteBatchWithIndex::RebuildIndex() {
  if (index_ != nullptr) index_->Unref();
  index_ = nullptr;
  if (batch_.Count() == 0) return;
  EnsureIndex();
  IndexBuilder builder(index_);
  // The batch was built by this class, so it parses.
  Status s = batch_.Iterate(&builder);
  assert(s.ok());
  (void)s;
}

void WriteBatchWithIndex::Put(const Slice& key, const Slice& value) {
  batch_.Put(key, value);
  EnsureIndex();
  index_->Add(batch_.Count(), kTypeValue, key, value);
}

void WriteBatchWithIndex::Delete(const Slice& key) {
  batch_.Delete(key);
  EnsureIndex();
  index_->Add(batch_.Count(), kTypeDeletion, key, Slice());
}

void WriteBatchWithIndex::DeleteRange(const Slice& begin, const Slice& end) {
  batch_.DeleteRange(begin, end);
  EnsureIndex();
  index_->AddRangeTombstone(batch_.Count(), begin, end);
}

WriteBatchWithIndex::Result WriteBatchWithIndex::Get(const Slice& key, std::string* value) const {
  if (index_ == nullptr) return Result::kNotFound;
  LookupKey lookup(key, batch_.Count());
  switch (index_->Get(lookup, value)) {
    case MemTable::GetResult::kFound:
      return Result::kFound;
    case MemTable::GetResult::kDeleted:
      return Result::kDeleted;
    case MemTable::GetResult::kNotHere:
      break;
  }
  return Result::kNotFound;
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
  const InternalKeyComparator icmp(ucmp_);
  const SequenceNumber snap = batch_.Count();
  Iterator* delta_iter;
  std::shared_ptr<const FragmentedTombstones> tombstones;
  if (index_ != nullptr) {
    index_->Ref();
    delta_iter = index_->NewIterator();
    // Tombstones added later have sequences > snap and would be ignored anyway.
    if (index_->HasRangeTombstones()) tombstones = index_->GetTombstones();
    if (tombstones != nullptr && tombstones->empty()) tombstones.reset();
  } else {
    delta_iter = NewEmptyIterator();
  }
  return new BaseDeltaIterator(icmp, index_, base, delta_iter, snap, std::move(tombstones),
                               options);
}

void WriteBatchWithIndex::SetSavePoint() { batch_.SetSavePoint(); }

Status WriteBatchWithIndex::RollbackToSavePoint() {
  const uint32_t before = batch_.Count();
  Status s = batch_.RollbackToSavePoint();
  if (s.ok() && batch_.Count() != before) RebuildIndex();
  return s;
}

Status WriteBatchWithIndex::PopSavePoint() { return batch_.PopSavePoint(); }

void WriteBatchWithIndex::Clear() {
  batch_.Clear();
  if (index_ != nullptr) index_->Unref();
  index_ = nullptr;
}

uint32_t WriteBatchWithIndex::Count() const { return batch_.Count(); }

size_t WriteBatchWithIndex::ApproximateSize() const { return batch_.ApproximateSize(); }

}  // namespace strata
