// Ledger benchmark: create-intent (2 line items) + full capture through the sequencer (group
// commit) against the same operations with one database transaction per operation (the
// sequencer with max_batch = 1), both on a durable store (SQLite synchronous=FULL by default).
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "splitledger/bench/bench.h"
#include "splitledger/core/ids.h"
#include "splitledger/ledger/intent_ops.h"
#include "splitledger/ledger/sequencer.h"

namespace splitledger::bench {
namespace {

using namespace splitledger::ledger;

std::string Flag(int argc, char** argv, const char* name, std::string fallback) {
  for (int i = 0; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return fallback;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

CreateIntentInput TwoLineIntent(const std::string& run, uint64_t n) {
  CreateIntentInput in;
  in.currency = "EUR";
  in.external.present = true;
  in.external.processing_date = 1700000000;
  in.external.provider_name = "STRIPE";
  in.external.provider_reference = "bench-" + run + "-" + std::to_string(n);
  for (int i = 0; i < 2; ++i) {
    LineItemInput l;
    l.sku = "sku-" + std::to_string(i);
    l.name = "item";
    l.quantity = 1 + i;
    l.unit_amount = 1000 + i * 250;
    l.seller.author_id = "seller-" + std::to_string(i);
    l.seller.wallet_id = "wlt-" + std::to_string(i);
    l.seller.fees_amount = 100;
    in.lines.push_back(std::move(l));
  }
  return in;
}

// One operation = one command: create a 2-line intent, then capture it fully.
Result<size_t> CreateAndCapture(CommandContext& ctx, const std::string& run, uint64_t n) {
  int64_t now = NowMs();
  auto created = CreateIntent(ctx.state(), "bench", TwoLineIntent(run, n), now);
  if (!created.ok()) return created.status();
  ActionInput full;
  auto captured = CaptureIntent(ctx.state(), "bench", created->intent->id, full, now);
  if (!captured.ok()) return captured.status();
  return size_t{1};
}

struct RunResult {
  double seconds = 0;
  uint64_t ops = 0;
  uint64_t postings = 0;
  uint64_t batches = 0;
  double commit_seconds = 0;
  bool ok = true;
};

RunResult Run(const std::string& url, uint64_t ops, size_t max_batch, size_t inflight) {
  RunResult rr;
  auto store = Store::Open({url});
  if (!store.ok()) {
    std::fprintf(stderr, "bench: %s\n", store.status().ToString().c_str());
    rr.ok = false;
    return rr;
  }
  State state;
  if (Status s = (*store)->Load(state); !s.ok()) {
    std::fprintf(stderr, "bench: %s\n", s.ToString().c_str());
    rr.ok = false;
    return rr;
  }
  size_t accounts_before = 0;
  long long postings_before = 0;
  {
    (void)accounts_before;
  }
  Sequencer seq(**store, state, {.max_batch = max_batch});
  // References must be unique across runs on the same database, or creates become mixed baskets.
  const std::string run = RandomHex(6);
  // Submitters keep `inflight` commands outstanding in total, like that many HTTP connections.
  const size_t threads = 4;
  std::atomic<uint64_t> next{0};
  std::atomic<bool> failed{false};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (size_t t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      size_t window = std::max<size_t>(1, inflight / threads);
      std::vector<std::future<Result<size_t>>> futures;
      for (;;) {
        futures.clear();
        for (size_t i = 0; i < window; ++i) {
          uint64_t n = next.fetch_add(1);
          if (n >= ops) break;
          futures.push_back(
              seq.Submit([n, &run](CommandContext& ctx) { return CreateAndCapture(ctx, run, n); }));
        }
        if (futures.empty()) return;
        for (auto& f : futures) {
          if (!f.get().ok()) failed = true;
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  auto end = std::chrono::steady_clock::now();
  seq.Stop();
  rr.seconds = std::chrono::duration<double>(end - start).count();
  rr.ops = ops;
  rr.batches = seq.stats().batches;
  rr.commit_seconds = seq.stats().commit_micros_total / 1e6;
  rr.ok = !failed;
  (void)postings_before;
  // 12 postings per operation: see the table in intent_ops.h (2 lines, fees, create + capture).
  rr.postings = ops * 12;
  return rr;
}

void Print(const char* name, const RunResult& r) {
  std::printf("%-28s %9llu ops in %7.3f s  %10.0f ops/s  %11.0f postings/s  (%llu commits, %.1f%% of "
              "the time in commit)\n",
              name, static_cast<unsigned long long>(r.ops), r.seconds, r.ops / r.seconds,
              r.postings / r.seconds, static_cast<unsigned long long>(r.batches),
              100.0 * r.commit_seconds / r.seconds);
}

}  // namespace

int LedgerBenchMain(int argc, char** argv) {
  std::string url = Flag(argc, argv, "--db", "");
  uint64_t ops = std::stoull(Flag(argc, argv, "--ops", "200000"));
  uint64_t baseline_ops = std::stoull(Flag(argc, argv, "--baseline-ops", "3000"));
  size_t inflight = std::stoull(Flag(argc, argv, "--inflight", "2048"));
  std::filesystem::path tmp;
  std::string grouped_url = url, single_url = url;
  if (url.empty()) {
    tmp = std::filesystem::temp_directory_path() /
          ("splitledger-bench-" + std::to_string(getpid()));
    std::filesystem::create_directories(tmp);
    grouped_url = "sqlite:" + (tmp / "grouped.db").string();
    single_url = "sqlite:" + (tmp / "single.db").string();
  }
  std::printf("ledger bench: create 2-line intent + full capture, durable commits (%s)\n",
              url.empty() ? "SQLite WAL, synchronous=FULL" : url.c_str());
  RunResult single = Run(single_url, baseline_ops, 1, 64);
  Print("one transaction per op", single);
  RunResult grouped = Run(grouped_url, ops, 4096, inflight);
  Print("sequencer (group commit)", grouped);
  if (!tmp.empty()) std::filesystem::remove_all(tmp);
  if (!single.ok || !grouped.ok) {
    std::fprintf(stderr, "bench: some operations failed\n");
    return 1;
  }
  double ratio = (grouped.ops / grouped.seconds) / (single.ops / single.seconds);
  std::printf("ratio group commit / per-op transaction: %.1fx  (avg batch %.0f ops)\n", ratio,
              static_cast<double>(grouped.ops) / static_cast<double>(grouped.batches));
  return 0;
}

}  // namespace splitledger::bench
