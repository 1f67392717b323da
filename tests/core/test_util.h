// Builders shared by the core tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "splitledger/core/ids.h"
#include "splitledger/core/intent.h"

namespace splitledger::testing_util {

inline LineItemInput Line(Amount unit, int64_t qty = 1, Amount fee = 0, Amount discount = 0) {
  LineItemInput in;
  in.sku = "sku";
  in.name = "item";
  in.quantity = qty;
  in.unit_amount = unit;
  in.discount_amount = discount;
  in.seller.author_id = "user_m_seller";
  in.seller.wallet_id = "wlt_m_seller";
  in.seller.fees_amount = fee;
  return in;
}

inline CreateIntentInput Create(std::vector<LineItemInput> lines, std::string currency = "EUR") {
  CreateIntentInput in;
  in.currency = std::move(currency);
  in.lines = std::move(lines);
  return in;
}

inline std::vector<std::string> LineIds(size_t n) {
  std::vector<std::string> ids;
  for (size_t i = 0; i < n; ++i) ids.push_back(NewId(id_prefix::kLineItem, 1700000000000));
  return ids;
}

// Creates an intent (asserting the create succeeds is the caller's job via ok()).
inline Result<Intent> MakeIntent(const CreateIntentInput& in) {
  auto plan = PlanCreate(in, LineIds(in.lines.size()));
  if (!plan.ok()) return plan.status();
  Intent intent = NewIntent(in, NewId(id_prefix::kIntent, 1700000000000), "client", 1700000000);
  ApplyPlan(intent, std::move(*plan));
  return intent;
}

inline LineAmountInput LA(const Intent& intent, size_t line, Amount amount) {
  LineAmountInput l;
  l.line_item_id = intent.lines.at(line).id;
  l.amount = amount;
  return l;
}

inline LineAmountInput LAF(const Intent& intent, size_t line, Amount amount, Amount fees) {
  LineAmountInput l = LA(intent, line, amount);
  l.fees_amount = fees;
  return l;
}

inline ActionInput Full() { return ActionInput{}; }

inline ActionInput Partial(std::vector<LineAmountInput> lines) {
  ActionInput in;
  in.partial = true;
  uint64_t sum = 0;  // wraps instead of overflowing; tests of overflow set `amount` themselves
  for (const auto& l : lines) sum += static_cast<uint64_t>(l.amount);
  in.amount = static_cast<Amount>(sum);
  in.lines = std::move(lines);
  return in;
}

// Plans and, if accepted, applies. Returns the plan's status.
inline Status DoCapture(Intent& intent, const ActionInput& in) {
  auto plan = PlanCapture(intent, in, NewId(id_prefix::kCapture, 1700000000000), 1700000001);
  if (!plan.ok()) return plan.status();
  ApplyPlan(intent, std::move(*plan));
  return Status::Ok();
}

inline Status DoCancel(Intent& intent, const ActionInput& in) {
  auto plan = PlanCancel(intent, in, NewId(id_prefix::kCancel, 1700000000000), 1700000001);
  if (!plan.ok()) return plan.status();
  ApplyPlan(intent, std::move(*plan));
  return Status::Ok();
}

}  // namespace splitledger::testing_util
