#include "splitledger/ledger/state.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <tuple>

#include "key_hash.h"

namespace splitledger::ledger {

size_t ChangeSet::postings() const {
  size_t n = 0;
  for (const JournalTx& tx : transactions) n += tx.postings.size();
  return n;
}

namespace {
template <class Set>
void MarkDirty(const std::string& key, std::vector<std::string>& order, Set& seen) {
  if (seen.insert(key).second) order.push_back(key);
}
std::string ClientWalletKey(std::string_view client, int64_t funds, std::string_view currency) {
  std::string k(client);
  k.push_back('|');
  k += std::to_string(funds);
  k.push_back('|');
  k.append(currency);
  return k;
}
}  // namespace

std::string State::IntentKey(std::string_view client, std::string_view id) {
  std::string k(client);
  k.push_back('|');
  k.append(id);
  return k;
}

std::string State::RefKey(std::string_view client, std::string_view provider,
                          std::string_view ref) {
  std::string k(client);
  k.push_back('|');
  for (char c : provider)
    k.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  k.push_back('|');
  k.append(ref);
  return k;
}

// ---- the intent cache -------------------------------------------------------------------------

namespace {
uint64_t KeyHash(std::string_view key) { return HashParts({key}); }
}  // namespace

void HashFilter::Insert(uint64_t hash) {
  if (hash == 0) hash = 1;
  if ((count_ + 1) * 2 > slots_.size()) {
    std::vector<uint64_t> old;
    old.swap(slots_);
    slots_.assign(std::max<size_t>(64, old.size() * 2), 0);
    count_ = 0;
    for (uint64_t h : old) {
      if (h != 0) Insert(h);
    }
  }
  size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    if (slots_[i] == hash) return;
    if (slots_[i] == 0) {
      slots_[i] = hash;
      ++count_;
      return;
    }
  }
}

bool HashFilter::MayContain(uint64_t hash) const {
  if (hash == 0) hash = 1;
  if (slots_.empty()) return false;
  size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    if (slots_[i] == hash) return true;
    if (slots_[i] == 0) return false;
  }
}

void HashFilter::Clear() {
  slots_.clear();
  count_ = 0;
}

void State::SetIntentCache(size_t max_intents, IntentSource* source) {
  max_intents_ = max_intents;
  source_ = source;
}

State::IntentEntry& State::CacheIntent(std::string key, Intent intent) {
  auto [it, inserted] = intents_.try_emplace(std::move(key));
  it->second.intent = std::move(intent);
  const Intent& in = it->second.intent;
  if (inserted) clock_.push_back(&*it);
  if (!in.external.provider_reference.empty()) {
    intent_by_ref_.emplace(
        RefKey(in.client_id, in.external.provider_name, in.external.provider_reference), it->first);
  }
  return it->second;
}

void State::UnindexIntent(const std::string& key, const Intent& intent) {
  if (intent.external.provider_reference.empty()) return;
  auto it = intent_by_ref_.find(
      RefKey(intent.client_id, intent.external.provider_name, intent.external.provider_reference));
  if (it != intent_by_ref_.end() && it->second == key) intent_by_ref_.erase(it);
}

State::IntentEntry* State::FetchIntent(std::string_view client_id,
                                       std::string_view intent_id) const {
  std::string key = IntentKey(client_id, intent_id);
  auto it = intents_.find(key);
  if (it != intents_.end()) {
    it->second.referenced = true;
    return &it->second;
  }
  if (source_ == nullptr || !known_intents_.MayContain(KeyHash(key))) return nullptr;
  auto read = source_->ReadIntent(client_id, intent_id);
  if (!read.ok()) {
    throw std::runtime_error("cannot read intent " + std::string(intent_id) +
                             " back from the projection: " + read.status().ToString());
  }
  if (!*read) return nullptr;
  ++intent_reads_;
  // Logically const: filling the cache changes no observable state (see intents_).
  IntentEntry& e = const_cast<State*>(this)->CacheIntent(std::move(key), std::move(**read));
  e.referenced = true;
  return &e;
}

State::IntentEntry* State::FetchIntentByKey(const std::string& key) const {
  size_t bar = key.find('|');
  if (bar == std::string::npos) return nullptr;
  return FetchIntent(std::string_view(key).substr(0, bar), std::string_view(key).substr(bar + 1));
}

void State::TrimIntents(uint64_t projected_lsn) {
  if (max_intents_ == 0 || intents_.size() <= max_intents_) return;
  size_t excess = intents_.size() - max_intents_;
  // Past one turn of the clock every intent left is pinned (not yet projected): stop there.
  size_t budget = std::min(clock_.size(), 4 * excess + 256);
  size_t dropped = 0;
  while (dropped < excess && budget-- > 0) {
    IntentMap::value_type* node = clock_.front();
    clock_.pop_front();
    IntentEntry& e = node->second;
    if (e.referenced || e.lsn > projected_lsn) {
      e.referenced = false;
      clock_.push_back(node);
      continue;
    }
    UnindexIntent(node->first, e.intent);
    intents_.erase(intents_.find(node->first));  // by iterator: the key lives in the node
    ++dropped;
  }
}

