// NewMergingIterator: one sorted view over several sorted iterators.
//
// The DB reads through a merging iterator over its memtables and tables.
// Children may hold equal keys; ties are broken by child index so the order
// is deterministic: in forward order the entries of equal keys come from
// the lower-indexed child first (the DB passes children newest first), and
// reverse order is exactly forward order reversed. Direction may change at
// any point. An error in any child stops the merge: Valid() turns false and
// status() returns the error (a merge that skipped a failed child would show
// entries that child's newer entries hide). Not thread-safe (one thread at
// a time).
#ifndef STRATA_TABLE_MERGING_ITERATOR_H_
#define STRATA_TABLE_MERGING_ITERATOR_H_

#include "strata/comparator.h"
#include "strata/iterator.h"

namespace strata {

// Takes ownership of children[0, n) (not of the array). cmp must outlive
// the result.
Iterator* NewMergingIterator(const Comparator* cmp, Iterator** children, int n);

}  // namespace strata

#endif  // STRATA_TABLE_MERGING_ITERATOR_H_
