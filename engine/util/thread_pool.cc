// ThreadPool: two FIFO queues (HIGH, LOW) served by a resizable set of
// threads under one mutex. See thread_pool.h for the scheduling contract.
#include "util/thread_pool.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace strata {

struct ThreadPool::Worker {
  std::thread thread;
  bool exited = false;  // set under mu_ just before the thread returns
};

ThreadPool* ThreadPool::Default() {
  static ThreadPool* pool = new ThreadPool(kDefaultThreads);
  return pool;
}

ThreadPool::ThreadPool(int threads) { SetThreads(threads); }

ThreadPool::~ThreadPool() {
  std::vector<std::unique_ptr<Worker>> workers;
  {
    std::lock_guard<std::mutex> l(mu_);
    shutting_down_ = true;
    workers.swap(workers_);
  }
  work_cv_.notify_all();
  // Workers leave only once both queues are empty, so joining drains them.
  for (auto& w : workers) w->thread.join();
  assert(high_.empty() && low_.empty());
}

void ThreadPool::Schedule(std::function<void()> fn, Priority priority) {
  {
    std::lock_guard<std::mutex> l(mu_);
    (priority == Priority::kHigh ? high_ : low_).push_back(std::move(fn));
  }
  // notify_all, not notify_one: the one woken might be unable to take a LOW
  // task (limit reached) while another could take a HIGH one; cheap at our sizes.
  work_cv_.notify_all();
}

void ThreadPool::SetThreads(int n) {
  std::vector<std::thread> to_join;
  {
    std::lock_guard<std::mutex> l(mu_);
    target_threads_ = std::max(1, n);
    while (live_threads_ < target_threads_) SpawnLocked();
    ReapExitedLocked(&to_join);
  }
  // Surplus workers notice the new target; the LOW limit may have grown.
  work_cv_.notify_all();
  for (auto& t : to_join) t.join();
}

int ThreadPool::Threads() const {
  std::lock_guard<std::mutex> l(mu_);
  return target_threads_;
}

int ThreadPool::QueueLength(Priority priority) const {
  std::lock_guard<std::mutex> l(mu_);
  return static_cast<int>(priority == Priority::kHigh ? high_.size() : low_.size());
}

int ThreadPool::RunningTasks(Priority priority) const {
  std::lock_guard<std::mutex> l(mu_);
  return priority == Priority::kHigh ? running_high_ : running_low_;
}

void ThreadPool::WaitForIdle() {
  std::unique_lock<std::mutex> l(mu_);
  idle_cv_.wait(l, [this] {
    return high_.empty() && low_.empty() && running_high_ == 0 && running_low_ == 0;
  });
}

bool ThreadPool::CanRunTask() const {
  return !high_.empty() || (!low_.empty() && running_low_ < MaxLowRunning());
}

void ThreadPool::SpawnLocked() {
  workers_.push_back(std::make_unique<Worker>());
  Worker* w = workers_.back().get();
  live_threads_++;
  w->thread = std::thread(&ThreadPool::WorkerLoop, this, w);
}

void ThreadPool::ReapExitedLocked(std::vector<std::thread>* to_join) {
  auto exited = [](const std::unique_ptr<Worker>& w) { return w->exited; };
  for (auto& w : workers_) {
    if (w->exited) to_join->push_back(std::move(w->thread));
  }
  workers_.erase(std::remove_if(workers_.begin(), workers_.end(), exited), workers_.end());
}

void ThreadPool::WorkerLoop(Worker* self) {
  std::unique_lock<std::mutex> l(mu_);
  while (true) {
    work_cv_.wait(l, [this] {
      return CanRunTask() || live_threads_ > target_threads_ ||
             (shutting_down_ && high_.empty() && low_.empty());
    });
    if (live_threads_ > target_threads_ || !CanRunTask()) {
      // Surplus after SetThreads, or shutting down with nothing left.
      live_threads_--;
      self->exited = true;
      l.unlock();
      work_cv_.notify_all();  // hand any wake-up we absorbed to another worker
      return;
    }
    const bool high = !high_.empty();
    std::deque<std::function<void()>>& queue = high ? high_ : low_;
    std::function<void()> fn = std::move(queue.front());
    queue.pop_front();
    (high ? running_high_ : running_low_)++;
    l.unlock();
    fn();
    fn = nullptr;  // destroy captures outside the lock, before counting the task done
    l.lock();
    (high ? running_high_ : running_low_)--;
    if (high_.empty() && low_.empty() && running_high_ == 0 && running_low_ == 0) {
      idle_cv_.notify_all();
    }
  }
}

}  // namespace strata