const Intent* State::FindIntent(std::string_view client_id, std::string_view intent_id) const {
  IntentEntry* e = FetchIntent(client_id, intent_id);
  return e == nullptr ? nullptr : &e->intent;
}

Intent* State::MutableIntent(std::string_view client_id, std::string_view intent_id) {
  IntentEntry* e = FetchIntent(client_id, intent_id);
  if (e == nullptr) return nullptr;
  e->lsn = batch_lsn_;
  return &e->intent;
}

const Intent* State::FindIntentByReference(std::string_view client_id, std::string_view provider,
                                           std::string_view reference) const {
  std::string ref_key = RefKey(client_id, provider, reference);
  auto it = intent_by_ref_.find(ref_key);
  if (it != intent_by_ref_.end()) {
    IntentEntry& e = intents_.at(it->second);
    e.referenced = true;
    return &e.intent;
  }
  if (source_ == nullptr || !known_refs_.MayContain(KeyHash(ref_key))) return nullptr;
  auto id = source_->FindIntentIdByReference(client_id, provider, reference);
  if (!id.ok()) {
    throw std::runtime_error("cannot look up an intent by reference in the projection: " +
                             id.status().ToString());
  }
  return *id ? FindIntent(client_id, **id) : nullptr;
}

Intent& State::InsertIntent(Intent intent) { return StoreIntent(std::move(intent), true).intent; }

State::IntentEntry& State::StoreIntent(Intent intent, bool creating) {
  std::string key = IntentKey(intent.client_id, intent.id);
  uint64_t hash = KeyHash(key);
  // A key the filter may hold already (an intent the tables have, or a false positive) is
  // upserted, never inserted.
  bool maybe_stored = known_intents_.MayContain(hash);
  known_intents_.Insert(hash);
  if (!intent.external.provider_reference.empty()) {
    known_refs_.Insert(KeyHash(RefKey(intent.client_id, intent.external.provider_name,
                                      intent.external.provider_reference)));
  }
  IntentEntry& e = CacheIntent(key, std::move(intent));
  e.lsn = batch_lsn_;
  e.created = creating && !maybe_stored;
  IndexActions(key, e.intent, 0);  // a loaded intent's actions (a new one has none yet)
  return e;
}

void State::LoadIntent(Intent intent) {
  Intent& in = StoreIntent(std::move(intent), false).intent;
  std::vector<const Split*> executed;
  for (const Split& sp : in.splits) {
    if (sp.executed()) executed.push_back(&sp);
  }
  // Across intents the order is by execution time only approximately (load order): lists sort.
  for (const Split* sp : executed) NoteExecutedSplit(in, *sp);
  Schedule(IntentKey(in.client_id, in.id), in);
  // Everything loaded is in the tables already: the bound holds from the start.
  TrimIntents(UINT64_MAX);
}

void State::NoteExecutedSplit(const Intent& intent, const Split& split) {
  std::string key = IntentKey(intent.client_id, intent.id);
  const std::string& wallet = intent.lines[split.line_index].input.seller.wallet_id;
  executed_into_[IntentKey(intent.client_id, wallet)].emplace_back(key, split.id);
  std::string fees = "FEES_" + intent.currency;
  if (split.fees > 0 && wallet != fees) {
    executed_into_[IntentKey(intent.client_id, fees)].emplace_back(key, split.id);
  }
}

std::vector<std::pair<const Intent*, const Split*>> State::ExecutedSplitsInto(
    std::string_view client_id, std::string_view wallet_id) const {
  std::vector<std::pair<const Intent*, const Split*>> out;
  auto it = executed_into_.find(IntentKey(client_id, wallet_id));
  if (it == executed_into_.end()) return out;
  for (const auto& [key, split_id] : it->second) {
    // Read back one by one if dropped: pointers into the cache stay valid for the whole batch.
    const IntentEntry* e = FetchIntentByKey(key);
    if (e == nullptr) continue;
    int k = e->intent.FindSplit(split_id);
    if (k >= 0) out.emplace_back(&e->intent, &e->intent.splits[k]);
  }
  return out;
}

void State::IndexActions(const std::string& key, const Intent& intent, size_t from) const {
  for (size_t i = from; i < intent.actions.size(); ++i) {
    const ActionRecord& a = intent.actions[i];
    if (a.external.provider_reference.empty()) continue;
    const uint64_t h = KeyHash(
        RefKey(intent.client_id, intent.external.provider_name, a.external.provider_reference));
    bool known = false;  // indexed before (a dropped intent read back again)
    for (auto [it, end] = action_by_ref_.equal_range(h); it != end && !known; ++it) {
      known = it->second.index == i && it->second.key() == key;
    }
    if (known) continue;
    const std::string_view stored = action_keys_.Add(key);
    action_by_ref_.emplace(h, ActionRef{stored.data(), static_cast<uint32_t>(stored.size()),
                                        static_cast<uint32_t>(i), a.created_at});
  }
}

