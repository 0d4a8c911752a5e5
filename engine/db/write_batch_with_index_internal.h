// WriteBatchWithIndexInternal: the DB's access to a WriteBatchWithIndex's
// index, for writing a large batch straight into table files.
#ifndef STRATA_DB_WRITE_BATCH_WITH_INDEX_INTERNAL_H_
#define STRATA_DB_WRITE_BATCH_WITH_INDEX_INTERNAL_H_

#include <vector>

#include "strata/slice.h"
#include "strata/write_batch_with_index.h"

namespace strata {

struct IndexedUpdate {
  Slice key;
  Slice value;   // empty for a deletion
  uint8_t type;  // kTypeValue or kTypeDeletion
};

class WriteBatchWithIndexInternal {
 public:
  // The newest update of every key in the batch, sorted by key (pointing
  // into the batch). False if the batch holds a DeleteRange.
  static bool SortedNewestUpdates(const WriteBatchWithIndex* b, std::vector<IndexedUpdate>* out);
};

}  // namespace strata

#endif  // STRATA_DB_WRITE_BATCH_WITH_INDEX_INTERNAL_H_
