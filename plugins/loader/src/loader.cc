#include "splitledger/plugins/loader.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace splitledger::plugins {

const char* OutcomeName(psp_outcome outcome) {
  switch (outcome) {
    case PSP_OUT_NONE: return "none";
    case PSP_OUT_SUCCEEDED: return "succeeded";
    case PSP_OUT_AUTHORIZED: return "authorized";
    case PSP_OUT_PENDING: return "pending";
    case PSP_OUT_ACTION_REQUIRED: return "action_required";
    case PSP_OUT_DECLINED: return "declined";
    case PSP_OUT_FAILED: return "failed";
    case PSP_OUT_UNKNOWN: return "unknown";
    case PSP_OUT_NOT_SUBMITTED: return "not_submitted";
  }
  return "invalid";
}

const char* StateName(psp_state state) {
  switch (state) {
    case PSP_STATE_NONE: return "none";
    case PSP_STATE_REQUIRES_ACTION: return "requires_action";
    case PSP_STATE_PENDING: return "pending";
    case PSP_STATE_AUTHORIZED: return "authorized";
    case PSP_STATE_CAPTURED: return "captured";
    case PSP_STATE_VOIDED: return "voided";
    case PSP_STATE_EXPIRED: return "expired";
    case PSP_STATE_DECLINED: return "declined";
    case PSP_STATE_FAILED: return "failed";
    case PSP_STATE_CHARGEBACK: return "chargeback";
    case PSP_STATE_REFUND_PENDING: return "refund_pending";
    case PSP_STATE_REFUNDED: return "refunded";
    case PSP_STATE_REFUND_FAILED: return "refund_failed";
  }
  return "invalid";
}

const char* OpKindName(psp_op_kind kind) {
  switch (kind) {
    case PSP_OP_AUTHORIZE: return "authorize";
    case PSP_OP_COMPLETE_AUTH: return "complete_auth";
    case PSP_OP_CAPTURE: return "capture";
    case PSP_OP_VOID: return "void";
    case PSP_OP_REFUND: return "refund";
    case PSP_OP_SYNC_PAYMENT: return "sync_payment";
    case PSP_OP_SYNC_REFUND: return "sync_refund";
  }
  return "invalid";
}

namespace {

std::string Copy(psp_str s) {
  if (s.ptr == nullptr || s.len == 0) return {};
  return std::string(s.ptr, s.len);
}
psp_str Str(const std::string& s) { return psp_str{s.data(), s.size()}; }

Money CopyMoney(const psp_money& m) {
  return Money{m.minor, std::string(m.currency, strnlen(m.currency, sizeof m.currency))};
}
psp_money ToC(const Money& m) {
  psp_money out{};
  out.minor = m.minor;
  std::memcpy(out.currency, m.currency.data(), std::min<size_t>(m.currency.size(), 3));
  return out;
}

// Reads a struct the adapter filled, honouring its struct_size: fields the adapter's (older)
// version does not have stay zero. Refuses a struct smaller than its first field.
template <typename T>
bool ReadSized(const T* in, T* out) {
  *out = T{};
  if (in == nullptr || in->struct_size < sizeof(uint32_t)) return false;
  std::memcpy(static_cast<void*>(out), in, std::min<size_t>(in->struct_size, sizeof(T)));
  return true;
}

bool ValidAdapterName(const char* name) {
  if (name == nullptr || *name == '\0') return false;
  size_t n = 0;
  for (const char* p = name; *p; ++p, ++n) {
    bool ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_';
    if (!ok || n >= 64) return false;
  }
  return true;
}

}  // namespace

// ---- the result sink ---------------------------------------------------------------------------

}  // namespace splitledger::plugins

// The opaque sink type of the ABI, defined by the host.
struct psp_result_sink {
  splitledger::plugins::OpResult* result;
  std::vector<std::string>* violations;  // setter misuse (bad enum values, …)
};

