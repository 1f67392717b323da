// The sequencer: the single writer of a shard (DESIGN §3).
//
// Callers (HTTP worker threads) Submit() a command and wait on the returned future. The
// sequencer thread takes every queued command (up to max_batch), runs each in order against the
// in-memory State, and hands the rows the batch changed to the writer thread, which writes them
// in ONE database transaction and, only after COMMIT, completes the futures. Batches commit in
// the order they were applied; while batch N commits, batch N+1 is being applied (the two
// threads use the machine's two cores). Therefore:
//   * a completed future means the command's effects are durable;
//   * a command that returns an error must have changed nothing (commands validate first, then
//     mutate; see intent_ops.h), so it fails alone and its batch-mates are unaffected;
//   * if the commit fails, every command of the batch, and of every later batch already applied
//     on top of it, completes with kUnavailable (retryable), and the State is reloaded from the
//     database before the next batch, so memory never runs ahead of disk;
//   * read-only commands are answered after the batch they ran in commits, so they never show
//     anything that could still be rolled back.
// Commands run on the sequencer thread: keep them short and free of IO.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include "splitledger/core/status.h"
#include "splitledger/ledger/state.h"
#include "splitledger/ledger/store.h"

namespace splitledger::ledger {

struct SequencerOptions {
  size_t max_batch = 4096;  // commands per database transaction
};

struct SequencerStats {
  uint64_t batches = 0;
  uint64_t commands = 0;
  uint64_t failed_commits = 0;
  uint64_t commit_micros_total = 0;  // time spent in Store::Write
};

// Passed to every command.
class CommandContext {
 public:
  explicit CommandContext(State& state) : state_(state) {}
  State& state() { return state_; }
  // Runs `fn` after the batch commits (not if it fails), on the writer thread, before the
  // batch's futures complete. For publishing committed facts to thread-safe read caches, e.g. a
  // new OAuth token.
  void OnCommit(std::function<void()> fn) { on_commit_.push_back(std::move(fn)); }

 private:
  friend class Sequencer;
  State& state_;
  std::vector<std::function<void()>> on_commit_;
};

class Sequencer {
 public:
  // `store` and `state` must outlive the sequencer; `state` must be loaded from `store`.
  Sequencer(Store& store, State& state, SequencerOptions options = {});
  ~Sequencer();  // Stop()s

  // Submits `fn`, a callable `Result<T>(CommandContext&)`; the future completes after commit.
  template <typename F>
  auto Submit(F fn) -> std::future<std::invoke_result_t<F, CommandContext&>> {
    using R = std::invoke_result_t<F, CommandContext&>;
    auto promise = std::make_shared<std::promise<R>>();
    auto future = promise->get_future();
    auto out = std::make_shared<std::optional<R>>();
    Item item;
    item.run = [fn = std::move(fn), out](CommandContext& ctx) mutable { out->emplace(fn(ctx)); };
    item.complete = [promise, out](const Status& commit) {
      if (!commit.ok() || !out->has_value()) {
        promise->set_value(R(commit.ok() ? Status::Internal("command did not run") : commit));
      } else {
        promise->set_value(std::move(**out));
      }
    };
    Enqueue(std::move(item));
    return future;
  }

  // Stops accepting, finishes everything queued (flushes), joins the thread.
  void Stop();
  SequencerStats stats() const;
  // Sizes of the last batches (for /metrics): a copy, newest last, at most 1024.
  std::vector<uint32_t> TakeBatchSizes();

 private:
  struct Item {
    std::function<void(CommandContext&)> run;
    std::function<void(const Status&)> complete;
  };
  // One applied batch on its way to disk.
  struct PendingCommit {
    PreparedWritePtr write;  // null when the batch changed nothing (reads)
    std::vector<Item> items;
    std::vector<std::function<void()>> on_commit;
    Status poisoned;  // a command threw: the batch fails and the State is reloaded
  };
  void Enqueue(Item item);
  void Loop();
  void WriterLoop();
  void RunBatch(std::vector<Item>& batch);

  Store& store_;
  State& state_;
  SequencerOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Item> queue_;
  bool stopping_ = false;
  SequencerStats stats_;
  std::vector<uint32_t> batch_sizes_;

  // Hand-off to the writer thread.
  std::mutex wmu_;
  std::condition_variable wcv_;
  std::deque<PendingCommit> commits_;
  bool writer_busy_ = false;
  bool need_reload_ = false;  // a commit failed: later batches fail until the State is reloaded
  bool writer_stop_ = false;

  std::thread thread_;
  std::thread writer_;
};

}  // namespace splitledger::ledger
