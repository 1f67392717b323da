/* psp_adapter.h — the splitledger PSP adapter ABI, version 1.0.
 *
 * A PSP adapter is a shared library (.so) that translates splitledger's payment operations into one
 * payment service provider's HTTP API. It exports exactly one symbol, psp_adapter_get_api(), that
 * returns a table of function pointers. The adapter never performs IO: it *describes* HTTP requests,
 * the host sends them (holding TLS keys and client certificates, enforcing timeouts) and feeds the
 * responses back. Each operation is therefore a small state machine driven by op_step().
 *
 * Plain C11, standard headers only, so adapters can be written in C, C++, Rust or anything with a
 * C FFI. See docs/plugins.md for the author's guide and plugins/examples/minimal for a template.
 *
 * ---------------------------------------------------------------------------------------------
 * VERSIONING
 *   - The host calls psp_adapter_get_api(PSP_ABI_MAJOR). An adapter built for another major
 *     version MUST return NULL; the host also refuses a table whose abi_major differs.
 *   - Every struct that crosses the boundary starts with `uint32_t struct_size`, set by whoever
 *     fills the struct to sizeof() of the version it was compiled against. Within a major version
 *     structs and tables only ever grow at the end (append-only). A reader checks struct_size
 *     (PSP_HAS_FIELD) before touching a field that was added in a later minor version.
 *   - The host refuses a table smaller than the v1.0 table (PSP_ADAPTER_V1_0_SIZE).
 *
 * OWNERSHIP (nothing is ever freed across the boundary)
 *   - Every psp_str / psp_bytes / psp_kv / struct passed INTO the adapter is borrowed: valid only
 *     until that call returns. Copy what you need to keep.
 *   - Strings are UTF-8 with an explicit length and are NOT necessarily NUL-terminated.
 *   - Results go OUT through the host's result sink (psp_host_api setters). Each setter copies its
 *     arguments before returning, so the adapter may pass pointers to its stack.
 *   - A psp_http_request filled by op_step() points into memory the ADAPTER owns; it must stay
 *     valid until the next op_step() or op_end() on the same op.
 *   - psp_instance and psp_op are opaque and adapter-owned; the host releases them only through
 *     instance_destroy() and op_end().
 *
 * THREADING
 *   - threading == PSP_THREADING_REENTRANT is required in v1: op_begin(), op_step() on different
 *     ops and webhook_verify_parse() may run concurrently on one instance from many threads.
 *   - One psp_op is driven by one thread at a time (not always the same thread).
 *   - instance_destroy() is never called while anything else runs on that instance, and only
 *     after op_end() of every op of that instance.
 *   - Host callbacks are thread-safe, but a sink may be used only during the adapter call that
 *     received it; host_api functions only during some adapter call.
 *
 * ERRORS AND OUTCOMES (three separate channels)
 *   1. psp_rc: did the *call* work? Non-OK only for contract or adapter failures (bad input from
 *      the host, unsupported operation, a config the adapter refuses, a bug). Never for a decline.
 *   2. psp_outcome (set_outcome): what happened to the *money* in this operation.
 *      Rule: only an explicit success or failure from the PSP is terminal; anything else is
 *      PENDING or UNKNOWN. A transport failure before the request left the host is NOT_SUBMITTED
 *      (safe to retry); a timeout or a 5xx after sending is UNKNOWN — NEVER failed — and obliges
 *      the host to sync until it resolves.
 *   3. psp_error (set_error): the provider's detail — code, message, a normalised code, retryable.
 *   No exception, longjmp or signal may cross the boundary: C++ adapters catch everything in every
 *   exported function (the C++ helper psp_adapter.hpp does this for you).
 * -------------------------------------------------------------------------------------------- */
#ifndef SPLITLEDGER_PSP_ADAPTER_H_
#define SPLITLEDGER_PSP_ADAPTER_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PSP_ABI_MAJOR 1
#define PSP_ABI_MINOR 0

#if defined(_WIN32)
#define PSP_EXPORT __declspec(dllexport)
#else
#define PSP_EXPORT __attribute__((visibility("default")))
#endif