namespace splitledger::plugins {
namespace {

void SinkSetOutcome(psp_result_sink* sink, int outcome) {
  if (!sink) return;
  if (outcome < PSP_OUT_SUCCEEDED || outcome > PSP_OUT_NOT_SUBMITTED) {
    sink->violations->push_back("set_outcome with invalid value " + std::to_string(outcome));
    return;
  }
  sink->result->outcome = static_cast<psp_outcome>(outcome);
}
void SinkSetState(psp_result_sink* sink, int state) {
  if (!sink) return;
  if (state < PSP_STATE_NONE || state > PSP_STATE_REFUND_FAILED) {
    sink->violations->push_back("set_state with invalid value " + std::to_string(state));
    return;
  }
  sink->result->state = static_cast<psp_state>(state);
}
void SinkSetField(psp_result_sink* sink, psp_str name, psp_str value) {
  if (!sink) return;
  sink->result->fields[Copy(name)] = Copy(value);
}
void SinkSetAmount(psp_result_sink* sink, psp_str name, psp_money amount) {
  if (!sink) return;
  sink->result->amounts[Copy(name)] = CopyMoney(amount);
}
void SinkSetError(psp_result_sink* sink, const psp_error* error) {
  psp_error e;
  if (!sink) return;
  if (!ReadSized(error, &e)) {
    sink->violations->push_back("set_error with a NULL or unsized psp_error");
    return;
  }
  sink->result->error = AdapterError{Copy(e.code), Copy(e.message), Copy(e.unified_code),
                                     e.retryable != 0, e.http_status};
}
void SinkSetAction(psp_result_sink* sink, const psp_action* action) {
  psp_action a;
  if (!sink) return;
  if (!ReadSized(action, &a)) {
    sink->violations->push_back("set_action with a NULL or unsized psp_action");
    return;
  }
  AdapterAction out;
  out.kind = static_cast<psp_action_kind>(a.kind);
  out.method = Copy(a.method);
  out.url = Copy(a.url);
  out.data = Copy(a.data);
  for (size_t i = 0; a.form_fields && i < a.n_form_fields; ++i) {
    out.form_fields.emplace_back(Copy(a.form_fields[i].key), Copy(a.form_fields[i].value));
  }
  out.expires_unix_ms = a.expires_unix_ms;
  sink->result->action = std::move(out);
}
void SinkEmitEvent(psp_result_sink* sink, const psp_event* event) {
  psp_event e;
  if (!sink) return;
  if (!ReadSized(event, &e)) {
    sink->violations->push_back("emit_event with a NULL or unsized psp_event");
    return;
  }
  AdapterEvent out{Copy(e.event_id), Copy(e.event_type), Copy(e.psp_payment_ref),
                   Copy(e.payment_id), Copy(e.psp_refund_ref),
                   static_cast<psp_state>(e.state), CopyMoney(e.amount)};
  if (e.state < PSP_STATE_NONE || e.state > PSP_STATE_REFUND_FAILED) {
    sink->violations->push_back("emit_event with invalid state " + std::to_string(e.state));
    out.state = PSP_STATE_NONE;
  }
  sink->result->events.push_back(std::move(out));
}
void SinkSetWebhookReply(psp_result_sink* sink, int http_status, psp_str body) {
  if (!sink) return;
  sink->result->webhook_status = http_status;
  sink->result->webhook_body = Copy(body);
}

}  // namespace

// ---- libraries ---------------------------------------------------------------------------------

Result<std::shared_ptr<const Library>> Library::Open(const std::string& path) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const Library>> loaded;  // by real path

  struct stat st;
  if (path.empty() || ::stat(path.c_str(), &st) != 0) {
    return Status::NotFound("plugin file not found: '" + path + "'");
  }
  if (!S_ISREG(st.st_mode)) return Status::Invalid("plugin path is not a file: '" + path + "'");
  char resolved[PATH_MAX];
  std::string real = ::realpath(path.c_str(), resolved) ? std::string(resolved) : path;

  std::lock_guard<std::mutex> lock(mu);
  if (auto it = loaded.find(real); it != loaded.end()) return it->second;

