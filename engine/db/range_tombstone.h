// Range tombstones: DeleteRange(begin, end) at a sequence number hides every
// entry of a key in [begin, end) with a smaller sequence number, for readers
// whose snapshot includes the tombstone.
//
// FragmentedTombstones turns a set of possibly overlapping tombstones into
// sorted, non-overlapping fragments [start, end), each carrying the sequence
// numbers of every tombstone that covers it (descending), so "the newest
// tombstone covering k that snapshot s sees" is one binary search.
// Immutable once built; safe for concurrent readers.
#ifndef STRATA_DB_RANGE_TOMBSTONE_H_
#define STRATA_DB_RANGE_TOMBSTONE_H_

#include <memory>
#include <string>
#include <vector>

#include "db/dbformat.h"
#include "strata/iterator.h"

namespace strata {

struct RangeTombstone {
  std::string start;  // user key, inclusive
  std::string end;    // user key, exclusive
  SequenceNumber seq = 0;
};

class FragmentedTombstones {
 public:
  struct Fragment {
    std::string start;
    std::string end;
    std::vector<SequenceNumber> seqs;  // descending, non-empty
  };

  FragmentedTombstones() = default;
  FragmentedTombstones(const Comparator* ucmp, std::vector<RangeTombstone> tombstones);

  bool empty() const { return fragments_.empty(); }
  const std::vector<Fragment>& fragments() const { return fragments_; }
  // Largest sequence number of any tombstone.
  SequenceNumber max_seq() const { return max_seq_; }

  // The largest sequence <= snapshot of a tombstone covering user_key, or 0.
  SequenceNumber MaxCoveringSeq(const Slice& user_key, SequenceNumber snapshot) const;

  // The fragment covering user_key, or nullptr.
  const Fragment* FindCovering(const Slice& user_key) const;

  // Index of the first fragment whose end > user_key (fragments().size() if none).
  size_t LowerBound(const Slice& user_key) const;

 private:
  const Comparator* ucmp_ = nullptr;
  std::vector<Fragment> fragments_;
  SequenceNumber max_seq_ = 0;
};

// Reads tombstones from an iterator over (internal start key, end user key)
// entries, as stored in memtables' and tables' range-tombstone sections.
// Appends to *out; Corruption if a key is malformed.
Status CollectRangeTombstones(Iterator* iter, std::vector<RangeTombstone>* out);

}  // namespace strata

#endif  // STRATA_DB_RANGE_TOMBSTONE_H_
