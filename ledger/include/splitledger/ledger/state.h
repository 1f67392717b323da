// State: everything the single writer holds in memory, and what changed since the last commit.
//
// The sequencer thread is the only one that touches a State. Commands mutate it through the
// methods below, which record what must be written; the sequencer hands TakeChanges() to the
// Store inside one database transaction. If that commit fails, the State is rebuilt from the
// database (Store::Load), so memory never runs ahead of disk.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "splitledger/core/entities.h"
#include "splitledger/core/intent.h"
#include "splitledger/core/payment.h"
#include "splitledger/core/settlement.h"
#include "splitledger/ledger/journal.h"
#include "splitledger/ledger/string_arena.h"

namespace splitledger::ledger {

struct TokenRecord {
  std::string token_hash;  // hex SHA-256 of the bearer token; the token itself is never stored
  std::string client_id;
  int64_t expires_at = 0;
  // RFC 8705: the SHA-256 fingerprint (hex) of the client certificate the token was issued
  // through on the mTLS listener; the token is accepted only with that certificate. Empty: an
  // unbound token.
  std::string cert_fingerprint;
};

// What an Idempotency-Key (Echo §4.1) saw, written in the same batch as the effects it
// describes. `result` is the command's typed result in the service's binary form; the dialect
// renders it on the request thread, the first time and at every replay, so the writer never
// renders. Records written by release 0.1 carry the rendered response instead (`body`, with
// `status_code`, `content_type` and `resource_id`) and an empty `result`.
struct IdempotencyRecord {
  std::string client_id;
  std::string key;
  std::string request_hash;
  int64_t status_code = 0;
  std::string content_type;
  std::string body;
  std::string request_url;
  std::string resource_id;
  int64_t created_at = 0;
  Bytes result;
};

struct EventRecord {
  int64_t id = 0;
  std::string client_id;
  std::string event_type;
  std::string resource_id;
  int64_t date = 0;
};

// One notification to deliver (the outbox, Echo §6.4): written in the batch of the event it
// announces, so it is durable exactly when the event is.
struct HookDelivery {
  int64_t id = 0;  // ascending: per resource, deliveries go out in this order
  std::string client_id;
  std::string hook_id;
  int64_t event_id = 0;
  std::string event_type;
  std::string resource_id;
  int64_t date = 0;
  std::string url;  // the hook's URL when the event happened
  int64_t attempts = 0;
  int64_t next_attempt_at = 0;  // unix ms
  int64_t delivered_at = 0;     // 0: not yet
  bool abandoned = false;       // the hook turned INVALID before it went out
  std::string last_error;       // of the last failed attempt
  bool pending() const { return delivered_at == 0 && !abandoned; }
};

// One described entity type kept whole in memory by key, with the keys changed since the last
// TakeChanges (in first-change order). Pointers stay valid: the map never moves its values.
template <class T>
class EntitySet {
 public:
  const T* Find(const std::string& key) const {
    auto it = items_.find(key);
    return it == items_.end() ? nullptr : &it->second;
  }
  void Put(const std::string& key, T value) {
    if (dirty_set_.insert(key).second) dirty_.push_back(key);
    items_[key] = std::move(value);
  }
  void Load(const std::string& key, T value) { items_[key] = std::move(value); }
  bool dirty() const { return !dirty_.empty(); }
  std::vector<const T*> TakeDirty() {
    std::vector<const T*> out;
    for (const std::string& k : dirty_) out.push_back(&items_.at(k));
    dirty_.clear();
    dirty_set_.clear();
    return out;
  }
  void Clear() {
    items_.clear();
    dirty_.clear();
    dirty_set_.clear();
  }
  const std::map<std::string, T>& all() const { return items_; }