const Intent* State::FindActionByReference(std::string_view client_id, std::string_view provider,
                                           std::string_view reference, size_t* action_index) const {
  // The index covers every stored intent (dropped ones by key). Several actions may carry one
  // reference (a PSP reporting captures under one charge): the earliest (time, intent, position)
  // wins, so that the answer depends neither on the cache nor on the order actions were created,
  // loaded or read back in. A candidate whose own reference differs only shares the hash.
  const std::string ref_key = RefKey(client_id, provider, reference);
  std::vector<const ActionRef*> candidates;
  for (auto [it, end] = action_by_ref_.equal_range(KeyHash(ref_key)); it != end; ++it) {
    candidates.push_back(&it->second);
  }
  std::sort(candidates.begin(), candidates.end(), [](const ActionRef* x, const ActionRef* y) {
    return std::make_tuple(x->created_at, x->key(), x->index) <
           std::make_tuple(y->created_at, y->key(), y->index);
  });
  for (const ActionRef* c : candidates) {
    const IntentEntry* e = FetchIntentByKey(std::string(c->key()));
    if (e == nullptr || c->index >= e->intent.actions.size()) continue;
    const Intent& in = e->intent;
    if (RefKey(in.client_id, in.external.provider_name,
               in.actions[c->index].external.provider_reference) != ref_key) {
      continue;
    }
    *action_index = c->index;
    return &in;
  }
  return nullptr;
}

const Amount* State::FindEscrowReceipt(std::string_view client_id, std::string_view currency,
                                       std::string_view reference) const {
  auto it = escrow_receipts_.find(RefKey(client_id, currency, reference));
  return it == escrow_receipts_.end() ? nullptr : &it->second;
}

void State::NoteEscrowReceipt(std::string_view client_id, std::string_view currency,
                              std::string_view reference, Amount amount) {
  escrow_receipts_.emplace(RefKey(client_id, currency, reference), amount);
}

const Settlement* State::FindSettlement(std::string_view client_id, std::string_view id) const {
  const Settlement* s = FindSettlementById(id);
  return s != nullptr && s->client_id == client_id ? s : nullptr;
}

const Settlement* State::FindSettlementById(std::string_view id) const {
  auto it = settlements_.find(std::string(id));
  return it == settlements_.end() ? nullptr : &it->second;
}

void State::PutSettlement(Settlement settlement) {
  MarkDirty(settlement.id, dirty_settlements_, dirty_settlement_set_);
  LoadSettlement(std::move(settlement));
}

void State::LoadSettlement(Settlement s) {
  auto it = settlements_.find(s.id);
  if (it == settlements_.end()) settlement_order_[s.client_id].push_back(s.id);
  settlements_[s.id] = std::move(s);
}

std::vector<const Settlement*> State::SettlementsOf(std::string_view client_id) const {
  std::vector<const Settlement*> out;
  auto it = settlement_order_.find(std::string(client_id));
  if (it == settlement_order_.end()) return out;
  for (const std::string& id : it->second) out.push_back(&settlements_.at(id));
  return out;
}

void State::MarkIntentChanged(const Intent& intent, const std::vector<LineDelta>& deltas,
                              bool new_action, size_t lines_before,
                              std::optional<size_t> updated_action,
                              const std::vector<size_t>& touched_splits) {
  std::string key = IntentKey(intent.client_id, intent.id);
  auto [first, fresh] = dirty_intent_lines_.emplace(key, lines_before);
  if (fresh) dirty_intents_.push_back(key);
  // Lines past those the tables held when the batch first changed the intent are new rows.
  size_t stored_lines = first->second;
  auto touch = [&](size_t i) {
    if (!dirty_line_set_.insert({key, i}).second) return;
    (i >= stored_lines ? dirty_new_lines_ : dirty_lines_).emplace_back(key, i);
  };
  for (size_t i = lines_before; i < intent.lines.size(); ++i) touch(i);
  for (const LineDelta& d : deltas) touch(d.line_index);
  if (new_action) {
    new_actions_.emplace_back(key, intent.actions.size() - 1);
    IndexActions(key, intent, intent.actions.size() - 1);
  }
  // An action inserted in this batch is written as it is at the batch's end: no rewrite needed.
  // (A linear look: status changes are rare, and a set here would cost every capture.)
  if (updated_action &&
      std::find(new_actions_.begin(), new_actions_.end(), std::make_pair(key, *updated_action)) ==
          new_actions_.end() &&
      changed_action_set_.emplace(key, *updated_action).second) {
    changed_actions_.emplace_back(key, *updated_action);
  }
  for (size_t k : touched_splits) {
    if (dirty_split_set_.emplace(key, k).second) dirty_splits_.emplace_back(key, k);
  }
  if (!touched_splits.empty()) Schedule(key, intent);
}

