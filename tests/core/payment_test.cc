// The orchestrated payment's rules (core/payment.h): validation, the lines' binary form, which
// operations may start, and the transitions a PSP's verdict makes — including a randomised walk
// checked against a reference model of where the money is.
#include "splitledger/core/payment.h"

#include <gtest/gtest.h>

#include <random>

namespace splitledger {
namespace {

PaymentInput GoodInput() {
  PaymentInput in;
  in.amount = 10000;
  in.currency = "EUR";
  in.reference_id = "order-1";
  in.purchaser_id = "cust";
  in.return_url = "https://shop.example/back";
  return in;
}

bool Names(const std::vector<std::pair<std::string, std::string>>& errors, const std::string& f) {
  for (const auto& [field, message] : errors) {
    if (field.rfind(f, 0) == 0) return true;
  }
  return false;
}

TEST(PaymentCheck, AcceptsAGoodRequestAndNamesEveryBadField) {
  EXPECT_TRUE(CheckPayment(GoodInput(), "live").empty());
  PaymentInput bad = GoodInput();
  bad.amount = 0;
  bad.currency = "EURO";
  bad.reference_id = "";
  bad.purchaser_id = "ab";
  bad.return_url = "javascript:alert(1)";
  auto errors = CheckPayment(bad, "test");
  for (const char* f : {"amount", "currency", "reference_id", "purchaser_id", "return_url"}) {
    EXPECT_TRUE(Names(errors, f)) << f;
  }
}

TEST(PaymentCheck, PlainHttpReturnUrlsOnlyInTheTestEnvironment) {
  PaymentInput in = GoodInput();
  in.return_url = "http://localhost:3000/back";
  EXPECT_TRUE(CheckPayment(in, "test").empty());
  EXPECT_TRUE(Names(CheckPayment(in, "live"), "return_url"));
  in.return_url = "https://shop.example/\"><script>";
  EXPECT_TRUE(Names(CheckPayment(in, "test"), "return_url"));
}

TEST(PaymentCheck, LineItemsMustSumToTheAmount) {
  PaymentInput in = GoodInput();
  LineItemInput l;
  l.quantity = 2;
  l.unit_amount = 4000;
  in.lines = {l};
  EXPECT_TRUE(Names(CheckPayment(in, "test"), "line_items"));
  in.lines[0].unit_amount = 5000;
  EXPECT_TRUE(CheckPayment(in, "test").empty());
  in.lines[0].seller.fees_amount = 10001;  // a fee above the line's total
  EXPECT_TRUE(Names(CheckPayment(in, "test"), "line_items"));
}

TEST(PaymentLines, RoundTripAndTheWholeAmountWhenNoneGiven) {
  LineItemInput a;
  a.name = "mug";
  a.quantity = 2;
  a.unit_amount = 1500;
  a.seller.wallet_id = "wlt_1";
  a.seller.author_id = "user_1";
  a.seller.fees_amount = 300;
  std::vector<LineItemInput> back;
  ASSERT_TRUE(DecodeLines(EncodeLines({a}), &back));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].name, "mug");
  EXPECT_EQ(back[0].quantity, 2);
  EXPECT_EQ(back[0].seller.fees_amount, 300);
  EXPECT_EQ(back[0].seller.wallet_id, "wlt_1");
  EXPECT_FALSE(DecodeLines(Bytes{"\x05garbage"}, &back));

  Payment p;
  p.amount = 777;
  p.reference_id = "o";
  auto whole = PaymentLines(p);
  ASSERT_EQ(whole.size(), 1u);
  EXPECT_EQ(whole[0].quantity * whole[0].unit_amount, 777);
}

Payment At(PaymentStatus s, bool held, int64_t expires_at = 0) {
  Payment p;
  p.amount = 1000;
  p.status = static_cast<int64_t>(s);
  p.ledger_intent = held;
  p.expires_at = expires_at;
  return p;
}

TEST(PaymentStart, TheSeedPagesRefusalsForCancel) {
  EXPECT_TRUE(
      CheckCanStart(At(PaymentStatus::kAuthorized, true, 100), PspOpKind::kVoid, 0, 0, 50).ok());
  EXPECT_EQ(CheckCanStart(At(PaymentStatus::kSuccess, true), PspOpKind::kVoid, 0, 0, 50).message(),
            "Cannot cancel a captured payment. Use refund endpoint instead.");
  EXPECT_EQ(CheckCanStart(At(PaymentStatus::kExpired, false), PspOpKind::kVoid, 0, 0, 50).message(),
            "Cancellation failed: Authorization already expired");
  EXPECT_EQ(
      CheckCanStart(At(PaymentStatus::kAuthorized, true, 40), PspOpKind::kVoid, 0, 0, 50).message(),
      "Cancellation failed: Authorization already expired");
  for (PaymentStatus s :
       {PaymentStatus::kSelection, PaymentStatus::kPending, PaymentStatus::kCanceled}) {
    EXPECT_EQ(CheckCanStart(At(s, false), PspOpKind::kVoid, 0, 0, 50).message(),
              "Payment intent is not in authorized status");
  }
}