/* True when a struct filled by the other side is large enough to hold `field`. */
#define PSP_HAS_FIELD(ptr, type, field) \
  ((ptr)->struct_size >= offsetof(type, field) + sizeof(((type*)0)->field))

/* ---- plain values -------------------------------------------------------------------------- */

typedef struct psp_str { const char* ptr; size_t len; } psp_str;       /* borrowed UTF-8 view */
typedef struct psp_bytes { const uint8_t* ptr; size_t len; } psp_bytes; /* borrowed bytes */
typedef struct psp_kv { psp_str key; psp_str value; } psp_kv;           /* header, property */

/* Integer minor units of an ISO 4217 currency (EUR 2 decimals, JPY 0, KWD 3). */
typedef struct psp_money {
  int64_t minor;
  char currency[4]; /* three upper-case letters and a NUL */
} psp_money;

/* Call-level status: did the call itself work? (NOT the payment outcome) */
typedef enum psp_rc {
  PSP_OK = 0,
  PSP_E_INVALID_ARG = 1, /* the host passed something the contract forbids */
  PSP_E_UNSUPPORTED = 2, /* operation or feature not offered (see capabilities) */
  PSP_E_CONFIG = 3,      /* configuration refused; details went to the error sink */
  PSP_E_BAD_STATE = 4,   /* call out of order (op_step after DONE, …) */
  PSP_E_PARSE = 5,       /* input could not be parsed (webhook body, …) */
  PSP_E_INTERNAL = 6     /* a bug or resource exhaustion inside the adapter */
} psp_rc;

/* What happened to the money in one operation. */
typedef enum psp_outcome {
  PSP_OUT_NONE = 0,            /* not set (a DONE without an outcome is a contract breach) */
  PSP_OUT_SUCCEEDED = 1,       /* done as requested: captured, refunded, voided, synced */
  PSP_OUT_AUTHORIZED = 2,      /* funds held; capture or void comes later */
  PSP_OUT_PENDING = 3,         /* accepted; the final state arrives by webhook or sync */
  PSP_OUT_ACTION_REQUIRED = 4, /* the customer must act (redirect, 3DS, SCA): see set_action */
  PSP_OUT_DECLINED = 5,        /* definitive refusal, no money moved */
  PSP_OUT_FAILED = 6,          /* definitive failure at the PSP, no money moved */
  PSP_OUT_UNKNOWN = 7,         /* sent, outcome unknown (timeout, 5xx): the host MUST sync */
  PSP_OUT_NOT_SUBMITTED = 8    /* provably never reached the PSP: safe to retry */
} psp_outcome;

/* The PSP-side state of a payment or refund, reported by syncs, most operations and webhooks. */
typedef enum psp_state {
  PSP_STATE_NONE = 0,
  PSP_STATE_REQUIRES_ACTION = 1, /* created; waiting for the customer */
  PSP_STATE_PENDING = 2,
  PSP_STATE_AUTHORIZED = 3,
  PSP_STATE_CAPTURED = 4, /* (some or all) funds captured */
  PSP_STATE_VOIDED = 5,   /* authorization cancelled */
  PSP_STATE_EXPIRED = 6,  /* authorization lapsed */
  PSP_STATE_DECLINED = 7,
  PSP_STATE_FAILED = 8,
  PSP_STATE_CHARGEBACK = 9,
  PSP_STATE_REFUND_PENDING = 10,
  PSP_STATE_REFUNDED = 11, /* this refund settled */
  PSP_STATE_REFUND_FAILED = 12
} psp_state;

typedef enum psp_op_kind {
  PSP_OP_AUTHORIZE = 1,     /* create the payment; capture_mode says whether funds are held */
  PSP_OP_COMPLETE_AUTH = 2, /* the customer came back from an action; resume_params */
  PSP_OP_CAPTURE = 3,       /* amount may be less than authorized (PSP_CAP_PARTIAL_CAPTURE) */
  PSP_OP_VOID = 4,          /* cancel an authorization */
  PSP_OP_REFUND = 5,        /* amount may be partial (PSP_CAP_PARTIAL_REFUND) */
  PSP_OP_SYNC_PAYMENT = 6,  /* read the payment's state; outcome SUCCEEDED = state known */
  PSP_OP_SYNC_REFUND = 7    /* read one refund's state (psp_refund_ref) */
} psp_op_kind;

