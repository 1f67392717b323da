// The Intent aggregate: create, mixed basket, capture and cancel (echo-api.md §8.1–8.3, §9.1).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <climits>
#include <cstdint>
#include <string>
#include <vector>

#include "splitledger/core/ids.h"
#include "splitledger/core/intent.h"
#include "test_util.h"

namespace splitledger {
namespace {

using namespace testing_util;  // NOLINT
using ::testing::HasSubstr;

// ---------------------------------------------------------------------------------------------
// Status names and NextActions (§9.1)

TEST(IntentStatus, NamesRoundTrip) {
  const char* names[] = {"AUTHORIZED", "PARTIALLY_CAPTURED", "CAPTURED",     "CANCELLED",
                         "REFUNDED",   "REFUND_REVERSED",    "DISPUTED",     "DEFENDED",
                         "DISPUTED_WON", "DISPUTED_LOST"};
  for (int i = 0; i < 10; ++i) {
    auto s = static_cast<IntentStatus>(i);
    EXPECT_STREQ(IntentStatusName(s), names[i]);
    auto parsed = ParseIntentStatus(names[i]);
    ASSERT_TRUE(parsed.has_value()) << names[i];
    EXPECT_EQ(*parsed, s);
  }
  EXPECT_FALSE(ParseIntentStatus("CANCELED").has_value()) << "two L: CANCELLED";
  EXPECT_FALSE(ParseIntentStatus("authorized").has_value());
  EXPECT_FALSE(ParseIntentStatus("").has_value());
}

TEST(IntentStatus, NextActions) {
  EXPECT_STREQ(IntentNextActions(IntentStatus::kAuthorized), "CAPTURE, CANCEL");
  EXPECT_STREQ(IntentNextActions(IntentStatus::kPartiallyCaptured), "CAPTURE, REFUND, DISPUTE");
  EXPECT_STREQ(IntentNextActions(IntentStatus::kCaptured), "REFUND, DISPUTE");
  EXPECT_EQ(IntentNextActions(IntentStatus::kCancelled), nullptr);
  EXPECT_STREQ(IntentNextActions(IntentStatus::kRefunded), "REVERSE_REFUND");
  EXPECT_STREQ(IntentNextActions(IntentStatus::kRefundReversed), "REFUND, DISPUTE");
  EXPECT_STREQ(IntentNextActions(IntentStatus::kDisputed), "DEFEND, WIN_DISPUTE, LOSE_DISPUTE");
  EXPECT_STREQ(IntentNextActions(IntentStatus::kDefended), "WIN_DISPUTE, LOSE_DISPUTE");
  EXPECT_STREQ(IntentNextActions(IntentStatus::kDisputedWon), "REFUND, DISPUTE");
  EXPECT_STREQ(IntentNextActions(IntentStatus::kDisputedLost), "");
}

// ---------------------------------------------------------------------------------------------
// Create (§8.1)

TEST(IntentCreate, TotalsAmountFeesAndInitialState) {
  CreateIntentInput in = Create({Line(1000, 3, 200, 500), Line(250, 4, 0, 0), Line(99, 1, 99)});
  in.amount = 2500 + 1000 + 99;
  in.platform_fees = 299;
  in.buyer_id = "user_m_buyer";
  in.unfunded_amount = 7;
  auto ids = LineIds(3);
  auto plan = PlanCreate(in, ids);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->new_lines.size(), 3u);
  ASSERT_EQ(plan->deltas.size(), 3u);
  EXPECT_FALSE(plan->action.has_value());
  EXPECT_EQ(plan->new_status, IntentStatus::kAuthorized);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(plan->deltas[i].line_index, i);
    EXPECT_EQ(plan->deltas[i].authorized, plan->new_lines[i].total);
    EXPECT_EQ(plan->deltas[i].fee_added, plan->new_lines[i].fee);
    EXPECT_EQ(plan->new_lines[i].id, ids[i]);
  }

  Intent intent = NewIntent(in, "int_x", "client", 1700000000);
  ApplyPlan(intent, std::move(*plan));
  EXPECT_EQ(intent.status, IntentStatus::kAuthorized);
  EXPECT_EQ(intent.currency, "EUR");
  EXPECT_EQ(intent.buyer_id, "user_m_buyer");
  EXPECT_EQ(intent.unfunded_amount, 7);
  EXPECT_EQ(intent.created_at, 1700000000);
  ASSERT_EQ(intent.lines.size(), 3u);
  EXPECT_EQ(intent.lines[0].total, 2500);  // 1000 × 3 − 500; TaxAmount not added
  EXPECT_EQ(intent.lines[1].total, 1000);
  EXPECT_EQ(intent.lines[2].total, 99);
  EXPECT_EQ(intent.lines[0].fee, 200);
  EXPECT_EQ(intent.lines[0].fee_initial, 200);
  EXPECT_EQ(intent.amount(), 3599);
  EXPECT_EQ(intent.platform_fees(), 299);
  EXPECT_EQ(intent.available_to_split(), 0);
  EXPECT_FALSE(intent.HasCapture());
  EXPECT_TRUE(intent.actions.empty());
  for (const LineItem& l : intent.lines) {
    EXPECT_EQ(l.captured, 0);
    EXPECT_EQ(l.cancelled, 0);
    EXPECT_EQ(l.remaining(), l.total);
  }
  EXPECT_EQ(intent.FindLine(ids[1]), 1);
  EXPECT_EQ(intent.FindLine("int_li_nope"), -1);
  EXPECT_TRUE(CheckInvariants(intent).ok());
}

TEST(IntentCreate, TaxIsInformational) {
  LineItemInput l = Line(1000, 2);
  l.tax_amount = 200;
  auto intent = MakeIntent(Create({l}));
  ASSERT_TRUE(intent.ok());
  EXPECT_EQ(intent->amount(), 2000);
}

TEST(IntentCreate, AmountAndPlatformFeesOptional) {
  auto intent = MakeIntent(Create({Line(100, 1, 10)}));
  ASSERT_TRUE(intent.ok());
  EXPECT_EQ(intent->amount(), 100);
  EXPECT_EQ(intent->platform_fees(), 10);
}

