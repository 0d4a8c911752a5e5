// Status: the result of an engine operation, an error code plus a message.
//
// Errors are values: every fallible engine call returns a Status and never
// throws. "Not found" is reported as a status but is not an error for Get.
// A Status is a plain value; distinct objects may be used from different
// threads freely.
#ifndef STRATA_INCLUDE_STATUS_H_
#define STRATA_INCLUDE_STATUS_H_

#include <string>
#include <utility>

#include "strata/slice.h"

namespace strata {

class Status {
 public:
  enum class Code : unsigned char {
    kOk = 0,
    kNotFound,
    kCorruption,
    kNotSupported,
    kInvalidArgument,
    kIOError,
    kBusy,      // the store is locked by someone else, or a writer is active
    kNoSpace,   // the disk is full (ENOSPC); an I/O error of its own kind
    kReadOnly,  // the store was opened read-only or its directory is not writable
    kTooBig,    // a key or value is larger than the limit
    kAborted,   // the operation was stopped (shutdown, background error)
  };

  Status() noexcept = default;

  static Status OK() { return Status(); }
  static Status NotFound(const Slice& msg, const Slice& msg2 = Slice()) {
    return Status(Code::kNotFound, msg, msg2);
  }
  static Status Corruption(const Slice& msg, const Slice& msg2 = Slice()) {
    return Status(Code::kCorruption, msg, msg2);
  }
  static Status NotSupported(const Slice& msg, const Slice& msg2 = Slice()) {
    return Status(Code::kNotSupported, msg, msg2);
  }
  static Status InvalidArgument(const Slice& msg, const Slice& msg2 = Slice()) {
    return Status(Code::kInvalidArgument, msg, msg2);
  }
  static Status IOError(const Slice& msg, const Slice& msg2 = Slice()) {
    return Status(Code::kIOError, msg, msg2);
  }
  static Status Busy(const Slice& msg, const Slice& msg2 = Slice()) {
    return Status(Code::kBusy, msg, msg2);
  }
  static Status NoSpace(const Slice& msg, const Slice& msg2 = Slice()) {
    return Status(Code::kNoSpace, msg, msg2);
  }
  static Status ReadOnly(const Slice& msg, const Slice& msg2 = Slice()) {
    return Status(Code::kReadOnly, msg, msg2);
  }
  static Status TooBig(const Slice& msg, const Slice& msg2 = Slice()) {
    return Status(Code::kTooBig, msg, msg2);
  }
  static Status Aborted(const Slice& msg, const Slice& msg2 = Slice()) {
    return Status(Code::kAborted, msg, msg2);
  }

  bool ok() const { return code_ == Code::kOk; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsNotSupported() const { return code_ == Code::kNotSupported; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsIOError() const { return code_ == Code::kIOError; }
  bool IsBusy() const { return code_ == Code::kBusy; }
  bool IsNoSpace() const { return code_ == Code::kNoSpace; }
  bool IsReadOnly() const { return code_ == Code::kReadOnly; }
  bool IsTooBig() const { return code_ == Code::kTooBig; }
  bool IsAborted() const { return code_ == Code::kAborted; }

  Code code() const { return code_; }
  // The message alone, without the code's name.
  const std::string& message() const { return msg_; }
  // "OK", or the code's name followed by the message, e.g.
  // "Corruption: 000012.sst: block checksum mismatch at offset 4096".
  std::string ToString() const;

  // A copy of this status whose message is prefixed with `context: `.
  Status WithContext(const Slice& context) const;

 private:
  Status(Code code, const Slice& msg, const Slice& msg2);

  Code code_ = Code::kOk;
  std::string msg_;
};

}  // namespace strata

#endif  // STRATA_INCLUDE_STATUS_H_
