#include "splitledger/plugins/plugin_check.h"

#include <openssl/hmac.h>
#include <rapidjson/document.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>

#include "splitledger/plugins/host_config.h"
#include "splitledger/plugins/http_transport.h"
#include "splitledger/plugins/loader.h"

namespace splitledger::plugins {
namespace {

// ---- the kit's configuration --------------------------------------------------------------------

struct WebhookSpec {
  std::string header;               // "Njiapay-Signature"
  std::string prefix = "v0=";       // before each hex signature
  std::string separator = ",";      // between several signatures
  std::vector<std::string> secrets;  // secret NAMES; [0] current, [1] rotated
  std::string body;                  // template: {payment_ref} {payment_id} {amount} {currency} {nonce}
};

struct KitConfig {
  std::string adapter_config = "{}";
  std::string environment = "test";
  std::map<std::string, std::string> secrets;
  HttpTransportOptions transport;
  std::string currency = "EUR";
  std::string customer_ref = "cus_conformance";
  std::string return_url = "https://merchant.example/return";
  int64_t approve = 10000;
  std::optional<int64_t> decline, pending, unknown, action;
  std::string complete_action = "resume";  // "resume" (COMPLETE_AUTH) or "follow" (GET the URL)
  int max_syncs = 10;
  std::optional<WebhookSpec> webhook;
};

std::string Serialize(const rapidjson::Value& v);

std::string Serialize(const rapidjson::Value& v) {
  // Small writer that expands ${VAR} inside strings, so adapter configs can name environment values.
  std::ostringstream os;
  std::function<void(const rapidjson::Value&)> put = [&](const rapidjson::Value& x) {
    if (x.IsObject()) {
      os << '{';
      bool first = true;
      for (const auto& m : x.GetObject()) {
        if (!first) os << ',';
        first = false;
        put(m.name);
        os << ':';
        put(m.value);
      }
      os << '}';
    } else if (x.IsArray()) {
      os << '[';
      bool first = true;
      for (const auto& e : x.GetArray()) {
        if (!first) os << ',';
        first = false;
        put(e);
      }
      os << ']';
    } else if (x.IsString()) {
      std::string s = ExpandEnv(std::string(x.GetString(), x.GetStringLength()));
      os << '"';
      for (char c : s) {
        if (c == '"' || c == '\\') {
          os << '\\' << c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          os << buf;
        } else {
          os << c;
        }
      }
      os << '"';
    } else if (x.IsBool()) {
      os << (x.GetBool() ? "true" : "false");
    } else if (x.IsNull()) {
      os << "null";
    } else if (x.IsInt64()) {
      os << x.GetInt64();
    } else if (x.IsUint64()) {
      os << x.GetUint64();
    } else {
      os << x.GetDouble();
    }
  };
  put(v);
  return os.str();
}

std::string GetString(const rapidjson::Value& obj, const char* name, const std::string& dflt) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsString()) return dflt;
  return ExpandEnv(std::string(it->value.GetString(), it->value.GetStringLength()));
}

Status LoadConfig(const std::string& path, KitConfig* cfg) {
  if (path.empty()) return Status::Ok();
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read config file '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return Status::Invalid("config file '" + path + "' is not a JSON object");
  }
  if (auto it = doc.FindMember("config"); it != doc.MemberEnd()) cfg->adapter_config = Serialize(it->value);
  cfg->environment = GetString(doc, "environment", cfg->environment);
  // "secrets", "tls_profiles" and "default_timeout_ms" have the same shape as in `serve`.
  PluginHostConfig host;
  if (Status s = ParsePluginHostConfig(text, &host); !s.ok()) return s;
  cfg->secrets = std::move(host.secrets);
  cfg->transport = std::move(host.transport);
  auto conf = doc.FindMember("conformance");
  if (conf == doc.MemberEnd() || !conf->value.IsObject()) return Status::Ok();
  const auto& c = conf->value;
  cfg->currency = GetString(c, "currency", cfg->currency);
  cfg->customer_ref = GetString(c, "customer_ref", cfg->customer_ref);
  cfg->return_url = GetString(c, "return_url", cfg->return_url);
  cfg->complete_action = GetString(c, "complete_action", cfg->complete_action);
  if (cfg->complete_action != "resume" && cfg->complete_action != "follow") {
    return Status::Invalid("conformance.complete_action must be \"resume\" or \"follow\"");
  }
  if (auto it = c.FindMember("max_syncs"); it != c.MemberEnd() && it->value.IsInt()) {
    cfg->max_syncs = std::max(1, it->value.GetInt());
  }
  if (auto it = c.FindMember("amounts"); it != c.MemberEnd() && it->value.IsObject()) {
    auto amount = [&](const char* name) -> std::optional<int64_t> {
      auto a = it->value.FindMember(name);
      if (a == it->value.MemberEnd() || !a->value.IsInt64() || a->value.GetInt64() <= 0) return {};
      return a->value.GetInt64();
    };
    if (auto a = amount("approve")) cfg->approve = *a;
    cfg->decline = amount("decline");
    cfg->pending = amount("pending");
    cfg->unknown = amount("unknown");
    cfg->action = amount("action");
  }
  if (auto it = c.FindMember("webhook"); it != c.MemberEnd() && it->value.IsObject()) {
    WebhookSpec w;
    w.header = GetString(it->value, "header", "");
    w.prefix = GetString(it->value, "prefix", w.prefix);
    w.separator = GetString(it->value, "separator", w.separator);
    w.body = GetString(it->value, "body", "");
    if (auto s = it->value.FindMember("secrets"); s != it->value.MemberEnd() && s->value.IsArray()) {
      for (const auto& e : s->value.GetArray()) {
        if (e.IsString()) w.secrets.push_back(e.GetString());
      }
    }
    if (w.header.empty() || w.body.empty() || w.secrets.empty()) {
      return Status::Invalid("conformance.webhook needs header, body and at least one secret name");
    }
    cfg->webhook = w;
  }
  return Status::Ok();
}