TEST(IntentCreate, AmountMismatchIsARuleError) {
  CreateIntentInput in = Create({Line(1000, 1), Line(500, 2)});
  in.amount = 1999;
  auto plan = PlanCreate(in, LineIds(2));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), ErrorCode::kRuleViolation);
  EXPECT_EQ(plan.status().field(), "amount");
  EXPECT_THAT(plan.status().message(), HasSubstr("2000"));
  in.amount = 2001;
  EXPECT_EQ(PlanCreate(in, LineIds(2)).status().code(), ErrorCode::kRuleViolation);
  in.amount = 2000;
  EXPECT_TRUE(PlanCreate(in, LineIds(2)).ok());
}

TEST(IntentCreate, PlatformFeesMismatchIsARuleError) {
  CreateIntentInput in = Create({Line(1000, 1, 30), Line(500, 2, 20)});
  in.platform_fees = 49;
  auto plan = PlanCreate(in, LineIds(2));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), ErrorCode::kRuleViolation);
  EXPECT_EQ(plan.status().field(), "platform_fees");
  in.platform_fees = 0;
  EXPECT_FALSE(PlanCreate(in, LineIds(2)).ok());
  in.platform_fees = 50;
  EXPECT_TRUE(PlanCreate(in, LineIds(2)).ok());
}

TEST(IntentCreate, LineCountLimits) {
  EXPECT_EQ(PlanCreate(Create({}), {}).status().code(), ErrorCode::kInvalidArgument);
  std::vector<LineItemInput> lines(100, Line(10));
  EXPECT_TRUE(PlanCreate(Create(lines), LineIds(100)).ok());
  lines.push_back(Line(10));
  auto plan = PlanCreate(Create(lines), LineIds(101));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().field(), "line_items");
  EXPECT_THAT(plan.status().message(), HasSubstr("100"));
}

TEST(IntentCreate, LineIdCountMustMatch) {
  EXPECT_EQ(PlanCreate(Create({Line(10), Line(20)}), LineIds(1)).status().code(),
            ErrorCode::kInternal);
}

TEST(IntentCreate, CurrencyValidated) {
  for (const char* c : {"eur", "", "XXX", "EURO"}) {
    auto plan = PlanCreate(Create({Line(10)}, c), LineIds(1));
    ASSERT_FALSE(plan.ok()) << c;
    EXPECT_EQ(plan.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(plan.status().field(), "currency");
  }
  EXPECT_TRUE(PlanCreate(Create({Line(10)}, "JPY"), LineIds(1)).ok());
}

struct BadLine {
  const char* what;
  LineItemInput line;
  const char* field;  // neutral name
  int index;  // the line index the error names
};

TEST(IntentCreate, LineIntegrityChecks) {
  LineItemInput neg_tax = Line(10);
  neg_tax.tax_amount = -1;
  const BadLine cases[] = {
      {"quantity 0", Line(10, 0), "quantity", 1},
      {"quantity negative", Line(10, -3), "quantity", 1},
      {"negative unit", Line(-1, 1), "unit_amount", 1},
      {"negative tax", neg_tax, "tax_amount", 1},
      {"negative discount", Line(10, 1, 0, -1), "discount_amount", 1},
      {"negative fee", Line(10, 1, -1), "fees_amount", 1},
      {"discount > gross", Line(10, 3, 0, 31), "discount_amount", 1},
      {"fee > total", Line(10, 3, 21, 10), "fees_amount", 1},
  };
  for (const BadLine& c : cases) {
    auto plan = PlanCreate(Create({Line(5), c.line}), LineIds(2));
    ASSERT_FALSE(plan.ok()) << c.what;
    EXPECT_EQ(plan.status().code(), ErrorCode::kInvalidArgument) << c.what;
    EXPECT_EQ(plan.status().field(), c.field) << c.what;
    EXPECT_EQ(plan.status().line(), c.index) << c.what;
  }
  // Boundaries that are allowed.
  EXPECT_TRUE(PlanCreate(Create({Line(10, 3, 0, 30)}), LineIds(1)).ok()) << "discount == gross";
  EXPECT_TRUE(PlanCreate(Create({Line(10, 3, 20, 10)}), LineIds(1)).ok()) << "fee == total";
  EXPECT_TRUE(PlanCreate(Create({Line(0, 1)}), LineIds(1)).ok()) << "free item";
}

TEST(IntentCreate, NegativeTopLevelAmounts) {
  CreateIntentInput in = Create({Line(10)});
  in.amount = -10;
  EXPECT_EQ(PlanCreate(in, LineIds(1)).status().code(), ErrorCode::kInvalidArgument);
  in.amount.reset();
  in.unfunded_amount = -1;
  auto plan = PlanCreate(in, LineIds(1));
  EXPECT_EQ(plan.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(plan.status().field(), "unfunded_amount");
}

TEST(IntentCreate, UnitTimesQuantityOverflow) {
  auto plan = PlanCreate(Create({Line(INT64_MAX / 2 + 1, 2)}), LineIds(1));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), ErrorCode::kOverflow);
  EXPECT_EQ(plan.status().field(), "unit_amount");
  EXPECT_EQ(plan.status().line(), 0);
  // A discount cannot rescue an overflowing gross.
  plan = PlanCreate(Create({Line(INT64_MAX, 2, 0, INT64_MAX)}), LineIds(1));
  EXPECT_EQ(plan.status().code(), ErrorCode::kOverflow);
  // Exactly INT64_MAX is fine.
  auto ok = MakeIntent(Create({Line(INT64_MAX / 7, 7)}));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->amount(), INT64_MAX / 7 * 7);
  ok = MakeIntent(Create({Line(INT64_MAX, 1, INT64_MAX)}));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->platform_fees(), INT64_MAX);
}

TEST(IntentCreate, SumOfTotalsOverflow) {
  auto plan = PlanCreate(Create({Line(INT64_MAX / 2 + 1), Line(INT64_MAX / 2 + 1)}), LineIds(2));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), ErrorCode::kOverflow);
  EXPECT_EQ(plan.status().field(), "amount");
  auto ok = MakeIntent(Create({Line(INT64_MAX / 2 + 1), Line(INT64_MAX / 2)}));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->amount(), INT64_MAX);
  // The discount is applied before summing: two huge lines with discounts fit.
  ok = MakeIntent(Create({Line(INT64_MAX, 1, 0, INT64_MAX / 2 + 1), Line(INT64_MAX / 2 + 1)}));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->amount(), INT64_MAX);
}

