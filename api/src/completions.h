// A few threads that finish what waited for the writer: a request's reply rendered from its
// command's durable outcome (server.cc) and sent. The writer thread hands each one over with one
// lock and wakes a thread only when one is idle, so a committed batch of a thousand commands
// costs a wake-up or two, not a thousand.
//
// Contracts:
//  * Tasks run once each, in the order posted when there is one thread.
//  * Tasks must not block (no waiting on the service): the threads are few.
//  * Stop() runs what is queued, then joins; a task posted after Stop runs on the posting
//    thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace splitledger::api {

class CompletionPool {
 public:
  class Task {
   public:
    virtual ~Task() = default;
    virtual void Run() = 0;
  };

  explicit CompletionPool(size_t threads);
  ~CompletionPool();  // Stop()s
  CompletionPool(const CompletionPool&) = delete;
  CompletionPool& operator=(const CompletionPool&) = delete;

  void Post(std::unique_ptr<Task> task);
  void Stop();

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Task>> tasks_;
  size_t idle_ = 0;  // threads waiting for a task
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace splitledger::api
