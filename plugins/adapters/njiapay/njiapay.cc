// The NjiaPay adapter: NjiaPay's payment orchestration API (hosted checkout, intents and attempts,
// delayed capture, cancel-authorization, refunds, signed webhooks) behind the splitledger PSP ABI.
// What NjiaPay's public material says, and what it leaves open, is collected in
// /work/shared/reference/njiapay-orchestration.md; the cancel-authorization page is the seed
// 000_74a9c5274f6d739a.txt.
//
// Config (non-secret; the secrets themselves are looked up by name through the host):
//   {"base_url":"https://app.infinic.com",       required, http:// or https:// (https in "live")
//    "api_key_secret":"njiapay.api_key",         required, name of the API key secret
//    "webhook_secrets":["njiapay.whsec_1", …],   optional, names of webhook secrets (rotation)
//    "timeout_ms":30000,                         optional, 1..120000 (the sandbox cold start
//                                                takes 10–20 s, so keep it generous)
//    "tls_profile":""}                           optional, a host TLS profile name
// Unknown keys are ignored.
//
// Operations (each is a state machine of at most three requests):
//   AUTHORIZE      POST /api/intents                         → hosted checkout redirect
//   COMPLETE_AUTH  GET  /api/intents/{id}
//   SYNC_PAYMENT   GET  /api/intents/{id}
//   CAPTURE        GET  /api/intents/{id}  →  GET /api/v2/intents/{id}/capture (side effect!)
//                  [→ GET /api/intents/{id} to confirm a 409/422 or a 200 that is not "success"]
//   VOID           GET  /api/intents/{id}  →  GET /api/v2/intents/{id}/cancel-authorization
//                  [→ GET /api/intents/{id} to confirm]
//   REFUND         POST /api/intents/{id}/refund
//   SYNC_REFUND    GET  /api/intents/{id}  (the refund is looked up in the intent's refunds[])
//
// The transport rules (the part that matters for money): a request that never left the host is
// NOT_SUBMITTED; a lost answer or a 5xx is UNKNOWN, never FAILED; 429 is NOT_SUBMITTED
// (retryable); 401/403 are FAILED config errors. NjiaPay has no idempotency keys, and capture and
// cancel are GETs with side effects: they are marked side_effecting so the host never replays
// them, and a refusal is confirmed by re-reading the intent (a replay by some proxy may already
// have captured), as NjiaPay's docs advise.
//
// The instance is immutable after creation (config and resolved secrets are copied), so ops and
// webhooks run concurrently without locks.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "../common/hmac.h"
#include "splitledger/psp_adapter.hpp"

