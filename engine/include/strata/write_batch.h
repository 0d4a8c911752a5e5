// WriteBatch: an ordered list of updates applied to a store atomically.
//
// DB::Write applies all of a batch or, after a crash, none of it. Updates
// apply in the order they were added, so a later Put of a key overrides an
// earlier Delete of it. A WriteBatch is not thread-safe; const methods may be
// called concurrently.
#ifndef STRATA_INCLUDE_WRITE_BATCH_H_
#define STRATA_INCLUDE_WRITE_BATCH_H_

#include <cstdint>
#include <string>
#include <vector>

#include "strata/slice.h"
#include "strata/status.h"

namespace strata {

class WriteBatch {
 public:
  // Receives the updates of a batch in order, from Iterate().
  class Handler {
   public:
    virtual ~Handler() = default;
    virtual void Put(const Slice& key, const Slice& value) = 0;
    virtual void Delete(const Slice& key) = 0;
    // Deletes every key k with begin <= k < end.
    virtual void DeleteRange(const Slice& begin, const Slice& end) = 0;
  };

  WriteBatch();
  WriteBatch(const WriteBatch&) = default;
  WriteBatch& operator=(const WriteBatch&) = default;
  WriteBatch(WriteBatch&&) = default;
  WriteBatch& operator=(WriteBatch&&) = default;
  ~WriteBatch() = default;

  void Put(const Slice& key, const Slice& value);
  void Delete(const Slice& key);
  // Deletes every key k with begin <= k < end (in the store's order).
  void DeleteRange(const Slice& begin, const Slice& end);

  // Removes every update (and every save point).
  void Clear();

  // Marks the current end of the batch; RollbackToSavePoint() drops what was
  // added after the newest mark. Save points nest.
  void SetSavePoint();
  // Drops the updates added since the newest save point and that save point.
  // NotFound if there is none.
  Status RollbackToSavePoint();
  // Forgets the newest save point, keeping its updates. NotFound if none.
  Status PopSavePoint();

  // Number of updates.
  uint32_t Count() const;
  // Bytes of the serialized batch: what it costs in the WAL.
  size_t ApproximateSize() const { return rep_.size(); }

  // Appends the updates of source to this batch.
  void Append(const WriteBatch& source);

  // Calls the handler for every update in order. Corruption if the
  // serialized form is malformed.
  Status Iterate(Handler* handler) const;

 private:
  friend class WriteBatchInternal;

  // See write_batch.cc for the layout (it is also the WAL record payload).
  std::string rep_;
  struct SavePoint {
    size_t size;
    uint32_t count;
  };
  std::vector<SavePoint> save_points_;
};

}  // namespace strata

#endif  // STRATA_INCLUDE_WRITE_BATCH_H_
