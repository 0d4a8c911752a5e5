// Env::Default(): files, directories, locks and the clock on POSIX (Linux).
//
// Reads of table files go through a read-only mmap of the whole file (no
// system call, no copy per block); the WAL is appended through a shared
// mmap of fallocate'd chunks (no system call per record); other files are
// written through a 64 KiB user-space buffer.
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "strata/env.h"

namespace strata {

namespace {

Status PosixError(const std::string& context, int err) {
  switch (err) {
    case ENOENT:
      return Status::NotFound(context, strerror(err));
    case ENOSPC:
    case EDQUOT:
      return Status::NoSpace(context, strerror(err));
    case EROFS:
      return Status::ReadOnly(context, strerror(err));
    default:
      return Status::IOError(context, strerror(err));
  }
}

class PosixSequentialFile final : public SequentialFile {
 public:
  PosixSequentialFile(std::string fname, int fd) : fname_(std::move(fname)), fd_(fd) {}
  ~PosixSequentialFile() override { close(fd_); }

  Status Read(size_t n, Slice* result, char* scratch) override {
    size_t done = 0;
    while (done < n) {
      ssize_t r = ::read(fd_, scratch + done, n - done);
      if (r < 0) {
        if (errno == EINTR) continue;
        return PosixError(fname_, errno);
      }
      if (r == 0) break;
      done += static_cast<size_t>(r);
    }
    *result = Slice(scratch, done);
    return Status::OK();
  }

  Status Skip(uint64_t n) override {
    if (lseek(fd_, static_cast<off_t>(n), SEEK_CUR) == static_cast<off_t>(-1)) {
      return PosixError(fname_, errno);
    }
    return Status::OK();
  }

 private:
  const std::string fname_;
  const int fd_;
};

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string fname, int fd, uint64_t size)
      : fname_(std::move(fname)), fd_(fd), size_(size) {}
  ~PosixRandomAccessFile() override { close(fd_); }

  Status Read(uint64_t offset, size_t n, Slice* result, char* scratch) const override {
    size_t done = 0;
    while (done < n) {
      ssize_t r = ::pread(fd_, scratch + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        *result = Slice(scratch, 0);
        return PosixError(fname_, errno);
      }
      if (r == 0) break;
      done += static_cast<size_t>(r);
    }
    *result = Slice(scratch, done);
    return Status::OK();
  }
  uint64_t Size() const override { return size_; }

 private:
  const std::string fname_;
  const int fd_;
  const uint64_t size_;
};

class PosixMmapReadableFile final : public RandomAccessFile {
 public:
  PosixMmapReadableFile(std::string fname, char* base, size_t length)
      : fname_(std::move(fname)), base_(base), length_(length) {}
  ~PosixMmapReadableFile() override {
    if (length_ > 0) munmap(base_, length_);
  }

  Status Read(uint64_t offset, size_t n, Slice* result, char*) const override {
    if (offset > length_) {
      *result = Slice();
      return Status::IOError(fname_, "read past the end of the file");
    }
    *result = Slice(base_ + offset, std::min<uint64_t>(n, length_ - offset));
    return Status::OK();
  }
  bool IsMapped() const override { return true; }
  uint64_t Size() const override { return length_; }

 private:
  const std::string fname_;
  char* const base_;
  const size_t length_;
};

