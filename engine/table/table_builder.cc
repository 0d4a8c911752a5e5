// TableBuilder: writes the blocks of one SSTable in file order.
//
// File layout written here (details in docs/sstable_format.md):
//
//   data block 0 | ... | data block N-1      each followed by its 5-byte trailer
//   filter block         (if a filter policy is set)
//   range tombstone block (if any tombstone was added)
//   index block          separator key -> data block handle, restart interval 1
//   properties block     property name -> value, sorted by name
//   metaindex block      "filter.<policy>", "strata.properties",
//                        "strata.range_tombstones" -> block handle
//   footer               56 bytes (format.cc)
//
// The index is written before the properties so that its size can be
// recorded there.
#include "table/table_builder.h"

#include <cassert>

#include "table/filter_policy.h"
#include "util/coding.h"

namespace strata {

namespace {

constexpr int kIndexRestartInterval = 1;  // every index key whole: exact binary search
constexpr int kMetaRestartInterval = 1;

}  // namespace

TableBuilder::TableBuilder(const TableOptions& options, WritableFile* file)
    : options_(options),
      file_(file),
      data_block_(options.block_restart_interval),
      index_block_(kIndexRestartInterval),
      tombstone_block_(options.block_restart_interval) {}

TableBuilder::~TableBuilder() = default;

void TableBuilder::Add(const Slice& key, const Slice& value) {
  assert(!closed_);
  if (!status_.ok()) return;
  if (num_entries_ > 0 && options_.comparator->Compare(key, last_key_) <= 0) {
    SetError(Status::InvalidArgument(options_.file_name + ": keys added out of order"));
    return;
  }
  if (pending_index_entry_) {
    // The separator only has to lie in [last key of the block, key).
    options_.comparator->FindShortestSeparator(&last_key_, key);
    handle_encoding_.clear();
    pending_handle_.EncodeTo(&handle_encoding_);
    index_block_.Add(last_key_, handle_encoding_);
    pending_index_entry_ = false;
  }
  if (options_.filter_policy != nullptr) {
    const Slice filter_key = options_.filter_key != nullptr ? options_.filter_key(key) : key;
    const uint64_t hash = FilterPolicy::FilterHash(filter_key);
    // Consecutive equal filter keys (versions of one user key) are added
    // once. Equal hashes of different keys set the same bits anyway.
    if (filter_hashes_.empty() || filter_hashes_.back() != hash) filter_hashes_.push_back(hash);
  }
  if (num_entries_ == 0) first_key_.assign(key.data(), key.size());
  last_key_.assign(key.data(), key.size());
  num_entries_++;
  raw_key_size_ += key.size();
  raw_value_size_ += value.size();
  data_block_.Add(key, value);
  if (data_block_.CurrentSizeEstimate() >= options_.block_size) FlushDataBlock();
}

void TableBuilder::AddRangeTombstone(const Slice& start_key, const Slice& end) {
  assert(!closed_);
  if (!status_.ok()) return;
  if (num_range_tombstones_ > 0 &&
      options_.comparator->Compare(start_key, last_tombstone_key_) <= 0) {
    SetError(Status::InvalidArgument(options_.file_name + ": range tombstones added out of order"));
    return;
  }
  last_tombstone_key_.assign(start_key.data(), start_key.size());
  tombstone_block_.Add(start_key, end);
  num_range_tombstones_++;
}

void TableBuilder::SetProperty(const std::string& name, const std::string& value) {
  assert(!closed_);
  if (Slice(name).starts_with(kReservedPropertyPrefix)) {
    SetError(Status::InvalidArgument("property name is reserved", name));
    return;
  }
  user_properties_[name] = value;
}

void TableBuilder::FlushDataBlock() {
  if (data_block_.empty() || !status_.ok()) return;
  WriteBlock(&data_block_, &pending_handle_);
  pending_index_entry_ = true;
  num_data_blocks_++;
}

void TableBuilder::WriteBlock(BlockBuilder* block, BlockHandle* handle) {
  WriteRawBlock(block->Finish(), handle);
  block->Reset();
}

void TableBuilder::WriteRawBlock(const Slice& contents, BlockHandle* handle) {
  handle->set_offset(offset_);
  handle->set_size(contents.size());
  if (!status_.ok()) return;
  char trailer[kBlockTrailerSize];
  trailer[0] = static_cast<char>(kNoCompression);
  EncodeFixed32(trailer + 1, BlockChecksum(contents.data(), contents.size(), trailer[0]));
  Status s = file_->Append(contents);
  if (s.ok()) s = file_->Append(Slice(trailer, kBlockTrailerSize));
  if (!s.ok()) {
    SetError(s);
    return;
  }
  offset_ += contents.size() + kBlockTrailerSize;
}

Status TableBuilder::Finish() {
  assert(!closed_);
  FlushDataBlock();
  closed_ = true;
  const uint64_t data_size = offset_;
  const std::string last_key = last_key_;  // before the index shortens it

  BlockHandle filter_handle, tombstone_handle, index_handle, properties_handle, metaindex_handle;
  uint64_t filter_size = 0;
  if (options_.filter_policy != nullptr) {
    std::string filter;
    options_.filter_policy->CreateFilter(filter_hashes_.data(), filter_hashes_.size(), &filter);
    WriteRawBlock(filter, &filter_handle);
    filter_size = filter.size() + kBlockTrailerSize;
    std::vector<uint64_t>().swap(filter_hashes_);
  }

  if (num_range_tombstones_ > 0) WriteBlock(&tombstone_block_, &tombstone_handle);

  if (pending_index_entry_) {
    options_.comparator->FindShortSuccessor(&last_key_);
    handle_encoding_.clear();
    pending_handle_.EncodeTo(&handle_encoding_);
    index_block_.Add(last_key_, handle_encoding_);
    pending_index_entry_ = false;
  }
  WriteBlock(&index_block_, &index_handle);
  const uint64_t index_size = index_handle.size() + kBlockTrailerSize;

  {
    std::map<std::string, std::string> props = user_properties_;
    auto put_number = [&props](const char* name, uint64_t value) {
      std::string encoded;
      PutVarint64(&encoded, value);
      props[name] = encoded;
    };
    put_number(kPropNumEntries, num_entries_);
    put_number(kPropNumRangeTombstones, num_range_tombstones_);
    put_number(kPropRawKeySize, raw_key_size_);
    put_number(kPropRawValueSize, raw_value_size_);
    put_number(kPropDataSize, data_size);
    put_number(kPropIndexSize, index_size);
    put_number(kPropFilterSize, filter_size);
    put_number(kPropNumDataBlocks, num_data_blocks_);
    if (num_entries_ > 0) {
      props[kPropFirstKey] = first_key_;
      props[kPropLastKey] = last_key;
    }
    props[kPropComparator] = options_.comparator->Name();
    if (options_.filter_policy != nullptr)
      props[kPropFilterPolicy] = options_.filter_policy->Name();
    BlockBuilder block(kMetaRestartInterval);
    for (const auto& [name, value] : props) block.Add(name, value);
    WriteBlock(&block, &properties_handle);
  }

  {
    // Added in bytewise order of the names: "filter." < "strata.p" < "strata.r".
    BlockBuilder metaindex(kMetaRestartInterval);
    std::string handle;
    if (options_.filter_policy != nullptr) {
      filter_handle.EncodeTo(&handle);
      metaindex.Add(std::string(kFilterBlockPrefix) + options_.filter_policy->Name(), handle);
    }
    handle.clear();
    properties_handle.EncodeTo(&handle);
    metaindex.Add(kPropertiesBlockName, handle);
    if (num_range_tombstones_ > 0) {
      handle.clear();
      tombstone_handle.EncodeTo(&handle);
      metaindex.Add(kRangeTombstoneBlockName, handle);
    }
    WriteBlock(&metaindex, &metaindex_handle);
  }

  if (status_.ok()) {
    Footer footer;
    footer.set_metaindex_handle(metaindex_handle);
    footer.set_index_handle(index_handle);
    std::string encoded;
    footer.EncodeTo(&encoded);
    Status s = file_->Append(encoded);
    if (s.ok()) {
      offset_ += encoded.size();
    } else {
      SetError(s);
    }
  }
  return status_;
}

void TableBuilder::Abandon() {
  assert(!closed_);
  closed_ = true;
}

uint64_t TableBuilder::FileSize() const {
  return closed_ ? offset_ : offset_ + data_block_.CurrentSizeEstimate();
}

}  // namespace strata
