// gtest fixture parameterised over the two backends; each test gets a fresh database.
#pragma once

#include <gtest/gtest.h>

#include "test_db.h"

namespace splitledger::ledger::testing {

class BackendTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kPostgres && PgAdminUrl().empty()) {
      if (PgMayBeMissing()) GTEST_SKIP() << "SPLITLEDGER_TEST_PG_URL unset (SPLITLEDGER_ALLOW_NO_PG=1)";
      FAIL() << "SPLITLEDGER_TEST_PG_URL is not set: the PostgreSQL tests need a server "
                "(scripts/test starts one; set SPLITLEDGER_ALLOW_NO_PG=1 to skip them)";
    }
    auto db = TestDatabase::Create(GetParam());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
  }
  void TearDown() override { db_.reset(); }

  std::unique_ptr<Store> Open(bool writer = true) {
    auto s = OpenStore(db_->url(), writer);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }

  std::unique_ptr<TestDatabase> db_;
};

inline std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

#define SL_INSTANTIATE_BACKENDS(Fixture)                                                   \
  INSTANTIATE_TEST_SUITE_P(Backends, Fixture,                                              \
                           ::testing::Values(::splitledger::ledger::Backend::kSqlite,      \
                                             ::splitledger::ledger::Backend::kPostgres),   \
                           ::splitledger::ledger::testing::BackendName)

}  // namespace splitledger::ledger::testing
