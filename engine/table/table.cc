// Table: opening an SSTable and reading it through the block cache.
//
// Block ownership: a block of a mapped file points into the mapping, cached
// or not: the mapping lives as long as the Table, whose destructor erases the
// Table's blocks from the cache. A block read from an unmapped file for the
// cache is copied to the heap. Only checked blocks enter the cache (reads with
// fill_cache or verify_checksums false keep theirs for as long as the
// iterator or lookup using it). The index and filter are pinned for the
// Table's lifetime.
#include "table/table.h"

#include <cstring>
#include <new>
#include <optional>

#include "table/filter_policy.h"
#include "table/two_level_iterator.h"
#include "util/coding.h"

namespace strata {

// The filter's bytes, 64-byte aligned so that each 64-byte bloom line is
// exactly one cache line.
struct AlignedFilterBuffer {
  static constexpr std::align_val_t kAlignment{64};
  explicit AlignedFilterBuffer(const Slice& contents)
      : data(static_cast<char*>(::operator new[](contents.size() + 1, kAlignment))),
        size(contents.size()) {
    memcpy(data, contents.data(), size);
  }
  AlignedFilterBuffer(const AlignedFilterBuffer&) = delete;
  AlignedFilterBuffer& operator=(const AlignedFilterBuffer&) = delete;
  ~AlignedFilterBuffer() { ::operator delete[](data, kAlignment); }