 private:
  std::map<std::string, T> items_;
  std::vector<std::string> dirty_;
  std::set<std::string> dirty_set_;
};

// Where the writer reads back an intent it no longer holds in memory: the projection (Store
// implements it). Called on the sequencer thread only, for intents the State has dropped
// (State::TrimIntents), which the projection holds whole. A failure is a storage failure: the
// State throws, the sequencer fails the batch and reloads (sequencer.h).
class IntentSource {
 public:
  virtual ~IntentSource() = default;
  // The intent, or nullopt when this client has none with this id.
  virtual Result<std::optional<Intent>> ReadIntent(std::string_view client_id,
                                                   std::string_view intent_id) = 0;
  // The id of the client's intent whose ExternalData carries this reference from this provider
  // (compared case-insensitively), or nullopt.
  virtual Result<std::optional<std::string>> FindIntentIdByReference(
      std::string_view client_id, std::string_view provider, std::string_view reference) = 0;
};

// A set of 64-bit hashes in one flat array (open addressing): tells, without a read, that a key
// was never stored. A hit is only a "maybe" (hashes may collide): the caller looks further.
class HashFilter {
 public:
  void Insert(uint64_t hash);
  bool MayContain(uint64_t hash) const;
  void Clear();

 private:
  std::vector<uint64_t> slots_;  // 0: empty; capacity a power of two, at most half full
  size_t count_ = 0;
};

// What a batch of commands changed, for Store::Write.
struct ChangeSet {
  // Views of the Book's accounts (stable: the Book never moves an account).
  std::vector<const Account*> new_accounts;
  std::vector<const Account*> changed_accounts;  // existing accounts whose totals moved
  std::vector<JournalTx> transactions;
  std::vector<const Intent*> new_intents;                         // insert: created in this batch
  std::vector<const Intent*> intents;                             // upsert the intent row
  std::vector<std::pair<const Intent*, size_t>> new_lines;        // insert: added in this batch
  std::vector<std::pair<const Intent*, size_t>> lines;            // upsert these line rows
  std::vector<std::pair<const Intent*, size_t>> actions;          // insert these action records
  std::vector<std::pair<const Intent*, size_t>> changed_actions;  // rewrite these (new status)
  std::vector<std::pair<const Intent*, size_t>> splits;           // upsert these split rows
  std::vector<const Settlement*> settlements;                     // upsert these
  std::vector<const Hook*> hooks;                                 // upsert these
  std::vector<HookDelivery> deliveries;                           // upsert these (copies)
  std::vector<const Client*> clients;
  std::vector<TokenRecord> tokens;
  std::vector<const ClientCertificate*> certificates;  // upsert these
  std::vector<const AdminUser*> admin_users;           // upsert these
  std::vector<const Payment*> payments;                // upsert these (orchestration)
  std::vector<const PaymentAttempt*> attempts;
  std::vector<const PspOperation*> psp_operations;
  std::vector<const ApiKey*> api_keys;
  std::vector<const WebhookEndpoint*> webhook_endpoints;
  std::vector<WebhookMessage>
      webhook_messages;  // upsert these (copies: delivered ones leave memory)
  std::vector<const PspEvent*> psp_events;
  std::vector<const IdempotencyRecord*> idempotency;
  std::vector<const User*> users;
  std::vector<const Wallet*> wallets;
  std::vector<const Wallet*> new_wallets;  // also index their owners
  std::vector<const ClientWallet*> client_wallets;
  std::vector<EventRecord> events;

  bool empty() const {
    return new_accounts.empty() && changed_accounts.empty() && transactions.empty() &&
           intents.empty() && new_intents.empty() && clients.empty() && tokens.empty() &&
           idempotency.empty() && users.empty() && wallets.empty() && client_wallets.empty() &&
           events.empty() && settlements.empty() && hooks.empty() && deliveries.empty() &&
           certificates.empty() && admin_users.empty() && payments.empty() && attempts.empty() &&
           psp_operations.empty() && api_keys.empty() && webhook_endpoints.empty() &&
           webhook_messages.empty() && psp_events.empty();
  }
  size_t postings() const;
};

class State {
 private:
  struct IntentEntry {
    Intent intent;
    uint64_t lsn = 0;         // the log record of its last mutable access: kept until projected
    bool referenced = false;  // used since the clock hand last passed (second chance)
    bool created = false;     // created by the batch being applied: the tables lack its row
  };
  using IntentMap = std::unordered_map<std::string, IntentEntry>;

