// Tests api/executor.cc: the queue's bound, the order, the shutdown that
// runs what was queued, and the background priority of its threads.
#include "api/executor.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"

namespace whoknows::api {
namespace {

int NiceOfThisThread() {
  return ::getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)));
}

// Polls (the executor's threads move on their own) until `done`.
template <typename Done>
void WaitUntil(Done done) {
  while (!done()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

TEST(ExecutorTest, RefusesOnceTheQueueIsFullAndRunsWhatItTook) {
  Executor e("test", {.threads = 1, .max_queued = 2});
  absl::Notification release;
  std::atomic<int> ran{0};
  ASSERT_TRUE(e.TrySubmit([&] {
    release.WaitForNotification();
    ++ran;
  }));
  WaitUntil([&] { return e.running() == 1; });
  EXPECT_TRUE(e.TrySubmit([&] { ++ran; }));
  EXPECT_TRUE(e.TrySubmit([&] { ++ran; }));
  EXPECT_EQ(e.queued(), 2);
  bool refused_ran = false;
  EXPECT_FALSE(e.TrySubmit([&] { refused_ran = true; }));
  EXPECT_GE(e.RetryAfter().count(), 10);
  release.Notify();
  e.Shutdown();
  EXPECT_EQ(ran, 3);
  EXPECT_FALSE(refused_ran);
}

TEST(ExecutorTest, ZeroQueueTakesOnlyWhatAThreadCanStart) {
  Executor e("test", {.threads = 1, .max_queued = 0});
  absl::Notification release;
  ASSERT_TRUE(e.TrySubmit([&] { release.WaitForNotification(); }));
  WaitUntil([&] { return e.running() == 1; });
  EXPECT_FALSE(e.TrySubmit([] {}));
  release.Notify();
  WaitUntil([&] { return e.running() == 0; });
  EXPECT_TRUE(e.TrySubmit([] {}));
}

TEST(ExecutorTest, RunsTasksInTheOrderSubmitted) {
  Executor e("test", {.threads = 1, .max_queued = 100});
  std::vector<int> order;  // written by the executor's one thread only
  for (int i = 0; i < 50; ++i)
    ASSERT_TRUE(e.TrySubmit([&, i] { order.push_back(i); }));
  e.Shutdown();
  ASSERT_EQ(order.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(order[i], i);
}

TEST(ExecutorTest, ShutdownRunsQueuedTasksThenRefusesNewOnes) {
  Executor e("test", {.threads = 2, .max_queued = 10});
  std::atomic<int> ran{0};
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(e.TrySubmit([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      ++ran;
    }));
  e.Shutdown();
  EXPECT_EQ(ran, 10);
  EXPECT_FALSE(e.TrySubmit([&] { ++ran; }));
  e.Shutdown();  // idempotent
  EXPECT_EQ(ran, 10);
}

TEST(ExecutorTest, RetryHintGrowsWithTheWorkAhead) {
  Executor e("test", {.threads = 1, .max_queued = 10});
  // Teach it the task time: three tasks of 30 ms.
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(e.TrySubmit(
        [] { std::this_thread::sleep_for(std::chrono::milliseconds(30)); }));
  WaitUntil([&] { return e.queued() == 0 && e.running() == 0; });
  const auto idle = e.RetryAfter();
  absl::Notification release;
  ASSERT_TRUE(e.TrySubmit([&] { release.WaitForNotification(); }));
  WaitUntil([&] { return e.running() == 1; });
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(e.TrySubmit([] {}));
  // Six tasks ahead of a mean of at least 30 ms each.
  EXPECT_GE(e.RetryAfter().count(), 6 * 30 - 1);
  EXPECT_LT(idle, e.RetryAfter());
  release.Notify();
}

TEST(ExecutorTest, ThreadsRunAtBackgroundPriorityWhenAsked) {
  const int mine = NiceOfThisThread();
  for (bool background : {true, false}) {
    Executor e(
        "test",
        {.threads = 1, .max_queued = 1, .background_priority = background});
    int theirs = -100;
    ASSERT_TRUE(e.TrySubmit([&] { theirs = NiceOfThisThread(); }));
    e.Shutdown();
    EXPECT_EQ(theirs, background ? std::min(19, mine + 10) : mine)
        << "background " << background;
  }
}

TEST(ExecutorOptionsTest, BadValuesNameTheFlag) {
  EXPECT_TRUE(ExecutorOptions{}.Validate("--ingest").ok());
  auto s = ExecutorOptions{.threads = 0}.Validate("--ingest");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(s.message()).rfind("--ingest-threads: ", 0), 0u) << s;
  s = ExecutorOptions{.max_queued = -1}.Validate("--analysis");
  EXPECT_EQ(std::string(s.message()).rfind("--analysis-queue: ", 0), 0u) << s;
}

}  // namespace
}  // namespace whoknows::api