// ---------------------------------------------------------------------------------------------
// Mixed basket (§8.1)

TEST(IntentAddLines, AddsToAnAuthorizedIntent) {
  auto intent = MakeIntent(Create({Line(1000, 1, 100)}));
  ASSERT_TRUE(intent.ok());
  CreateIntentInput more = Create({Line(300, 2, 50), Line(10)});
  more.amount = 610;
  more.platform_fees = 50;
  auto ids = LineIds(2);
  auto plan = PlanAddLines(*intent, more, ids);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->deltas.size(), 2u);
  EXPECT_EQ(plan->deltas[0].line_index, 1u);
  EXPECT_EQ(plan->deltas[1].line_index, 2u);
  EXPECT_EQ(plan->deltas[0].authorized, 600);
  EXPECT_EQ(plan->new_status, IntentStatus::kAuthorized);
  ApplyPlan(*intent, std::move(*plan));
  EXPECT_EQ(intent->lines.size(), 3u);
  EXPECT_EQ(intent->amount(), 1610);
  EXPECT_EQ(intent->platform_fees(), 150);
  EXPECT_EQ(intent->FindLine(ids[1]), 2);
  EXPECT_TRUE(CheckInvariants(*intent).ok());
}

TEST(IntentAddLines, AmountChecksAreAboutTheNewLines) {
  auto intent = MakeIntent(Create({Line(1000, 1, 100)}));
  ASSERT_TRUE(intent.ok());
  CreateIntentInput more = Create({Line(300)});
  more.amount = 1300;  // the running intent total, not the request's
  EXPECT_EQ(PlanAddLines(*intent, more, LineIds(1)).status().code(), ErrorCode::kRuleViolation);
  more.amount = 300;
  more.platform_fees = 100;
  EXPECT_EQ(PlanAddLines(*intent, more, LineIds(1)).status().code(), ErrorCode::kRuleViolation);
  more.platform_fees = 0;
  EXPECT_TRUE(PlanAddLines(*intent, more, LineIds(1)).ok());
}

TEST(IntentAddLines, OnlyWhileAuthorizedAndSameCurrency) {
  auto intent = MakeIntent(Create({Line(1000), Line(500)}));
  ASSERT_TRUE(intent.ok());
  auto wrong_cur = PlanAddLines(*intent, Create({Line(10)}, "USD"), LineIds(1));
  ASSERT_FALSE(wrong_cur.ok());
  EXPECT_EQ(wrong_cur.status().field(), "currency");
  EXPECT_FALSE(PlanAddLines(*intent, Create({Line(10)}, "eur"), LineIds(1)).ok());

  // Still AUTHORIZED after a partial cancel: adding is allowed.
  ASSERT_TRUE(DoCancel(*intent, Partial({LA(*intent, 1, 100)})).ok());
  EXPECT_TRUE(PlanAddLines(*intent, Create({Line(10)}), LineIds(1)).ok());

  ASSERT_TRUE(DoCapture(*intent, Partial({LA(*intent, 0, 1)})).ok());
  ASSERT_EQ(intent->status, IntentStatus::kPartiallyCaptured);
  auto refused = PlanAddLines(*intent, Create({Line(10)}), LineIds(1));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kRuleViolation);
  EXPECT_THAT(refused.status().message(), HasSubstr("AUTHORIZED"));

  auto cancelled = MakeIntent(Create({Line(1000)}));
  ASSERT_TRUE(DoCancel(*cancelled, Full()).ok());
  EXPECT_EQ(PlanAddLines(*cancelled, Create({Line(10)}), LineIds(1)).status().code(),
            ErrorCode::kRuleViolation);
}

TEST(IntentAddLines, LimitAndOverflowCountExistingLines) {
  std::vector<LineItemInput> lines(99, Line(1));
  auto intent = MakeIntent(Create(lines));
  ASSERT_TRUE(intent.ok());
  EXPECT_TRUE(PlanAddLines(*intent, Create({Line(1)}), LineIds(1)).ok());
  EXPECT_FALSE(PlanAddLines(*intent, Create({Line(1), Line(1)}), LineIds(2)).ok());

  auto big = MakeIntent(Create({Line(INT64_MAX - 5)}));
  ASSERT_TRUE(big.ok());
  EXPECT_TRUE(PlanAddLines(*big, Create({Line(5)}), LineIds(1)).ok());
  auto over = PlanAddLines(*big, Create({Line(6)}), LineIds(1));
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), ErrorCode::kOverflow);
  EXPECT_EQ(PlanAddLines(*big, Create({}), {}).status().code(), ErrorCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------------------------
// Capture (§8.2)

TEST(IntentCapture, FullCapture) {
  auto intent = MakeIntent(Create({Line(1000, 1, 100), Line(250, 4, 10)}));
  ASSERT_TRUE(intent.ok());
  ActionInput in = Full();
  in.external.present = true;
  in.external.provider_reference = "psp-1";
  auto plan = PlanCapture(*intent, in, "int_capture_1", 1700000100);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->new_status, IntentStatus::kCaptured);
  ASSERT_TRUE(plan->action.has_value());
  EXPECT_EQ(plan->action->kind, ActionKind::kCapture);
  EXPECT_EQ(plan->action->id, "int_capture_1");
  EXPECT_EQ(plan->action->amount, 2000);
  EXPECT_EQ(plan->action->status, "CAPTURED");
  EXPECT_EQ(plan->action->created_at, 1700000100);
  EXPECT_EQ(plan->action->external.provider_reference, "psp-1");
  ASSERT_EQ(plan->action->lines.size(), 2u);
  EXPECT_EQ(plan->action->lines[1].amount, 1000);
  ApplyPlan(*intent, std::move(*plan));
  EXPECT_EQ(intent->status, IntentStatus::kCaptured);
  EXPECT_EQ(intent->available_to_split(), intent->amount());
  EXPECT_EQ(intent->available_to_split(), 2000);
  EXPECT_EQ(intent->lines[0].captured, 1000);
  EXPECT_EQ(intent->lines[1].captured, 1000);
  EXPECT_EQ(intent->platform_fees(), 110) << "capture leaves fees alone";
  EXPECT_TRUE(intent->HasCapture());
  EXPECT_TRUE(CheckInvariants(*intent).ok());

  // A second full capture, a partial capture and any cancel are refused.
  auto again = PlanCapture(*intent, Full(), "c2", 0);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), ErrorCode::kRuleViolation);
  EXPECT_EQ(DoCapture(*intent, Partial({LA(*intent, 0, 1)})).code(), ErrorCode::kRuleViolation);
  auto cancel = PlanCancel(*intent, Full(), "x", 0);
  ASSERT_FALSE(cancel.ok());
  EXPECT_EQ(cancel.status().message(), "Intent must be AUTHORIZED to be canceled");
}

