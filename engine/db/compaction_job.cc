// CompactionJob: the merge loop of a compaction.
//
// A version of a key is dropped when no reader can see it: a newer version
// of the same key is visible to every snapshot; or it is a point deletion
// every snapshot sees with nothing older below the output level; or a range
// tombstone every snapshot sees covers it. Range tombstones are carried into
// the outputs, each output receiving the fragments within its key range, and
// dropped at the bottom once every snapshot sees them.
#include "db/compaction_job.h"

#include <memory>

#include "db/filename.h"
#include "db/table_cache.h"
#include "db/table_writer.h"
#include "table/merging_iterator.h"

namespace strata {

CompactionJob::CompactionJob(const Options& options, Compaction* compaction)
    : options_(options), c_(compaction) {}

Status CompactionJob::Run() {
  const auto* icmp = static_cast<const InternalKeyComparator*>(options_.table_options->comparator);
  const Comparator* ucmp = icmp->user_comparator();
  TableCache* tc = options_.table_cache;
  const SequenceNumber smallest_snapshot = options_.smallest_snapshot;

  ReadOptions ro;
  ro.fill_cache = false;
  std::vector<Iterator*> iters;
  std::vector<RangeTombstone> tombstone_list;
  Status s;
  for (int which = 0; which < 2 && s.ok(); which++) {
    const std::vector<FileMetaData*>& files = c_->inputs(which);
    if (files.empty()) continue;
    if (c_->level() + which == 0) {
      for (FileMetaData* f : files) iters.push_back(tc->NewIterator(ro, *f));
    } else {
      iters.push_back(NewLevelIterator(tc, ro, icmp, &files));
    }
    for (FileMetaData* f : files) {
      if (f->num_range_deletions == 0) continue;
      std::shared_ptr<const FragmentedTombstones> t;
      s = tc->GetTombstones(*f, &t);
      if (!s.ok()) break;
      for (const auto& frag : t->fragments()) {
        for (SequenceNumber seq : frag.seqs) {
          tombstone_list.push_back(RangeTombstone{frag.start, frag.end, seq});
        }
      }
    }
  }
  std::unique_ptr<Iterator> input(
      NewMergingIterator(icmp, iters.data(), static_cast<int>(iters.size())));
  if (!s.ok()) return s;
  const FragmentedTombstones tombstones(ucmp, std::move(tombstone_list));
  bytes_read_ = c_->InputBytes();

  std::unique_ptr<TableFileWriter> out;
  std::string lower;  // the current output's lower key bound for tombstones
  bool has_lower = false;
  size_t next_fragment = 0;

  // Adds the surviving tombstone fragments below `upper` (null: all the
  // rest), clipped to [lower, upper), to the current output.
  auto add_tombstones = [&](const Slice* upper) {
    const auto& frags = tombstones.fragments();
    while (next_fragment < frags.size()) {
      const auto& f = frags[next_fragment];
      if (upper != nullptr && ucmp->Compare(f.start, *upper) >= 0) break;
      Slice start = f.start;
      if (has_lower && ucmp->Compare(start, lower) < 0) start = lower;
      Slice end = f.end;
      bool done_with_fragment = true;
      if (upper != nullptr && ucmp->Compare(end, *upper) > 0) {
        end = *upper;
        done_with_fragment = false;  // the rest belongs to the next output
      }
      if (ucmp->Compare(start, end) < 0) {
        for (SequenceNumber seq : f.seqs) {
          if (seq <= smallest_snapshot) {
            // Every snapshot sees this one, so older ones add nothing; at
            // the bottom nothing is left for it to delete.
            if (!c_->bottommost()) out->AddTombstone(start, end, seq);
            break;
          }
          out->AddTombstone(start, end, seq);
        }
      }
      if (!done_with_fragment) break;
      next_fragment++;
    }
  };
  auto open_output = [&]() -> Status {
    out = std::make_unique<TableFileWriter>(options_.env, options_.dbname, *options_.table_options,
                                            options_.new_file_number());
    return out->Open();
  };
  auto finish_output = [&](const Slice* next_user_key) -> Status {
    add_tombstones(next_user_key);
    Status st = out->status();
    FileMetaData meta;
    if (st.ok() && out->NumEntries() == 0) {
      out->Abandon();  // only dropped tombstones: nothing to keep
    } else if (st.ok()) {
      st = out->Finish(&meta);
      if (st.ok()) {
        outputs_.push_back(meta);
        bytes_written_ += meta.file_size;
      }
    } else {
      out->Abandon();
    }
    out.reset();
    if (next_user_key != nullptr) {
      lower.assign(next_user_key->data(), next_user_key->size());
      has_lower = true;
    }
    return st;
  };

  std::string current_user_key;
  bool has_current = false;
  SequenceNumber last_sequence_for_key = kMaxSequenceNumber;
  uint64_t count = 0;
  for (input->SeekToFirst(); s.ok() && input->Valid(); input->Next()) {
    if ((++count & 1023) == 0 && options_.shutting_down->load(std::memory_order_relaxed)) {
      s = Status::Aborted("compaction stopped: the store is closing");
      break;
    }
    const Slice key = input->key();
    ParsedInternalKey ikey;
    if (!ParseInternalKey(key, &ikey) || ikey.type > kTypeValue) {
      s = Status::Corruption("compaction input holds a malformed internal key");
      break;
    }
    if (!has_current || ucmp->Compare(ikey.user_key, current_user_key) != 0) {
      // Outputs are cut only between user keys, so no key spans two files.
      const bool stop = c_->ShouldStopBefore(key);
      if (out != nullptr && (stop || out->FileSize() >= c_->MaxOutputFileSize())) {
        s = finish_output(&ikey.user_key);
        if (!s.ok()) break;
      }
      current_user_key.assign(ikey.user_key.data(), ikey.user_key.size());
      has_current = true;
      last_sequence_for_key = kMaxSequenceNumber;
    }
    bool drop = false;
    if (last_sequence_for_key <= smallest_snapshot) {
      drop = true;
    } else if (ikey.type == kTypeDeletion && ikey.sequence <= smallest_snapshot &&
               c_->IsBaseLevelForKey(ikey.user_key)) {
      drop = true;
    } else if (!tombstones.empty() &&
               tombstones.MaxCoveringSeq(ikey.user_key, smallest_snapshot) > ikey.sequence) {
      drop = true;
    }
    last_sequence_for_key = ikey.sequence;
    if (drop) {
      entries_dropped_++;
      continue;
    }
    if (out == nullptr) {
      s = open_output();
      if (!s.ok()) break;
    }
    out->Add(key, input->value());
  }
  if (s.ok()) s = input->status();
  if (s.ok()) {
    if (out == nullptr && next_fragment < tombstones.fragments().size()) s = open_output();
    if (s.ok() && out != nullptr) s = finish_output(nullptr);
  }
  if (!s.ok()) {
    if (out != nullptr) out->Abandon();
    out.reset();
    for (const FileMetaData& f : outputs_) {
      options_.env->RemoveFile(TableFileName(options_.dbname, f.number));
    }
    outputs_.clear();
  }
  return s;
}

}  // namespace strata