void State::Schedule(const std::string& key, const Intent& intent, int64_t after) {
  std::optional<int64_t> next;
  for (const Split& sp : intent.splits) {
    if (sp.status == SplitStatus::kAvailable && sp.transfer_date && *sp.transfer_date > after) {
      next = next ? std::min(*next, *sp.transfer_date) : *sp.transfer_date;
    }
  }
  Unschedule(key);
  if (next) {
    scheduled_.emplace(key, *next);
    due_order_.emplace(*next, key);
  }
}

void State::Unschedule(const std::string& key) {
  auto it = scheduled_.find(key);
  if (it == scheduled_.end()) return;
  due_order_.erase({it->second, key});
  scheduled_.erase(it);
}

std::vector<std::string> State::DueIntents(int64_t now_s) const {
  std::vector<std::string> out;
  for (auto it = due_order_.begin(); it != due_order_.end() && it->first <= now_s; ++it) {
    out.push_back(it->second);
  }
  return out;
}

Intent* State::MutableIntentByKey(const std::string& key) {
  IntentEntry* e = FetchIntentByKey(key);
  if (e == nullptr) return nullptr;
  e->lsn = batch_lsn_;
  return &e->intent;
}

const Client* State::FindClient(std::string_view id) const {
  auto it = clients_.find(std::string(id));
  return it == clients_.end() ? nullptr : &it->second;
}

void State::PutClient(Client client) {
  // Once per batch: PostgreSQL refuses an upsert that touches a row twice in one statement.
  MarkDirty(client.id, dirty_clients_, dirty_client_set_);
  clients_[client.id] = std::move(client);
}

const TokenRecord* State::FindToken(std::string_view token_hash) const {
  auto it = tokens_.find(std::string(token_hash));
  return it == tokens_.end() ? nullptr : &it->second;
}

void State::PutToken(TokenRecord token) {
  new_tokens_.push_back(token);
  tokens_[token.token_hash] = std::move(token);
}

const ClientCertificate* State::FindCertificate(std::string_view fingerprint) const {
  auto it = certificates_.find(std::string(fingerprint));
  return it == certificates_.end() ? nullptr : &it->second;
}

void State::PutCertificate(ClientCertificate cert) {
  MarkDirty(cert.fingerprint, dirty_certificates_, dirty_certificate_set_);
  certificates_[cert.fingerprint] = std::move(cert);
}

std::vector<const ClientCertificate*> State::CertificatesOf(std::string_view client_id) const {
  // Few per client and rarely listed: a scan keeps no second index in step.
  std::vector<const ClientCertificate*> out;
  for (const auto& [fp, c] : certificates_) {
    if (c.client_id == client_id) out.push_back(&c);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const ClientCertificate* a, const ClientCertificate* b) {
                     return a->added_at < b->added_at;
                   });
  return out;
}

const AdminUser* State::FindAdminUser(std::string_view name) const {
  auto it = admin_users_.find(std::string(name));
  return it == admin_users_.end() ? nullptr : &it->second;
}

void State::PutAdminUser(AdminUser user) {
  MarkDirty(user.name, dirty_admin_users_, dirty_admin_user_set_);
  admin_users_[user.name] = std::move(user);
}

// ---- orchestrated payments ----

namespace {
std::string PaymentRefKey(std::string_view client, std::string_view env, std::string_view ref) {
  std::string k(client);
  k.push_back('|');
  k.append(env);
  k.push_back('|');
  k.append(ref);
  return k;
}
}  // namespace

const Payment* State::FindPayment(std::string_view id) const {
  return payments_.Find(std::string(id));
}

const Payment* State::FindPaymentByReference(std::string_view client_id,
                                             std::string_view environment,
                                             std::string_view reference_id) const {
  auto it = payment_by_ref_.find(PaymentRefKey(client_id, environment, reference_id));
  return it == payment_by_ref_.end() ? nullptr : FindPayment(it->second);
}

void State::IndexPayment(const Payment* before, const Payment& p) {
  if (before == nullptr) {
    payment_by_ref_[PaymentRefKey(p.client_id, p.environment, p.reference_id)] = p.id;
  }
  if (before != nullptr && before->expires_at > 0) expiring_.erase({before->expires_at, p.id});
  if (p.state() == PaymentStatus::kAuthorized && p.expires_at > 0) {
    expiring_.insert({p.expires_at, p.id});
  }
  if (p.state() == PaymentStatus::kPending) {
    pending_payments_.insert(p.id);
  } else {
    pending_payments_.erase(p.id);
  }
  if (p.needs_sync) {
    payments_to_sync_.insert(p.id);
  } else {
    payments_to_sync_.erase(p.id);
  }
}