// ---- fault injection around the real executor ---------------------------------------------------

class FaultTransport : public Transport {
 public:
  enum class Mode { kNone, kNotSentFirst, kDropSideEffecting, kServerErrorSideEffecting };
  explicit FaultTransport(Transport& inner) : inner_(inner) {}

  void Arm(Mode mode) {
    std::lock_guard<std::mutex> lock(mu_);
    mode_ = mode;
    fired_ = false;
  }
  bool fired() {
    std::lock_guard<std::mutex> lock(mu_);
    return fired_;
  }

  HttpResponse Perform(const HttpRequest& request) override {
    Mode mode;
    {
      std::lock_guard<std::mutex> lock(mu_);
      mode = fired_ ? Mode::kNone : mode_;
      if (mode == Mode::kNotSentFirst) fired_ = true;
    }
    if (mode == Mode::kNotSentFirst) {
      HttpResponse r;
      r.transport = PSP_TRANSPORT_NOT_SENT;
      r.transport_error = "injected: connection refused";
      return r;
    }
    HttpResponse r = inner_.Perform(request);
    bool effect = request.side_effecting || request.method != "GET";
    if (effect && (mode == Mode::kDropSideEffecting || mode == Mode::kServerErrorSideEffecting)) {
      std::lock_guard<std::mutex> lock(mu_);
      fired_ = true;
      if (mode == Mode::kDropSideEffecting) {
        // The request really reached the PSP; only its answer is lost.
        HttpResponse lost;
        lost.transport = PSP_TRANSPORT_NO_ANSWER;
        lost.transport_error = "injected: timeout after sending";
        return lost;
      }
      r.transport = PSP_TRANSPORT_OK;
      r.status = 503;
      r.headers = {{"Content-Type", "application/json"}};
      r.body = R"({"detail":"injected: service unavailable"})";
    }
    return r;
  }

 private:
  Transport& inner_;
  std::mutex mu_;
  Mode mode_ = Mode::kNone;
  bool fired_ = false;
};

// Counts requests, so scenarios know whether the adapter talks HTTP at all.
class CountingTransport : public Transport {
 public:
  explicit CountingTransport(Transport& inner) : inner_(inner) {}
  HttpResponse Perform(const HttpRequest& request) override {
    ++count;
    return inner_.Perform(request);
  }
  std::atomic<int> count{0};

 private:
  Transport& inner_;
};

std::string HmacHex(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 15];
  }
  return out;
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

// ---- the scenarios ------------------------------------------------------------------------------

struct Payment {
  std::string payment_id, psp_ref;
  int64_t amount = 0;
  psp_state state = PSP_STATE_NONE;
};

// A scenario's verdict, built with early returns: `return Fail("…")`.
struct Outcome {
  Verdict verdict;
  std::string detail;
};
Outcome Pass(std::string d = {}) { return {Verdict::kPass, std::move(d)}; }
Outcome Fail(std::string d) { return {Verdict::kFail, std::move(d)}; }
Outcome Skip(std::string d) { return {Verdict::kSkip, std::move(d)}; }

std::string Describe(const OpResult& r) {
  std::string s = OutcomeName(r.outcome);
  if (r.state != PSP_STATE_NONE) s += std::string("/") + StateName(r.state);
  if (r.error) s += " (" + r.error->code + (r.error->message.empty() ? "" : ": " + r.error->message) + ")";
  return s;
}

