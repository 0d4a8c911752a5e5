// DBIter: turns an iterator over internal keys (every version of every key,
// from all sources merged) into the user's view as of a sequence number:
// one entry per live key, deleted keys (point or range) hidden, and hard
// lower/upper bounds that it never steps across.
#ifndef STRATA_DB_DB_ITER_H_
#define STRATA_DB_DB_ITER_H_

#include <memory>

#include "db/dbformat.h"
#include "db/range_tombstone.h"
#include "strata/iterator.h"
#include "strata/options.h"

namespace strata {

// Takes ownership of internal_iter. tombstones may be null (none).
// The bounds in options are copied.
Iterator* NewDBIterator(const InternalKeyComparator* icmp, Iterator* internal_iter,
                        SequenceNumber sequence,
                        std::shared_ptr<const FragmentedTombstones> tombstones,
                        const ReadOptions& options);

}  // namespace strata

#endif  // STRATA_DB_DB_ITER_H_
