// The orchestrated payment: an intent the service itself drives through a PSP adapter (the
// orchestration dialect, NjiaPay's "intent"), its attempts, and the PSP operations it sends.
//
// Where the Echo Intent (intent.h) is born AUTHORIZED (the platform's PSP already authorised it),
// a Payment is born before any money is held and walks
//
//   selection → pending → authorized → success | canceled | expired
//        ↑          ↓           ↘ (capture_mode immediate: straight to success)
//        └──── failed attempt (the customer may try again) ; failed when it cannot
//
// Its money lives in the same ledger as Echo intents: once authorised, an Echo Intent with the
// payment's id and line items holds the authorisation; captures, voids, expiries and refunds are
// that intent's capture, cancel and refund (service/handlers_payments.cc).
//
// Every call to a PSP is a PspOperation, recorded durably *before* the call (state kRecorded) and
// resolved after it (kDone, kFailed) — or kUnknown when its answer was lost, which only a sync
// through the adapter may resolve (never reported as failed). Rules here are pure: plans from
// (payment, operation, result) to new statuses and one ledger effect; the service applies them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "splitledger/core/entities.h"
#include "splitledger/core/intent.h"
#include "splitledger/core/money.h"
#include "splitledger/core/status.h"

namespace splitledger {

enum class PaymentStatus : int64_t {
  kSelection = 0,  // created: waiting for the customer to choose and pay
  kPending = 1,    // an attempt is with the PSP (or the customer, for 3-D Secure)
  kAuthorized = 2,
  kSuccess = 3,   // captured
  kCanceled = 4,  // authorisation cancelled by the merchant
  kExpired = 5,   // authorisation window passed before a capture
  kFailed = 6,    // no attempt can succeed any more
};
const char* PaymentStatusName(PaymentStatus s);  // "selection", … (the wire spelling is NjiaPay's)

enum class AttemptStatus : int64_t {
  kInitiated = 0,
  kPending = 1,
  kAuthorized = 2,
  kSuccess = 3,
  kFailed = 4,
  kCanceled = 5,
  kExpired = 6,
};
const char* AttemptStatusName(AttemptStatus s);

enum class CaptureMode : int64_t { kImmediate = 0, kPreferDelay = 1 };
const char* CaptureModeName(CaptureMode m);  // "immediate", "prefer_delay"
std::optional<CaptureMode> ParseCaptureMode(std::string_view name);

// One connection's payment: scalars only (a described entity), its lines as an encoded blob.
struct Payment {
  std::string id;  // UUID; also the id of its Echo intent once authorised
  std::string client_id;
  std::string environment;  // "test" | "live": the key's, and the connection's
  std::string connection;   // the adapter instance driving it
  Amount amount = 0;
  std::string currency;
  std::string reference_id;
  std::string purchaser_id;
  std::string return_url;
  bool allow_remember_credentials = false;
  int64_t capture_mode = 0;          // CaptureMode requested
  int64_t applied_capture_mode = 0;  // what the PSP applied (prefer_delay may become immediate)
  int64_t status = 0;                // PaymentStatus
  Bytes lines;                       // EncodeLines(): the line items (seller, fee) to post
  bool lines_given = false;          // false: one line for the whole amount, no seller
  int64_t created_at = 0;            // unix seconds
  int64_t updated_at = 0;
  int64_t authorized_at = 0;
  int64_t expires_at = 0;  // authorised: when the authorisation lapses (0: none)
  int64_t authorization_window_s = 0;
  int64_t current_attempt = 0;  // the attempt in play (0: none yet)
  std::string psp_payment_ref;  // the PSP's id of the current attempt's payment
  std::string failure_reason;   // the last failed attempt's reason
  bool ledger_intent = false;   // the Echo intent exists (the authorisation was posted)
  bool needs_sync = false;      // a PSP webhook said it changed: sync it (durably queued)
  int64_t pending_syncs = 0;    // syncs while pending with nothing open (backoff)