void State::PutPayment(Payment payment) {
  IndexPayment(FindPayment(payment.id), payment);
  std::string id = payment.id;
  payments_.Put(id, std::move(payment));
}

void State::LoadPayment(Payment p) {
  IndexPayment(nullptr, p);
  std::string id = p.id;
  payments_.Load(id, std::move(p));
}

const PaymentAttempt* State::FindAttempt(int64_t id) const {
  return attempts_.Find(std::to_string(id));
}

void State::IndexAttemptRefs(const PaymentAttempt& a) {
  const Payment* p = FindPayment(a.payment_id);
  if (p == nullptr) return;
  for (const std::string* ref : {&a.psp_payment_id, &a.psp_payment_ref}) {
    if (!ref->empty()) payment_by_psp_ref_[p->connection + "|" + *ref] = a.payment_id;
  }
}

const Payment* State::FindPaymentByPspRef(std::string_view connection, std::string_view ref) const {
  auto it = payment_by_psp_ref_.find(std::string(connection) + "|" + std::string(ref));
  return it == payment_by_psp_ref_.end() ? nullptr : FindPayment(it->second);
}

void State::PutAttempt(PaymentAttempt attempt) {
  IndexAttemptRefs(attempt);
  if (FindAttempt(attempt.id) == nullptr)
    attempts_by_payment_[attempt.payment_id].push_back(attempt.id);
  std::string key = std::to_string(attempt.id);
  attempts_.Put(key, std::move(attempt));
}

void State::LoadAttempt(PaymentAttempt a) {
  IndexAttemptRefs(a);  // payments load first
  attempts_by_payment_[a.payment_id].push_back(a.id);
  next_attempt_id_ = std::max(next_attempt_id_, a.id + 1);
  std::string key = std::to_string(a.id);
  attempts_.Load(key, std::move(a));
}

std::vector<const PaymentAttempt*> State::AttemptsOf(std::string_view payment_id) const {
  std::vector<const PaymentAttempt*> out;
  auto it = attempts_by_payment_.find(std::string(payment_id));
  if (it == attempts_by_payment_.end()) return out;
  std::vector<int64_t> ids = it->second;
  std::sort(ids.begin(), ids.end());
  for (int64_t id : ids) out.push_back(FindAttempt(id));
  return out;
}

const PspOperation* State::FindPspOperation(std::string_view id) const {
  return psp_ops_.Find(std::string(id));
}

void State::PutPspOperation(PspOperation op) {
  if (FindPspOperation(op.id) == nullptr) ops_by_payment_[op.payment_id].push_back(op.id);
  if (op.open()) {
    open_psp_ops_.insert(op.id);
  } else {
    open_psp_ops_.erase(op.id);
  }
  std::string id = op.id;
  psp_ops_.Put(id, std::move(op));
}

void State::LoadPspOperation(PspOperation op) {
  ops_by_payment_[op.payment_id].push_back(op.id);
  if (op.open()) open_psp_ops_.insert(op.id);
  next_refund_number_ = std::max(next_refund_number_, op.refund_number + 1);
  std::string id = op.id;
  psp_ops_.Load(id, std::move(op));
}

std::vector<const PspOperation*> State::PspOperationsOf(std::string_view payment_id) const {
  std::vector<const PspOperation*> out;
  auto it = ops_by_payment_.find(std::string(payment_id));
  if (it == ops_by_payment_.end()) return out;
  for (const std::string& id : it->second) out.push_back(FindPspOperation(id));
  std::stable_sort(out.begin(), out.end(), [](const PspOperation* a, const PspOperation* b) {
    return a->created_at < b->created_at;
  });
  return out;
}

const ApiKey* State::FindApiKey(std::string_view key_hash) const {
  return api_keys_.Find(std::string(key_hash));
}

void State::PutApiKey(ApiKey key) {
  std::string k = key.key_hash;
  api_keys_.Put(k, std::move(key));
}

std::vector<const ApiKey*> State::ApiKeysOf(std::string_view client_id) const {
  std::vector<const ApiKey*> out;
  for (const auto& [h, k] : api_keys_.all()) {
    if (k.client_id == client_id) out.push_back(&k);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const ApiKey* a, const ApiKey* b) { return a->created_at < b->created_at; });
  return out;
}

std::vector<const WebhookEndpoint*> State::WebhookEndpointsOf(std::string_view client_id) const {
  std::vector<const WebhookEndpoint*> out;
  for (const auto& [id, e] : webhook_endpoints_.all()) {
    if (e.client_id == client_id && !e.removed) out.push_back(&e);
  }
  std::stable_sort(out.begin(), out.end(), [](const WebhookEndpoint* a, const WebhookEndpoint* b) {
    return a->created_at < b->created_at;
  });
  return out;
}

