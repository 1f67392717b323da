// Hooks (Echo §6.4): one per event type and client; and the outbox's two sides for the delivery
// worker: the deliveries due now (one per resource, oldest first, so a resource's notifications
// arrive in order) and the attempts made (retry schedule, a hook INVALID after repeated failure).
#include <algorithm>
#include <unordered_set>

#include "handlers.h"

namespace splitledger::service {
namespace {

Outcome NoHook() { return Outcome::Error(Status::NotFound("Hook not found", "hook_id")); }

Status CheckUrl(const std::string& url) {
  bool scheme = url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
  size_t host = url.find("://") + 3;
  if (!scheme || url.size() > 2048 || host >= url.size() || url[host] == '/' ||
      url.find_first_of(" \t\r\n") != std::string::npos) {
    return Status::Invalid("Url must be an absolute http(s) URL", "url");
  }
  return Status::Ok();
}

}  // namespace

Status Preflight(const CreateHook& c, const Caller&, std::vector<FieldError>*) {
  SL_RETURN_IF_ERROR(CheckUrl(c.hook->url));
  const std::string& t = c.hook->event_type;
  bool word = !t.empty() && t.size() <= 64 &&
              std::all_of(t.begin(), t.end(), [](char ch) { return (ch >= 'A' && ch <= 'Z') || ch == '_'; });
  if (!word) return Status::Invalid("EventType must be an event type such as INTENT_CAPTURED", "event_type");
  if (c.hook->tag.size() > 255) return Status::Invalid("Tag is too long", "tag");
  return Status::Ok();
}

Status Preflight(const UpdateHook& c, const Caller&, std::vector<FieldError>*) {
  if (c.url) SL_RETURN_IF_ERROR(CheckUrl(*c.url));
  if (c.tag && c.tag->size() > 255) return Status::Invalid("Tag is too long", "tag");
  return Status::Ok();
}

Outcome Apply(ApplyContext& ctx, const CreateHook& c) {
  Hook h = *c.hook;
  h.client_id = ctx.caller.client_id;
  if (ctx.state.FindHookForEvent(h.client_id, h.event_type) != nullptr) {
    return Outcome::Error(Status::Rule("A hook already exists for EventType " + h.event_type +
                                           "; update it instead",
                                       "event_type"));
  }
  h.enabled = h.valid = true;
  h.failures = 0;
  h.created_at = h.updated_at = ctx.now_s();
  ctx.state.PutHook(h);
  return Outcome::Of(Box<Hook>(std::move(h)));
}

Outcome Apply(ApplyContext& ctx, const UpdateHook& c) {
  const Hook* found = ctx.state.FindHook(ctx.caller.client_id, c.hook_id);
  if (found == nullptr) return NoHook();
  Hook h = *found;
  if (c.url) h.url = *c.url;
  if (c.tag) h.tag = *c.tag;
  if (c.enabled) {
    h.enabled = *c.enabled;
    // Enabling again is how a client revives a hook that failed: it starts VALID and counting anew.
    if (*c.enabled) {
      h.valid = true;
      h.failures = 0;
    }
  }
  h.updated_at = ctx.now_s();
  ctx.state.PutHook(h);
  return Outcome::Of(Box<Hook>(std::move(h)));
}

Outcome Apply(ApplyContext& ctx, const GetHook& c) {
  const Hook* h = ctx.state.FindHook(ctx.caller.client_id, c.hook_id);
  if (h == nullptr) return NoHook();
  return Outcome::Of(Box<Hook>(*h));
}

Outcome Apply(ApplyContext& ctx, const ListHooks&) {
  HookList list;
  for (const Hook* h : ctx.state.HooksOf(ctx.caller.client_id)) list.items.push_back(*h);
  return Outcome::Of(std::move(list));
}

Outcome Apply(ApplyContext& ctx, const TakeDueDeliveries& c) {
  DeliveryBatch batch;
  // Per resource, only the oldest pending notification may go: a resource's notifications arrive
  // in order (so one being retried holds the later ones back). A disabled hook's notifications
  // wait for it and hold back nothing.
  std::unordered_set<std::string> held;
  for (const auto& [id, d] : ctx.state.PendingDeliveries()) {
    const Hook* h = ctx.state.FindHook(d.client_id, d.hook_id);
    if (h != nullptr && !h->enabled) continue;
    if (!held.insert(d.client_id + "|" + d.resource_id).second) continue;
    if (d.next_attempt_at > ctx.caller.now_ms) continue;
    // To the hook's URL as it is now (a client may have fixed it), or as it was.
    batch.items.push_back({d.id, h != nullptr ? h->url : d.url, d.event_type, d.resource_id, d.date});
    if (static_cast<int64_t>(batch.items.size()) >= c.limit) break;
  }
  return Outcome::Of(std::move(batch));
}

Outcome Apply(ApplyContext& ctx, const RecordDeliveries& c) {
  ledger::State& st = ctx.state;
  for (const DeliveryResult& r : c.results) {
    auto it = st.PendingDeliveries().find(r.delivery_id);
    if (it == st.PendingDeliveries().end()) continue;  // already recorded
    ledger::HookDelivery d = it->second;
    d.attempts++;
    const Hook* found = st.FindHook(d.client_id, d.hook_id);
    if (r.delivered) {
      d.delivered_at = ctx.caller.now_ms;
      d.last_error.clear();
      st.PutDelivery(std::move(d));
      if (found != nullptr && found->failures != 0) {
        Hook h = *found;
        h.failures = 0;
        st.PutHook(std::move(h));
      }
      continue;
    }
    d.last_error = r.error.substr(0, 500);
    if (static_cast<size_t>(d.attempts) > c.retry_delays_ms.size()) {
      d.abandoned = true;  // the schedule is over (Echo: three days)
    } else {
      d.next_attempt_at = ctx.caller.now_ms + c.retry_delays_ms[static_cast<size_t>(d.attempts) - 1];
    }
    std::string hook_id = d.hook_id, client = d.client_id;
    st.PutDelivery(std::move(d));
    if (found == nullptr) continue;
    Hook h = *found;
    h.failures++;
    if (h.failures >= c.max_failures && h.valid) {
      h.valid = false;
      h.enabled = false;
      // Its pending deliveries will not go out: abandoned, kept in the table with their errors.
      std::vector<ledger::HookDelivery> drop;
      for (const auto& [id, p] : st.PendingDeliveries()) {
        if (p.hook_id == hook_id && p.client_id == client) drop.push_back(p);
      }
      for (ledger::HookDelivery& p : drop) {
        p.abandoned = true;
        st.PutDelivery(std::move(p));
      }
    }
    h.updated_at = ctx.now_s();
    st.PutHook(std::move(h));
  }
  return Outcome::Of(std::monostate{});
}

}  // namespace splitledger::service