typedef enum psp_capture_mode {
  PSP_CAPTURE_IMMEDIATE = 0,
  PSP_CAPTURE_PREFER_DELAY = 1, /* delay when the payment method allows it */
  PSP_CAPTURE_MANUAL = 2        /* always hold funds until PSP_OP_CAPTURE */
} psp_capture_mode;

typedef enum psp_action_kind {
  PSP_ACT_NONE = 0,
  PSP_ACT_REDIRECT_GET = 1,  /* send the customer's browser to url */
  PSP_ACT_REDIRECT_FORM = 2, /* auto-submit a form (method, url, form fields) */
  PSP_ACT_HTML = 3,          /* render data as HTML */
  PSP_ACT_SDK_DATA = 4,      /* hand data to a client SDK */
  PSP_ACT_WAIT_WEBHOOK = 5,
  PSP_ACT_POLL_AFTER = 6 /* sync again after expires_unix_ms */
} psp_action_kind;

/* Capability bits (psp_adapter_v1.capabilities). */
#define PSP_CAP_AUTH_CAPTURE (1ull << 0)    /* separate authorize and capture */
#define PSP_CAP_PARTIAL_CAPTURE (1ull << 1) /* capture less than authorized */
#define PSP_CAP_MULTI_CAPTURE (1ull << 2)   /* several captures on one authorization */
#define PSP_CAP_VOID (1ull << 3)
#define PSP_CAP_REFUND (1ull << 4)
#define PSP_CAP_PARTIAL_REFUND (1ull << 5)
#define PSP_CAP_MULTI_REFUND (1ull << 6)
#define PSP_CAP_NATIVE_SPLIT (1ull << 7) /* the PSP settles splits itself */
#define PSP_CAP_THREEDS (1ull << 8)
#define PSP_CAP_WEBHOOKS (1ull << 9)
#define PSP_CAP_SYNC_REFUND (1ull << 10)
#define PSP_CAP_HOSTED_CHECKOUT (1ull << 11)

#define PSP_THREADING_REENTRANT 0u

/* ---- HTTP, described by the adapter and performed by the host ------------------------------- */

/* Adapter -> host. Filled by op_step() when it returns PSP_STEP_SEND; adapter-owned memory, valid
 * until the next op_step()/op_end() on the same op. */
typedef struct psp_http_request {
  uint32_t struct_size;
  psp_str method; /* "GET", "POST", … */
  psp_str url;    /* absolute http:// or https:// URL */
  const psp_kv* headers;
  size_t n_headers;
  psp_bytes body;
  psp_str tls_profile;  /* named host TLS profile ("" = default verification, no client cert) */
  uint32_t timeout_ms;  /* 0 = host default */
  int side_effecting;   /* 1: the host must never retry it on its own (e.g. a GET that captures) */
} psp_http_request;

typedef enum psp_transport {
  PSP_TRANSPORT_OK = 0,       /* a response arrived; status is set */
  PSP_TRANSPORT_NOT_SENT = 1, /* failed before any byte left (DNS, connect, TLS handshake) */
  PSP_TRANSPORT_NO_ANSWER = 2 /* sent, then timeout or connection lost: outcome unknown */
} psp_transport;

/* Host -> adapter. Borrowed for the op_step() call. */
typedef struct psp_http_response {
  uint32_t struct_size;
  int status; /* HTTP status; 0 when transport != PSP_TRANSPORT_OK */
  const psp_kv* headers;
  size_t n_headers;
  psp_bytes body;
  int transport; /* psp_transport */
} psp_http_response;

/* ---- operations ------------------------------------------------------------------------------ */

typedef struct psp_split {
  uint32_t struct_size;
  psp_str beneficiary_ref; /* the PSP's id of the beneficiary (seller) */
  psp_money amount;
  psp_str description;
} psp_split;