TEST(IntentCapture, PartialThenRestIsCaptured) {
  auto intent = MakeIntent(Create({Line(1000), Line(500)}));
  ASSERT_TRUE(intent.ok());
  ASSERT_TRUE(DoCapture(*intent, Partial({LA(*intent, 0, 400)})).ok());
  EXPECT_EQ(intent->status, IntentStatus::kPartiallyCaptured);
  EXPECT_EQ(intent->available_to_split(), 400);
  ASSERT_TRUE(DoCapture(*intent, Partial({LA(*intent, 0, 600), LA(*intent, 1, 499)})).ok());
  EXPECT_EQ(intent->status, IntentStatus::kPartiallyCaptured);
  ASSERT_TRUE(DoCapture(*intent, Partial({LA(*intent, 1, 1)})).ok());
  EXPECT_EQ(intent->status, IntentStatus::kCaptured);
  EXPECT_EQ(intent->available_to_split(), 1500);
  EXPECT_EQ(intent->actions.size(), 3u);
  // Nothing left: one more unit is over-capture, and the status is no longer capturable.
  EXPECT_EQ(DoCapture(*intent, Partial({LA(*intent, 1, 1)})).code(), ErrorCode::kRuleViolation);
  EXPECT_TRUE(CheckInvariants(*intent).ok());
}

TEST(IntentCapture, PartialCoveringEverythingIsCaptured) {
  // The Echo test: 1000 of 1000 through the partial endpoint gives CAPTURED.
  auto intent = MakeIntent(Create({Line(1000)}));
  ASSERT_TRUE(intent.ok());
  ASSERT_TRUE(DoCapture(*intent, Partial({LA(*intent, 0, 1000)})).ok());
  EXPECT_EQ(intent->status, IntentStatus::kCaptured);
  EXPECT_EQ(intent->available_to_split(), 1000);

  // Same line named twice: the amounts add up.
  auto twice = MakeIntent(Create({Line(1000)}));
  ASSERT_TRUE(DoCapture(*twice, Partial({LA(*twice, 0, 600), LA(*twice, 0, 400)})).ok());
  EXPECT_EQ(twice->status, IntentStatus::kCaptured);
  ASSERT_EQ(twice->actions.back().lines.size(), 1u);
  EXPECT_EQ(twice->actions.back().lines[0].amount, 1000);
}

TEST(IntentCapture, OverCaptureRefused) {
  auto intent = MakeIntent(Create({Line(1000), Line(500)}));
  ASSERT_TRUE(intent.ok());
  Status st = DoCapture(*intent, Partial({LA(*intent, 1, 501)}));
  EXPECT_EQ(st.code(), ErrorCode::kRuleViolation);
  EXPECT_THAT(st.message(), HasSubstr("can't exceed authorized amount"));
  // Split over two entries of the same line.
  st = DoCapture(*intent, Partial({LA(*intent, 1, 300), LA(*intent, 1, 201)}));
  EXPECT_EQ(st.code(), ErrorCode::kRuleViolation);
  // Nothing changed.
  EXPECT_EQ(intent->status, IntentStatus::kAuthorized);
  EXPECT_EQ(intent->lines[1].captured, 0);
  EXPECT_TRUE(intent->actions.empty());
}

TEST(IntentCapture, AmountMustEqualLineSum) {
  auto intent = MakeIntent(Create({Line(1000), Line(500)}));
  ASSERT_TRUE(intent.ok());
  ActionInput in = Partial({LA(*intent, 0, 100), LA(*intent, 1, 50)});
  in.amount = 151;
  auto plan = PlanCapture(*intent, in, "c", 0);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), ErrorCode::kRuleViolation);
  EXPECT_THAT(plan.status().message(), HasSubstr("Amount must equal LineItems amounts"));
  EXPECT_EQ(plan.status().field(), "amount");
  in.amount = 149;
  EXPECT_FALSE(PlanCapture(*intent, in, "c", 0).ok());
  in.amount.reset();
  EXPECT_EQ(PlanCapture(*intent, in, "c", 0).status().code(), ErrorCode::kInvalidArgument);
  in.amount = 150;
  EXPECT_TRUE(PlanCapture(*intent, in, "c", 0).ok());
}

