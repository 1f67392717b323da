// Ledger benchmark: create-intent (2 line items) + full capture, as two service commands (the
// same commands the HTTP dialects send: handlers, events, result snapshots), through the
// sequencer with group commit, against the same commands with one log record per command
// (max_batch = 1), both durable (the log synced before each acknowledgement). A run's clock stops
// when the projection holds every record, not at the last acknowledgement. `--json` prints the
// figures as one JSON object on stdout (docs/performance.md); the human summary goes to stderr.
// `--memory` runs at least 1,000,000 operations (one intent each) and adds rss_bytes_per_intent:
// the growth of this process's resident memory from before the run to the projection caught up.
// `--intent-cache N` bounds the intents the writer keeps in memory (default: the server's).
// `--capture-reference` gives each capture a PSP reference of its own, as a platform relaying a
// PSP's capture ids does (the writer indexes every action carrying one).
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "splitledger/bench/bench.h"
#include "splitledger/core/ids.h"
#include "splitledger/service/service.h"

namespace splitledger::bench {
namespace {

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
    l.seller.author_id = "bench-seller-" + std::to_string(i);
    l.seller.wallet_id = "bench-wallet-" + std::to_string(i);
    l.seller.fees_amount = 100;
    in.lines.push_back(std::move(l));
  }
  return in;
}

// The two sellers and their EUR wallets the intents pay (a seller wallet must exist).
Status CreateSellers(service::Service& svc) {
  int64_t now = NowMs();
  for (int i = 0; i < 2; ++i) {
    service::CreateUser user;
    user.user->id = "bench-seller-" + std::to_string(i);
    user.user->first_name = "Seller";
    user.user->last_name = std::to_string(i);
    user.user->email = "seller@example.com";
    service::Outcome u = svc.Execute({{"bench", now}, std::move(user), std::nullopt});
    if (!u.ok() && u.status.code() != ErrorCode::kAlreadyExists) return u.status;
    service::CreateWallet wallet;
    wallet.wallet.id = "bench-wallet-" + std::to_string(i);
    wallet.wallet.owners = {"bench-seller-" + std::to_string(i)};
    wallet.wallet.currency = "EUR";
    service::Outcome w = svc.Execute({{"bench", now}, std::move(wallet), std::nullopt});
    if (!w.ok() && w.status.code() != ErrorCode::kAlreadyExists) return w.status;
  }
  return Status::Ok();
}

// One operation = create a 2-line intent, then capture it fully: two service commands submitted
// back to back (ids are chosen by the submitter, so the capture can follow without waiting).
void SubmitCreateAndCapture(service::Service& svc, const std::string& run, uint64_t n,
                            bool capture_reference,
                            std::vector<std::future<service::Outcome>>* out) {
  int64_t now = NowMs();
  service::CreateIntent create;
  *create.input = TwoLineIntent(run, n);
  create.intent_id = NewId(id_prefix::kIntent, now);
  for (size_t i = 0; i < create.input->lines.size(); ++i)
    create.line_ids.push_back(NewId(id_prefix::kLineItem, now));
  std::string intent_id = create.intent_id;
  out->push_back(svc.Submit({{"bench", now}, std::move(create), std::nullopt}));
  ActionInput capture_input;
  if (capture_reference) {
    capture_input.external.present = true;
    capture_input.external.provider_name = "STRIPE";
    capture_input.external.provider_reference = "ch-" + run + "-" + std::to_string(n);
  }
  service::CaptureIntent capture{intent_id, std::move(capture_input),
                                 NewId(id_prefix::kCapture, now)};
  out->push_back(svc.Submit({{"bench", now}, std::move(capture), std::nullopt}));
}

struct RunResult {
  double seconds = 0;      // from the first submit until the projection held every record
  double ack_seconds = 0;  // from the first submit until the last acknowledgement
  uint64_t ops = 0;
  uint64_t postings = 0;
  uint64_t batches = 0;
  double apply_seconds = 0;                // sequencer thread
  double commit_seconds = 0;               // writer thread: log appends
  double projection_seconds = 0;           // projector thread
  std::vector<service::TableCost> tables;  // the projection's time, per table
  bool caught_up = false;
  bool ok = true;
  int64_t rss_before = 0;  // bytes, once the service is open and the sellers exist
  int64_t rss_after = 0;   // bytes, once every operation is in the tables
};

// Resident set size of this process, from /proc/self/statm.
int64_t RssBytes() {
  long pages_total = 0, pages_resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages_total, &pages_resident) != 2) pages_resident = 0;
    std::fclose(f);
  }
  return static_cast<int64_t>(pages_resident) * sysconf(_SC_PAGESIZE);
}

