// Env: every file-system and clock operation the engine performs.
//
// The engine touches files only through an Env, so tests can substitute one
// that injects faults (failed or torn writes, lost unsynced data, ENOSPC).
// Env::Default() is a process-lifetime singleton for POSIX systems. All Env
// methods are safe to call from several threads at once; the file objects it
// returns are used by one thread at a time unless stated otherwise.
#ifndef STRATA_INCLUDE_ENV_H_
#define STRATA_INCLUDE_ENV_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "strata/slice.h"
#include "strata/status.h"

namespace strata {

// A file read from start to end.
class SequentialFile {
 public:
  virtual ~SequentialFile() = default;
  // Reads up to n bytes. *result may point into scratch (n bytes, owned by
  // the caller) or elsewhere; it is valid until the next call. A short read
  // with ok() status means end of file.
  virtual Status Read(size_t n, Slice* result, char* scratch) = 0;
  virtual Status Skip(uint64_t n) = 0;
};

// A file read at arbitrary offsets. Safe for concurrent use by many threads.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to n bytes at offset. *result may point into scratch or, if
  // IsMapped(), into a mapping that lives as long as this object.
  virtual Status Read(uint64_t offset, size_t n, Slice* result, char* scratch) const = 0;
  // True if Read() returns pointers into memory owned by the file (no copy,
  // scratch unused), valid until the file object is destroyed.
  virtual bool IsMapped() const { return false; }
  // The file's size when it was opened.
  virtual uint64_t Size() const = 0;
};

// A file written sequentially. Appended data reaches the operating system
// (and survives a crash of this process) after Flush(); it reaches stable
// storage after Sync().
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(const Slice& data) = 0;
  virtual Status Flush() = 0;
  // Flushes and then makes everything appended durable (fdatasync).
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
  // Bytes appended so far.
  virtual uint64_t Size() const = 0;
};

struct WritableFileOptions {
  // Write through a shared memory mapping: Append() copies into the page
  // cache without a system call, so an appended record survives a crash of
  // the process as soon as Append() returns. Space is reserved ahead in
  // chunks with fallocate, so a full disk is reported by Append() (never a
  // SIGBUS). The unused reserved tail is cut off at Close(). A reader of a
  // file that was not closed must treat a run of zero bytes as its end.
  bool mmap = false;
};

// A lock on a store held by this process.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class Env {
 public:
  Env() = default;
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;
  virtual ~Env() = default;

  // The POSIX environment. A singleton: never delete it.
  static Env* Default();

  virtual Status NewSequentialFile(const std::string& fname,
                                   std::unique_ptr<SequentialFile>* result) = 0;
  virtual Status NewRandomAccessFile(const std::string& fname,
                                     std::unique_ptr<RandomAccessFile>* result) = 0;
  // Creates or truncates fname.
  virtual Status NewWritableFile(const std::string& fname, const WritableFileOptions& options,
                                 std::unique_ptr<WritableFile>* result) = 0;

  virtual bool FileExists(const std::string& fname) = 0;
  // Names (not paths) of the entries of dir, without "." and "..".
  virtual Status GetChildren(const std::string& dir, std::vector<std::string>* result) = 0;
  virtual Status RemoveFile(const std::string& fname) = 0;
  virtual Status CreateDir(const std::string& dirname) = 0;  // ok if it exists
  virtual Status RemoveDir(const std::string& dirname) = 0;
  virtual Status GetFileSize(const std::string& fname, uint64_t* size) = 0;
  // Atomically replaces target with src.
  virtual Status RenameFile(const std::string& src, const std::string& target) = 0;
  // Creates target as a hard link to src.
  virtual Status LinkFile(const std::string& src, const std::string& target) = 0;
  // Makes the directory's entries (creations, renames, removals) durable.
  virtual Status SyncDir(const std::string& dirname) = 0;
  // True if files can be created in dirname.
  virtual bool IsDirWritable(const std::string& dirname) = 0;

  // Locks fname for this process: exclusively (creating the file), or
  // shared (for read-only use; the file must exist). If another process
  // holds a conflicting lock the error is Busy and names that process
  // ("... is locked by process 1234"); if this process holds fname already
  // the error is Busy as well. Releasing: destroy the FileLock.
  virtual Status LockFile(const std::string& fname, bool exclusive,
                          std::unique_ptr<FileLock>* lock) = 0;

  virtual uint64_t NowMicros() = 0;
  virtual void SleepForMicroseconds(int micros) = 0;
};

// Reads the whole file into *data.
Status ReadFileToString(Env* env, const std::string& fname, std::string* data);
// Writes data to fname; if sync, fsyncs the file before returning.
Status WriteStringToFile(Env* env, const Slice& data, const std::string& fname, bool sync);

}  // namespace strata

#endif  // STRATA_INCLUDE_ENV_H_
