#include "splitledger/ledger/sequencer.h"

#include <chrono>

namespace splitledger::ledger {

Sequencer::Sequencer(Store& store, State& state, SequencerOptions options)
    : store_(store), state_(state), options_(options) {
  thread_ = std::thread([this] { Loop(); });
}

Sequencer::~Sequencer() { Stop(); }

void Sequencer::Enqueue(Item item) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      queue_.push_back(std::move(item));
      cv_.notify_one();
      return;
    }
  }
  item.complete(Status::Unavailable("shutting down"));
}

void Sequencer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    cv_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
}

SequencerStats Sequencer::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
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
  CommandContext ctx(state_);
  Status poisoned;
  for (Item& item : batch) {
    try {
      item.run(ctx);
    } catch (const std::exception& e) {
      // A command threw after possibly mutating state: nothing of this batch may be trusted.
      poisoned = Status::Internal(std::string("command failed: ") + e.what());
    }
  }
  Status commit = poisoned;
  auto start = std::chrono::steady_clock::now();
  if (commit.ok() && state_.HasChanges()) commit = store_.Write(state_.TakeChanges());
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::steady_clock::now() - start)
                    .count();
  if (!commit.ok()) {
    // Memory may hold effects that are not on disk: rebuild it from the database.
    Status reload = store_.Load(state_);
    if (!reload.ok()) state_.Clear();  // next batch will fail too; the database is authoritative
    commit = Status::Unavailable("the batch could not be committed, retry: " + commit.message());
  } else {
    for (auto& fn : ctx.on_commit_) fn();
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.batches++;
    stats_.commands += batch.size();
    stats_.commit_micros_total += static_cast<uint64_t>(micros);
    if (!commit.ok()) stats_.failed_commits++;
    if (batch_sizes_.size() < 1024) batch_sizes_.push_back(static_cast<uint32_t>(batch.size()));
  }
  for (Item& item : batch) item.complete(commit);
}

}  // namespace splitledger::ledger
