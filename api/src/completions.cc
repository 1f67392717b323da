#include "completions.h"

#include <pthread.h>

namespace splitledger::api {

namespace {
// Tasks a thread takes per lock: enough to drain a batch in a few rounds, few enough that the
// other threads get a share.
constexpr size_t kTake = 64;
}  // namespace

CompletionPool::CompletionPool(size_t threads) {
  if (threads == 0) threads = 1;
  for (size_t i = 0; i < threads; ++i) {
    threads_.emplace_back([this] {
      pthread_setname_np(pthread_self(), "sl-completion");
      Loop();
    });
  }
}

CompletionPool::~CompletionPool() { Stop(); }

void CompletionPool::Post(std::unique_ptr<Task> task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      tasks_.push_back(std::move(task));
      if (idle_ > 0) cv_.notify_one();
      return;
    }
  }
  task->Run();  // stopped: nobody else will
}

void CompletionPool::Stop() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    cv_.notify_all();
    threads.swap(threads_);
  }
  // Each thread returns only once the queue is empty, and nothing is queued after stopping_.
  for (std::thread& t : threads) t.join();
}

void CompletionPool::Loop() {
  std::vector<std::unique_ptr<Task>> mine;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      ++idle_;
      cv_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
      --idle_;
      if (tasks_.empty()) return;  // stopping, and nothing left
      for (size_t i = 0; i < kTake && !tasks_.empty(); ++i) {
        mine.push_back(std::move(tasks_.front()));
        tasks_.pop_front();
      }
      // More waiting: let an idle thread share them.
      if (!tasks_.empty() && idle_ > 0) cv_.notify_one();
    }
    for (auto& t : mine) t->Run();
    mine.clear();
  }
}

}  // namespace splitledger::api