 public:
  // The intents held in memory (all of them unless a cache bound is set), as (key, intent).
  class IntentsView {
   public:
    class iterator {
     public:
      explicit iterator(IntentMap::const_iterator it) : it_(it) {}
      std::pair<const std::string&, const Intent&> operator*() const {
        return {it_->first, it_->second.intent};
      }
      iterator& operator++() {
        ++it_;
        return *this;
      }
      bool operator!=(const iterator& o) const { return it_ != o.it_; }

     private:
      IntentMap::const_iterator it_;
    };
    explicit IntentsView(const IntentMap& map) : map_(map) {}
    iterator begin() const { return iterator(map_.begin()); }
    iterator end() const { return iterator(map_.end()); }
    size_t size() const { return map_.size(); }

   private:
    const IntentMap& map_;
  };

  Book& book() { return book_; }
  const Book& book() const { return book_; }

  // --- intents ---
  const Intent* FindIntent(std::string_view client_id, std::string_view intent_id) const;
  // The intent with this PSP reference (mixed basket, §8.1), or nullptr.
  const Intent* FindIntentByReference(std::string_view client_id, std::string_view provider,
                                      std::string_view reference) const;
  // Stores a new intent (no lines yet) or returns the existing one for mutation. Callers must
  // follow with ApplyIntentPlan in the same command.
  Intent& InsertIntent(Intent intent);
  // The only ways to an intent that may change (with MutableIntentByKey): each pins it in
  // memory until the projection holds the current batch (SetBatchLsn).
  Intent* MutableIntent(std::string_view client_id, std::string_view intent_id);
  // Records an applied plan (on an intent from InsertIntent or MutableIntent*): the intent row, the
  // lines it touched, its new action, the existing action whose status it changed, and the splits
  // it added or changed.
  void MarkIntentChanged(const Intent& intent, const std::vector<LineDelta>& deltas,
                         bool new_action, size_t lines_before,
                         std::optional<size_t> updated_action = std::nullopt,
                         const std::vector<size_t>& touched_splits = {});
  IntentsView intents() const { return IntentsView(intents_); }

  // Bounded memory (DESIGN §3.6). With `max_intents` > 0 the writer keeps at most that many
  // intents once the projection holds them (least recently used go first, by a clock); a command
  // needing one it dropped reads it back through `source`, which must outlive the State. The
  // indexes that lead to an intent keep only keys (executed and scheduled splits, actions by PSP
  // reference), or fall back to `source` (intents by PSP reference). 0 keeps every intent (readers,
  // tools).
  void SetIntentCache(size_t max_intents, IntentSource* source);
  // The log record the commands applied next will be written in (the sequencer, per batch): an
  // intent they touch stays in memory until the projection holds that record.
  void SetBatchLsn(uint64_t lsn) { batch_lsn_ = lsn; }
  // Drops intents beyond the bound whose last change the projection holds (lsn <= projected).
  // Between batches only: pointers to dropped intents become invalid.
  void TrimIntents(uint64_t projected_lsn);
  // Intents read back from the source since the start (cache misses; the sequencer copies it
  // into its stats for /metrics).
  uint64_t intent_reads() const { return intent_reads_; }
  size_t cached_intents() const { return intents_.size(); }

  // The intent whose capture, refund or dispute carries this PSP reference, and that action's
  // index (settlement matching); nullptr when none.
  const Intent* FindActionByReference(std::string_view client_id, std::string_view provider,
                                      std::string_view reference, size_t* action_index) const;

  // Intents holding AVAILABLE splits with a TransferDate, by the earliest such date
  // (maintained by MarkIntentChanged and load): ExecuteDueSplits reads back only the intents
  // due by `now_s`, not every intent waiting for a date.
  std::vector<std::string> DueIntents(int64_t now_s) const;
  // Recomputes an intent's next date from its splits dated after `after` (drops it when none
  // is left).
  void Schedule(const std::string& intent_key, const Intent& intent, int64_t after = INT64_MIN);
  void Unschedule(const std::string& intent_key);
  Intent* MutableIntentByKey(const std::string& key);