class Kit {
 public:
  Kit(const KitConfig& cfg, const Adapter& adapter, Transport& transport)
      : cfg_(cfg), adapter_(adapter), counting_(transport), faults_(counting_) {
    run_id_ = std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count());
  }

  bool Has(uint64_t cap) const { return adapter_.library().Has(cap); }
  // Whether the adapter talks HTTP at all (probes with one authorization when nothing ran yet).
  bool SendsRequests() {
    if (counting_.count == 0 && !probed_) {
      probed_ = true;
      (void)Authorized("probe");
    }
    return counting_.count > 0;
  }

  // Runs one op; contract violations and integrity failures are collected for the scenario.
  Result<OpResult> Op(psp_op_kind kind, const Payment& p, int64_t amount,
                      const std::string& refund_ref = {}, const std::string& resume = {}) {
    OpRequest req;
    req.kind = kind;
    req.operation_id = "op_" + run_id_ + "_" + std::to_string(++ops_);
    req.payment_id = p.payment_id;
    req.attempt_id = p.payment_id + "_att1";
    req.psp_payment_ref = p.psp_ref;
    req.psp_refund_ref = refund_ref;
    req.amount = Money{amount, cfg_.currency};
    req.customer_ref = cfg_.customer_ref;
    req.return_url = cfg_.return_url;
    req.capture_mode = Has(PSP_CAP_AUTH_CAPTURE) ? PSP_CAPTURE_MANUAL : PSP_CAPTURE_IMMEDIATE;
    req.resume_params = resume;
    Result<OpResult> r = adapter_.Run(req, faults_);
    if (r.ok()) {
      for (const auto& v : r.value().contract_violations) {
        violations_.push_back(std::string(OpKindName(kind)) + ": " + v);
      }
      if (r.value().integrity_failure) {
        violations_.push_back(std::string(OpKindName(kind)) + ": integrity: " +
                              *r.value().integrity_failure);
      }
    }
    return r;
  }

  Payment NewPayment(int64_t amount, const std::string& tag) {
    return Payment{"pay_" + run_id_ + "_" + std::to_string(++payments_) + "_" + tag, "", amount,
                   PSP_STATE_NONE};
  }

  // Syncs until `done(state)` or max_syncs; returns the last state.
  Result<psp_state> SyncUntil(Payment& p, const std::function<bool(psp_state)>& done) {
    psp_state last = PSP_STATE_NONE;
    for (int i = 0; i < cfg_.max_syncs; ++i) {
      Result<OpResult> r = Op(PSP_OP_SYNC_PAYMENT, p, p.amount);
      if (!r.ok()) return r.status();
      if (r.value().outcome != PSP_OUT_SUCCEEDED) {
        if (r.value().outcome == PSP_OUT_UNKNOWN) continue;  // try again
        return Status::Rule("sync_payment answered " + Describe(r.value()));
      }
      if (std::string ref = r.value().Field("psp_payment_ref"); !ref.empty()) p.psp_ref = ref;
      last = r.value().state;
      if (done(last)) break;
    }
    p.state = last;
    return last;
  }

  // Completes a customer action the configured way.
  Status CompleteAction(Payment& p, const OpResult& r) {
    if (!r.action) return Status::Rule("action_required without an action");
    if (cfg_.complete_action == "follow") {
      HttpRequest get;
      get.method = r.action->method.empty() ? "GET" : r.action->method;
      get.url = r.action->url;
      HttpResponse resp = counting_.Perform(get);  // the customer's browser, not the adapter
      if (resp.transport != PSP_TRANSPORT_OK || resp.status >= 400) {
        return Status::Rule("following the action URL " + get.url + " failed (" +
                            (resp.transport_error.empty() ? std::to_string(resp.status)
                                                          : resp.transport_error) + ")");
      }
      return Status::Ok();
    }
    Result<OpResult> c = Op(PSP_OP_COMPLETE_AUTH, p, p.amount, {}, R"({"result":"approve"})");
    if (!c.ok()) return c.status();
    return Status::Ok();
  }

  // Authorizes `amount` and drives it to a resolved state (AUTHORIZED, CAPTURED, DECLINED, …).
  Result<Payment> Authorize(int64_t amount, const std::string& tag) {
    Payment p = NewPayment(amount, tag);
    Result<OpResult> r = Op(PSP_OP_AUTHORIZE, p, amount);
    if (!r.ok()) return r.status();
    const OpResult& res = r.value();
    p.psp_ref = res.Field("psp_payment_ref");
    switch (res.outcome) {
      case PSP_OUT_AUTHORIZED: p.state = PSP_STATE_AUTHORIZED; return p;
      case PSP_OUT_SUCCEEDED: p.state = PSP_STATE_CAPTURED; return p;
      case PSP_OUT_DECLINED: p.state = PSP_STATE_DECLINED; return p;
      case PSP_OUT_FAILED: p.state = PSP_STATE_FAILED; return p;
      case PSP_OUT_NOT_SUBMITTED: return Status::Rule("authorize was not submitted: " + Describe(res));
      case PSP_OUT_ACTION_REQUIRED:
        if (Status s = CompleteAction(p, res); !s.ok()) return s;
        break;
      default: break;  // PENDING, UNKNOWN: sync
    }
    Result<psp_state> s = SyncUntil(p, [](psp_state st) {
      return st != PSP_STATE_PENDING && st != PSP_STATE_REQUIRES_ACTION && st != PSP_STATE_NONE;
    });
    if (!s.ok()) return s.status();
    return p;
  }

  Result<Payment> Authorized(const std::string& tag) {
    Result<Payment> p = Authorize(cfg_.approve, tag);
    if (!p.ok()) return p;
    if (p.value().state != PSP_STATE_AUTHORIZED && p.value().state != PSP_STATE_CAPTURED) {
      return Status::Rule(std::string("the approve amount ended ") + StateName(p.value().state));
    }
    return p;
  }

  Result<Payment> Captured(const std::string& tag) {
    Result<Payment> p = Authorized(tag);
    if (!p.ok() || p.value().state == PSP_STATE_CAPTURED) return p;
    Result<OpResult> c = Op(PSP_OP_CAPTURE, p.value(), p.value().amount);
    if (!c.ok()) return c.status();
    if (c.value().outcome != PSP_OUT_SUCCEEDED) {
      return Status::Rule("capture answered " + Describe(c.value()));
    }
    p.value().state = PSP_STATE_CAPTURED;
    return p;
  }

  // Refunds and, when pending, syncs the refund until it settles. Returns the final state.
  Result<psp_state> Refund(const Payment& p, int64_t amount, std::string* detail) {
    Result<OpResult> r = Op(PSP_OP_REFUND, p, amount);
    if (!r.ok()) return r.status();
    *detail = Describe(r.value());
    if (r.value().outcome == PSP_OUT_SUCCEEDED) return PSP_STATE_REFUNDED;
    if (r.value().outcome != PSP_OUT_PENDING) return r.value().state;
    std::string ref = r.value().Field("psp_refund_ref");
    if (!Has(PSP_CAP_SYNC_REFUND) || ref.empty()) return PSP_STATE_REFUND_PENDING;
    for (int i = 0; i < cfg_.max_syncs; ++i) {
      Result<OpResult> s = Op(PSP_OP_SYNC_REFUND, p, amount, ref);
      if (!s.ok()) return s.status();
      if (s.value().outcome == PSP_OUT_SUCCEEDED && s.value().state != PSP_STATE_REFUND_PENDING) {
        return s.value().state;
      }
    }
    return PSP_STATE_REFUND_PENDING;
  }

  Result<OpResult> SendWebhook(const std::string& body, const std::string& signature,
                               bool with_header = true) {
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Content-Type", "application/json"}};
    if (with_header) headers.emplace_back(cfg_.webhook->header, signature);
    return adapter_.Webhook("POST", "/webhooks/psp", headers, body);
  }

  std::string Sign(const std::string& body, const std::string& secret_name) {
    auto it = cfg_.secrets.find(secret_name);
    std::string secret = it == cfg_.secrets.end() ? std::string() : it->second;
    return cfg_.webhook->prefix + HmacHex(secret, body);
  }

  std::string WebhookBody(const Payment& p) {
    std::string b = cfg_.webhook->body;
    b = Replace(b, "{payment_ref}", p.psp_ref);
    b = Replace(b, "{payment_id}", p.payment_id);
    b = Replace(b, "{amount}", std::to_string(p.amount));
    b = Replace(b, "{currency}", cfg_.currency);
    b = Replace(b, "{nonce}", run_id_ + std::to_string(++payments_));
    return b;
  }

  std::vector<std::string> TakeViolations() { return std::exchange(violations_, {}); }

  const KitConfig& cfg_;
  const Adapter& adapter_;
  CountingTransport counting_;
  FaultTransport faults_;

 private:
  std::string run_id_;
  int ops_ = 0, payments_ = 0;
  bool probed_ = false;
  std::vector<std::string> violations_;
};

