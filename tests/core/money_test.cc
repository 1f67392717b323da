// Currency table, checked arithmetic, FormatMoney, Status/Result.
#include <gtest/gtest.h>

#include <climits>
#include <cstdint>
#include <set>
#include <string>

#include "splitledger/core/money.h"
#include "splitledger/core/status.h"

namespace splitledger {
namespace {

TEST(Currency, ExponentsOfKnownCodes) {
  struct Want {
    const char* code;
    int numeric;
    int exponent;
  };
  for (const Want& w : {Want{"EUR", 978, 2}, Want{"USD", 840, 2}, Want{"GBP", 826, 2},
                        Want{"JPY", 392, 0}, Want{"KRW", 410, 0}, Want{"ISK", 352, 0},
                        Want{"KWD", 414, 3}, Want{"BHD", 48, 3}, Want{"TND", 788, 3},
                        Want{"CLF", 990, 4}, Want{"UYW", 927, 4}, Want{"AED", 784, 2},
                        Want{"ZWG", 924, 2}}) {
    const Currency* c = FindCurrency(w.code);
    ASSERT_NE(c, nullptr) << w.code;
    EXPECT_EQ(c->code, w.code);
    EXPECT_EQ(c->numeric, w.numeric) << w.code;
    EXPECT_EQ(c->exponent, w.exponent) << w.code;
    auto parsed = ParseCurrency(w.code);
    ASSERT_TRUE(parsed.ok()) << w.code;
    EXPECT_EQ(*parsed, c);
  }
}

TEST(Currency, UnknownLowercaseEmptyRejected) {
  for (const char* code : {"", "eur", "Eur", "EU", "EURO", "EUR ", " EUR", "XXX", "ABC", "ZZZ",
                           "AAA", "XAU", "jpy"}) {
    EXPECT_EQ(FindCurrency(code), nullptr) << "'" << code << "'";
    auto parsed = ParseCurrency(code, "LineItems[0].Currency");
    ASSERT_FALSE(parsed.ok()) << code;
    EXPECT_EQ(parsed.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(parsed.status().field(), "LineItems[0].Currency");
  }
  // The default field name.
  EXPECT_EQ(ParseCurrency("eur").status().field(), "currency");
  // A code containing a NUL is not "EUR".
  EXPECT_EQ(FindCurrency(std::string_view("EUR\0", 4)), nullptr);
}

TEST(Currency, EveryTableEntryIsFoundByItsOwnCode) {
  // Walk every three-letter upper-case code: each one found must round-trip, be unique by numeric
  // code, and have a sane exponent. The table has ~150 active codes.
  std::set<int> numerics;
  int found = 0;
  for (char a = 'A'; a <= 'Z'; ++a) {
    for (char b = 'A'; b <= 'Z'; ++b) {
      for (char c = 'A'; c <= 'Z'; ++c) {
        std::string code{a, b, c};
        const Currency* cur = FindCurrency(code);
        if (cur == nullptr) continue;
        ++found;
        EXPECT_EQ(cur->code, code);
        EXPECT_GE(cur->exponent, 0);
        EXPECT_LE(cur->exponent, 4);
        EXPECT_TRUE(numerics.insert(cur->numeric).second) << "duplicate numeric " << cur->numeric;
      }
    }
  }
  EXPECT_GE(found, 150);
  EXPECT_LE(found, 200);
}

TEST(CheckedArithmetic, AddAtEdges) {
  Amount out = 42;
  EXPECT_TRUE(CheckedAdd(INT64_MAX - 1, 1, &out));
  EXPECT_EQ(out, INT64_MAX);
  out = 42;
  EXPECT_FALSE(CheckedAdd(INT64_MAX, 1, &out));
  EXPECT_EQ(out, 42) << "out must be untouched on overflow";
  EXPECT_FALSE(CheckedAdd(INT64_MIN, -1, &out));
  EXPECT_EQ(out, 42);
  EXPECT_TRUE(CheckedAdd(INT64_MAX, INT64_MIN, &out));
  EXPECT_EQ(out, -1);
}

TEST(CheckedArithmetic, SubAtEdges) {
  Amount out = 7;
  EXPECT_TRUE(CheckedSub(INT64_MIN + 1, 1, &out));
  EXPECT_EQ(out, INT64_MIN);
  out = 7;
  EXPECT_FALSE(CheckedSub(INT64_MIN, 1, &out));
  EXPECT_EQ(out, 7);
  EXPECT_FALSE(CheckedSub(0, INT64_MIN, &out));
  EXPECT_EQ(out, 7);
  EXPECT_TRUE(CheckedSub(-1, INT64_MIN, &out));
  EXPECT_EQ(out, INT64_MAX);
}

TEST(CheckedArithmetic, MulAtEdges) {
  Amount out = 9;
  EXPECT_TRUE(CheckedMul(INT64_MAX, 1, &out));
  EXPECT_EQ(out, INT64_MAX);
  out = 9;
  EXPECT_FALSE(CheckedMul(INT64_MAX, 2, &out));
  EXPECT_EQ(out, 9);
  EXPECT_FALSE(CheckedMul(INT64_MIN, -1, &out));
  EXPECT_EQ(out, 9);
  EXPECT_FALSE(CheckedMul(3037000500, 3037000500, &out));  // just above sqrt(2^63)
  EXPECT_TRUE(CheckedMul(3037000499, 3037000499, &out));
  EXPECT_EQ(out, 9223372030926249001);
  EXPECT_TRUE(CheckedMul(INT64_MAX / 7, 7, &out));
  EXPECT_EQ(out, INT64_MAX / 7 * 7);
}

TEST(CheckedArithmetic, CheckedSumRemembersOverflow) {
  CheckedSum s;
  s += INT64_MAX - 10;
  s += 10;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.value(), INT64_MAX);
  s += 1;
  EXPECT_FALSE(s.ok());
  s += -5;  // stays failed even though the running value would come back in range
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.value(), INT64_MAX) << "the last good sum, not a wrapped one";