  PaymentStatus state() const { return static_cast<PaymentStatus>(status); }
  bool terminal() const;
};
template <class V>
void Describe(V& v, Payment& p) {
  v.Field("id", p.id);
  v.Field("client_id", p.client_id);
  v.Field("environment", p.environment);
  v.Field("connection", p.connection);
  v.Field("amount", p.amount);
  v.Field("currency", p.currency);
  v.Field("reference_id", p.reference_id);
  v.Field("purchaser_id", p.purchaser_id);
  v.Field("return_url", p.return_url);
  v.Field("allow_remember_credentials", p.allow_remember_credentials);
  v.Field("capture_mode", p.capture_mode);
  v.Field("applied_capture_mode", p.applied_capture_mode);
  v.Field("status", p.status);
  v.Field("lines", p.lines);
  v.Field("lines_given", p.lines_given);
  v.Field("created_at", p.created_at);
  v.Field("updated_at", p.updated_at);
  v.Field("authorized_at", p.authorized_at);
  v.Field("expires_at", p.expires_at);
  v.Field("authorization_window_s", p.authorization_window_s);
  v.Field("current_attempt", p.current_attempt);
  v.Field("psp_payment_ref", p.psp_payment_ref);
  v.Field("failure_reason", p.failure_reason);
  v.Field("ledger_intent", p.ledger_intent);
  v.Field("needs_sync", p.needs_sync);
  v.Field("pending_syncs", p.pending_syncs);
}

// A customer's try at paying (NjiaPay's attempt): integer id, one PSP payment.
struct PaymentAttempt {
  int64_t id = 0;
  std::string payment_id;
  std::string client_id;
  std::string method = "card";
  int64_t status = 0;  // AttemptStatus
  std::string failure_reason;
  std::string psp_payment_ref;
  std::string psp_payment_id;  // what we sent as the PSP's merchant reference
  std::string action_url;      // 3-D Secure or a PSP-hosted page, while pending
  int64_t created_at = 0;
  int64_t updated_at = 0;

  AttemptStatus state() const { return static_cast<AttemptStatus>(status); }
};
template <class V>
void Describe(V& v, PaymentAttempt& a) {
  v.Field("id", a.id);
  v.Field("payment_id", a.payment_id);
  v.Field("client_id", a.client_id);
  v.Field("method", a.method);
  v.Field("status", a.status);
  v.Field("failure_reason", a.failure_reason);
  v.Field("psp_payment_ref", a.psp_payment_ref);
  v.Field("psp_payment_id", a.psp_payment_id);
  v.Field("action_url", a.action_url);
  v.Field("created_at", a.created_at);
  v.Field("updated_at", a.updated_at);
}

enum class PspOpKind : int64_t {
  kAuthorize = 0,
  kCompleteAuth = 1,  // after the customer's 3-D Secure step
  kCapture = 2,
  kVoid = 3,  // cancel-authorization, or an expiry
  kRefund = 4,
  kSync = 5,  // a payment's state read because a webhook said it changed
};
const char* PspOpKindName(PspOpKind k);

enum class PspOpState : int64_t {
  kRecorded = 0,  // durable, the call is about to be made or in flight (a crash: sync it)
  kUnknown = 1,   // sent, the answer lost: sync until resolved
  kDone = 2,      // the PSP did it
  kFailed = 3,    // the PSP refused it, or provably never received it: no money moved
};
const char* PspOpStateName(PspOpState s);

// One request to a PSP on a payment's behalf. `id` is the operation id the adapter sends as the
// PSP's idempotency key: a sync or a resend after a lost answer reuses it, so one request of the
// merchant never becomes two operations at the PSP.
struct PspOperation {
  std::string id;
  std::string payment_id;
  std::string client_id;
  int64_t attempt_id = 0;
  int64_t kind = 0;   // PspOpKind
  int64_t state = 0;  // PspOpState
  Amount amount = 0;
  bool expiry = false;  // a void sent because the authorisation lapsed
  // Refunds (NjiaPay's refund object): integer id, reason, status.
  int64_t refund_number = 0;
  std::string reason;
  std::string psp_refund_ref;
  std::string refund_status;  // "pending", "success", "failed"
  std::string outcome;        // the adapter's last outcome ("unknown", …)
  std::string error_code;
  std::string error_message;
  int64_t syncs = 0;         // syncs and resends made after an unknown answer
  int64_t next_sync_at = 0;  // unix ms: when the reconciler may look again
  int64_t created_at = 0;    // unix seconds
  int64_t updated_at = 0;

