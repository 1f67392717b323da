// State: everything the single writer holds in memory, and what changed since the last commit.
//
// The sequencer thread is the only one that touches a State. Commands mutate it through the
// methods below, which record what must be written; the sequencer hands TakeChanges() to the
// Store inside one database transaction. If that commit fails, the State is rebuilt from the
// database (Store::Load), so memory never runs ahead of disk.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "splitledger/core/intent.h"
#include "splitledger/ledger/journal.h"

namespace splitledger::ledger {

// A platform client (the API account of a marketplace).
struct ClientRecord {
  std::string id;
  std::string name;
  std::string api_key_salt;  // hex
  std::string api_key_hash;  // hex SHA-256(salt || key), computed by the api layer
  std::string profile;       // JSON object of the editable client fields
  int64_t created_at = 0;
};

struct TokenRecord {
  std::string token_hash;  // hex SHA-256 of the bearer token; the token itself is never stored
  std::string client_id;
  int64_t expires_at = 0;
};

// A stored response for an Idempotency-Key (Echo §4.1), written with the effects it describes.
struct IdempotencyRecord {
  std::string client_id;
  std::string key;
  std::string request_hash;
  int status_code = 0;
  std::string content_type;
  std::string body;
  std::string request_url;
  std::string resource_id;
  int64_t created_at = 0;
};

// An entity the ledger stores but does not interpret (users, wallet metadata, hooks): a JSON body
// rendered by the api layer. Ordered per client and kind by creation (insertion) order.
struct Document {
  std::string kind;
  std::string id;
  std::string client_id;
  std::string body;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  int64_t seq = 0;  // insertion order, assigned by State
};

struct EventRecord {
  int64_t id = 0;
  std::string client_id;
  std::string event_type;
  std::string resource_id;
  int64_t date = 0;
};

// What a batch of commands changed, for Store::Write.
struct ChangeSet {
  std::vector<Account> new_accounts;
  std::vector<Account> changed_accounts;  // existing accounts whose totals moved
  std::vector<JournalTx> transactions;
  std::vector<const Intent*> intents;                       // upsert the intent row
  std::vector<std::pair<const Intent*, size_t>> lines;      // upsert these line rows
  std::vector<std::pair<const Intent*, size_t>> actions;    // insert these action records
  std::vector<const ClientRecord*> clients;
  std::vector<TokenRecord> tokens;
  std::vector<const IdempotencyRecord*> idempotency;
  std::vector<const Document*> documents;
  std::vector<EventRecord> events;

  bool empty() const {
    return new_accounts.empty() && changed_accounts.empty() && transactions.empty() &&
           intents.empty() && clients.empty() && tokens.empty() && idempotency.empty() &&
           documents.empty() && events.empty();
  }
  size_t postings() const;
};

class State {
 public:
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
  Intent* MutableIntent(std::string_view client_id, std::string_view intent_id);
  // Records an applied plan: the intent row, the lines it touched and its new action.
  void MarkIntentChanged(const Intent& intent, const std::vector<LineDelta>& deltas, bool new_action,
                         size_t lines_before);
  const std::unordered_map<std::string, Intent>& intents() const { return intents_; }

  // --- clients and tokens ---
  const ClientRecord* FindClient(std::string_view id) const;
  void PutClient(ClientRecord client);
  const TokenRecord* FindToken(std::string_view token_hash) const;
  void PutToken(TokenRecord token);
  const std::map<std::string, ClientRecord>& clients() const { return clients_; }

  // --- idempotency ---
  const IdempotencyRecord* FindIdempotency(std::string_view client_id, std::string_view key) const;
  void PutIdempotency(IdempotencyRecord record);

  // --- documents ---
  const Document* FindDocument(std::string_view kind, std::string_view id) const;
  void PutDocument(Document doc);  // insert or replace (keeps created_at and order)
  // Documents of one kind and client, in creation order.
  std::vector<const Document*> ListDocuments(std::string_view kind, std::string_view client_id) const;

  // --- events ---
  void AddEvent(std::string client_id, std::string event_type, std::string resource_id, int64_t date);
  const std::vector<EventRecord>& events() const { return events_; }

  // --- batch support ---
  bool HasChanges() const;
  ChangeSet TakeChanges();
  void Clear();

  // Loading (Store::Load) bypasses change tracking.
  void LoadIntent(Intent intent);
  void LoadClient(ClientRecord c) { clients_[c.id] = std::move(c); }
  void LoadToken(TokenRecord t) { tokens_[t.token_hash] = std::move(t); }
  void LoadIdempotency(IdempotencyRecord r);
  void LoadDocument(Document d);
  void LoadEvent(EventRecord e);

 private:
  static std::string IntentKey(std::string_view client, std::string_view id);
  static std::string RefKey(std::string_view client, std::string_view provider, std::string_view ref);

  Book book_;
  std::unordered_map<std::string, Intent> intents_;  // client|id
  std::unordered_map<std::string, std::string> intent_by_ref_;  // client|PROVIDER|ref -> key
  std::map<std::string, ClientRecord> clients_;
  std::unordered_map<std::string, TokenRecord> tokens_;
  std::unordered_map<std::string, IdempotencyRecord> idempotency_;  // client|key
  std::unordered_map<std::string, Document> documents_;             // kind|id
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> doc_order_;  // (kind, client) -> ids
  std::vector<EventRecord> events_;
  int64_t next_doc_seq_ = 1;
  int64_t next_event_id_ = 1;

  // Pending changes since the last TakeChanges().
  std::vector<std::string> dirty_intents_;
  std::set<std::string> dirty_intent_set_;
  std::vector<std::pair<std::string, size_t>> dirty_lines_;
  std::set<std::pair<std::string, size_t>> dirty_line_set_;
  std::vector<std::pair<std::string, size_t>> new_actions_;
  std::vector<std::string> dirty_clients_;
  std::vector<TokenRecord> new_tokens_;
  std::vector<std::string> new_idempotency_;
  std::vector<std::string> dirty_documents_;
  std::set<std::string> dirty_document_set_;
  std::vector<EventRecord> new_events_;
};

}  // namespace splitledger::ledger
