// Observability: Prometheus metrics and JSON log lines.
//
// Contracts:
//  * Metrics::Record is called once per request with the route *template* (never a concrete id)
//    and is safe from any thread. It takes no lock shared between threads: each thread counts in
//    its own shard (its mutex is contended only by Render, which merges the shards).
//  * Logger lines are buffered per thread the same way and written with write(2) in whole lines,
//    by the thread once its buffer fills, or by Flush() (once a second from serve). Always() and
//    flush=true write at once.
//  * Log lines are single-line JSON objects on stdout. Callers must never pass secrets
//    (Authorization headers, tokens, API keys, bodies): the request log carries only method,
//    route template, status and micros.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace splitledger::service {
class Service;
}

namespace splitledger::api {

class Metrics {
 public:
  Metrics();
  ~Metrics();
  void Record(std::string_view method, std::string_view route, int status, int64_t micros);
  // Prometheus text exposition, including the sequencer's batch sizes and commit time.
  std::string Render(service::Service& seq);

 private:
  static constexpr double kBucketsMs[] = {0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 1000};
  static constexpr size_t kNumBuckets = sizeof(kBucketsMs) / sizeof(double);
  struct Shard;
  Shard& LocalShard();
  const uint64_t id_;  // tells this instance's thread-local shards from another's
  std::mutex registry_mu_;  // guards shards_ (a thread's first Record, and Render)
  std::vector<std::unique_ptr<Shard>> shards_;
  std::mutex render_mu_;  // Render's own totals below
  static constexpr uint32_t kBatchBuckets[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096};
  static constexpr size_t kNumBatchBuckets = sizeof(kBatchBuckets) / sizeof(uint32_t);
  uint64_t batch_buckets_[kNumBatchBuckets + 1] = {};
  uint64_t batch_count_ = 0;
  uint64_t batch_sum_ = 0;
};

enum class LogLevel { kDebug, kInfo, kWarn, kError };
bool ParseLogLevel(std::string_view s, LogLevel* out);

class Logger {
 public:
  Logger();
  ~Logger();  // flushes
  void SetLevel(LogLevel level) { level_ = level; }
  bool Enabled(LogLevel level) const { return level >= level_; }
  // Writes {"ts":…,"level":…,"msg":…, <extra>} where `extra_json` is a comma-separated list of
  // already-escaped members (may be empty).
  void Write(LogLevel level, std::string_view msg, std::string_view extra_json = {}, bool flush = false);
  // Written whatever the level (start-up and shutdown facts), at once.
  void Always(std::string_view msg, std::string_view extra_json);
  // One line per request; `error` (a 5xx's cause) is added when not empty.
  void Request(std::string_view method, std::string_view route, int status, int64_t micros,
               std::string_view error = {});
  // Writes every thread's buffered lines.
  void Flush();

 private:
  struct Shard;
  Shard& LocalShard();
  void Emit(LogLevel level, std::string_view msg, std::string_view extra_json, bool flush);
  LogLevel level_ = LogLevel::kInfo;
  const uint64_t id_;
  std::mutex registry_mu_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

// JSON-escapes a string for a log line (quotes included).
std::string JsonQuote(std::string_view s);

}  // namespace splitledger::api
