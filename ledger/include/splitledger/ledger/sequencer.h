// The sequencer: the single writer of a shard (DESIGN §3).
//
// Callers submit a Job: a typed command (data) that the service layer knows how to apply, and
// the promise its caller waits on. The sequencer never sees closures or wire formats: it calls
// Job::Apply (service code) on its thread and Job::Complete once the batch's fate is known. The
// sequencer thread takes every queued job (up to max_batch), applies each in order to the
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
// Apply runs on the sequencer thread: keep it short and free of IO, hashing, JSON and logging.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
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

// One queued command. Apply() runs on the sequencer thread against the State and must either
// change nothing and record an error, or make its whole change (never half); Complete() runs on
// the writer thread after the batch committed (OK) or failed (the commit's error), exactly once.
class Job {
 public:
  virtual ~Job() = default;
  virtual void Apply(State& state) = 0;
  virtual void Complete(const Status& commit) = 0;
};

class Sequencer {
 public:
  // `store` and `state` must outlive the sequencer; `state` must be loaded from `store`.
  Sequencer(Store& store, State& state, SequencerOptions options = {});
  ~Sequencer();  // Stop()s

  // Queues a job. If the sequencer is stopping, completes it at once with kUnavailable.
  void Submit(std::unique_ptr<Job> job);

  // Stops accepting, finishes everything queued (flushes), joins the thread.
  void Stop();
  SequencerStats stats() const;
  // Sizes of the last batches (for /metrics): a copy, newest last, at most 1024.
  std::vector<uint32_t> TakeBatchSizes();

 private:
  using Item = std::unique_ptr<Job>;
  // One applied batch on its way to disk.
  struct PendingCommit {
    PreparedWritePtr write;  // null when the batch changed nothing (reads)
    std::vector<Item> items;
    Status poisoned;  // a command threw: the batch fails and the State is reloaded
  };
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