namespace {

using splitledger_adapters::ConstantTimeEquals;
using splitledger_adapters::HexDecode;
using splitledger_adapters::HmacSha256Hex;
using splitledger_adapters::Sha256Hex;

constexpr const char* kAdapterName = "njiapay";
constexpr const char* kAdapterVersion = "1.0.0";
constexpr uint32_t kDefaultTimeoutMs = 30000;
constexpr int64_t kMaxTimeoutMs = 120000;
constexpr size_t kMaxWebhookBody = size_t{1} << 20;    // 1 MiB
constexpr size_t kMaxResponseBody = size_t{16} << 20;  // larger answers are treated as garbage
constexpr size_t kMaxSignatureEntries = 32;
constexpr size_t kMaxRefLength = 256;
constexpr size_t kMaxMessage = 500;
constexpr const char* kSignatureHeader = "Njiapay-Signature";

// ---- small string helpers ----------------------------------------------------------------------

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle) {
  if (needle.size() > haystack.size()) return false;
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (psp::EqualsIgnoreCase(haystack.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool ValidCurrency(std::string_view c) {
  return c.size() == 3 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z' && c[2] >= 'A' &&
         c[2] <= 'Z';
}

// Text from the PSP made safe for an error message: control characters become spaces, the length
// is capped (without cutting a UTF-8 sequence in half).
std::string CleanText(std::string_view s, size_t max = kMaxMessage) {
  if (s.size() > max) {
    size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    s = s.substr(0, cut);
  }
  std::string out(s);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return out;
}

// Percent-encodes a path segment (everything outside RFC 3986 "unreserved").
std::string EncodeSegment(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// A PSP reference we put into a URL path: non-empty, bounded, and not a dot segment ("." and
// ".." would walk the path to another endpoint, e.g. one whose GET captures).
bool ValidRef(std::string_view ref) {
  return !ref.empty() && ref.size() <= kMaxRefLength && ref != "." && ref != "..";
}

// ---- JSON helpers ------------------------------------------------------------------------------

// Parses untrusted JSON without recursion (deep nesting cannot exhaust the stack), validating
// UTF-8 and refusing trailing data. Raw NUL bytes are never valid JSON; rapidjson would take one
// for the end of the input, so they are refused up front.
bool ParseJson(std::string_view text, rapidjson::Document* doc) {
  if (text.empty() || text.size() > kMaxResponseBody) return false;
  if (std::memchr(text.data(), 0, text.size()) != nullptr) return false;
  doc->Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(text.data(),
                                                                                     text.size());
  return !doc->HasParseError();
}

const rapidjson::Value* Member(const rapidjson::Value& obj, const char* name) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(name);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

std::optional<std::string> GetString(const rapidjson::Value& obj, const char* name) {
  const rapidjson::Value* v = Member(obj, name);
  if (!v || !v->IsString()) return std::nullopt;
  return std::string(v->GetString(), v->GetStringLength());
}

std::optional<int64_t> GetInt(const rapidjson::Value& obj, const char* name) {
  const rapidjson::Value* v = Member(obj, name);
  if (!v || !v->IsInt64()) return std::nullopt;
  return v->GetInt64();
}

// An id that NjiaPay renders as an integer (refunds, attempts) or a string, as a string.
std::optional<std::string> GetId(const rapidjson::Value& obj, const char* name) {
  const rapidjson::Value* v = Member(obj, name);
  if (!v) return std::nullopt;
  if (v->IsString()) return std::string(v->GetString(), v->GetStringLength());
  if (v->IsInt64()) return std::to_string(v->GetInt64());
  if (v->IsUint64()) return std::to_string(v->GetUint64());
  return std::nullopt;
}

std::string Serialize(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

// The text of NjiaPay's error body {"detail": …}: a string, or FastAPI-style validation errors
// [{"loc":[…],"msg":"…"}]. Empty when the body says nothing usable.
std::string DetailOf(std::string_view body) {
  rapidjson::Document d;
  if (!ParseJson(body, &d) || !d.IsObject()) return {};
  const rapidjson::Value* detail = Member(d, "detail");
  if (!detail) detail = Member(d, "message");
  if (!detail) detail = Member(d, "error");
  if (!detail || detail->IsNull()) return {};
  if (detail->IsString())
    return CleanText(std::string_view(detail->GetString(), detail->GetStringLength()));
  if (detail->IsArray()) {
    std::string out;
    for (const auto& item : detail->GetArray()) {
      std::string one;
      if (item.IsString()) {
        one.assign(item.GetString(), item.GetStringLength());
      } else if (auto msg = GetString(item, "msg")) {
        one = *msg;
        if (const rapidjson::Value* loc = Member(item, "loc")) one = Serialize(*loc) + ": " + one;
      } else {
        one = Serialize(item);
      }
      out += (out.empty() ? "" : "; ") + one;
      if (out.size() > kMaxMessage) break;
    }
    return CleanText(out);
  }
  return CleanText(Serialize(*detail));
}

// ---- config ------------------------------------------------------------------------------------

struct Config {
  std::string base_url;  // without a trailing '/'
  std::string api_key_secret;
  std::vector<std::string> webhook_secret_names;
  uint32_t timeout_ms = kDefaultTimeoutMs;
  std::string tls_profile;
  // Resolved through the host at creation; never logged.
  std::string api_key;
  std::vector<std::string> webhook_secrets;
};

void ConfigError(const psp::Sink& errors, std::string_view field, const std::string& message) {
  errors.Error(field, message, "config_error");
}

// Reads and checks a config. `environment` is known only to instance_create ("live" requires
// https; so does anything that is not "test"). Every problem goes to the error sink with the field
// name as its code; returns PSP_E_CONFIG when there was any.
psp_rc LoadConfig(const psp::Host& host, std::string_view json,
                  std::optional<std::string_view> environment, const psp::Sink& errors,
                  Config* out) {
  rapidjson::Document d;
  if (!ParseJson(json, &d)) {
    errors.Error("config", "the njiapay config is not valid JSON", "config_error");
    return PSP_E_CONFIG;
  }
  if (!d.IsObject()) {
    errors.Error("config", "the njiapay config must be a JSON object", "config_error");
    return PSP_E_CONFIG;
  }
  bool ok = true;
  Config c;

  // base_url
  if (const rapidjson::Value* v = Member(d, "base_url"); !v) {
    ConfigError(errors, "base_url", "base_url is required (e.g. \"https://app.infinic.com\")");
    ok = false;
  } else if (!v->IsString()) {
    ConfigError(errors, "base_url", "base_url must be a string");
    ok = false;
  } else {
    std::string url(v->GetString(), v->GetStringLength());
    while (!url.empty() && url.back() == '/') url.pop_back();
    bool https = StartsWith(url, "https://"), http = StartsWith(url, "http://");
    size_t host_at = https ? 8 : 7;
    bool clean = true;
    for (char ch : url) {
      auto u = static_cast<unsigned char>(ch);
      if (u <= 0x20 || u == 0x7f || ch == '?' || ch == '#') clean = false;
    }
    if (!https && !http) {
      ConfigError(errors, "base_url", "base_url must start with http:// or https://");
      ok = false;
    } else if (url.size() <= host_at || url[host_at] == '/' || !clean) {
      ConfigError(errors, "base_url",
                  "base_url must be an absolute URL with a host and no spaces, query or fragment");
      ok = false;
    } else if (!https && environment && *environment != "test") {
      ConfigError(
          errors, "base_url",
          "base_url must use https:// in the \"" + std::string(*environment) + "\" environment");
      ok = false;
    } else {
      c.base_url = std::move(url);
    }
  }

  // api_key_secret (a secret NAME, resolved here)
  if (const rapidjson::Value* v = Member(d, "api_key_secret"); !v) {
    ConfigError(errors, "api_key_secret",
                "api_key_secret (the name of the API key secret) is required");
    ok = false;
  } else if (!v->IsString() || v->GetStringLength() == 0) {
    ConfigError(errors, "api_key_secret", "api_key_secret must be a non-empty secret name");
    ok = false;
  } else {
    c.api_key_secret.assign(v->GetString(), v->GetStringLength());
    std::optional<std::string> key = host.Secret(c.api_key_secret);
    if (!key) {
      ConfigError(
          errors, "api_key_secret",
          "api_key_secret: secret '" + CleanText(c.api_key_secret, 100) + "' is not configured");
      ok = false;
    } else if (key->empty()) {
      ConfigError(errors, "api_key_secret",
                  "api_key_secret: secret '" + CleanText(c.api_key_secret, 100) + "' is empty");
      ok = false;
    } else {
      c.api_key = std::move(*key);
    }
  }

  // webhook_secrets (secret NAMES, each resolved here)
  if (const rapidjson::Value* v = Member(d, "webhook_secrets"); v && !v->IsNull()) {
    if (!v->IsArray()) {
      ConfigError(errors, "webhook_secrets", "webhook_secrets must be an array of secret names");
      ok = false;
    } else {
      for (const auto& item : v->GetArray()) {
        if (!item.IsString() || item.GetStringLength() == 0) {
          ConfigError(errors, "webhook_secrets",
                      "webhook_secrets must be an array of secret names");
          ok = false;
          continue;
        }
        std::string name(item.GetString(), item.GetStringLength());
        std::optional<std::string> secret = host.Secret(name);
        if (!secret || secret->empty()) {
          ConfigError(errors, "webhook_secrets",
                      "webhook_secrets: secret '" + CleanText(name, 100) + "' is " +
                          (secret ? "empty" : "not configured"));
          ok = false;
          continue;
        }
        c.webhook_secret_names.push_back(std::move(name));
        c.webhook_secrets.push_back(std::move(*secret));
      }
    }
  }

  // timeout_ms
  if (const rapidjson::Value* v = Member(d, "timeout_ms"); v && !v->IsNull()) {
    if (!v->IsInt64() || v->GetInt64() <= 0 || v->GetInt64() > kMaxTimeoutMs) {
      ConfigError(errors, "timeout_ms",
                  "timeout_ms must be a positive integer of at most " +
                      std::to_string(kMaxTimeoutMs) +
                      " (NjiaPay's sandbox may take 10-20 s to answer after a cold start)");
      ok = false;
    } else {
      c.timeout_ms = static_cast<uint32_t>(v->GetInt64());
    }
  }

  // tls_profile
  if (const rapidjson::Value* v = Member(d, "tls_profile"); v && !v->IsNull()) {
    if (!v->IsString()) {
      ConfigError(errors, "tls_profile", "tls_profile must be a string (a host TLS profile name)");
      ok = false;
    } else {
      c.tls_profile.assign(v->GetString(), v->GetStringLength());
    }
  }

  if (!ok) return PSP_E_CONFIG;
  if (out) *out = std::move(c);
  return PSP_OK;
}

// ---- NjiaPay's vocabulary ----------------------------------------------------------------------

bool Is(std::string_view a, std::string_view b) { return psp::EqualsIgnoreCase(a, b); }

// An intent's status as a payment state (sync, webhooks).
psp_state IntentState(std::string_view status, std::string_view failure_reason) {
  if (Is(status, "selection")) return PSP_STATE_REQUIRES_ACTION;
  if (Is(status, "pending")) return PSP_STATE_PENDING;
  if (Is(status, "authorized")) return PSP_STATE_AUTHORIZED;
  if (Is(status, "success")) return PSP_STATE_CAPTURED;
  if (Is(status, "failed"))
    return Is(failure_reason, "CardDeclined") ? PSP_STATE_DECLINED : PSP_STATE_FAILED;
  if (Is(status, "canceled") || Is(status, "cancelled")) return PSP_STATE_VOIDED;
  if (Is(status, "expired")) return PSP_STATE_EXPIRED;
  if (Is(status, "chargeback")) return PSP_STATE_CHARGEBACK;
  return PSP_STATE_PENDING;  // a status we do not know: not final, keep syncing
}

psp_state RefundState(std::string_view status) {
  if (Is(status, "success")) return PSP_STATE_REFUNDED;
  if (Is(status, "failed") || Is(status, "canceled") || Is(status, "cancelled")) {
    return PSP_STATE_REFUND_FAILED;
  }
  return PSP_STATE_REFUND_PENDING;  // pending, initiated, or anything new
}

// The fields of an intent object (GET /api/intents/{id}, POST /api/intents) that we use.
struct Intent {
  std::string id, status, currency, capture_mode, redirect_url, failure_reason;
  std::optional<int64_t> amount, amount_captured, amount_refunded;
  const rapidjson::Value* refunds = nullptr;  // points into the parsed document, if an array
};

// The failure_reason of the intent's latest attempt: `attempts[]` (the highest integer id, else
// the last entry), else a single `last_attempt`/`attempt` object, else the intent's own field.
std::string LastFailureReason(const rapidjson::Value& intent) {
  if (const rapidjson::Value* attempts = Member(intent, "attempts");
      attempts && attempts->IsArray()) {
    const rapidjson::Value* last = nullptr;
    const rapidjson::Value* newest = nullptr;
    int64_t newest_id = INT64_MIN;
    bool all_ids = true;
    for (const auto& a : attempts->GetArray()) {
      if (!a.IsObject()) continue;
      last = &a;
      std::optional<int64_t> id = GetInt(a, "id");
      if (!id) {
        all_ids = false;
      } else if (*id >= newest_id) {
        newest_id = *id;
        newest = &a;
      }
    }
    const rapidjson::Value* pick = all_ids && newest ? newest : last;
    if (pick) return GetString(*pick, "failure_reason").value_or("");
  }
  for (const char* name : {"last_attempt", "attempt"}) {
    if (const rapidjson::Value* a = Member(intent, name); a && a->IsObject()) {
      if (auto r = GetString(*a, "failure_reason")) return *r;
    }
  }
  return GetString(intent, "failure_reason").value_or("");
}

bool ReadIntent(const rapidjson::Value& v, Intent* out) {
  if (!v.IsObject()) return false;
  std::optional<std::string> status = GetString(v, "status");
  if (!status || status->empty()) return false;
  out->status = *status;
  out->id = GetString(v, "id").value_or("");
  out->currency = GetString(v, "currency").value_or("");
  out->capture_mode = GetString(v, "capture_mode").value_or("");
  out->redirect_url = GetString(v, "redirect_url").value_or("");
  out->failure_reason = LastFailureReason(v);
  out->amount = GetInt(v, "amount");
  out->amount_captured = GetInt(v, "amount_captured");
  out->amount_refunded = GetInt(v, "amount_refunded");
  const rapidjson::Value* refunds = Member(v, "refunds");
  out->refunds = refunds && refunds->IsArray() ? refunds : nullptr;
  return true;
}

// Normalises a webhook type to lower snake_case: StatusChange → status_change, and NjiaPay's
// sample-app typo canelation (and the British cancellation) → cancelation.
std::string NormalizeEventType(std::string_view type) {
  std::string out;
  for (size_t i = 0; i < type.size() && out.size() < 64; ++i) {
    char c = type[i];
    if (c >= 'A' && c <= 'Z') {
      bool after_lower = i > 0 && ((type[i - 1] >= 'a' && type[i - 1] <= 'z') ||
                                   (type[i - 1] >= '0' && type[i - 1] <= '9'));
      bool before_lower = i > 0 && i + 1 < type.size() && type[i + 1] >= 'a' &&
                          type[i + 1] <= 'z' && type[i - 1] >= 'A' && type[i - 1] <= 'Z';
      if ((after_lower || before_lower) && !out.empty() && out.back() != '_') out += '_';
      out += static_cast<char>(c - 'A' + 'a');
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      out += c;
    } else if (!out.empty() && out.back() != '_') {
      out += '_';  // '-', '.', ' ' and anything else separate words
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  if (out == "canelation" || out == "cancellation") out = "cancelation";
  if (out.empty()) out = "unknown";
  return out;
}

// ---- the ops -----------------------------------------------------------------------------------

enum class Phase {
  kStart,
  kCreate,   // AUTHORIZE: waiting for POST /api/intents
  kRead,     // COMPLETE_AUTH, SYNC_*: waiting for GET /api/intents/{id}
  kPreRead,  // CAPTURE, VOID: waiting for the intent before acting
  kAction,   // CAPTURE, VOID: waiting for the side-effecting GET
  kConfirm,  // CAPTURE, VOID: re-reading the intent after an inconclusive answer
  kRefund,   // REFUND: waiting for POST …/refund
};

class NjiaPayOp : public psp::Op {
 public:
  NjiaPayOp(std::shared_ptr<const Config> cfg, psp::Host host, psp::OpInput in, std::string body)
      : cfg_(std::move(cfg)), host_(host), in_(std::move(in)), body_(std::move(body)) {}

  psp_step Step(const psp::Response* r, const psp::Sink& sink, psp::Request& out) override {
    if (phase_ == Phase::kStart) return Start(out);
    if (r == nullptr || r->raw == nullptr) {
      // The host broke the contract (no answer to our request). We cannot know what happened.
      sink.Error("no_response", "the host resumed the operation without the response",
                 "processing_error");
      sink.Outcome(PSP_OUT_UNKNOWN);
      return PSP_STEP_DONE;
    }
    switch (phase_) {
      case Phase::kCreate:
        return OnCreate(*r, sink);
      case Phase::kRead:
        return OnRead(*r, sink);
      case Phase::kPreRead:
        return OnPreRead(*r, sink, out);
      case Phase::kAction:
        return OnAction(*r, sink, out);
      case Phase::kConfirm:
        return OnConfirm(*r, sink);
      case Phase::kRefund:
        return OnRefund(*r, sink);
      case Phase::kStart:
        break;
    }
    sink.Outcome(PSP_OUT_UNKNOWN);
    return PSP_STEP_DONE;
  }

 private:
  bool IsCapture() const { return in_.kind == PSP_OP_CAPTURE; }
  std::string IntentUrl() const {
    return cfg_->base_url + "/api/intents/" + EncodeSegment(in_.psp_payment_ref);
  }

  void Prepare(psp::Request& out, const char* method, std::string url, bool side_effecting,
               bool with_body) const {
    out.method = method;
    out.url = std::move(url);
    out.headers = {
        {"Authorization", "Bearer " + cfg_->api_key},
        {"Accept", "application/json"},
        {"User-Agent", std::string("splitledger-") + kAdapterName + "/" + kAdapterVersion}};
    if (with_body) {
      out.headers.emplace_back("Content-Type", "application/json");
      out.body = body_;
    }
    out.tls_profile = cfg_->tls_profile;
    out.timeout_ms = cfg_->timeout_ms;
    out.side_effecting = side_effecting;
  }

  psp_step Start(psp::Request& out) {
    switch (in_.kind) {
      case PSP_OP_AUTHORIZE:
        // Creating an intent is not idempotent (a replay answers 409): never retried by the host.
        Prepare(out, "POST", cfg_->base_url + "/api/intents", true, true);
        phase_ = Phase::kCreate;
        break;
      case PSP_OP_CAPTURE:
      case PSP_OP_VOID:
        Prepare(out, "GET", IntentUrl(), false, false);
        phase_ = Phase::kPreRead;
        break;
      case PSP_OP_REFUND:
        // No idempotency key at NjiaPay: a replayed refund would refund twice.
        Prepare(out, "POST", IntentUrl() + "/refund", true, true);
        phase_ = Phase::kRefund;
        break;
      default:  // COMPLETE_AUTH, SYNC_PAYMENT, SYNC_REFUND
        Prepare(out, "GET", IntentUrl(), false, false);
        phase_ = Phase::kRead;
        break;
    }
    return PSP_STEP_SEND;
  }

  // ---- shared answer handling ----

  std::string Describe(const psp::Response& r) const {
    std::string detail = DetailOf(r.body());
    std::string s = "NjiaPay answered HTTP " + std::to_string(r.status());
    return detail.empty() ? s : s + ": " + detail;
  }

  // The answers every request maps the same way. Returns true when it set the outcome; false for
  // 2xx and 4xx other than 401/403/429, which the caller maps per operation.
  bool HandleCommon(const psp::Response& r, const psp::Sink& sink, std::string_view what) const {
    const std::string w(what);
    if (r.transport() == PSP_TRANSPORT_NOT_SENT) {
      sink.Error("not_sent",
                 w + ": the request could not be sent (connection failed before sending)",
                 "network_error", true, 0);
      sink.Outcome(PSP_OUT_NOT_SUBMITTED);
      return true;
    }
    if (r.transport() != PSP_TRANSPORT_OK || r.status() <= 0) {
      // NO_ANSWER (and anything the host may add later): sent, fate unknown.
      sink.Error("no_answer",
                 w + ": no answer from NjiaPay after sending (timeout or connection lost); "
                     "the outcome is unknown and must be synced",
                 "network_error", false, 0);
      sink.Outcome(PSP_OUT_UNKNOWN);
      return true;
    }
    int status = r.status();
    if (status >= 500) {
      sink.Error("http_" + std::to_string(status),
                 w + ": " + Describe(r) + "; the outcome is unknown and must be synced",
                 "processing_error", false, status);
      sink.Outcome(PSP_OUT_UNKNOWN);
      return true;
    }
    if (status == 429) {
      sink.Error("rate_limited", w + ": " + Describe(r), "rate_limited", true, status);
      sink.Outcome(PSP_OUT_NOT_SUBMITTED);
      return true;
    }
    if (status == 401 || status == 403) {
      sink.Error(
          "http_" + std::to_string(status),
          w + ": " + Describe(r) + " (check the API key and that it belongs to this environment)",
          "config_error", false, status);
      sink.Outcome(PSP_OUT_FAILED);
      return true;
    }
    if (status < 200 || (status >= 300 && status < 400) || status == 408) {
      // 1xx/3xx, and 408 (which some intermediaries send after forwarding): not an answer we can
      // interpret; the request may have been acted upon.
      sink.Error("http_" + std::to_string(status), w + ": unexpected " + Describe(r),
                 "processing_error", false, status);
      sink.Outcome(PSP_OUT_UNKNOWN);
      return true;
    }
    return false;
  }

  // A 2xx whose body we cannot read: the request was processed, we do not know how.
  void UnreadableSuccess(const psp::Response& r, const psp::Sink& sink,
                         std::string_view what) const {
    sink.Error(
        "bad_response",
        std::string(what) + ": NjiaPay answered HTTP " + std::to_string(r.status()) +
            " with a body that is not the expected JSON; the outcome is unknown and must be synced",
        "processing_error", false, r.status());
    sink.Outcome(PSP_OUT_UNKNOWN);
  }

  void NotFound(const psp::Response& r, const psp::Sink& sink, std::string_view what) const {
    sink.Error("not_found", std::string(what) + ": " + Describe(r), "not_found", false, r.status());
    sink.Outcome(PSP_OUT_FAILED);
  }

  void OtherClientError(const psp::Response& r, const psp::Sink& sink,
                        std::string_view what) const {
    sink.Error("http_" + std::to_string(r.status()), std::string(what) + ": " + Describe(r),
               "invalid_request", false, r.status());
    sink.Outcome(PSP_OUT_FAILED);
  }

  std::string CurrencyOf(const Intent& it) const {
    return ValidCurrency(it.currency) ? it.currency : in_.amount.currency;
  }

  // Fields and running totals of an intent.
  void ReportIntent(const Intent& it, const psp::Sink& sink) const {
    sink.Field("psp_payment_ref", it.id.empty() ? in_.psp_payment_ref : it.id);
    sink.Field("psp_status", it.status);
    if (!it.capture_mode.empty()) sink.Field("capture_mode", it.capture_mode);
    std::string currency = CurrencyOf(it);
    if (it.amount) sink.Amount("authorized", psp::Money{*it.amount, currency});
    if (it.amount_captured) sink.Amount("captured", psp::Money{*it.amount_captured, currency});
    if (it.amount_refunded) sink.Amount("refunded", psp::Money{*it.amount_refunded, currency});
  }

  // The outcome of an authorization from the intent's status (AUTHORIZE and COMPLETE_AUTH).
  void ReportAuthorization(const Intent& it, const psp::Sink& sink) const {
    ReportIntent(it, sink);
    psp_state state = IntentState(it.status, it.failure_reason);
    sink.State(state);
    const std::string& s = it.status;
    if (Is(s, "selection")) {
      if (StartsWith(it.redirect_url, "https://") || StartsWith(it.redirect_url, "http://")) {
        sink.Redirect(it.redirect_url, 0);
        sink.Outcome(PSP_OUT_ACTION_REQUIRED);
      } else {
        // Waiting for the customer, but NjiaPay gave no checkout URL: nothing to show; sync later.
        host_.Log(PSP_LOG_WARN, "njiapay: intent in selection without a usable redirect_url");
        sink.Outcome(PSP_OUT_PENDING);
      }
    } else if (Is(s, "authorized")) {
      sink.Outcome(PSP_OUT_AUTHORIZED);
    } else if (Is(s, "success")) {
      int64_t captured = it.amount_captured.value_or(it.amount.value_or(in_.amount.minor));
      sink.Amount("processed", psp::Money{captured, CurrencyOf(it)});
      sink.Outcome(PSP_OUT_SUCCEEDED);
    } else if (Is(s, "failed")) {
      bool declined = Is(it.failure_reason, "CardDeclined");
      sink.Error(it.failure_reason.empty() ? "failed" : CleanText(it.failure_reason, 100),
                 "NjiaPay: the payment failed" +
                     (it.failure_reason.empty() ? std::string()
                                                : " (" + CleanText(it.failure_reason, 100) + ")"),
                 declined ? "card_declined" : "processing_error");
      sink.Outcome(PSP_OUT_DECLINED);
    } else if (Is(s, "canceled") || Is(s, "cancelled") || Is(s, "expired")) {
      sink.Error(CleanText(s, 50), "NjiaPay: the payment intent is " + CleanText(s, 50),
                 "invalid_state");
      sink.Outcome(PSP_OUT_DECLINED);
    } else if (Is(s, "chargeback")) {
      sink.Outcome(PSP_OUT_SUCCEEDED);  // it was paid (and is now disputed)
    } else {
      sink.Outcome(PSP_OUT_PENDING);  // pending, or a status we do not know yet
    }
  }

  // ---- AUTHORIZE ----

  psp_step OnCreate(const psp::Response& r, const psp::Sink& sink) {
    if (HandleCommon(r, sink, "create intent")) return PSP_STEP_DONE;
    int status = r.status();
    if (status >= 200 && status < 300) {
      rapidjson::Document d;
      Intent it;
      if (!ParseJson(r.body(), &d) || !ReadIntent(d, &it) || it.id.empty()) {
        UnreadableSuccess(r, sink, "create intent");
        return PSP_STEP_DONE;
      }
      if (!it.amount) it.amount = in_.amount.minor;  // not echoed: the amount we asked for
      ReportAuthorization(it, sink);
      return PSP_STEP_DONE;
    }
    if (status == 409) {
      // reference_id already used: most likely an earlier attempt of this very operation whose
      // answer was lost. Nothing new was created now, but the payment may exist.
      sink.Error(
          "reference_in_use",
          "create intent: " + Describe(r) + "; reference_id '" + CleanText(in_.payment_id, 100) +
              "' is already used at NjiaPay, so the payment may already exist and must be synced "
              "(e.g. from its webhook) instead of being created again",
          "duplicate_reference", false, status);
      sink.Outcome(PSP_OUT_UNKNOWN);
      return PSP_STEP_DONE;
    }
    if (status == 404) {
      sink.Error("http_404", "create intent: " + Describe(r) + " (is base_url right?)",
                 "config_error", false, status);
      sink.Outcome(PSP_OUT_FAILED);
      return PSP_STEP_DONE;
    }
    OtherClientError(r, sink, "create intent");  // 400/422 and the rest: nothing was created
    return PSP_STEP_DONE;
  }

  // ---- COMPLETE_AUTH, SYNC_PAYMENT, SYNC_REFUND ----

  psp_step OnRead(const psp::Response& r, const psp::Sink& sink) {
    if (HandleCommon(r, sink, "read intent")) return PSP_STEP_DONE;
    int status = r.status();
    if (status == 404) {
      NotFound(r, sink, "read intent");
      return PSP_STEP_DONE;
    }
    if (status >= 400) {
      OtherClientError(r, sink, "read intent");
      return PSP_STEP_DONE;
    }
    rapidjson::Document d;
    Intent it;
    if (!ParseJson(r.body(), &d) || !ReadIntent(d, &it)) {
      UnreadableSuccess(r, sink, "read intent");
      return PSP_STEP_DONE;
    }
    if (in_.kind == PSP_OP_COMPLETE_AUTH) {
      ReportAuthorization(it, sink);
    } else if (in_.kind == PSP_OP_SYNC_REFUND) {
      ReportRefundFromIntent(it, sink);
    } else {
      ReportIntent(it, sink);
      sink.State(IntentState(it.status, it.failure_reason));
      sink.Outcome(PSP_OUT_SUCCEEDED);  // the state is known
    }
    return PSP_STEP_DONE;
  }

  // NjiaPay's public docs do not say how a refund's state is read back. The refund object has an
  // integer id, and the local fake (tests/plugins/fake_njiapay) lists the intent's refunds in
  // `refunds[]` of GET /api/intents/{id}; that is what this relies on. When the intent carries no
  // refunds list at all we cannot tell, so the answer is UNKNOWN rather than "not found" (which a
  // host could take as "the refund does not exist" and refund again).
  void ReportRefundFromIntent(const Intent& it, const psp::Sink& sink) const {
    std::string currency = CurrencyOf(it);
    if (it.refunds == nullptr) {
      sink.Error("refunds_not_listed",
                 "NjiaPay's intent lists no refunds, so refund " +
                     CleanText(in_.psp_refund_ref, 100) +
                     " cannot be looked up; its state is unknown",
                 "processing_error", true, 200);
      sink.Outcome(PSP_OUT_UNKNOWN);
      return;
    }
    for (const auto& refund : it.refunds->GetArray()) {
      std::optional<std::string> id = GetId(refund, "id");
      if (!id || *id != in_.psp_refund_ref) continue;
      std::string rstatus = GetString(refund, "status").value_or("");
      sink.Field("psp_refund_ref", *id);
      sink.Field("psp_payment_ref", it.id.empty() ? in_.psp_payment_ref : it.id);
      if (!rstatus.empty()) sink.Field("psp_status", rstatus);
      std::string rcurrency = GetString(refund, "currency").value_or("");
      if (!ValidCurrency(rcurrency)) rcurrency = currency;
      if (auto amount = GetInt(refund, "amount"))
        sink.Amount("processed", psp::Money{*amount, rcurrency});
      if (it.amount_refunded) sink.Amount("refunded", psp::Money{*it.amount_refunded, currency});
      sink.State(RefundState(rstatus));
      sink.Outcome(PSP_OUT_SUCCEEDED);  // the refund's state is known
      return;
    }
    sink.Error("not_found",
               "NjiaPay's intent " + CleanText(it.id.empty() ? in_.psp_payment_ref : it.id, 100) +
                   " has no refund " + CleanText(in_.psp_refund_ref, 100),
               "not_found", false, 200);
    sink.Outcome(PSP_OUT_FAILED);
  }

  // ---- CAPTURE and VOID ----

  const char* Verb() const { return IsCapture() ? "capture" : "cancel authorization"; }

  psp_step OnPreRead(const psp::Response& r, const psp::Sink& sink, psp::Request& out) {
    const std::string what = std::string(Verb()) + " (reading the intent)";
    if (HandleCommon(r, sink, what)) return PSP_STEP_DONE;
    int status = r.status();
    if (status == 404) {
      NotFound(r, sink, what);
      return PSP_STEP_DONE;
    }
    if (status >= 400) {
      OtherClientError(r, sink, what);
      return PSP_STEP_DONE;
    }
    rapidjson::Document d;
    Intent it;
    if (!ParseJson(r.body(), &d) || !ReadIntent(d, &it)) {
      // Only a read happened: nothing was captured or cancelled. Unknown per the common rule, the
      // host syncs and may retry.
      UnreadableSuccess(r, sink, what);
      return PSP_STEP_DONE;
    }
    ReportIntent(it, sink);
    psp_state state = IntentState(it.status, it.failure_reason);
    sink.State(state);
    const std::string& s = it.status;
    const std::string shown = CleanText(s, 50);

    if (IsCapture()) {
      if (ValidCurrency(it.currency) && it.currency != in_.amount.currency) {
        sink.Error("currency_mismatch",
                   "the intent is in " + it.currency + ", the capture asked for " +
                       in_.amount.currency + "; nothing was sent",
                   "invalid_request");
        sink.Outcome(PSP_OUT_FAILED);
        return PSP_STEP_DONE;
      }
      // NjiaPay's capture takes no amount: it always captures the whole authorization.
      if (!it.amount || *it.amount != in_.amount.minor) {
        sink.Error("partial_capture_unsupported",
                   "NjiaPay captures the whole authorization only: the intent is for " +
                       (it.amount ? std::to_string(*it.amount) : std::string("an unknown amount")) +
                       " " + CurrencyOf(it) + ", the capture asked for " +
                       std::to_string(in_.amount.minor) + " " + in_.amount.currency +
                       "; nothing was sent",
                   "unsupported_feature");
        sink.Outcome(PSP_OUT_FAILED);
        return PSP_STEP_DONE;
      }
      if (Is(s, "success")) {  // already captured (a retry after an unknown outcome)
        sink.Amount("processed", in_.amount);
        sink.Outcome(PSP_OUT_SUCCEEDED);
        return PSP_STEP_DONE;
      }
      if (!Is(s, "authorized")) {
        sink.Error(
            "invalid_state",
            "NjiaPay: the intent is '" + shown + "', only an authorized intent can be captured",
            "invalid_state");
        sink.Outcome(PSP_OUT_DECLINED);
        return PSP_STEP_DONE;
      }
      Prepare(out, "GET",
              cfg_->base_url + "/api/v2/intents/" + EncodeSegment(in_.psp_payment_ref) + "/capture",
              true, false);
    } else {
      if (Is(s, "canceled") || Is(s, "cancelled")) {  // already voided (a retry)
        sink.Outcome(PSP_OUT_SUCCEEDED);
        return PSP_STEP_DONE;
      }
      if (Is(s, "success")) {
        sink.Error("invalid_state", "NjiaPay: the payment is captured; refund it instead",
                   "invalid_state");
        sink.Outcome(PSP_OUT_DECLINED);
        return PSP_STEP_DONE;
      }
      if (!Is(s, "authorized")) {
        sink.Error(
            "invalid_state",
            "NjiaPay: the intent is '" + shown + "', only an authorized intent can be cancelled",
            "invalid_state");
        sink.Outcome(PSP_OUT_DECLINED);
        return PSP_STEP_DONE;
      }
      Prepare(out, "GET",
              cfg_->base_url + "/api/v2/intents/" + EncodeSegment(in_.psp_payment_ref) +
                  "/cancel-authorization",
              true, false);
    }
    phase_ = Phase::kAction;
    return PSP_STEP_SEND;
  }

  // Reports the success of the action from NjiaPay's answer or a re-read intent.
  void ActionSucceeded(const psp::Sink& sink) const {
    if (IsCapture()) {
      sink.State(PSP_STATE_CAPTURED);
      sink.Amount("processed", in_.amount);
    } else {
      sink.State(PSP_STATE_VOIDED);
    }
    sink.Outcome(PSP_OUT_SUCCEEDED);
  }

  bool IsDoneStatus(std::string_view s) const {
    return IsCapture() ? Is(s, "success") : (Is(s, "canceled") || Is(s, "cancelled"));
  }

  psp_step Confirm(psp::Request& out, std::string why) {
    confirm_reason_ = std::move(why);
    Prepare(out, "GET", IntentUrl(), false, false);
    phase_ = Phase::kConfirm;
    return PSP_STEP_SEND;
  }

  psp_step OnAction(const psp::Response& r, const psp::Sink& sink, psp::Request& out) {
    // NOT_SENT here is NOT_SUBMITTED (only a read went before); NO_ANSWER and 5xx are UNKNOWN.
    if (HandleCommon(r, sink, Verb())) return PSP_STEP_DONE;
    int status = r.status();
    if (status >= 200 && status < 300) {
      rapidjson::Document d;
      if (!ParseJson(r.body(), &d) || !d.IsObject()) {
        UnreadableSuccess(r, sink, Verb());
        return PSP_STEP_DONE;
      }
      // Capture answers {"intent_id","status":"success"}; cancel answers the attempt with
      // "intent_status" (and "attempt_status").
      std::string st = GetString(d, "intent_status").value_or("");
      if (st.empty()) st = GetString(d, "status").value_or("");
      // NjiaPay documents a 200 from cancel-authorization as "cancelled", so one without any
      // status counts; a capture answer must say success.
      if (IsDoneStatus(st) || (!IsCapture() && st.empty())) {
        if (!st.empty()) sink.Field("psp_status", st);
        ActionSucceeded(sink);
        return PSP_STEP_DONE;
      }
      // A 2xx that does not say done: confirm with the intent itself.
      return Confirm(out, std::string(Verb()) + ": NjiaPay answered HTTP " +
                              std::to_string(status) + " with status '" + CleanText(st, 50) + "'");
    }
    if (status == 409 || status == 422) {
      // Refused, e.g. "not in authorized status". A replayed GET may already have done it, so
      // re-read the intent before declaring anything (NjiaPay's docs advise confirming with a GET).
      refused_status_ = status;
      refused_detail_ = Describe(r);
      return Confirm(out, std::string(Verb()) + ": " + refused_detail_);
    }
    if (status == 404) {
      NotFound(r, sink, Verb());
      return PSP_STEP_DONE;
    }
    OtherClientError(r, sink, Verb());
    return PSP_STEP_DONE;
  }

  psp_step OnConfirm(const psp::Response& r, const psp::Sink& sink) {
    // The side-effecting request reached NjiaPay; if the re-read fails we cannot tell what it did.
    auto unknown = [&](const std::string& why) {
      sink.Error("unconfirmed",
                 confirm_reason_ + "; confirming with the intent failed (" + why +
                     "), the outcome is unknown and must be synced",
                 "processing_error", false, refused_status_);
      sink.Outcome(PSP_OUT_UNKNOWN);
      return PSP_STEP_DONE;
    };
    if (r.transport() == PSP_TRANSPORT_NOT_SENT) return unknown("not sent");
    if (r.transport() != PSP_TRANSPORT_OK || r.status() <= 0) return unknown("no answer");
    if (r.status() < 200 || r.status() >= 300) return unknown(Describe(r));
    rapidjson::Document d;
    Intent it;
    if (!ParseJson(r.body(), &d) || !ReadIntent(d, &it)) return unknown("unreadable intent");
    ReportIntent(it, sink);
    sink.State(IntentState(it.status, it.failure_reason));
    if (IsDoneStatus(it.status)) {
      ActionSucceeded(sink);
      return PSP_STEP_DONE;
    }
    if (refused_status_ == 0) {
      // NjiaPay said 2xx but the intent does not show it done.
      if (Is(it.status, "authorized") || Is(it.status, "pending")) {
        sink.Error("not_yet_visible",
                   confirm_reason_ + "; the intent is still '" + CleanText(it.status, 50) +
                       "', sync later",
                   "processing_error", false, 0);
        sink.Outcome(PSP_OUT_PENDING);
      } else {
        sink.Error("invalid_state",
                   confirm_reason_ + "; the intent is '" + CleanText(it.status, 50) + "'",
                   "invalid_state", false, 0);
        sink.Outcome(PSP_OUT_DECLINED);
      }
      return PSP_STEP_DONE;
    }
    sink.Error("http_" + std::to_string(refused_status_),
               std::string(Verb()) + ": " + refused_detail_ + " (the intent is '" +
                   CleanText(it.status, 50) + "')",
               "invalid_state", false, refused_status_);
    sink.Outcome(PSP_OUT_DECLINED);
    return PSP_STEP_DONE;
  }

  // ---- REFUND ----

  psp_step OnRefund(const psp::Response& r, const psp::Sink& sink) {
    if (HandleCommon(r, sink, "refund")) return PSP_STEP_DONE;
    int status = r.status();
    if (status >= 200 && status < 300) {
      rapidjson::Document d;
      std::optional<std::string> id, rstatus;
      if (ParseJson(r.body(), &d) && d.IsObject()) {
        id = GetId(d, "id");
        rstatus = GetString(d, "status");
      }
      if (!id && !rstatus) {
        UnreadableSuccess(r, sink, "refund");
        return PSP_STEP_DONE;
      }
      if (id) sink.Field("psp_refund_ref", *id);
      sink.Field("psp_payment_ref", in_.psp_payment_ref);
      if (rstatus) sink.Field("psp_status", *rstatus);
      if (auto amount = GetInt(d, "amount")) {
        std::string currency = GetString(d, "currency").value_or("");
        sink.Amount("processed",
                    psp::Money{*amount, ValidCurrency(currency) ? currency : in_.amount.currency});
      }
      psp_state state = RefundState(rstatus.value_or(""));
      sink.State(state);
      if (state == PSP_STATE_REFUNDED) {
        sink.Outcome(PSP_OUT_SUCCEEDED);
      } else if (state == PSP_STATE_REFUND_FAILED) {
        sink.Error(CleanText(*rstatus, 50), "NjiaPay: the refund is " + CleanText(*rstatus, 50),
                   "processing_error");
        sink.Outcome(PSP_OUT_DECLINED);
      } else {
        sink.Outcome(PSP_OUT_PENDING);
      }
      return PSP_STEP_DONE;
    }
    if (status == 422) {
      // Refused (e.g. more than the refundable amount, or not captured): nothing moved.
      std::string detail = DetailOf(r.body());
      sink.Error("http_422", "refund: " + Describe(r),
                 ContainsIgnoreCase(detail, "amount") ? "invalid_amount" : "invalid_request", false,
                 status);
      sink.Outcome(PSP_OUT_DECLINED);
      return PSP_STEP_DONE;
    }
    if (status == 404) {
      NotFound(r, sink, "refund");
      return PSP_STEP_DONE;
    }
    OtherClientError(r, sink, "refund");
    return PSP_STEP_DONE;
  }

  std::shared_ptr<const Config> cfg_;
  psp::Host host_;
  psp::OpInput in_;
  std::string body_;  // the JSON body of the POST, built (and checked) in Begin
  Phase phase_ = Phase::kStart;
  std::string confirm_reason_;
  int refused_status_ = 0;  // the 409/422 that led to kConfirm, 0 after a 2xx
  std::string refused_detail_;
};

// ---- request bodies ----------------------------------------------------------------------------

using JsonWriter =
    rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                      rapidjson::CrtAllocator, rapidjson::kWriteValidateEncodingFlag>;

bool WriteString(JsonWriter& w, std::string_view s) {
  return w.String(s.data() ? s.data() : "", static_cast<rapidjson::SizeType>(s.size()));
}

// POST /api/intents. False when an input is not valid UTF-8.
bool AuthorizeBody(const psp::OpInput& in, std::string* out) {
  if (in.payment_id.size() > 1024 || in.customer_ref.size() > 1024 || in.return_url.size() > 8192)
    return false;
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  bool ok = w.StartObject();
  ok = ok && w.Key("amount") && w.Int64(in.amount.minor);
  ok = ok && w.Key("currency") && WriteString(w, in.amount.currency);
  ok = ok && w.Key("reference_id") && WriteString(w, in.payment_id);
  ok = ok && w.Key("purchaser_id") && WriteString(w, in.customer_ref);
  ok = ok && w.Key("return_url") && WriteString(w, in.return_url);
  ok = ok && w.Key("allow_remember_credentials") &&
       w.Bool(in.Property("allow_remember_credentials").value_or("") == "true");
  ok = ok && w.Key("capture_mode") &&
       WriteString(w, in.capture_mode == PSP_CAPTURE_IMMEDIATE ? "immediate" : "prefer_delay");
  ok = ok && w.EndObject();
  if (!ok) return false;
  out->assign(buf.GetString(), buf.GetSize());
  return true;
}

// POST /api/intents/{id}/refund
std::string RefundBody(const psp::OpInput& in) {
  std::string reason = in.Property("reason").value_or("");
  if (reason != "fraud" && reason != "customer_request" && reason != "return" &&
      reason != "duplicate" && reason != "other") {
    reason = "customer_request";
  }
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("amount");
  w.Int64(in.amount.minor);
  w.Key("reason");
  w.String(reason.c_str(), static_cast<rapidjson::SizeType>(reason.size()));
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

// ---- the instance ------------------------------------------------------------------------------

// psp::OpInput::FromC static_casts the host's raw ints into enum-typed fields, so a host that
// passes an out-of-range kind or capture_mode leaves a value that is undefined behaviour to read
// through the enum type. Begin validates them through their bytes instead.
template <typename E>
int64_t RawValue(const E& e) {
  std::underlying_type_t<E> v;
  std::memcpy(&v, &e, sizeof v);
  return static_cast<int64_t>(v);
}

class NjiaPayInstance : public psp::Instance {
 public:
  NjiaPayInstance(psp::Host host, Config cfg)
      : host_(host), cfg_(std::make_shared<const Config>(std::move(cfg))) {}

  psp_rc Begin(const psp::OpInput& in, std::unique_ptr<psp::Op>* out) override {
    std::string body;
    const int64_t kind = RawValue(in.kind);
    const int64_t capture_mode = RawValue(in.capture_mode);
    switch (kind) {
      case PSP_OP_AUTHORIZE:
        if (in.payment_id.empty() || in.amount.minor <= 0 || !ValidCurrency(in.amount.currency) ||
            in.customer_ref.size() < 3 || in.return_url.empty()) {
          return PSP_E_INVALID_ARG;
        }
        if (capture_mode != PSP_CAPTURE_IMMEDIATE && capture_mode != PSP_CAPTURE_PREFER_DELAY &&
            capture_mode != PSP_CAPTURE_MANUAL) {
          return PSP_E_INVALID_ARG;
        }
        // NjiaPay splits exist for Paystack only and need beneficiaries set up beforehand: the
        // ledger settles splits itself (no PSP_CAP_NATIVE_SPLIT).
        if (!in.splits.empty()) return PSP_E_UNSUPPORTED;
        if (!AuthorizeBody(in, &body)) return PSP_E_INVALID_ARG;
        break;
      case PSP_OP_COMPLETE_AUTH:
      case PSP_OP_SYNC_PAYMENT:
      case PSP_OP_VOID:
        // (COMPLETE_AUTH deliberately ignores resume_params: what comes back on the return URL is
        // the customer's browser talking, so the state is read from NjiaPay by our own reference.)
        if (!ValidRef(in.psp_payment_ref)) return PSP_E_INVALID_ARG;
        break;
      case PSP_OP_CAPTURE:
        if (!ValidRef(in.psp_payment_ref) || in.amount.minor <= 0 ||
            !ValidCurrency(in.amount.currency)) {
          return PSP_E_INVALID_ARG;
        }
        break;
      case PSP_OP_REFUND:
        if (!ValidRef(in.psp_payment_ref) || in.amount.minor <= 0 ||
            !ValidCurrency(in.amount.currency)) {
          return PSP_E_INVALID_ARG;
        }
        body = RefundBody(in);
        break;
      case PSP_OP_SYNC_REFUND:
        if (!ValidRef(in.psp_payment_ref) || in.psp_refund_ref.empty()) return PSP_E_INVALID_ARG;
        break;
      default:
        return PSP_E_UNSUPPORTED;
    }
    *out = std::make_unique<NjiaPayOp>(cfg_, host_, in, std::move(body));
    return PSP_OK;
  }

  psp_rc Webhook(std::string_view method, std::string_view, const psp::Headers& headers,
                 std::string_view body, const psp::Sink& sink) override {
    if (method != "POST") {
      sink.WebhookReply(405, R"({"detail":"method not allowed"})");
      return PSP_OK;
    }
    if (body.size() > kMaxWebhookBody) {
      sink.WebhookReply(413, R"({"detail":"payload too large"})");
      return PSP_E_PARSE;
    }
    // Verify over the raw bytes before looking at the JSON.
    if (!Verified(headers, body)) {
      sink.WebhookReply(401, R"({"detail":"invalid signature"})");
      return PSP_OK;
    }
    rapidjson::Document d;
    const rapidjson::Value* content = nullptr;
    std::optional<std::string> type;
    if (ParseJson(body, &d) && d.IsObject()) {
      type = GetString(d, "type");
      content = Member(d, "content");
    }
    if (!type || !content || !content->IsObject()) {
      sink.WebhookReply(400, R"({"detail":"not a NjiaPay event"})");
      return PSP_E_PARSE;
    }

    std::string event_type = NormalizeEventType(*type);
    // NjiaPay events carry no id: the body's hash is stable across redeliveries of one event.
    std::string event_id = Sha256Hex(body).substr(0, 32);
    std::string intent_id = GetId(*content, "intent_id").value_or("");
    std::string reference_id = GetId(*content, "reference_id").value_or("");
    std::string refund_id = GetId(*content, "refund_id").value_or("");
    std::string status = GetString(*content, "status").value_or("");

    psp_state state = PSP_STATE_NONE;
    if (event_type == "status_change") {
      if (!status.empty()) {
        state = IntentState(status, GetString(*content, "failure_reason").value_or(""));
      }
    } else if (event_type == "cancelation") {
      state = status.empty()
                  ? PSP_STATE_VOIDED
                  : IntentState(status, GetString(*content, "failure_reason").value_or(""));
    } else if (event_type == "refund") {
      if (!status.empty()) state = RefundState(status);
    }
    // payment_credential, mandate, mandate_amendment and unknown types: no payment state.

    psp::Money amount;
    std::optional<int64_t> minor = GetInt(*content, "amount");
    std::string currency = GetString(*content, "currency").value_or("");
    if (minor && ValidCurrency(currency)) amount = psp::Money{*minor, currency};

    psp_event e{};
    e.struct_size = sizeof e;
    e.event_id = psp::Str(event_id);
    e.event_type = psp::Str(event_type);
    e.psp_payment_ref = psp::Str(intent_id);
    e.payment_id = psp::Str(reference_id);
    e.psp_refund_ref = psp::Str(refund_id);
    e.state = state;
    e.amount = amount.ToC();
    sink.Event(e);
    sink.WebhookReply(200, R"({"received":true})");
    return PSP_OK;
  }

 private:
  // Njiapay-Signature: "v0=<hex>, v0=<hex>" (one entry per secret NjiaPay signs with). Every
  // configured secret is checked against every v0 entry in constant time; entries with other
  // prefixes are ignored. There is no timestamp in the signed material, so this gives no replay
  // protection: the host deduplicates by event id and syncs before posting.
  bool Verified(const psp::Headers& headers, std::string_view body) const {
    if (cfg_->webhook_secrets.empty()) return false;
    std::vector<std::string> signatures;
    for (const auto& [name, value] : headers) {
      if (!psp::EqualsIgnoreCase(name, kSignatureHeader)) continue;
      std::string_view rest = value;
      while (signatures.size() < kMaxSignatureEntries) {
        size_t comma = rest.find(',');
        std::string_view entry = Trim(rest.substr(0, comma));
        if (StartsWith(entry, "v0=")) {
          std::string mac;
          if (HexDecode(Trim(entry.substr(3)), &mac) && mac.size() == 32)
            signatures.push_back(std::move(mac));
        }
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
    }
    if (signatures.empty()) return false;
    bool ok = false;
    for (const std::string& secret : cfg_->webhook_secrets) {
      std::string expected;
      if (!HexDecode(HmacSha256Hex(secret, body), &expected) || expected.size() != 32) continue;
      for (const std::string& sig : signatures) ok |= ConstantTimeEquals(expected, sig);
    }
    return ok;
  }

  psp::Host host_;
  std::shared_ptr<const Config> cfg_;
};

// ---- the table ---------------------------------------------------------------------------------

struct NjiaPayTraits {
  static constexpr const char* kName = kAdapterName;
  static constexpr const char* kVersion = kAdapterVersion;
  static constexpr uint64_t kCapabilities = PSP_CAP_AUTH_CAPTURE | PSP_CAP_VOID | PSP_CAP_REFUND |
                                            PSP_CAP_PARTIAL_REFUND | PSP_CAP_MULTI_REFUND |
                                            PSP_CAP_WEBHOOKS | PSP_CAP_SYNC_REFUND |
                                            PSP_CAP_HOSTED_CHECKOUT | PSP_CAP_THREEDS;

  static psp_rc Validate(const psp::Host& host, std::string_view config_json,
                         const psp::Sink& errors) {
    return LoadConfig(host, config_json, std::nullopt, errors, nullptr);
  }

  static psp_rc Create(const psp::Host& host, std::string_view config_json,
                       std::string_view environment, const psp::Sink& errors,
                       std::unique_ptr<psp::Instance>* out) {
    Config cfg;
    psp_rc rc = LoadConfig(host, config_json, environment, errors, &cfg);
    if (rc != PSP_OK) return rc;
    if (environment == "test" && cfg.base_url == "https://app.infinic.com") {
      host.Log(PSP_LOG_WARN,
               "njiapay: the \"test\" environment points at NjiaPay's production base_url");
    }
    *out = std::make_unique<NjiaPayInstance>(host, std::move(cfg));
    return PSP_OK;
  }
};

}  // namespace

PSP_DEFINE_ADAPTER(NjiaPayTraits)
