// Private to the ledger module: every table the log writes, in one list (the snapshot that seeds
// the log of an older database, and `verify`'s replay). A table missing here would be written by
// batches but neither seeded nor compared: add each new logged table once, here.
#pragma once

#include <vector>

#include "entity_tables.h"
#include "ledger_tables.h"

namespace splitledger::ledger {

inline const std::vector<const TableSchema*>& LoggedTables() {
  static const std::vector<const TableSchema*> tables = {
      &kAccountsTable,        &kJournalTable,
      &kPostingsTable,        &kIntentsTable,
      &kLinesTable,           &kActionsTable,
      &kActionLinesTable,     &kClientsTable,
      &kTokensTable,          &kIdempotencyTable,
      &kUsersTable,           &kWalletsTable,
      &kWalletOwnersTable,    &kClientWalletsTable,
      &kEventsTable,          &kSplitsTable,
      &kSettlementsTable,     &kHooksTable,
      &kHookDeliveriesTable,  &kCertificatesTable,
      &kAdminUsersTable,      &kPaymentsTable,
      &kAttemptsTable,        &kPspOperationsTable,
      &kApiKeysTable,         &kWebhookEndpointsTable,
      &kWebhookMessagesTable, &kPspEventsTable,
  };
  return tables;
}

// Tables whose rows are only ever inserted, never rewritten by key: verify's replay sums their
// rows' digests instead of keeping each key (a table that gets upserts, like `accounts`, whose
// new rows are plain inserts, must not be listed).
inline bool AppendOnly(const TableSchema& table) {
  static const std::vector<const TableSchema*> tables = {
      &kJournalTable, &kPostingsTable,    &kActionLinesTable,
      &kTokensTable,  &kIdempotencyTable, &kEventsTable,
  };
  for (const TableSchema* t : tables) {
    if (t == &table) return true;
  }
  return false;
}

}  // namespace splitledger::ledger
