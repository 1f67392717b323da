// psp_adapter.hpp — optional header-only C++ helper for writing adapters against psp_adapter.h.
//
// It turns the C table into two small classes: an Instance (one per configured merchant account)
// that starts Ops, and an Op that is a state machine stepping through HTTP requests. It copies the
// borrowed inputs into std::string, owns the memory of the requests it hands to the host, and
// catches every exception at the boundary (an escaped exception becomes PSP_E_INTERNAL). Use it
// with PSP_DEFINE_ADAPTER(Traits) in exactly one translation unit, and build the library with
// -fvisibility=hidden so that only psp_adapter_get_api is exported.
//
// Nothing here is required: the ABI is the C header. This helper is compiled into each adapter,
// so it may change between releases without breaking already built adapters.
#pragma once

#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "splitledger/psp_adapter.h"

namespace psp {

inline psp_str Str(std::string_view s) { return psp_str{s.data(), s.size()}; }
inline std::string_view View(psp_str s) {
  return s.ptr == nullptr ? std::string_view() : std::string_view(s.ptr, s.len);
}
inline std::string Copy(psp_str s) { return std::string(View(s)); }

inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

struct Money {
  int64_t minor = 0;
  std::string currency;  // "" when unset

  psp_money ToC() const {
    psp_money m{};
    m.minor = minor;
    std::snprintf(m.currency, sizeof m.currency, "%.3s", currency.c_str());
    return m;
  }
  static Money FromC(const psp_money& m) {
    return Money{m.minor, std::string(m.currency, strnlen(m.currency, sizeof m.currency))};
  }
};

// The host's services. Valid for the instance's lifetime.
class Host {
 public:
  explicit Host(const psp_host_api* api = nullptr) : api_(api) {}
  const psp_host_api* api() const { return api_; }

  void Log(int level, std::string_view message) const {
    if (api_ && api_->log) api_->log(api_->host_ctx, level, Str(message));
  }
  // A secret by name from the host's configuration, copied.
  std::optional<std::string> Secret(std::string_view name) const {
    psp_str out{nullptr, 0};
    if (!api_ || !api_->secret_get || !api_->secret_get(api_->host_ctx, Str(name), &out)) {
      return std::nullopt;
    }
    return Copy(out);
  }
  int64_t NowUnixMs() const { return api_ && api_->now_unix_ms ? api_->now_unix_ms(api_->host_ctx) : 0; }

 private:
  const psp_host_api* api_;
};

// The host's result sink for one call.
class Sink {
 public:
  Sink(const psp_host_api* api, psp_result_sink* sink) : api_(api), sink_(sink) {}

  void Outcome(psp_outcome o) const { api_->set_outcome(sink_, o); }
  void State(psp_state s) const { api_->set_state(sink_, s); }
  void Field(std::string_view name, std::string_view value) const {
    api_->set_field(sink_, Str(name), Str(value));
  }
  void Amount(std::string_view name, const Money& m) const {
    api_->set_amount(sink_, Str(name), m.ToC());
  }
  void Error(std::string_view code, std::string_view message, std::string_view unified_code = {},
             bool retryable = false, int http_status = 0) const {
    psp_error e{};
    e.struct_size = sizeof e;
    e.code = Str(code);
    e.message = Str(message);
    e.unified_code = Str(unified_code);
    e.retryable = retryable ? 1 : 0;
    e.http_status = http_status;
    api_->set_error(sink_, &e);
  }
  void Redirect(std::string_view url, int64_t expires_unix_ms) const {
    psp_action a{};
    a.struct_size = sizeof a;
    a.kind = PSP_ACT_REDIRECT_GET;
    a.method = Str("GET");
    a.url = Str(url);
    a.expires_unix_ms = expires_unix_ms;
    api_->set_action(sink_, &a);
  }
  void Action(const psp_action& a) const { api_->set_action(sink_, &a); }
  void Event(const psp_event& e) const { api_->emit_event(sink_, &e); }
  void WebhookReply(int http_status, std::string_view body) const {
    api_->set_webhook_reply(sink_, http_status, Str(body));
  }

 private:
  const psp_host_api* api_;
  psp_result_sink* sink_;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// A request the adapter wants sent. The helper keeps it alive until the next step.
struct Request {
  std::string method = "GET";
  std::string url;
  Headers headers;
  std::string body;
  std::string tls_profile;
  uint32_t timeout_ms = 0;
  bool side_effecting = false;
};

// A borrowed view of the host's answer.
struct Response {
  const psp_http_response* raw = nullptr;

