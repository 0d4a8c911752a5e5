// MemTable: entry encoding, lookups and iterators over the skip lists.
#include "db/memtable.h"

namespace strata {

static Slice GetLengthPrefixed(const char* data) {
  uint32_t len;
  const char* p = GetVarint32Ptr(data, data + 5, &len);
  return Slice(p, len);
}

int MemTable::KeyComparator::operator()(const char* a, const char* b) const {
  return comparator->Compare(GetLengthPrefixed(a), GetLengthPrefixed(b));
}

// The user key of a skip-list entry.
static Slice EntryUserKey(const char* entry) { return ExtractUserKey(GetLengthPrefixed(entry)); }

MemTable::MemTable(const InternalKeyComparator& comparator, size_t arena_block_size,
                   size_t bloom_bytes, size_t index_bytes)
    : comparator_(comparator),
      arena_(arena_block_size),
      table_(KeyComparator{&comparator_}, &arena_),
      tombstone_table_(KeyComparator{&comparator_}, &arena_),
      bloom_(bloom_bytes > 0 ? std::make_unique<MemTableBloom>(bloom_bytes) : nullptr),
      index_(index_bytes > 0 ? std::make_unique<MemTableIndex>(index_bytes, &EntryUserKey)
                             : nullptr) {}

const char* MemTable::Insert(Table* table, SequenceNumber seq, uint8_t type, const Slice& key,
                             const Slice& value, const char** successor) {
  const size_t key_size = key.size();
  const size_t internal_key_size = key_size + 8;
  const size_t encoded_len = VarintLength(internal_key_size) + internal_key_size +
                             VarintLength(value.size()) + value.size();
  char* buf = table->AllocateKey(encoded_len);
  char* p = EncodeVarint32(buf, static_cast<uint32_t>(internal_key_size));
  memcpy(p, key.data(), key_size);
  p += key_size;
  EncodeFixed64(p, PackSequenceAndType(seq, type));
  p += 8;
  p = EncodeVarint32(p, static_cast<uint32_t>(value.size()));
  memcpy(p, value.data(), value.size());
  const char* next = table->Insert(buf);
  if (successor != nullptr) *successor = next;
  if (first_seq_.load(std::memory_order_relaxed) == 0) {
    first_seq_.store(seq, std::memory_order_relaxed);
  }
  data_size_.fetch_add(key_size + value.size(), std::memory_order_relaxed);
  return buf;
}

void MemTable::Add(SequenceNumber seq, ValueType type, const Slice& key, const Slice& value) {
  if (bloom_ != nullptr) bloom_->Add(key);  // before Insert publishes the entry
  const char* successor = nullptr;
  const char* entry = Insert(&table_, seq, type, key, value, &successor);
  if (index_ != nullptr) {
    // The entry after the new one is the key's previous newest, if it has
    // one (newer versions sort first); the skip list's search just read it.
    const char* replaced =
        successor != nullptr && EntryUserKey(successor) == key ? successor : nullptr;
    index_->Add(key, entry, replaced);  // after Insert: the slot leads to a published entry
  }
  num_entries_.fetch_add(1, std::memory_order_relaxed);
  if (type == kTypeDeletion) num_deletes_.fetch_add(1, std::memory_order_relaxed);
}

void MemTable::AddRangeTombstone(SequenceNumber seq, const Slice& begin, const Slice& end) {
  Insert(&tombstone_table_, seq, kTypeRangeDeletion, begin, end);
  {
    std::lock_guard<std::mutex> l(tombstones_mu_);
    tombstones_.reset();  // rebuilt by the next reader that needs it
  }
  num_range_tombstones_.fetch_add(1);
}

std::shared_ptr<const FragmentedTombstones> MemTable::GetTombstones() const {
  static const auto* empty =
      new std::shared_ptr<const FragmentedTombstones>(std::make_shared<FragmentedTombstones>());
  if (!HasRangeTombstones()) return *empty;
  std::lock_guard<std::mutex> l(tombstones_mu_);
  if (tombstones_ == nullptr) {
    std::vector<RangeTombstone> list;
    Table::Iterator iter(&tombstone_table_);
    for (iter.SeekToFirst(); iter.Valid(); iter.Next()) {
      Slice ikey = GetLengthPrefixed(iter.key());
      Slice end = GetLengthPrefixed(ikey.data() + ikey.size());
      list.push_back(RangeTombstone{ExtractUserKey(ikey).ToString(), end.ToString(),
                                    ExtractTrailer(ikey) >> 8});
    }
    tombstones_ =
        std::make_shared<FragmentedTombstones>(comparator_.user_comparator(), std::move(list));
  }
  return tombstones_;
}

MemTable::GetResult MemTable::Get(const LookupKey& key, std::string* value) const {
  SequenceNumber covering = 0;
  const SequenceNumber snapshot = ExtractTrailer(key.internal_key()) >> 8;
  if (HasRangeTombstones()) covering = GetTombstones()->MaxCoveringSeq(key.user_key(), snapshot);
  const GetResult absent = covering > 0 ? GetResult::kDeleted : GetResult::kNotHere;
  if (bloom_ != nullptr && !bloom_->MayContain(key.user_key())) return absent;

  // The newest entry for the key visible at the snapshot, if any.
  const char* entry = nullptr;
  if (index_ != nullptr && !index_->Full()) {
    entry = index_->Find(key.user_key());
    if (entry == nullptr) return absent;
    // A version newer than the read: the skip list finds the one it sees.
    if ((ExtractTrailer(GetLengthPrefixed(entry)) >> 8) > snapshot) entry = nullptr;
  }
  if (entry == nullptr) {
    Table::Iterator iter(&table_);
    iter.Seek(key.memtable_key().data());
    if (!iter.Valid() ||
        comparator_.CompareUserKeys(EntryUserKey(iter.key()), key.user_key()) != 0) {
      return absent;
    }
    entry = iter.key();
  }
  Slice ikey = GetLengthPrefixed(entry);
  const uint64_t tag = ExtractTrailer(ikey);
  if ((tag >> 8) <= covering) return absent;
  if ((tag & 0xff) != kTypeValue) return GetResult::kDeleted;
  Slice v = GetLengthPrefixed(ikey.data() + ikey.size());
  value->assign(v.data(), v.size());
  return GetResult::kFound;
}

namespace {

// Iterates a memtable skip list, presenting internal keys and values.
class MemTableIterator final : public Iterator {
 public:
  explicit MemTableIterator(const MemTable::Table* list) : iter_(list) {}

