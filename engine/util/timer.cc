// Timer: one thread waiting on the earliest deadline.
#include "util/timer.h"

#include <chrono>

namespace strata {

namespace {
uint64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

Timer* Timer::Default() {
  static Timer* timer = new Timer;
  return timer;
}

Timer::Timer() : thread_([this] { Loop(); }) {}

Timer::~Timer() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

uint64_t Timer::ScheduleAfter(uint64_t micros, std::function<void()> fn) {
  std::lock_guard<std::mutex> l(mu_);
  const uint64_t id = next_id_++;
  const bool earliest = queue_.empty() || NowMicros() + micros < queue_.begin()->first.first;
  queue_.emplace(std::make_pair(NowMicros() + micros, id), std::move(fn));
  if (earliest) cv_.notify_all();
  return id;
}

bool Timer::Cancel(uint64_t id) {
  std::lock_guard<std::mutex> l(mu_);
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    if (it->first.second == id) {
      queue_.erase(it);
      return true;
    }
  }
  return false;
}

void Timer::Loop() {
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_) {
    if (queue_.empty()) {
      cv_.wait(l);
      continue;
    }
    const uint64_t due = queue_.begin()->first.first;
    const uint64_t now = NowMicros();
    if (due > now) {
      cv_.wait_for(l, std::chrono::microseconds(due - now));
      continue;
    }
    std::function<void()> fn = std::move(queue_.begin()->second);
    queue_.erase(queue_.begin());
    l.unlock();
    fn();
    l.lock();
  }
}

}  // namespace strata