  // RTLD_LOCAL keeps the adapter's symbols (its copy of rapidjson, its helpers) out of the global
  // namespace; RTLD_NOW surfaces missing dependencies here instead of at the first call; the
  // library is never dlclose'd.
  ::dlerror();
  void* handle = ::dlopen(real.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (handle == nullptr) {
    const char* err = ::dlerror();
    return Status::Invalid("cannot load plugin '" + path + "': " + (err ? err : "dlopen failed"));
  }
  ::dlerror();
  void* sym = ::dlsym(handle, PSP_ADAPTER_ENTRY_SYMBOL);
  if (sym == nullptr) {
    return Status::Invalid("plugin '" + path + "' does not export " PSP_ADAPTER_ENTRY_SYMBOL
                           " (not a splitledger PSP adapter?)");
  }
  auto get_api = reinterpret_cast<psp_adapter_get_api_fn>(sym);
  const psp_adapter_v1* table = get_api(PSP_ABI_MAJOR);
  std::string where = "plugin '" + path + "'";
  if (table == nullptr) {
    return Status::Invalid(where + " refused ABI major version " + std::to_string(PSP_ABI_MAJOR) +
                           ": it was built for another major version of psp_adapter.h");
  }
  if (table->struct_size < PSP_ADAPTER_V1_0_SIZE) {
    return Status::Invalid(where + " has a function table of " + std::to_string(table->struct_size) +
                           " bytes; ABI 1.0 needs at least " +
                           std::to_string(PSP_ADAPTER_V1_0_SIZE) + " (built against a broken SDK?)");
  }
  if (table->abi_major != PSP_ABI_MAJOR) {
    return Status::Invalid(where + " reports ABI major version " + std::to_string(table->abi_major) +
                           "; this host speaks " + std::to_string(PSP_ABI_MAJOR));
  }
  if (!ValidAdapterName(table->name)) {
    return Status::Invalid(where + " has an invalid adapter name (expected [a-z0-9_]{1,64})");
  }
  if (table->threading != PSP_THREADING_REENTRANT) {
    return Status::Invalid(where + " declares threading model " + std::to_string(table->threading) +
                           "; this host needs reentrant adapters (0)");
  }
  const std::pair<const char*, bool> required[] = {
      {"validate_config", table->validate_config != nullptr},
      {"instance_create", table->instance_create != nullptr},
      {"instance_destroy", table->instance_destroy != nullptr},
      {"op_begin", table->op_begin != nullptr},
      {"op_step", table->op_step != nullptr},
      {"op_end", table->op_end != nullptr},
      {"webhook_verify_parse", table->webhook_verify_parse != nullptr},
  };
  for (const auto& [fn, present] : required) {
    if (!present) return Status::Invalid(where + " leaves the required function " + fn + " NULL");
  }
  auto library = std::make_shared<const Library>(path, table);
  loaded.emplace(real, library);
  return std::shared_ptr<const Library>(library);
}

// ---- the host API given to an instance ---------------------------------------------------------

struct Adapter::HostState {
  psp_host_api api{};
  InstanceOptions options;
  std::string adapter_name;
  // Secrets handed out, so that log lines can be redacted and views stay valid.
  std::mutex mu;
  std::map<std::string, std::unique_ptr<std::string>> secrets;

  std::string Redact(std::string line) {
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& [name, value] : secrets) {
      if (value->size() < 4) continue;
      for (size_t at = line.find(*value); at != std::string::npos; at = line.find(*value, at)) {
        line.replace(at, value->size(), "[redacted:" + name + "]");
      }
    }
    return line;
  }
};

namespace {

void HostLog(void* ctx, int level, psp_str message) {
  auto* host = static_cast<Adapter::HostState*>(ctx);
  if (!host || !host->options.log) return;
  host->options.log(level, host->adapter_name, host->Redact(Copy(message)));
}

int HostSecretGet(void* ctx, psp_str name, psp_str* out) {
  auto* host = static_cast<Adapter::HostState*>(ctx);
  if (!host || !out || !host->options.secrets) return 0;
  std::string key = Copy(name);
  std::optional<std::string> value = host->options.secrets(key);
  if (!value) return 0;
  std::lock_guard<std::mutex> lock(host->mu);
  // Keep one stable copy per name: the view must outlive the call, and a secret rotated in the
  // host's configuration takes effect for new instances.
  auto& slot = host->secrets[key];
  if (!slot || *slot != *value) slot = std::make_unique<std::string>(*value);
  *out = Str(*slot);
  return 1;
}

int64_t HostNow(void*) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string JoinErrors(const OpResult& r, const std::vector<std::string>& violations) {
  std::string out;
  if (r.error) {
    out = r.error->code.empty() ? r.error->message : r.error->code + ": " + r.error->message;
  }
  for (const auto& v : violations) out += (out.empty() ? "" : "; ") + v;
  return out;
}

}  // namespace

