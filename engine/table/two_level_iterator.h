// NewTwoLevelIterator: iterates over a sequence of blocks (or files) given
// an index iterator whose values name them and a function that opens one.
//
// A table's iterator is a two-level iterator: the index block's entries map
// a separator key to a data block handle, and block_function opens that data
// block. Not thread-safe (one thread at a time), like every Iterator.
#ifndef STRATA_TABLE_TWO_LEVEL_ITERATOR_H_
#define STRATA_TABLE_TWO_LEVEL_ITERATOR_H_

#include "strata/iterator.h"
#include "strata/options.h"

namespace strata {

// Opens the block named by an index entry's value. Returns an iterator the
// caller owns (an error iterator, never null, if it cannot).
using BlockFunction = Iterator* (*)(void* arg, const ReadOptions& options,
                                    const Slice& index_value);

// Takes ownership of index_iter. The index's keys must be separators: each
// >= every key of its block and < every key of the next block. arg and
// the Slices options points to must outlive the iterator.
Iterator* NewTwoLevelIterator(Iterator* index_iter, BlockFunction block_function, void* arg,
                              const ReadOptions& options);

}  // namespace strata

#endif  // STRATA_TABLE_TWO_LEVEL_ITERATOR_H_
