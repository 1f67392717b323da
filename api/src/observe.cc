#include "observe.h"

#include <chrono>
#include <cstdio>
#include <sstream>

#include "json.h"
#include "splitledger/service/service.h"

namespace splitledger::api {

void Metrics::Record(std::string_view method, std::string_view route, int status, int64_t micros) {
  std::string key;
  key.reserve(method.size() + route.size() + 6);
  key.append(method).append("|").append(route).append("|").append(std::to_string(status));
  double ms = micros / 1000.0;
  size_t b = 0;
  while (b < kNumBuckets && ms > kBucketsMs[b]) ++b;
  std::lock_guard lock(mu_);
  ++requests_[key];
  ++latency_buckets_[b];
  ++latency_count_;
  latency_sum_s_ += micros / 1e6;
}

std::string Metrics::Render(service::Service& seq) {
  std::vector<uint32_t> sizes = seq.TakeBatchSizes();
  service::ServiceStats st = seq.stats();
  std::ostringstream o;
  std::lock_guard lock(mu_);
  for (uint32_t s : sizes) {
    size_t b = 0;
    while (b < kNumBatchBuckets && s > kBatchBuckets[b]) ++b;
    ++batch_buckets_[b];
    ++batch_count_;
    batch_sum_ += s;
  }
  o << "# HELP splitledger_http_requests_total HTTP requests by method, route template and status.\n"
    << "# TYPE splitledger_http_requests_total counter\n";
  for (const auto& [k, v] : requests_) {
    size_t p1 = k.find('|'), p2 = k.rfind('|');
    o << "splitledger_http_requests_total{method=\"" << k.substr(0, p1) << "\",route=\""
      << k.substr(p1 + 1, p2 - p1 - 1) << "\",status=\"" << k.substr(p2 + 1) << "\"} " << v << "\n";
  }
  o << "# HELP splitledger_http_request_duration_seconds HTTP request latency.\n"
    << "# TYPE splitledger_http_request_duration_seconds histogram\n";
  uint64_t cum = 0;
  for (size_t b = 0; b < kNumBuckets; ++b) {
    cum += latency_buckets_[b];
    o << "splitledger_http_request_duration_seconds_bucket{le=\"" << kBucketsMs[b] / 1000 << "\"} " << cum << "\n";
  }
  cum += latency_buckets_[kNumBuckets];
  o << "splitledger_http_request_duration_seconds_bucket{le=\"+Inf\"} " << cum << "\n"
    << "splitledger_http_request_duration_seconds_sum " << latency_sum_s_ << "\n"
    << "splitledger_http_request_duration_seconds_count " << latency_count_ << "\n";
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
    << "# TYPE splitledger_projection_failures_total counter\nsplitledger_projection_failures_total "
    << st.projection_failures << "\n";
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
  std::lock_guard lock(mu_);
  std::fwrite(line.data(), 1, line.size(), stdout);
  if (flush) std::fflush(stdout);
}

void Logger::Request(std::string_view method, std::string_view route, int status, int64_t micros) {
  if (!Enabled(LogLevel::kInfo)) return;
  std::string extra = "\"method\":" + JsonQuote(method) + ",\"route\":" + JsonQuote(route) +
                      ",\"status\":" + std::to_string(status) + ",\"micros\":" + std::to_string(micros);
  Write(LogLevel::kInfo, "request", extra);
}

void Logger::Flush() {
  std::lock_guard lock(mu_);
  std::fflush(stdout);
}

}  // namespace splitledger::api
