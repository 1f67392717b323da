// Private to the ledger module: the tables of the described entities (core/entities.h), and the
// one-off conversion of release 0.1's JSON documents into them.
#pragma once

#include <string>
#include <string_view>

#include "splitledger/core/entities.h"
#include "table.h"

namespace splitledger::ledger {

inline const Table<Client> kClientsTable{"clients", {"id"}};
inline const Table<User> kUsersTable{"users", {"id"}};
inline const Table<Wallet> kWalletsTable{"wallets", {"id"}};
inline const Table<ClientWallet> kClientWalletsTable{"client_wallets",
                                                     {"client_id", "funds", "currency"}};

// Creates or extends every described table (Migrate calls it after the written migrations).
inline void SyncEntityTables(soci::session& sql, Backend backend) {
  SyncTable(sql, backend, kClientsTable);
  SyncTable(sql, backend, kUsersTable);
  SyncTable(sql, backend, kWalletsTable);
  SyncTable(sql, backend, kClientWalletsTable);
}

// Migration 2: converts release 0.1's `documents` (users, wallets, client wallets as Echo JSON)
// and `clients.profile` (JSON) into the typed tables, then drops the JSON. Throws on a document
// it cannot read, which rolls the migration back: nothing is lost silently.
void UpgradeDocumentsToEntities(soci::session& sql, Backend backend);

// Binary <-> hex, for binary values kept in TEXT columns (portable across both backends).
std::string HexEncode(std::string_view bytes);
std::string HexDecode(std::string_view hex);

}  // namespace splitledger::ledger