  char* const data;
  const size_t size;
};

namespace {

void DeleteCachedBlock(const Slice&, void* value) { delete static_cast<Block*>(value); }

void DeleteCachedFilter(const Slice&, void* value) {
  delete static_cast<AlignedFilterBuffer*>(value);
}

void ReleaseCacheHandle(void* cache, void* handle) {
  static_cast<Cache*>(cache)->Release(static_cast<Cache::Handle*>(handle));
}

void DeleteBlock(void* block, void*) { delete static_cast<Block*>(block); }

// Gives contents their own heap copy if they point into a mapping.
void MakeOwned(BlockContents* contents) {
  if (contents->owned != nullptr) return;
  const size_t n = contents->data.size();
  std::unique_ptr<char[]> buf(new char[n]);
  if (n > 0) memcpy(buf.get(), contents->data.data(), n);
  contents->data = Slice(buf.get(), n);
  contents->owned = std::move(buf);
}

// Decodes a varint64 that must fill value exactly.
bool ParseNumber(const Slice& value, uint64_t* out) {
  Slice input = value;
  return GetVarint64(&input, out) && input.empty();
}

}  // namespace

Table::Table(const TableOptions& options, std::unique_ptr<RandomAccessFile> file,
             uint64_t file_size)
    : options_(options), file_(std::move(file)), file_size_(file_size) {
  if (options_.block_cache != nullptr) cache_id_ = options_.block_cache->NewId();
  source_.file = file_.get();
  source_.limit = file_size_ - Footer::kEncodedLength;
  source_.file_name = &options_.file_name;
  source_.stats = options_.stats;
}

Table::~Table() {
  Cache* cache = options_.block_cache;
  char key[kCacheKeySize];
  if (cached_mapped_blocks_.load(std::memory_order_relaxed) && index_block_ != nullptr) {
    // Data blocks in the cache point into this table's mapping: drop them
    // before the mapping goes.
    Block::Iter iter(options_.comparator, index_block_, &options_.file_name);
    for (iter.SeekToFirst(); iter.Valid(); iter.Next()) {
      BlockHandle handle;
      Slice input = iter.value();
      if (!handle.DecodeFrom(&input)) break;
      CacheKey(handle.offset(), key);
      cache->Erase(Slice(key, kCacheKeySize));
    }
  }
  // Nobody else can look these entries up (the cache id is ours): drop them
  // now rather than let them age out.
  if (index_cache_handle_ != nullptr) {
    cache->Release(index_cache_handle_);
    CacheKey(index_handle_.offset(), key);
    cache->Erase(Slice(key, kCacheKeySize));
  }
  if (filter_cache_handle_ != nullptr) {
    cache->Release(filter_cache_handle_);
    CacheKey(filter_handle_.offset(), key);
    cache->Erase(Slice(key, kCacheKeySize));
  }
}

Status Table::Open(const TableOptions& options, std::unique_ptr<RandomAccessFile> file,
                   uint64_t file_size, std::unique_ptr<Table>* table) {
  table->reset();
  const std::string& name = options.file_name;
  if (file_size < Footer::kEncodedLength) {
    return Status::Corruption(name + ": file too short to be a table (" +
                              std::to_string(file_size) + " bytes)");
  }
  if (file->Size() < file_size) {
    return Status::Corruption(name + ": file truncated (" + std::to_string(file->Size()) +
                              " bytes, expected " + std::to_string(file_size) + ")");
  }
  char footer_space[Footer::kEncodedLength];
  Slice footer_input;
  const uint64_t footer_offset = file_size - Footer::kEncodedLength;
  Status s = file->Read(footer_offset, Footer::kEncodedLength, &footer_input, footer_space);
  if (!s.ok()) return s;
  if (footer_input.size() != Footer::kEncodedLength) {
    return TableCorruption(name, "truncated footer", footer_offset);
  }
  Footer footer;
  s = footer.DecodeFrom(footer_input);
  if (!s.ok()) return TableCorruption(name, s.message(), footer_offset);

  std::unique_ptr<Table> t(new Table(options, std::move(file), file_size));
  s = t->ReadMetaBlocks(footer);
  if (s.ok()) *table = std::move(t);
  return s;
}

Status Table::ReadMetaBlocks(const Footer& footer) {
  const std::string& name = options_.file_name;
  // Metadata is always checked: it is read once and everything depends on it.
  constexpr bool kVerify = true;
  index_handle_ = footer.index_handle();
  metaindex_handle_ = footer.metaindex_handle();

  BlockContents contents;
  Status s = ReadBlock(source_, metaindex_handle_, kVerify, &contents);
  if (!s.ok()) return s;
  bool has_properties = false;
  {
    Block metaindex(std::move(contents), metaindex_handle_.offset());
    Block::Iter it(BytewiseComparator(), &metaindex, &name);
    const std::string filter_name =
        options_.filter_policy == nullptr
            ? std::string()
            : kFilterBlockPrefix + std::string(options_.filter_policy->Name());
    for (it.SeekToFirst(); it.Valid(); it.Next()) {
      BlockHandle handle;
      Slice value = it.value();
      if (!handle.DecodeFrom(&value)) {
        return TableCorruption(name, "bad block handle in metaindex", metaindex_handle_.offset());
      }
      const Slice key = it.key();
      if (!filter_name.empty() && key == Slice(filter_name)) {
        filter_handle_ = handle;
        has_filter_block_ = true;
      } else if (key == Slice(kPropertiesBlockName)) {
        properties_handle_ = handle;
        has_properties = true;
      } else if (key == Slice(kRangeTombstoneBlockName)) {
        tombstone_handle_ = handle;
        has_tombstones_ = true;
      }
      // Anything else (another policy's filter, a newer writer's block)
      // is not needed to read the table.
    }
    if (!it.status().ok()) return it.status();
  }
  if (!has_properties) {
    return TableCorruption(name, "metaindex lacks the properties block",
                           metaindex_handle_.offset());
  }

  s = ReadBlock(source_, properties_handle_, kVerify, &contents);
  if (!s.ok()) return s;
  {
    Block properties(std::move(contents), properties_handle_.offset());
    s = ParseProperties(properties);
    if (!s.ok()) return s;
  }

  s = ReadBlock(source_, index_handle_, kVerify, &contents);
  if (!s.ok()) return s;
  // The cache for index and filter blocks, if they go there.
  Cache* cache = options_.cache_index_and_filter_blocks ? options_.block_cache : nullptr;
  char key[kCacheKeySize];
  if (cache != nullptr) {
    MakeOwned(&contents);
    auto block = std::make_unique<Block>(std::move(contents), index_handle_.offset());
    if (!block->well_formed())
      return TableCorruption(name, "bad index block", index_handle_.offset());
    const size_t charge = block->size() + sizeof(Block);
    CacheKey(index_handle_.offset(), key);
    index_block_ = block.get();
    index_cache_handle_ =
        cache->Insert(Slice(key, kCacheKeySize), block.release(), charge, &DeleteCachedBlock);
  } else {
    owned_index_block_ = std::make_unique<Block>(std::move(contents), index_handle_.offset());
    if (!owned_index_block_->well_formed()) {
      return TableCorruption(name, "bad index block", index_handle_.offset());
    }
    index_block_ = owned_index_block_.get();
  }

  if (has_filter_block_) {
    s = ReadBlock(source_, filter_handle_, kVerify, &contents);
    if (!s.ok()) return s;
    auto filter = std::make_unique<AlignedFilterBuffer>(contents.data);
    filter_ = Slice(filter->data, filter->size);
    if (cache != nullptr) {
      CacheKey(filter_handle_.offset(), key);
      filter_cache_handle_ = cache->Insert(Slice(key, kCacheKeySize), filter.release(),
                                           filter_.size(), &DeleteCachedFilter);
    } else {
      owned_filter_ = std::move(filter);
    }
    filter_policy_ = options_.filter_policy;
  }
  return Status::OK();
}

Status Table::ParseProperties(const Block& block) {
  const std::string& name = options_.file_name;
  struct NumberProperty {
    const char* name;
    uint64_t* field;
  };
  const NumberProperty numbers[] = {
      {kPropNumEntries, &properties_.num_entries},
      {kPropNumRangeTombstones, &properties_.num_range_tombstones},
      {kPropRawKeySize, &properties_.raw_key_size},
      {kPropRawValueSize, &properties_.raw_value_size},
      {kPropDataSize, &properties_.data_size},
      {kPropIndexSize, &properties_.index_size},
      {kPropFilterSize, &properties_.filter_size},
      {kPropNumDataBlocks, &properties_.num_data_blocks},
  };
  Block::Iter it(BytewiseComparator(), &block, &name);
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    const Slice key = it.key();
    const Slice value = it.value();
    if (!key.starts_with(kReservedPropertyPrefix)) {
      properties_.user_properties.emplace(key.ToString(), value.ToString());
      continue;
    }
    bool known = false;
    for (const NumberProperty& number : numbers) {
      if (key == Slice(number.name)) {
        if (!ParseNumber(value, number.field)) {
          return TableCorruption(name, "bad property " + key.ToString(),
                                 properties_handle_.offset());
        }
        known = true;
        break;
      }
    }
    if (known) continue;
    if (key == Slice(kPropFirstKey)) {
      properties_.first_key = value.ToString();
    } else if (key == Slice(kPropLastKey)) {
      properties_.last_key = value.ToString();
    } else if (key == Slice(kPropComparator)) {
      properties_.comparator_name = value.ToString();
    } else if (key == Slice(kPropFilterPolicy)) {
      properties_.filter_policy_name = value.ToString();
    }
    // Unknown "strata." properties come from a newer writer: ignored.
  }
  return it.status();
}

