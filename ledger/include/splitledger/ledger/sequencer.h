// The sequencer: the single writer of a shard (DESIGN §3).
//
// Callers submit a Job: a typed command (data) that the service layer knows how to apply, and
// the promise its caller waits on. The sequencer never sees closures or wire formats: it calls
// Job::Apply (service code) on its thread and Job::Complete once the batch's fate is known.
// Three threads, a pipeline:
//   sequencer  takes every queued job (up to max_batch), applies each in order to the in-memory
//              State and copies the rows the batch changed (Store::Prepare);
//   writer     appends the batch to the log as one record (Store::Append) and, only once it is
//              durable, completes the batch's jobs;
//   projector  writes durable records into the relational tables (Store::Project), grouping
//              whatever has accumulated, off the acknowledgement path.
// Batches are logged in the order they were applied. Therefore:
//   * a completed job means the command's effects are durable (in the log);
//   * a command that returns an error must have changed nothing (commands validate first, then
//     mutate; see intent_ops.h), so it fails alone and its batch-mates are unaffected;
//   * if the append fails, every command of the batch, and of every later batch already applied
//     on top of it, completes with kUnavailable (retryable), and the State is reloaded from the
//     tables (once they hold every durable record) before the next batch, so memory never runs
//     ahead of disk;
//   * the projection's lag is bounded: past max_projection_lag records the writer waits for
//     the projector (back-pressure), so an acknowledgement rate never hides a growing backlog;
//   * read-only commands are answered after the batch they ran in is durable, so they never
//     show anything that could still be rolled back.
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
  size_t max_batch = 4096;         // commands per log record
  size_t max_projection_lag = 64;  // durable records not yet in the tables before the writer waits
};

struct SequencerStats {
  uint64_t batches = 0;
  uint64_t commands = 0;
  uint64_t failed_commits = 0;
  uint64_t apply_micros_total = 0;       // sequencer thread: applying commands and Prepare
  uint64_t commit_micros_total = 0;      // time spent in Store::Append (encode, write, sync)
  uint64_t projections = 0;              // projection transactions committed
  uint64_t projection_micros_total = 0;  // time spent in Store::Project
  uint64_t projection_failures = 0;      // failed projection transactions (retried)
  uint64_t durable_lsn = 0;
  uint64_t projected_lsn = 0;   // lag = durable_lsn - projected_lsn
  uint64_t intents_cached = 0;  // intents in the writer's memory (State::TrimIntents)
  uint64_t intent_reads = 0;    // intents read back from the tables
  std::vector<TableWriteCost> projection_tables;  // each table's share of the projection
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

  // Stops accepting, finishes everything queued (flushes), projects what it can, joins the
  // threads. Records left unprojected (a failing database) are replayed by the next Store::Open.
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
  void ProjectorLoop();
  void RunBatch(std::vector<Item>& batch);
  // Hands a durable record to the projector, waiting while the projection lags too far.
  void QueueProjection(PreparedWritePtr write);

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

  // Hand-off to the projector thread.
  std::mutex pmu_;
  std::condition_variable pcv_;
  std::deque<PreparedWritePtr> projections_;
  std::vector<PreparedWritePtr> graveyard_;  // projected rows, freed by the sequencer thread
  bool projector_busy_ = false;
  bool projector_stop_ = false;

  // The log record the next batch with changes becomes (sequencer thread): what the State
  // stamps on the intents a batch touches, so none leaves memory before the tables hold it.
  uint64_t next_lsn_;

  std::thread thread_;
  std::thread writer_;
  std::thread projector_;
};

}  // namespace splitledger::ledger
