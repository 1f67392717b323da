// verify: recomputes every account balance and every intent amount from the journal and
// reports each difference. Read-only; safe to run against a live database (it reads one
// consistent snapshot per query on PostgreSQL, and under WAL on SQLite).
#pragma once

#include <string>
#include <vector>

#include "splitledger/core/status.h"
#include "splitledger/ledger/store.h"

namespace splitledger::ledger {

struct VerifyReport {
  size_t transactions = 0;
  size_t postings = 0;
  size_t accounts = 0;
  size_t intents = 0;
  size_t line_items = 0;
  std::vector<std::string> differences;  // empty when everything matches
  bool ok() const { return differences.empty(); }
};

Result<VerifyReport> Verify(Store& store);

}  // namespace splitledger::ledger
