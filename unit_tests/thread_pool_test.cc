// Tests of the background ThreadPool (engine/util/thread_pool.h): every task
// runs, HIGH before LOW, LOW never takes every thread, resizing, draining at
// destruction, and concurrent Schedule calls.
#include "util/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace strata {
namespace {

using Priority = ThreadPool::Priority;
using namespace std::chrono_literals;

// A one-shot gate that tasks block on until the test opens it.
class Gate {
 public:
  void Open() {
    std::lock_guard<std::mutex> l(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void Wait() {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [this] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Polls cond for up to 10 s; true once it holds.
template <typename F>
bool Eventually(F cond) {
  for (int i = 0; i < 10000; i++) {
    if (cond()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return cond();
}

TEST(ThreadPoolTest, AllTasksRun) {
  ThreadPool pool(3);
  std::atomic<int> ran{0};
  for (int i = 0; i < 1000; i++) {
    pool.Schedule([&ran] { ran++; }, i % 2 == 0 ? Priority::kHigh : Priority::kLow);
  }
  pool.WaitForIdle();
  ASSERT_EQ(1000, ran.load());
  ASSERT_EQ(0, pool.QueueLength(Priority::kHigh));
  ASSERT_EQ(0, pool.QueueLength(Priority::kLow));
}

TEST(ThreadPoolTest, HighBeforeLowWithOneThread) {
  ThreadPool pool(1);
  Gate gate;
  std::mutex mu;
  std::string order;
  auto record = [&](char c) {
    return [&, c] {
      std::lock_guard<std::mutex> l(mu);
      order += c;
    };
  };
  pool.Schedule([&gate] { gate.Wait(); }, Priority::kHigh);  // holds the only thread
  ASSERT_TRUE(Eventually([&] { return pool.RunningTasks(Priority::kHigh) == 1; }));
  pool.Schedule(record('a'), Priority::kLow);
  pool.Schedule(record('b'), Priority::kLow);
  pool.Schedule(record('X'), Priority::kHigh);
  pool.Schedule(record('c'), Priority::kLow);
  pool.Schedule(record('Y'), Priority::kHigh);
  ASSERT_EQ(2, pool.QueueLength(Priority::kHigh));
  ASSERT_EQ(3, pool.QueueLength(Priority::kLow));
  gate.Open();
  pool.WaitForIdle();
  ASSERT_EQ("XYabc", order);
}

TEST(ThreadPoolTest, OneThreadStillRunsLowTasks) {
  ThreadPool pool(1);  // limit max(1, n-1) = 1: LOW may use the only thread
  std::atomic<int> ran{0};
  for (int i = 0; i < 10; i++) pool.Schedule([&ran] { ran++; }, Priority::kLow);
  pool.WaitForIdle();
  ASSERT_EQ(10, ran.load());
}

TEST(ThreadPoolTest, LowTasksNeverTakeEveryThread) {
  for (int n : {2, 3, 4}) {
    SCOPED_TRACE("threads " + std::to_string(n));
    ThreadPool pool(n);
    Gate gate;
    std::atomic<int> low_started{0};
    for (int i = 0; i < n + 2; i++) {
      pool.Schedule(
          [&] {
            low_started++;
            gate.Wait();
          },
          Priority::kLow);
    }
    ASSERT_TRUE(Eventually([&] { return low_started.load() == n - 1; }));
    std::this_thread::sleep_for(20ms);  // give a wrongly scheduled LOW task time to start
    ASSERT_EQ(n - 1, low_started.load());
    ASSERT_EQ(n - 1, pool.RunningTasks(Priority::kLow));
    ASSERT_EQ(3, pool.QueueLength(Priority::kLow));

    // A HIGH task starts while the LOW ones are all blocked.
    std::atomic<bool> high_ran{false};
    pool.Schedule([&high_ran] { high_ran = true; }, Priority::kHigh);
    ASSERT_TRUE(Eventually([&] { return high_ran.load(); }));
    ASSERT_EQ(n - 1, low_started.load());
    gate.Open();
    pool.WaitForIdle();
    ASSERT_EQ(n + 2, low_started.load());
  }
}

TEST(ThreadPoolTest, SetThreadsGrowsAndShrinks) {
  ThreadPool pool(1);
  ASSERT_EQ(1, pool.Threads());
  Gate gate;
  std::atomic<int> started{0};
  for (int i = 0; i < 4; i++) {
    pool.Schedule(
        [&] {
          started++;
          gate.Wait();
        },
        Priority::kHigh);
  }
  ASSERT_TRUE(Eventually([&] { return started.load() == 1; }));
  pool.SetThreads(4);
  ASSERT_EQ(4, pool.Threads());
  ASSERT_TRUE(Eventually([&] { return started.load() == 4; }));
  gate.Open();
  pool.WaitForIdle();

  pool.SetThreads(2);
  ASSERT_EQ(2, pool.Threads());
  Gate gate2;
  std::atomic<int> started2{0};
  for (int i = 0; i < 4; i++) {
    pool.Schedule(
        [&] {
          started2++;
          gate2.Wait();
        },
        Priority::kHigh);
  }
  ASSERT_TRUE(Eventually([&] { return started2.load() == 2; }));
  std::this_thread::sleep_for(20ms);
  ASSERT_EQ(2, started2.load());  // the two surplus threads are gone
  gate2.Open();
  pool.WaitForIdle();
  ASSERT_EQ(4, started2.load());
  pool.SetThreads(0);  // taken as 1
  ASSERT_EQ(1, pool.Threads());
}

TEST(ThreadPoolTest, DestructorRunsQueuedTasks) {
  std::atomic<int> ran{0};
  {
    ThreadPool pool(2);
    Gate gate;
    pool.Schedule([&gate] { gate.Wait(); }, Priority::kHigh);
    pool.Schedule([&gate] { gate.Wait(); }, Priority::kHigh);
    for (int i = 0; i < 50; i++) {
      pool.Schedule([&ran] { ran++; }, i % 2 == 0 ? Priority::kHigh : Priority::kLow);
    }
    // A task that schedules another while the pool is shutting down.
    pool.Schedule([&] { pool.Schedule([&ran] { ran++; }, Priority::kLow); }, Priority::kLow);
    gate.Open();
  }
  ASSERT_EQ(51, ran.load());
}

TEST(ThreadPoolTest, ConcurrentSchedule) {
  ThreadPool pool(2);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 500;
  std::atomic<int> ran{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&pool, &ran, t] {
      for (int i = 0; i < kPerThread; i++) {
        pool.Schedule([&ran] { ran++; }, (i + t) % 3 == 0 ? Priority::kHigh : Priority::kLow);
        if (i % 100 == 0) pool.QueueLength(Priority::kLow);
      }
    });
  }
  for (auto& th : threads) th.join();
  pool.WaitForIdle();
  ASSERT_EQ(kThreads * kPerThread, ran.load());
}

TEST(ThreadPoolTest, DefaultIsOneSharedPool) {
  ThreadPool* a = ThreadPool::Default();
  ASSERT_EQ(a, ThreadPool::Default());
  ASSERT_GE(a->Threads(), 1);
  std::atomic<bool> ran{false};
  a->Schedule([&ran] { ran = true; }, Priority::kLow);
  ASSERT_TRUE(Eventually([&] { return ran.load(); }));
}

}  // namespace
}  // namespace strata
