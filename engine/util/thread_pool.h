// ThreadPool: the background threads that run flushes and compactions.
//
// One pool, ThreadPool::Default(), is shared by every store in the process.
// Tasks have a priority: HIGH (memtable flushes, which writers may be
// waiting on) and LOW (compactions). Queued HIGH tasks always start before
// queued LOW ones, and LOW tasks never occupy every thread: at most
// max(1, n-1) of them run at once with n threads, so with two or more
// threads a HIGH task can start as soon as it is scheduled.
//
// Every method is safe to call from any thread, including from a task.
// Tasks run in no particular order within a priority beyond FIFO dequeue.
#ifndef STRATA_UTIL_THREAD_POOL_H_
#define STRATA_UTIL_THREAD_POOL_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace strata {

class ThreadPool {
 public:
  enum class Priority { kHigh, kLow };

  static constexpr int kDefaultThreads = 2;

  // The process-wide pool, created with kDefaultThreads threads on first use.
  // Never destroyed, so stores closed during static destruction still work.
  static ThreadPool* Default();

  // A private pool (tests, tools). REQUIRES: threads >= 1.
  explicit ThreadPool(int threads = kDefaultThreads);
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;
  // Drains: runs every task already queued (and any they schedule), waits
  // for all of them to finish, then joins the threads. So a task scheduled
  // on a pool always runs exactly once. REQUIRES: not called from a task.
  ~ThreadPool();

  // Queues fn to run on a pool thread. fn must not throw.
  void Schedule(std::function<void()> fn, Priority priority);

  // Sets the number of threads (values < 1 are taken as 1). Growing starts
  // threads at once; shrinking lets surplus threads exit after their current
  // task. Default: kDefaultThreads.
  void SetThreads(int n);
  int Threads() const;

  // Tasks queued and not yet started.
  int QueueLength(Priority priority) const;
  // Tasks running now.
  int RunningTasks(Priority priority) const;

  // Blocks until no task is queued or running. Intended for tests: on a
  // shared pool other clients may keep it busy indefinitely.
  // REQUIRES: not called from a task of this pool.
  void WaitForIdle();

 private:
  struct Worker;

  void WorkerLoop(Worker* self);
  // REQUIRES: mu_ held.
  int MaxLowRunning() const { return target_threads_ > 1 ? target_threads_ - 1 : 1; }
  bool CanRunTask() const;
  void SpawnLocked();
  void ReapExitedLocked(std::vector<std::thread>* to_join);

  mutable std::mutex mu_;
  std::condition_variable work_cv_;  // workers wait here for tasks or shutdown
  std::condition_variable idle_cv_;  // WaitForIdle and shutdown wait here
  std::deque<std::function<void()>> high_;
  std::deque<std::function<void()>> low_;
  int target_threads_ = 0;
  int live_threads_ = 0;  // workers not yet told to exit
  int running_high_ = 0;
  int running_low_ = 0;
  bool shutting_down_ = false;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace strata

#endif  // STRATA_UTIL_THREAD_POOL_H_
