// verify: checks the log and recomputes every figure the tables show, reporting each difference.
//  1. The log: every record's checksum and the hash chain from the first record (a damaged
//     record is named with its lsn and byte offset); then the log is replayed up to the
//     projection's position and every row of every logged table compared with the projection.
//  2. Every account balance and running balance from the journal's postings; every transaction
//     balanced per currency.
//  3. Every intent amount from its ledger derivation.
//  4. Every settlement's declared amount from its matches and its funds from the ledger
//     (never above ActualSettlementAmount, equal once RECONCILED); per client and currency, the
//     wallets (escrow, sellers, FEES, CREDIT) hold exactly the money received on escrow.
// Read-only; safe to run against a live database (it reads one consistent snapshot per query on
// PostgreSQL, and under WAL on SQLite; records the projection has not reached are only
// checksummed and chained).
#pragma once

#include <string>
#include <vector>

#include "splitledger/core/status.h"
#include <functional>

#include "splitledger/ledger/store.h"

namespace splitledger::ledger {

struct VerifyReport {
  size_t transactions = 0;
  size_t postings = 0;
  size_t accounts = 0;
  size_t intents = 0;
  size_t line_items = 0;
  size_t settlements = 0;
  uint64_t log_records = 0;     // records checked (checksum and chain)
  uint64_t replayed_rows = 0;   // rows of the log replay compared with the projection
  bool log_checked = false;     // false for a database no writer of this release has opened
  std::vector<std::string> differences;  // empty when everything matches
  bool ok() const { return differences.empty(); }
};

// `progress(step)` names each step as it starts (the console shows it).
Result<VerifyReport> Verify(Store& store,
                            const std::function<void(const std::string& step)>& progress = {});

}  // namespace splitledger::ledger
