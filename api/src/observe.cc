#include "observe.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <unordered_map>

#include "json.h"
#include "splitledger/service/service.h"

namespace splitledger::api {

namespace {
std::atomic<uint64_t> g_next_instance{1};

// Writes all of `data` to stdout (the log's one sink), whole, whatever other threads write.
void WriteOut(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(STDOUT_FILENO, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data.remove_prefix(static_cast<size_t>(n));
  }
}

// This thread's shard of an instance: instances are few (one per serve), threads many; the
// lookup is a short scan of a thread-local list.
template <class Shard>
Shard& ShardOf(uint64_t id, std::mutex& mu, std::vector<std::unique_ptr<Shard>>& shards) {
  thread_local std::vector<std::pair<uint64_t, Shard*>> mine;
  for (auto& [owner_id, shard] : mine) {
    if (owner_id == id) return *shard;
  }
  auto fresh = std::make_unique<Shard>();
  Shard* raw = fresh.get();
  {
    std::lock_guard<std::mutex> lock(mu);
    shards.push_back(std::move(fresh));
  }
  mine.emplace_back(id, raw);
  return *raw;
}
}  // namespace

struct Metrics::Shard {
  std::mutex mu;  // this thread's, and Render's while it merges
  std::unordered_map<std::string, uint64_t> requests;  // method|route|status
  uint64_t latency_buckets[kNumBuckets + 1] = {};
  uint64_t latency_count = 0;
  double latency_sum_s = 0;
};

Metrics::Metrics() : id_(g_next_instance.fetch_add(1)) {}
Metrics::~Metrics() = default;

Metrics::Shard& Metrics::LocalShard() { return ShardOf(id_, registry_mu_, shards_); }

void Metrics::Record(std::string_view method, std::string_view route, int status, int64_t micros) {
  thread_local std::string key;
  key.clear();
  key.append(method).append("|").append(route).append("|").append(std::to_string(status));
  double ms = micros / 1000.0;
  size_t b = 0;
  while (b < kNumBuckets && ms > kBucketsMs[b]) ++b;
  Shard& shard = LocalShard();
  std::lock_guard lock(shard.mu);
  ++shard.requests[key];
  ++shard.latency_buckets[b];
  ++shard.latency_count;
  shard.latency_sum_s += micros / 1e6;
}

std::string Metrics::Render(service::Service& seq) {
  std::vector<uint32_t> sizes = seq.TakeBatchSizes();
  service::ServiceStats st = seq.stats();
  std::ostringstream o;
  std::map<std::string, uint64_t> requests;
  uint64_t latency_buckets[kNumBuckets + 1] = {};
  uint64_t latency_count = 0;
  double latency_sum_s = 0;
  {
    std::lock_guard lock(registry_mu_);
    for (const auto& shard : shards_) {
      std::lock_guard sl(shard->mu);
      for (const auto& [k, v] : shard->requests) requests[k] += v;
      for (size_t b = 0; b <= kNumBuckets; ++b) latency_buckets[b] += shard->latency_buckets[b];
      latency_count += shard->latency_count;
      latency_sum_s += shard->latency_sum_s;
    }
  }
  std::lock_guard lock(render_mu_);
  for (uint32_t s : sizes) {
    size_t b = 0;
    while (b < kNumBatchBuckets && s > kBatchBuckets[b]) ++b;
    ++batch_buckets_[b];
    ++batch_count_;
    batch_sum_ += s;
  }
  o << "# HELP splitledger_http_requests_total HTTP requests by method, route template and status.\n"
    << "# TYPE splitledger_http_requests_total counter\n";
  for (const auto& [k, v] : requests) {
    size_t p1 = k.find('|'), p2 = k.rfind('|');
    o << "splitledger_http_requests_total{method=\"" << k.substr(0, p1) << "\",route=\""
      << k.substr(p1 + 1, p2 - p1 - 1) << "\",status=\"" << k.substr(p2 + 1) << "\"} " << v << "\n";
  }
  o << "# HELP splitledger_http_request_duration_seconds HTTP request latency.\n"
    << "# TYPE splitledger_http_request_duration_seconds histogram\n";
  uint64_t cum = 0;
  for (size_t b = 0; b < kNumBuckets; ++b) {
    cum += latency_buckets[b];
    o << "splitledger_http_request_duration_seconds_bucket{le=\"" << kBucketsMs[b] / 1000 << "\"} " << cum << "\n";
  }
  cum += latency_buckets[kNumBuckets];
  o << "splitledger_http_request_duration_seconds_bucket{le=\"+Inf\"} " << cum << "\n"
    << "splitledger_http_request_duration_seconds_sum " << latency_sum_s << "\n"
    << "splitledger_http_request_duration_seconds_count " << latency_count << "\n";
  o << "# HELP splitledger_sequencer_batch_size Commands per committed batch.\n"
    << "# TYPE splitledger_sequencer_batch_size histogram\n";
  cum = 0;
  for (size_t b = 0; b < kNumBatchBuckets; ++b) {
    cum += batch_buckets_[b];
    o << "splitledger_sequencer_batch_size_bucket{le=\"" << kBatchBuckets[b] << "\"} " << cum << "\n";
  }
  cum += batch_buckets_[kNumBatchBuckets];
  o << "splitledger_sequencer_batch_size_bucket{le=\"+Inf\"} " << cum << "\n"
    << "splitledger_sequencer_batch_size_sum " << batch_sum_ << "\n"
    << "splitledger_sequencer_batch_size_count " << batch_count_ << "\n";
  o << "# TYPE splitledger_sequencer_batches_total counter\nsplitledger_sequencer_batches_total " << st.batches << "\n"
    << "# TYPE splitledger_sequencer_commands_total counter\nsplitledger_sequencer_commands_total " << st.commands << "\n"
    << "# TYPE splitledger_sequencer_failed_commits_total counter\nsplitledger_sequencer_failed_commits_total "
    << st.failed_commits << "\n"
    << "# HELP splitledger_sequencer_commit_seconds_total Time spent appending batches to the log, syncs included.\n"
    << "# TYPE splitledger_sequencer_commit_seconds_total counter\nsplitledger_sequencer_commit_seconds_total "
    << st.commit_micros_total / 1e6 << "\n"
    << "# HELP splitledger_log_durable_lsn The log's last durable record.\n"
    << "# TYPE splitledger_log_durable_lsn gauge\nsplitledger_log_durable_lsn " << st.durable_lsn << "\n"
    << "# HELP splitledger_projection_lag_records Durable log records the tables do not hold yet.\n"
    << "# TYPE splitledger_projection_lag_records gauge\nsplitledger_projection_lag_records "
    << (st.durable_lsn >= st.projected_lsn ? st.durable_lsn - st.projected_lsn : 0) << "\n"
    << "# HELP splitledger_projection_seconds_total Time spent writing the tables from the log.\n"
    << "# TYPE splitledger_projection_seconds_total counter\nsplitledger_projection_seconds_total "
    << st.projection_micros_total / 1e6 << "\n"
    << "# HELP splitledger_projection_transactions_total Table transactions, each holding one or "
       "more log records.\n"
    << "# TYPE splitledger_projection_transactions_total counter\n"
       "splitledger_projection_transactions_total "
    << st.projections << "\n"
    << "# TYPE splitledger_projection_failures_total counter\nsplitledger_projection_failures_total "
    << st.projection_failures << "\n";
  // Which tables the projection's time goes to (docs/performance.md: the projection is the
  // write path's bound), per table: rows written and time in their statements.
  o << "# HELP splitledger_projection_rows_total Rows the projection wrote, per table.\n"
    << "# TYPE splitledger_projection_rows_total counter\n";
  for (const service::TableCost& t : st.projection_tables) {
    o << "splitledger_projection_rows_total{table=\"" << t.table << "\"} " << t.rows << "\n";
  }
  o << "# HELP splitledger_projection_table_seconds_total Time in each table's statements "
       "(commits and syncs excluded).\n"
    << "# TYPE splitledger_projection_table_seconds_total counter\n";
  for (const service::TableCost& t : st.projection_tables) {
    o << "splitledger_projection_table_seconds_total{table=\"" << t.table << "\"} "
      << t.nanos / 1e9 << "\n";
  }
  o
    << "# HELP splitledger_intents_cached Intents in the writer's memory (bounded by --intent-cache).\n"
    << "# TYPE splitledger_intents_cached gauge\nsplitledger_intents_cached " << st.intents_cached
    << "\n"
    << "# HELP splitledger_intent_reads_total Intents the writer read back from the tables.\n"
    << "# TYPE splitledger_intent_reads_total counter\nsplitledger_intent_reads_total "
    << st.intent_reads << "\n";
  return o.str();
}

bool ParseLogLevel(std::string_view s, LogLevel* out) {
  if (s == "debug") *out = LogLevel::kDebug;
  else if (s == "info") *out = LogLevel::kInfo;
  else if (s == "warn" || s == "warning") *out = LogLevel::kWarn;
  else if (s == "error") *out = LogLevel::kError;
  else return false;
  return true;
}

std::string JsonQuote(std::string_view s) {
  rapidjson::StringBuffer sb;
  JWriter w(sb);
  WStr(w, s);
  return std::string(sb.GetString(), sb.GetSize());
}

namespace {
const char* LevelName(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    default: return "error";
  }
}
}  // namespace

