// Timer: runs short callbacks at a later time on one process-wide thread.
//
// Callbacks must be quick (they delay every later one): a callback that has
// real work to do hands it to the ThreadPool. Thread-safe.
#ifndef STRATA_UTIL_TIMER_H_
#define STRATA_UTIL_TIMER_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace strata {

class Timer {
 public:
  // The process-wide timer; never destroyed.
  static Timer* Default();

  Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  // Joins the thread; callbacks not yet due are dropped.
  ~Timer();

  // Runs fn about `micros` microseconds from now. Returns an id for Cancel.
  uint64_t ScheduleAfter(uint64_t micros, std::function<void()> fn);

  // Cancels the callback if it has not started; true if it will not run.
  // False means it has run or is running (Cancel does not wait for it).
  bool Cancel(uint64_t id);

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  // (due time in µs since the steady clock's epoch, id) -> callback
  std::map<std::pair<uint64_t, uint64_t>, std::function<void()>> queue_;
  uint64_t next_id_ = 1;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace strata

#endif  // STRATA_UTIL_TIMER_H_
