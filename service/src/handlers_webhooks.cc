// Webhook endpoints and the outbox of the orchestration dialect: a message per endpoint is
// written in the same batch as the state change it tells about, and delivered by the dialect's
// worker (api/src/webhook_delivery.cc) in order per (endpoint, event type).
#include <algorithm>
#include <set>

#include "handlers.h"

namespace splitledger::service {

void NotifyPayment(ApplyContext& ctx, const Payment& p, WebhookEvent event,
                   const PspOperation* refund) {
  for (const WebhookEndpoint* e : ctx.state.WebhookEndpointsOf(p.client_id)) {
    if (e->environment != p.environment) continue;  // a test payment never reaches a live shop
    WebhookMessage m;
    m.client_id = p.client_id;
    m.environment = p.environment;
    m.endpoint_id = e->id;
    m.event = static_cast<int64_t>(event);
    m.created_at = ctx.now_s();
    m.intent_id = p.id;
    m.reference_id = p.reference_id;
    m.purchaser_id = p.purchaser_id;
    m.amount = refund != nullptr ? refund->amount : p.amount;
    m.currency = p.currency;
    m.status = refund != nullptr ? refund->refund_status : PaymentStatusName(p.state());
    if (refund != nullptr) {
      m.refund_type = refund->amount == p.amount ? "full" : "partial";
      m.refund_id = refund->refund_number;
    }
    m.state = static_cast<int64_t>(DeliveryState::kPending);
    m.next_attempt_at = ctx.caller.now_ms;
    ctx.state.PutWebhookMessage(std::move(m));
  }
}

Status Preflight(const PutWebhookEndpoint& c, const Caller&, std::vector<FieldError>*) {
  bool http = c.url.rfind("http://", 0) == 0, https = c.url.rfind("https://", 0) == 0;
  if (!(http || https) || c.url.size() > 2048 ||
      c.url.find_first_of(" \t\r\n") != std::string::npos) {
    return Status::Invalid("the URL must be http:// or https://", "url");
  }
  for (const std::string* s : {&c.secret, &c.generated_secret}) {
    if (!s->empty() && (s->size() < 16 || s->size() > 256)) {
      return Status::Invalid("a webhook secret has 16 to 256 characters", "secret");
    }
  }
  if (c.secret.empty() && c.generated_secret.empty()) return Status::Internal("no secret drawn");
  return Status::Ok();
}

namespace {
std::vector<const WebhookEndpoint*> EndpointsOf(const ApplyContext& ctx, const std::string& env) {
  std::vector<const WebhookEndpoint*> out;
  for (const WebhookEndpoint* e : ctx.state.WebhookEndpointsOf(ctx.caller.client_id)) {
    if (e->environment == env) out.push_back(e);
  }
  return out;
}
}  // namespace

Outcome Apply(ApplyContext& ctx, const PutWebhookEndpoint& c) {
  if (ctx.state.FindClient(ctx.caller.client_id) == nullptr) {
    return Outcome::Error(Status::NotFound("unknown client", "client_id"));
  }
  std::vector<const WebhookEndpoint*> existing = EndpointsOf(ctx, c.environment);
  WebhookEndpoint e;
  for (const WebhookEndpoint* x : existing) {
    if (x->url == c.url) e = *x;
  }
  if (e.id.empty()) {
    if (existing.size() >= kMaxWebhookEndpoints) {
      return Outcome::Error(Status::Rule(
          "at most " + std::to_string(kMaxWebhookEndpoints) + " webhook endpoints per environment",
          "url"));
    }
    e.id = c.endpoint_id;
    e.client_id = ctx.caller.client_id;
    e.environment = c.environment;
    e.url = c.url;
    e.created_at = ctx.now_s();
  }
  e.naming = static_cast<int64_t>(c.naming);
  // A secret given is a rotation: it signs first, the newest older one beside it.
  std::string secret = !c.secret.empty() ? c.secret : e.secrets.empty() ? c.generated_secret : "";
  if (!secret.empty()) {
    e.secrets.erase(std::remove(e.secrets.begin(), e.secrets.end(), secret), e.secrets.end());
    e.secrets.insert(e.secrets.begin(), secret);
    if (e.secrets.size() > kMaxWebhookSecrets) e.secrets.resize(kMaxWebhookSecrets);
  }
  e.updated_at = ctx.now_s();
  ctx.state.PutWebhookEndpoint(e);
  return Outcome::Of(e);
}

Outcome Apply(ApplyContext& ctx, const RemoveWebhookEndpoint& c) {
  for (const WebhookEndpoint* x : EndpointsOf(ctx, c.environment)) {
    if (x->url != c.url) continue;
    WebhookEndpoint e = *x;
    e.removed = true;
    e.updated_at = ctx.now_s();
    ctx.state.PutWebhookEndpoint(e);
    // Its undelivered messages go with it (they would never be tried again).
    std::vector<WebhookMessage> stranded;
    for (const auto& [id, m] : ctx.state.PendingWebhooks()) {
      if (m.endpoint_id == e.id) stranded.push_back(m);
    }
    for (WebhookMessage& m : stranded) {
      m.state = static_cast<int64_t>(DeliveryState::kAbandoned);
      m.last_error = "endpoint removed";
      ctx.state.PutWebhookMessage(std::move(m));
    }
    return Outcome::Of(e);
  }
  return Outcome::Error(Status::NotFound("no webhook endpoint with this URL", "url"));
}

Outcome Apply(ApplyContext& ctx, const ListWebhookEndpoints& c) {
  WebhookEndpointList list;
  for (const WebhookEndpoint* e : EndpointsOf(ctx, c.environment)) list.items.push_back(*e);
  return Outcome::Of(std::move(list));
}

Outcome Apply(ApplyContext& ctx, const TakeDueWebhooks& c) {
  DueWebhooks due;
  std::set<std::pair<std::string, int64_t>> seen;  // (endpoint, event): its oldest pending only
  for (const auto& [id, m] : ctx.state.PendingWebhooks()) {
    if (static_cast<int64_t>(due.items.size()) >= c.limit) break;
    if (!seen.insert({m.endpoint_id, m.event}).second) continue;
    if (m.next_attempt_at > ctx.caller.now_ms) continue;
    const WebhookEndpoint* e = ctx.state.FindWebhookEndpoint(m.endpoint_id);
    if (e == nullptr || e->removed) continue;
    due.items.push_back({m, e->url, static_cast<WebhookNaming>(e->naming), e->secrets});
  }
  return Outcome::Of(std::move(due));
}

Outcome Apply(ApplyContext& ctx, const RecordWebhookAttempts& c) {
  const int64_t now_ms = ctx.caller.now_ms;
  for (const WebhookAttempt& a : c.attempts) {
    auto it = ctx.state.PendingWebhooks().find(a.message_id);
    if (it == ctx.state.PendingWebhooks().end()) continue;
    WebhookMessage m = it->second;
    ++m.attempts;
    m.last_status = a.http_status;
    m.last_error = a.error;
    if (a.delivered) {
      m.state = static_cast<int64_t>(DeliveryState::kDelivered);
      m.delivered_at = now_ms / 1000;
    } else {
      int64_t delay = c.first_delay_ms;
      for (int64_t i = 1; i < m.attempts && delay < c.max_delay_ms; ++i) delay *= 2;
      m.next_attempt_at = now_ms + std::min(delay, c.max_delay_ms);
      if (m.next_attempt_at / 1000 > m.created_at + c.give_up_after_s) {
        m.state = static_cast<int64_t>(DeliveryState::kAbandoned);
      }
    }
    ctx.state.PutWebhookMessage(std::move(m));
  }
  return Outcome::Of(std::monostate{});
}

Outcome Apply(ApplyContext& ctx, const ReceivePspEvents& c) {
  PspEventsReceived out;
  std::set<std::string> queued;
  for (const PspEventInput& e : c.events) {
    ++out.received;
    const std::string key = c.connection + "|" + e.event_id;
    if (e.event_id.empty() || ctx.state.FindPspEvent(key) != nullptr) {
      ++out.duplicates;
      continue;
    }
    const Payment* p = nullptr;
    for (const std::string* ref : {&e.payment_id, &e.psp_payment_ref}) {
      if (p == nullptr && !ref->empty()) p = ctx.state.FindPaymentByPspRef(c.connection, *ref);
    }
    ctx.state.PutPspEvent({key, c.connection, e.event_id, p != nullptr ? p->id : "", ctx.now_s()});
    if (p == nullptr) {
      ++out.unknown;
    } else if (queued.insert(p->id).second) {
      // Queued durably with the event: a crash before the sync cannot lose it (the reconciler
      // syncs every payment so marked; the sync's record clears the mark).
      Payment marked = *p;
      marked.needs_sync = true;
      ctx.state.PutPayment(marked);
      ++out.to_sync;
    }
  }
  return Outcome::Of(std::move(out));
}

}  // namespace splitledger::service
