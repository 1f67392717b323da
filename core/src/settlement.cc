#include "splitledger/core/settlement.h"

namespace splitledger {

const char* SettlementStatusName(SettlementStatus status) {
  static constexpr const char* kNames[] = {
      "PENDING_UPLOAD", "UPLOADED",          "CREATED",            "FAILED",     "UNMATCHED",
      "PARTIALLY_MATCHED", "PENDING_FUNDS_RECEPTION", "INSUFFICIENT_FUNDS", "RECONCILED", "CANCELLED",
  };
  return kNames[static_cast<int>(status)];
}

}  // namespace splitledger