/* Everything borrowed for the duration of op_begin(); the adapter copies what the op needs. */
typedef struct psp_op_input {
  uint32_t struct_size;
  int kind;                /* psp_op_kind */
  psp_str operation_id;    /* host-unique, stable across retries: use as idempotency key */
  psp_str payment_id;      /* the ledger's payment (intent) id: send as the PSP reference */
  psp_str attempt_id;      /* the ledger's attempt id */
  psp_str psp_payment_ref; /* the PSP's payment id when known (empty before AUTHORIZE answers) */
  psp_str psp_refund_ref;  /* SYNC_REFUND: the PSP's refund id */
  psp_money amount;        /* the amount of this operation (capture/refund may be partial) */
  psp_str customer_ref;    /* the platform's customer (buyer) reference */
  psp_str return_url;      /* where the customer comes back after an action */
  int capture_mode;        /* psp_capture_mode */
  const psp_split* splits;
  size_t n_splits;
  const psp_kv* properties; /* provider-specific extensions, by name */
  size_t n_properties;
  psp_str resume_params; /* COMPLETE_AUTH: what came back on return_url (JSON) */
} psp_op_input;

typedef struct psp_error {
  uint32_t struct_size;
  psp_str code;         /* the provider's code ("CardDeclined") */
  psp_str message;      /* human text, no secrets, no card data */
  psp_str unified_code; /* normalised: card_declined, insufficient_funds, invalid_amount,
                           processing_error, config_error, unsupported_feature, … */
  int retryable;        /* 1 when the same request may succeed later */
  int http_status;      /* the provider's HTTP status, 0 if none */
} psp_error;

typedef struct psp_action {
  uint32_t struct_size;
  int kind; /* psp_action_kind */
  psp_str method;
  psp_str url;
  const psp_kv* form_fields;
  size_t n_form_fields;
  psp_str data;
  int64_t expires_unix_ms; /* 0 = no expiry known */
} psp_action;

/* One normalised webhook event (0..N per delivery). A webhook is a trigger, not the truth: the
 * host deduplicates by event_id and syncs before posting to the ledger. */
typedef struct psp_event {
  uint32_t struct_size;
  psp_str event_id;        /* stable id for deduplication (derived from the body if the PSP has none) */
  psp_str event_type;      /* the PSP's type, normalised to lower snake_case */
  psp_str psp_payment_ref; /* the PSP's payment id */
  psp_str payment_id;      /* the host's payment id echoed by the PSP, if any */
  psp_str psp_refund_ref;  /* for refund events */
  int state;               /* psp_state */
  psp_money amount;        /* amount the event is about (minor 0 and currency "" if none) */
} psp_event;

typedef struct psp_result_sink psp_result_sink; /* opaque, host-owned */
typedef struct psp_instance psp_instance;       /* opaque, adapter-owned */
typedef struct psp_op psp_op;                   /* opaque, adapter-owned */

enum { PSP_LOG_DEBUG = 0, PSP_LOG_INFO = 1, PSP_LOG_WARN = 2, PSP_LOG_ERROR = 3 };

/* Host services. Given to validate_config/instance_create; valid until instance_destroy. */
typedef struct psp_host_api {
  uint32_t struct_size;
  uint16_t abi_major, abi_minor;
  void* host_ctx;
  /* Logging; the host adds the adapter's name and redacts known secrets. */
  void (*log)(void* host_ctx, int level, psp_str message);
  /* Looks a secret up by name in the host's configuration. Returns 1 and a view valid until the
   * current adapter call returns, or 0 when there is no such secret. */
  int (*secret_get)(void* host_ctx, psp_str name, psp_str* out);
  int64_t (*now_unix_ms)(void* host_ctx);

  /* Result sink setters. Each copies its arguments immediately. Setting a value twice keeps the
   * last one; add_* and emit_event append. */
  void (*set_outcome)(psp_result_sink* sink, int outcome /* psp_outcome */);
  void (*set_state)(psp_result_sink* sink, int state /* psp_state */);
  /* Named references: "psp_payment_ref", "psp_refund_ref", "psp_status" (raw), "capture_mode"
   * (the one that actually applied), or any adapter-specific name. */
  void (*set_field)(psp_result_sink* sink, psp_str name, psp_str value);
  /* Named amounts: "processed" (what this op moved, the host checks it against the request),
   * "authorized", "captured", "refunded" (running totals when the PSP reports them). */
  void (*set_amount)(psp_result_sink* sink, psp_str name, psp_money amount);
  void (*set_error)(psp_result_sink* sink, const psp_error* error);
  void (*set_action)(psp_result_sink* sink, const psp_action* action);
  void (*emit_event)(psp_result_sink* sink, const psp_event* event);
  /* Webhooks: what the host answers the PSP (status and body). */
  void (*set_webhook_reply)(psp_result_sink* sink, int http_status, psp_str body);
} psp_host_api;