void Table::CacheKey(uint64_t offset, char* key) const {
  EncodeFixed64(key, cache_id_);
  EncodeFixed64(key + 8, offset);
}

Status Table::GetBlock(const ReadOptions& options, const BlockHandle& handle,
                       Cache::Handle** cache_handle, Block** cached,
                       BlockContents* contents) const {
  *cache_handle = nullptr;
  *cached = nullptr;
  Cache* cache = options_.block_cache;
  char key[kCacheKeySize];
  if (cache != nullptr) {
    CacheKey(handle.offset(), key);
    Cache::Handle* h = cache->Lookup(Slice(key, kCacheKeySize));
    if (h != nullptr) {
      if (options_.stats != nullptr) {
        options_.stats->block_cache_hits.fetch_add(1, std::memory_order_relaxed);
      }
      *cache_handle = h;
      *cached = static_cast<Block*>(cache->Value(h));
      return Status::OK();
    }
    if (options_.stats != nullptr) {
      options_.stats->block_cache_misses.fetch_add(1, std::memory_order_relaxed);
    }
  }
  Status s = ReadBlock(source_, handle, options.verify_checksums, contents);
  if (!s.ok()) return s;
  // Only checked blocks are shared: a later read with verify_checksums would
  // take an unchecked one from the cache without looking.
  if (cache != nullptr && options.fill_cache && options.verify_checksums) {
    // A block of a mapped file stays in the mapping (no copy): the mapping
    // lives as long as this Table, whose destructor erases its blocks from
    // the cache, and nobody holds a handle on them by then (iterators pin
    // the Table).
    if (!source_.file->IsMapped()) MakeOwned(contents);
    if (!contents->owned) cached_mapped_blocks_.store(true, std::memory_order_relaxed);
    Block* block = new Block(std::move(*contents), handle.offset());
    *cache_handle = cache->Insert(Slice(key, kCacheKeySize), block, block->size() + sizeof(Block),
                                  &DeleteCachedBlock);
    *cached = block;
  }
  return Status::OK();
}

