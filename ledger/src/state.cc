#include "splitledger/ledger/state.h"

#include <algorithm>
#include <cctype>

namespace splitledger::ledger {

size_t ChangeSet::postings() const {
  size_t n = 0;
  for (const JournalTx& tx : transactions) n += tx.postings.size();
  return n;
}

std::string State::IntentKey(std::string_view client, std::string_view id) {
  std::string k(client);
  k.push_back('|');
  k.append(id);
  return k;
}

std::string State::RefKey(std::string_view client, std::string_view provider, std::string_view ref) {
  std::string k(client);
  k.push_back('|');
  for (char c : provider) k.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  k.push_back('|');
  k.append(ref);
  return k;
}

const Intent* State::FindIntent(std::string_view client_id, std::string_view intent_id) const {
  auto it = intents_.find(IntentKey(client_id, intent_id));
  return it == intents_.end() ? nullptr : &it->second;
}

Intent* State::MutableIntent(std::string_view client_id, std::string_view intent_id) {
  auto it = intents_.find(IntentKey(client_id, intent_id));
  return it == intents_.end() ? nullptr : &it->second;
}

const Intent* State::FindIntentByReference(std::string_view client_id, std::string_view provider,
                                           std::string_view reference) const {
  auto it = intent_by_ref_.find(RefKey(client_id, provider, reference));
  if (it == intent_by_ref_.end()) return nullptr;
  return &intents_.at(it->second);
}

Intent& State::InsertIntent(Intent intent) {
  std::string key = IntentKey(intent.client_id, intent.id);
  if (!intent.external.provider_reference.empty()) {
    intent_by_ref_.emplace(
        RefKey(intent.client_id, intent.external.provider_name, intent.external.provider_reference),
        key);
  }
  return intents_.emplace(key, std::move(intent)).first->second;
}

void State::LoadIntent(Intent intent) { InsertIntent(std::move(intent)); }

void State::MarkIntentChanged(const Intent& intent, const std::vector<LineDelta>& deltas,
                              bool new_action, size_t lines_before) {
  std::string key = IntentKey(intent.client_id, intent.id);
  if (dirty_intent_set_.insert(key).second) dirty_intents_.push_back(key);
  auto touch = [&](size_t i) {
    if (dirty_line_set_.insert({key, i}).second) dirty_lines_.emplace_back(key, i);
  };
  for (size_t i = lines_before; i < intent.lines.size(); ++i) touch(i);
  for (const LineDelta& d : deltas) touch(d.line_index);
  if (new_action) new_actions_.emplace_back(key, intent.actions.size() - 1);
}

const ClientRecord* State::FindClient(std::string_view id) const {
  auto it = clients_.find(std::string(id));
  return it == clients_.end() ? nullptr : &it->second;
}

void State::PutClient(ClientRecord client) {
  dirty_clients_.push_back(client.id);
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

const Document* State::FindDocument(std::string_view kind, std::string_view id) const {
  auto it = documents_.find(IntentKey(kind, id));
  return it == documents_.end() ? nullptr : &it->second;
}

void State::PutDocument(Document doc) {
  std::string k = IntentKey(doc.kind, doc.id);
  auto it = documents_.find(k);
  if (it == documents_.end()) {
    doc.seq = next_doc_seq_++;
    doc_order_[{doc.kind, doc.client_id}].push_back(doc.id);
    documents_.emplace(k, std::move(doc));
  } else {
    doc.created_at = it->second.created_at;
    doc.seq = it->second.seq;
    it->second = std::move(doc);
  }
  if (dirty_document_set_.insert(k).second) dirty_documents_.push_back(k);
}

void State::LoadDocument(Document d) {
  if (d.seq >= next_doc_seq_) next_doc_seq_ = d.seq + 1;
  doc_order_[{d.kind, d.client_id}].push_back(d.id);
  documents_[IntentKey(d.kind, d.id)] = std::move(d);
}

std::vector<const Document*> State::ListDocuments(std::string_view kind,
                                                  std::string_view client_id) const {
  std::vector<const Document*> out;
  auto it = doc_order_.find({std::string(kind), std::string(client_id)});
  if (it == doc_order_.end()) return out;
  for (const std::string& id : it->second) out.push_back(FindDocument(kind, id));
  return out;
}

void State::AddEvent(std::string client_id, std::string event_type, std::string resource_id,
                     int64_t date) {
  EventRecord e{next_event_id_++, std::move(client_id), std::move(event_type),
                std::move(resource_id), date};
  new_events_.push_back(e);
  events_.push_back(std::move(e));
}

void State::LoadEvent(EventRecord e) {
  if (e.id >= next_event_id_) next_event_id_ = e.id + 1;
  events_.push_back(std::move(e));
}

bool State::HasChanges() const {
  return book_.HasChanges() || !dirty_intents_.empty() || !dirty_clients_.empty() ||
         !new_tokens_.empty() || !new_idempotency_.empty() || !dirty_documents_.empty() ||
         !new_events_.empty();
}

ChangeSet State::TakeChanges() {
  ChangeSet cs;
  std::vector<int64_t> created;
  std::vector<int64_t> dirty = book_.TakeDirtyAccounts(&created);
  std::set<int64_t> created_set(created.begin(), created.end());
  for (int64_t id : dirty) {
    const Account* a = book_.FindById(id);
    if (created_set.count(id)) {
      cs.new_accounts.push_back(*a);
    } else {
      cs.changed_accounts.push_back(*a);
    }
  }
  cs.transactions = book_.TakeNewTransactions();
  for (const std::string& k : dirty_intents_) cs.intents.push_back(&intents_.at(k));
  for (const auto& [k, i] : dirty_lines_) cs.lines.emplace_back(&intents_.at(k), i);
  for (const auto& [k, i] : new_actions_) cs.actions.emplace_back(&intents_.at(k), i);
  for (const std::string& id : dirty_clients_) cs.clients.push_back(&clients_.at(id));
  cs.tokens = std::move(new_tokens_);
  for (const std::string& k : new_idempotency_) cs.idempotency.push_back(&idempotency_.at(k));
  for (const std::string& k : dirty_documents_) cs.documents.push_back(&documents_.at(k));
  cs.events = std::move(new_events_);

  dirty_intents_.clear();
  dirty_intent_set_.clear();
  dirty_lines_.clear();
  dirty_line_set_.clear();
  new_actions_.clear();
  dirty_clients_.clear();
  new_tokens_.clear();
  new_idempotency_.clear();
  dirty_documents_.clear();
  dirty_document_set_.clear();
  new_events_.clear();
  return cs;
}

void State::Clear() {
  book_.Clear();
  intents_.clear();
  intent_by_ref_.clear();
  clients_.clear();
  tokens_.clear();
  idempotency_.clear();
  documents_.clear();
  doc_order_.clear();
  events_.clear();
  next_doc_seq_ = 1;
  next_event_id_ = 1;
  TakeChanges();
}

}  // namespace splitledger::ledger