  PspOpKind op() const { return static_cast<PspOpKind>(kind); }
  PspOpState phase() const { return static_cast<PspOpState>(state); }
  bool open() const { return phase() == PspOpState::kRecorded || phase() == PspOpState::kUnknown; }
};
template <class V>
void Describe(V& v, PspOperation& o) {
  v.Field("id", o.id);
  v.Field("payment_id", o.payment_id);
  v.Field("client_id", o.client_id);
  v.Field("attempt_id", o.attempt_id);
  v.Field("kind", o.kind);
  v.Field("state", o.state);
  v.Field("amount", o.amount);
  v.Field("expiry", o.expiry);
  v.Field("refund_number", o.refund_number);
  v.Field("reason", o.reason);
  v.Field("psp_refund_ref", o.psp_refund_ref);
  v.Field("refund_status", o.refund_status);
  v.Field("outcome", o.outcome);
  v.Field("error_code", o.error_code);
  v.Field("error_message", o.error_message);
  v.Field("syncs", o.syncs);
  v.Field("next_sync_at", o.next_sync_at);
  v.Field("created_at", o.created_at);
  v.Field("updated_at", o.updated_at);
}

// An API key of the orchestration dialect: a client's, for one environment. Only the SHA-256 of
// the key is kept (keys are 256-bit random strings: a salt would add nothing but a lookup cost).
struct ApiKey {
  std::string key_hash;  // hex SHA-256 of the key
  std::string client_id;
  std::string environment;  // "test" | "live"
  std::string prefix;       // the key's first characters, to recognise it in a list
  int64_t created_at = 0;
  int64_t revoked_at = 0;  // 0: active
};
template <class V>
void Describe(V& v, ApiKey& k) {
  v.Field("key_hash", k.key_hash);
  v.Field("client_id", k.client_id);
  v.Field("environment", k.environment);
  v.Field("prefix", k.prefix);
  v.Field("created_at", k.created_at);
  v.Field("revoked_at", k.revoked_at);
}

// An endpoint of a client's for notifications of its payments (the orchestration dialect's
// webhooks). Every active secret signs each delivery, newest first: during a rotation the
// receiver may check either. Secrets are kept in clear: signing needs them.
struct WebhookEndpoint {
  std::string id;
  std::string client_id;
  std::string environment = "test";  // it hears of this environment's payments only
  std::string url;
  int64_t naming = 0;                // WebhookNaming
  std::vector<std::string> secrets;  // newest first, at most kMaxWebhookSecrets
  int64_t created_at = 0;
  int64_t updated_at = 0;
  bool removed = false;
};
template <class V>
void Describe(V& v, WebhookEndpoint& e) {
  v.Field("id", e.id);
  v.Field("client_id", e.client_id);
  v.Field("environment", e.environment);
  v.Field("url", e.url);
  v.Field("naming", e.naming);
  v.Field("secrets", e.secrets);
  v.Field("created_at", e.created_at);
  v.Field("updated_at", e.updated_at);
  v.Field("removed", e.removed);
}
inline constexpr size_t kMaxWebhookSecrets = 2;
inline constexpr size_t kMaxWebhookEndpoints = 10;               // per client and environment
enum class WebhookNaming : int64_t { kPascal = 0, kSnake = 1 };  // StatusChange | status_change
enum class WebhookEvent : int64_t { kStatusChange = 0, kCancelation = 1, kRefund = 2 };
enum class DeliveryState : int64_t { kPending = 0, kDelivered = 1, kAbandoned = 2 };

// One notification to one endpoint: what happened (rendered by the dialect, the same bytes at
// every attempt) and how its delivery goes. Messages of one (endpoint, event) go out in order.
struct WebhookMessage {
  int64_t id = 0;
  std::string client_id;
  std::string environment;
  std::string endpoint_id;
  int64_t event = 0;       // WebhookEvent
  int64_t created_at = 0;  // unix seconds
  std::string intent_id;
  std::string reference_id;
  std::string purchaser_id;
  Amount amount = 0;  // the intent's; a refund's for kRefund
  std::string currency;
  std::string status;       // the intent's status, or the refund's
  std::string refund_type;  // kRefund: "full" | "partial"
  int64_t refund_id = 0;
  int64_t state = 0;  // DeliveryState
  int64_t attempts = 0;
  int64_t next_attempt_at = 0;  // unix ms
  int64_t last_status = 0;      // the receiver's last HTTP status (0: no answer)
  std::string last_error;
  int64_t delivered_at = 0;

