// The service layer's vocabulary: a closed set of typed commands and results (DESIGN §2, §3).
//
// A command is data: everything its effect depends on is in it or in the State, including ids
// and the time (fixed on the request thread), so applying it is a pure function of
// (state, command) — what a log replay needs. Each command has one handler (handlers.h):
//   Preflight(command, caller)  pure checks on the request thread, no shared state;
//   Apply(context, command)     on the sequencer thread, against the State: either changes
//                               nothing and returns an error, or makes the whole change;
// and its Outcome carries a typed value (a snapshot, never a pointer into the State), which a
// dialect renders on the request thread after the effects are durable.
//
// Adding an operation: a struct here, its entry in Command (and a value in Value if it returns
// something new), its Preflight/Apply in a handlers_*.cc; see docs/architecture.md.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "splitledger/core/entities.h"
#include "splitledger/core/intent.h"
#include "splitledger/core/money.h"
#include "splitledger/core/payment.h"
#include "splitledger/core/settlement.h"
#include "splitledger/core/settlement_file.h"
#include "splitledger/core/status.h"

namespace splitledger::service {

// A value on the heap with value semantics (copies deep-copy). The large entities (a User is
// about 1.3 KB of strings) travel boxed so that commands and outcomes stay small: every command
// is queued, every outcome handed over between threads.
template <class T>
class Box {
 public:
  Box() : p_(std::make_unique<T>()) {}
  Box(T value) : p_(std::make_unique<T>(std::move(value))) {}  // NOLINT: implicit by design
  Box(const Box& o) : p_(std::make_unique<T>(*o.p_)) {}
  Box(Box&&) noexcept = default;
  Box& operator=(const Box& o) {
    *p_ = *o.p_;
    return *this;
  }
  Box& operator=(Box&&) noexcept = default;
  T& operator*() { return *p_; }
  const T& operator*() const { return *p_; }
  T* operator->() { return p_.get(); }
  const T* operator->() const { return p_.get(); }

