// The orchestration dialect's routes and translators (orchestration.h).
#include "orchestration.h"

#include <ctime>

#include "admin.h"
#include "auth.h"
#include "iauth.h"
#include "observe.h"
#include "splitledger/core/ids.h"
#include "splitledger/plugins/loader.h"
#include "webhook_delivery.h"

namespace splitledger::api {
namespace {

using service::Outcome;
using service::PaymentView;

Reply Detail(int status, const std::string& message) {
  ApiError e;
  e.status = status;
  e.message = message;
  return ErrorReply(Dialect::kOrchestration, e);
}

const char* kBadKey = "Invalid or missing API key";

void WTime(JWriter& w, int64_t unix_s) {
  if (unix_s <= 0) {
    w.Null();
  } else {
    WStr(w, IsoUtc(unix_s));
  }
}

// A refusal of the service in the dialect's words. `forbidden` is the 403 text of the route.
Reply FromStatus(const Status& st, const char* forbidden) {
  switch (st.code()) {
    case ErrorCode::kNotFound:
      return Detail(404, "Payment intent not found");
    case ErrorCode::kPermissionDenied:
      return Detail(403, forbidden);
    case ErrorCode::kUnauthenticated:
      return Detail(401, kBadKey);
    case ErrorCode::kAlreadyExists:
      return Detail(409, st.message());
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kRuleViolation:
    case ErrorCode::kOverflow:
      return Detail(422, st.message());
    case ErrorCode::kUnavailable:
      return Detail(503, "Service temporarily unavailable, retry");
    default: {
      Reply r = Detail(500, "Internal error");
      r.log_detail = st.ToString();
      return r;
    }
  }
}

void WriteAttempt(JWriter& w, const PaymentAttempt& a) {
  w.StartObject();
  WKey(w, "id");
  w.Int64(a.id);
  WKey(w, "status");
  WStr(w, AttemptStatusName(a.state()));
  WKey(w, "method");
  WStr(w, a.method);
  WKey(w, "failure_reason");
  WStrOrNull(w, a.failure_reason);
  WKey(w, "created");
  WTime(w, a.created_at);
  w.EndObject();
}

std::string RefundJson(const Payment& p, const PspOperation& op) {
  rapidjson::StringBuffer sb;
  JWriter w(sb);
  w.StartObject();
  WKey(w, "id");
  w.Int64(op.refund_number);
  WKey(w, "intent_id");
  WStr(w, p.id);
  WKey(w, "attempt_id");
  w.Int64(op.attempt_id);
  WKey(w, "amount");
  w.Int64(op.amount);
  WKey(w, "currency");
  WStr(w, p.currency);
  WKey(w, "status");
  WStr(w, op.refund_status.empty() ? "pending" : op.refund_status);
  WKey(w, "created");
  WTime(w, op.created_at);
  WKey(w, "reason");
  WStr(w, op.reason);
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

// The intent object (GET /api/intents/{id}, and the create reply).
std::string IntentJson(const App& app, const PaymentView& v, const std::string& base_url,
                       bool with_iauth) {
  const Payment& p = v.payment;
  rapidjson::StringBuffer sb;
  JWriter w(sb);
  w.StartObject();
  WKey(w, "id");
  WStr(w, p.id);
  WKey(w, "status");
  WStr(w, PaymentStatusName(p.state()));
  WKey(w, "amount");
  w.Int64(p.amount);
  WKey(w, "currency");
  WStr(w, p.currency);
  WKey(w, "reference_id");
  WStr(w, p.reference_id);
  WKey(w, "purchaser_id");
  WStr(w, p.purchaser_id);
  WKey(w, "return_url");
  WStr(w, p.return_url);
  WKey(w, "allow_remember_credentials");
  w.Bool(p.allow_remember_credentials);
  WKey(w, "capture_mode");
  WStr(w, CaptureModeName(static_cast<CaptureMode>(p.capture_mode)));
  WKey(w, "connection");
  WStr(w, p.connection);
  WKey(w, "environment");
  WStr(w, p.environment);
  bool open = p.state() == PaymentStatus::kSelection || p.state() == PaymentStatus::kPending;
  WKey(w, "redirect_url");
  if (open) {
    WStr(w, CheckoutUrl(app, p, base_url));
  } else {
    w.Null();
  }
  if (with_iauth) {
    WKey(w, "iauth");
    WStr(w, IauthOf(app, p, "intent"));
  }
  WKey(w, "created");
  WTime(w, p.created_at);
  WKey(w, "authorized_at");
  WTime(w, p.authorized_at);
  WKey(w, "authorization_expires_at");
  WTime(w, p.state() == PaymentStatus::kAuthorized ? p.expires_at : 0);
  WKey(w, "captured_amount");
  w.Int64(v.captured);
  WKey(w, "refunded_amount");
  w.Int64(v.refunded);
  WKey(w, "refundable_amount");
  w.Int64(v.refundable);
  WKey(w, "failure_reason");
  WStrOrNull(w, p.failure_reason);
  WKey(w, "attempts");
  w.StartArray();
  for (const PaymentAttempt& a : v.attempts) WriteAttempt(w, a);
  w.EndArray();
  WKey(w, "refunds");
  w.StartArray();
  for (const PspOperation& op : v.operations) {
    if (op.op() == PspOpKind::kRefund) WRaw(w, RefundJson(p, op));
  }
  w.EndArray();
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

// ---- authentication --------------------------------------------------------------------------

// Whether an iauth token may stand in for the key on a route: no; the merchant's token only
// (scope "intent"); or also the customer's checkout token (scope "checkout").
enum class IauthUse { kNo, kMerchant, kAny };

// `Authorization: Bearer KEY` → the key's client and environment; else an `iauth` token (query)
// → the one payment it was issued for. 401 without either.
std::optional<Reply> Authenticate(App& app, const HttpRequest& hreq, Request& req,
                                  IauthUse iauth_use) {
  std::string key = ParseBearer(hreq.HeaderOr("authorization"));
  if (!key.empty()) {
    Outcome o =
        app.service->Execute({{"", req.now_ms}, service::FindApiKey{Sha256Hex(key)}, std::nullopt});
    if (!o.ok()) return Detail(401, kBadKey);
    const ApiKey& k = std::get<ApiKey>(o.value);
    req.client_id = k.client_id;
    req.environment = k.environment;
    return std::nullopt;
  }
  auto it = req.query.find("iauth");
  if (iauth_use != IauthUse::kNo && it != req.query.end()) {
    std::optional<IauthClaims> c = VerifyIauth(app.iauth_key, it->second, req.now_ms / 1000);
    if (!c) return Detail(403, "Invalid or expired iauth token");
    if (iauth_use == IauthUse::kMerchant && c->scope != "intent") {
      return Detail(403, "This iauth token is for the checkout only");
    }
    req.client_id = c->client_id;
    req.environment = c->environment;
    req.iauth_payment = c->payment_id;
    return std::nullopt;
  }
  return Detail(401, kBadKey);
}

// The payment named by the path, as the caller may see it: 404 unknown, 401 a key of the other
// environment, 403 another merchant's or outside the iauth token's scope.
Result<PaymentView> CallerPayment(App& app, const Request& req, const std::string& id) {
  if (!req.iauth_payment.empty() && req.iauth_payment != id) {
    return Status(ErrorCode::kPermissionDenied, "iauth token of another intent");
  }
  Outcome o =
      app.service->Execute({{req.client_id, req.now_ms}, service::GetPayment{id}, std::nullopt});
  if (!o.ok()) return o.status;
  PaymentView v = std::move(*std::get<service::Box<PaymentView>>(o.value));
  if (v.payment.environment != req.environment) {
    return Status(ErrorCode::kUnauthenticated, "a key of the other environment");
  }
  return v;
}

service::Caller CallerOf(const Request& req) { return {req.client_id, req.now_ms}; }

// ---- translators -----------------------------------------------------------------------------

// Reads the extension `line_items`: [{name, sku, quantity, unit_amount, discount_amount,
// seller_id, seller_wallet_id, fee}].
std::vector<LineItemInput> ReadLines(const JValue& arr, Binder& b) {
  std::vector<LineItemInput> lines;
  for (rapidjson::SizeType i = 0; i < arr.Size(); ++i) {
    std::string path = "line_items[" + std::to_string(i) + "]";
    if (!arr[i].IsObject()) {
      b.Add(path, "must be an object");
      continue;
    }
    const JValue& o = arr[i];
    LineItemInput l;
    l.name = b.Str(o, "name", false, path).value_or("");
    l.sku = b.Str(o, "sku", false, path).value_or("");
    l.quantity = b.Amount(o, "quantity", false, path).value_or(1);
    l.unit_amount = b.Amount(o, "unit_amount", true, path).value_or(0);
    l.discount_amount = b.Amount(o, "discount_amount", false, path).value_or(0);
    l.seller.author_id = b.Str(o, "seller_id", false, path).value_or("");
    l.seller.wallet_id = b.Str(o, "seller_wallet_id", false, path).value_or("");
    l.seller.fees_amount = b.Amount(o, "fee", false, path).value_or(0);
    lines.push_back(std::move(l));
  }
  return lines;
}

std::string JoinErrors(const FieldErrors& errors) {
  std::string out;
  for (const auto& [field, message] : errors) {
    out += (out.empty() ? "" : "; ") + field + ": " + message;
  }
  return out;
}

Reply CreateIntent(App& app, Request& req, const std::string& base_url) {
  rapidjson::Document d;
  if (Status st = ParseJsonObject(req.body, &d); !st.ok()) {
    return Detail(422, "The body must be a JSON object: " + st.message());
  }
  Binder b;
  PaymentInput in;
  in.amount = b.Amount(d, "amount", true).value_or(0);
  in.currency = b.Str(d, "currency", true).value_or("");
  in.reference_id = b.Str(d, "reference_id", true).value_or("");
  in.purchaser_id = b.Str(d, "purchaser_id", true).value_or("");
  in.return_url = b.Str(d, "return_url", true).value_or("");
  in.allow_remember_credentials = b.Bool(d, "allow_remember_credentials", false).value_or(false);
  std::string mode = b.Str(d, "capture_mode", false).value_or("immediate");
  if (auto m = ParseCaptureMode(mode)) {
    in.capture_mode = *m;
  } else {
    b.Add("capture_mode", "must be immediate or prefer_delay");
  }
  in.connection = b.Str(d, "connection", false).value_or("");
  if (const JValue* lines = b.Arr(d, "line_items", false)) in.lines = ReadLines(*lines, b);
  if (!b.ok()) return Detail(422, JoinErrors(b.errors()));
  auto problems = CheckPayment(in, req.environment);
  if (!problems.empty()) return Detail(422, JoinErrors(problems));

  // The connection: the one named, or the first of the key's environment.
  const service::Connection* conn = nullptr;
  if (!in.connection.empty()) {
    conn = app.orchestrator->Find(in.connection);
    if (conn == nullptr || conn->environment != req.environment) {
      return Detail(422, "connection: no connection '" + in.connection + "' in the " +
                             req.environment + " environment");
    }
  } else {
    for (const service::Connection& c : app.orchestrator->connections()) {
      if (c.environment == req.environment && c.adapter != nullptr) {
        conn = &c;
        break;
      }
    }
    if (conn == nullptr) {
      return Detail(422, "connection: no connection is configured for the " + req.environment +
                             " environment");
    }
  }
  Payment p;
  p.id = NewId("", req.now_ms);
  p.environment = req.environment;
  p.connection = conn->name;
  p.amount = in.amount;
  p.currency = in.currency;
  p.reference_id = in.reference_id;
  p.purchaser_id = in.purchaser_id;
  p.return_url = in.return_url;
  p.allow_remember_credentials = in.allow_remember_credentials;
  p.capture_mode = static_cast<int64_t>(in.capture_mode);
  p.applied_capture_mode = p.capture_mode;
  p.authorization_window_s = conn->authorization_window_s;
  if (!in.lines.empty()) {
    p.lines = EncodeLines(in.lines);
    p.lines_given = true;
  }
  Outcome o =
      app.service->Execute({CallerOf(req), service::CreatePayment{std::move(p)}, std::nullopt});
  if (!o.ok()) {
    if (o.status.code() == ErrorCode::kInvalidArgument && o.status.line() >= 0) {
      return Detail(422, "line_items[" + std::to_string(o.status.line()) +
                             "].seller_wallet_id: " + o.status.message());
    }
    return FromStatus(o.status, "Not authorized");
  }
  const PaymentView& v = *std::get<service::Box<PaymentView>>(o.value);
  return JsonReply(IntentJson(app, v, base_url, true), 201);
}

Reply GetIntent(App& app, Request& req, const std::string& base_url) {
  auto v = CallerPayment(app, req, req.params[0]);
  if (!v.ok()) return FromStatus(v.status(), "Not authorized to access this payment");
  return JsonReply(IntentJson(app, *v, base_url, req.iauth_payment.empty()));
}

// How an operation the PSP was asked to do ended, for the merchant: nullopt when it succeeded.
std::optional<Reply> OperationProblem(const PaymentView& v, const char* what) {
  if (!v.op) return std::nullopt;
  const PspOperation& op = *v.op;
  if (op.phase() == PspOpState::kFailed) {
    std::string why = op.error_message.empty() ? op.error_code : op.error_message;
    return Detail(422, std::string(what) +
                           " failed: " + (why.empty() ? "refused by the payment provider" : why));
  }
  return std::nullopt;
}

Reply Capture(App& app, Request& req, const std::string&) {
  auto v = CallerPayment(app, req, req.params[0]);
  if (!v.ok()) return FromStatus(v.status(), "Not authorized to capture this payment");
  auto done = app.orchestrator->Capture(CallerOf(req), v->payment.id);
  if (!done.ok()) return FromStatus(done.status(), "Not authorized to capture this payment");
  if (auto problem = OperationProblem(*done, "Capture")) return *problem;
  bool open = done->op && done->op->open();
  std::string body = "{\"intent_id\":" + JsonQuote(done->payment.id) +
                     ",\"status\":" + JsonQuote(PaymentStatusName(done->payment.state()));
  if (open)
    body +=
        ",\"detail\":\"The capture was sent; its outcome is being confirmed with the payment "
        "provider\"";
  return JsonReply(body + "}", open ? 202 : 200);
}

Reply CancelAuthorization(App& app, Request& req, const std::string&) {
  const char* forbidden = "Not authorized to cancel this payment";
  auto v = CallerPayment(app, req, req.params[0]);
  if (!v.ok()) return FromStatus(v.status(), forbidden);
  auto done = app.orchestrator->Cancel(CallerOf(req), v->payment.id);
  if (!done.ok()) return FromStatus(done.status(), forbidden);
  if (auto problem = OperationProblem(*done, "Cancellation")) return *problem;
  const Payment& p = done->payment;
  const PaymentAttempt* a = done->Attempt(p.current_attempt);
  rapidjson::StringBuffer sb;
  JWriter w(sb);
  w.StartObject();
  WKey(w, "id");
  w.Int64(a != nullptr ? a->id : 0);
  WKey(w, "attempt_status");
  WStr(w, a != nullptr ? AttemptStatusName(a->state()) : "canceled");
  WKey(w, "method");
  WStr(w, a != nullptr ? a->method : "card");
  WKey(w, "failure_reason");
  if (a != nullptr && !a->failure_reason.empty() && a->state() == AttemptStatus::kFailed) {
    WStr(w, a->failure_reason);
  } else {
    w.Null();
  }
  WKey(w, "intent_id");
  WStr(w, p.id);
  WKey(w, "intent_status");
  WStr(w, PaymentStatusName(p.state()));
  WKey(w, "action");
  w.Null();
  WKey(w, "redirect_url");
  w.Null();
  bool open = done->op && done->op->open();
  if (open) {
    WKey(w, "detail");
    WStr(w, "The cancellation was sent; its outcome is being confirmed with the payment provider");
  }
  w.EndObject();
  return JsonReply(std::string(sb.GetString(), sb.GetSize()), open ? 202 : 200);
}

Reply RefundIntent(App& app, Request& req, const std::string&) {
  const char* forbidden = "Not authorized to refund this payment";
  rapidjson::Document d;
  if (Status st = ParseJsonObject(req.body, &d); !st.ok()) {
    return Detail(422, "The body must be a JSON object: " + st.message());
  }
  Binder b;
  Amount amount = b.Amount(d, "amount", true).value_or(0);
  std::string reason = b.Str(d, "reason", false).value_or("other");
  static const char* kReasons[] = {"fraud", "customer_request", "return", "duplicate", "other"};
  if (std::find(std::begin(kReasons), std::end(kReasons), reason) == std::end(kReasons)) {
    b.Add("reason", "must be fraud, customer_request, return, duplicate or other");
  }
  if (b.ok() && amount <= 0) b.Add("amount", "must be a positive integer (minor units)");
  if (!b.ok()) return Detail(422, JoinErrors(b.errors()));
  auto v = CallerPayment(app, req, req.params[0]);
  if (!v.ok()) return FromStatus(v.status(), forbidden);
  auto done = app.orchestrator->Refund(CallerOf(req), v->payment.id, amount, reason);
  if (!done.ok()) return FromStatus(done.status(), forbidden);
  return JsonReply(RefundJson(done->payment, *done->op), 201);
}

// GET /api/webhooks: the merchant's endpoints. POST: adds one (or a secret to one: rotation),
// {"url", "secret"?, "naming"?: "pascal"|"snake"}; the secret is shown once.
Reply ListWebhooks(App& app, Request& req, const std::string&) {
  Outcome o = app.service->Execute(
      {CallerOf(req), service::ListWebhookEndpoints{req.environment}, std::nullopt});
  if (!o.ok()) return FromStatus(o.status, "Not authorized");
  return JsonReply(
      RenderWebhookEndpoints(std::get<service::WebhookEndpointList>(o.value).items, ""));
}

Reply AddWebhook(App& app, Request& req, const std::string&) {
  rapidjson::Document d;
  if (Status st = ParseJsonObject(req.body, &d); !st.ok()) {
    return Detail(422, "The body must be a JSON object: " + st.message());
  }
  Binder b;
  std::string url = b.Str(d, "url", true).value_or("");
  std::string secret = b.Str(d, "secret", false).value_or("");
  std::string naming = b.Str(d, "naming", false).value_or("pascal");
  if (naming != "pascal" && naming != "snake") b.Add("naming", "must be pascal or snake");
  if (!b.ok()) return Detail(422, JoinErrors(b.errors()));
  service::PutWebhookEndpoint cmd{
      NewId("whe_", req.now_ms),
      url,
      secret,
      "whsec_" + RandomHex(24),
      naming == "snake" ? WebhookNaming::kSnake : WebhookNaming::kPascal,
      req.environment};
  std::string generated = cmd.generated_secret;
  Outcome o = app.service->Execute({CallerOf(req), std::move(cmd), std::nullopt});
  if (!o.ok()) return FromStatus(o.status, "Not authorized");
  const WebhookEndpoint& e = std::get<WebhookEndpoint>(o.value);
  // The secret is shown when this request put it there (given, or drawn for a new endpoint).
  std::string shown = !secret.empty() ? secret : (e.secrets.front() == generated ? generated : "");
  return JsonReply(RenderWebhookEndpoints({e}, shown), 201);
}

// GET /api/webhooks/deliveries[?intent_id=ID&limit=N]: the delivery log, newest first.
Reply ListDeliveries(App& app, Request& req, const std::string&) {
  std::string intent = req.query.count("intent_id") ? req.query.at("intent_id") : "";
  int64_t limit = 100;
  if (auto it = req.query.find("limit"); it != req.query.end()) {
    char* end = nullptr;
    long long v = std::strtoll(it->second.c_str(), &end, 10);
    if (end == it->second.c_str() || *end != '\0' || v <= 0 || v > 1000) {
      return Detail(422, "limit: must be an integer from 1 to 1000");
    }
    limit = v;
  }
  auto list = app.service->ListWebhookMessages(req.client_id, req.environment, intent, limit);
  if (!list.ok()) return FromStatus(list.status(), "Not authorized");
  return JsonReply(RenderWebhookDeliveries(*list));
}

// POST /psp/{connection}/webhooks: a PSP's notification. The adapter verifies the signature over
// the raw bytes and parses it; each event is recorded once, and the payment it names is synced
// through the adapter (on the reconciler's thread) before anything is posted: a webhook is a
// trigger, never the truth. Its sender's credential is the signature, not an API key.
Reply PspWebhook(App& app, HttpRequest& hreq, Request& req, const std::string& connection) {
  const service::Connection* conn = app.orchestrator->Find(connection);
  if (conn == nullptr || conn->adapter == nullptr) return Detail(404, "Unknown connection");
  auto parsed = conn->adapter->Webhook(hreq.method, hreq.target, hreq.headers, hreq.body);
  if (!parsed.ok())
    return Detail(400, "The webhook could not be read: " + parsed.status().message());
  if (parsed->events.empty()) {
    int status = parsed->webhook_status >= 400 ? parsed->webhook_status : 401;
    return Detail(status, "The webhook's signature is not valid");
  }
  service::ReceivePspEvents cmd;
  cmd.connection = connection;
  for (const plugins::AdapterEvent& e : parsed->events) {
    cmd.events.push_back({e.event_id, e.psp_payment_ref, e.payment_id});
  }
  Outcome o = app.service->Execute({{"", req.now_ms}, std::move(cmd), std::nullopt});
  if (!o.ok()) return FromStatus(o.status, "Not authorized");
  const auto& got = std::get<service::PspEventsReceived>(o.value);
  if (got.to_sync > 0) app.orchestrator->WakeUp();
  return JsonReply("{\"received\":" + std::to_string(got.received) +
                   ",\"duplicates\":" + std::to_string(got.duplicates) +
                   ",\"unknown\":" + std::to_string(got.unknown) + "}");
}

using OrchTranslator = Reply (*)(App&, Request&, const std::string& base_url);
struct OrchRoute {
  Route route;
  OrchTranslator handler;
  IauthUse iauth = IauthUse::kNo;
};

Reply Unused(App&, Request&) { return Detail(500, "Internal error"); }

const std::vector<OrchRoute>& Table() {
  static const std::vector<OrchRoute> table = {
      {{"POST", "api/intents", Unused}, CreateIntent},
      {{"GET", "api/intents/{IntentId}", Unused}, GetIntent, IauthUse::kAny},
      {{"GET", "api/v2/intents/{IntentId}/capture", Unused}, Capture},
      {{"POST", "api/v2/intents/{IntentId}/capture", Unused}, Capture},
      {{"GET", "api/v2/intents/{IntentId}/cancel-authorization", Unused},
       CancelAuthorization,
       IauthUse::kMerchant},
      {{"POST", "api/intents/{IntentId}/refund", Unused}, RefundIntent},
      {{"GET", "api/webhooks", Unused}, ListWebhooks},
      {{"POST", "api/webhooks", Unused}, AddWebhook},
      {{"GET", "api/webhooks/deliveries", Unused}, ListDeliveries},
  };
  return table;
}

}  // namespace

const std::vector<Route>& OrchestrationRoutes() {
  static const std::vector<Route> routes = [] {
    std::vector<Route> r;
    for (const OrchRoute& o : Table()) r.push_back(o.route);
    return r;
  }();
  return routes;
}

bool IsOrchestrationPath(const std::vector<std::string>& segments) {
  return !segments.empty() &&
         (segments[0] == "api" || segments[0] == "checkout" || segments[0] == "psp");
}

std::string IauthOf(const App& app, const Payment& p, const std::string& scope) {
  // Valid for the authorisation window plus a day, counted from the intent's creation: as long
  // as the customer may still pay and the authorisation may still be cancelled.
  int64_t window = p.authorization_window_s > 0 ? p.authorization_window_s : 7 * 86400;
  return IssueIauth(app.iauth_key,
                    {p.id, p.client_id, p.environment, p.created_at + window + 86400, scope});
}

std::string CheckoutUrl(const App& app, const Payment& p, const std::string& base_url) {
  return base_url + "/checkout/" + p.id + "?iauth=" + IauthOf(app, p, "checkout");
}

std::string ReturnUrl(const Payment& p) {
  std::string url = p.return_url;
  size_t hash = url.find('#');
  std::string fragment = hash == std::string::npos ? "" : url.substr(hash);
  if (hash != std::string::npos) url.resize(hash);
  url += (url.find('?') == std::string::npos ? "?" : "&");
  return url + "intent_id=" + p.id + fragment;
}

Reply HandleOrchestration(App& app, HttpRequest& hreq, Request& req,
                          const std::vector<std::string>& segs, const std::string& base_url) {
  req.dialect = Dialect::kOrchestration;
  if (segs[0] == "checkout") return HandleCheckout(app, hreq, req, segs, base_url);
  if (app.orchestrator == nullptr) return Detail(503, "The orchestration dialect is not running");
  if (segs[0] == "psp") {
    req.route = "/psp/{connection}/webhooks";
    if (segs.size() != 3 || segs[2] != "webhooks") return Detail(404, "Not found");
    if (req.method != "POST") return Detail(405, "Method not allowed");
    return PspWebhook(app, hreq, req, segs[1]);
  }
  const OrchRoute* route = nullptr;
  bool path_known = false;
  for (const OrchRoute& r : Table()) {
    RouteMatch m = MatchRoute({r.route}, segs, req.method);
    path_known = path_known || m.path_known;
    if (m.route != nullptr) {
      route = &r;
      req.params = std::move(m.params);
      break;
    }
  }
  if (route == nullptr) {
    req.route = "unmatched";
    return path_known ? Detail(405, "Method not allowed") : Detail(404, "Not found");
  }
  req.route = std::string("/") + route->route.path;
  if (req.method == "POST") {
    req.body = std::move(hreq.body);
    std::string ct = ToLower(hreq.HeaderOr("content-type"));
    if (!req.body.empty() && ct.rfind("application/json", 0) != 0) {
      return Detail(415, "Content-Type must be application/json");
    }
  }
  if (std::optional<Reply> refused = Authenticate(app, hreq, req, route->iauth)) return *refused;
  return route->handler(app, req, base_url);
}

}  // namespace splitledger::api