const WebhookEndpoint* State::FindWebhookEndpoint(std::string_view id) const {
  return webhook_endpoints_.Find(std::string(id));
}

void State::PutWebhookEndpoint(WebhookEndpoint endpoint) {
  std::string id = endpoint.id;
  webhook_endpoints_.Put(id, std::move(endpoint));
}

void State::PutWebhookMessage(WebhookMessage m) {
  if (m.id == 0) m.id = next_webhook_id_++;
  changed_webhooks_.push_back(m);
  if (m.phase() == DeliveryState::kPending) {
    pending_webhooks_[m.id] = std::move(m);
  } else {
    pending_webhooks_.erase(m.id);
  }
}

void State::LoadWebhookMessage(WebhookMessage m) {
  next_webhook_id_ = std::max(next_webhook_id_, m.id + 1);
  if (m.phase() == DeliveryState::kPending) pending_webhooks_[m.id] = std::move(m);
}

const IdempotencyRecord* State::FindIdempotency(std::string_view client_id,
                                                std::string_view key) const {
  auto it = idempotency_.find(IntentKey(client_id, key));
  return it == idempotency_.end() ? nullptr : &it->second;
}

void State::PutIdempotency(IdempotencyRecord record) {
  std::string k = IntentKey(record.client_id, record.key);
  new_idempotency_.push_back(k);
  idempotency_[k] = std::move(record);
}

void State::LoadIdempotency(IdempotencyRecord r) {
  std::string k = IntentKey(r.client_id, r.key);
  idempotency_[k] = std::move(r);
}

const User* State::FindUser(std::string_view client_id, std::string_view id) const {
  auto it = users_.find(std::string(id));
  return it == users_.end() || it->second.client_id != client_id ? nullptr : &it->second;
}

void State::PutUser(User user) {
  std::string id = user.id;
  users_[id] = std::move(user);
  MarkDirty(id, dirty_users_, dirty_user_set_);
}

void State::LoadUser(User u) {
  std::string id = u.id;
  users_[id] = std::move(u);
}

const Wallet* State::FindWallet(std::string_view client_id, std::string_view id) const {
  auto it = wallets_.find(std::string(id));
  return it == wallets_.end() || it->second.client_id != client_id ? nullptr : &it->second;
}

void State::PutWallet(Wallet wallet) {
  std::string id = wallet.id;
  auto it = wallets_.find(id);
  if (it == wallets_.end()) {
    new_wallets_.push_back(id);
    LoadWallet(std::move(wallet));
  } else {
    wallet.owners = it->second.owners;
    it->second = std::move(wallet);
  }
  MarkDirty(id, dirty_wallets_, dirty_wallet_set_);
}

void State::LoadWallet(Wallet w) {
  std::string id = w.id;
  for (const std::string& owner : w.owners) {
    auto& ids = wallets_by_owner_[IntentKey(w.client_id, owner)];
    if (ids.empty() || ids.back() != id) ids.push_back(id);
  }
  wallets_[id] = std::move(w);
}

std::vector<const Wallet*> State::WalletsOfOwner(std::string_view client_id,
                                                 std::string_view owner) const {
  std::vector<const Wallet*> out;
  auto it = wallets_by_owner_.find(IntentKey(client_id, owner));
  if (it == wallets_by_owner_.end()) return out;
  for (const std::string& id : it->second) out.push_back(&wallets_.at(id));
  return out;
}

const ClientWallet* State::FindClientWallet(std::string_view client_id, ClientFunds funds,
                                            std::string_view currency) const {
  auto it = client_wallets_.find(ClientWalletKey(client_id, static_cast<int64_t>(funds), currency));
  return it == client_wallets_.end() ? nullptr : &it->second;
}

void State::PutClientWallet(ClientWallet wallet) {
  std::string k = ClientWalletKey(wallet.client_id, wallet.funds, wallet.currency);
  if (client_wallets_.count(k)) return;  // they never change
  new_client_wallets_.push_back(k);
  LoadClientWallet(std::move(wallet));
}

void State::LoadClientWallet(ClientWallet w) {
  std::string k = ClientWalletKey(w.client_id, w.funds, w.currency);
  client_wallet_order_[w.client_id].push_back(k);
  client_wallets_[k] = std::move(w);
}

std::vector<const ClientWallet*> State::ClientWallets(std::string_view client_id) const {
  std::vector<const ClientWallet*> out;
  auto it = client_wallet_order_.find(std::string(client_id));
  if (it == client_wallet_order_.end()) return out;
  for (const std::string& k : it->second) out.push_back(&client_wallets_.at(k));
  return out;
}