typedef enum psp_step { PSP_STEP_SEND = 1, PSP_STEP_DONE = 2 } psp_step;

/* The adapter's function table. Static, never freed. */
typedef struct psp_adapter_v1 {
  uint32_t struct_size;
  uint16_t abi_major, abi_minor;
  const char* name;            /* NUL-terminated, [a-z0-9_]+, e.g. "njiapay" */
  const char* adapter_version; /* semver of the adapter build */
  uint64_t capabilities;       /* PSP_CAP_* */
  uint32_t threading;          /* PSP_THREADING_REENTRANT */

  /* Checks a config without creating anything. Field problems go to set_error(sink) with the
   * field name in `code`; returns PSP_E_CONFIG when refused. */
  psp_rc (*validate_config)(const psp_host_api* host, psp_str config_json, psp_result_sink* errors);
  /* Creates an instance (one per merchant account / credential set). `environment` is "test" or
   * "live". The host keeps `host` valid until instance_destroy. */
  psp_rc (*instance_create)(const psp_host_api* host, psp_str config_json, psp_str environment,
                            psp_instance** out, psp_result_sink* errors);
  void (*instance_destroy)(psp_instance* instance);

  /* Starts an operation. Returns PSP_E_UNSUPPORTED for an operation the adapter does not offer
   * (e.g. a partial capture without PSP_CAP_PARTIAL_CAPTURE), PSP_E_INVALID_ARG for bad input. */
  psp_rc (*op_begin)(psp_instance* instance, const psp_op_input* input, psp_op** out_op);
  /* Advances the op. `response` is NULL on the first call, afterwards the answer to the request
   * of the previous SEND. Sets *out_step = PSP_STEP_SEND and fills *out_request, or
   * *out_step = PSP_STEP_DONE after writing the final outcome into `sink`. The host calls op_step
   * at most 32 times per op. */
  psp_rc (*op_step)(psp_op* op, const psp_http_response* response, psp_result_sink* sink,
                    psp_step* out_step, psp_http_request* out_request);
  /* Always called once per successful op_begin, also when the host gives up early. */
  void (*op_end)(psp_op* op);

  /* Verifies (over the raw bytes, before parsing) and parses one webhook delivery: emits 0..N
   * events and a reply. A bad signature is PSP_OK with no events and a 401 reply; an unparseable
   * body is PSP_E_PARSE. Must never crash on any input. */
  psp_rc (*webhook_verify_parse)(psp_instance* instance, psp_str method, psp_str path,
                                 const psp_kv* headers, size_t n_headers, psp_bytes raw_body,
                                 psp_result_sink* sink);
} psp_adapter_v1;

/* The size of the v1.0 table: the host refuses anything smaller. */
#define PSP_ADAPTER_V1_0_SIZE \
  (offsetof(psp_adapter_v1, webhook_verify_parse) + sizeof(void (*)(void)))

/* The only exported symbol. Returns NULL unless host_abi_major == PSP_ABI_MAJOR. */
typedef const psp_adapter_v1* (*psp_adapter_get_api_fn)(uint32_t host_abi_major);
#define PSP_ADAPTER_ENTRY_SYMBOL "psp_adapter_get_api"
PSP_EXPORT const psp_adapter_v1* psp_adapter_get_api(uint32_t host_abi_major);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SPLITLEDGER_PSP_ADAPTER_H_ */