struct Logger::Shard {
  std::mutex mu;  // this thread's, and Flush()'s
  std::string buffer;
};

Logger::Logger() : id_(g_next_instance.fetch_add(1)) {}

Logger::~Logger() { Flush(); }

Logger::Shard& Logger::LocalShard() { return ShardOf(id_, registry_mu_, shards_); }

void Logger::Always(std::string_view msg, std::string_view extra) {
  Emit(LogLevel::kInfo, msg, extra, true);
}

void Logger::Write(LogLevel level, std::string_view msg, std::string_view extra, bool flush) {
  if (!Enabled(level)) return;
  Emit(level, msg, extra, flush);
}

void Logger::Emit(LogLevel level, std::string_view msg, std::string_view extra, bool flush) {
  double ts = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  char head[64];
  std::snprintf(head, sizeof head, "{\"ts\":%.6f,\"level\":\"%s\",\"msg\":", ts, LevelName(level));
  std::string line = head;
  line += JsonQuote(msg);
  if (!extra.empty()) line.append(",").append(extra);
  line += "}\n";
  if (flush) {
    WriteOut(line);
    return;
  }
  Shard& shard = LocalShard();
  std::lock_guard lock(shard.mu);
  shard.buffer += line;
  if (shard.buffer.size() >= 16384) {
    WriteOut(shard.buffer);
    shard.buffer.clear();
  }
}

void Logger::Request(std::string_view method, std::string_view route, int status, int64_t micros,
                     std::string_view error) {
  LogLevel level = error.empty() ? LogLevel::kInfo : LogLevel::kError;
  if (!Enabled(level)) return;
  std::string extra = "\"method\":" + JsonQuote(method) + ",\"route\":" + JsonQuote(route) +
                      ",\"status\":" + std::to_string(status) + ",\"micros\":" + std::to_string(micros);
  if (!error.empty()) extra += ",\"error\":" + JsonQuote(error);
  Write(level, "request", extra);
}

void Logger::Flush() {
  std::lock_guard lock(registry_mu_);
  for (const auto& shard : shards_) {
    std::lock_guard sl(shard->mu);
    if (shard->buffer.empty()) continue;
    WriteOut(shard->buffer);
    shard->buffer.clear();
  }
}

}  // namespace splitledger::api