  WebhookEvent kind() const { return static_cast<WebhookEvent>(event); }
  DeliveryState phase() const { return static_cast<DeliveryState>(state); }
};
template <class V>
void Describe(V& v, WebhookMessage& m) {
  v.Field("id", m.id);
  v.Field("client_id", m.client_id);
  v.Field("environment", m.environment);
  v.Field("endpoint_id", m.endpoint_id);
  v.Field("event", m.event);
  v.Field("created_at", m.created_at);
  v.Field("intent_id", m.intent_id);
  v.Field("reference_id", m.reference_id);
  v.Field("purchaser_id", m.purchaser_id);
  v.Field("amount", m.amount);
  v.Field("currency", m.currency);
  v.Field("status", m.status);
  v.Field("refund_type", m.refund_type);
  v.Field("refund_id", m.refund_id);
  v.Field("state", m.state);
  v.Field("attempts", m.attempts);
  v.Field("next_attempt_at", m.next_attempt_at);
  v.Field("last_status", m.last_status);
  v.Field("last_error", m.last_error);
  v.Field("delivered_at", m.delivered_at);
}

// A PSP webhook event already received (deduplication: a PSP redelivers). Only a trigger: the
// payment is synced through the adapter before anything is posted.
struct PspEvent {
  std::string key;  // connection + "|" + the adapter's event id
  std::string connection;
  std::string event_id;
  std::string payment_id;  // ours, when the event named a payment we know
  int64_t received_at = 0;
};
template <class V>
void Describe(V& v, PspEvent& e) {
  v.Field("key", e.key);
  v.Field("connection", e.connection);
  v.Field("event_id", e.event_id);
  v.Field("payment_id", e.payment_id);
  v.Field("received_at", e.received_at);
}

// ---- rules -----------------------------------------------------------------------------------

// What a create asks for, validated by CheckPayment.
struct PaymentInput {
  Amount amount = 0;
  std::string currency;
  std::string reference_id;
  std::string purchaser_id;
  std::string return_url;
  bool allow_remember_credentials = false;
  CaptureMode capture_mode = CaptureMode::kImmediate;
  std::string connection;
  std::vector<LineItemInput> lines;  // empty: one line for the whole amount
};

// Every field problem of a create (field name, message), empty when it is valid. `environment`
// "live" requires an https return_url.
std::vector<std::pair<std::string, std::string>> CheckPayment(const PaymentInput& in,
                                                              std::string_view environment);

// The lines an authorisation posts: the given ones, or one line of the whole amount.
std::vector<LineItemInput> PaymentLines(const Payment& p);
Bytes EncodeLines(const std::vector<LineItemInput>& lines);
bool DecodeLines(const Bytes& bytes, std::vector<LineItemInput>* out);

// What a PSP said, reduced to what the rules need (the adapter's psp_outcome / psp_state).
enum class PspVerdict {
  kAuthorized,      // funds held
  kCaptured,        // captured (an immediate authorisation, a capture, or a sync finding it so)
  kVoided,          // a void succeeded, or the PSP expired the authorisation
  kRefunded,        // a refund succeeded
  kPending,         // accepted, final later (a pending refund too)
  kActionRequired,  // the customer must act (action_url)
  kDeclined,        // definitive refusal, no money moved
  kNotSubmitted,    // provably never reached the PSP
  kUnknown,         // sent, answer lost: sync
};

// The ledger effect of a resolved operation (one per result, applied by the service).
enum class LedgerEffect { kNone, kAuthorize, kAuthorizeAndCapture, kCapture, kVoid, kRefund };

struct PaymentTransition {
  PaymentStatus payment = PaymentStatus::kSelection;
  AttemptStatus attempt = AttemptStatus::kInitiated;
  PspOpState op = PspOpState::kRecorded;
  LedgerEffect effect = LedgerEffect::kNone;
  std::string refund_status;  // refunds: "pending" | "success" | "failed"
};

// The statuses after `verdict` on `op` of payment `p` (its attempt `attempt`). Pure. A verdict
// that does not fit the operation (a refund "authorized") leaves everything as it is and the
// operation unknown, so a sync looks again rather than guessing.
PaymentTransition PlanPspResult(const Payment& p, const PaymentAttempt& attempt,
                                const PspOperation& op, PspVerdict verdict);

// Whether an operation of this kind may start on the payment now; the refusal's message is the
// dialect's 422 text (the seed page's words for cancel-authorization).
Status CheckCanStart(const Payment& p, PspOpKind kind, Amount amount, Amount refundable,
                     int64_t now_s);

}  // namespace splitledger