Iterator* Table::BlockReader(void* arg, const ReadOptions& options, const Slice& index_value) {
  const Table* table = static_cast<const Table*>(arg);
  BlockHandle handle;
  Slice input = index_value;
  if (!handle.DecodeFrom(&input)) {
    return NewErrorIterator(TableCorruption(table->options_.file_name,
                                            "bad block handle in index block",
                                            table->index_handle_.offset()));
  }
  Cache::Handle* cache_handle;
  Block* cached;
  BlockContents contents;
  Status s = table->GetBlock(options, handle, &cache_handle, &cached, &contents);
  if (!s.ok()) return NewErrorIterator(s);
  const Comparator* cmp = table->options_.comparator;
  const std::string* name = &table->options_.file_name;
  if (cache_handle != nullptr) {
    Iterator* iter = cached->NewIterator(cmp, name);
    iter->RegisterCleanup(&ReleaseCacheHandle, table->options_.block_cache, cache_handle);
    return iter;
  }
  Block* block = new Block(std::move(contents), handle.offset());
  Iterator* iter = block->NewIterator(cmp, name);
  iter->RegisterCleanup(&DeleteBlock, block, nullptr);
  return iter;
}

Iterator* Table::NewIterator(const ReadOptions& options) const {
  return NewTwoLevelIterator(index_block_->NewIterator(options_.comparator, &options_.file_name),
                             &Table::BlockReader, const_cast<Table*>(this), options);
}

bool Table::KeyMayMatch(const Slice& key) const {
  if (filter_policy_ == nullptr) return true;
  const Slice filter_key = options_.filter_key != nullptr ? options_.filter_key(key) : key;
  return filter_policy_->HashMayMatch(FilterPolicy::FilterHash(filter_key), filter_);
}

Status Table::InternalGet(const ReadOptions& options, const Slice& key, void* arg,
                          void (*handle_result)(void*, const Slice&, const Slice&)) const {
  if (!KeyMayMatch(key)) return Status::OK();
  const Comparator* cmp = options_.comparator;
  Block::Iter index_iter(cmp, index_block_, &options_.file_name);
  index_iter.Seek(key);
  // Usually one pass: the first block whose separator is >= key holds the
  // first entry >= key, unless key falls between that block's last key and
  // its separator; then the entry opens the next block.
  for (; index_iter.Valid(); index_iter.Next()) {
    BlockHandle handle;
    Slice input = index_iter.value();
    if (!handle.DecodeFrom(&input)) {
      return TableCorruption(options_.file_name, "bad block handle in index block",
                             index_handle_.offset());
    }
    Cache::Handle* cache_handle;
    Block* block;
    BlockContents contents;
    Status s = GetBlock(options, handle, &cache_handle, &block, &contents);
    if (!s.ok()) return s;
    std::optional<Block> uncached;
    if (cache_handle == nullptr) {
      uncached.emplace(std::move(contents), handle.offset());
      block = &*uncached;
    }
    bool found = false;
    {
      Block::Iter iter(cmp, block, &options_.file_name);
      iter.Seek(key);
      if (iter.Valid()) {
        (*handle_result)(arg, iter.key(), iter.value());
        found = true;
      }
      s = iter.status();
    }
    if (cache_handle != nullptr) options_.block_cache->Release(cache_handle);
    if (found || !s.ok()) return s;
  }
  return index_iter.status();
}

Iterator* Table::NewRangeTombstoneIterator(const ReadOptions& options) const {
  if (!has_tombstones_) return nullptr;
  BlockContents contents;
  Status s = ReadBlock(source_, tombstone_handle_, options.verify_checksums, &contents);
  if (!s.ok()) return NewErrorIterator(s);
  Block* block = new Block(std::move(contents), tombstone_handle_.offset());
  Iterator* iter = block->NewIterator(options_.comparator, &options_.file_name);
  iter->RegisterCleanup(&DeleteBlock, block, nullptr);
  return iter;
}