TEST(PaymentStart, RefundsWithinWhatIsRefundable) {
  Payment p = At(PaymentStatus::kSuccess, true);
  EXPECT_TRUE(CheckCanStart(p, PspOpKind::kRefund, 400, 400, 0).ok());
  EXPECT_FALSE(CheckCanStart(p, PspOpKind::kRefund, 401, 400, 0).ok());
  EXPECT_FALSE(CheckCanStart(p, PspOpKind::kRefund, 0, 400, 0).ok());
  EXPECT_FALSE(
      CheckCanStart(At(PaymentStatus::kAuthorized, true), PspOpKind::kRefund, 1, 0, 0).ok());
}

TEST(PaymentResult, AnUnknownOutcomeIsNeverAFailure) {
  PaymentAttempt a;
  a.status = static_cast<int64_t>(AttemptStatus::kInitiated);
  PspOperation op;
  op.kind = static_cast<int64_t>(PspOpKind::kAuthorize);
  PaymentTransition t =
      PlanPspResult(At(PaymentStatus::kPending, false), a, op, PspVerdict::kUnknown);
  EXPECT_EQ(t.op, PspOpState::kUnknown);
  EXPECT_EQ(t.payment, PaymentStatus::kPending);
  EXPECT_EQ(t.effect, LedgerEffect::kNone);
  op.kind = static_cast<int64_t>(PspOpKind::kCapture);
  t = PlanPspResult(At(PaymentStatus::kAuthorized, true), a, op, PspVerdict::kUnknown);
  EXPECT_EQ(t.op, PspOpState::kUnknown);
  EXPECT_EQ(t.payment, PaymentStatus::kAuthorized);
}

TEST(PaymentResult, AnExpiryReleasesTheHoldEvenWhenThePspRefusesTheVoid) {
  PaymentAttempt a;
  PspOperation op;
  op.kind = static_cast<int64_t>(PspOpKind::kVoid);
  op.expiry = true;
  PaymentTransition t =
      PlanPspResult(At(PaymentStatus::kAuthorized, true), a, op, PspVerdict::kDeclined);
  EXPECT_EQ(t.payment, PaymentStatus::kExpired);
  EXPECT_EQ(t.effect, LedgerEffect::kVoid);
  op.expiry = false;
  t = PlanPspResult(At(PaymentStatus::kAuthorized, true), a, op, PspVerdict::kDeclined);
  EXPECT_EQ(t.payment, PaymentStatus::kAuthorized);
  EXPECT_EQ(t.effect, LedgerEffect::kNone);
}

// Random operations and verdicts against a model of the money: the ledger holds an authorisation
// once (kAuthorize before any capture or void), captures at most once and only what it holds,
// releases only a live hold, refunds only captured money; a settled payment never moves again.
TEST(PaymentResult, RandomWalksKeepTheMoneyConsistent) {
  std::mt19937_64 rng(20261130);
  const PspOpKind kinds[] = {PspOpKind::kAuthorize, PspOpKind::kCompleteAuth, PspOpKind::kCapture,
                             PspOpKind::kVoid,      PspOpKind::kRefund,       PspOpKind::kSync};
  for (int walk = 0; walk < 2000; ++walk) {
    Payment p = At(PaymentStatus::kSelection, false);
    PaymentAttempt a;
    bool held = false, captured = false, released = false;
    for (int step = 0; step < 30; ++step) {
      PspOperation op;
      op.kind = static_cast<int64_t>(kinds[rng() % 6]);
      op.expiry = rng() % 4 == 0;
      if (!CheckCanStart(p, op.op(), 1, 1, 0).ok() && !(op.expiry && op.op() == PspOpKind::kVoid)) {
        continue;
      }
      PspVerdict v = static_cast<PspVerdict>(rng() % 9);
      const PaymentStatus before = p.state();
      PaymentTransition t = PlanPspResult(p, a, op, v);
      switch (t.effect) {
        case LedgerEffect::kAuthorize:
          ASSERT_FALSE(held);
          held = true;
          break;
        case LedgerEffect::kAuthorizeAndCapture:
          ASSERT_FALSE(held);
          held = captured = true;
          break;
        case LedgerEffect::kCapture:
          ASSERT_TRUE(held && !captured && !released);
          ASSERT_EQ(before, PaymentStatus::kAuthorized);
          captured = true;
          break;
        case LedgerEffect::kVoid:
          ASSERT_TRUE(held && !captured && !released);
          ASSERT_EQ(before, PaymentStatus::kAuthorized);
          released = true;
          break;
        case LedgerEffect::kRefund:
          ASSERT_TRUE(captured);
          break;
        case LedgerEffect::kNone:
          break;
      }
      if (before == PaymentStatus::kSuccess || p.terminal()) {
        ASSERT_EQ(t.payment, before) << "a settled payment changed status";
      }
      if (v == PspVerdict::kUnknown) {
        ASSERT_NE(t.op, PspOpState::kFailed);
      }
      p.status = static_cast<int64_t>(t.payment);
      p.ledger_intent = held;
      a.status = static_cast<int64_t>(t.attempt);
      ASSERT_EQ(p.state() == PaymentStatus::kSuccess, captured) << "success iff captured";
      ASSERT_EQ(p.state() == PaymentStatus::kAuthorized, held && !captured && !released);
    }
  }
}

}  // namespace
}  // namespace splitledger
