// TableOptions: the `name = value` arguments of CREATE VIRTUAL TABLE ... USING
// strata(...), parsed and validated, with their documented defaults
// (docs/options.md). Pure C++: no SQLite dependency, so it is unit-tested
// directly.
#ifndef STRATA_SQLITE_EXT_TABLE_OPTIONS_H_
#define STRATA_SQLITE_EXT_TABLE_OPTIONS_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace strata {

enum class SyncMode { kOff, kNormal, kFull };

struct StoreOptions {
  std::string path;  // empty: the default path next to the database file
  SyncMode sync = SyncMode::kNormal;
  uint64_t memtable_size = 64ull << 20;
  uint64_t block_cache_size = 0;  // 0: the process-wide shared cache
  uint64_t block_size = 4096;
  int bloom_bits = 10;
  int max_levels = 7;
  uint64_t level1_size = 256ull << 20;
  int level_multiplier = 10;
  uint64_t target_file_size = 64ull << 20;
  bool readonly = false;
  bool bulk_load = false;

  // The options as `name=value` lines, for the store's recorded metadata.
  std::string ToString() const;
};

// True if `arg` (one CREATE VIRTUAL TABLE argument) has the form
// `name = value`, i.e. is an option rather than a column definition.
bool IsOptionArgument(std::string_view arg);

// Applies one `name = value` argument to *options. On error returns false
// and sets *error to a message naming the option or value and what is valid.
bool ParseOption(std::string_view arg, StoreOptions* options, std::string* error);

// Parses a size: plain bytes or a number with KiB, MiB or GiB (any case,
// optionally quoted). False if malformed or over 2^50 bytes.
bool ParseSize(std::string_view text, uint64_t* bytes);

// Parses 0/1/on/off/true/false/yes/no (any case, optionally quoted).
bool ParseBool(std::string_view text, bool* value);

// Removes surrounding quotes ('…', "…") and white space; '' inside '…' is '.
std::string Unquote(std::string_view text);

}  // namespace strata

#endif  // STRATA_SQLITE_EXT_TABLE_OPTIONS_H_