std::string StatusText(const Status& s) { return s.message(); }

using Scenario = std::pair<const char*, std::function<Outcome(Kit&)>>;

std::vector<Scenario> Scenarios() {
  std::vector<Scenario> list;

  list.emplace_back("authorize", [](Kit& k) -> Outcome {
    Result<Payment> p = k.Authorized("auth");
    if (!p.ok()) return Fail(StatusText(p.status()));
    if (p.value().psp_ref.empty()) return Fail("no psp_payment_ref reported");
    Result<psp_state> s = k.SyncUntil(p.value(), [](psp_state) { return true; });
    if (!s.ok()) return Fail(StatusText(s.status()));
    if (s.value() != p.value().state) {
      return Fail(std::string("sync says ") + StateName(s.value()) + ", authorize said " +
                  StateName(p.value().state));
    }
    return Pass(std::string("state ") + StateName(s.value()) + ", ref " + p.value().psp_ref);
  });

  list.emplace_back("action_required", [](Kit& k) -> Outcome {
    if (!k.cfg_.action) return Skip("no conformance.amounts.action configured");
    Payment p = k.NewPayment(*k.cfg_.action, "action");
    Result<OpResult> r = k.Op(PSP_OP_AUTHORIZE, p, p.amount);
    if (!r.ok()) return Fail(StatusText(r.status()));
    if (r.value().outcome != PSP_OUT_ACTION_REQUIRED) return Fail("authorize answered " + Describe(r.value()));
    if (!r.value().action || r.value().action->url.empty()) return Fail("no action URL");
    p.psp_ref = r.value().Field("psp_payment_ref");
    if (Status s = k.CompleteAction(p, r.value()); !s.ok()) return Fail(StatusText(s));
    Result<psp_state> s = k.SyncUntil(p, [](psp_state st) { return st == PSP_STATE_AUTHORIZED; });
    if (!s.ok()) return Fail(StatusText(s.status()));
    if (s.value() != PSP_STATE_AUTHORIZED) return Fail(std::string("ended ") + StateName(s.value()));
    return Pass("completed via " + k.cfg_.complete_action + ", now authorized");
  });

  list.emplace_back("capture_full", [](Kit& k) -> Outcome {
    if (!k.Has(PSP_CAP_AUTH_CAPTURE)) return Skip("adapter does not separate authorize and capture");
    Result<Payment> p = k.Authorized("capfull");
    if (!p.ok()) return Fail(StatusText(p.status()));
    Result<OpResult> c = k.Op(PSP_OP_CAPTURE, p.value(), p.value().amount);
    if (!c.ok()) return Fail(StatusText(c.status()));
    if (c.value().outcome != PSP_OUT_SUCCEEDED) return Fail("capture answered " + Describe(c.value()));
    auto processed = c.value().amounts.find("processed");
    if (processed == c.value().amounts.end()) return Fail("no processed amount reported");
    Result<psp_state> s = k.SyncUntil(p.value(), [](psp_state) { return true; });
    if (!s.ok()) return Fail(StatusText(s.status()));
    if (s.value() != PSP_STATE_CAPTURED) return Fail(std::string("sync says ") + StateName(s.value()));
    return Pass("captured " + std::to_string(processed->second.minor));
  });

  list.emplace_back("capture_partial", [](Kit& k) -> Outcome {
    if (!k.Has(PSP_CAP_AUTH_CAPTURE)) return Skip("adapter does not separate authorize and capture");
    Result<Payment> p = k.Authorized("cappart");
    if (!p.ok()) return Fail(StatusText(p.status()));
    int64_t half = p.value().amount / 2;
    Result<OpResult> c = k.Op(PSP_OP_CAPTURE, p.value(), half);
    if (!k.Has(PSP_CAP_PARTIAL_CAPTURE)) {
      // Not offered: it must be refused cleanly and move no money.
      if (c.ok() && (c.value().outcome == PSP_OUT_SUCCEEDED || c.value().outcome == PSP_OUT_PENDING)) {
        return Fail("partial capture not declared but answered " + Describe(c.value()));
      }
      Result<psp_state> s = k.SyncUntil(p.value(), [](psp_state) { return true; });
      if (!s.ok()) return Fail(StatusText(s.status()));
      if (s.value() != PSP_STATE_AUTHORIZED) {
        return Fail(std::string("refused partial capture left the payment ") + StateName(s.value()));
      }
      return Pass("not declared; refused (" + (c.ok() ? Describe(c.value()) : StatusText(c.status())) +
                  "), payment still authorized");
    }
    if (!c.ok()) return Fail(StatusText(c.status()));
    if (c.value().outcome != PSP_OUT_SUCCEEDED) return Fail("capture answered " + Describe(c.value()));
    auto processed = c.value().amounts.find("processed");
    if (processed == c.value().amounts.end() || processed->second.minor != half) {
      return Fail("processed amount is not the requested " + std::to_string(half));
    }
    return Pass("captured " + std::to_string(half) + " of " + std::to_string(p.value().amount));
  });

  list.emplace_back("void", [](Kit& k) -> Outcome {
    if (!k.Has(PSP_CAP_VOID)) return Skip("adapter does not declare void");
    Result<Payment> p = k.Authorized("void");
    if (!p.ok()) return Fail(StatusText(p.status()));
    Result<OpResult> v = k.Op(PSP_OP_VOID, p.value(), p.value().amount);
    if (!v.ok()) return Fail(StatusText(v.status()));
    if (v.value().outcome != PSP_OUT_SUCCEEDED) return Fail("void answered " + Describe(v.value()));
    Result<psp_state> s = k.SyncUntil(p.value(), [](psp_state) { return true; });
    if (!s.ok()) return Fail(StatusText(s.status()));
    if (s.value() != PSP_STATE_VOIDED) return Fail(std::string("sync says ") + StateName(s.value()));
    // A voided authorization cannot be captured any more.
    Result<OpResult> c = k.Op(PSP_OP_CAPTURE, p.value(), p.value().amount);
    if (c.ok() && c.value().outcome == PSP_OUT_SUCCEEDED) return Fail("captured after void");
    return Pass("voided; capture afterwards refused");
  });

  list.emplace_back("refund_full", [](Kit& k) -> Outcome {
    if (!k.Has(PSP_CAP_REFUND)) return Skip("adapter does not declare refunds");
    Result<Payment> p = k.Captured("reffull");
    if (!p.ok()) return Fail(StatusText(p.status()));
    std::string detail;
    Result<psp_state> r = k.Refund(p.value(), p.value().amount, &detail);
    if (!r.ok()) return Fail(StatusText(r.status()));
    if (r.value() != PSP_STATE_REFUNDED) return Fail("refund answered " + detail);
    return Pass("refunded " + std::to_string(p.value().amount) + " (" + detail + ")");
  });

  list.emplace_back("refund_partial", [](Kit& k) -> Outcome {
    if (!k.Has(PSP_CAP_REFUND)) return Skip("adapter does not declare refunds");
    if (!k.Has(PSP_CAP_PARTIAL_REFUND)) return Skip("adapter does not declare partial refunds");
    Result<Payment> p = k.Captured("refpart");
    if (!p.ok()) return Fail(StatusText(p.status()));
    int64_t part = p.value().amount * 3 / 10;
    int rounds = k.Has(PSP_CAP_MULTI_REFUND) ? 2 : 1;
    for (int i = 0; i < rounds; ++i) {
      std::string detail;
      Result<psp_state> r = k.Refund(p.value(), part, &detail);
      if (!r.ok()) return Fail(StatusText(r.status()));
      if (r.value() != PSP_STATE_REFUNDED) return Fail("partial refund " + std::to_string(i + 1) + ": " + detail);
    }
    // More than what is left must not succeed.
    Result<OpResult> over = k.Op(PSP_OP_REFUND, p.value(), p.value().amount);
    if (over.ok() && (over.value().outcome == PSP_OUT_SUCCEEDED || over.value().outcome == PSP_OUT_PENDING)) {
      return Fail("refunding more than the remainder answered " + Describe(over.value()));
    }
    return Pass(std::to_string(rounds) + " x " + std::to_string(part) + " refunded; over-refund refused");
  });

  list.emplace_back("decline", [](Kit& k) -> Outcome {
    if (!k.cfg_.decline) return Skip("no conformance.amounts.decline configured");
    Result<Payment> p = k.Authorize(*k.cfg_.decline, "decline");
    if (!p.ok()) return Fail(StatusText(p.status()));
    if (p.value().state != PSP_STATE_DECLINED && p.value().state != PSP_STATE_FAILED) {
      return Fail(std::string("ended ") + StateName(p.value().state));
    }
    return Pass(std::string("ended ") + StateName(p.value().state));
  });

  list.emplace_back("sync_until_resolved", [](Kit& k) -> Outcome {
    if (!k.cfg_.pending) return Skip("no conformance.amounts.pending configured");
    Payment p = k.NewPayment(*k.cfg_.pending, "pending");
    Result<OpResult> r = k.Op(PSP_OP_AUTHORIZE, p, p.amount);
    if (!r.ok()) return Fail(StatusText(r.status()));
    p.psp_ref = r.value().Field("psp_payment_ref");
    if (r.value().outcome == PSP_OUT_ACTION_REQUIRED) {
      if (Status s = k.CompleteAction(p, r.value()); !s.ok()) return Fail(StatusText(s));
    } else if (r.value().outcome != PSP_OUT_PENDING) {
      return Fail("authorize answered " + Describe(r.value()) + ", expected pending");
    }
    int syncs = 0;
    bool saw_pending = false;
    Result<psp_state> s = k.SyncUntil(p, [&](psp_state st) {
      ++syncs;
      saw_pending |= st == PSP_STATE_PENDING;
      return st != PSP_STATE_PENDING && st != PSP_STATE_REQUIRES_ACTION;
    });
    if (!s.ok()) return Fail(StatusText(s.status()));
    if (!saw_pending && r.value().outcome != PSP_OUT_PENDING) return Fail("never saw the payment pending");
    if (s.value() != PSP_STATE_AUTHORIZED && s.value() != PSP_STATE_CAPTURED) {
      return Fail(std::string("ended ") + StateName(s.value()) + " after " + std::to_string(syncs) + " syncs");
    }
    return Pass(std::string("pending → ") + StateName(s.value()) + " after " + std::to_string(syncs) + " syncs");
  });

  list.emplace_back("not_submitted", [](Kit& k) -> Outcome {
    if (!k.SendsRequests()) return Skip("the adapter sends no HTTP requests");
    Payment p = k.NewPayment(k.cfg_.approve, "notsent");
    k.faults_.Arm(FaultTransport::Mode::kNotSentFirst);
    Result<OpResult> r = k.Op(PSP_OP_AUTHORIZE, p, p.amount);
    k.faults_.Arm(FaultTransport::Mode::kNone);
    if (!r.ok()) return Fail(StatusText(r.status()));
    if (r.value().outcome != PSP_OUT_NOT_SUBMITTED) {
      return Fail("a request that never left answered " + Describe(r.value()) + ", expected not_submitted");
    }
    // Safe to retry: the same payment goes through.
    Result<OpResult> again = k.Op(PSP_OP_AUTHORIZE, p, p.amount);
    if (!again.ok()) return Fail(StatusText(again.status()));
    if (again.value().outcome == PSP_OUT_FAILED || again.value().outcome == PSP_OUT_NOT_SUBMITTED ||
        again.value().outcome == PSP_OUT_UNKNOWN) {
      return Fail("the retry answered " + Describe(again.value()));
    }
    return Pass("not_submitted, retry " + Describe(again.value()));
  });

  auto unknown_after = [](FaultTransport::Mode mode, const char* what) {
    return [mode, what](Kit& k) -> Outcome {
      if (!k.SendsRequests()) {
        if (!k.cfg_.unknown) return Skip("the adapter sends no HTTP requests and no amounts.unknown is configured");
        // No network to break: use the adapter's own scripted unknown outcome.
        Payment p = k.NewPayment(*k.cfg_.unknown, "unknown");
        Result<OpResult> r = k.Op(PSP_OP_AUTHORIZE, p, p.amount);
        if (!r.ok()) return Fail(StatusText(r.status()));
        if (r.value().outcome != PSP_OUT_UNKNOWN) return Fail("authorize answered " + Describe(r.value()));
        p.psp_ref = r.value().Field("psp_payment_ref");
        Result<psp_state> s = k.SyncUntil(p, [](psp_state st) {
          return st != PSP_STATE_PENDING && st != PSP_STATE_NONE;
        });
        if (!s.ok()) return Fail(StatusText(s.status()));
        if (s.value() != PSP_STATE_AUTHORIZED && s.value() != PSP_STATE_CAPTURED) {
          return Fail(std::string("sync resolved to ") + StateName(s.value()));
        }
        return Pass(std::string("scripted unknown resolved by sync to ") + StateName(s.value()));
      }
      if (!k.Has(PSP_CAP_AUTH_CAPTURE)) return Skip("needs a separate capture to break");
      Result<Payment> p = k.Authorized("unknown");
      if (!p.ok()) return Fail(StatusText(p.status()));
      k.faults_.Arm(mode);
      Result<OpResult> c = k.Op(PSP_OP_CAPTURE, p.value(), p.value().amount);
      bool fired = k.faults_.fired();
      k.faults_.Arm(FaultTransport::Mode::kNone);
      if (!fired) return Fail("the capture sent no side-effecting request to break");
      if (!c.ok()) return Fail(StatusText(c.status()));
      if (c.value().outcome != PSP_OUT_UNKNOWN) {
        return Fail(std::string("capture with ") + what + " answered " + Describe(c.value()) + ", expected unknown");
      }
      // The PSP did capture: the sync must find out.
      Result<psp_state> s = k.SyncUntil(p.value(), [](psp_state st) { return st == PSP_STATE_CAPTURED; });
      if (!s.ok()) return Fail(StatusText(s.status()));
      if (s.value() != PSP_STATE_CAPTURED) return Fail(std::string("sync resolved to ") + StateName(s.value()));
      return Pass(std::string(what) + " → unknown → sync → captured");
    };
  };
  list.emplace_back("unknown_recovery", unknown_after(FaultTransport::Mode::kDropSideEffecting,
                                                      "an answer lost after sending"));
  list.emplace_back("server_error_is_unknown",
                    [f = unknown_after(FaultTransport::Mode::kServerErrorSideEffecting, "a 503")](Kit& k) {
                      if (!k.SendsRequests()) return Skip("the adapter sends no HTTP requests");
                      return f(k);
                    });

  // Webhooks.
  auto webhook_payment = [](Kit& k) -> Result<Payment> { return k.Authorized("webhook"); };
  list.emplace_back("webhook_good", [webhook_payment](Kit& k) -> Outcome {
    if (!k.cfg_.webhook) return Skip("no conformance.webhook configured");
    Result<Payment> p = webhook_payment(k);
    if (!p.ok()) return Fail(StatusText(p.status()));
    std::string body = k.WebhookBody(p.value());
    Result<OpResult> r = k.SendWebhook(body, k.Sign(body, k.cfg_.webhook->secrets[0]));
    if (!r.ok()) return Fail(StatusText(r.status()));
    if (r.value().events.empty()) return Fail("a correctly signed webhook produced no event (reply " + std::to_string(r.value().webhook_status) + ")");
    if (r.value().webhook_status < 200 || r.value().webhook_status >= 300) {
      return Fail("reply " + std::to_string(r.value().webhook_status));
    }
    const AdapterEvent& e = r.value().events[0];
    if (e.event_id.empty()) return Fail("event without an id (needed for deduplication)");
    if (e.psp_payment_ref != p.value().psp_ref) return Fail("event names payment '" + e.psp_payment_ref + "'");
    // The same delivery twice yields the same event id.
    Result<OpResult> again = k.SendWebhook(body, k.Sign(body, k.cfg_.webhook->secrets[0]));
    if (!again.ok() || again.value().events.empty() || again.value().events[0].event_id != e.event_id) {
      return Fail("a redelivery produced a different event id");
    }
    return Pass(e.event_type + " " + StateName(e.state) + ", id stable across redelivery");
  });
  list.emplace_back("webhook_rotated_secret", [webhook_payment](Kit& k) -> Outcome {
    if (!k.cfg_.webhook) return Skip("no conformance.webhook configured");
    if (k.cfg_.webhook->secrets.size() < 2) return Skip("only one webhook secret configured");
    Result<Payment> p = webhook_payment(k);
    if (!p.ok()) return Fail(StatusText(p.status()));
    std::string body = k.WebhookBody(p.value());
    Result<OpResult> r = k.SendWebhook(body, k.Sign(body, k.cfg_.webhook->secrets[1]));
    if (!r.ok() || r.value().events.empty()) return Fail("signed with the second secret: rejected");
    std::string both = k.cfg_.webhook->prefix + std::string(64, '0') + k.cfg_.webhook->separator +
                       k.Sign(body, k.cfg_.webhook->secrets[1]);
    Result<OpResult> r2 = k.SendWebhook(body, both);
    if (!r2.ok() || r2.value().events.empty()) return Fail("a stale entry followed by a good one: rejected");
    return Pass("second secret accepted, also after a stale signature entry");
  });
  list.emplace_back("webhook_bad_signatures", [webhook_payment](Kit& k) -> Outcome {
    if (!k.cfg_.webhook) return Skip("no conformance.webhook configured");
    Result<Payment> p = webhook_payment(k);
    if (!p.ok()) return Fail(StatusText(p.status()));
    std::string body = k.WebhookBody(p.value());
    std::string good = k.Sign(body, k.cfg_.webhook->secrets[0]);
    std::string tampered = body;
    size_t digit = tampered.find_first_of("123456789");
    if (digit == std::string::npos) tampered += " ";
    else tampered[digit] = tampered[digit] == '9' ? '8' : static_cast<char>(tampered[digit] + 1);
    struct Case { const char* name; std::string body, sig; bool header; };
    const Case cases[] = {
        {"wrong secret", body, k.cfg_.webhook->prefix + HmacHex("not-the-secret", body), true},
        {"tampered body", tampered, good, true},
        {"no signature header", body, "", false},
        {"empty signature", body, "", true},
        {"truncated signature", body, good.substr(0, good.size() / 2), true},
        {"signature without prefix", body, good.substr(k.cfg_.webhook->prefix.size()), true},
    };
    for (const Case& c : cases) {
      Result<OpResult> r = k.SendWebhook(c.body, c.sig, c.header);
      if (r.ok() && !r.value().events.empty()) return Fail(std::string(c.name) + ": accepted");
      if (r.ok() && r.value().webhook_status >= 200 && r.value().webhook_status < 300) {
        return Fail(std::string(c.name) + ": replied " + std::to_string(r.value().webhook_status));
      }
    }
    return Pass(std::to_string(std::size(cases)) + " forged deliveries rejected");
  });
  list.emplace_back("webhook_garbage", [](Kit& k) -> Outcome {
    if (!k.cfg_.webhook) return Skip("no conformance.webhook configured");
    std::mt19937_64 rng(20261123);
    int accepted = 0;
    const int kRounds = 300;
    for (int i = 0; i < kRounds; ++i) {
      std::string body(rng() % 512, '\0');
      for (auto& ch : body) ch = static_cast<char>(rng() & 0xff);
      if (i % 3 == 0) body = "{\"type\":" + body;  // near-JSON
      std::string sig;
      switch (i % 4) {
        case 0: sig = k.cfg_.webhook->prefix + std::string(rng() % 80, 'f'); break;
        case 1: sig = std::string(rng() % 300, static_cast<char>(rng() & 0xff)); break;
        case 2: sig = k.Sign(body, k.cfg_.webhook->secrets[0]); break;  // signed garbage
        default: sig = k.cfg_.webhook->prefix + "zz" + k.cfg_.webhook->separator + k.cfg_.webhook->separator; break;
      }
      Result<OpResult> r = k.SendWebhook(body, sig);
      if (r.ok() && !r.value().events.empty() && i % 4 != 2) ++accepted;
    }
    if (accepted) return Fail(std::to_string(accepted) + " unsigned garbage deliveries produced events");
    return Pass(std::to_string(kRounds) + " garbage deliveries, no crash, none accepted");
  });
  return list;
}

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kPass: return "PASS";
    case Verdict::kFail: return "FAIL";
    case Verdict::kSkip: return "SKIP";
  }
  return "?";
}

