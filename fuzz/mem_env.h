// MemEnv: an Env whose files live in memory (fuzz target manifest), so that recovery can be
// run thousands of times a second without touching a disk.
//
// Paths are plain strings; directories are not tracked (every directory exists). A file may
// also be "sized": it has a size but no contents (SetSizedFile), so a table the manifest
// records as 2^40 bytes costs nothing; reading one fails. One fuzzing thread only.
#ifndef STRATA_FUZZ_MEM_ENV_H_
#define STRATA_FUZZ_MEM_ENV_H_

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "strata/env.h"

namespace strata {
namespace fuzz {

class MemEnv final : public Env {
 public:
  void SetFile(const std::string& name, std::string contents) {
    auto f = std::make_shared<File>();
    f->data = std::move(contents);
    files_[name] = f;
  }
  void SetSizedFile(const std::string& name, uint64_t size) {
    auto f = std::make_shared<File>();
    f->sized = true;
    f->size = size;
    files_[name] = f;
  }
  bool GetFile(const std::string& name, std::string* contents) const {
    auto it = files_.find(name);
    if (it == files_.end() || it->second->sized) return false;
    *contents = it->second->data;
    return true;
  }
  std::vector<std::string> Names() const {
    std::vector<std::string> r;
    for (const auto& [name, f] : files_) r.push_back(name);
    return r;
  }

  Status NewSequentialFile(const std::string& fname,
                           std::unique_ptr<SequentialFile>* result) override {
    auto it = files_.find(fname);
    if (it == files_.end()) return Status::NotFound(fname, "no such file");
    if (it->second->sized) return Status::IOError(fname, "sized file has no contents");
    result->reset(new SeqFile(it->second->data));
    return Status::OK();
  }
  Status NewRandomAccessFile(const std::string& fname,
                             std::unique_ptr<RandomAccessFile>* result) override {
    auto it = files_.find(fname);
    if (it == files_.end()) return Status::NotFound(fname, "no such file");
    if (it->second->sized) return Status::IOError(fname, "sized file has no contents");
    result->reset(new RandomFile(it->second->data));
    return Status::OK();
  }
  Status NewWritableFile(const std::string& fname, const WritableFileOptions&,
                         std::unique_ptr<WritableFile>* result) override {
    auto f = std::make_shared<File>();
    files_[fname] = f;
    result->reset(new WriteFile(f));
    return Status::OK();
  }
  bool FileExists(const std::string& fname) override { return files_.count(fname) > 0; }
  Status GetChildren(const std::string& dir, std::vector<std::string>* result) override {
    result->clear();
    const std::string prefix = dir + "/";
    for (const auto& [name, f] : files_) {
      if (name.rfind(prefix, 0) == 0 && name.find('/', prefix.size()) == std::string::npos) {
        result->push_back(name.substr(prefix.size()));
      }
    }
    return Status::OK();
  }
  Status RemoveFile(const std::string& fname) override {
    return files_.erase(fname) ? Status::OK() : Status::NotFound(fname, "no such file");
  }
  Status CreateDir(const std::string&) override { return Status::OK(); }
  Status RemoveDir(const std::string&) override { return Status::OK(); }
  Status GetFileSize(const std::string& fname, uint64_t* size) override {
    auto it = files_.find(fname);
    if (it == files_.end()) return Status::NotFound(fname, "no such file");
    *size = it->second->sized ? it->second->size : it->second->data.size();
    return Status::OK();
  }
  Status RenameFile(const std::string& src, const std::string& target) override {
    auto it = files_.find(src);
    if (it == files_.end()) return Status::NotFound(src, "no such file");
    auto f = it->second;
    files_.erase(it);
    files_[target] = f;
    return Status::OK();
  }
  Status LinkFile(const std::string& src, const std::string& target) override {
    auto it = files_.find(src);
    if (it == files_.end()) return Status::NotFound(src, "no such file");
    files_[target] = it->second;
    return Status::OK();
  }
  Status SyncDir(const std::string&) override { return Status::OK(); }
  bool IsDirWritable(const std::string&) override { return true; }
  Status LockFile(const std::string&, bool, std::unique_ptr<FileLock>* lock) override {
    lock->reset(new FileLock());
    return Status::OK();
  }
  uint64_t NowMicros() override { return now_ += 1000; }
  void SleepForMicroseconds(int micros) override { now_ += static_cast<uint64_t>(micros); }

 private:
  struct File {
    std::string data;
    bool sized = false;
    uint64_t size = 0;
  };
  class SeqFile final : public SequentialFile {
   public:
    explicit SeqFile(std::string data) : data_(std::move(data)) {}
    Status Read(size_t n, Slice* result, char* scratch) override {
      n = std::min(n, data_.size() - pos_);
      if (n > 0) memcpy(scratch, data_.data() + pos_, n);
      *result = Slice(scratch, n);
      pos_ += n;
      return Status::OK();
    }
    Status Skip(uint64_t n) override {
      pos_ += static_cast<size_t>(std::min<uint64_t>(n, data_.size() - pos_));
      return Status::OK();
    }

   private:
    const std::string data_;  // a copy: later writes to the file do not show
    size_t pos_ = 0;
  };
  class RandomFile final : public RandomAccessFile {
   public:
    explicit RandomFile(std::string data) : data_(std::move(data)) {}
    Status Read(uint64_t offset, size_t n, Slice* result, char* scratch) const override {
      if (offset > data_.size()) return Status::IOError("mem file", "read past the end");
      n = static_cast<size_t>(std::min<uint64_t>(n, data_.size() - offset));
      if (n > 0) memcpy(scratch, data_.data() + offset, n);
      *result = Slice(scratch, n);
      return Status::OK();
    }
    uint64_t Size() const override { return data_.size(); }

   private:
    const std::string data_;
  };
  class WriteFile final : public WritableFile {
   public:
    explicit WriteFile(std::shared_ptr<File> f) : f_(std::move(f)) {}
    Status Append(const Slice& data) override {
      f_->data.append(data.data(), data.size());
      return Status::OK();
    }
    Status Flush() override { return Status::OK(); }
    Status Sync() override { return Status::OK(); }
    Status Close() override { return Status::OK(); }
    uint64_t Size() const override { return f_->data.size(); }

   private:
    std::shared_ptr<File> f_;
  };

  std::map<std::string, std::shared_ptr<File>> files_;
  uint64_t now_ = 0;
};

}  // namespace fuzz
}  // namespace strata

#endif  // STRATA_FUZZ_MEM_ENV_H_
