// Webhook endpoints and the delivery log of the orchestration dialect, for people: the
// `splitledger webhook …` subcommands, the admin endpoint they use next to a running server, and
// the JSON both print (also served at /api/webhooks).
#include <cstring>
#include <iostream>

#include "admin.h"
#include "auth.h"
#include "json.h"
#include "observe.h"
#include "splitledger/api/commands.h"
#include "splitledger/core/ids.h"
#include "webhook_delivery.h"

namespace splitledger::api {
namespace {


const char* DeliveryStateName(DeliveryState s) {
  switch (s) {
    case DeliveryState::kPending:
      return "pending";
    case DeliveryState::kDelivered:
      return "delivered";
    case DeliveryState::kAbandoned:
      return "abandoned";
  }
  return "unknown";
}

}  // namespace

std::string RenderWebhookEndpoints(const std::vector<WebhookEndpoint>& items,
                                   const std::string& new_secret) {
  rapidjson::StringBuffer sb;
  JWriter w(sb);
  w.StartObject();
  WKey(w, "endpoints");
  w.StartArray();
  for (const WebhookEndpoint& e : items) {
    w.StartObject();
    WKey(w, "id");
    WStr(w, e.id);
    WKey(w, "url");
    WStr(w, e.url);
    WKey(w, "naming");
    WStr(w, e.naming == static_cast<int64_t>(WebhookNaming::kSnake) ? "snake" : "pascal");
    WKey(w, "environment");
    WStr(w, e.environment);
    WKey(w, "active_secrets");  // never the secrets: a fingerprint to tell them apart
    w.StartArray();
    for (const std::string& sec : e.secrets) WStr(w, "sha256:" + Sha256Hex(sec).substr(0, 12));
    w.EndArray();
    WKey(w, "created");
    w.Int64(e.created_at);
    w.EndObject();
  }
  w.EndArray();
  if (!new_secret.empty()) {
    WKey(w, "secret");  // shown once, when it was just added
    WStr(w, new_secret);
  }
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

std::string RenderWebhookDeliveries(const std::vector<WebhookMessage>& items) {
  rapidjson::StringBuffer sb;
  JWriter w(sb);
  w.StartObject();
  WKey(w, "deliveries");
  w.StartArray();
  for (const WebhookMessage& m : items) {
    w.StartObject();
    WKey(w, "id");
    w.Int64(m.id);
    WKey(w, "endpoint_id");
    WStr(w, m.endpoint_id);
    WKey(w, "type");
    WStr(w, WebhookEventName(m.kind(), WebhookNaming::kPascal));
    WKey(w, "intent_id");
    WStr(w, m.intent_id);
    WKey(w, "status");
    WStr(w, m.status);
    WKey(w, "delivery");
    WStr(w, DeliveryStateName(m.phase()));
    WKey(w, "attempts");
    w.Int64(m.attempts);
    WKey(w, "last_http_status");
    w.Int64(m.last_status);
    WKey(w, "last_error");
    WStrOrNull(w, m.last_error);
    WKey(w, "created");
    w.Int64(m.created_at);
    WKey(w, "delivered_at");
    w.Int64(m.delivered_at);
    WKey(w, "next_attempt_at_ms");
    w.Int64(m.phase() == DeliveryState::kPending ? m.next_attempt_at : 0);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

namespace {

// Runs a webhook action for `client` on a service; the JSON to print.
Status RunWebhookAction(service::Service& svc, const std::string& client, const std::string& env,
                        const std::string& action, const std::string& url,
                        const std::string& secret, WebhookNaming naming, const std::string& intent,
                        int64_t limit, std::string* out) {
  service::Caller caller{client, NowMs()};
  if (action == "deliveries") {
    auto list = svc.ListWebhookMessages(client, env, intent, limit);
    if (!list.ok()) return list.status();
    *out = RenderWebhookDeliveries(*list);
    return Status::Ok();
  }
  std::string generated = "whsec_" + RandomHex(24);
  std::string shown;
  if (action == "add") {
    service::Outcome o = svc.Execute({caller,
                                      service::PutWebhookEndpoint{NewId("whe_", caller.now_ms), url,
                                                                  secret, generated, naming, env},
                                      std::nullopt});
    if (!o.ok()) return o.status;
    const WebhookEndpoint& e = std::get<WebhookEndpoint>(o.value);
    shown = !secret.empty() ? secret : (e.secrets.front() == generated ? generated : "");
  } else if (action == "remove") {
    service::Outcome o =
        svc.Execute({caller, service::RemoveWebhookEndpoint{url, env}, std::nullopt});
    if (!o.ok()) return o.status;
  }
  service::Outcome all = svc.Execute({caller, service::ListWebhookEndpoints{env}, std::nullopt});
  if (!all.ok()) return all.status;
  *out = RenderWebhookEndpoints(std::get<service::WebhookEndpointList>(all.value).items, shown);
  return Status::Ok();
}

}  // namespace

Reply HandleAdminWebhooks(App& app, Request& req) {
  rapidjson::Document d;
  if (Status st = ParseJsonObject(req.body, &d); !st.ok()) {
    return ErrorReply(Dialect::kV2, ErrorFromStatus(st));
  }
  Binder b;
  std::string client = b.Str(d, "ClientId", true).value_or("");
  std::string action = b.Str(d, "Action", true).value_or("");
  std::string url = b.Str(d, "Url", false).value_or("");
  std::string secret = b.Str(d, "Secret", false).value_or("");
  std::string naming = b.Str(d, "Naming", false).value_or("pascal");
  std::string intent = b.Str(d, "IntentId", false).value_or("");
  std::string env = b.Str(d, "Environment", false).value_or("test");
  int64_t limit = b.Amount(d, "Limit", false).value_or(100);
  if (!b.ok()) return ErrorReply(Dialect::kV2, ParamError(b.errors()));
  std::string out;
  Status st = RunWebhookAction(*app.service, client, env, action, url, secret,
                               naming == "snake" ? WebhookNaming::kSnake : WebhookNaming::kPascal,
                               intent, limit, &out);
  if (!st.ok()) return ErrorReply(Dialect::kV2, ErrorFromStatus(st));
  return JsonReply(out);
}

int WebhookMain(int argc, char** argv) {
  const std::string action = argc > 0 ? argv[0] : "";
  std::string db = Flag(argc, argv, "--db");
  if (db.empty()) db = "sqlite:./data/splitledger.db";
  std::string client = Flag(argc, argv, "--client");
  std::string url = Flag(argc, argv, "--url");
  std::string secret = Flag(argc, argv, "--secret");
  std::string naming = Flag(argc, argv, "--naming");
  std::string intent = Flag(argc, argv, "--intent");
  std::string limit_text = Flag(argc, argv, "--limit");
  std::string env = Flag(argc, argv, "--environment");
  if (env.empty()) env = "test";
  if (naming.empty()) naming = "pascal";
  bool known = action == "add" || action == "remove" || action == "list" || action == "deliveries";
  if (!known || client.empty() || ((action == "add" || action == "remove") && url.empty()) ||
      (naming != "pascal" && naming != "snake") || (env != "test" && env != "live")) {
    std::cerr << "usage: splitledger webhook add --db URL --client ID --url URL [--secret S] "
                 "[--naming pascal|snake] [--environment test|live]\n"
                 "       splitledger webhook remove --db URL --client ID --url URL\n"
                 "       splitledger webhook list --db URL --client ID\n"
                 "       splitledger webhook deliveries --db URL --client ID [--intent ID] "
                 "[--limit N]\n";
    return 2;
  }
  int64_t limit = limit_text.empty() ? 100 : std::atoll(limit_text.c_str());
  if (limit <= 0 || limit > 10000) limit = 100;
  WebhookNaming n = naming == "snake" ? WebhookNaming::kSnake : WebhookNaming::kPascal;
  std::string body = "{\"ClientId\":" + JsonQuote(client) + ",\"Action\":" + JsonQuote(action) +
                     ",\"Url\":" + JsonQuote(url) + ",\"Secret\":" + JsonQuote(secret) +
                     ",\"Naming\":" + JsonQuote(naming) + ",\"IntentId\":" + JsonQuote(intent) +
                     ",\"Limit\":" + std::to_string(limit) + ",\"Environment\":" + JsonQuote(env) +
                     "}";
  std::string out;
  Status st = CliCall(
      db, "/admin/webhooks", body,
      [&](service::Service& svc, std::string* response) {
        return RunWebhookAction(svc, client, env, action, url, secret, n, intent, limit, response);
      },
      &out);
  if (!st.ok()) {
    std::cerr << "webhook " << action << ": " << st.ToString() << "\n";
    return 1;
  }
  std::cout << out << std::endl;
  return 0;
}

}  // namespace splitledger::api