std::string Capabilities(uint64_t caps) {
  static const std::pair<uint64_t, const char*> kNames[] = {
      {PSP_CAP_AUTH_CAPTURE, "auth_capture"},   {PSP_CAP_PARTIAL_CAPTURE, "partial_capture"},
      {PSP_CAP_MULTI_CAPTURE, "multi_capture"}, {PSP_CAP_VOID, "void"},
      {PSP_CAP_REFUND, "refund"},               {PSP_CAP_PARTIAL_REFUND, "partial_refund"},
      {PSP_CAP_MULTI_REFUND, "multi_refund"},   {PSP_CAP_NATIVE_SPLIT, "native_split"},
      {PSP_CAP_THREEDS, "3ds"},                 {PSP_CAP_WEBHOOKS, "webhooks"},
      {PSP_CAP_SYNC_REFUND, "sync_refund"},     {PSP_CAP_HOSTED_CHECKOUT, "hosted_checkout"}};
  std::string out;
  for (const auto& [bit, name] : kNames) {
    if (caps & bit) out += (out.empty() ? "" : " ") + std::string(name);
  }
  return out.empty() ? "none" : out;
}

}  // namespace

CheckReport RunConformance(const std::string& library_path, const std::string& config_path,
                           const std::string& only) {
  CheckReport report;
  auto add = [&](const std::string& name, Outcome o) {
    report.scenarios.push_back(ScenarioResult{name, o.verdict, o.detail});
  };
  KitConfig cfg;
  if (Status s = LoadConfig(config_path, &cfg); !s.ok()) {
    add("config", Fail(s.message()));
    return report;
  }
  Result<std::shared_ptr<const Library>> lib = Library::Open(library_path);
  if (!lib.ok()) {
    add("load", Fail(lib.status().message()));
    return report;
  }
  const Library& library = *lib.value();
  report.adapter = library.name() + " " + library.version();
  add("load", Pass("ABI " + std::to_string(library.table().abi_major) + "." +
                   std::to_string(library.table().abi_minor) + ", capabilities: " +
                   Capabilities(library.capabilities())));

  InstanceOptions options;
  options.config_json = cfg.adapter_config;
  options.environment = cfg.environment;
  options.secrets = [&cfg](const std::string& name) -> std::optional<std::string> {
    auto it = cfg.secrets.find(name);
    if (it == cfg.secrets.end()) return std::nullopt;
    return it->second;
  };
  options.log = [](int level, const std::string& adapter, const std::string& line) {
    if (level >= PSP_LOG_WARN) std::cerr << "[" << adapter << "] " << line << "\n";
  };

  // Bad configurations must be refused with a message, never crash or create an instance.
  {
    std::string failures;
    for (const char* bad : {"", "not json", "[]", "{\"x\":", "42"}) {
      InstanceOptions o = options;
      o.config_json = bad;
      Result<std::unique_ptr<Adapter>> a = Adapter::Create(lib.value(), o);
      if (a.ok()) failures += std::string(failures.empty() ? "" : ", ") + "'" + bad + "' accepted";
      else if (a.status().message().empty()) failures += ", a refusal without a message";
    }
    add("config_rejected", failures.empty() ? Pass("5 malformed configs refused") : Fail(failures));
  }

  Result<std::unique_ptr<Adapter>> adapter = Adapter::Create(lib.value(), options);
  if (!adapter.ok()) {
    add("instance", Fail(adapter.status().message()));
    return report;
  }
  Result<std::unique_ptr<HttpTransport>> transport = HttpTransport::Create(cfg.transport);
  if (!transport.ok()) {
    add("transport", Fail(transport.status().message()));
    return report;
  }
  Kit kit(cfg, *adapter.value(), *transport.value());
  std::vector<std::string> all_violations;
  for (auto& [name, run] : Scenarios()) {
    if (!only.empty() && std::string(name).find(only) == std::string::npos) continue;
    Outcome o = run(kit);
    std::vector<std::string> v = kit.TakeViolations();
    if (!v.empty() && o.verdict != Verdict::kFail) {
      o = Fail("ABI rule broken: " + v.front() + (v.size() > 1 ? " (+" + std::to_string(v.size() - 1) + " more)" : ""));
    }
    add(name, o);
  }
  return report;
}

}  // namespace splitledger::plugins