  // Executed splits paying into a wallet (`wallet_id`: a wallet's id, or "FEES_EUR" for the
  // client's fees wallet), in execution order: the transfers its transaction list shows.
  void NoteExecutedSplit(const Intent& intent, const Split& split);
  std::vector<std::pair<const Intent*, const Split*>> ExecutedSplitsInto(
      std::string_view client_id, std::string_view wallet_id) const;

  // Escrow funds already recorded under a reference (per client and currency): a wire is recorded
  // once, however often an operator or a retrying CLI sends it. nullptr: not yet.
  const Amount* FindEscrowReceipt(std::string_view client_id, std::string_view currency,
                                  std::string_view reference) const;
  void NoteEscrowReceipt(std::string_view client_id, std::string_view currency,
                         std::string_view reference, Amount amount);

  // --- settlements ---
  // Finders return nullptr for an unknown id (FindSettlement: or one of another client).
  const Settlement* FindSettlement(std::string_view client_id, std::string_view id) const;
  const Settlement* FindSettlementById(std::string_view id) const;  // any client (upload URLs)
  void PutSettlement(Settlement settlement);                        // insert or replace
  // A client's settlements in creation order.
  std::vector<const Settlement*> SettlementsOf(std::string_view client_id) const;

  // --- clients and tokens ---
  const Client* FindClient(std::string_view id) const;
  void PutClient(Client client);  // insert or replace
  const TokenRecord* FindToken(std::string_view token_hash) const;
  void PutToken(TokenRecord token);
  const std::map<std::string, Client>& clients() const { return clients_; }
  // Client certificates by fingerprint (any client: the caller checks the owner).
  const ClientCertificate* FindCertificate(std::string_view fingerprint) const;
  void PutCertificate(ClientCertificate cert);  // insert or replace
  // Console users by name.
  const AdminUser* FindAdminUser(std::string_view name) const;
  void PutAdminUser(AdminUser user);  // insert or replace
  // A client's certificates in the order they were added.
  std::vector<const ClientCertificate*> CertificatesOf(std::string_view client_id) const;

  // --- orchestrated payments (core/payment.h) ---
  // nullptr for an unknown id (any client: the caller checks the owner).
  const Payment* FindPayment(std::string_view id) const;
  // The payment of this client, environment and reference_id, or nullptr.
  const Payment* FindPaymentByReference(std::string_view client_id, std::string_view environment,
                                        std::string_view reference_id) const;
  void PutPayment(Payment payment);  // insert or replace
  const PaymentAttempt* FindAttempt(int64_t id) const;
  void PutAttempt(PaymentAttempt attempt);
  int64_t NextAttemptId() { return next_attempt_id_++; }
  std::vector<const PaymentAttempt*> AttemptsOf(std::string_view payment_id) const;
  const PspOperation* FindPspOperation(std::string_view id) const;
  void PutPspOperation(PspOperation op);
  std::vector<const PspOperation*> PspOperationsOf(std::string_view payment_id) const;
  int64_t NextRefundNumber() { return next_refund_number_++; }
  // Operations still open (recorded or unknown), by id: what the reconciler looks at.
  const std::set<std::string>& OpenPspOperations() const { return open_psp_ops_; }
  // Authorised payments by when their authorisation lapses: (expires_at, id).
  const std::set<std::pair<int64_t, std::string>>& Expiring() const { return expiring_; }
  // Payments in `pending` (an attempt with the PSP or the customer), by id.
  const std::set<std::string>& PendingPayments() const { return pending_payments_; }
  // Payments a PSP webhook asked to sync (Payment::needs_sync), by id.
  const std::set<std::string>& PaymentsToSync() const { return payments_to_sync_; }
  const ApiKey* FindApiKey(std::string_view key_hash) const;
  void PutApiKey(ApiKey key);
  std::vector<const ApiKey*> ApiKeysOf(std::string_view client_id) const;
  // Webhook endpoints (not removed ones) of a client, oldest first; by id.
  std::vector<const WebhookEndpoint*> WebhookEndpointsOf(std::string_view client_id) const;
  const WebhookEndpoint* FindWebhookEndpoint(std::string_view id) const;
  void PutWebhookEndpoint(WebhookEndpoint endpoint);
  // Messages not yet delivered nor abandoned, by id (a delivered one leaves memory; its row stays).
  const std::map<int64_t, WebhookMessage>& PendingWebhooks() const { return pending_webhooks_; }
  void PutWebhookMessage(WebhookMessage message);  // assigns an id to a new one (id 0)
  // PSP webhook events seen (the last days': older ones are not kept in memory).
  const PspEvent* FindPspEvent(const std::string& key) const { return psp_events_.Find(key); }
  void PutPspEvent(PspEvent e) {
    std::string key = e.key;
    psp_events_.Put(key, std::move(e));
  }
  void LoadPspEvent(PspEvent e) {
    std::string key = e.key;
    psp_events_.Load(key, std::move(e));
  }
  // The payment whose attempt carries this merchant reference or PSP reference on a connection.
  const Payment* FindPaymentByPspRef(std::string_view connection, std::string_view ref) const;

