// The sandbox adapter: a PSP that lives inside the adapter. No network, deterministic outcomes
// chosen by the amount (or the payment reference), for tests and for trying the service.
//
// Scripts, by the last two digits of the amount in minor units (10000 approves, 10002 declines):
//   02  decline          AUTHORIZE → DECLINED (card_declined)
//   03  pending          AUTHORIZE → PENDING; the second SYNC_PAYMENT sees AUTHORIZED, or the
//                        first one after a verified webhook for the payment; refunds of such an
//                        amount are PENDING until the next SYNC_REFUND
//   04  unknown          AUTHORIZE → UNKNOWN (as after a timeout) but the payment exists and is
//                        AUTHORIZED: SYNC_PAYMENT by payment_id finds it
//   05  action required  AUTHORIZE → ACTION_REQUIRED (redirect to a sandbox 3DS page, 10 min);
//                        COMPLETE_AUTH with resume_params {"result":"approve"} authorizes,
//                        anything else declines
//   06  failed           AUTHORIZE → FAILED (processing_error)
//   anything else        approve: AUTHORIZED (capture_mode manual / prefer_delay) or SUCCEEDED
//                        (immediate, captured)
// A payment_id ending in "-approve", "-decline", "-pending", "-unknown", "-action" or "-fail"
// selects the script regardless of the amount (the hosted checkout's sandbox buttons use them).
//
// Captures may be partial and several (up to the authorized amount); refunds may be partial and
// several (up to the captured amount). State is kept in memory per instance: a restarted host
// starts with an empty sandbox.
//
// Webhooks: POST with header `Sandbox-Signature: v0=<hex HMAC-SHA256(secret, raw body)>` (several
// comma-separated entries allowed, secrets named in the config for rotation) and a body
//   {"id":"evt_…","type":"payment.authorized","payment_ref":"sbx_…","payment_id":"…",
//    "status":"authorized","amount":10003,"currency":"EUR"}
#include <rapidjson/document.h>

#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "../common/hmac.h"
#include "splitledger/psp_adapter.hpp"

