// File names of a store directory (see filename.h).
#include "db/filename.h"

#include <cstdio>

namespace strata {

static std::string NumberedName(const std::string& dbname, uint64_t number, const char* suffix) {
  char buf[64];
  snprintf(buf, sizeof(buf), "/%06llu.%s", static_cast<unsigned long long>(number), suffix);
  return dbname + buf;
}

std::string WalFileName(const std::string& dbname, uint64_t number) {
  return NumberedName(dbname, number, "wal");
}

std::string TableFileName(const std::string& dbname, uint64_t number) {
  return NumberedName(dbname, number, "sst");
}

std::string TableFileBaseName(uint64_t number) { return NumberedName("", number, "sst").substr(1); }

std::string TempFileName(const std::string& dbname, uint64_t number) {
  return NumberedName(dbname, number, "dbtmp");
}

std::string ManifestFileName(const std::string& dbname, uint64_t number) {
  char buf[64];
  snprintf(buf, sizeof(buf), "/MANIFEST-%06llu", static_cast<unsigned long long>(number));
  return dbname + buf;
}

std::string CurrentFileName(const std::string& dbname) { return dbname + "/CURRENT"; }

std::string LockFileName(const std::string& dbname) { return dbname + "/LOCK"; }

static bool ParseNumber(const std::string& s, size_t begin, size_t end, uint64_t* number) {
  if (begin >= end) return false;
  uint64_t v = 0;
  for (size_t i = begin; i < end; i++) {
    char c = s[i];
    if (c < '0' || c > '9') return false;
    if (v > (UINT64_MAX - 9) / 10) return false;
    v = v * 10 + (c - '0');
  }
  *number = v;
  return true;
}

bool ParseFileName(const std::string& name, uint64_t* number, FileType* type) {
  if (name == "CURRENT") {
    *number = 0;
    *type = FileType::kCurrentFile;
    return true;
  }
  if (name == "LOCK") {
    *number = 0;
    *type = FileType::kLockFile;
    return true;
  }
  if (name.rfind("MANIFEST-", 0) == 0) {
    *type = FileType::kManifestFile;
    return ParseNumber(name, 9, name.size(), number);
  }
  size_t dot = name.find('.');
  if (dot == std::string::npos) return false;
  std::string suffix = name.substr(dot + 1);
  if (suffix == "wal") {
    *type = FileType::kWalFile;
  } else if (suffix == "sst") {
    *type = FileType::kTableFile;
  } else if (suffix == "dbtmp") {
    *type = FileType::kTempFile;
  } else {
    return false;
  }
  return ParseNumber(name, 0, dot, number);
}

Status SetCurrentFile(Env* env, const std::string& dbname, uint64_t manifest_number) {
  std::string manifest = ManifestFileName(dbname, manifest_number);
  std::string contents = manifest.substr(dbname.size() + 1) + "\n";
  std::string tmp = TempFileName(dbname, manifest_number);
  Status s = WriteStringToFile(env, contents, tmp, /*sync=*/true);
  if (s.ok()) s = env->RenameFile(tmp, CurrentFileName(dbname));
  if (s.ok()) {
    s = env->SyncDir(dbname);
  } else {
    env->RemoveFile(tmp);
  }
  return s;
}

}  // namespace strata