  CheckedSum n;
  n += INT64_MIN;
  n += -1;
  EXPECT_FALSE(n.ok());
}

TEST(FormatMoney, Exponents) {
  const Currency& eur = *FindCurrency("EUR");
  const Currency& jpy = *FindCurrency("JPY");
  const Currency& kwd = *FindCurrency("KWD");
  const Currency& clf = *FindCurrency("CLF");
  EXPECT_EQ(FormatMoney(1260, eur), "12.60 EUR");
  EXPECT_EQ(FormatMoney(5, eur), "0.05 EUR");
  EXPECT_EQ(FormatMoney(50, eur), "0.50 EUR");
  EXPECT_EQ(FormatMoney(0, eur), "0.00 EUR");
  EXPECT_EQ(FormatMoney(-5, eur), "-0.05 EUR");
  EXPECT_EQ(FormatMoney(-1260, eur), "-12.60 EUR");
  EXPECT_EQ(FormatMoney(1260, jpy), "1260 JPY");
  EXPECT_EQ(FormatMoney(0, jpy), "0 JPY");
  EXPECT_EQ(FormatMoney(-7, jpy), "-7 JPY");
  EXPECT_EQ(FormatMoney(1260, kwd), "1.260 KWD");
  EXPECT_EQ(FormatMoney(1, kwd), "0.001 KWD");
  EXPECT_EQ(FormatMoney(1, clf), "0.0001 CLF");
  EXPECT_EQ(FormatMoney(123456, clf), "12.3456 CLF");
}

TEST(FormatMoney, Int64Extremes) {
  const Currency& eur = *FindCurrency("EUR");
  const Currency& jpy = *FindCurrency("JPY");
  EXPECT_EQ(FormatMoney(INT64_MAX, eur), "92233720368547758.07 EUR");
  EXPECT_EQ(FormatMoney(INT64_MIN, eur), "-92233720368547758.08 EUR");
  EXPECT_EQ(FormatMoney(INT64_MIN, jpy), "-9223372036854775808 JPY");
}

TEST(Status, CodesMessagesFields) {
  Status ok;
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.ToString(), "OK");
  Status r = Status::Rule("Amount must equal LineItems amounts", "Amount");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.code(), ErrorCode::kRuleViolation);
  EXPECT_EQ(r.ToString(), "rule_violation: Amount must equal LineItems amounts (Amount)");
  EXPECT_EQ(Status::Overflow("X").code(), ErrorCode::kOverflow);
  EXPECT_EQ(Status::Overflow("X").field(), "X");
  EXPECT_EQ(Status::Invalid("m").ToString(), "invalid_argument: m");
  EXPECT_EQ(Status::NotFound("m").code(), ErrorCode::kNotFound);
  EXPECT_STREQ(ErrorCodeName(ErrorCode::kInternal), "internal");
  EXPECT_STREQ(ErrorCodeName(ErrorCode::kUnbalanced), "unbalanced");
}

Result<int> Half(int x) {
  if (x % 2 != 0) return Status::Invalid("bad", "F");
  return x / 2;
}

TEST(Status, ResultHoldsValueOrStatus) {
  Result<int> v = Half(10);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 5);
  EXPECT_TRUE(v.status().ok());
  Result<int> e = Half(3);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(e.status().field(), "F");
}

Status ReturnsEarly(bool fail, int* reached) {
  SL_RETURN_IF_ERROR(fail ? Status::Rule("no") : Status::Ok());
  *reached = 1;
  return Status::Ok();
}

TEST(Status, ReturnIfErrorMacro) {
  int reached = 0;
  EXPECT_EQ(ReturnsEarly(true, &reached).code(), ErrorCode::kRuleViolation);
  EXPECT_EQ(reached, 0);
  EXPECT_TRUE(ReturnsEarly(false, &reached).ok());
  EXPECT_EQ(reached, 1);
}

}  // namespace
}  // namespace splitledger