  bool Valid() const override { return iter_.Valid(); }
  void Seek(const Slice& k) override { iter_.Seek(EncodeKey(k)); }
  void SeekForPrev(const Slice& k) override { iter_.SeekForPrev(EncodeKey(k)); }
  void SeekToFirst() override { iter_.SeekToFirst(); }
  void SeekToLast() override { iter_.SeekToLast(); }
  void Next() override { iter_.Next(); }
  void Prev() override { iter_.Prev(); }
  Slice key() const override { return GetLengthPrefixed(iter_.key()); }
  Slice value() const override {
    Slice k = GetLengthPrefixed(iter_.key());
    return GetLengthPrefixed(k.data() + k.size());
  }
  Status status() const override { return Status::OK(); }

 private:
  const char* EncodeKey(const Slice& target) {
    scratch_.clear();
    PutVarint32(&scratch_, static_cast<uint32_t>(target.size()));
    scratch_.append(target.data(), target.size());
    return scratch_.data();
  }

  MemTable::Table::Iterator iter_;
  std::string scratch_;
};

}  // namespace

Iterator* MemTable::NewIterator() { return new MemTableIterator(&table_); }

Iterator* MemTable::NewRangeTombstoneIterator() {
  if (!HasRangeTombstones()) return nullptr;
  return new MemTableIterator(&tombstone_table_);
}

}  // namespace strata