TEST(IntentCapture, PartialRequestValidation) {
  auto intent = MakeIntent(Create({Line(1000)}));
  ASSERT_TRUE(intent.ok());
  // Unknown line id.
  LineAmountInput unknown;
  unknown.line_item_id = "int_li_unknown";
  unknown.amount = 10;
  auto plan = PlanCapture(*intent, Partial({LA(*intent, 0, 5), unknown}), "c", 0);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().field(), "line_item_id");
  EXPECT_EQ(plan.status().line(), 1);
  EXPECT_THAT(plan.status().message(), HasSubstr("int_li_unknown"));
  // No lines.
  ActionInput none;
  none.partial = true;
  none.amount = 0;
  EXPECT_FALSE(PlanCapture(*intent, none, "c", 0).ok());
  // Zero and negative line amounts.
  EXPECT_FALSE(PlanCapture(*intent, Partial({LA(*intent, 0, 0)}), "c", 0).ok());
  EXPECT_FALSE(PlanCapture(*intent, Partial({LA(*intent, 0, -5)}), "c", 0).ok());
  ActionInput neg = Partial({LA(*intent, 0, 10), LA(*intent, 0, -5)});
  EXPECT_FALSE(PlanCapture(*intent, neg, "c", 0).ok());
  // Currency must be the intent's.
  ActionInput cur = Partial({LA(*intent, 0, 10)});
  cur.currency = "USD";
  auto c = PlanCapture(*intent, cur, "c", 0);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().field(), "currency");
  cur.currency = "EUR";
  EXPECT_TRUE(PlanCapture(*intent, cur, "c", 0).ok());
  // Line amounts whose sum overflows.
  auto big = MakeIntent(Create({Line(INT64_MAX)}));
  ActionInput ov = Partial({LA(*big, 0, INT64_MAX), LA(*big, 0, 1)});
  ov.amount = 1;
  EXPECT_EQ(PlanCapture(*big, ov, "c", 0).status().code(), ErrorCode::kOverflow);
  EXPECT_TRUE(DoCapture(*big, Partial({LA(*big, 0, INT64_MAX)})).ok());
  EXPECT_EQ(big->status, IntentStatus::kCaptured);
}

TEST(IntentCapture, FullCaptureAfterPartialRefused) {
  auto intent = MakeIntent(Create({Line(1000)}));
  ASSERT_TRUE(intent.ok());
  ASSERT_TRUE(DoCapture(*intent, Partial({LA(*intent, 0, 10)})).ok());
  auto plan = PlanCapture(*intent, Full(), "c", 0);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), ErrorCode::kRuleViolation);
  EXPECT_EQ(plan.status().message(), "Partial capture already done so full capture not allowed");
  // Also once the partial captures completed the intent.
  ASSERT_TRUE(DoCapture(*intent, Partial({LA(*intent, 0, 990)})).ok());
  EXPECT_EQ(PlanCapture(*intent, Full(), "c", 0).status().message(),
            "Partial capture already done so full capture not allowed");
}

TEST(IntentCapture, NotFromCancelled) {
  auto intent = MakeIntent(Create({Line(1000)}));
  ASSERT_TRUE(DoCancel(*intent, Full()).ok());
  EXPECT_EQ(DoCapture(*intent, Full()).code(), ErrorCode::kRuleViolation);
  EXPECT_EQ(DoCapture(*intent, Partial({LA(*intent, 0, 1)})).code(), ErrorCode::kRuleViolation);
  EXPECT_EQ(intent->lines[0].captured, 0);
}

TEST(IntentCapture, NothingToCaptureOnAZeroIntent) {
  auto intent = MakeIntent(Create({Line(0)}));
  ASSERT_TRUE(intent.ok());
  EXPECT_EQ(DoCapture(*intent, Full()).code(), ErrorCode::kRuleViolation);
  EXPECT_EQ(intent->status, IntentStatus::kAuthorized);
}

// ---------------------------------------------------------------------------------------------
// Cancel (§8.3)

TEST(IntentCancel, FullCancel) {
  auto intent = MakeIntent(Create({Line(1000, 1, 100), Line(500, 1, 5)}));
  ASSERT_TRUE(intent.ok());
  auto plan = PlanCancel(*intent, Full(), "int_cancel_1", 1700000200);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->new_status, IntentStatus::kCancelled);
  ASSERT_TRUE(plan->action.has_value());
  EXPECT_EQ(plan->action->kind, ActionKind::kCancel);
  EXPECT_EQ(plan->action->status, "CANCELLED");
  EXPECT_EQ(plan->action->amount, 1500);
  ASSERT_EQ(plan->action->lines.size(), 2u);
  EXPECT_EQ(plan->action->lines[0].fee_removed, 100);
  EXPECT_EQ(plan->action->lines[1].fee_removed, 5);
  ApplyPlan(*intent, std::move(*plan));
  EXPECT_EQ(intent->status, IntentStatus::kCancelled);
  EXPECT_STREQ(IntentStatusName(intent->status), "CANCELLED");
  for (const LineItem& l : intent->lines) {
    EXPECT_EQ(l.cancelled, l.total);
    EXPECT_EQ(l.fee, 0);
    EXPECT_EQ(l.fee_initial > 0, true);
  }
  EXPECT_EQ(intent->platform_fees(), 0);
  EXPECT_EQ(intent->available_to_split(), 0);
  EXPECT_EQ(intent->amount(), 1500) << "Amount stays the authorised total";
  EXPECT_TRUE(CheckInvariants(*intent).ok());
  auto again = PlanCancel(*intent, Full(), "x", 0);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().message(), "Intent must be AUTHORIZED to be canceled");
}

TEST(IntentCancel, OnlyWhileAuthorized) {
  auto intent = MakeIntent(Create({Line(1000)}));
  ASSERT_TRUE(DoCapture(*intent, Partial({LA(*intent, 0, 10)})).ok());
  for (const ActionInput& in : {Full(), Partial({LA(*intent, 0, 10)})}) {
    auto plan = PlanCancel(*intent, in, "x", 0);
    ASSERT_FALSE(plan.ok());
    EXPECT_EQ(plan.status().code(), ErrorCode::kRuleViolation);
    EXPECT_EQ(plan.status().message(), "Intent must be AUTHORIZED to be canceled");
  }
}

TEST(IntentCancel, ProRataFeeFromRunningTotals) {
  // Line 1000 with fee 100: cancel 333, 333, 334 removes 33, 33, 34 — the whole fee.
  auto intent = MakeIntent(Create({Line(1000, 1, 100)}));
  ASSERT_TRUE(intent.ok());
  const Amount steps[] = {333, 333, 334};
  const Amount removed[] = {33, 33, 34};
  const Amount fee_after[] = {67, 34, 0};
  for (int i = 0; i < 3; ++i) {
    auto plan = PlanCancel(*intent, Partial({LA(*intent, 0, steps[i])}), "x", 0);
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    ASSERT_EQ(plan->deltas.size(), 1u);
    EXPECT_EQ(plan->deltas[0].cancelled, steps[i]);
    EXPECT_EQ(plan->deltas[0].fee_removed, removed[i]) << "step " << i;
    EXPECT_EQ(plan->action->lines[0].fee_removed, removed[i]);
    ApplyPlan(*intent, std::move(*plan));
    EXPECT_EQ(intent->lines[0].fee, fee_after[i]) << "step " << i;
    EXPECT_EQ(intent->platform_fees(), fee_after[i]);
    EXPECT_TRUE(CheckInvariants(*intent).ok());
    EXPECT_EQ(intent->status, i < 2 ? IntentStatus::kAuthorized : IntentStatus::kCancelled);
  }
  EXPECT_EQ(intent->lines[0].cancelled, 1000);
}