uint64_t Table::ApproximateOffsetOf(const Slice& key) const {
  Block::Iter iter(options_.comparator, index_block_, &options_.file_name);
  iter.Seek(key);
  if (iter.Valid()) {
    BlockHandle handle;
    Slice input = iter.value();
    if (handle.DecodeFrom(&input)) return handle.offset();
  }
  // Past the last block (or an unreadable index): the end of the data.
  return properties_.data_size;
}

Status Table::Verify() const {
  const std::string& name = options_.file_name;
  const Comparator* cmp = options_.comparator;
  BlockContents contents;
  // Blocks whose contents were checked at Open are re-read: the file may
  // have changed under us since.
  for (const BlockHandle* handle : {&metaindex_handle_, &properties_handle_}) {
    Status s = ReadBlock(source_, *handle, true, &contents);
    if (!s.ok()) return s;
  }
  if (has_filter_block_) {
    Status s = ReadBlock(source_, filter_handle_, true, &contents);
    if (!s.ok()) return s;
  }
  if (has_tombstones_) {
    Status s = ReadBlock(source_, tombstone_handle_, true, &contents);
    if (!s.ok()) return s;
    Block block(std::move(contents), tombstone_handle_.offset());
    Block::Iter iter(cmp, &block, &name);
    std::string prev;
    uint64_t count = 0;
    for (iter.SeekToFirst(); iter.Valid(); iter.Next(), count++) {
      if (count > 0 && cmp->Compare(iter.key(), prev) <= 0) {
        return TableCorruption(name, "range tombstones out of order in block",
                               tombstone_handle_.offset());
      }
      prev.assign(iter.key().data(), iter.key().size());
    }
    if (!iter.status().ok()) return iter.status();
    if (count != properties_.num_range_tombstones) {
      return TableCorruption(name, "range tombstone count differs from the properties",
                             tombstone_handle_.offset());
    }
  }

  Status s = ReadBlock(source_, index_handle_, true, &contents);
  if (!s.ok()) return s;
  Block index(std::move(contents), index_handle_.offset());
  Block::Iter index_iter(cmp, &index, &name);
  std::string prev_key, prev_separator;
  bool have_key = false, have_separator = false;
  uint64_t entries = 0, blocks = 0;
  for (index_iter.SeekToFirst(); index_iter.Valid(); index_iter.Next(), blocks++) {
    const Slice separator = index_iter.key();
    if (have_separator && cmp->Compare(separator, prev_separator) <= 0) {
      return TableCorruption(name, "index keys out of order", index_handle_.offset());
    }
    BlockHandle handle;
    Slice input = index_iter.value();
    if (!handle.DecodeFrom(&input)) {
      return TableCorruption(name, "bad block handle in index block", index_handle_.offset());
    }
    s = ReadBlock(source_, handle, true, &contents);
    if (!s.ok()) return s;
    Block block(std::move(contents), handle.offset());
    Block::Iter iter(cmp, &block, &name);
    for (iter.SeekToFirst(); iter.Valid(); iter.Next(), entries++) {
      const Slice key = iter.key();
      if (have_key && cmp->Compare(key, prev_key) <= 0) {
        return TableCorruption(name, "keys out of order in data block", handle.offset());
      }
      if (have_separator && cmp->Compare(key, prev_separator) <= 0) {
        return TableCorruption(name, "key not after the previous block's index key",
                               handle.offset());
      }
      if (cmp->Compare(key, separator) > 0) {
        return TableCorruption(name, "key after its block's index key", handle.offset());
      }
      if (!KeyMayMatch(key)) {
        return TableCorruption(name, "filter does not match a key of the table",
                               filter_handle_.offset());
      }
      prev_key.assign(key.data(), key.size());
      have_key = true;
    }
    if (!iter.status().ok()) return iter.status();
    prev_separator.assign(separator.data(), separator.size());
    have_separator = true;
  }
  if (!index_iter.status().ok()) return index_iter.status();
  if (entries != properties_.num_entries || blocks != properties_.num_data_blocks) {
    return TableCorruption(name,
                           "table holds " + std::to_string(entries) + " entries in " +
                               std::to_string(blocks) + " blocks, its properties say " +
                               std::to_string(properties_.num_entries) + " in " +
                               std::to_string(properties_.num_data_blocks),
                           properties_handle_.offset());
  }
  return Status::OK();
}

}  // namespace strata