void State::AddEvent(std::string client_id, std::string event_type, std::string resource_id,
                     int64_t date) {
  EventRecord e{next_event_id_++, std::move(client_id), std::move(event_type),
                std::move(resource_id), date};
  if (const Hook* h = FindHookForEvent(e.client_id, e.event_type); h && h->enabled && h->valid) {
    HookDelivery d;
    d.id = next_delivery_id_++;
    d.client_id = e.client_id;
    d.hook_id = h->id;
    d.event_id = e.id;
    d.event_type = e.event_type;
    d.resource_id = e.resource_id;
    d.date = e.date;
    d.url = h->url;
    d.next_attempt_at = 0;  // at once
    PutDelivery(std::move(d));
  }
  new_events_.push_back(std::move(e));
}

const Hook* State::FindHook(std::string_view client_id, std::string_view id) const {
  auto it = hooks_.find(std::string(id));
  return it == hooks_.end() || it->second.client_id != client_id ? nullptr : &it->second;
}

const Hook* State::FindHookForEvent(std::string_view client_id, std::string_view event_type) const {
  if (hooks_.empty()) return nullptr;
  auto it = hook_by_type_.find(IntentKey(client_id, event_type));
  return it == hook_by_type_.end() ? nullptr : &hooks_.at(it->second);
}

void State::PutHook(Hook hook) {
  MarkDirty(hook.id, dirty_hooks_, dirty_hook_set_);
  LoadHook(std::move(hook));
}

void State::LoadHook(Hook h) {
  if (hooks_.find(h.id) == hooks_.end()) hook_order_[h.client_id].push_back(h.id);
  hook_by_type_[IntentKey(h.client_id, h.event_type)] = h.id;
  hooks_[h.id] = std::move(h);
}

std::vector<const Hook*> State::HooksOf(std::string_view client_id) const {
  std::vector<const Hook*> out;
  auto it = hook_order_.find(std::string(client_id));
  if (it == hook_order_.end()) return out;
  for (const std::string& id : it->second) out.push_back(&hooks_.at(id));
  return out;
}

void State::PutDelivery(HookDelivery d) {
  changed_deliveries_.push_back(d);
  LoadDelivery(std::move(d));
}

void State::LoadDelivery(HookDelivery d) {
  next_delivery_id_ = std::max(next_delivery_id_, d.id + 1);
  if (d.pending()) {
    pending_deliveries_[d.id] = std::move(d);
  } else {
    pending_deliveries_.erase(d.id);
  }
}

bool State::HasChanges() const {
  return book_.HasChanges() || !dirty_intents_.empty() || !dirty_settlements_.empty() ||
         !dirty_hooks_.empty() || !changed_deliveries_.empty() || !dirty_clients_.empty() ||
         !dirty_certificates_.empty() || !dirty_admin_users_.empty() || payments_.dirty() ||
         attempts_.dirty() || psp_ops_.dirty() || api_keys_.dirty() || webhook_endpoints_.dirty() ||
         psp_events_.dirty() || !changed_webhooks_.empty() || !new_tokens_.empty() ||
         !new_idempotency_.empty() || !dirty_users_.empty() || !dirty_wallets_.empty() ||
         !new_client_wallets_.empty() || !new_events_.empty();
}

