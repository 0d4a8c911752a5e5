// Cache: a map from keys to values, charged in bytes, evicting the least
// recently used entries when the total charge passes the capacity.
//
// The engine keeps data, index and filter blocks in a Cache. By default one
// cache is shared by every store in the process (DefaultBlockCache()); a
// store may be given its own in Options::block_cache. A Cache is safe for
// concurrent use by many threads.
#ifndef STRATA_INCLUDE_CACHE_H_
#define STRATA_INCLUDE_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "strata/slice.h"

namespace strata {

class Cache {
 public:
  Cache() = default;
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;
  // Destroys every entry by calling its deleter.
  virtual ~Cache();

  // An opaque handle on an entry; it pins the entry until Release().
  struct Handle {};

  using Deleter = void (*)(const Slice& key, void* value);

  // Inserts key->value with the given charge, replacing any entry with the
  // same key. Returns a handle the caller must Release(). When the entry is
  // no longer needed (evicted or replaced and released), deleter(key, value)
  // is called.
  virtual Handle* Insert(const Slice& key, void* value, size_t charge, Deleter deleter) = 0;

  // A handle on the entry for key (Release() it), or nullptr.
  virtual Handle* Lookup(const Slice& key) = 0;

  // REQUIRES: handle came from this cache and has not been released.
  virtual void Release(Handle* handle) = 0;

  // REQUIRES: handle has not been released.
  virtual void* Value(Handle* handle) = 0;

  // Removes the entry for key; it is deleted once no handle pins it.
  virtual void Erase(const Slice& key) = 0;

  // A new numeric id, unique within this cache. Clients sharing a cache use
  // it to partition the key space (each table file takes one).
  virtual uint64_t NewId() = 0;

  // Drops every entry not pinned by a handle.
  virtual void Prune() = 0;

  virtual size_t TotalCharge() const = 0;
  virtual size_t Capacity() const = 0;
  virtual void SetCapacity(size_t capacity) = 0;
};

// A sharded LRU cache of the given capacity in bytes. num_shard_bits < 0
// picks a shard count from the capacity.
std::shared_ptr<Cache> NewLRUCache(size_t capacity, int num_shard_bits = -1);

// The process-wide block cache shared by stores whose Options::block_cache
// is null. Created on first use with kDefaultBlockCacheSize bytes.
std::shared_ptr<Cache> DefaultBlockCache();
constexpr size_t kDefaultBlockCacheSize = 32 << 20;  // 32 MiB

}  // namespace strata

#endif  // STRATA_INCLUDE_CACHE_H_
