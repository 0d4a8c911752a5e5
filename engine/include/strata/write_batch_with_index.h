// WriteBatchWithIndex: a WriteBatch plus indexes of its updates, so the
// pending writes of a transaction can be read back before they commit.
//
// The batch is what DB::Write commits (GetWriteBatch()); the index answers
// "what does the batch say about key k" (Get), merges the batch over the
// DB's view (GetFromBatchAndDB), and lays the batch over a DB iterator
// (NewIteratorWithBase), so a transaction reads its own uncommitted writes.
// Updates apply in the order added: the newest update of a key decides, and
// a DeleteRange hides base keys and earlier updates in its range but not
// updates added after it.
//
//   WriteBatchWithIndex wb;
//   wb.Put("a", "1");
//   std::string v;
//   Status s = wb.GetFromBatchAndDB(db, ReadOptions(), "a", &v);   // "1"
//   s = db->Write(WriteOptions(), wb.GetWriteBatch());
//
// Thread safety: not thread-safe. One thread at a time may use a
// WriteBatchWithIndex (const methods included: they read the indexes the
// writer changes). Iterators it returns may be stepped by that same thread
// while it keeps adding to, rolling back or clearing the batch: each iterator
// pins the index it was created on and sees the batch as of its creation.
//
// Cost: an update is an append to the batch plus a hash-table update; Get is
// a hash-table probe. The sorted index that iterators read is brought up to
// date when an iterator is created, by the updates added since the previous
// one (each at most once), so a transaction that only writes and point-reads
// never pays for ordering. No allocation per update beyond the amortized
// growth of the batch, the hash table and an arena. A rollback that drops
// updates re-indexes the whole batch (rare: a statement that failed midway).
#ifndef STRATA_INCLUDE_WRITE_BATCH_WITH_INDEX_H_
#define STRATA_INCLUDE_WRITE_BATCH_WITH_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "strata/comparator.h"
#include "strata/db.h"
#include "strata/iterator.h"
#include "strata/options.h"
#include "strata/slice.h"
#include "strata/status.h"
#include "strata/write_batch.h"

namespace strata {

class WriteBatchWithIndex {
 public:
  // cmp orders the keys and must be the comparator of the DB the batch is
  // read against and written to; it must outlive this object and every
  // iterator from it. REQUIRES: cmp treats two keys as equal only if they
  // are byte-for-byte equal (point lookups hash the bytes). Default: bytewise.
  explicit WriteBatchWithIndex(const Comparator* cmp = BytewiseComparator());
  WriteBatchWithIndex(const WriteBatchWithIndex&) = delete;
  WriteBatchWithIndex& operator=(const WriteBatchWithIndex&) = delete;
  // Iterators from this batch may outlive it (they pin what they read).
  ~WriteBatchWithIndex();

  // The same updates as WriteBatch's, indexed. Sizes are not checked here;
  // DB::Write reports a key or value over the limit.
  void Put(const Slice& key, const Slice& value);
  void Delete(const Slice& key);
  // Deletes every key k with begin <= k < end (nothing if begin >= end).
  void DeleteRange(const Slice& begin, const Slice& end);

  // What the batch alone says about key:
  //   kFound     the newest update of key is a Put; *value is its value.
  //   kDeleted   a Delete, or a DeleteRange covering key, is the newest
  //              update touching key: the DB must not be consulted.
  //   kNotFound  the batch never touched key: ask the DB.
  // *value is changed only for kFound.
  enum class Result { kNotFound, kFound, kDeleted };
  Result Get(const Slice& key, std::string* value) const;

  // The batch, then (for kNotFound) the DB as of options (e.g. a snapshot).
  // OK with *value filled, NotFound if the key is absent or deleted by the
  // batch, or the DB's error.
  Status GetFromBatchAndDB(DB* db, const ReadOptions& options, const Slice& key,
                           std::string* value) const;

  // A user-level iterator over `base` (from DB::NewIterator; ownership is
  // taken) with the batch's updates laid over it, as of NOW: updates added,
  // rolled back or cleared after this call do not affect it (an UPDATE that
  // scans the rows it changes never sees its own changes: no Halloween
  // problem), while the batch stays writable meanwhile.
  //
  // options.iterate_lower_bound / iterate_upper_bound are hard bounds, as on
  // the DB's iterators: keys outside are never returned or stepped to; base
  // should have been created with the same bounds (it is then never asked to
  // step outside them). The bound Slices must outlive the iterator; other
  // fields of options are ignored (the snapshot is base's business).
  //
  // Supports forward and reverse iteration, Seek, SeekForPrev and direction
  // switches anywhere. status() is base's status; an error in base makes the
  // iterator !Valid(). Initially not Valid(): call a Seek method.
  // The caller deletes the iterator (before the DB base came from, but it
  // may outlive this WriteBatchWithIndex).
  // Cost: sorts and indexes the updates added since the previous iterator
  // was created (O(k log k) for k of them).
  Iterator* NewIteratorWithBase(Iterator* base, const ReadOptions& options);

  // Marks the current end of the batch. Save points nest.
  void SetSavePoint();
  // Drops the updates added since the newest save point (from the batch and
  // the indexes) and that save point. NotFound if there is none. O(Count())
  // when updates are dropped; O(1) when none were added since the save point.
  Status RollbackToSavePoint();
  // Forgets the newest save point, keeping its updates. NotFound if none.
  Status PopSavePoint();

  // Removes every update and every save point. Iterators keep their view.
  void Clear();
  // Number of updates.
  uint32_t Count() const;
  // Bytes of the serialized batch (what it costs in the WAL).
  size_t ApproximateSize() const;

  // The batch DB::Write commits. Do not modify it directly: the index would
  // no longer match it.
  WriteBatch* GetWriteBatch();
  const WriteBatch* GetWriteBatch() const;

 private:
  friend class WriteBatchWithIndexInternal;
  struct Rep;  // the batch and its indexes: see write_batch_with_index.cc
  std::unique_ptr<Rep> rep_;
};

}  // namespace strata

#endif  // STRATA_INCLUDE_WRITE_BATCH_WITH_INDEX_H_