ChangeSet State::TakeChanges() {
  ChangeSet cs;
  std::vector<int64_t> created;
  std::vector<int64_t> dirty = book_.TakeDirtyAccounts(&created);
  std::sort(created.begin(), created.end());
  for (int64_t id : dirty) {
    const Account* a = book_.FindById(id);
    if (std::binary_search(created.begin(), created.end(), id)) {
      cs.new_accounts.push_back(a);
    } else {
      cs.changed_accounts.push_back(a);
    }
  }
  cs.transactions = book_.TakeNewTransactions();
  for (const std::string& k : dirty_intents_) {
    IntentEntry& e = intents_.at(k);
    (e.created ? cs.new_intents : cs.intents).push_back(&e.intent);
    e.created = false;  // written by this batch: later batches upsert it
  }
  for (const auto& [k, i] : dirty_new_lines_) cs.new_lines.emplace_back(&intents_.at(k).intent, i);
  for (const auto& [k, i] : dirty_lines_) cs.lines.emplace_back(&intents_.at(k).intent, i);
  for (const auto& [k, i] : new_actions_) cs.actions.emplace_back(&intents_.at(k).intent, i);
  for (const auto& [k, i] : changed_actions_)
    cs.changed_actions.emplace_back(&intents_.at(k).intent, i);
  for (const auto& [k, i] : dirty_splits_) cs.splits.emplace_back(&intents_.at(k).intent, i);
  for (const std::string& id : dirty_settlements_) cs.settlements.push_back(&settlements_.at(id));
  for (const std::string& id : dirty_hooks_) cs.hooks.push_back(&hooks_.at(id));
  // A delivery changed twice in one batch is written once, as it ended.
  for (size_t i = 0; i < changed_deliveries_.size(); ++i) {
    bool later = false;
    for (size_t j = i + 1; j < changed_deliveries_.size() && !later; ++j) {
      later = changed_deliveries_[j].id == changed_deliveries_[i].id;
    }
    if (!later) cs.deliveries.push_back(std::move(changed_deliveries_[i]));
  }
  for (const std::string& id : dirty_clients_) cs.clients.push_back(&clients_.at(id));
  cs.tokens = std::move(new_tokens_);
  for (const std::string& k : dirty_certificates_) cs.certificates.push_back(&certificates_.at(k));
  for (const std::string& k : dirty_admin_users_) cs.admin_users.push_back(&admin_users_.at(k));
  cs.payments = payments_.TakeDirty();
  cs.attempts = attempts_.TakeDirty();
  cs.psp_operations = psp_ops_.TakeDirty();
  cs.api_keys = api_keys_.TakeDirty();
  cs.webhook_endpoints = webhook_endpoints_.TakeDirty();
  cs.psp_events = psp_events_.TakeDirty();
  // A message changed twice in one batch is written once, as it ended.
  std::unordered_map<int64_t, size_t> last;  // id -> its last change
  for (size_t i = 0; i < changed_webhooks_.size(); ++i) last[changed_webhooks_[i].id] = i;
  for (size_t i = 0; i < changed_webhooks_.size(); ++i) {
    if (last[changed_webhooks_[i].id] == i)
      cs.webhook_messages.push_back(std::move(changed_webhooks_[i]));
  }
  changed_webhooks_.clear();
  for (const std::string& k : new_idempotency_) cs.idempotency.push_back(&idempotency_.at(k));
  for (const std::string& k : dirty_users_) cs.users.push_back(&users_.at(k));
  for (const std::string& k : dirty_wallets_) cs.wallets.push_back(&wallets_.at(k));
  for (const std::string& k : new_wallets_) cs.new_wallets.push_back(&wallets_.at(k));
  for (const std::string& k : new_client_wallets_)
    cs.client_wallets.push_back(&client_wallets_.at(k));
  cs.events = std::move(new_events_);

  dirty_intents_.clear();
  dirty_intent_lines_.clear();
  dirty_new_lines_.clear();
  dirty_lines_.clear();
  dirty_line_set_.clear();
  new_actions_.clear();
  changed_actions_.clear();
  changed_action_set_.clear();
  dirty_splits_.clear();
  dirty_split_set_.clear();
  dirty_settlements_.clear();
  dirty_settlement_set_.clear();
  dirty_hooks_.clear();
  dirty_hook_set_.clear();
  changed_deliveries_.clear();
  dirty_clients_.clear();
  dirty_client_set_.clear();
  new_tokens_.clear();
  dirty_certificates_.clear();
  dirty_certificate_set_.clear();
  dirty_admin_users_.clear();
  dirty_admin_user_set_.clear();
  new_idempotency_.clear();
  dirty_users_.clear();
  dirty_user_set_.clear();
  dirty_wallets_.clear();
  dirty_wallet_set_.clear();
  new_wallets_.clear();
  new_client_wallets_.clear();
  new_events_.clear();
  return cs;
}

void State::Clear() {
  book_.Clear();
  intents_.clear();
  clock_.clear();
  known_intents_.Clear();
  known_refs_.Clear();
  intent_by_ref_.clear();
  clients_.clear();
  tokens_.clear();
  certificates_.clear();
  admin_users_.clear();
  payments_.Clear();
  attempts_.Clear();
  psp_ops_.Clear();
  api_keys_.Clear();
  webhook_endpoints_.Clear();
  psp_events_.Clear();
  payment_by_psp_ref_.clear();
  pending_webhooks_.clear();
  changed_webhooks_.clear();
  next_webhook_id_ = 1;
  payment_by_ref_.clear();
  attempts_by_payment_.clear();
  ops_by_payment_.clear();
  open_psp_ops_.clear();
  expiring_.clear();
  pending_payments_.clear();
  payments_to_sync_.clear();
  next_attempt_id_ = 1001;
  next_refund_number_ = 1;
  idempotency_.clear();
  users_.clear();
  wallets_.clear();
  wallets_by_owner_.clear();
  client_wallets_.clear();
  client_wallet_order_.clear();
  next_event_id_ = 1;
  action_by_ref_.clear();
  action_keys_.Clear();
  executed_into_.clear();
  scheduled_.clear();
  due_order_.clear();
  escrow_receipts_.clear();
  settlements_.clear();
  settlement_order_.clear();
  hooks_.clear();
  hook_by_type_.clear();
  hook_order_.clear();
  pending_deliveries_.clear();
  next_delivery_id_ = 1;
  TakeChanges();
}

}  // namespace splitledger::ledger
