// The hook delivery worker (Echo §6.4): takes due notifications from the service's durable outbox,
// sends each as `GET Url?EventType=…&RessourceId=…&Date=…` (2 s timeout, 2xx = delivered), and
// records the attempts through the service. It runs on its own thread: a slow or dead receiver
// never holds the writer, and what was not delivered before a stop is delivered after the restart
// (the outbox is in the database).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "observe.h"
#include "splitledger/service/service.h"

namespace splitledger::api {

struct HookDeliveryOptions {
  int poll_ms = 500;      // how often the outbox is looked at
  int timeout_ms = 2000;  // per notification
  int batch = 16;         // notifications per round
  // Delay before attempt n+1 after n failures; the schedule's end abandons the notification.
  // Echo's: every 10 minutes for the first hour, then every 8 hours for 3 days.
  std::vector<int64_t> retry_delays_ms = {600000,   600000,   600000,   600000,   600000,
                                          600000,   28800000, 28800000, 28800000, 28800000,
                                          28800000, 28800000, 28800000, 28800000, 28800000};
  int64_t max_failures = 100;  // failures in a row before the hook turns INVALID
};

// One outbound HTTP request of the notification workers (Echo hooks, orchestration webhooks):
// its status (0 when no answer came) and, unless it was a 2xx, why it failed.
struct OutboundResult {
  int status = 0;
  std::string error;
  bool ok() const { return error.empty(); }
};
OutboundResult SendOutbound(const std::string& method, const std::string& url,
                            const std::vector<std::pair<std::string, std::string>>& headers,
                            const std::string& body, int timeout_ms);

class HookDeliverer {
 public:
  HookDeliverer(service::Service& service, HookDeliveryOptions options, Logger& log);
  ~HookDeliverer();  // Stop()s
  void Start();
  void Stop();

 private:
  void Loop();
  // One GET; empty on a 2xx, else why not.
  std::string Send(const service::DueDelivery& d) const;

  service::Service& service_;
  HookDeliveryOptions options_;
  Logger& log_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
};

}  // namespace splitledger::api