  // --- idempotency ---
  const IdempotencyRecord* FindIdempotency(std::string_view client_id, std::string_view key) const;
  void PutIdempotency(IdempotencyRecord record);

  // --- users and wallets (typed entities, core/entities.h) ---
  // Finders return nullptr for an unknown id or one of another client.
  const User* FindUser(std::string_view client_id, std::string_view id) const;
  void PutUser(User user);  // insert or replace
  const Wallet* FindWallet(std::string_view client_id, std::string_view id) const;
  void PutWallet(Wallet wallet);  // insert or replace; owners are fixed at creation
  // Wallets owned by a user, in creation order.
  std::vector<const Wallet*> WalletsOfOwner(std::string_view client_id,
                                            std::string_view owner) const;
  const ClientWallet* FindClientWallet(std::string_view client_id, ClientFunds funds,
                                       std::string_view currency) const;
  void PutClientWallet(ClientWallet wallet);
  // A client's wallets in creation order.
  std::vector<const ClientWallet*> ClientWallets(std::string_view client_id) const;

  // --- events and hooks ---
  // Records an event, and its delivery when the client has an enabled, valid hook for its type.
  void AddEvent(std::string client_id, std::string event_type, std::string resource_id,
                int64_t date);
  int64_t next_event_id() const { return next_event_id_; }
  // Events are written, not kept (GET /events reads the projection: Store::QueryEvents).
  const Hook* FindHook(std::string_view client_id, std::string_view id) const;
  const Hook* FindHookForEvent(std::string_view client_id, std::string_view event_type) const;
  void PutHook(Hook hook);  // insert or replace; one per (client, event type)
  std::vector<const Hook*> HooksOf(std::string_view client_id) const;  // creation order
  // Deliveries not yet delivered nor abandoned, by id.
  const std::map<int64_t, HookDelivery>& PendingDeliveries() const { return pending_deliveries_; }
  // Replaces a pending delivery (an attempt recorded); a delivered or abandoned one leaves the
  // pending set (its row keeps it).
  void PutDelivery(HookDelivery delivery);

  // --- batch support ---
  bool HasChanges() const;
  ChangeSet TakeChanges();
  void Clear();

  // Loading (Store::Load) bypasses change tracking.
  void LoadIntent(Intent intent);
  void LoadClient(Client c) { clients_[c.id] = std::move(c); }
  void LoadToken(TokenRecord t) { tokens_[t.token_hash] = std::move(t); }
  void LoadCertificate(ClientCertificate c) { certificates_[c.fingerprint] = std::move(c); }
  void LoadAdminUser(AdminUser u) { admin_users_[u.name] = std::move(u); }
  void LoadPayment(Payment p);
  void LoadAttempt(PaymentAttempt a);
  void LoadPspOperation(PspOperation op);
  void LoadWebhookEndpoint(WebhookEndpoint e) {
    std::string id = e.id;
    webhook_endpoints_.Load(id, std::move(e));
  }
  void LoadWebhookMessage(WebhookMessage m);
  void SetNextWebhookId(int64_t next) { next_webhook_id_ = std::max(next_webhook_id_, next); }
  void LoadApiKey(ApiKey k) {
    std::string key = k.key_hash;  // not k.key_hash itself: k is moved from in the same call
    api_keys_.Load(key, std::move(k));
  }
  void LoadIdempotency(IdempotencyRecord r);
  void LoadUser(User u);
  void LoadWallet(Wallet w);
  void LoadClientWallet(ClientWallet w);
  void LoadSettlement(Settlement s);
  void LoadHook(Hook h);
  void LoadDelivery(HookDelivery d);
  void SetNextDeliveryId(int64_t next) { next_delivery_id_ = std::max(next_delivery_id_, next); }
  void SetNextEventId(int64_t next) { next_event_id_ = next; }

