// The names of the files in a store directory:
//   NNNNNN.wal        write-ahead log
//   NNNNNN.sst        table file
//   MANIFEST-NNNNNN   log of version edits
//   CURRENT           names the live manifest
//   LOCK              held by the process that has the store open
//   NNNNNN.dbtmp      temporary (e.g. the next CURRENT)
// NNNNNN is a file number, zero-padded to six digits (more when larger).
#ifndef STRATA_DB_FILENAME_H_
#define STRATA_DB_FILENAME_H_

#include <cstdint>
#include <string>

#include "strata/env.h"

namespace strata {

enum class FileType { kWalFile, kLockFile, kTableFile, kManifestFile, kCurrentFile, kTempFile };

std::string WalFileName(const std::string& dbname, uint64_t number);
std::string TableFileName(const std::string& dbname, uint64_t number);
std::string ManifestFileName(const std::string& dbname, uint64_t number);
std::string CurrentFileName(const std::string& dbname);
std::string LockFileName(const std::string& dbname);
std::string TempFileName(const std::string& dbname, uint64_t number);
// "000012.sst": the name alone, for messages.
std::string TableFileBaseName(uint64_t number);

// Parses a name (not a path) into its number and type; false if the name is
// not one of the engine's files.
bool ParseFileName(const std::string& filename, uint64_t* number, FileType* type);

// Points CURRENT at MANIFEST-manifest_number atomically: writes a temp file,
// syncs it, renames it over CURRENT and syncs the directory.
Status SetCurrentFile(Env* env, const std::string& dbname, uint64_t manifest_number);

}  // namespace strata

#endif  // STRATA_DB_FILENAME_H_
