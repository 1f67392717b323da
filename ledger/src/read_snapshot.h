// Private to the ledger module: one read snapshot for a report or a verification, so a writer
// projecting meanwhile cannot make the tables and the projection's position disagree.
#pragma once

#include <soci/soci.h>

#include "splitledger/ledger/store.h"

namespace splitledger::ledger {

class ReadSnapshot {
 public:
  explicit ReadSnapshot(Store& store) : sql_(store.session()) {
    sql_ << (store.backend() == Backend::kPostgres ? "BEGIN ISOLATION LEVEL REPEATABLE READ"
                                                   : "BEGIN");
  }
  ~ReadSnapshot() {
    try {
      sql_ << "ROLLBACK";
    } catch (...) {
    }
  }
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;

 private:
  soci::session& sql_;
};

}  // namespace splitledger::ledger