constexpr size_t kWritableBufferSize = 64 * 1024;

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string fname, int fd)
      : fname_(std::move(fname)), fd_(fd), buf_(new char[kWritableBufferSize]) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) Close();
  }

  Status Append(const Slice& data) override {
    const char* p = data.data();
    size_t n = data.size();
    size_ += n;
    size_t copy = std::min(n, kWritableBufferSize - pos_);
    memcpy(buf_.get() + pos_, p, copy);
    p += copy;
    n -= copy;
    pos_ += copy;
    if (n == 0) return Status::OK();
    Status s = FlushBuffer();
    if (!s.ok()) return s;
    if (n < kWritableBufferSize) {
      memcpy(buf_.get(), p, n);
      pos_ = n;
      return Status::OK();
    }
    return WriteRaw(p, n);
  }

  Status Flush() override { return FlushBuffer(); }

  Status Sync() override {
    Status s = FlushBuffer();
    if (!s.ok()) return s;
    if (fdatasync(fd_) != 0) return PosixError(fname_, errno);
    return Status::OK();
  }

  Status Close() override {
    if (fd_ < 0) return Status::OK();
    Status s = FlushBuffer();
    if (close(fd_) != 0 && s.ok()) s = PosixError(fname_, errno);
    fd_ = -1;
    return s;
  }

  uint64_t Size() const override { return size_; }

 private:
  Status FlushBuffer() {
    Status s = WriteRaw(buf_.get(), pos_);
    pos_ = 0;
    return s;
  }

  Status WriteRaw(const char* p, size_t n) {
    while (n > 0) {
      ssize_t r = ::write(fd_, p, n);
      if (r < 0) {
        if (errno == EINTR) continue;
        return PosixError(fname_, errno);
      }
      p += r;
      n -= static_cast<size_t>(r);
    }
    return Status::OK();
  }

  const std::string fname_;
  int fd_;
  std::unique_ptr<char[]> buf_;
  size_t pos_ = 0;
  uint64_t size_ = 0;
};

// Appends through a MAP_SHARED window onto space reserved with fallocate.
// Windows start at 64 KiB and double up to 4 MiB, so small logs stay small.
class PosixMmapWritableFile final : public WritableFile {
 public:
  PosixMmapWritableFile(std::string fname, int fd) : fname_(std::move(fname)), fd_(fd) {}
  ~PosixMmapWritableFile() override {
    if (fd_ >= 0) Close();
  }

  Status Append(const Slice& data) override {
    const char* p = data.data();
    size_t n = data.size();
    while (n > 0) {
      if (dst_ == limit_) {
        Status s = MapNextWindow();
        if (!s.ok()) return s;
      }
      size_t copy = std::min<size_t>(n, limit_ - dst_);
      memcpy(dst_, p, copy);
      dst_ += copy;
      p += copy;
      n -= copy;
      size_ += copy;
    }
    return Status::OK();
  }

  Status Flush() override { return Status::OK(); }  // already in the page cache

  Status Sync() override {
    // fdatasync writes back pages dirtied through the mapping as well.
    if (fdatasync(fd_) != 0) return PosixError(fname_, errno);
    return Status::OK();
  }

  Status Close() override {
    if (fd_ < 0) return Status::OK();
    Status s = Unmap();
    if (ftruncate(fd_, static_cast<off_t>(size_)) != 0 && s.ok()) s = PosixError(fname_, errno);
    if (close(fd_) != 0 && s.ok()) s = PosixError(fname_, errno);
    fd_ = -1;
    return s;
  }

  uint64_t Size() const override { return size_; }

 private:
  Status Unmap() {
    if (base_ == nullptr) return Status::OK();
    Status s;
    if (munmap(base_, limit_ - base_) != 0) s = PosixError(fname_, errno);
    base_ = dst_ = limit_ = nullptr;
    return s;
  }

  Status MapNextWindow() {
    Status s = Unmap();
    if (!s.ok()) return s;
    const uint64_t offset = mapped_end_;
    int r = fallocate(fd_, 0, static_cast<off_t>(offset), static_cast<off_t>(window_));
    if (r != 0) {
      if (errno != EOPNOTSUPP && errno != ENOSYS) return PosixError(fname_, errno);
      // No fallocate on this file system: extend sparsely.
      if (ftruncate(fd_, static_cast<off_t>(offset + window_)) != 0) {
        return PosixError(fname_, errno);
      }
    }
    void* base =
        mmap(nullptr, window_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, static_cast<off_t>(offset));
    if (base == MAP_FAILED) return PosixError(fname_, errno);
    base_ = dst_ = static_cast<char*>(base);
    limit_ = base_ + window_;
    mapped_end_ = offset + window_;
    if (window_ < kMaxWindow) window_ *= 2;
    return Status::OK();
  }

