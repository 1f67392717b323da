// The orchestration dialect's webhook worker: takes due messages from the outbox (service
// TakeDueWebhooks), POSTs each as NjiaPay's envelope signed with every active secret of its
// endpoint, and records the attempt. At least once: an attempt not recorded (a crash) is made
// again. Receivers deduplicate by the `Njiapay-Event-Id` header.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "observe.h"
#include "splitledger/service/service.h"

namespace splitledger::api {

struct WebhookOptions {
  int poll_ms = 500;
  int timeout_ms = 10000;               // per delivery
  int64_t first_delay_ms = 10000;       // after the first failure; doubles per failure
  int64_t max_delay_ms = 600000;        // backoff cap (10 minutes)
  int64_t give_up_after_s = 7 * 86400;  // from the message's creation
  int batch = 16;
};

// "2024-09-01T00:00:00Z" (UTC, seconds), as the dialect writes times; "" for 0 or less.
std::string IsoUtc(int64_t unix_s);
// The envelope {"type", "created", "content": {…}} as sent (the same bytes at every attempt).
std::string WebhookBody(const WebhookMessage& m, WebhookNaming naming);
// The event type's name in the endpoint's naming ("StatusChange" / "status_change").
std::string WebhookEventName(WebhookEvent event, WebhookNaming naming);
// The Njiapay-Signature value: "v0=<hex HMAC-SHA256(secret, body)>" per secret, comma-separated.
std::string WebhookSignature(const std::vector<std::string>& secrets, const std::string& body);

class WebhookDeliverer {
 public:
  WebhookDeliverer(service::Service& service, WebhookOptions options, Logger& log);
  ~WebhookDeliverer();  // Stop()s
  void Start();
  void Stop();
  // One round: due messages sent and recorded. Returns how many were sent.
  size_t DeliverOnce();

 private:
  service::Service& service_;
  WebhookOptions options_;
  Logger& log_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace splitledger::api