Adapter::Adapter(std::shared_ptr<const Library> library, std::unique_ptr<HostState> host)
    : library_(std::move(library)), host_(std::move(host)) {}

Adapter::~Adapter() {
  if (instance_) library_->table().instance_destroy(instance_);
}

static std::unique_ptr<Adapter::HostState> MakeHost(const Library& library,
                                                    const InstanceOptions& options) {
  auto host = std::make_unique<Adapter::HostState>();
  host->options = options;
  host->adapter_name = library.name();
  psp_host_api& api = host->api;
  api.struct_size = sizeof api;
  api.abi_major = PSP_ABI_MAJOR;
  api.abi_minor = PSP_ABI_MINOR;
  api.host_ctx = host.get();
  api.log = &HostLog;
  api.secret_get = &HostSecretGet;
  api.now_unix_ms = &HostNow;
  api.set_outcome = &SinkSetOutcome;
  api.set_state = &SinkSetState;
  api.set_field = &SinkSetField;
  api.set_amount = &SinkSetAmount;
  api.set_error = &SinkSetError;
  api.set_action = &SinkSetAction;
  api.emit_event = &SinkEmitEvent;
  api.set_webhook_reply = &SinkSetWebhookReply;
  return host;
}

Status Adapter::Validate(const Library& library, const InstanceOptions& options) {
  auto host = MakeHost(library, options);
  OpResult errors;
  std::vector<std::string> violations;
  psp_result_sink sink{&errors, &violations};
  psp_rc rc = library.table().validate_config(&host->api, Str(options.config_json), &sink);
  if (rc == PSP_OK) return Status::Ok();
  std::string detail = JoinErrors(errors, violations);
  return Status::Invalid("config rejected by adapter '" + library.name() + "'" +
                         (detail.empty() ? " (rc " + std::to_string(rc) + ")" : ": " + detail));
}

Result<std::unique_ptr<Adapter>> Adapter::Create(std::shared_ptr<const Library> library,
                                                 InstanceOptions options) {
  if (!library) return Status::Invalid("no plugin library");
  if (options.environment != "test" && options.environment != "live") {
    return Status::Invalid("environment must be \"test\" or \"live\", not '" + options.environment + "'");
  }
  if (Status s = Validate(*library, options); !s.ok()) return s;
  auto host = MakeHost(*library, options);
  std::unique_ptr<Adapter> adapter(new Adapter(library, std::move(host)));
  OpResult errors;
  std::vector<std::string> violations;
  psp_result_sink sink{&errors, &violations};
  psp_instance* instance = nullptr;
  psp_rc rc = library->table().instance_create(&adapter->host_->api, Str(options.config_json),
                                               Str(options.environment), &instance, &sink);
  if (rc != PSP_OK || instance == nullptr) {
    std::string detail = JoinErrors(errors, violations);
    return Status::Invalid("adapter '" + library->name() + "' refused to start" +
                           (detail.empty() ? " (rc " + std::to_string(rc) + ")" : ": " + detail));
  }
  adapter->instance_ = instance;
  return adapter;
}

namespace {

constexpr int kMaxSteps = 32;

Status RcStatus(const std::string& adapter, const char* what, psp_rc rc) {
  std::string prefix = "adapter '" + adapter + "' " + what + ": ";
  switch (rc) {
    case PSP_OK: return Status::Ok();
    case PSP_E_INVALID_ARG: return Status::Invalid(prefix + "invalid argument");
    case PSP_E_UNSUPPORTED: return Status::Rule(prefix + "operation not supported");
    case PSP_E_CONFIG: return Status::Invalid(prefix + "configuration problem");
    case PSP_E_BAD_STATE: return Status::Internal(prefix + "called out of order");
    case PSP_E_PARSE: return Status::Invalid(prefix + "could not parse its input");
    case PSP_E_INTERNAL: return Status::Internal(prefix + "internal error");
  }
  return Status::Internal(prefix + "unknown return code " + std::to_string(static_cast<int>(rc)));
}

bool Terminal(psp_outcome o) { return o == PSP_OUT_FAILED || o == PSP_OUT_DECLINED; }

}  // namespace

