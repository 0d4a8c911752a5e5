// Parsing and validation of strata's table options.
#include "sqlite_ext/table_options.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace strata {

namespace {

constexpr uint64_t kMinMemtable = 64 << 10;
constexpr uint64_t kMaxMemtable = 4ull << 30;
constexpr uint64_t kMinBlockSize = 256;
constexpr uint64_t kMaxBlockSize = 4 << 20;
constexpr uint64_t kMinFileSize = 64 << 10;
constexpr uint64_t kMaxSize = 1ull << 50;

const char* const kOptionNames =
    "path, sync, memtable_size, block_cache_size, block_size, bloom_bits, max_levels, "
    "level1_size, level_multiplier, target_file_size, readonly, bulk_load";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return r;
}

bool ParseInt(std::string_view text, int64_t lo, int64_t hi, int* out) {
  std::string t = Unquote(text);
  if (t.empty() || t.size() > 18) return false;
  size_t i = 0;
  bool neg = false;
  if (t[0] == '-' || t[0] == '+') {
    neg = t[0] == '-';
    i = 1;
  }
  if (i >= t.size()) return false;
  int64_t v = 0;
  for (; i < t.size(); i++) {
    if (!isdigit(static_cast<unsigned char>(t[i]))) return false;
    v = v * 10 + (t[i] - '0');
  }
  if (neg) v = -v;
  if (v < lo || v > hi) return false;
  *out = static_cast<int>(v);
  return true;
}

std::string SizeText(uint64_t bytes) {
  if (bytes % (1ull << 30) == 0) return std::to_string(bytes >> 30) + "GiB";
  if (bytes % (1ull << 20) == 0) return std::to_string(bytes >> 20) + "MiB";
  if (bytes % (1ull << 10) == 0) return std::to_string(bytes >> 10) + "KiB";
  return std::to_string(bytes);
}

}  // namespace

std::string Unquote(std::string_view text) {
  text = Trim(text);
  if (text.size() >= 2 && (text.front() == '\'' || text.front() == '"') &&
      text.back() == text.front()) {
    const char q = text.front();
    std::string r;
    for (size_t i = 1; i + 1 < text.size(); i++) {
      r.push_back(text[i]);
      if (text[i] == q && i + 2 < text.size() && text[i + 1] == q) i++;
    }
    return r;
  }
  return std::string(text);
}

bool ParseSize(std::string_view text, uint64_t* bytes) {
  std::string t = Unquote(text);
  std::string_view s = Trim(t);
  size_t i = 0;
  uint64_t v = 0;
  while (i < s.size() && isdigit(static_cast<unsigned char>(s[i]))) {
    if (v > kMaxSize) return false;
    v = v * 10 + (s[i] - '0');
    i++;
  }
  if (i == 0) return false;
  std::string unit = Lower(Trim(s.substr(i)));
  uint64_t mult;
  if (unit.empty() || unit == "b") {
    mult = 1;
  } else if (unit == "kib") {
    mult = 1ull << 10;
  } else if (unit == "mib") {
    mult = 1ull << 20;
  } else if (unit == "gib") {
    mult = 1ull << 30;
  } else {
    return false;
  }
  if (v > kMaxSize / mult) return false;
  *bytes = v * mult;
  return true;
}

bool ParseBool(std::string_view text, bool* value) {
  std::string t = Lower(Unquote(text));
  if (t == "1" || t == "on" || t == "true" || t == "yes") {
    *value = true;
  } else if (t == "0" || t == "off" || t == "false" || t == "no") {
    *value = false;
  } else {
    return false;
  }
  return true;
}

bool IsOptionArgument(std::string_view arg) {
  arg = Trim(arg);
  size_t i = 0;
  while (i < arg.size() && (isalnum(static_cast<unsigned char>(arg[i])) || arg[i] == '_')) i++;
  if (i == 0) return false;
  std::string_view rest = Trim(arg.substr(i));
  return !rest.empty() && rest.front() == '=';
}