namespace splitledger {

int RunPluginCheck(int argc, char** argv) {
  static const char* kUsage =
      "usage: splitledger plugin check PATH.so [--config FILE] [--only SCENARIO]\n"
      "Loads a PSP adapter and runs the conformance scenarios (docs/plugins.md).\n";
  std::string path, config, only;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "--config" || a == "--only") && i + 1 < argc) {
      (a == "--config" ? config : only) = argv[++i];
    } else if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (!a.empty() && a[0] != '-' && path.empty()) {
      path = a;
    } else {
      std::cerr << "splitledger plugin check: unexpected argument '" << a << "'\n" << kUsage;
      return 2;
    }
  }
  if (path.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  plugins::CheckReport report = plugins::RunConformance(path, config, only);
  std::cout << "plugin check: " << (report.adapter.empty() ? "(not loaded)" : report.adapter)
            << " from " << path << "\n";
  size_t width = 8;
  for (const auto& s : report.scenarios) width = std::max(width, s.name.size());
  int pass = 0, fail = 0, skip = 0;
  for (const auto& s : report.scenarios) {
    std::printf("  %-*s  %s  %s\n", static_cast<int>(width), s.name.c_str(), plugins::VerdictName(s.verdict),
                s.detail.c_str());
    (s.verdict == plugins::Verdict::kPass ? pass : s.verdict == plugins::Verdict::kFail ? fail : skip)++;
  }
  std::printf("%d passed, %d failed, %d skipped\n", pass, fail, skip);
  std::fflush(stdout);
  return report.Passed() ? 0 : 1;
}

}  // namespace splitledger
