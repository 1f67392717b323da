// The host side of the PSP adapter ABI (plugins/sdk/include/splitledger/psp_adapter.h):
// loading adapter libraries, checking them, creating configured instances and driving their
// operations through a Transport. No IO of its own except dlopen: the HTTP executor that performs
// adapter requests is plugins/http (Poco), and tests can plug in any other Transport.
//
// Every failure is a Status with a message that names the file, the adapter and the reason; a bad
// plugin is refused, it never takes the process down (short of crashing inside its own code).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "splitledger/core/status.h"
#include "splitledger/psp_adapter.h"

namespace splitledger::plugins {

// ---- HTTP as the host sees it ----------------------------------------------------------------

struct HttpRequest {
  std::string method;
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string tls_profile;  // "" = default
  uint32_t timeout_ms = 0;  // 0 = the transport's default
  bool side_effecting = false;
};

struct HttpResponse {
  psp_transport transport = PSP_TRANSPORT_OK;
  int status = 0;  // 0 unless transport == OK
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string transport_error;  // human text for logs when transport != OK
};

// Performs adapter requests. Implementations must be thread-safe and must report
// PSP_TRANSPORT_NOT_SENT only when no byte of the request can have reached the server.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual HttpResponse Perform(const HttpRequest& request) = 0;
};

// ---- results ---------------------------------------------------------------------------------

struct Money {
  int64_t minor = 0;
  std::string currency;
  bool operator==(const Money&) const = default;
};

struct AdapterError {
  std::string code, message, unified_code;
  bool retryable = false;
  int http_status = 0;
};

struct AdapterAction {
  psp_action_kind kind = PSP_ACT_NONE;
  std::string method, url, data;
  std::vector<std::pair<std::string, std::string>> form_fields;
  int64_t expires_unix_ms = 0;
};

struct AdapterEvent {
  std::string event_id, event_type, psp_payment_ref, payment_id, psp_refund_ref;
  psp_state state = PSP_STATE_NONE;
  Money amount;
};

// Everything an adapter reported through the result sink during one operation or webhook, copied.
struct OpResult {
  psp_outcome outcome = PSP_OUT_NONE;
  psp_state state = PSP_STATE_NONE;
  std::map<std::string, std::string> fields;  // psp_payment_ref, psp_refund_ref, psp_status, …
  std::map<std::string, Money> amounts;       // processed, authorized, captured, refunded, …
  std::optional<AdapterError> error;
  std::optional<AdapterAction> action;
  std::vector<AdapterEvent> events;
  int webhook_status = 0;
  std::string webhook_body;

  // Host checks applied after the adapter finished (see Adapter::Run):
  // the adapter broke a rule of the ABI (e.g. FAILED after a request that got no answer).
  std::vector<std::string> contract_violations;
  // the amount the PSP says it processed differs from the request (Hyperswitch IntegrityFailure).
  std::optional<std::string> integrity_failure;
  int requests_sent = 0;  // how many requests the op handed to the transport

  std::string Field(const std::string& name) const {
    auto it = fields.find(name);
    return it == fields.end() ? std::string() : it->second;
  }
};

// The inputs of one operation (the host's copy of psp_op_input).
struct OpRequest {
  psp_op_kind kind = PSP_OP_AUTHORIZE;
  std::string operation_id, payment_id, attempt_id, psp_payment_ref, psp_refund_ref;
  Money amount;
  std::string customer_ref, return_url;
  psp_capture_mode capture_mode = PSP_CAPTURE_MANUAL;
  struct Split {
    std::string beneficiary_ref;
    Money amount;
    std::string description;
  };
  std::vector<Split> splits;
  std::vector<std::pair<std::string, std::string>> properties;
  std::string resume_params;
};

const char* OutcomeName(psp_outcome outcome);  // "succeeded", "unknown", …
const char* StateName(psp_state state);        // "authorized", "refund_pending", …
const char* OpKindName(psp_op_kind kind);      // "authorize", "sync_refund", …

// ---- libraries and instances -----------------------------------------------------------------

// A loaded adapter library. Libraries are never unloaded (RTLD_NODELETE semantics): code of an
// adapter may still be referenced by a late callback, and unloading buys nothing in a server.
class Library {
 public:
  // Loads PATH with RTLD_NOW | RTLD_LOCAL and checks the ABI: the entry symbol exists, it accepts
  // this host's major version, the table reports the same major, is at least the v1.0 size, has
  // every required function, a valid name and the threading model this host supports. Loading the
  // same file twice returns the same Library.
  static Result<std::shared_ptr<const Library>> Open(const std::string& path);

  const std::string& path() const { return path_; }
  const psp_adapter_v1& table() const { return *table_; }
  std::string name() const { return table_->name; }
  std::string version() const { return table_->adapter_version ? table_->adapter_version : ""; }
  uint64_t capabilities() const { return table_->capabilities; }
  bool Has(uint64_t capability) const { return (table_->capabilities & capability) != 0; }

  Library(std::string path, const psp_adapter_v1* table) : path_(std::move(path)), table_(table) {}

 private:
  std::string path_;
  const psp_adapter_v1* table_;
};

// Looks a secret up by name; nullopt when the host has no such secret.
using SecretLookup = std::function<std::optional<std::string>(const std::string& name)>;
// Receives adapter log lines (level is PSP_LOG_*), already redacted of known secrets.
using LogSink = std::function<void(int level, const std::string& adapter, const std::string& line)>;

struct InstanceOptions {
  std::string config_json = "{}";
  std::string environment = "test";  // "test" or "live"
  SecretLookup secrets;              // may be empty: no secrets
  LogSink log;                       // may be empty: logs dropped
};

// A configured adapter instance (one merchant account). Thread-safe: Run and Webhook may be called
// concurrently (the ABI requires reentrant adapters).
class Adapter {
 public:
  // Runs validate_config then instance_create. A refusal is kInvalidArgument with the adapter's
  // field errors in the message.
  static Result<std::unique_ptr<Adapter>> Create(std::shared_ptr<const Library> library,
                                                 InstanceOptions options);
  // validate_config only.
  static Status Validate(const Library& library, const InstanceOptions& options);
  ~Adapter();
  Adapter(const Adapter&) = delete;
  Adapter& operator=(const Adapter&) = delete;

  const Library& library() const { return *library_; }

  // Drives one operation to its end through `transport` (at most 32 steps), then applies the host
  // checks: an outcome must be set; after a request that got no answer (or a 5xx) the outcome may
  // not be FAILED/DECLINED (it becomes UNKNOWN and a contract violation is recorded); after a
  // request that was never sent it may only be NOT_SUBMITTED or UNKNOWN; a "processed" amount that
  // differs from a capture's or refund's request is an integrity failure. A non-OK Status means the
  // call itself failed (unsupported op, invalid input, adapter bug): nothing is known to have been
  // sent unless result.requests_sent says so — callers that get an error after requests were sent
  // must treat the operation as unknown.
  Result<OpResult> Run(const OpRequest& request, Transport& transport) const;

  // Verifies and parses one webhook delivery. kInvalidArgument when the body cannot be parsed.
  Result<OpResult> Webhook(const std::string& method, const std::string& path,
                           const std::vector<std::pair<std::string, std::string>>& headers,
                           const std::string& raw_body) const;

  struct HostState;  // the psp_host_api given to the instance, and what it points to

 private:
  Adapter(std::shared_ptr<const Library> library, std::unique_ptr<HostState> host);

  std::shared_ptr<const Library> library_;
  std::unique_ptr<HostState> host_;
  psp_instance* instance_ = nullptr;
};

}  // namespace splitledger::plugins