bool ParseOption(std::string_view arg, StoreOptions* o, std::string* error) {
  size_t eq = arg.find('=');
  std::string name = Lower(Trim(arg.substr(0, eq)));
  std::string_view value = Trim(arg.substr(eq + 1));
  auto bad_value = [&](const std::string& valid) {
    *error = "strata: invalid value " + std::string(value) + " for option " + name + ": " + valid;
    return false;
  };
  auto size_in = [&](uint64_t lo, uint64_t hi, uint64_t* out) {
    uint64_t v;
    if (!ParseSize(value, &v)) {
      return bad_value("expected a size in bytes, or with KiB, MiB or GiB (e.g. '64MiB')");
    }
    if (v < lo || v > hi) {
      return bad_value("must be between " + SizeText(lo) + " and " + SizeText(hi));
    }
    *out = v;
    return true;
  };
  if (name == "path") {
    o->path = Unquote(value);
    if (o->path.empty()) return bad_value("expected a directory path");
    return true;
  }
  if (name == "sync") {
    std::string v = Lower(Unquote(value));
    if (v == "off" || v == "0") {
      o->sync = SyncMode::kOff;
    } else if (v == "normal" || v == "1") {
      o->sync = SyncMode::kNormal;
    } else if (v == "full" || v == "2") {
      o->sync = SyncMode::kFull;
    } else {
      return bad_value("expected off, normal or full");
    }
    return true;
  }
  if (name == "memtable_size") return size_in(kMinMemtable, kMaxMemtable, &o->memtable_size);
  if (name == "block_cache_size") return size_in(0, kMaxSize, &o->block_cache_size);
  if (name == "block_size") return size_in(kMinBlockSize, kMaxBlockSize, &o->block_size);
  if (name == "level1_size") return size_in(kMinFileSize, kMaxSize, &o->level1_size);
  if (name == "target_file_size") return size_in(kMinFileSize, kMaxSize, &o->target_file_size);
  if (name == "bloom_bits") {
    if (!ParseInt(value, 0, 100, &o->bloom_bits)) {
      return bad_value("expected bits per key from 0 (no filter) to 100");
    }
    return true;
  }
  if (name == "max_levels") {
    if (!ParseInt(value, 2, 12, &o->max_levels)) return bad_value("expected 2 to 12");
    return true;
  }
  if (name == "level_multiplier") {
    if (!ParseInt(value, 2, 1000, &o->level_multiplier)) return bad_value("expected 2 to 1000");
    return true;
  }
  if (name == "readonly" || name == "bulk_load") {
    bool b;
    if (!ParseBool(value, &b)) return bad_value("expected 0/1, on/off, true/false or yes/no");
    (name == "readonly" ? o->readonly : o->bulk_load) = b;
    return true;
  }
  *error = "strata: unknown option " + name + "; valid options are: " + kOptionNames;
  return false;
}

std::string StoreOptions::ToString() const {
  static const char* const kSync[] = {"off", "normal", "full"};
  std::string r;
  r += "sync=" + std::string(kSync[static_cast<int>(sync)]) + "\n";
  r += "memtable_size=" + SizeText(memtable_size) + "\n";
  r += "block_cache_size=" + SizeText(block_cache_size) + "\n";
  r += "block_size=" + SizeText(block_size) + "\n";
  r += "bloom_bits=" + std::to_string(bloom_bits) + "\n";
  r += "max_levels=" + std::to_string(max_levels) + "\n";
  r += "level1_size=" + SizeText(level1_size) + "\n";
  r += "level_multiplier=" + std::to_string(level_multiplier) + "\n";
  r += "target_file_size=" + SizeText(target_file_size) + "\n";
  r += "readonly=" + std::string(readonly ? "1" : "0") + "\n";
  return r;
}

}  // namespace strata
