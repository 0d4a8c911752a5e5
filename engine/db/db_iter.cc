// DBIter: the user-visible iterator over a merged internal iterator.
//
// Forward, the internal iterator sits on the entry that is the current key's
// newest visible version. Reverse, it sits just before every entry of the
// current key, whose key and value are then held in saved_key_/saved_value_.
#include "db/db_iter.h"

#include <string>

namespace strata {

namespace {

class DBIter final : public Iterator {
 public:
  DBIter(const InternalKeyComparator* icmp, Iterator* iter, SequenceNumber s,
         std::shared_ptr<const FragmentedTombstones> tombstones, const ReadOptions& options)
      : icmp_(icmp),
        ucmp_(icmp->user_comparator()),
        iter_(iter),
        sequence_(s),
        tombstones_(std::move(tombstones)) {
    if (tombstones_ != nullptr && tombstones_->empty()) tombstones_.reset();
    if (options.iterate_lower_bound != nullptr) {
      has_lower_ = true;
      lower_ = options.iterate_lower_bound->ToString();
    }
    if (options.iterate_upper_bound != nullptr) {
      has_upper_ = true;
      upper_ = options.iterate_upper_bound->ToString();
    }
  }
  ~DBIter() override { delete iter_; }

  bool Valid() const override { return valid_; }
  Slice key() const override {
    assert(valid_);
    return direction_ == kForward ? ExtractUserKey(iter_->key()) : Slice(saved_key_);
  }
  Slice value() const override {
    assert(valid_);
    return direction_ == kForward ? iter_->value() : Slice(saved_value_);
  }
  Status status() const override { return status_.ok() ? iter_->status() : status_; }

  void Next() override;
  void Prev() override;
  void Seek(const Slice& target) override;
  void SeekForPrev(const Slice& target) override;
  void SeekToFirst() override;
  void SeekToLast() override;

 private:
  enum Direction { kForward, kReverse };

  void FindNextUserEntry(bool skipping, std::string* skip);
  void FindPrevUserEntry();
  bool ParseKey(ParsedInternalKey* key) {
    if (!ParseInternalKey(iter_->key(), key)) {
      status_ = Status::Corruption("malformed internal key while iterating");
      return false;
    }
    return true;
  }
  // True if a range tombstone visible at sequence_ deletes this entry.
  bool CoveredByTombstone(const ParsedInternalKey& k) const {
    return tombstones_ != nullptr &&
           tombstones_->MaxCoveringSeq(k.user_key, sequence_) > k.sequence;
  }
  bool AtOrPastUpper(const Slice& user_key) const {
    return has_upper_ && ucmp_->Compare(user_key, upper_) >= 0;
  }
  bool BeforeLower(const Slice& user_key) const {
    return has_lower_ && ucmp_->Compare(user_key, lower_) < 0;
  }
  // Positions the internal iterator at the last entry with user key < upper_.
  void SeekInternalBeforeUpper();

  const InternalKeyComparator* const icmp_;
  const Comparator* const ucmp_;
  Iterator* const iter_;
  const SequenceNumber sequence_;
  std::shared_ptr<const FragmentedTombstones> tombstones_;
  bool has_lower_ = false;
  bool has_upper_ = false;
  std::string lower_;
  std::string upper_;

