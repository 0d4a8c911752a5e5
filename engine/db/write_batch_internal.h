// WriteBatchInternal: the DB's access to a WriteBatch's serialized form
// (which is also the payload of a WAL record).
#ifndef STRATA_DB_WRITE_BATCH_INTERNAL_H_
#define STRATA_DB_WRITE_BATCH_INTERNAL_H_

#include "db/dbformat.h"
#include "strata/write_batch.h"

namespace strata {

class MemTable;

class WriteBatchInternal {
 public:
  static constexpr size_t kHeader = 12;  // fixed64 sequence | fixed32 count

  static uint32_t Count(const WriteBatch* b);
  static void SetCount(WriteBatch* b, uint32_t n);
  // Sequence number of the first update in the batch.
  static SequenceNumber Sequence(const WriteBatch* b);
  static void SetSequence(WriteBatch* b, SequenceNumber seq);

  static Slice Contents(const WriteBatch* b) { return Slice(b->rep_); }
  static size_t ByteSize(const WriteBatch* b) { return b->rep_.size(); }
  // Replaces the batch with a serialized one; Corruption if too short.
  static Status SetContents(WriteBatch* b, const Slice& contents);

  // Applies the batch to the memtable, update i at Sequence(b) + i.
  static Status InsertInto(const WriteBatch* b, MemTable* memtable);

  static void Append(WriteBatch* dst, const WriteBatch* src);
};

}  // namespace strata

#endif  // STRATA_DB_WRITE_BATCH_INTERNAL_H_
