// The hosted checkout (orchestration.h): the page a payment's redirect_url opens. The iauth token
// in its link is the only credential (no cookies, so no CSRF to defend: a forged form would need
// the token). On a sandbox connection the customer picks the outcome; on a real PSP the button
// starts the authorisation and the PSP's own page takes over, coming back to /return.
//
//   GET  /checkout/{id}?iauth=T             the page: pay, a 3-D Secure challenge, or the status
//   POST /checkout/{id}            iauth, outcome=approve|decline|3ds|pending (sandbox) or pay
//   POST /checkout/{id}/challenge  iauth, result=approve|fail (a simulated 3-D Secure step)
//   GET  /checkout/{id}/return?iauth=T      back from a PSP-hosted page: sync, then to the merchant
#include <string>

#include "iauth.h"
#include "observe.h"
#include "orchestration.h"
#include "splitledger/api/extension.h"
#include "splitledger/plugins/loader.h"

namespace splitledger::api {
namespace {

using service::PaymentView;

std::string Html(std::string_view s) { return HtmlEscape(s); }

Reply Page(int status, const std::string& title, const std::string& body) {
  Reply r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.headers = {{"Content-Security-Policy",
                "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
                "frame-ancestors 'none'"},
               {"Cache-Control", "no-store"},
               {"Referrer-Policy", "no-referrer"},
               {"X-Content-Type-Options", "nosniff"}};
  r.body =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
      "content=\"width=device-width,initial-scale=1\"><title>" +
      Html(title) +
      "</title><style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem "
      "auto;padding:0 1rem;color:#1d2433}h1{font-size:1.4rem}.amount{font-size:2rem;"
      "font-weight:600}.note{color:#5b6475}.error{color:#b42318}button{font-size:1rem;"
      "padding:.6rem 1rem;margin:.3rem .3rem .3rem 0;border-radius:6px;border:1px solid "
      "#8a94a6;background:#fff;cursor:pointer}button.primary{background:#1d4ed8;color:#fff;"
      "border-color:#1d4ed8}</style></head><body>" +
      body + "</body></html>";
  return r;
}

Reply Redirect(const std::string& location) {
  Reply r;
  r.status = 303;
  r.content_type = "text/plain; charset=utf-8";
  r.headers = {{"Location", location}, {"Cache-Control", "no-store"}};
  r.body = "See " + location + "\n";
  return r;
}

Reply ErrorPage(int status, const std::string& message) {
  return Page(status, "Checkout",
              "<h1>Checkout</h1><p class=\"error\" id=\"error\">" + Html(message) + "</p>");
}

std::string MoneyText(const Payment& p) {
  const Currency* c = FindCurrency(p.currency);
  return c != nullptr ? FormatMoney(p.amount, *c) : std::to_string(p.amount) + " " + p.currency;
}

bool Sandbox(const App& app, const Payment& p) {
  const service::Connection* c = app.orchestrator->Find(p.connection);
  return c != nullptr && c->adapter != nullptr && c->adapter->library().name() == "sandbox";
}

// An action URL under the reserved .invalid domain (RFC 2606) is a simulated step: the sandbox's
// 3-D Secure. The checkout plays it itself instead of sending the customer nowhere.
bool Simulated(const std::string& url) {
  size_t start = url.find("://");
  if (start == std::string::npos) return true;
  std::string host = url.substr(start + 3);
  host = host.substr(0, host.find_first_of("/:?#"));
  return host.size() >= 8 && host.compare(host.size() - 8, 8, ".invalid") == 0;
}

std::string Hidden(const std::string& iauth) {
  return "<input type=\"hidden\" name=\"iauth\" value=\"" + Html(iauth) + "\">";
}

Reply Show(App& app, const PaymentView& v, const std::string& iauth, const std::string& notice) {
  const Payment& p = v.payment;
  std::string body = "<h1>Pay " + Html(p.reference_id) + "</h1><p class=\"amount\" id=\"amount\">" +
                     Html(MoneyText(p)) + "</p><p class=\"note\">Intent <code>" + Html(p.id) +
                     "</code> · status <strong id=\"status\">" + PaymentStatusName(p.state()) +
                     "</strong></p>";
  if (!notice.empty()) body += "<p class=\"error\" id=\"notice\">" + Html(notice) + "</p>";
  const PaymentAttempt* a = v.Attempt(p.current_attempt);
  std::string self = "/checkout/" + p.id;
  if (p.state() == PaymentStatus::kSelection) {
    body += "<form method=\"post\" action=\"" + Html(self) + "\">" + Hidden(iauth);
    if (Sandbox(app, p)) {
      body +=
          "<p class=\"note\">Sandbox: choose what the card does.</p>"
          "<button class=\"primary\" name=\"outcome\" value=\"approve\" id=\"approve\">Pay "
          "(approve)</button><button name=\"outcome\" value=\"decline\" "
          "id=\"decline\">Decline</button><button name=\"outcome\" value=\"3ds\" "
          "id=\"three-ds\">3-D Secure</button><button name=\"outcome\" value=\"pending\" "
          "id=\"pending\">Pending</button>";
    } else {
      body += "<button class=\"primary\" name=\"outcome\" value=\"pay\" id=\"pay\">Pay " +
              Html(MoneyText(p)) + "</button>";
    }
    body += "</form>";
  } else if (p.state() == PaymentStatus::kPending && a != nullptr && !a->action_url.empty()) {
    if (Simulated(a->action_url)) {
      body +=
          "<h2>3-D Secure</h2><p>Confirm this payment with your bank.</p><form method=\"post\" "
          "action=\"" +
          Html(self + "/challenge") + "\">" + Hidden(iauth) +
          "<button class=\"primary\" name=\"result\" value=\"approve\" "
          "id=\"challenge-approve\">Confirm</button><button name=\"result\" value=\"fail\" "
          "id=\"challenge-fail\">Fail</button></form>";
    } else {
      body += "<p><a id=\"continue\" href=\"" + Html(a->action_url) +
              "\">Continue to the payment page</a></p>";
    }
  } else {
    body += "<p><a id=\"back\" href=\"" + Html(ReturnUrl(p)) + "\">Back to the shop</a></p>";
  }
  return Page(200, "Pay " + p.reference_id, body);
}

// Where the customer goes after an operation: the merchant, this page again (declined: try
// again; a simulated challenge), or the PSP's page.
Reply After(const PaymentView& v, const std::string& iauth, const std::string& base_url) {
  const Payment& p = v.payment;
  std::string self = base_url + "/checkout/" + p.id + "?iauth=" + iauth;
  const PaymentAttempt* a = v.Attempt(p.current_attempt);
  switch (p.state()) {
    case PaymentStatus::kSelection:
      return Redirect(self + "&declined=1");
    case PaymentStatus::kPending:
      if (a != nullptr && !a->action_url.empty()) {
        return Redirect(Simulated(a->action_url) ? self : a->action_url);
      }
      return Redirect(ReturnUrl(p));
    default:
      return Redirect(ReturnUrl(p));
  }
}

}  // namespace

Reply HandleCheckout(App& app, HttpRequest& hreq, Request& req,
                     const std::vector<std::string>& segs, const std::string& base_url) {
  req.route = segs.size() == 3 ? "/checkout/{IntentId}/" + segs[2] : "/checkout/{IntentId}";
  if (app.orchestrator == nullptr) return ErrorPage(503, "Checkout is not available.");
  if (segs.size() < 2 || segs.size() > 3) return ErrorPage(404, "No such page.");
  const std::string& id = segs[1];
  Query form = req.query;
  if (req.method == "POST") {
    std::string ct = ToLower(hreq.HeaderOr("content-type"));
    if (ct.rfind("application/x-www-form-urlencoded", 0) != 0) {
      return ErrorPage(415, "The form must be sent as application/x-www-form-urlencoded.");
    }
    for (auto& [k, v] : ParseQuery(hreq.body)) form[k] = v;
  } else if (req.method != "GET") {
    return ErrorPage(405, "Method not allowed.");
  }
  std::string iauth = form.count("iauth") ? form["iauth"] : std::string();
  std::optional<IauthClaims> claims = VerifyIauth(app.iauth_key, iauth, req.now_ms / 1000);
  if (!claims || claims->payment_id != id) {
    return ErrorPage(403, "This checkout link is not valid or has expired.");
  }
  service::Caller caller{claims->client_id, req.now_ms};
  auto current = [&]() -> Result<PaymentView> {
    service::Outcome o = app.service->Execute({caller, service::GetPayment{id}, std::nullopt});
    if (!o.ok()) return o.status;
    return std::move(*std::get<service::Box<PaymentView>>(o.value));
  };
  auto answer = [&](const Result<PaymentView>& done) -> Reply {
    if (done.ok()) return After(*done, iauth, base_url);
    if (done.status().code() == ErrorCode::kUnavailable) {
      return ErrorPage(503, "Please try again in a moment.");
    }
    // Refused before anything was sent (the intent moved on): show where it stands.
    auto now = current();
    if (!now.ok()) return ErrorPage(404, "No such payment.");
    return Show(app, *now, iauth, done.status().message());
  };
  const std::string action = segs.size() == 3 ? segs[2] : "";
  if (action.empty() && req.method == "GET") {
    auto v = current();
    if (!v.ok()) return ErrorPage(404, "No such payment.");
    std::string notice;
    if (form.count("declined") && v->payment.state() == PaymentStatus::kSelection) {
      notice = "The payment was declined" +
               (v->payment.failure_reason.empty() ? std::string()
                                                  : " (" + v->payment.failure_reason + ")") +
               ". You can try again.";
    }
    return Show(app, *v, iauth, notice);
  }
  if (action.empty() && req.method == "POST") {
    auto v = current();
    if (!v.ok()) return ErrorPage(404, "No such payment.");
    std::string outcome = form.count("outcome") ? form["outcome"] : "pay";
    service::AuthorizeRequest ar;
    if (Sandbox(app, v->payment)) {
      static const std::map<std::string, std::string> kScripts = {{"approve", "-approve"},
                                                                  {"decline", "-decline"},
                                                                  {"3ds", "-action"},
                                                                  {"pending", "-pending"},
                                                                  {"pay", ""}};
      auto it = kScripts.find(outcome);
      if (it == kScripts.end()) return ErrorPage(400, "Unknown outcome.");
      ar.payment_id_suffix = it->second;
    }
    ar.return_url = base_url + "/checkout/" + id + "/return?iauth=" + iauth;
    return answer(app.orchestrator->Authorize(caller, id, ar));
  }
  if (action == "challenge" && req.method == "POST") {
    std::string result = form.count("result") ? form["result"] : "";
    if (result != "approve" && result != "fail") return ErrorPage(400, "Unknown result.");
    return answer(app.orchestrator->CompleteAction(caller, id, "{\"result\":\"" + result + "\"}"));
  }
  if (action == "return" && req.method == "GET") {
    auto v = current();
    if (!v.ok()) return ErrorPage(404, "No such payment.");
    if (v->payment.state() != PaymentStatus::kPending) return Redirect(ReturnUrl(v->payment));
    return answer(app.orchestrator->Sync(caller, id));
  }
  return ErrorPage(404, "No such page.");
}

}  // namespace splitledger::api