  Status status_;
  std::string saved_key_;    // reverse: current key; forward: a key to skip
  std::string saved_value_;  // reverse only
  std::string seek_buf_;
  Direction direction_ = kForward;
  bool valid_ = false;
};

void DBIter::Next() {
  assert(valid_);
  if (direction_ == kReverse) {
    direction_ = kForward;
    // iter_ is just before the current key's entries: step onto them, then
    // past them.
    if (!iter_->Valid()) {
      iter_->SeekToFirst();
    } else {
      iter_->Next();
    }
    if (!iter_->Valid()) {
      valid_ = false;
      saved_key_.clear();
      return;
    }
    // saved_key_ holds the current key: skip its entries.
  } else {
    Slice k = ExtractUserKey(iter_->key());
    saved_key_.assign(k.data(), k.size());
    iter_->Next();
  }
  FindNextUserEntry(true, &saved_key_);
}

void DBIter::FindNextUserEntry(bool skipping, std::string* skip) {
  assert(direction_ == kForward);
  for (; iter_->Valid(); iter_->Next()) {
    ParsedInternalKey ikey;
    if (!ParseKey(&ikey)) break;
    if (AtOrPastUpper(ikey.user_key)) break;
    if (ikey.sequence > sequence_) continue;
    if (skipping && ucmp_->Compare(ikey.user_key, *skip) <= 0) continue;
    if (ikey.type == kTypeValue && !CoveredByTombstone(ikey)) {
      valid_ = true;
      saved_key_.clear();
      return;
    }
    // A deletion, or a value deleted by a range: hide every older version.
    skip->assign(ikey.user_key.data(), ikey.user_key.size());
    skipping = true;
  }
  valid_ = false;
  saved_key_.clear();
}

void DBIter::Prev() {
  assert(valid_);
  if (direction_ == kForward) {
    // Step back before every entry of the current key.
    Slice k = ExtractUserKey(iter_->key());
    saved_key_.assign(k.data(), k.size());
    while (true) {
      iter_->Prev();
      if (!iter_->Valid()) break;
      if (ucmp_->Compare(ExtractUserKey(iter_->key()), saved_key_) < 0) break;
    }
    direction_ = kReverse;
  }
  FindPrevUserEntry();
}

void DBIter::FindPrevUserEntry() {
  assert(direction_ == kReverse);
  bool have_value = false;  // saved_key_/saved_value_ hold a live entry
  while (iter_->Valid()) {
    ParsedInternalKey ikey;
    if (!ParseKey(&ikey)) {
      valid_ = false;
      return;
    }
    if (ikey.sequence <= sequence_) {
      if (BeforeLower(ikey.user_key)) break;
      if (have_value && ucmp_->Compare(ikey.user_key, saved_key_) < 0) break;
      if (ikey.type == kTypeValue && !CoveredByTombstone(ikey)) {
        saved_key_.assign(ikey.user_key.data(), ikey.user_key.size());
        Slice v = iter_->value();
        saved_value_.assign(v.data(), v.size());
        have_value = true;
      } else {
        have_value = false;
        saved_key_.clear();
        saved_value_.clear();
      }
    }
    iter_->Prev();
  }
  // Versions are met oldest first: an input that failed part-way may have
  // hidden newer versions of the key held, so an error yields nothing.
  if (!status().ok()) have_value = false;
  valid_ = have_value;
  if (!have_value) {
    saved_key_.clear();
    saved_value_.clear();
    direction_ = kForward;
  }
}

void DBIter::Seek(const Slice& target) {
  direction_ = kForward;
  saved_key_.clear();
  Slice t = BeforeLower(target) ? Slice(lower_) : target;
  seek_buf_.clear();
  AppendInternalKey(&seek_buf_, ParsedInternalKey(t, sequence_, kValueTypeForSeek));
  iter_->Seek(seek_buf_);
  FindNextUserEntry(false, &saved_key_);
}

void DBIter::SeekToFirst() {
  if (has_lower_) {
    Seek(lower_);
    return;
  }
  direction_ = kForward;
  saved_key_.clear();
  iter_->SeekToFirst();
  FindNextUserEntry(false, &saved_key_);
}

void DBIter::SeekInternalBeforeUpper() {
  seek_buf_.clear();
  AppendInternalKey(&seek_buf_, ParsedInternalKey(upper_, kMaxSequenceNumber, kValueTypeForSeek));
  iter_->Seek(seek_buf_);
  if (iter_->Valid()) {
    iter_->Prev();
  } else {
    iter_->SeekToLast();
  }
}

void DBIter::SeekForPrev(const Slice& target) {
  direction_ = kReverse;
  saved_key_.clear();
  saved_value_.clear();
  if (AtOrPastUpper(target)) {
    SeekInternalBeforeUpper();
  } else {
    // The largest internal key of `target`: every version of it is <= this.
    seek_buf_.clear();
    AppendInternalKey(&seek_buf_, ParsedInternalKey(target, 0, kTypeDeletion));
    iter_->SeekForPrev(seek_buf_);
  }
  FindPrevUserEntry();
}

void DBIter::SeekToLast() {
  direction_ = kReverse;
  saved_key_.clear();
  saved_value_.clear();
  if (has_upper_) {
    SeekInternalBeforeUpper();
  } else {
    iter_->SeekToLast();
  }
  FindPrevUserEntry();
}

}  // namespace

Iterator* NewDBIterator(const InternalKeyComparator* icmp, Iterator* internal_iter,
                        SequenceNumber sequence,
                        std::shared_ptr<const FragmentedTombstones> tombstones,
                        const ReadOptions& options) {
  return new DBIter(icmp, internal_iter, sequence, std::move(tombstones), options);
}

}  // namespace strata