RunResult Run(const std::string& url, uint64_t ops, size_t max_batch, size_t inflight,
              size_t intent_cache, bool capture_reference) {
  RunResult rr;
  service::ServiceOptions options;
  options.db_url = url;
  options.max_batch = max_batch;
  options.max_cached_intents = intent_cache;
  auto opened = service::Service::Open(options);
  if (!opened.ok()) {
    std::fprintf(stderr, "bench: %s\n", opened.status().ToString().c_str());
    rr.ok = false;
    return rr;
  }
  service::Service& seq = **opened;
  if (Status st = CreateSellers(seq); !st.ok()) {
    std::fprintf(stderr, "bench: %s\n", st.ToString().c_str());
    rr.ok = false;
    return rr;
  }
  rr.rss_before = RssBytes();
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
      std::vector<std::future<service::Outcome>> futures;
      for (;;) {
        futures.clear();
        for (size_t i = 0; i < window; ++i) {
          uint64_t n = next.fetch_add(1);
          if (n >= ops) break;
          SubmitCreateAndCapture(seq, run, n, capture_reference, &futures);
        }
        if (futures.empty()) return;
        for (auto& f : futures) {
          service::Outcome o = f.get();
          if (!o.ok()) {
            if (!failed.exchange(true))
              std::fprintf(stderr, "bench: %s\n", o.status.ToString().c_str());
          }
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  auto acked = std::chrono::steady_clock::now();
  // An acknowledgement rate with a growing backlog is not throughput: the clock stops when the
  // tables hold every durable record.
  for (;;) {
    service::ServiceStats st = seq.stats();
    if (st.projected_lsn >= st.durable_lsn) break;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  auto end = std::chrono::steady_clock::now();
  service::ServiceStats st = seq.stats();
  rr.caught_up = st.projected_lsn == st.durable_lsn;
  rr.rss_after = RssBytes();
  seq.Stop();
  rr.seconds = std::chrono::duration<double>(end - start).count();
  rr.ack_seconds = std::chrono::duration<double>(acked - start).count();
  rr.ops = ops;
  rr.batches = st.batches;
  rr.apply_seconds = st.apply_micros_total / 1e6;
  rr.commit_seconds = st.commit_micros_total / 1e6;
  rr.projection_seconds = st.projection_micros_total / 1e6;
  rr.tables = st.projection_tables;
  std::sort(
      rr.tables.begin(), rr.tables.end(),
      [](const service::TableCost& a, const service::TableCost& b) { return a.nanos > b.nanos; });
  rr.ok = !failed;
  // 13 postings per operation (intent_ops.h): create = 2 line holds + 2×2 fee legs + the
  // receivable's hold; full capture = 2×2 line legs (release, post) + the receivable's 2.
  rr.postings = ops * 13;
  return rr;
}

void Print(const char* name, const RunResult& r) {
  std::fprintf(
      stderr,
      "%-28s %9llu ops in %7.3f s  %10.0f ops/s  %11.0f postings/s  (%llu log records; "
      "per op: apply %.1f us, log %.1f us, projection %.1f us; acknowledged at %.0f ops/s)\n",
      name, static_cast<unsigned long long>(r.ops), r.seconds, r.ops / r.seconds,
      r.postings / r.seconds, static_cast<unsigned long long>(r.batches),
      1e6 * r.apply_seconds / r.ops, 1e6 * r.commit_seconds / r.ops,
      1e6 * r.projection_seconds / r.ops, r.ops / r.ack_seconds);
}

// Where the projection's time goes, per operation: text for the terminal, or a JSON array.
std::string TableCosts(const RunResult& r, bool json) {
  std::string out;
  char buf[200];
  for (const service::TableCost& t : r.tables) {
    double rows = static_cast<double>(t.rows) / static_cast<double>(r.ops);
    double us = static_cast<double>(t.nanos) / 1e3 / static_cast<double>(r.ops);
    if (json) {
      std::snprintf(buf, sizeof buf,
                    "%s{\"table\": \"%s\", \"rows_per_op\": %.2f, \"us_per_op\": %.2f}",
                    out.empty() ? "" : ", ", t.table.c_str(), rows, us);
    } else {
      std::snprintf(buf, sizeof buf, "  %-22s %6.2f rows/op %7.2f us/op %6.2f us/row\n",
                    t.table.c_str(), rows, us,
                    t.rows ? static_cast<double>(t.nanos) / 1e3 / t.rows : 0);
    }
    out += buf;
  }
  return json ? "[" + out + "]" : out;
}

}  // namespace

int LedgerBenchMain(int argc, char** argv) {
  std::string url = Flag(argc, argv, "--db", "");
  uint64_t ops = std::stoull(Flag(argc, argv, "--ops", "200000"));
  uint64_t baseline_ops = std::stoull(Flag(argc, argv, "--baseline-ops", "3000"));
  size_t inflight = std::stoull(Flag(argc, argv, "--inflight", "2048"));
  // The writer's bound on intents in memory (serve --intent-cache; 0: all), the server default.
  size_t intent_cache = std::stoull(Flag(
      argc, argv, "--intent-cache", std::to_string(service::ServiceOptions{}.max_cached_intents)));
  bool json = false, memory = false, capture_reference = false;
  for (int i = 0; i < argc; ++i) {
    json = json || std::strcmp(argv[i], "--json") == 0;
    memory = memory || std::strcmp(argv[i], "--memory") == 0;
    capture_reference = capture_reference || std::strcmp(argv[i], "--capture-reference") == 0;
  }
  // --memory: the resident memory each stored intent costs, over at least a million of them.
  if (memory) ops = std::max<uint64_t>(std::stoull(Flag(argc, argv, "--ops", "1000000")), 1000000);
  std::filesystem::path tmp;
  std::string grouped_url = url, single_url = url;
  if (url.empty()) {
    tmp =
        std::filesystem::temp_directory_path() / ("splitledger-bench-" + std::to_string(getpid()));
    std::filesystem::create_directories(tmp);
    grouped_url = "sqlite:" + (tmp / "grouped.db").string();
    single_url = "sqlite:" + (tmp / "single.db").string();
  }
  std::fprintf(stderr, "ledger bench: create 2-line intent + full capture, durable log (%s)\n",
               url.empty() ? "SQLite, log file fdatasync'd per record" : url.c_str());
  // The baseline: the same operations through the same code, one command per log record.
  RunResult single = Run(single_url, baseline_ops, 1, 64, intent_cache, capture_reference);
  Print("one command per log record", single);
  RunResult grouped = Run(grouped_url, ops, 4096, inflight, intent_cache, capture_reference);
  Print("sequencer (group commit)", grouped);
  std::fprintf(stderr, "projection by table (statements only; commits and syncs excluded):\n%s",
               TableCosts(grouped, false).c_str());
  if (!tmp.empty()) std::filesystem::remove_all(tmp);
  if (!single.ok || !grouped.ok) {
    std::fprintf(stderr, "bench: some operations failed\n");
    return 1;
  }
  double ops_per_s = grouped.ops / grouped.seconds;
  double baseline = single.ops / single.seconds;
  double avg_batch = static_cast<double>(grouped.ops) / static_cast<double>(grouped.batches);
  std::string memory_json;
  if (memory) {
    double per_intent = static_cast<double>(grouped.rss_after - grouped.rss_before) /
                        static_cast<double>(grouped.ops);
    std::fprintf(stderr,
                 "memory: RSS %.1f MB -> %.1f MB over %llu intents: %.0f bytes per intent\n",
                 grouped.rss_before / 1e6, grouped.rss_after / 1e6,
                 static_cast<unsigned long long>(grouped.ops), per_intent);
    char buf[200];
    std::snprintf(
        buf, sizeof buf,
        ", \"rss_bytes_per_intent\": %.0f, \"rss_before_bytes\": %lld, \"rss_after_bytes\": %lld, "
        "\"intent_cache\": %zu, \"capture_reference\": %s",
        per_intent, static_cast<long long>(grouped.rss_before),
        static_cast<long long>(grouped.rss_after), intent_cache,
        capture_reference ? "true" : "false");
    memory_json = buf;
  }
  if (json) {
    std::printf(
        "{\"ops_per_s\": %.0f, \"baseline_ops_per_s\": %.0f, \"ratio\": %.2f, "
        "\"postings_per_s\": %.0f, \"apply_us_per_op\": %.2f, \"writer_us_per_op\": %.2f, "
        "\"projection_us_per_op\": %.2f, \"avg_batch\": %.1f, \"projection_caught_up\": %s, "
        "\"acknowledged_ops_per_s\": %.0f, \"ops\": %llu, \"baseline_ops\": %llu, "
        "\"backend\": \"%s\", \"projection_tables\": %s%s}\n",
        ops_per_s, baseline, ops_per_s / baseline, grouped.postings / grouped.seconds,
        1e6 * grouped.apply_seconds / grouped.ops, 1e6 * grouped.commit_seconds / grouped.ops,
        1e6 * grouped.projection_seconds / grouped.ops, avg_batch,
        grouped.caught_up && single.caught_up ? "true" : "false", grouped.ops / grouped.ack_seconds,
        static_cast<unsigned long long>(grouped.ops), static_cast<unsigned long long>(single.ops),
        url.rfind("postgres", 0) == 0 ? "postgresql" : "sqlite", TableCosts(grouped, true).c_str(),
        memory_json.c_str());
  } else {
    std::printf("ratio group commit / one command per record: %.1fx  (avg batch %.0f ops)\n",
                ops_per_s / baseline, avg_batch);
  }
  return 0;
}

}  // namespace splitledger::bench
