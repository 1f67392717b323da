#include "splitledger/ledger/sequencer.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <thread>

namespace splitledger::ledger {

namespace {
constexpr size_t kMaxCommitsInFlight = 2;  // applied batches waiting for the writer
}  // namespace

Sequencer::Sequencer(Store& store, State& state, SequencerOptions options)
    : store_(store), state_(state), options_(options), next_lsn_(store.durable_lsn() + 1) {
  // Named, so that top -H and perf tell the pipeline's stages apart.
  projector_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "sl-projector");
    ProjectorLoop();
  });
  writer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "sl-log-writer");
    WriterLoop();
  });
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "sl-sequencer");
    Loop();
  });
}

Sequencer::~Sequencer() { Stop(); }

void Sequencer::Submit(std::unique_ptr<Job> item) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      queue_.push_back(std::move(item));
      cv_.notify_one();
      return;
    }
  }
  item->Complete(Status::Unavailable("shutting down"));
}

void Sequencer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    cv_.notify_one();
  }
  if (thread_.joinable()) thread_.join();  // applies and hands off everything queued
  {
    std::lock_guard<std::mutex> lock(wmu_);
    writer_stop_ = true;
    wcv_.notify_all();
  }
  if (writer_.joinable()) writer_.join();  // commits everything handed off
  {
    std::lock_guard<std::mutex> lock(pmu_);
    projector_stop_ = true;
    pcv_.notify_all();
  }
  if (projector_.joinable()) projector_.join();  // projects everything durable
}

SequencerStats Sequencer::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  SequencerStats s = stats_;
  s.durable_lsn = store_.durable_lsn();
  s.projected_lsn = store_.projected_lsn();
  s.projection_tables = store_.ProjectionCosts();
  return s;
}

std::vector<uint32_t> Sequencer::TakeBatchSizes() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<uint32_t> out;
  out.swap(batch_sizes_);
  return out;
}

void Sequencer::Loop() {
  std::vector<Item> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;
      if (queue_.size() <= options_.max_batch) {
        batch.swap(queue_);
      } else {
        auto end = queue_.begin() + static_cast<std::ptrdiff_t>(options_.max_batch);
        batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(end));
        queue_.erase(queue_.begin(), end);
      }
    }
    RunBatch(batch);
    batch.clear();
  }
}

void Sequencer::RunBatch(std::vector<Item>& batch) {
  {
    std::unique_lock<std::mutex> wl(wmu_);
    if (need_reload_) {
      // Memory holds effects that never reached the disk: wait until the writer has failed
      // every batch built on them, then rebuild the State from the database.
      wcv_.wait(wl, [&] { return commits_.empty() && !writer_busy_; });
      {
        // The tables must hold every durable record before they can stand for the State.
        std::unique_lock<std::mutex> pl(pmu_);
        pcv_.wait(pl, [&] { return projections_.empty() && !projector_busy_; });
      }
      Status reload = store_.projected_lsn() == store_.durable_lsn()
                          ? store_.Load(state_)
                          : Status::Unavailable("the projection is behind the log");
      if (!reload.ok()) state_.Clear();  // the database stays authoritative; the next load retries
      need_reload_ = !reload.ok();
      next_lsn_ = store_.durable_lsn() + 1;
    }
    wcv_.wait(wl, [&] { return commits_.size() < kMaxCommitsInFlight; });
  }
  // Memory stays bounded: intents the tables hold may leave it (they are read back on demand);
  // what this batch touches stays until its record is projected.
  state_.TrimIntents(store_.projected_lsn());
  state_.SetBatchLsn(next_lsn_);
  auto start = std::chrono::steady_clock::now();  // apply time includes freeing old rows
  {
    std::vector<PreparedWritePtr> projected;
    {
      std::lock_guard<std::mutex> lock(pmu_);
      projected.swap(graveyard_);
    }
  }  // freed here, on the thread that allocated them
  PendingCommit pc;
  for (Item& item : batch) {
    try {
      item->Apply(state_);
    } catch (const std::exception& e) {
      // A command threw after possibly mutating state: nothing of this batch may be trusted.
      pc.poisoned = Status::Internal(std::string("command failed: ") + e.what());
    }
  }
  if (pc.poisoned.ok() && state_.HasChanges()) {
    pc.write = store_.Prepare(state_.TakeChanges());
    ++next_lsn_;  // batches with changes are appended in this order, one record each
  } else if (!pc.poisoned.ok()) {
    state_.TakeChanges();  // discarded; the State is reloaded before the next batch
  }
  pc.items = std::move(batch);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::steady_clock::now() - start)
                    .count();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.apply_micros_total += static_cast<uint64_t>(micros);
    stats_.intents_cached = state_.cached_intents();
    stats_.intent_reads = state_.intent_reads();
  }
  {
    std::lock_guard<std::mutex> wl(wmu_);
    commits_.push_back(std::move(pc));
    wcv_.notify_all();
  }
}