 private:
  std::unique_ptr<T> p_;  // never null, except in a moved-from Box
};

// Who asks, and when (fixed on the request thread).
struct Caller {
  std::string client_id;
  int64_t now_ms = 0;
};

// ---- clients and credentials ----------------------------------------------------------------
// Creates the client (with its FEES_/CREDIT_ wallets in `currency`) or replaces its API key.
// The key arrives hashed: hashing is request-thread work.
struct PutClientCredentials {
  std::string client_id;
  std::string api_key_salt;
  std::string api_key_hash;
  std::string currency = "EUR";
  // The same key as the orchestration dialect's bearer key (PutApiKey), when set: its SHA-256,
  // its environment and its first characters.
  std::string bearer_key_hash;
  std::string environment = "test";
  std::string key_prefix;
};
// The salt and hash of a client's key, to check a presented key off the writer.
struct GetCredentials {
  std::string client_id;
};
// Stores a token for a client whose key the request thread checked against `api_key_hash`
// (refused if the key changed in between).
struct IssueToken {
  std::string client_id;
  std::string api_key_hash;
  std::string token_hash;
  int64_t expires_at = 0;
  // Issued through the mTLS listener: the presented certificate's fingerprint, which must be an
  // active certificate of `client_id`; the token is then bound to it (RFC 8705).
  std::string cert_fingerprint;
};
struct FindToken {
  std::string token_hash;
};
struct GetClient {};

// ---- client certificates (mTLS) ---------------------------------------------------------------
// Registers a certificate to the caller's client (`cert.client_id` is set from the caller). The
// same active certificate again is accepted and changes nothing; a fingerprint revoked, or
// registered to another client, is refused.
struct AddClientCertificate {
  ClientCertificate cert;
};
// Revokes one of the caller's certificates, at once (bound tokens stop working with it).
struct RevokeClientCertificate {
  std::string fingerprint;
};
struct ListClientCertificates {};
// The certificate with this fingerprint, whoever owns it (the request thread's lookup).
struct FindClientCertificate {
  std::string fingerprint;
};
// Sets the profile fields named in `fields` (Describe names of Client) from `patch`.
struct UpdateClient {
  Box<Client> patch;
  std::vector<std::string> fields;
};

// ---- console users ----------------------------------------------------------------------------
// Creates a console user or replaces its password (the hash is made where it was typed).
struct PutAdminUser {
  AdminUser user;
};
// The user of that name, to check a password on the request thread (kUnauthenticated when
// unknown or disabled).
struct FindAdminUser {
  std::string name;
};
// Disables (or enables again) a console user; a disabled user's sessions end at their next page.
struct SetAdminUserDisabled {
  std::string name;
  bool disabled = true;
};

// ---- users ----------------------------------------------------------------------------------
struct CreateUser {
  Box<User> user;  // id assigned by the caller
  // When false, the category follows the data: OWNER if the identity fields KYC needs are all
  // there, PAYER otherwise. A natural user's capacity defaults to NORMAL.
  bool category_given = false;
};
struct UpdateUser {
  std::string user_id;
  PersonType person_type = PersonType::kNatural;  // the route's kind; another kind is refused
  Box<User> patch;
  std::vector<std::string> fields;  // Describe names of User taken from `patch`
};
struct GetUser {
  std::string user_id;
  std::optional<PersonType> person_type;  // set: a user of the other kind is refused
};

// ---- wallets --------------------------------------------------------------------------------
struct CreateWallet {
  Wallet wallet;  // id assigned by the caller; owners must be users of the caller
};
struct UpdateWallet {
  std::string wallet_id;
  Wallet patch;
  std::vector<std::string> fields;  // "description", "tag"
};
struct GetWallet {
  std::string wallet_id;
};
struct ListUserWallets {
  std::string user_id;
};
struct ListUserTransactions {
  std::string user_id;
};
struct ListWalletTransactions {
  std::string wallet_id;
};
struct ListClientWallets {
  std::optional<ClientFunds> funds;
};
struct GetClientWallet {
  ClientFunds funds = ClientFunds::kFees;
  std::string currency;
};
struct ListClientWalletTransactions {
  ClientFunds funds = ClientFunds::kFees;
  std::string currency;
};

// ---- intents --------------------------------------------------------------------------------
struct CreateIntent {
  Box<CreateIntentInput> input;
  std::string intent_id;              // used unless the lines join a mixed basket
  std::vector<std::string> line_ids;  // one per input line
};
struct CaptureIntent {
  std::string intent_id;
  ActionInput input;
  std::string capture_id;
};
struct CancelIntent {
  std::string intent_id;
  ActionInput input;
  std::string cancel_id;
};
struct GetIntent {
  std::string intent_id;
};
// Refunds and disputes (Echo §8.4–8.5): partial when `input.partial`, full otherwise.
struct RefundIntent {
  std::string intent_id;
  ActionInput input;
  std::string refund_id;
};
struct ReverseRefund {
  std::string intent_id;
  std::string refund_id;
  ActionInput input;
  std::string reversal_id;
};
struct DisputeCapture {
  std::string intent_id;
  std::string capture_id;
  ActionInput input;
  std::string dispute_id;
};
struct DecideDispute {
  std::string intent_id;
  std::string capture_id;
  std::string dispute_id;
  DisputeDecision decision = DisputeDecision::kDefended;
};

// ---- splits and the escrow wallet (Echo §8.6, §9.4) -----------------------------------------
struct CreateSplits {
  std::string intent_id;
  std::vector<SplitInput> splits;
  std::vector<std::string> split_ids;  // one per split
};
struct GetSplit {
  std::string intent_id;
  std::string split_id;
};
struct UpdateSplit {
  std::string intent_id;
  std::string split_id;
  SplitPatch patch;
};
struct ExecuteSplit {
  std::string intent_id;
  std::string split_id;
};
struct ReverseSplit {
  std::string intent_id;
  std::string split_id;
};
// Executes every AVAILABLE split whose TransferDate has passed (all clients; run by the server
// now and then). Returns nothing; a split the escrow wallet cannot pay becomes REJECTED.
struct ExecuteDueSplits {};
// Money arrived on the caller's escrow wallet (recorded by an operator: the admin endpoint or
// `splitledger escrow receive`). Once per (currency, reference): the same again answers the
// receipt and changes nothing; the reference with another amount is refused.
struct ReceiveEscrowFunds {
  std::string currency;
  Amount amount = 0;
  std::string reference;
};

// ---- settlements (Echo §10.8, §11) ------------------------------------------------------------
// A new settlement waiting for its file. The upload URL's token is drawn and hashed on the
// request thread; only the hash reaches the writer.
struct CreateSettlement {
  std::string settlement_id;
  std::string file_name;  // as stored: the name sent with the creation time appended
  std::string upload_token_hash;
};
// Another upload URL for the settlement (earlier ones keep working).
struct NewSettlementUploadUrl {
  std::string settlement_id;
  std::string file_name;
  std::string upload_token_hash;
};
struct GetSettlement {
  std::string settlement_id;
};
struct CancelSettlement {
  std::string settlement_id;
};
// A file PUT to an upload URL, parsed on the request thread. The caller is anonymous: the token
// decides, and the settlement's client is the one whose intents are matched.
struct UploadSettlementFile {
  std::string settlement_id;
  std::string upload_token_hash;
  Box<SettlementFile> file;
};

// ---- hooks and their deliveries (Echo §6.4) ---------------------------------------------------
struct CreateHook {
  Box<Hook> hook;  // id and created_at assigned by the caller
};
struct UpdateHook {
  std::string hook_id;
  std::optional<std::string> url;
  std::optional<bool> enabled;
  std::optional<std::string> tag;
};
struct GetHook {
  std::string hook_id;
};
struct ListHooks {};
// The delivery worker's side (no client: it serves them all). Deliveries due at `now_ms`, at most
// `limit`, at most one per resource (the oldest pending one: a resource's notifications go out in
// order), to the hook's current URL; a disabled hook's wait and hold nothing back.
struct TakeDueDeliveries {
  int64_t limit = 64;
};
struct DeliveryResult {
  int64_t delivery_id = 0;
  bool delivered = false;
  std::string error;  // why not (HTTP status or transport error)
};
// Attempts made. A failure schedules the next attempt after retry_delays_ms[attempts − 1]; past
// the schedule's end the notification is abandoned. After `max_failures` failures in a row the
// hook turns INVALID and DISABLED and its pending deliveries are abandoned.
struct RecordDeliveries {
  std::vector<DeliveryResult> results;
  std::vector<int64_t> retry_delays_ms;
  int64_t max_failures = 100;
};

// ---- orchestrated payments (core/payment.h; the orchestration dialect) ----------------------
// An API key of the orchestration dialect; the client's other active keys of that environment are
// revoked (a client has one key per environment; `client create` makes it).
struct PutApiKey {
  ApiKey key;
};
// The active key with this hash (kUnauthenticated otherwise): the request thread's lookup.
struct FindApiKey {
  std::string key_hash;
};
// A new payment in `selection`. Id, environment, connection and authorisation window are fixed by
// the caller; a reference_id already used in the environment is refused (kAlreadyExists).
struct CreatePayment {
  Box<Payment> payment;
};
// kNotFound for an unknown id, kPermissionDenied for another client's payment (the orchestration
// dialect tells them apart: 404 and 403).
struct GetPayment {
  std::string payment_id;
};
// Records a PSP operation before it is sent: the payment must allow it (CheckCanStart) and have
// no other operation open; an authorisation opens a new attempt. Returns the view with `op` set.
struct BeginPspOperation {
  PspOperation op;             // id, payment_id, kind, amount (refunds), reason, expiry
  std::string psp_payment_id;  // authorisations: the merchant reference sent to the PSP
};
// What the adapter said about an operation, reduced by the orchestrator.
struct PspReport {
  PspVerdict verdict = PspVerdict::kUnknown;
  std::string outcome;  // the adapter's outcome name, for the record
  std::string psp_payment_ref;
  std::string psp_refund_ref;
  std::string failure_reason;  // NjiaPay's spelling ("CardDeclined")
  std::string error_code;
  std::string error_message;
  std::string action_url;
  std::optional<CaptureMode> applied_capture_mode;
};
// The outcome of an open operation: applies PlanPspResult and its ledger effect. An operation
// that is no longer open is left alone (a late or repeated result). Still unknown: the next sync
// is due at `next_sync_at` (unix ms).
struct RecordPspResult {
  std::string op_id;
  PspReport report;
  int64_t next_sync_at = 0;
};
// The reconciler's work at `now_ms` (all clients): open operations not in `in_flight` whose next
// sync is due, and authorised payments whose window has passed with no operation open.
struct ListDuePspWork {
  std::vector<std::string> in_flight;
  int64_t limit = 64;
  int64_t pending_sync_s = 30;  // payments pending with nothing open, untouched this long
};

// Webhook endpoints of the orchestration dialect. A URL the client already has gets the secret
// added in front (a rotation: every secret signs until a newer one pushes it out).
// Without a secret, an endpoint that exists keeps its secrets (a naming change), a new one gets
// `generated_secret`. At most kMaxWebhookEndpoints per client and environment.
struct PutWebhookEndpoint {
  std::string endpoint_id;  // used when the URL is new
  std::string url;
  std::string secret;            // "" = none given
  std::string generated_secret;  // drawn on the request thread, used for a new URL without one
  WebhookNaming naming = WebhookNaming::kPascal;
  std::string environment = "test";
};
// Removes the endpoint; its undelivered messages are abandoned with it.
struct RemoveWebhookEndpoint {
  std::string url;
  std::string environment = "test";
};
struct ListWebhookEndpoints {
  std::string environment = "test";
};
// The webhook worker's side (all clients): messages due now, at most one per (endpoint, event)
// — the oldest pending one, so each event type is delivered in order.
struct TakeDueWebhooks {
  int64_t limit = 64;
};
struct WebhookAttempt {
  int64_t message_id = 0;
  bool delivered = false;
  int64_t http_status = 0;  // 0: no answer
  std::string error;
};
// Attempts made. A failure retries after first_delay_ms, doubling up to max_delay_ms, until
// give_up_after_s from the message's creation (then abandoned).
struct RecordWebhookAttempts {
  std::vector<WebhookAttempt> attempts;
  int64_t first_delay_ms = 10000;
  int64_t max_delay_ms = 600000;
  int64_t give_up_after_s = 7 * 86400;
};

// Events a PSP's webhook carried, verified and parsed by the connection's adapter. Each is
// recorded once (a redelivery is a duplicate); the result names the payments to sync — nothing is
// posted from a webhook itself.
struct PspEventInput {
  std::string event_id;
  std::string psp_payment_ref;
  std::string payment_id;  // the merchant reference we sent
};
struct ReceivePspEvents {
  std::string connection;
  std::vector<PspEventInput> events;
};

// ---- idempotency ----------------------------------------------------------------------------
struct GetStoredResponse {
  std::string key;
};
// A request the dialect could not turn into a command (malformed JSON, a field of the wrong
// type). It changes nothing; under an Idempotency-Key its refusal is stored like any outcome,
// because a key is spent whatever its first answer was (Service::Refuse).
struct Refused {};

using Command = std::variant<
    PutClientCredentials, GetCredentials, IssueToken, FindToken, GetClient, UpdateClient,
    AddClientCertificate, RevokeClientCertificate, ListClientCertificates, FindClientCertificate,
    PutAdminUser, FindAdminUser, SetAdminUserDisabled, CreateUser, UpdateUser, GetUser,
    CreateWallet, UpdateWallet, GetWallet, ListUserWallets, ListUserTransactions,
    ListWalletTransactions, ListClientWallets, GetClientWallet, ListClientWalletTransactions,
    CreateIntent, CaptureIntent, CancelIntent, GetIntent, RefundIntent, ReverseRefund,
    DisputeCapture, DecideDispute, CreateSplits, GetSplit, UpdateSplit, ExecuteSplit, ReverseSplit,
    ExecuteDueSplits, ReceiveEscrowFunds, CreateSettlement, NewSettlementUploadUrl, GetSettlement,
    CancelSettlement, UploadSettlementFile, CreateHook, UpdateHook, GetHook, ListHooks,
    TakeDueDeliveries, RecordDeliveries, PutApiKey, FindApiKey, CreatePayment, GetPayment,
    BeginPspOperation, RecordPspResult, ListDuePspWork, PutWebhookEndpoint, RemoveWebhookEndpoint,
    ListWebhookEndpoints, TakeDueWebhooks, RecordWebhookAttempts, ReceivePspEvents,
    GetStoredResponse, Refused>;

// ---- results (values, snapshots taken on the writer) ----------------------------------------
struct Credentials {
  std::string client_id;
  std::string api_key_salt;
  std::string api_key_hash;
};
struct TokenGrant {
  std::string client_id;
  int64_t expires_at = 0;
  std::string cert_fingerprint;  // empty: not bound to a certificate
};
struct CertificateList {
  std::vector<ClientCertificate> items;
};
struct WalletView {
  Wallet wallet;
  Amount balance = 0;
};
struct ClientWalletView {
  ClientWallet wallet;
  Amount balance = 0;
};
struct WalletList {
  std::vector<WalletView> items;
};
struct ClientWalletList {
  std::vector<ClientWalletView> items;
};
// A money movement of a wallet: an executed split's transfer out of the escrow wallet (to the
// seller, or its fee to the client's FEES wallet), or a refund taking it back.
struct TransactionView {
  std::string id;
  std::string nature;     // "REGULAR" (the transfer), "REFUND" (taken back)
  std::string author_id;  // the seller
  std::string debited_wallet_id;
  std::string credited_wallet_id;
  std::string currency;
  Amount debited = 0;   // DebitedFunds
  Amount fees = 0;      // Fees (kept by the platform out of DebitedFunds)
  Amount credited = 0;  // CreditedFunds
  int64_t created_at = 0;
  std::string tag;  // the split's description
};
struct TransactionList {
  std::vector<TransactionView> items;  // oldest first
};
// The action a result is about (the dialect shows its id: Echo's `Capture: {Id}`, …).
enum class IntentAction : int64_t {
  kNone = 0,
  kCapture = 1,
  kCancel = 2,
  kRefund = 3,
  kRefundReversal = 4,
  kDispute = 5,
  kDisputeDecision = 6,  // action_id: the dispute decided
};
struct IntentView {
  Intent intent;
  IntentFigures figures;  // every amount shown, from the ledger
  IntentAction action = IntentAction::kNone;
  std::string action_id;  // the capture, cancel, refund, reversal or dispute this is about
};
// An IntentView in its binary form (core/codec.h), taken on the writer straight from the State:
// one allocation instead of a deep copy of the intent, and a thread-local one to decode on the
// request thread (measured: the deep copy cost the ledger bench a quarter of its throughput).
struct IntentSnapshot {
  std::string bytes;
  int layout = 2;  // 1: written by release 0.3 or earlier (an idempotency record)
};
bool DecodeIntentView(const IntentSnapshot& snapshot, IntentView* out);

// A split as the dialects show it: the split and what it takes from its intent and line.
struct SplitView {
  Split split;
  std::string intent_id;
  std::string line_item_id;
  std::string seller_id;  // the line's Seller.AuthorId
  std::string wallet_id;  // the line's Seller.WalletId
};
struct SplitList {
  std::vector<SplitView> items;
};
struct EscrowReceipt {
  std::string currency;
  Amount amount = 0;
  Amount balance = 0;                   // the escrow wallet's balance after the funds
  Amount unallocated = 0;               // of the funds received, what no settlement has taken yet
  std::vector<std::string> reconciled;  // settlements these funds completed
  bool already_recorded = false;        // the reference was recorded before: nothing changed
};
struct SettlementView {
  Settlement settlement;
  Amount funded = 0;         // received so far (ledger)
  Amount funds_missing = 0;  // ActualSettlementAmount − funded while it awaits funds, else 0
};

// An orchestrated payment with its attempts and operations, and its money as the ledger has it.
struct PaymentView {
  Payment payment;
  std::vector<PaymentAttempt> attempts;  // oldest first
  std::vector<PspOperation> operations;  // oldest first (refunds among them)
  Amount captured = 0;                   // from the ledger (0 before the authorisation is posted)
  Amount refunded = 0;                   // from the ledger
  Amount refundable = 0;                 // captured − refunded − refunds still open at the PSP
  std::optional<PspOperation> op;        // BeginPspOperation / RecordPspResult: the operation
  const PaymentAttempt* Attempt(int64_t id) const {
    for (const PaymentAttempt& a : attempts) {
      if (a.id == id) return &a;
    }
    return nullptr;
  }
};
struct PspWorkItem {
  Payment payment;
  std::optional<PaymentAttempt> attempt;
  // Empty: the payment's authorisation expired, or it is pending with nothing open (to sync).
  std::optional<PspOperation> op;
  Amount refunded = 0;  // ledger refunds of the payment (refund syncs compare totals)
};
struct PspWork {
  std::vector<PspWorkItem> items;
};
// What ReceivePspEvents did: the payments (and their clients) to sync, and how many events were
// seen before.
struct PspEventsReceived {
  int64_t to_sync = 0;  // payments marked to sync (the reconciler does it)
  int64_t received = 0;
  int64_t duplicates = 0;
  int64_t unknown = 0;  // about no payment of ours
};
struct WebhookEndpointList {
  std::vector<WebhookEndpoint> items;
};
struct DueWebhook {
  WebhookMessage message;
  std::string url;
  WebhookNaming naming = WebhookNaming::kPascal;
  std::vector<std::string> secrets;
};
struct DueWebhooks {
  std::vector<DueWebhook> items;
};

struct HookList {
  std::vector<Hook> items;
};
// A notification to send, as the worker needs it.
struct DueDelivery {
  int64_t id = 0;
  std::string url;
  std::string event_type;
  std::string resource_id;
  int64_t date = 0;
};
struct DeliveryBatch {
  std::vector<DueDelivery> items;
};

// GET /events (not a command: it reads the projection, off the writer).
struct EventFilter {
  std::string event_type;  // empty: all
  int64_t after_date = INT64_MIN;
  int64_t before_date = INT64_MAX;
  bool newest_first = false;
  int64_t offset = 0;
  int64_t limit = 10;
};
struct EventItem {
  std::string resource_id;
  std::string event_type;
  int64_t date = 0;
};
struct EventList {
  std::vector<EventItem> items;
  int64_t total = 0;
};

// What an Idempotency-Key stored: the typed outcome (decode with DecodeOutcome), or, for
// records of release 0.1, the rendered response.
struct StoredResponse {
  std::string request_url;
  int64_t created_at = 0;
  std::string outcome;  // binary; empty for a 0.1 record
  int legacy_status = 0;
  std::string legacy_content_type;
  std::string legacy_body;
};
// The key was used before (Echo answers 409 whatever the request).
struct IdempotencyConflict {
  std::string resource_id;  // what the first request created, when it did
  bool same_request = false;
};

using Value =
    std::variant<std::monostate, Credentials, TokenGrant, Box<Client>, Box<User>, WalletView,
                 WalletList, ClientWalletView, ClientWalletList, TransactionList, IntentSnapshot,
                 StoredResponse, IdempotencyConflict, SplitView, SplitList, EscrowReceipt,
                 Box<SettlementView>, Box<Hook>, HookList, DeliveryBatch, CertificateList,
                 Box<AdminUser>, Box<PaymentView>, PspWork, ApiKey, WebhookEndpoint,
                 WebhookEndpointList, DueWebhooks, PspEventsReceived>;

// One error about one field (validation reports every bad field at once).
struct FieldError {
  FieldRef field;
  std::string message;
};

struct Outcome {
  Status status;                   // OK, or why not
  std::vector<FieldError> errors;  // more detail for kInvalidArgument, may be empty
  Value value;

  bool ok() const { return status.ok(); }
  static Outcome Error(Status s) { return Outcome{std::move(s), {}, {}}; }
  static Outcome Invalid(std::vector<FieldError> errors) {
    std::string first = errors.empty() ? "invalid request" : errors.front().message;
    FieldRef f = errors.empty() ? FieldRef() : errors.front().field;
    return Outcome{Status::Invalid(std::move(first), std::move(f)), std::move(errors), {}};
  }
  template <class T>
  static Outcome Of(T value) {
    return Outcome{Status::Ok(), {}, Value(std::move(value))};
  }
};

// Binary form of an outcome, as idempotency records keep it. Only outcomes of creating
// commands need it (User, WalletView, IntentView, Client, errors); others encode their status.
std::string EncodeOutcome(const Outcome& outcome);
bool DecodeOutcome(std::string_view bytes, Outcome* out);

}  // namespace splitledger::service