TEST(IntentCancel, ProRataDoesNotAccumulateRounding) {
  // 1000 single-unit cancels of a 1000 line with fee 7: per-step floors would remove nothing until
  // the end; running totals remove floor(7·C/1000) so far at every step.
  auto intent = MakeIntent(Create({Line(1000, 1, 7)}));
  ASSERT_TRUE(intent.ok());
  for (Amount c = 1; c <= 1000; ++c) {
    ASSERT_TRUE(DoCancel(*intent, Partial({LA(*intent, 0, 1)})).ok()) << c;
    ASSERT_EQ(intent->lines[0].fee, 7 - (7 * c) / 1000) << c;
  }
  EXPECT_EQ(intent->lines[0].fee, 0);
  EXPECT_EQ(intent->status, IntentStatus::kCancelled);
}

TEST(IntentCancel, ProRataWithHugeValues) {
  // F·C needs more than 64 bits.
  auto intent = MakeIntent(Create({Line(INT64_MAX, 1, INT64_MAX - 1)}));
  ASSERT_TRUE(intent.ok());
  ASSERT_TRUE(DoCancel(*intent, Partial({LA(*intent, 0, INT64_MAX / 2)})).ok());
  __int128 removed = (__int128)(INT64_MAX - 1) * (INT64_MAX / 2) / INT64_MAX;
  EXPECT_EQ(intent->lines[0].fee, (INT64_MAX - 1) - static_cast<Amount>(removed));
  ASSERT_TRUE(DoCancel(*intent, Partial({LA(*intent, 0, INT64_MAX - INT64_MAX / 2)})).ok());
  EXPECT_EQ(intent->lines[0].fee, 0);
  EXPECT_TRUE(CheckInvariants(*intent).ok());
}

TEST(IntentCancel, ExplicitLineFeeIsUsed) {
  auto intent = MakeIntent(Create({Line(1000, 1, 100), Line(1000, 1, 100)}));
  ASSERT_TRUE(intent.ok());
  // Line 0 states 50 (not the pro-rata 10); line 1 is computed (pro rata: 10).
  auto plan = PlanCancel(*intent, Partial({LAF(*intent, 0, 100, 50), LA(*intent, 1, 100)}), "x", 0);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->deltas.size(), 2u);
  EXPECT_EQ(plan->deltas[0].fee_removed, 50);
  EXPECT_EQ(plan->deltas[1].fee_removed, 10);
  ApplyPlan(*intent, std::move(*plan));
  EXPECT_EQ(intent->lines[0].fee, 50);
  EXPECT_EQ(intent->lines[1].fee, 90);
  EXPECT_EQ(intent->platform_fees(), 140);
  // A stated 0 is honoured too.
  ASSERT_TRUE(DoCancel(*intent, Partial({LAF(*intent, 1, 100, 0)})).ok());
  EXPECT_EQ(intent->lines[1].fee, 90);
  // Later computed parts: running-total target for line 0 at C=200 is 100 − 20 = 80 >= 50, so
  // nothing more is removed.
  ASSERT_TRUE(DoCancel(*intent, Partial({LA(*intent, 0, 100)})).ok());
  EXPECT_EQ(intent->lines[0].fee, 50);
  // At C=600 the target is 40: 10 removed.
  ASSERT_TRUE(DoCancel(*intent, Partial({LA(*intent, 0, 400)})).ok());
  EXPECT_EQ(intent->lines[0].fee, 40);
  EXPECT_TRUE(CheckInvariants(*intent).ok());
}

TEST(IntentCancel, ExplicitLineFeeValidation) {
  auto intent = MakeIntent(Create({Line(1000, 1, 100)}));
  ASSERT_TRUE(intent.ok());
  // More than the remaining fee.
  auto plan = PlanCancel(*intent, Partial({LAF(*intent, 0, 10, 101)}), "x", 0);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), ErrorCode::kRuleViolation);
  EXPECT_THAT(plan.status().message(), HasSubstr("remaining fee"));
  // Negative.
  EXPECT_EQ(PlanCancel(*intent, Partial({LAF(*intent, 0, 10, -1)}), "x", 0).status().code(),
            ErrorCode::kInvalidArgument);
  // Cancelling the rest of the line must remove the whole remaining fee.
  auto rest = PlanCancel(*intent, Partial({LAF(*intent, 0, 1000, 99)}), "x", 0);
  EXPECT_EQ(rest.status().code(), ErrorCode::kRuleViolation);
  EXPECT_THAT(rest.status().message(), HasSubstr("whole remaining fee"));
  EXPECT_TRUE(PlanCancel(*intent, Partial({LAF(*intent, 0, 1000, 100)}), "x", 0).ok());
  // The fee left may not exceed the amount left: 950 cancelled leaves 50, fee 100 − 40 = 60 > 50.
  EXPECT_EQ(PlanCancel(*intent, Partial({LAF(*intent, 0, 950, 40)}), "x", 0).status().code(),
            ErrorCode::kRuleViolation);
  EXPECT_TRUE(PlanCancel(*intent, Partial({LAF(*intent, 0, 950, 50)}), "x", 0).ok());
  // After a stated part the remaining fee is smaller: the limit follows it.
  ASSERT_TRUE(DoCancel(*intent, Partial({LAF(*intent, 0, 100, 60)})).ok());
  EXPECT_EQ(intent->lines[0].fee, 40);
  EXPECT_FALSE(PlanCancel(*intent, Partial({LAF(*intent, 0, 100, 41)}), "x", 0).ok());
  EXPECT_TRUE(PlanCancel(*intent, Partial({LAF(*intent, 0, 100, 40)}), "x", 0).ok());
  // Duplicated line entries: amounts and fee parts add up (10 + 35 = 45 > 40).
  EXPECT_FALSE(
      PlanCancel(*intent, Partial({LAF(*intent, 0, 50, 10), LAF(*intent, 0, 50, 35)}), "x", 0).ok());
  auto dup = PlanCancel(*intent, Partial({LAF(*intent, 0, 50, 10), LAF(*intent, 0, 50, 30)}), "x", 0);
  ASSERT_TRUE(dup.ok());
  ASSERT_EQ(dup->deltas.size(), 1u);
  EXPECT_EQ(dup->deltas[0].cancelled, 100);
  EXPECT_EQ(dup->deltas[0].fee_removed, 40);
}

