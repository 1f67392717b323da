// Private to the ledger module: the money tables (accounts, journal, postings, intents and their
// lines and actions) described once, like the entities (entity_tables.h).
//
// Written rows are views of the State's objects (no copy on the writer's hot path); read rows own
// their data. Both go through one Describe*Columns function per table, so the columns a row is
// written with and read back with cannot differ.
#pragma once

#include <string>
#include <type_traits>

#include "splitledger/core/intent.h"
#include "splitledger/core/intent_describe.h"
#include "splitledger/ledger/journal.h"
#include "table.h"

namespace splitledger::ledger {

// ---- accounts and the journal ---------------------------------------------------------------

// An owned key (a row read back) or a view (a Book's account written): the same columns.
template <class V, class Key>
requires std::is_same_v<Key, AccountKey> || std::is_same_v<Key, AccountKeyView>
void Describe(V& v, Key& k) {
  v.Field("client_id", k.client_id);
  v.Field("currency", k.currency);
  v.Field("kind", k.kind);
  v.Field("ref", k.ref);
}
template <class V, class Key>
void DescribeAccountColumns(V& v, Account& a, Key& key) {
  v.Field("id", a.id);
  v.Nested("", key);
  v.Field("debits_posted", a.debits_posted);
  v.Field("credits_posted", a.credits_posted);
  v.Field("debits_pending", a.debits_pending);
  v.Field("credits_pending", a.credits_pending);
  v.Field("created_at", a.created_at);
}
template <class V>
void Describe(V& v, AccountRow& r) {
  DescribeAccountColumns(v, r.account, r.key);
}
// A Book's account as a row, without copying its key.
struct AccountRowRef {
  const Account* account;
};
template <class V>
void Describe(V& v, AccountRowRef& r) {
  AccountKeyView key = r.account->key();
  DescribeAccountColumns(v, const_cast<Account&>(*r.account), key);
}
// A transaction's own columns (its postings are rows of `postings`).
template <class V>
void Describe(V& v, JournalTx& t) {
  v.Field("id", t.id);
  v.Field("client_id", t.client_id);
  v.Field("kind", t.kind);
  v.Field("ref", t.ref);
  v.Field("created_at", t.created_at);
}
struct PostingRow {
  int64_t tx_id = 0;
  int64_t seq = 0;
  Posting posting;
};
template <class V>
void Describe(V& v, PostingRow& r) {
  v.Field("tx_id", r.tx_id);
  v.Field("seq", r.seq);
  v.Field("account_id", r.posting.account_id);
  describe_detail::AsInt(v, "side", r.posting.side);
  describe_detail::AsInt(v, "phase", r.posting.phase);
  v.Field("amount", r.posting.amount);
  v.Field("posted_balance_after", r.posting.posted_balance_after);
  v.Field("pending_balance_after", r.posting.pending_balance_after);
}

// ---- intents ----------------------------------------------------------------------------------

// `amount` and `platform_fees` are stored so that `verify` can compare them with the journal;
// `status` travels as its name.
template <class V>
void DescribeIntentColumns(V& v, Intent& in, Amount& amount, Amount& platform_fees,
                           std::string& status) {
  DescribeIntentHeader(v, in);
  v.Field("status", status);
  v.Field("amount", amount);
  v.Field("platform_fees", platform_fees);
}
struct IntentRowRef {
  Intent* intent;
  Amount amount, platform_fees;
  std::string status;
};
template <class V>
void Describe(V& v, IntentRowRef& r) {
  DescribeIntentColumns(v, *r.intent, r.amount, r.platform_fees, r.status);
}
struct IntentRow {
  Intent intent;
  Amount amount = 0, platform_fees = 0;
  std::string status;
};
template <class V>
void Describe(V& v, IntentRow& r) {
  DescribeIntentColumns(v, r.intent, r.amount, r.platform_fees, r.status);
}

template <class V>
void DescribeLineColumns(V& v, std::string& intent_id, int64_t& position, LineItem& l) {
  v.Field("intent_id", intent_id);
  v.Field("position", position);
  Describe(v, l);
}
struct LineRowRef {
  std::string* intent_id;
  int64_t position;
  LineItem* line;
};
template <class V>
void Describe(V& v, LineRowRef& r) {
  DescribeLineColumns(v, *r.intent_id, r.position, *r.line);
}
struct LineRow {
  std::string intent_id;
  int64_t position = 0;
  LineItem line;
};
template <class V>
void Describe(V& v, LineRow& r) {
  DescribeLineColumns(v, r.intent_id, r.position, r.line);
}

// `kind` travels as its name ("capture", "refund", …). A refund's and a dispute's status change
// later (reversed, decided): their rows are rewritten then.
template <class V>
void DescribeActionColumns(V& v, std::string& intent_id, int64_t& position, ActionRecord& a,
                           std::string& kind) {
  v.Field("id", a.id);
  v.Field("intent_id", intent_id);
  v.Field("position", position);
  v.Field("kind", kind);
  v.Field("status", a.status);
  v.Field("amount", a.amount);
  v.Field("created_at", a.created_at);
  v.Nested("ext_", a.external);
  v.Field("parent_id", a.parent_id);
  v.Field("updated_at", a.updated_at);
}
struct ActionRowRef {
  std::string* intent_id;
  int64_t position;
  ActionRecord* action;
  std::string kind;
};
template <class V>
void Describe(V& v, ActionRowRef& r) {
  DescribeActionColumns(v, *r.intent_id, r.position, *r.action, r.kind);
}
struct ActionRow {
  std::string intent_id;
  int64_t position = 0;
  ActionRecord action;
  std::string kind;
};
template <class V>
void Describe(V& v, ActionRow& r) {
  DescribeActionColumns(v, r.intent_id, r.position, r.action, r.kind);
}

template <class V>
void DescribeActionLineColumns(V& v, std::string& action_id, int64_t& position,
                               std::string& line_item_id, ActionLine& l) {
  v.Field("action_id", action_id);
  v.Field("position", position);
  v.Field("line_item_id", line_item_id);
  v.Field("amount", l.amount);
  v.Field("fee_removed", l.fee_removed);
  v.Field("fee_restored", l.fee_restored);
}
struct ActionLineRowRef {
  std::string* action_id;
  int64_t position;
  std::string* line_item_id;
  ActionLine* line;
};
template <class V>
void Describe(V& v, ActionLineRowRef& r) {
  DescribeActionLineColumns(v, *r.action_id, r.position, *r.line_item_id, *r.line);
}
struct ActionLineRow {
  std::string action_id;
  int64_t position = 0;
  std::string line_item_id;
  ActionLine line;
};
template <class V>
void Describe(V& v, ActionLineRow& r) {
  DescribeActionLineColumns(v, r.action_id, r.position, r.line_item_id, r.line);
}

// A split's row: its line by id, its status by name (the Split's own line_index and status are
// restored from them).
template <class V>
void DescribeSplitColumns(V& v, std::string& intent_id, int64_t& position,
                          std::string& line_item_id, Split& s, std::string& status) {
  v.Field("id", s.id);
  v.Field("intent_id", intent_id);
  v.Field("position", position);
  v.Field("line_item_id", line_item_id);
  v.Field("amount", s.amount);
  v.Field("fees", s.fees);
  v.Field("transfer_date", s.transfer_date);
  v.Field("description", s.description);
  v.Field("status", status);
  v.Field("created_at", s.created_at);
  v.Field("updated_at", s.updated_at);
  v.Field("executed_at", s.executed_at);
  v.Field("refunded", s.refunded);
  v.Field("fees_refunded", s.fees_refunded);
  v.Field("taken_back", s.taken_back);
  v.Field("fees_taken_back", s.fees_taken_back);
  v.Field("note", s.note);
}
struct SplitRowRef {
  std::string* intent_id;
  int64_t position;
  std::string* line_item_id;
  Split* split;
  std::string status;
};
template <class V>
void Describe(V& v, SplitRowRef& r) {
  DescribeSplitColumns(v, *r.intent_id, r.position, *r.line_item_id, *r.split, r.status);
}
struct SplitRow {
  std::string intent_id;
  int64_t position = 0;
  std::string line_item_id;
  Split split;
  std::string status;
};
template <class V>
void Describe(V& v, SplitRow& r) {
  DescribeSplitColumns(v, r.intent_id, r.position, r.line_item_id, r.split, r.status);
}

inline const Table<AccountRow> kAccountsTable{"accounts", {"id"}};
inline const Table<JournalTx> kJournalTable{"journal_transactions", {"id"}};
inline const Table<PostingRow> kPostingsTable{"postings", {"tx_id", "seq"}};
inline const Table<IntentRow> kIntentsTable{"intents", {"id"}};
inline const Table<LineRow> kLinesTable{"intent_line_items", {"id"}};
inline const Table<ActionRow> kActionsTable{"intent_actions", {"id"}};
inline const Table<ActionLineRow> kActionLinesTable{"intent_action_lines",
                                                    {"action_id", "position"}};
inline const Table<SplitRow> kSplitsTable{"intent_splits", {"id"}};

// Checks (and extends) every money table against its description (Store::Migrate).
inline void SyncLedgerTables(soci::session& sql, Backend backend) {
  SyncTable(sql, backend, kAccountsTable);
  SyncTable(sql, backend, kJournalTable);
  SyncTable(sql, backend, kPostingsTable);
  SyncTable(sql, backend, kIntentsTable);
  SyncTable(sql, backend, kLinesTable);
  SyncTable(sql, backend, kActionsTable);
  SyncTable(sql, backend, kActionLinesTable);
  SyncTable(sql, backend, kSplitsTable);
  // An intent read back by the writer reads its splits by intent (State::SetIntentCache).
  sql << "CREATE INDEX IF NOT EXISTS splits_by_intent ON intent_splits (intent_id, position)";
}

}  // namespace splitledger::ledger