 private:
  static std::string IntentKey(std::string_view client, std::string_view id);
  static std::string RefKey(std::string_view client, std::string_view provider,
                            std::string_view ref);

  // The cached intent with this key (client|id), read back from the source when the State
  // dropped it; nullptr when there is none. Marks it used. Throws when the source fails.
  IntentEntry* FetchIntent(std::string_view client_id, std::string_view intent_id) const;
  IntentEntry* FetchIntentByKey(const std::string& key) const;
  // Holds an intent in memory: the map, the clock and the reference indexes of cached intents.
  IntentEntry& CacheIntent(std::string key, Intent intent);
  // Indexes and caches an intent: one the current batch creates (`creating`), or one loaded.
  IntentEntry& StoreIntent(Intent intent, bool creating);
  // The reverse of CacheIntent's indexing, before an intent leaves memory.
  void UnindexIntent(const std::string& key, const Intent& intent);

  Book book_;
  // The cache and what points into it are filled on reads too (FetchIntent), hence `mutable`:
  // a State belongs to one thread and is never a const object.
  mutable IntentMap intents_;                         // client|id
  mutable std::deque<IntentMap::value_type*> clock_;  // every cached intent once, hand at front
  size_t max_intents_ = 0;                            // 0: no bound
  IntentSource* source_ = nullptr;
  uint64_t batch_lsn_ = 0;
  mutable uint64_t intent_reads_ = 0;
  HashFilter known_intents_;  // hashes of every stored intent's key, dropped ones included
  HashFilter known_refs_;     // hashes of every stored intent's RefKey
  // client|PROVIDER|ref -> key, for cached intents (the source answers for dropped ones)
  mutable std::unordered_map<std::string, std::string> intent_by_ref_;
  std::map<std::string, Client> clients_;
  std::unordered_map<std::string, TokenRecord> tokens_;
  std::map<std::string, ClientCertificate> certificates_;  // fingerprint
  std::vector<std::string> dirty_certificates_;
  std::set<std::string> dirty_certificate_set_;
  std::map<std::string, AdminUser> admin_users_;  // name
  std::vector<std::string> dirty_admin_users_;
  std::set<std::string> dirty_admin_user_set_;
  std::unordered_map<std::string, IdempotencyRecord> idempotency_;  // client|key
  EntitySet<Payment> payments_;                                     // id
  EntitySet<PaymentAttempt> attempts_;                              // decimal id
  EntitySet<PspOperation> psp_ops_;                                 // id
  EntitySet<ApiKey> api_keys_;                                      // key hash
  EntitySet<WebhookEndpoint> webhook_endpoints_;                    // id
  std::map<int64_t, WebhookMessage> pending_webhooks_;
  EntitySet<PspEvent> psp_events_;
  std::unordered_map<std::string, std::string> payment_by_psp_ref_;  // connection|ref -> id
  void IndexAttemptRefs(const PaymentAttempt& a);
  std::vector<WebhookMessage> changed_webhooks_;
  int64_t next_webhook_id_ = 1;
  std::unordered_map<std::string, std::string> payment_by_ref_;  // client|env|reference -> id
  std::unordered_map<std::string, std::vector<int64_t>> attempts_by_payment_;
  std::unordered_map<std::string, std::vector<std::string>> ops_by_payment_;
  std::set<std::string> open_psp_ops_;
  std::set<std::pair<int64_t, std::string>> expiring_;
  std::set<std::string> pending_payments_;
  std::set<std::string> payments_to_sync_;
  int64_t next_attempt_id_ = 1001;
  int64_t next_refund_number_ = 1;
  void IndexPayment(const Payment* before, const Payment& p);
  std::unordered_map<std::string, User> users_;      // id
  std::unordered_map<std::string, Wallet> wallets_;  // id
  std::unordered_map<std::string, std::vector<std::string>>
      wallets_by_owner_;                                          // client|owner -> ids
  std::unordered_map<std::string, ClientWallet> client_wallets_;  // client|funds|currency
  std::unordered_map<std::string, std::vector<std::string>> client_wallet_order_;  // client -> keys
  int64_t next_event_id_ = 1;
  // An action carrying a PSP reference: 24 bytes, its intent's key in `action_keys_`.
  struct ActionRef {
    const char* intent_key = nullptr;
    uint32_t key_size = 0;
    uint32_t index = 0;  // in Intent::actions
    int64_t created_at = 0;
    std::string_view key() const { return {intent_key, key_size}; }
  };
  // Hash of client|PROVIDER|ref -> every action carrying it, over every stored intent
  // (IndexActions). Keyed by hash, not by the string (a few hundred bytes less per action with a
  // reference): a lookup checks each candidate action's own reference.
  mutable std::unordered_multimap<uint64_t, ActionRef> action_by_ref_;
  mutable StringArena action_keys_;
  std::unordered_map<std::string, Settlement> settlements_;  // id
  std::unordered_map<std::string, int64_t> scheduled_;       // intent key -> next TransferDate
  std::set<std::pair<int64_t, std::string>> due_order_;      // (next TransferDate, intent key)
  std::unordered_map<std::string, Amount> escrow_receipts_;  // client|CUR|reference -> amount
  // client|wallet -> (intent key, split id), in execution order
  std::unordered_map<std::string, std::vector<std::pair<std::string, std::string>>> executed_into_;
  std::unordered_map<std::string, std::vector<std::string>> settlement_order_;  // client -> ids
  std::unordered_map<std::string, Hook> hooks_;                                 // id
  std::unordered_map<std::string, std::string> hook_by_type_;                   // client|type -> id
  std::unordered_map<std::string, std::vector<std::string>> hook_order_;        // client -> ids
  std::map<int64_t, HookDelivery> pending_deliveries_;
  int64_t next_delivery_id_ = 1;
  std::vector<std::string> dirty_hooks_;
  std::set<std::string> dirty_hook_set_;
  std::vector<HookDelivery> changed_deliveries_;
  std::vector<std::string> dirty_settlements_;
  std::set<std::string> dirty_settlement_set_;
  void IndexActions(const std::string& key, const Intent& intent, size_t from) const;