TEST(IntentCancel, TopLevelFeeAllocatedByLargestRemainder) {
  auto intent = MakeIntent(Create({Line(1000, 1, 100), Line(1000, 1, 100), Line(1000, 1, 100)}));
  ASSERT_TRUE(intent.ok());
  // 10 over cancelled amounts {100, 100, 100}: 3.33 each -> 4, 3, 3 (tie to the earliest).
  ActionInput in = Partial({LA(*intent, 0, 100), LA(*intent, 1, 100), LA(*intent, 2, 100)});
  in.platform_fees = 10;
  auto plan = PlanCancel(*intent, in, "x", 0);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->deltas.size(), 3u);
  EXPECT_EQ(plan->deltas[0].fee_removed, 4);
  EXPECT_EQ(plan->deltas[1].fee_removed, 3);
  EXPECT_EQ(plan->deltas[2].fee_removed, 3);
  ApplyPlan(*intent, std::move(*plan));
  EXPECT_EQ(intent->platform_fees(), 290);

  // Weighted by cancelled amount, in request order: 7 over {300 (line 2), 100 (line 0)}:
  // 5.25, 1.75 -> floors 5, 1; leftover to line 0 (.75 > .25).
  ActionInput w = Partial({LA(*intent, 2, 300), LA(*intent, 0, 100)});
  w.platform_fees = 7;
  auto p2 = PlanCancel(*intent, w, "x", 0);
  ASSERT_TRUE(p2.ok()) << p2.status().ToString();
  ASSERT_EQ(p2->deltas.size(), 2u);
  EXPECT_EQ(p2->deltas[0].line_index, 2u);
  EXPECT_EQ(p2->deltas[0].fee_removed, 5);
  EXPECT_EQ(p2->deltas[1].line_index, 0u);
  EXPECT_EQ(p2->deltas[1].fee_removed, 2);

  // A part above a line's remaining fee refuses the whole request.
  ActionInput too_much = Partial({LA(*intent, 0, 100), LA(*intent, 1, 100)});
  too_much.platform_fees = 200;  // 100 each, but line 0 has 96 left
  EXPECT_EQ(PlanCancel(*intent, too_much, "x", 0).status().code(), ErrorCode::kRuleViolation);
  too_much.platform_fees = -1;
  EXPECT_EQ(PlanCancel(*intent, too_much, "x", 0).status().code(), ErrorCode::kInvalidArgument);
  // Top level 0: no fee removed at all (the stated part replaces the pro-rata part).
  ActionInput zero = Partial({LA(*intent, 1, 500)});
  zero.platform_fees = 0;
  auto p3 = PlanCancel(*intent, zero, "x", 0);
  ASSERT_TRUE(p3.ok());
  EXPECT_EQ(p3->deltas[0].fee_removed, 0);
}

TEST(IntentCancel, TopLevelWithLineFeesMustMatchTheirSum) {
  auto intent = MakeIntent(Create({Line(1000, 1, 100), Line(1000, 1, 100)}));
  ASSERT_TRUE(intent.ok());
  ActionInput in = Partial({LAF(*intent, 0, 100, 20), LAF(*intent, 1, 100, 5)});
  in.platform_fees = 24;
  auto plan = PlanCancel(*intent, in, "x", 0);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().field(), "platform_fees");
  in.platform_fees = 25;
  plan = PlanCancel(*intent, in, "x", 0);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->deltas[0].fee_removed, 20);
  EXPECT_EQ(plan->deltas[1].fee_removed, 5);
}

TEST(IntentCancel, HugeStatedLineFeesAreRefusedNotOverflowed) {
  // Σ stated fee parts over int64: refused cleanly (and without signed overflow under UBSan).
  auto intent = MakeIntent(Create({Line(1000, 1, 100), Line(1000, 1, 100)}));
  ASSERT_TRUE(intent.ok());
  ActionInput in = Partial({LAF(*intent, 0, 100, INT64_MAX), LAF(*intent, 1, 100, INT64_MAX)});
  in.platform_fees = 10;
  auto plan = PlanCancel(*intent, in, "x", 0);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), ErrorCode::kOverflow);
  EXPECT_EQ(plan.status().field(), "platform_fees");
  in.platform_fees = -2;  // what the wrapped sum would be
  EXPECT_EQ(PlanCancel(*intent, in, "x", 0).status().code(), ErrorCode::kOverflow);
}

TEST(IntentCancel, PartialCancelOfEverythingIsCancelled) {
  auto intent = MakeIntent(Create({Line(1000, 1, 100), Line(500, 1, 50)}));
  ASSERT_TRUE(intent.ok());
  ASSERT_TRUE(DoCancel(*intent, Partial({LA(*intent, 0, 1000)})).ok());
  EXPECT_EQ(intent->status, IntentStatus::kAuthorized);
  EXPECT_EQ(intent->lines[0].fee, 0);
  ASSERT_TRUE(DoCancel(*intent, Partial({LA(*intent, 1, 500)})).ok());
  EXPECT_EQ(intent->status, IntentStatus::kCancelled);
  EXPECT_EQ(intent->platform_fees(), 0);
  // Over-cancel refused.
  auto again = MakeIntent(Create({Line(1000)}));
  Status st = DoCancel(*again, Partial({LA(*again, 0, 1001)}));
  EXPECT_EQ(st.code(), ErrorCode::kRuleViolation);
  ActionInput mism = Partial({LA(*again, 0, 10)});
  mism.amount = 11;
  st = DoCancel(*again, mism);
  EXPECT_THAT(st.message(), HasSubstr("Amount must equal LineItems amounts"));
}

