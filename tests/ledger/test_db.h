// Test support for the ledger tests: a fresh database per test on either backend, and small
// builders and comparators for intents. Shared by ledger_tests and ledger_crash_test.
#pragma once

#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "splitledger/core/intent.h"
#include "splitledger/core/ids.h"
#include "splitledger/ledger/intent_ops.h"
#include "splitledger/ledger/sequencer.h"
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

// The intent operations with ids drawn here (the ledger takes them from the caller).
Result<IntentActionResult> CreateIntent(State& state, const std::string& client_id,
                                        const CreateIntentInput& input, int64_t now_ms);
Result<IntentActionResult> CaptureIntent(State& state, const std::string& client_id,
                                         const std::string& intent_id, const ActionInput& input,
                                         int64_t now_ms);
Result<IntentActionResult> CancelIntent(State& state, const std::string& client_id,
                                        const std::string& intent_id, const ActionInput& input,
                                        int64_t now_ms);

// The ledger's sequencer runs Jobs; in production the service's typed commands. These tests
// exercise the sequencer itself, so a job here is any callable `Result<T>(CommandContext&)`.
class CommandContext {
 public:
  explicit CommandContext(State& state) : state_(state) {}
  State& state() { return state_; }

 private:
  State& state_;
};

template <typename F>
auto SubmitFn(Sequencer& seq, F fn) -> std::future<std::invoke_result_t<F, CommandContext&>> {
  using R = std::invoke_result_t<F, CommandContext&>;
  class FnJob : public Job {
   public:
    explicit FnJob(F f) : fn_(std::move(f)) {}
    std::future<R> future() { return promise_.get_future(); }
    void Apply(State& state) override {
      CommandContext ctx(state);
      out_.emplace(fn_(ctx));
    }
    void Complete(const Status& commit) override {
      if (!commit.ok() || !out_) {
        promise_.set_value(R(commit.ok() ? Status::Internal("command did not run") : commit));
      } else {
        promise_.set_value(std::move(*out_));
      }
    }

   private:
    F fn_;
    std::optional<R> out_;
    std::promise<R> promise_;
  };
  auto job = std::make_unique<FnJob>(std::move(fn));
  auto f = job->future();
  seq.Submit(std::move(job));
  return f;
}

}  // namespace splitledger::ledger::testing
