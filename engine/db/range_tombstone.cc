// Fragmenting overlapping range tombstones by a sweep over their boundaries.
#include "db/range_tombstone.h"

#include <algorithm>

namespace strata {

FragmentedTombstones::FragmentedTombstones(const Comparator* ucmp,
                                           std::vector<RangeTombstone> tombstones)
    : ucmp_(ucmp) {
  auto less = [ucmp](const std::string& a, const std::string& b) {
    return ucmp->Compare(a, b) < 0;
  };
  std::vector<std::string> points;
  points.reserve(tombstones.size() * 2);
  for (const RangeTombstone& t : tombstones) {
    if (ucmp->Compare(t.start, t.end) >= 0) continue;  // empty range
    points.push_back(t.start);
    points.push_back(t.end);
    max_seq_ = std::max(max_seq_, t.seq);
  }
  std::sort(points.begin(), points.end(), less);
  points.erase(std::unique(points.begin(), points.end(),
                           [ucmp](const std::string& a, const std::string& b) {
                             return ucmp->Compare(a, b) == 0;
                           }),
               points.end());
  if (points.size() < 2) return;

  // For each elementary interval [points[i], points[i+1]), the tombstones
  // covering it are exactly those with start <= points[i] and end >= points[i+1].
  std::sort(
      tombstones.begin(), tombstones.end(),
      [&less](const RangeTombstone& a, const RangeTombstone& b) { return less(a.start, b.start); });
  std::vector<const RangeTombstone*> active;
  size_t next = 0;
  for (size_t i = 0; i + 1 < points.size(); i++) {
    const std::string& lo = points[i];
    const std::string& hi = points[i + 1];
    while (next < tombstones.size() && ucmp->Compare(tombstones[next].start, lo) <= 0) {
      if (ucmp->Compare(tombstones[next].start, tombstones[next].end) < 0) {
        active.push_back(&tombstones[next]);
      }
      next++;
    }
    active.erase(
        std::remove_if(active.begin(), active.end(),
                       [&](const RangeTombstone* t) { return ucmp->Compare(t->end, hi) < 0; }),
        active.end());
    if (active.empty()) continue;
    std::vector<SequenceNumber> seqs;
    seqs.reserve(active.size());
    for (const RangeTombstone* t : active) seqs.push_back(t->seq);
    std::sort(seqs.begin(), seqs.end(), std::greater<SequenceNumber>());
    seqs.erase(std::unique(seqs.begin(), seqs.end()), seqs.end());
    // Merge with the previous fragment when contiguous and identical.
    if (!fragments_.empty() && fragments_.back().seqs == seqs &&
        ucmp->Compare(fragments_.back().end, lo) == 0) {
      fragments_.back().end = hi;
    } else {
      fragments_.push_back(Fragment{lo, hi, std::move(seqs)});
    }
  }
}

size_t FragmentedTombstones::LowerBound(const Slice& user_key) const {
  size_t lo = 0, hi = fragments_.size();
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (ucmp_->Compare(fragments_[mid].end, user_key) <= 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

const FragmentedTombstones::Fragment* FragmentedTombstones::FindCovering(
    const Slice& user_key) const {
  size_t i = LowerBound(user_key);
  if (i < fragments_.size() && ucmp_->Compare(fragments_[i].start, user_key) <= 0) {
    return &fragments_[i];
  }
  return nullptr;
}

SequenceNumber FragmentedTombstones::MaxCoveringSeq(const Slice& user_key,
                                                    SequenceNumber snapshot) const {
  if (fragments_.empty()) return 0;
  const Fragment* f = FindCovering(user_key);
  if (f == nullptr) return 0;
  for (SequenceNumber s : f->seqs) {
    if (s <= snapshot) return s;
  }
  return 0;
}

Status CollectRangeTombstones(Iterator* iter, std::vector<RangeTombstone>* out) {
  for (iter->SeekToFirst(); iter->Valid(); iter->Next()) {
    ParsedInternalKey parsed;
    if (!ParseInternalKey(iter->key(), &parsed) || parsed.type != kTypeRangeDeletion) {
      return Status::Corruption("malformed range tombstone");
    }
    out->push_back(
        RangeTombstone{parsed.user_key.ToString(), iter->value().ToString(), parsed.sequence});
  }
  return iter->status();
}

}  // namespace strata