TEST(IntentCancel, FullCancelAfterPartialCancel) {
  auto intent = MakeIntent(Create({Line(1000, 1, 100), Line(500, 1, 50)}));
  ASSERT_TRUE(intent.ok());
  ASSERT_TRUE(DoCancel(*intent, Partial({LA(*intent, 0, 1000)})).ok());
  ASSERT_TRUE(DoCancel(*intent, Partial({LA(*intent, 1, 100)})).ok());
  auto plan = PlanCancel(*intent, Full(), "x", 0);
  ASSERT_TRUE(plan.ok());
  // Only the line with something left appears; it loses its remaining fee.
  ASSERT_EQ(plan->deltas.size(), 1u);
  EXPECT_EQ(plan->deltas[0].line_index, 1u);
  EXPECT_EQ(plan->deltas[0].cancelled, 400);
  EXPECT_EQ(plan->deltas[0].fee_removed, 40);
  EXPECT_EQ(plan->action->amount, 400);
  ApplyPlan(*intent, std::move(*plan));
  EXPECT_EQ(intent->status, IntentStatus::kCancelled);
  EXPECT_EQ(intent->platform_fees(), 0);
}

TEST(IntentCancel, CaptureAfterPartialCancelLimitedToRemainder) {
  auto intent = MakeIntent(Create({Line(1000, 1, 100), Line(500, 1, 50)}));
  ASSERT_TRUE(intent.ok());
  ASSERT_TRUE(DoCancel(*intent, Partial({LA(*intent, 0, 300)})).ok());
  EXPECT_EQ(intent->lines[0].remaining(), 700);
  Status st = DoCapture(*intent, Partial({LA(*intent, 0, 701)}));
  EXPECT_EQ(st.code(), ErrorCode::kRuleViolation);
  EXPECT_THAT(st.message(), HasSubstr("can't exceed authorized amount"));
  ASSERT_TRUE(DoCapture(*intent, Partial({LA(*intent, 0, 700)})).ok());
  EXPECT_EQ(intent->status, IntentStatus::kPartiallyCaptured);
  ASSERT_TRUE(DoCapture(*intent, Partial({LA(*intent, 1, 500)})).ok());
  EXPECT_EQ(intent->status, IntentStatus::kCaptured);
  EXPECT_EQ(intent->available_to_split(), 1200);
  EXPECT_EQ(intent->lines[0].captured + intent->lines[0].cancelled, 1000);

  // A full capture after a partial cancel captures just the remainder.
  auto other = MakeIntent(Create({Line(1000, 1, 100), Line(500, 1, 50)}));
  ASSERT_TRUE(DoCancel(*other, Partial({LA(*other, 0, 1000), LA(*other, 1, 100)})).ok());
  auto plan = PlanCapture(*other, Full(), "c", 0);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->deltas.size(), 1u);
  EXPECT_EQ(plan->deltas[0].captured, 400);
  ApplyPlan(*other, std::move(*plan));
  EXPECT_EQ(other->status, IntentStatus::kCaptured);
  EXPECT_EQ(other->available_to_split(), 400);
  EXPECT_EQ(other->platform_fees(), 40);
  EXPECT_TRUE(CheckInvariants(*other).ok());
}

TEST(IntentPlan, PlanningDoesNotModify) {
  auto intent = MakeIntent(Create({Line(1000, 1, 100)}));
  ASSERT_TRUE(intent.ok());
  Intent before = *intent;
  ASSERT_TRUE(PlanCancel(*intent, Partial({LA(*intent, 0, 500)}), "x", 0).ok());
  ASSERT_TRUE(PlanCapture(*intent, Full(), "x", 0).ok());
  ASSERT_TRUE(PlanAddLines(*intent, Create({Line(5)}), LineIds(1)).ok());
  EXPECT_EQ(intent->lines.size(), before.lines.size());
  EXPECT_EQ(intent->lines[0].fee, before.lines[0].fee);
  EXPECT_EQ(intent->lines[0].cancelled, 0);
  EXPECT_EQ(intent->lines[0].captured, 0);
  EXPECT_EQ(intent->actions.size(), 0u);
  EXPECT_EQ(intent->status, before.status);
}

TEST(CheckInvariants, DetectsBrokenState) {
  auto good = MakeIntent(Create({Line(1000, 1, 100)}));
  ASSERT_TRUE(good.ok());
  ASSERT_TRUE(CheckInvariants(*good).ok());
  auto broken = [&](auto mutate) {
    Intent i = *good;
    mutate(i.lines[0]);
    return CheckInvariants(i);
  };
  EXPECT_FALSE(broken([](LineItem& l) { l.captured = -1; }).ok());
  EXPECT_FALSE(broken([](LineItem& l) { l.cancelled = -1; }).ok());
  EXPECT_FALSE(broken([](LineItem& l) { l.captured = 600, l.cancelled = 401; }).ok());
  EXPECT_FALSE(broken([](LineItem& l) { l.fee = -1; }).ok());
  EXPECT_FALSE(broken([](LineItem& l) { l.fee = 101; }).ok());
  EXPECT_FALSE(broken([](LineItem& l) { l.cancelled = 950; }).ok()) << "fee 100 > 50 uncancelled";
  EXPECT_FALSE(broken([](LineItem& l) { l.captured = 10, l.refunded = 6, l.split = 5; }).ok());
  EXPECT_TRUE(broken([](LineItem& l) { l.captured = 10, l.refunded = 5, l.split = 5; }).ok());
  EXPECT_EQ(broken([](LineItem& l) { l.fee = 101; }).code(), ErrorCode::kInternal);
  Intent many = *good;
  many.lines.resize(101, good->lines[0]);
  EXPECT_FALSE(CheckInvariants(many).ok());
}

}  // namespace
}  // namespace splitledger
