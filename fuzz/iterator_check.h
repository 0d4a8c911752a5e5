// Checks an engine Iterator against a sorted model (fuzz targets block and sstable).
//
// The model is a list of entries in strictly increasing key order under the comparator the
// iterator uses. CheckScans compares full forward and backward scans; CheckOps replays a
// sequence of operations read from fuzz input bytes (seeks to keys of the model and to
// neighbours of them, Next, Prev) and compares the position after each with the model's.
// Any difference aborts (FUZZ_CHECK). One fuzzing thread only.
#ifndef STRATA_FUZZ_ITERATOR_CHECK_H_
#define STRATA_FUZZ_ITERATOR_CHECK_H_

#include <string>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "strata/comparator.h"
#include "strata/iterator.h"

namespace strata {
namespace fuzz {

struct KV {
  std::string key;
  std::string value;
};

// A seek target near the model's keys: one of them, or a neighbour (a byte appended, the
// last byte dropped or changed), or a key below or above all of them.
inline std::string SeekTarget(const std::vector<KV>& model, uint8_t a, uint8_t b) {
  if (model.empty() || a % 16 == 15) return a & 16 ? std::string() : std::string(4, '\xff');
  std::string k = model[(static_cast<size_t>(a) * 256 + b) % model.size()].key;
  switch (b % 6) {
    case 0:
    case 1:
      break;
    case 2:
      k.push_back(static_cast<char>(a & 1 ? 0 : 0xff));
      break;
    case 3:
      if (!k.empty()) k.pop_back();
      break;
    case 4:
      if (!k.empty()) k.back() = static_cast<char>(k.back() + 1);
      break;
    default:
      if (!k.empty()) k.back() = static_cast<char>(k.back() - 1);
      break;
  }
  return k;
}

// Index of the first model entry >= t (model.size() if none).
inline size_t LowerBound(const std::vector<KV>& model, const Comparator* cmp, const Slice& t) {
  size_t lo = 0, hi = model.size();
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (cmp->Compare(model[mid].key, t) < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

// Checks that iter is at model[pos] (pos == model.size(): not valid), status OK.
inline void CheckAt(Iterator* iter, const std::vector<KV>& model, size_t pos, const char* what,
                    const char* op, size_t step) {
  const Status s = iter->status();
  FUZZ_CHECK(s.ok(), "%s: step %zu %s: status %s", what, step, op, s.ToString().c_str());
  FUZZ_CHECK(iter->Valid() == (pos < model.size()),
             "%s: step %zu %s: Valid() %d, model at %zu of %zu", what, step, op, iter->Valid(), pos,
             model.size());
  if (pos < model.size()) {
    FUZZ_CHECK(iter->key() == Slice(model[pos].key), "%s: step %zu %s: key %s, model %s", what,
               step, op, Hex(iter->key()).c_str(), Hex(model[pos].key).c_str());
    FUZZ_CHECK(iter->value() == Slice(model[pos].value), "%s: step %zu %s: value of %s differs",
               what, step, op, Hex(model[pos].key).c_str());
  }
}

// Full scans, both directions.
inline void CheckScans(Iterator* iter, const std::vector<KV>& model, const char* what) {
  size_t i = 0;
  iter->SeekToFirst();
  while (true) {
    CheckAt(iter, model, i, what, "forward scan", i);
    if (i == model.size()) break;
    iter->Next();
    i++;
  }
  iter->SeekToLast();
  i = model.size();
  while (true) {
    CheckAt(iter, model, i == 0 ? model.size() : i - 1, what, "backward scan", model.size() - i);
    if (i == 0) break;
    iter->Prev();
    i--;
  }
}

// Makes a seek target from two input bytes.
using TargetFunction = std::string (*)(const std::vector<KV>& model, uint8_t a, uint8_t b);

// Replays the operations encoded in ops (2 bytes each, at most max_ops of them).
inline void CheckOps(Iterator* iter, const std::vector<KV>& model, const Comparator* cmp, Slice ops,
                     const char* what, TargetFunction target = SeekTarget, size_t max_ops = 200) {
  const size_t n = model.size();
  size_t pos = n;  // n: not valid
  for (size_t step = 0; ops.size() >= 2 && step < max_ops; step++) {
    const uint8_t a = static_cast<uint8_t>(ops[0]);
    const uint8_t b = static_cast<uint8_t>(ops[1]);
    ops.remove_prefix(2);
    const char* op;
    switch (a % 8) {
      case 0:
        op = "SeekToFirst";
        iter->SeekToFirst();
        pos = 0;
        break;
      case 1:
        op = "SeekToLast";
        iter->SeekToLast();
        pos = n == 0 ? n : n - 1;
        break;
      case 2: {
        op = "Seek";
        const std::string t = target(model, a >> 3, b);
        iter->Seek(t);
        pos = LowerBound(model, cmp, t);
        break;
      }
      case 3: {
        op = "SeekForPrev";
        const std::string t = target(model, a >> 3, b);
        iter->SeekForPrev(t);
        size_t p = LowerBound(model, cmp, t);
        if (p < n && cmp->Compare(model[p].key, t) == 0) {
          pos = p;
        } else {
          pos = p == 0 ? n : p - 1;
        }
        break;
      }
      case 4:
      case 5:
        if (pos == n) continue;
        op = "Next";
        iter->Next();
        pos++;
        break;
      default:
        if (pos == n) continue;
        op = "Prev";
        iter->Prev();
        pos = pos == 0 ? n : pos - 1;
        break;
    }
    CheckAt(iter, model, pos, what, op, step);
  }
}

}  // namespace fuzz
}  // namespace strata

#endif  // STRATA_FUZZ_ITERATOR_CHECK_H_
