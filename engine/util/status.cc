// Status: formatting and construction (see strata/status.h).
#include "strata/status.h"

namespace strata {

Status::Status(Code code, const Slice& msg, const Slice& msg2) : code_(code) {
  msg_.assign(msg.data(), msg.size());
  if (!msg2.empty()) {
    msg_.append(": ");
    msg_.append(msg2.data(), msg2.size());
  }
}

std::string Status::ToString() const {
  const char* type = "";
  switch (code_) {
    case Code::kOk:
      return "OK";
    case Code::kNotFound:
      type = "NotFound";
      break;
    case Code::kCorruption:
      type = "Corruption";
      break;
    case Code::kNotSupported:
      type = "Not supported";
      break;
    case Code::kInvalidArgument:
      type = "Invalid argument";
      break;
    case Code::kIOError:
      type = "IO error";
      break;
    case Code::kBusy:
      type = "Busy";
      break;
    case Code::kNoSpace:
      type = "No space left on device";
      break;
    case Code::kReadOnly:
      type = "Read-only";
      break;
    case Code::kTooBig:
      type = "Too big";
      break;
    case Code::kAborted:
      type = "Aborted";
      break;
  }
  std::string r(type);
  if (!msg_.empty()) {
    r.append(": ");
    r.append(msg_);
  }
  return r;
}

Status Status::WithContext(const Slice& context) const {
  if (ok()) return *this;
  Status s(*this);
  s.msg_ = context.ToString() + ": " + msg_;
  return s;
}

}  // namespace strata