  static constexpr size_t kMaxWindow = 4 << 20;

  const std::string fname_;
  int fd_;
  size_t window_ = 64 << 10;
  char* base_ = nullptr;
  char* dst_ = nullptr;
  char* limit_ = nullptr;
  uint64_t mapped_end_ = 0;
  uint64_t size_ = 0;
};

// Paths locked by this process: fcntl locks do not conflict within one
// process, so a second open here is caught by this set instead.
std::mutex locked_files_mu;
std::set<std::string>* LockedFiles() {
  static auto* files = new std::set<std::string>;
  return files;
}

class PosixFileLock final : public FileLock {
 public:
  PosixFileLock(int fd, std::string fname) : fd_(fd), fname_(std::move(fname)) {}
  ~PosixFileLock() override {
    struct flock f;
    memset(&f, 0, sizeof(f));
    f.l_type = F_UNLCK;
    f.l_whence = SEEK_SET;
    fcntl(fd_, F_SETLK, &f);
    close(fd_);
    std::lock_guard<std::mutex> l(locked_files_mu);
    LockedFiles()->erase(fname_);
  }

 private:
  const int fd_;
  const std::string fname_;
};

class PosixEnv final : public Env {
 public:
  Status NewSequentialFile(const std::string& fname,
                           std::unique_ptr<SequentialFile>* result) override {
    int fd = open(fname.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return PosixError(fname, errno);
    result->reset(new PosixSequentialFile(fname, fd));
    return Status::OK();
  }

  Status NewRandomAccessFile(const std::string& fname,
                             std::unique_ptr<RandomAccessFile>* result) override {
    int fd = open(fname.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return PosixError(fname, errno);
    struct stat st;
    if (fstat(fd, &st) != 0) {
      Status s = PosixError(fname, errno);
      close(fd);
      return s;
    }
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    if (size > 0) {
      void* base = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
      if (base != MAP_FAILED) {
        close(fd);
        result->reset(new PosixMmapReadableFile(fname, static_cast<char*>(base), size));
        return Status::OK();
      }
    }
    result->reset(new PosixRandomAccessFile(fname, fd, size));
    return Status::OK();
  }

  Status NewWritableFile(const std::string& fname, const WritableFileOptions& options,
                         std::unique_ptr<WritableFile>* result) override {
    int flags = O_TRUNC | O_CREAT | O_CLOEXEC | (options.mmap ? O_RDWR : O_WRONLY);
    int fd = open(fname.c_str(), flags, 0644);
    if (fd < 0) return PosixError(fname, errno);
    if (options.mmap) {
      result->reset(new PosixMmapWritableFile(fname, fd));
    } else {
      result->reset(new PosixWritableFile(fname, fd));
    }
    return Status::OK();
  }

  bool FileExists(const std::string& fname) override { return access(fname.c_str(), F_OK) == 0; }

  Status GetChildren(const std::string& dir, std::vector<std::string>* result) override {
    result->clear();
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) return PosixError(dir, errno);
    while (struct dirent* entry = readdir(d)) {
      if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
      result->emplace_back(entry->d_name);
    }
    closedir(d);
    return Status::OK();
  }

  Status RemoveFile(const std::string& fname) override {
    if (unlink(fname.c_str()) != 0) return PosixError(fname, errno);
    return Status::OK();
  }

  Status CreateDir(const std::string& dirname) override {
    if (mkdir(dirname.c_str(), 0755) != 0 && errno != EEXIST) return PosixError(dirname, errno);
    return Status::OK();
  }

  Status RemoveDir(const std::string& dirname) override {
    if (rmdir(dirname.c_str()) != 0) return PosixError(dirname, errno);
    return Status::OK();
  }

  Status GetFileSize(const std::string& fname, uint64_t* size) override {
    struct stat st;
    if (stat(fname.c_str(), &st) != 0) {
      *size = 0;
      return PosixError(fname, errno);
    }
    *size = static_cast<uint64_t>(st.st_size);
    return Status::OK();
  }

  Status RenameFile(const std::string& src, const std::string& target) override {
    if (rename(src.c_str(), target.c_str()) != 0) return PosixError(src, errno);
    return Status::OK();
  }

  Status LinkFile(const std::string& src, const std::string& target) override {
    if (link(src.c_str(), target.c_str()) != 0) return PosixError(src, errno);
    return Status::OK();
  }

  Status SyncDir(const std::string& dirname) override {
    int fd = open(dirname.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return PosixError(dirname, errno);
    Status s;
    if (fsync(fd) != 0) s = PosixError(dirname, errno);
    close(fd);
    return s;
  }

  bool IsDirWritable(const std::string& dirname) override {
    return access(dirname.c_str(), W_OK) == 0;
  }

  Status LockFile(const std::string& fname, bool exclusive,
                  std::unique_ptr<FileLock>* lock) override {
    {
      std::lock_guard<std::mutex> l(locked_files_mu);
      if (!LockedFiles()->insert(fname).second) {
        return Status::Busy(fname, "the store is already open in this process");
      }
    }
    auto unregister = [&fname] {
      std::lock_guard<std::mutex> l(locked_files_mu);
      LockedFiles()->erase(fname);
    };
    int fd = exclusive ? open(fname.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)
                       : open(fname.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      unregister();
      return PosixError(fname, errno);
    }
    struct flock f;
    memset(&f, 0, sizeof(f));
    f.l_type = exclusive ? F_WRLCK : F_RDLCK;
    f.l_whence = SEEK_SET;
    if (fcntl(fd, F_SETLK, &f) != 0) {
      int err = errno;
      Status s;
      struct flock holder;
      memset(&holder, 0, sizeof(holder));
      holder.l_type = exclusive ? F_WRLCK : F_RDLCK;
      holder.l_whence = SEEK_SET;
      if ((err == EAGAIN || err == EACCES) && fcntl(fd, F_GETLK, &holder) == 0 &&
          holder.l_type != F_UNLCK) {
        s = Status::Busy(fname, "the store is locked by process " + std::to_string(holder.l_pid));
      } else if (err == EAGAIN || err == EACCES) {
        s = Status::Busy(fname, "the store is locked by another process");
      } else {
        s = PosixError(fname, err);
      }
      close(fd);
      unregister();
      return s;
    }
    if (exclusive) {
      std::string pid = std::to_string(getpid()) + "\n";
      if (ftruncate(fd, 0) == 0) {
        ssize_t ignored = pwrite(fd, pid.data(), pid.size(), 0);
        (void)ignored;  // informational only
      }
    }
    lock->reset(new PosixFileLock(fd, fname));
    return Status::OK();
  }

  uint64_t NowMicros() override {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
  }

  void SleepForMicroseconds(int micros) override {
    std::this_thread::sleep_for(std::chrono::microseconds(micros));
  }
};

}  // namespace

Env* Env::Default() {
  static PosixEnv* env = new PosixEnv;
  return env;
}

Status ReadFileToString(Env* env, const std::string& fname, std::string* data) {
  data->clear();
  std::unique_ptr<SequentialFile> file;
  Status s = env->NewSequentialFile(fname, &file);
  if (!s.ok()) return s;
  constexpr size_t kBufferSize = 64 * 1024;
  std::unique_ptr<char[]> space(new char[kBufferSize]);
  while (true) {
    Slice fragment;
    s = file->Read(kBufferSize, &fragment, space.get());
    if (!s.ok()) break;
    data->append(fragment.data(), fragment.size());
    if (fragment.empty()) break;
  }
  return s;
}

Status WriteStringToFile(Env* env, const Slice& data, const std::string& fname, bool sync) {
  std::unique_ptr<WritableFile> file;
  Status s = env->NewWritableFile(fname, WritableFileOptions(), &file);
  if (!s.ok()) return s;
  s = file->Append(data);
  if (s.ok() && sync) s = file->Sync();
  if (s.ok()) s = file->Close();
  if (!s.ok()) env->RemoveFile(fname);
  return s;
}

}  // namespace strata
