#include "webhook_delivery.h"

#include <openssl/hmac.h>

#include <ctime>

#include "auth.h"
#include "hook_delivery.h"
#include "http.h"
#include "json.h"

namespace splitledger::api {

std::string IsoUtc(int64_t unix_s) {
  if (unix_s <= 0) return {};
  char buf[32];
  std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string WebhookEventName(WebhookEvent event, WebhookNaming naming) {
  const bool snake = naming == WebhookNaming::kSnake;
  switch (event) {
    case WebhookEvent::kStatusChange:
      return snake ? "status_change" : "StatusChange";
    case WebhookEvent::kCancelation:
      return snake ? "cancelation" : "Cancelation";
    case WebhookEvent::kRefund:
      return snake ? "refund" : "Refund";
  }
  return "unknown";
}

std::string WebhookBody(const WebhookMessage& m, WebhookNaming naming) {
  rapidjson::StringBuffer sb;
  JWriter w(sb);
  w.StartObject();
  WKey(w, "type");
  WStr(w, WebhookEventName(m.kind(), naming));
  WKey(w, "created");
  WStr(w, IsoUtc(m.created_at));
  WKey(w, "content");
  w.StartObject();
  if (m.kind() == WebhookEvent::kRefund) {
    WKey(w, "type");
    WStr(w, m.refund_type);
    WKey(w, "refund_id");
    w.Int64(m.refund_id);
  }
  WKey(w, "intent_id");
  WStr(w, m.intent_id);
  WKey(w, "reference_id");
  WStr(w, m.reference_id);
  WKey(w, "purchaser_id");
  WStr(w, m.purchaser_id);
  WKey(w, "amount");
  w.Int64(m.amount);
  WKey(w, "currency");
  WStr(w, m.currency);
  WKey(w, "status");
  WStr(w, m.status);
  w.EndObject();
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

std::string WebhookSignature(const std::vector<std::string>& secrets, const std::string& body) {
  std::string out;
  for (const std::string& secret : secrets) {
    unsigned char mac[32];
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
    out += (out.empty() ? "v0=" : ",v0=") + ToHex(mac, len);
  }
  return out;
}

WebhookDeliverer::WebhookDeliverer(service::Service& service, WebhookOptions options, Logger& log)
    : service_(service), options_(options), log_(log) {}

WebhookDeliverer::~WebhookDeliverer() { Stop(); }

void WebhookDeliverer::Start() {
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      lock.unlock();
      size_t sent = DeliverOnce();
      lock.lock();
      if (sent < static_cast<size_t>(options_.batch)) {
        cv_.wait_for(lock, std::chrono::milliseconds(options_.poll_ms), [this] { return stop_; });
      }
    }
  });
}

void WebhookDeliverer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

size_t WebhookDeliverer::DeliverOnce() {
  service::Outcome due =
      service_.Execute({{"", NowMs()}, service::TakeDueWebhooks{options_.batch}, std::nullopt});
  if (!due.ok()) return 0;
  const auto& items = std::get<service::DueWebhooks>(due.value).items;
  if (items.empty()) return 0;
  service::RecordWebhookAttempts record;
  record.first_delay_ms = options_.first_delay_ms;
  record.max_delay_ms = options_.max_delay_ms;
  record.give_up_after_s = options_.give_up_after_s;
  for (const service::DueWebhook& d : items) {
    std::string body = WebhookBody(d.message, d.naming);
    OutboundResult r = SendOutbound("POST", d.url,
                                    {{"Content-Type", "application/json"},
                                     {"User-Agent", "splitledger-webhooks"},
                                     {"Njiapay-Signature", WebhookSignature(d.secrets, body)},
                                     {"Njiapay-Event-Id", std::to_string(d.message.id)}},
                                    body, options_.timeout_ms);
    if (!r.ok()) {
      log_.Write(LogLevel::kWarn, "webhook delivery failed",
                 "\"url\":" + JsonQuote(d.url) + ",\"message\":" + std::to_string(d.message.id) +
                     ",\"error\":" + JsonQuote(r.error));
    }
    record.attempts.push_back({d.message.id, r.ok(), r.status, r.error});
  }
  (void)service_.Execute({{"", NowMs()}, std::move(record), std::nullopt});
  return items.size();
}

}  // namespace splitledger::api