  // Pending changes since the last TakeChanges().
  std::vector<std::string> dirty_intents_;
  // Each dirty intent's line count when the batch first changed it: the lines the tables hold.
  // Lines past it (dirty_new_lines_), and intents the batch created (IntentEntry::created), are
  // plain inserts.
  std::map<std::string, size_t> dirty_intent_lines_;
  std::vector<std::pair<std::string, size_t>> dirty_new_lines_;
  std::vector<std::pair<std::string, size_t>> dirty_lines_;
  std::set<std::pair<std::string, size_t>> dirty_line_set_;
  std::vector<std::pair<std::string, size_t>> new_actions_;
  std::vector<std::pair<std::string, size_t>> changed_actions_;
  std::vector<std::pair<std::string, size_t>> dirty_splits_;
  std::set<std::pair<std::string, size_t>> dirty_split_set_;
  std::set<std::pair<std::string, size_t>> changed_action_set_;
  std::vector<std::string> dirty_clients_;
  std::set<std::string> dirty_client_set_;
  std::vector<TokenRecord> new_tokens_;
  std::vector<std::string> new_idempotency_;
  std::vector<std::string> dirty_users_;
  std::set<std::string> dirty_user_set_;
  std::vector<std::string> dirty_wallets_;
  std::set<std::string> dirty_wallet_set_;
  std::vector<std::string> new_wallets_;
  std::vector<std::string> new_client_wallets_;
  std::vector<EventRecord> new_events_;
};

}  // namespace splitledger::ledger