Result<OpResult> Adapter::Run(const OpRequest& request, Transport& transport) const {
  const psp_adapter_v1& t = library_->table();
  const std::string name = library_->name();

  // Build the borrowed input; every view points into `request`, which outlives the op.
  std::vector<psp_split> splits;
  for (const auto& s : request.splits) {
    psp_split c{};
    c.struct_size = sizeof c;
    c.beneficiary_ref = Str(s.beneficiary_ref);
    c.amount = ToC(s.amount);
    c.description = Str(s.description);
    splits.push_back(c);
  }
  std::vector<psp_kv> properties;
  for (const auto& [k, v] : request.properties) properties.push_back(psp_kv{Str(k), Str(v)});
  psp_op_input in{};
  in.struct_size = sizeof in;
  in.kind = request.kind;
  in.operation_id = Str(request.operation_id);
  in.payment_id = Str(request.payment_id);
  in.attempt_id = Str(request.attempt_id);
  in.psp_payment_ref = Str(request.psp_payment_ref);
  in.psp_refund_ref = Str(request.psp_refund_ref);
  in.amount = ToC(request.amount);
  in.customer_ref = Str(request.customer_ref);
  in.return_url = Str(request.return_url);
  in.capture_mode = request.capture_mode;
  in.splits = splits.data();
  in.n_splits = splits.size();
  in.properties = properties.data();
  in.n_properties = properties.size();
  in.resume_params = Str(request.resume_params);

  psp_op* op = nullptr;
  psp_rc rc = t.op_begin(instance_, &in, &op);
  if (rc != PSP_OK) return RcStatus(name, OpKindName(request.kind), rc);
  if (op == nullptr) return Status::Internal("adapter '" + name + "' op_begin returned no op");

  OpResult result;
  std::vector<std::string> violations;
  psp_result_sink sink{&result, &violations};
  HttpResponse last;  // storage behind `c_resp`
  std::vector<psp_kv> last_headers;
  psp_http_response c_resp{};
  const psp_http_response* resp_ptr = nullptr;
  psp_transport worst = PSP_TRANSPORT_OK;  // the most uncertain transport result seen
  bool saw_5xx = false;
  bool done = false;
  Status failure;
  for (int i = 0; i < kMaxSteps && !done; ++i) {
    psp_step step = PSP_STEP_DONE;
    psp_http_request out{};
    rc = t.op_step(op, resp_ptr, &sink, &step, &out);
    if (rc != PSP_OK) {
      failure = RcStatus(name, OpKindName(request.kind), rc);
      break;
    }
    if (step == PSP_STEP_DONE) {
      done = true;
      break;
    }
    if (step != PSP_STEP_SEND || out.struct_size < offsetof(psp_http_request, side_effecting) ||
        out.url.ptr == nullptr || out.method.ptr == nullptr || (out.n_headers && !out.headers)) {
      failure = Status::Internal("adapter '" + name + "' returned an invalid step or request");
      break;
    }
    HttpRequest req;
    req.method = Copy(out.method);
    req.url = Copy(out.url);
    for (size_t h = 0; h < out.n_headers; ++h) {
      req.headers.emplace_back(Copy(out.headers[h].key), Copy(out.headers[h].value));
    }
    if (out.body.ptr) req.body.assign(reinterpret_cast<const char*>(out.body.ptr), out.body.len);
    req.tls_profile = Copy(out.tls_profile);
    req.timeout_ms = out.timeout_ms;
    req.side_effecting = PSP_HAS_FIELD(&out, psp_http_request, side_effecting) && out.side_effecting;

    last = transport.Perform(req);
    ++result.requests_sent;
    if (last.transport == PSP_TRANSPORT_NO_ANSWER) worst = PSP_TRANSPORT_NO_ANSWER;
    if (last.transport == PSP_TRANSPORT_NOT_SENT && worst == PSP_TRANSPORT_OK && i == 0) {
      worst = PSP_TRANSPORT_NOT_SENT;
    }
    if (last.transport == PSP_TRANSPORT_OK && last.status >= 500) saw_5xx = true;
    last_headers.clear();
    for (const auto& [k, v] : last.headers) last_headers.push_back(psp_kv{Str(k), Str(v)});
    c_resp = psp_http_response{};
    c_resp.struct_size = sizeof c_resp;
    c_resp.status = last.transport == PSP_TRANSPORT_OK ? last.status : 0;
    c_resp.headers = last_headers.data();
    c_resp.n_headers = last_headers.size();
    c_resp.body = psp_bytes{reinterpret_cast<const uint8_t*>(last.body.data()), last.body.size()};
    c_resp.transport = last.transport;
    resp_ptr = &c_resp;
  }
  t.op_end(op);
  if (!failure.ok()) return failure;
  if (!done) {
    return Status::Internal("adapter '" + name + "' did not finish within " +
                            std::to_string(kMaxSteps) + " steps");
  }

  // Host checks (the ABI's rules, enforced here so a buggy adapter cannot lose track of money).
  result.contract_violations = violations;
  if (result.outcome == PSP_OUT_NONE) {
    result.contract_violations.push_back("finished without an outcome");
    result.outcome = result.requests_sent > 0 ? PSP_OUT_UNKNOWN : PSP_OUT_FAILED;
  }
  if ((worst == PSP_TRANSPORT_NO_ANSWER || saw_5xx) && Terminal(result.outcome) &&
      request.kind != PSP_OP_SYNC_PAYMENT && request.kind != PSP_OP_SYNC_REFUND) {
    // A request that may have reached the PSP cannot prove that no money moved.
    result.contract_violations.push_back(
        std::string("reported ") + OutcomeName(result.outcome) +
        " after a request whose outcome is unknown; the host treats it as unknown");
    result.outcome = PSP_OUT_UNKNOWN;
  }
  if (worst == PSP_TRANSPORT_NOT_SENT && result.requests_sent == 1 &&
      result.outcome != PSP_OUT_NOT_SUBMITTED && result.outcome != PSP_OUT_UNKNOWN) {
    result.contract_violations.push_back(std::string("reported ") + OutcomeName(result.outcome) +
                                         " for a request that was never sent (expected not_submitted)");
  }
  if (result.outcome == PSP_OUT_ACTION_REQUIRED && !result.action) {
    result.contract_violations.push_back("action_required without an action");
  }
  if ((request.kind == PSP_OP_CAPTURE || request.kind == PSP_OP_REFUND) &&
      result.outcome == PSP_OUT_SUCCEEDED) {
    auto it = result.amounts.find("processed");
    if (it != result.amounts.end() && !(it->second == request.amount)) {
      result.integrity_failure = "the PSP processed " + std::to_string(it->second.minor) + " " +
                                 it->second.currency + ", the request was " +
                                 std::to_string(request.amount.minor) + " " + request.amount.currency;
    }
  }
  return result;
}

Result<OpResult> Adapter::Webhook(const std::string& method, const std::string& path,
                                  const std::vector<std::pair<std::string, std::string>>& headers,
                                  const std::string& raw_body) const {
  std::vector<psp_kv> kv;
  for (const auto& [k, v] : headers) kv.push_back(psp_kv{Str(k), Str(v)});
  OpResult result;
  std::vector<std::string> violations;
  psp_result_sink sink{&result, &violations};
  psp_rc rc = library_->table().webhook_verify_parse(
      instance_, Str(method), Str(path), kv.data(), kv.size(),
      psp_bytes{reinterpret_cast<const uint8_t*>(raw_body.data()), raw_body.size()}, &sink);
  result.contract_violations = violations;
  if (rc != PSP_OK) {
    Status s = RcStatus(library_->name(), "webhook", rc);
    if (rc == PSP_E_PARSE) return Status::Invalid("webhook body could not be parsed");
    return s;
  }
  if (result.webhook_status == 0) result.webhook_status = result.events.empty() ? 400 : 200;
  return result;
}

}  // namespace splitledger::plugins
