// Test support for the ledger tests: a fresh database per test on either backend, and small
// builders and comparators for intents. Shared by ledger_tests and ledger_crash_test.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "splitledger/core/intent.h"
#include "splitledger/ledger/intent_ops.h"
#include "splitledger/ledger/state.h"
#include "splitledger/ledger/store.h"

namespace splitledger::ledger::testing {

// SPLITLEDGER_TEST_PG_URL, or "" when unset.
std::string PgAdminUrl();
// SPLITLEDGER_ALLOW_NO_PG=1: PostgreSQL instances may be skipped when the URL is unset.
bool PgMayBeMissing();

// A fresh, empty database: a SQLite file in a new temporary directory, or a new PostgreSQL
// database (CREATE DATABASE t_<random>) on the server of SPLITLEDGER_TEST_PG_URL. Removed
// (directory deleted / database dropped) on destruction; close every Store on it first.
class TestDatabase {
 public:
  static Result<std::unique_ptr<TestDatabase>> Create(Backend backend);
  ~TestDatabase();
  const std::string& url() const { return url_; }
  Backend backend() const { return backend_; }
  // Runs one SQL statement on its own connection (autocommit), for tampering and triggers.
  Status Exec(const std::string& sql);
  // Runs a query returning one integer.
  Result<long long> QueryInt(const std::string& sql);

 private:
  Backend backend_ = Backend::kSqlite;
  std::string url_;
  std::string dir_;      // SQLite: the temporary directory
  std::string db_name_;  // PostgreSQL: the database name
};

// `writer`: take the single-writer lease (StoreOptions::writer); readers may open alongside.
Result<std::unique_ptr<Store>> OpenStore(const std::string& url, bool writer = true);

// A create request with `n_lines` random lines (EUR, provider "Stripe").
CreateIntentInput RandomCreate(std::mt19937_64& rng, int n_lines, const std::string& tag);

// Partial action input over random lines of `intent` with amounts <= each line's remaining
// (at least one line must have remaining > 0). For cancels, sometimes states fee parts.
ActionInput RandomPartial(std::mt19937_64& rng, const Intent& intent, bool cancel);
ActionInput Full();

// Human-readable list of differences between two intents (empty when equal): every field the
// store persists.
std::vector<std::string> CompareIntents(const Intent& a, const Intent& b);
// Differences between an intent's aggregate figures and its ledger derivation.
std::vector<std::string> CompareWithLedger(const Book& book, const Intent& intent);
// Differences between two books (accounts by id: key and totals).
std::vector<std::string> CompareBooks(const Book& a, const Book& b);

}  // namespace splitledger::ledger::testing