namespace {

using splitledger_adapters::ConstantTimeEquals;
using splitledger_adapters::HexDecode;
using splitledger_adapters::HmacSha256Hex;

enum class Script { kApprove, kDecline, kPending, kUnknown, kAction, kFail };

Script ChooseScript(const psp::OpInput& in) {
  auto ends = [&](std::string_view suffix) {
    return in.payment_id.size() >= suffix.size() &&
           in.payment_id.compare(in.payment_id.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends("-approve")) return Script::kApprove;
  if (ends("-decline")) return Script::kDecline;
  if (ends("-pending")) return Script::kPending;
  if (ends("-unknown")) return Script::kUnknown;
  if (ends("-action")) return Script::kAction;
  if (ends("-fail")) return Script::kFail;
  switch (in.amount.minor % 100) {
    case 2: return Script::kDecline;
    case 3: return Script::kPending;
    case 4: return Script::kUnknown;
    case 5: return Script::kAction;
    case 6: return Script::kFail;
    default: return Script::kApprove;
  }
}

struct Refund {
  int64_t amount = 0;
  psp_state state = PSP_STATE_REFUND_PENDING;
};

struct Payment {
  std::string ref, payment_id;
  psp::Money amount;  // authorized
  psp_state state = PSP_STATE_NONE;
  int64_t captured = 0, refunded = 0;  // refunded counts settled and pending refunds
  int pending_syncs = 0;
  bool webhook_seen = false;
  std::map<std::string, Refund> refunds;
};

bool ValidCurrency(const std::string& c) {
  return c.size() == 3 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z' && c[2] >= 'A' &&
         c[2] <= 'Z';
}

class SandboxInstance;

// Every sandbox op finishes in its first step: no request is ever sent.
class SandboxOp : public psp::Op {
 public:
  SandboxOp(SandboxInstance* instance, psp::OpInput input) : instance_(instance), in_(std::move(input)) {}
  psp_step Step(const psp::Response*, const psp::Sink& sink, psp::Request&) override;

 private:
  SandboxInstance* instance_;
  psp::OpInput in_;
};

class SandboxInstance : public psp::Instance {
 public:
  SandboxInstance(psp::Host host, std::vector<std::string> secrets)
      : host_(host), secrets_(std::move(secrets)) {}

  psp_rc Begin(const psp::OpInput& in, std::unique_ptr<psp::Op>* out) override {
    switch (in.kind) {
      case PSP_OP_AUTHORIZE:
        if (in.payment_id.empty() || in.amount.minor <= 0 || !ValidCurrency(in.amount.currency)) {
          return PSP_E_INVALID_ARG;
        }
        if (!in.splits.empty()) return PSP_E_UNSUPPORTED;
        break;
      case PSP_OP_CAPTURE:
      case PSP_OP_REFUND:
        if (in.amount.minor <= 0) return PSP_E_INVALID_ARG;
        [[fallthrough]];
      case PSP_OP_COMPLETE_AUTH:
      case PSP_OP_VOID:
        if (in.psp_payment_ref.empty()) return PSP_E_INVALID_ARG;
        break;
      case PSP_OP_SYNC_PAYMENT:
        if (in.psp_payment_ref.empty() && in.payment_id.empty()) return PSP_E_INVALID_ARG;
        break;
      case PSP_OP_SYNC_REFUND:
        if (in.psp_payment_ref.empty() || in.psp_refund_ref.empty()) return PSP_E_INVALID_ARG;
        break;
      default:
        return PSP_E_UNSUPPORTED;
    }
    *out = std::make_unique<SandboxOp>(this, in);
    return PSP_OK;
  }

  psp_rc Webhook(std::string_view method, std::string_view, const psp::Headers& headers,
                 std::string_view body, const psp::Sink& sink) override {
    if (method != "POST") {
      sink.WebhookReply(405, R"({"error":"method not allowed"})");
      return PSP_OK;
    }
    if (!Verified(headers, body)) {
      sink.WebhookReply(401, R"({"error":"invalid signature"})");
      return PSP_OK;
    }
    rapidjson::Document doc;
    doc.Parse(body.data(), body.size());
    if (doc.HasParseError() || !doc.IsObject()) {
      sink.WebhookReply(400, R"({"error":"malformed body"})");
      return PSP_E_PARSE;
    }
    auto str = [&](const char* name) -> std::string {
      auto it = doc.FindMember(name);
      return it != doc.MemberEnd() && it->value.IsString()
                 ? std::string(it->value.GetString(), it->value.GetStringLength())
                 : std::string();
    };
    psp_event e{};
    e.struct_size = sizeof e;
    std::string id = str("id"), type = str("type"), ref = str("payment_ref"),
                pid = str("payment_id"), status = str("status"), currency = str("currency");
    if (id.empty() || type.empty()) {
      sink.WebhookReply(400, R"({"error":"id and type are required"})");
      return PSP_E_PARSE;
    }
    e.event_id = psp::Str(id);
    e.event_type = psp::Str(type);
    e.psp_payment_ref = psp::Str(ref);
    e.payment_id = psp::Str(pid);
    e.state = StateFromName(status);
    psp::Money amount;
    if (auto it = doc.FindMember("amount"); it != doc.MemberEnd() && it->value.IsInt64()) {
      amount.minor = it->value.GetInt64();
    }
    if (ValidCurrency(currency)) amount.currency = currency;
    e.amount = amount.ToC();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (auto it = payments_.find(ref); it != payments_.end()) it->second.webhook_seen = true;
    }
    sink.Event(e);
    sink.WebhookReply(200, R"({"received":true})");
    return PSP_OK;
  }

  // The sandbox "PSP": every operation runs under the instance's lock.
  void Execute(const psp::OpInput& in, const psp::Sink& sink);

 private:
  static psp_state StateFromName(const std::string& s) {
    static const std::map<std::string, psp_state> kStates = {
        {"requires_action", PSP_STATE_REQUIRES_ACTION}, {"pending", PSP_STATE_PENDING},
        {"authorized", PSP_STATE_AUTHORIZED},           {"captured", PSP_STATE_CAPTURED},
        {"voided", PSP_STATE_VOIDED},                   {"declined", PSP_STATE_DECLINED},
        {"failed", PSP_STATE_FAILED},                   {"refunded", PSP_STATE_REFUNDED},
        {"refund_pending", PSP_STATE_REFUND_PENDING},   {"refund_failed", PSP_STATE_REFUND_FAILED}};
    auto it = kStates.find(s);
    return it == kStates.end() ? PSP_STATE_NONE : it->second;
  }

  bool Verified(const psp::Headers& headers, std::string_view body) const {
    std::string header;
    for (const auto& [k, v] : headers) {
      if (psp::EqualsIgnoreCase(k, "Sandbox-Signature")) header = v;
    }
    if (header.empty() || secrets_.empty()) return false;
    std::vector<std::string> expected;
    for (const auto& secret : secrets_) {
      std::string raw;
      if (HexDecode(HmacSha256Hex(secret, body), &raw)) expected.push_back(raw);
    }
    bool match = false;
    size_t start = 0;
    while (start <= header.size()) {
      size_t comma = header.find(',', start);
      std::string entry = header.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      entry.erase(0, entry.find_first_not_of(" \t"));
      entry.erase(entry.find_last_not_of(" \t") + 1);
      std::string given;
      if (entry.rfind("v0=", 0) == 0 && HexDecode(entry.substr(3), &given)) {
        for (const auto& e : expected) match |= ConstantTimeEquals(e, given);  // no early exit
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return match;
  }

  void Report(const Payment& p, const psp::Sink& sink) const {
    sink.State(p.state);
    sink.Field("psp_payment_ref", p.ref);
    sink.Amount("authorized", p.amount);
    sink.Amount("captured", psp::Money{p.captured, p.amount.currency});
    sink.Amount("refunded", psp::Money{p.refunded, p.amount.currency});
  }

  psp::Host host_;
  std::vector<std::string> secrets_;
  std::mutex mu_;
  std::map<std::string, Payment> payments_;    // by psp ref
  std::map<std::string, std::string> by_id_;   // payment_id → psp ref
  uint64_t next_ = 1;
};

psp_step SandboxOp::Step(const psp::Response*, const psp::Sink& sink, psp::Request&) {
  instance_->Execute(in_, sink);
  return PSP_STEP_DONE;
}

void SandboxInstance::Execute(const psp::OpInput& in, const psp::Sink& sink) {
  std::lock_guard<std::mutex> lock(mu_);
  auto find = [&](const std::string& ref) -> Payment* {
    auto it = payments_.find(ref);
    return it == payments_.end() ? nullptr : &it->second;
  };
  switch (in.kind) {
    case PSP_OP_AUTHORIZE: {
      Script script = ChooseScript(in);
      Payment p;
      char ref[40];
      std::snprintf(ref, sizeof ref, "sbx_%llu", static_cast<unsigned long long>(next_++));
      p.ref = ref;
      p.payment_id = in.payment_id;
      p.amount = in.amount;
      bool capture_now = in.capture_mode == PSP_CAPTURE_IMMEDIATE;
      psp_outcome outcome = PSP_OUT_AUTHORIZED;
      switch (script) {
        case Script::kApprove:
        case Script::kUnknown:
          p.state = capture_now ? PSP_STATE_CAPTURED : PSP_STATE_AUTHORIZED;
          if (capture_now) p.captured = p.amount.minor;
          outcome = script == Script::kUnknown ? PSP_OUT_UNKNOWN
                    : capture_now             ? PSP_OUT_SUCCEEDED
                                              : PSP_OUT_AUTHORIZED;
          break;
        case Script::kDecline:
          p.state = PSP_STATE_DECLINED;
          outcome = PSP_OUT_DECLINED;
          sink.Error("card_declined", "the sandbox declines amounts ending in 02", "card_declined");
          break;
        case Script::kFail:
          p.state = PSP_STATE_FAILED;
          outcome = PSP_OUT_FAILED;
          sink.Error("processing_error", "the sandbox fails amounts ending in 06", "processing_error");
          break;
        case Script::kPending:
          p.state = PSP_STATE_PENDING;
          outcome = PSP_OUT_PENDING;
          break;
        case Script::kAction:
          p.state = PSP_STATE_REQUIRES_ACTION;
          outcome = PSP_OUT_ACTION_REQUIRED;
          sink.Redirect("https://sandbox.splitledger.invalid/3ds/" + p.ref,
                        host_.NowUnixMs() + 10 * 60 * 1000);
          break;
      }
      payments_[p.ref] = p;
      by_id_[p.payment_id] = p.ref;
      sink.Outcome(outcome);
      if (outcome == PSP_OUT_UNKNOWN) {
        // What the host sees after a timeout: no reference, no state.
        sink.Error("timeout", "the sandbox simulates a lost answer for amounts ending in 04", "",
                   true);
        return;
      }
      Report(p, sink);
      if (capture_now && outcome == PSP_OUT_SUCCEEDED) sink.Amount("processed", p.amount);
      sink.Field("capture_mode", capture_now ? "immediate" : "manual");
      return;
    }
    case PSP_OP_COMPLETE_AUTH: {
      Payment* p = find(in.psp_payment_ref);
      if (!p) {
        sink.Outcome(PSP_OUT_FAILED);
        sink.Error("not_found", "no such sandbox payment", "not_found");
        return;
      }
      if (p->state == PSP_STATE_REQUIRES_ACTION) {
        bool approve = in.resume_params.find("\"approve\"") != std::string::npos;
        p->state = approve ? PSP_STATE_AUTHORIZED : PSP_STATE_DECLINED;
      }
      switch (p->state) {
        case PSP_STATE_AUTHORIZED: sink.Outcome(PSP_OUT_AUTHORIZED); break;
        case PSP_STATE_CAPTURED: sink.Outcome(PSP_OUT_SUCCEEDED); break;
        case PSP_STATE_PENDING: sink.Outcome(PSP_OUT_PENDING); break;
        default:
          sink.Outcome(PSP_OUT_DECLINED);
          sink.Error("authentication_failed", "the customer did not complete the action",
                     "card_declined");
      }
      Report(*p, sink);
      return;
    }
    case PSP_OP_CAPTURE: {
      Payment* p = find(in.psp_payment_ref);
      if (!p) {
        sink.Outcome(PSP_OUT_FAILED);
        sink.Error("not_found", "no such sandbox payment", "not_found");
        return;
      }
      bool capturable = p->state == PSP_STATE_AUTHORIZED || p->state == PSP_STATE_CAPTURED;
      if (!capturable || in.amount.currency != p->amount.currency) {
        sink.Outcome(PSP_OUT_DECLINED);
        sink.Error("invalid_state", "the payment cannot be captured", "invalid_state");
      } else if (in.amount.minor > p->amount.minor - p->captured) {
        sink.Outcome(PSP_OUT_DECLINED);
        sink.Error("amount_too_large", "capture exceeds the uncaptured amount", "invalid_amount");
      } else {
        p->captured += in.amount.minor;
        p->state = PSP_STATE_CAPTURED;
        sink.Outcome(PSP_OUT_SUCCEEDED);
        sink.Amount("processed", in.amount);
      }
      Report(*p, sink);
      return;
    }
    case PSP_OP_VOID: {
      Payment* p = find(in.psp_payment_ref);
      if (!p) {
        sink.Outcome(PSP_OUT_FAILED);
        sink.Error("not_found", "no such sandbox payment", "not_found");
        return;
      }
      if (p->state == PSP_STATE_AUTHORIZED || p->state == PSP_STATE_VOIDED) {
        p->state = PSP_STATE_VOIDED;
        sink.Outcome(PSP_OUT_SUCCEEDED);
      } else {
        sink.Outcome(PSP_OUT_DECLINED);
        sink.Error("invalid_state", "only an uncaptured authorization can be voided", "invalid_state");
      }
      Report(*p, sink);
      return;
    }
    case PSP_OP_REFUND: {
      Payment* p = find(in.psp_payment_ref);
      if (!p) {
        sink.Outcome(PSP_OUT_FAILED);
        sink.Error("not_found", "no such sandbox payment", "not_found");
        return;
      }
      if (p->state != PSP_STATE_CAPTURED || in.amount.currency != p->amount.currency) {
        sink.Outcome(PSP_OUT_DECLINED);
        sink.Error("invalid_state", "only captured payments can be refunded", "invalid_state");
      } else if (in.amount.minor > p->captured - p->refunded) {
        sink.Outcome(PSP_OUT_DECLINED);
        sink.Error("amount_too_large", "refund exceeds the refundable amount", "invalid_amount");
      } else {
        std::string id = p->ref + "_re_" + std::to_string(p->refunds.size() + 1);
        bool pending = in.amount.minor % 100 == 3;
        p->refunds[id] = Refund{in.amount.minor,
                                pending ? PSP_STATE_REFUND_PENDING : PSP_STATE_REFUNDED};
        p->refunded += in.amount.minor;
        sink.Outcome(pending ? PSP_OUT_PENDING : PSP_OUT_SUCCEEDED);
        sink.Field("psp_refund_ref", id);
        sink.Amount("processed", in.amount);
        Report(*p, sink);
        sink.State(pending ? PSP_STATE_REFUND_PENDING : PSP_STATE_REFUNDED);
        return;
      }
      Report(*p, sink);
      return;
    }
    case PSP_OP_SYNC_PAYMENT: {
      std::string ref = in.psp_payment_ref;
      if (ref.empty()) {
        auto it = by_id_.find(in.payment_id);
        if (it != by_id_.end()) ref = it->second;
      }
      Payment* p = find(ref);
      if (!p) {
        sink.Outcome(PSP_OUT_FAILED);
        sink.Error("not_found", "no such sandbox payment", "not_found");
        return;
      }
      if (p->state == PSP_STATE_PENDING && (p->webhook_seen || ++p->pending_syncs >= 2)) {
        p->state = PSP_STATE_AUTHORIZED;
      }
      sink.Outcome(PSP_OUT_SUCCEEDED);
      Report(*p, sink);
      return;
    }
    case PSP_OP_SYNC_REFUND: {
      Payment* p = find(in.psp_payment_ref);
      auto it = p ? p->refunds.find(in.psp_refund_ref) : decltype(p->refunds)::iterator();
      if (!p || it == p->refunds.end()) {
        sink.Outcome(PSP_OUT_FAILED);
        sink.Error("not_found", "no such sandbox refund", "not_found");
        return;
      }
      // A pending refund settles when it is looked at.
      if (it->second.state == PSP_STATE_REFUND_PENDING) it->second.state = PSP_STATE_REFUNDED;
      sink.Outcome(PSP_OUT_SUCCEEDED);
      sink.State(it->second.state);
      sink.Field("psp_refund_ref", it->first);
      sink.Amount("processed", psp::Money{it->second.amount, p->amount.currency});
      return;
    }
  }
  sink.Outcome(PSP_OUT_FAILED);
}

// Config: {"webhook_secrets": ["name", …]} — secret names resolved through the host.
psp_rc ParseConfig(const psp::Host& host, std::string_view json, const psp::Sink& errors,
                   std::vector<std::string>* secrets) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    errors.Error("config", "the sandbox config must be a JSON object", "config_error");
    return PSP_E_CONFIG;
  }
  auto it = doc.FindMember("webhook_secrets");
  if (it == doc.MemberEnd()) return PSP_OK;
  if (!it->value.IsArray()) {
    errors.Error("webhook_secrets", "must be an array of secret names", "config_error");
    return PSP_E_CONFIG;
  }
  for (const auto& v : it->value.GetArray()) {
    if (!v.IsString()) {
      errors.Error("webhook_secrets", "must be an array of secret names", "config_error");
      return PSP_E_CONFIG;
    }
    std::optional<std::string> secret = host.Secret(std::string_view(v.GetString(), v.GetStringLength()));
    if (!secret || secret->empty()) {
      errors.Error("webhook_secrets", std::string("secret '") + v.GetString() + "' is not configured",
                   "config_error");
      return PSP_E_CONFIG;
    }
    if (secrets) secrets->push_back(*secret);
  }
  return PSP_OK;
}

struct SandboxTraits {
  static constexpr const char* kName = "sandbox";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr uint64_t kCapabilities =
      PSP_CAP_AUTH_CAPTURE | PSP_CAP_PARTIAL_CAPTURE | PSP_CAP_MULTI_CAPTURE | PSP_CAP_VOID |
      PSP_CAP_REFUND | PSP_CAP_PARTIAL_REFUND | PSP_CAP_MULTI_REFUND | PSP_CAP_THREEDS |
      PSP_CAP_WEBHOOKS | PSP_CAP_SYNC_REFUND;

  static psp_rc Validate(const psp::Host& host, std::string_view config, const psp::Sink& errors) {
    return ParseConfig(host, config, errors, nullptr);
  }
  static psp_rc Create(const psp::Host& host, std::string_view config, std::string_view,
                       const psp::Sink& errors, std::unique_ptr<psp::Instance>* out) {
    std::vector<std::string> secrets;
    if (psp_rc rc = ParseConfig(host, config, errors, &secrets); rc != PSP_OK) return rc;
    *out = std::make_unique<SandboxInstance>(host, std::move(secrets));
    return PSP_OK;
  }
};

}  // namespace

PSP_DEFINE_ADAPTER(SandboxTraits)