  int transport() const { return raw->transport; }
  int status() const { return raw->status; }
  std::string_view body() const {
    return std::string_view(reinterpret_cast<const char*>(raw->body.ptr),
                            raw->body.ptr ? raw->body.len : 0);
  }
  std::optional<std::string_view> Header(std::string_view name) const {
    for (size_t i = 0; i < raw->n_headers; ++i) {
      if (EqualsIgnoreCase(View(raw->headers[i].key), name)) return View(raw->headers[i].value);
    }
    return std::nullopt;
  }
};

struct Split {
  std::string beneficiary_ref;
  Money amount;
  std::string description;
};

// A copy of psp_op_input, safe to keep for the op's lifetime.
struct OpInput {
  psp_op_kind kind = PSP_OP_AUTHORIZE;
  std::string operation_id, payment_id, attempt_id, psp_payment_ref, psp_refund_ref;
  Money amount;
  std::string customer_ref, return_url;
  psp_capture_mode capture_mode = PSP_CAPTURE_IMMEDIATE;
  std::vector<Split> splits;
  Headers properties;
  std::string resume_params;

  static OpInput FromC(const psp_op_input& in) {
    OpInput o;
    o.kind = static_cast<psp_op_kind>(in.kind);
    o.operation_id = Copy(in.operation_id);
    o.payment_id = Copy(in.payment_id);
    o.attempt_id = Copy(in.attempt_id);
    o.psp_payment_ref = Copy(in.psp_payment_ref);
    o.psp_refund_ref = Copy(in.psp_refund_ref);
    o.amount = Money::FromC(in.amount);
    o.customer_ref = Copy(in.customer_ref);
    o.return_url = Copy(in.return_url);
    o.capture_mode = static_cast<psp_capture_mode>(in.capture_mode);
    for (size_t i = 0; in.splits && i < in.n_splits; ++i) {
      o.splits.push_back(Split{Copy(in.splits[i].beneficiary_ref),
                               Money::FromC(in.splits[i].amount), Copy(in.splits[i].description)});
    }
    for (size_t i = 0; in.properties && i < in.n_properties; ++i) {
      o.properties.emplace_back(Copy(in.properties[i].key), Copy(in.properties[i].value));
    }
    if (PSP_HAS_FIELD(&in, psp_op_input, resume_params)) o.resume_params = Copy(in.resume_params);
    return o;
  }
  std::optional<std::string> Property(std::string_view name) const {
    for (const auto& [k, v] : properties) {
      if (k == name) return v;
    }
    return std::nullopt;
  }
};

// One operation: a state machine. Step() gets nullptr first, then the answer to its last request.
// Return PSP_STEP_SEND after filling `out`, or PSP_STEP_DONE after setting the outcome.
class Op {
 public:
  virtual ~Op() = default;
  virtual psp_step Step(const Response* response, const Sink& sink, Request& out) = 0;
};

// One configured merchant account. Must be safe to use from several threads at once.
class Instance {
 public:
  virtual ~Instance() = default;
  // Returns PSP_E_UNSUPPORTED / PSP_E_INVALID_ARG, or PSP_OK with *out set.
  virtual psp_rc Begin(const OpInput& input, std::unique_ptr<Op>* out) = 0;
  virtual psp_rc Webhook(std::string_view method, std::string_view path, const Headers& headers,
                         std::string_view raw_body, const Sink& sink) = 0;
};

namespace detail {

struct InstanceBox {
  const psp_host_api* host;
  std::unique_ptr<Instance> instance;
};

struct OpBox {
  const psp_host_api* host;
  std::unique_ptr<Op> op;
  Request request;             // the last request handed out
  std::vector<psp_kv> c_headers;
  bool done = false;
};

inline void FillRequest(OpBox& box, psp_http_request* out) {
  const Request& r = box.request;
  box.c_headers.clear();
  for (const auto& [k, v] : r.headers) box.c_headers.push_back(psp_kv{Str(k), Str(v)});
  *out = psp_http_request{};
  out->struct_size = sizeof *out;
  out->method = Str(r.method);
  out->url = Str(r.url);
  out->headers = box.c_headers.data();
  out->n_headers = box.c_headers.size();
  out->body = psp_bytes{reinterpret_cast<const uint8_t*>(r.body.data()), r.body.size()};
  out->tls_profile = Str(r.tls_profile);
  out->timeout_ms = r.timeout_ms;
  out->side_effecting = r.side_effecting ? 1 : 0;
}

}  // namespace detail

// Generates the C table and psp_adapter_get_api from a traits class:
//   struct Traits {
//     static constexpr const char* kName = "mine";
//     static constexpr const char* kVersion = "1.0.0";
//     static constexpr uint64_t kCapabilities = PSP_CAP_…;
//     static psp_rc Validate(const psp::Host&, std::string_view config_json, const psp::Sink& errors);
//     static psp_rc Create(const psp::Host&, std::string_view config_json, std::string_view environment,
//                          const psp::Sink& errors, std::unique_ptr<psp::Instance>* out);
//   };
template <typename Traits>
struct AdapterTable {
  static psp_rc ValidateConfig(const psp_host_api* host, psp_str config, psp_result_sink* errors) {
    try {
      if (!host) return PSP_E_INVALID_ARG;
      return Traits::Validate(Host(host), View(config), Sink(host, errors));
    } catch (...) {
      return PSP_E_INTERNAL;
    }
  }
  static psp_rc InstanceCreate(const psp_host_api* host, psp_str config, psp_str environment,
                               psp_instance** out, psp_result_sink* errors) {
    try {
      if (!host || !out) return PSP_E_INVALID_ARG;
      *out = nullptr;
      std::unique_ptr<Instance> instance;
      psp_rc rc = Traits::Create(Host(host), View(config), View(environment), Sink(host, errors),
                                 &instance);
      if (rc != PSP_OK) return rc;
      if (!instance) return PSP_E_INTERNAL;
      *out = reinterpret_cast<psp_instance*>(new detail::InstanceBox{host, std::move(instance)});
      return PSP_OK;
    } catch (...) {
      return PSP_E_INTERNAL;
    }
  }
  static void InstanceDestroy(psp_instance* instance) {
    try {
      delete reinterpret_cast<detail::InstanceBox*>(instance);
    } catch (...) {
    }
  }
  static psp_rc OpBegin(psp_instance* instance, const psp_op_input* input, psp_op** out) {
    try {
      if (!instance || !input || !out) return PSP_E_INVALID_ARG;
      *out = nullptr;
      if (input->struct_size < offsetof(psp_op_input, resume_params)) return PSP_E_INVALID_ARG;
      // Enum values from the host are checked before they become C++ enums (UB otherwise).
      if (input->kind < PSP_OP_AUTHORIZE || input->kind > PSP_OP_SYNC_REFUND ||
          input->capture_mode < PSP_CAPTURE_IMMEDIATE || input->capture_mode > PSP_CAPTURE_MANUAL) {
        return PSP_E_INVALID_ARG;
      }
      auto* ibox = reinterpret_cast<detail::InstanceBox*>(instance);
      std::unique_ptr<Op> op;
      psp_rc rc = ibox->instance->Begin(OpInput::FromC(*input), &op);
      if (rc != PSP_OK) return rc;
      if (!op) return PSP_E_INTERNAL;
      auto box = std::make_unique<detail::OpBox>();
      box->host = ibox->host;
      box->op = std::move(op);
      *out = reinterpret_cast<psp_op*>(box.release());
      return PSP_OK;
    } catch (...) {
      return PSP_E_INTERNAL;
    }
  }
  static psp_rc OpStep(psp_op* op, const psp_http_response* response, psp_result_sink* sink,
                       psp_step* out_step, psp_http_request* out_request) {
    try {
      if (!op || !sink || !out_step || !out_request) return PSP_E_INVALID_ARG;
      auto* box = reinterpret_cast<detail::OpBox*>(op);
      if (box->done) return PSP_E_BAD_STATE;
      Response resp{response};
      Sink s(box->host, sink);
      box->request = Request{};
      psp_step step = box->op->Step(response ? &resp : nullptr, s, box->request);
      *out_step = step;
      if (step == PSP_STEP_SEND) {
        detail::FillRequest(*box, out_request);
      } else {
        box->done = true;
      }
      return PSP_OK;
    } catch (...) {
      return PSP_E_INTERNAL;
    }
  }
  static void OpEnd(psp_op* op) {
    try {
      delete reinterpret_cast<detail::OpBox*>(op);
    } catch (...) {
    }
  }
  static psp_rc Webhook(psp_instance* instance, psp_str method, psp_str path, const psp_kv* headers,
                        size_t n_headers, psp_bytes body, psp_result_sink* sink) {
    try {
      if (!instance || !sink || (n_headers && !headers)) return PSP_E_INVALID_ARG;
      auto* ibox = reinterpret_cast<detail::InstanceBox*>(instance);
      Headers h;
      for (size_t i = 0; i < n_headers; ++i) h.emplace_back(Copy(headers[i].key), Copy(headers[i].value));
      std::string_view raw(reinterpret_cast<const char*>(body.ptr), body.ptr ? body.len : 0);
      return ibox->instance->Webhook(View(method), View(path), h, raw, Sink(ibox->host, sink));
    } catch (...) {
      return PSP_E_INTERNAL;
    }
  }

  static const psp_adapter_v1* Get(uint32_t host_abi_major) {
    static const psp_adapter_v1 table = {
        sizeof(psp_adapter_v1), PSP_ABI_MAJOR, PSP_ABI_MINOR, Traits::kName, Traits::kVersion,
        Traits::kCapabilities, PSP_THREADING_REENTRANT, &ValidateConfig, &InstanceCreate,
        &InstanceDestroy, &OpBegin, &OpStep, &OpEnd, &Webhook};
    return host_abi_major == PSP_ABI_MAJOR ? &table : nullptr;
  }
};

}  // namespace psp

#define PSP_DEFINE_ADAPTER(Traits)                                                 \
  extern "C" PSP_EXPORT const psp_adapter_v1* psp_adapter_get_api(uint32_t major) { \
    return ::psp::AdapterTable<Traits>::Get(major);                                \
  }