void Sequencer::WriterLoop() {
  for (;;) {
    PendingCommit pc;
    bool earlier_failed;
    {
      std::unique_lock<std::mutex> wl(wmu_);
      wcv_.wait(wl, [&] { return !commits_.empty() || writer_stop_; });
      if (commits_.empty()) return;
      pc = std::move(commits_.front());
      commits_.pop_front();
      writer_busy_ = true;
      earlier_failed = need_reload_;
      wcv_.notify_all();
    }
    Status commit = pc.poisoned;
    auto start = std::chrono::steady_clock::now();
    if (earlier_failed) {
      commit = Status::Unavailable("an earlier batch failed to commit");
    } else if (commit.ok() && pc.write) {
      commit = store_.Append(*pc.write);
    }
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
    if (!commit.ok()) {
      commit = Status::Unavailable("the batch could not be committed, retry: " + commit.message());
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      stats_.batches++;
      stats_.commands += pc.items.size();
      stats_.commit_micros_total += static_cast<uint64_t>(micros);
      if (!commit.ok()) stats_.failed_commits++;
      if (batch_sizes_.size() < 1024)
        batch_sizes_.push_back(static_cast<uint32_t>(pc.items.size()));
    }
    if (!commit.ok()) {
      // Before answering: a caller told of the failure may submit at once, and its command must
      // run on the reloaded State, not on the effects that were just rolled back.
      std::lock_guard<std::mutex> wl(wmu_);
      need_reload_ = true;
    }
    for (Item& item : pc.items) item->Complete(commit);
    if (commit.ok() && pc.write) QueueProjection(std::move(pc.write));
    {
      std::lock_guard<std::mutex> wl(wmu_);
      writer_busy_ = false;
      wcv_.notify_all();
    }
  }
}

void Sequencer::QueueProjection(PreparedWritePtr write) {
  std::unique_lock<std::mutex> lock(pmu_);
  pcv_.wait(lock, [&] { return projections_.size() < options_.max_projection_lag; });
  projections_.push_back(std::move(write));
  pcv_.notify_all();
}

void Sequencer::ProjectorLoop() {
  std::vector<PreparedWrite*> group;
  int failures_in_a_row = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(pmu_);
      pcv_.wait(lock, [&] { return !projections_.empty() || projector_stop_; });
      if (projections_.empty()) return;
      // Past a few failures while stopping, leave the rest to the next start's replay.
      if (projector_stop_ && failures_in_a_row >= 3) return;
      group.clear();
      for (PreparedWritePtr& w : projections_) group.push_back(w.get());
      projector_busy_ = true;
    }
    auto start = std::chrono::steady_clock::now();
    Status st = store_.Project(group);
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
    {
      std::lock_guard<std::mutex> lock(mu_);
      stats_.projection_micros_total += static_cast<uint64_t>(micros);
      if (st.ok()) {
        stats_.projections++;
      } else {
        stats_.projection_failures++;
      }
    }
    std::vector<PreparedWritePtr> done;
    {
      std::lock_guard<std::mutex> lock(pmu_);
      if (st.ok()) {
        for (size_t i = 0; i < group.size(); ++i) {
          done.push_back(std::move(projections_.front()));
          projections_.pop_front();
        }
      }
      projector_busy_ = false;
      pcv_.notify_all();
    }
    if (!done.empty()) {
      // The rows were allocated on the sequencer thread: free them there too (a free from
      // another thread takes the allocating arena's lock and was a quarter of that thread's
      // time under perf).
      std::lock_guard<std::mutex> lock(pmu_);
      for (PreparedWritePtr& w : done) graveyard_.push_back(std::move(w));
      done.clear();
    }
    if (st.ok()) {
      failures_in_a_row = 0;
    } else {
      // The records are durable in the log: retry the same group (the writer waits once the
      // lag reaches its bound; a restart replays them).
      ++failures_in_a_row;
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::min(1000, 50 * failures_in_a_row)));
    }
  }
}

}  // namespace splitledger::ledger
