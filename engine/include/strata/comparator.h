// Comparator: the total order over user keys that a store keeps.
//
// A Comparator must be thread-safe: the engine calls it from many threads at
// once. Its Name() is recorded in the store; opening a store with a
// comparator of another name fails.
#ifndef STRATA_INCLUDE_COMPARATOR_H_
#define STRATA_INCLUDE_COMPARATOR_H_

#include <string>

#include "strata/slice.h"

namespace strata {

class Comparator {
 public:
  virtual ~Comparator() = default;

  // <0 if a < b, 0 if a == b, >0 if a > b.
  virtual int Compare(const Slice& a, const Slice& b) const = 0;

  // The comparator's name. DO NOT CHANGE a name once stores use it: it is
  // part of the on-disk format.
  virtual const char* Name() const = 0;

  // If *start < limit, may change *start to a shorter string in [start, limit).
  // Used to keep index blocks small. Doing nothing is correct.
  virtual void FindShortestSeparator(std::string* start, const Slice& limit) const = 0;

  // May change *key to a shorter string >= *key. Doing nothing is correct.
  virtual void FindShortSuccessor(std::string* key) const = 0;
};

// Lexicographic order of unsigned bytes (memcmp). The result is a
// process-lifetime singleton and must not be deleted.
const Comparator* BytewiseComparator();

}  // namespace strata

#endif  // STRATA_INCLUDE_COMPARATOR_H_
