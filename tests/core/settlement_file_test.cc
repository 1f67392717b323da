// The settlement CSV parser and its checks (echo-api.md §11), including a fuzz loop.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "splitledger/core/settlement_file.h"

namespace splitledger {
namespace {

using ::testing::HasSubstr;

constexpr int64_t k19June2025 = 1750291200;  // 2025-06-19T00:00:00Z

const char kHeader[] =
    "IntentId,ExternalProviderReference,ExternalTransactionType,ExternalTransactionStatus,"
    "ExternalProcessingDate,Amount,Currency,ExternalPaymentMethod,ExternalInitialReference,"
    "ExternalProviderFees\n";

// The Node SDK's settlement_sample.csv.
const std::string kGood = std::string("\xEF\xBB\xBF") + kHeader +
                          ",ref-1,PAYMENT,SETTLED,19-06-2025,1000,EUR,PAYPAL,,\n"
                          ",,,,,,,,,\n"
                          "SettlementDate,19-06-2025,,,,,,,,\n"
                          "ExternalProviderName,Paypal,,,,,,,,\n"
                          "TotalSettlementFeesAmount,0,,,,,,,,\n"
                          "TotalNetSettlementAmount,1000,,,,,,,,\n"
                          "SettlementCurrency,EUR,,,,,,,,\n";

// settlement_sample_bad.csv: the net total does not add up, and the data row is one comma short.
const std::string kBad = std::string("\xEF\xBB\xBF") + kHeader +
                         ",ref-1,PAYMENT,SETTLED,19-06-2025,1000,EUR,PAYPAL,\n"
                         ",,,,,,,,,\n"
                         "SettlementDate,19-06-2025,,,,,,,,\n"
                         "ExternalProviderName,Paypal,,,,,,,,\n"
                         "TotalSettlementFeesAmount,0,,,,,,,,\n"
                         "TotalNetSettlementAmount,999999,,,,,,,,\n"
                         "SettlementCurrency,EUR,,,,,,,,\n";

// A file with the standard header, these data rows and these footer values.
std::string File(const std::string& rows, const std::string& net = "1000",
                 const std::string& fees = "0", const std::string& currency = "EUR") {
  return kHeader + rows + ",,,,,,,,,\n" + "SettlementDate,19-06-2025\n" +
         "ExternalProviderName,Paypal\n" + "TotalSettlementFeesAmount," + fees + "\n" +
         "TotalNetSettlementAmount," + net + "\n" + "SettlementCurrency," + currency + "\n";
}

std::vector<std::string> Codes(const SettlementFile& f) {
  std::vector<std::string> codes;
  for (const auto& e : f.footer_errors) codes.push_back(e.footer_name + ":" + e.code);
  return codes;
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

// ---------------------------------------------------------------------------------------------
// The SDK fixtures

TEST(SettlementFile, GoodFixture) {
  SettlementFile f = ParseSettlementFile(kGood);
  ASSERT_TRUE(f.structurally_valid) << ::testing::PrintToString(Codes(f));
  EXPECT_TRUE(f.footer_errors.empty());
  EXPECT_TRUE(f.line_errors.empty());
  ASSERT_EQ(f.lines.size(), 1u);
  const SettlementLine& l = f.lines[0];
  EXPECT_EQ(l.row, 1u);
  EXPECT_EQ(l.intent_id, "");
  EXPECT_EQ(l.provider_reference, "ref-1");
  EXPECT_EQ(l.type, SettlementLineType::kPayment);
  EXPECT_EQ(l.status, "SETTLED");
  EXPECT_EQ(l.processing_date, k19June2025);
  EXPECT_EQ(l.amount, 1000);
  EXPECT_EQ(l.currency, "EUR");
  EXPECT_EQ(l.payment_method, "PAYPAL");
  EXPECT_EQ(l.initial_reference, "");
  EXPECT_FALSE(l.provider_fees.has_value());
  EXPECT_EQ(f.settlement_date, k19June2025);
  EXPECT_EQ(f.provider_name, "Paypal");
  EXPECT_EQ(f.total_fees, 0);
  EXPECT_EQ(f.total_net, 1000);
  EXPECT_EQ(f.currency, "EUR");
  EXPECT_TRUE(CheckSettlementTotals(f).empty());
}

TEST(SettlementFile, BadFixtureParsesButTheNetTotalDoesNotMatch) {
  SettlementFile f = ParseSettlementFile(kBad);
  ASSERT_TRUE(f.structurally_valid) << ::testing::PrintToString(Codes(f));
  ASSERT_EQ(f.lines.size(), 1u);
  EXPECT_EQ(f.lines[0].payment_method, "PAYPAL");
  auto errors = CheckSettlementTotals(f);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].footer_name, "TotalNetSettlementAmount");
  EXPECT_EQ(errors[0].code, "SETTLEMENTAMOUNT_NOT_MATCH");
  EXPECT_EQ(errors[0].description,
            "TotalNetSettlement amount 999999 EUR is not matching to declared amount 1000 EUR.");
}

TEST(SettlementFile, LineTypeNames) {
  EXPECT_STREQ(SettlementLineTypeName(SettlementLineType::kPayment), "PAYMENT");
  EXPECT_STREQ(SettlementLineTypeName(SettlementLineType::kRefund), "REFUND");
  EXPECT_STREQ(SettlementLineTypeName(SettlementLineType::kDispute), "DISPUTE");
}

// ---------------------------------------------------------------------------------------------
// CSV dialect

TEST(SettlementFile, WithoutBomAndWithCrLf) {
  const std::string no_bom = kGood.substr(3);
  EXPECT_TRUE(ParseSettlementFile(no_bom).structurally_valid);
  std::string crlf;
  for (char c : kGood) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  SettlementFile f = ParseSettlementFile(crlf);
  ASSERT_TRUE(f.structurally_valid) << ::testing::PrintToString(Codes(f));
  ASSERT_EQ(f.lines.size(), 1u);
  EXPECT_EQ(f.lines[0].payment_method, "PAYPAL");
  EXPECT_EQ(f.currency, "EUR");
  // No final newline either.
  EXPECT_TRUE(ParseSettlementFile(no_bom.substr(0, no_bom.size() - 1)).structurally_valid);
}

TEST(SettlementFile, ColumnsByNameInAnyOrderWithSpacesAndUnknownColumns) {
  const std::string text =
      " Currency , Amount,Notes,ExternalProcessingDate,ExternalTransactionStatus,"
      "ExternalTransactionType,ExternalProviderReference,IntentId\n"
      "EUR,600,free text,19-06-2025,SETTLED,PAYMENT,ref-1,int_1\n"
      "EUR,400,,19-06-2025,SETTLED,PAYMENT,ref-2\n"
      "\n"
      "SettlementCurrency,EUR\n"
      "TotalNetSettlementAmount,1000\n"
      "TotalSettlementFeesAmount,0\n"
      "ExternalProviderName,Paypal\n"
      "SettlementDate,19-06-2025\n";
  SettlementFile f = ParseSettlementFile(text);
  ASSERT_TRUE(f.structurally_valid) << ::testing::PrintToString(Codes(f));
  ASSERT_EQ(f.lines.size(), 2u);
  EXPECT_EQ(f.lines[0].intent_id, "int_1");
  EXPECT_EQ(f.lines[0].amount, 600);
  EXPECT_EQ(f.lines[1].provider_reference, "ref-2");
  EXPECT_EQ(f.lines[1].intent_id, "");
  EXPECT_EQ(f.lines[1].row, 2u);
  EXPECT_TRUE(CheckSettlementTotals(f).empty());
}

TEST(SettlementFile, QuotedCells) {
  SettlementFile f = ParseSettlementFile(
      File("\"int,1\",\"ref \"\"A\"\"\",PAYMENT,\"SETTLED\",19-06-2025, \"1000\" ,EUR,"
           "\"multi\nline\",,\n"));
  ASSERT_TRUE(f.structurally_valid) << ::testing::PrintToString(Codes(f));
  ASSERT_EQ(f.lines.size(), 1u);
  EXPECT_EQ(f.lines[0].intent_id, "int,1");
  EXPECT_EQ(f.lines[0].provider_reference, "ref \"A\"");
  EXPECT_EQ(f.lines[0].amount, 1000);
  EXPECT_EQ(f.lines[0].payment_method, "multi\nline");
  // A quoted empty row is still the separator.
  f = ParseSettlementFile(
      Replace(File(",ref-1,PAYMENT,SETTLED,19-06-2025,1000,EUR\n"), ",,,,,,,,,\n", "\"\",,\"\"\n"));
  EXPECT_TRUE(f.structurally_valid) << ::testing::PrintToString(Codes(f));
}

TEST(SettlementFile, BadQuotingFailsTheFile) {
  SettlementFile f = ParseSettlementFile(File(",\"ref-1,PAYMENT,SETTLED,19-06-2025,1000,EUR\n"));
  EXPECT_FALSE(f.structurally_valid);
  EXPECT_THAT(Codes(f), ::testing::ElementsAre(":INVALID_CSV"));
  EXPECT_THAT(f.footer_errors[0].description, HasSubstr("line 2"));
  f = ParseSettlementFile(File(",\"ref\"-1,PAYMENT,SETTLED,19-06-2025,1000,EUR\n"));
  EXPECT_THAT(Codes(f), ::testing::ElementsAre(":INVALID_CSV"));
}

TEST(SettlementFile, RaggedRows) {
  SettlementFile f = ParseSettlementFile(
      File(",ref-1,PAYMENT,SETTLED,19-06-2025,500,EUR\n"             // short
           ",ref-2,PAYMENT,SETTLED,19-06-2025,500,EUR,,,,,,,,,,,\n"  // long, extra cells empty
           ",ref-3,PAYMENT,SETTLED,19-06-2025,500,EUR,,,,,,surplus\n"));
  ASSERT_TRUE(f.structurally_valid) << ::testing::PrintToString(Codes(f));
  ASSERT_EQ(f.lines.size(), 2u);
  ASSERT_EQ(f.line_errors.size(), 1u);
  EXPECT_EQ(f.line_errors[0].provider_reference, "ref-3");
  EXPECT_THAT(f.line_errors[0].description, HasSubstr("Row 3"));
  EXPECT_THAT(f.line_errors[0].description, HasSubstr("surplus"));
}

TEST(SettlementFile, EmptyRowsAmongFootersAreSkipped) {
  SettlementFile f =
      ParseSettlementFile(Replace(kGood, "SettlementCurrency", ",,\n\nSettlementCurrency"));
  EXPECT_TRUE(f.structurally_valid) << ::testing::PrintToString(Codes(f));
}

// ---------------------------------------------------------------------------------------------
// Structure errors: the file FAILS

TEST(SettlementFile, EmptyInput) {
  SettlementFile f = ParseSettlementFile("");
  EXPECT_FALSE(f.structurally_valid);
  EXPECT_THAT(Codes(f), ::testing::ElementsAre(":EMPTY_FILE"));
  f = ParseSettlementFile("\xEF\xBB\xBF");
  EXPECT_THAT(Codes(f), ::testing::ElementsAre(":EMPTY_FILE"));
}

TEST(SettlementFile, MissingFooter) {
  SettlementFile f = ParseSettlementFile(Replace(kGood, "SettlementDate,19-06-2025,,,,,,,,\n", ""));
  EXPECT_FALSE(f.structurally_valid);
  EXPECT_THAT(Codes(f), ::testing::ElementsAre("SettlementDate:MISSING_FOOTER"));
  EXPECT_TRUE(CheckSettlementTotals(f).empty()) << "no amount check on a failed file";
}

TEST(SettlementFile, InvalidFooters) {
  EXPECT_THAT(Codes(ParseSettlementFile(
                  Replace(kGood, "SettlementDate,19-06-2025", "SettlementDate,2025-06-19"))),
              ::testing::ElementsAre("SettlementDate:INVALID_FOOTER"));
  EXPECT_THAT(Codes(ParseSettlementFile(
                  Replace(kGood, "ExternalProviderName,Paypal", "ExternalProviderName,"))),
              ::testing::ElementsAre("ExternalProviderName:INVALID_FOOTER"));
  EXPECT_THAT(Codes(ParseSettlementFile(
                  Replace(kGood, "TotalSettlementFeesAmount,0", "TotalSettlementFeesAmount,0.5"))),
              ::testing::ElementsAre("TotalSettlementFeesAmount:INVALID_FOOTER"));
  EXPECT_THAT(Codes(ParseSettlementFile(Replace(kGood, "TotalNetSettlementAmount,1000,",
                                                "TotalNetSettlementAmount,1,000"))),
              ::testing::ElementsAre("TotalNetSettlementAmount:INVALID_FOOTER"));
  EXPECT_THAT(Codes(ParseSettlementFile(
                  Replace(kGood, "SettlementCurrency,EUR", "SettlementCurrency,eur"))),
              ::testing::ElementsAre("SettlementCurrency:INVALID_FOOTER"));
  // A footer value may be negative.
  SettlementFile f =
      ParseSettlementFile(File(",ref-1,PAYMENT,SETTLED,19-06-2025,1000,EUR\n", "1200", "-200"));
  ASSERT_TRUE(f.structurally_valid);
  EXPECT_EQ(f.total_fees, -200);
  EXPECT_TRUE(CheckSettlementTotals(f).empty());
}

TEST(SettlementFile, DuplicateAndUnknownFooters) {
  EXPECT_THAT(
      Codes(ParseSettlementFile(Replace(kGood, "SettlementCurrency,EUR,,,,,,,,\n",
                                        "SettlementCurrency,EUR\nSettlementCurrency,EUR\n"))),
      ::testing::ElementsAre("SettlementCurrency:DUPLICATE_FOOTER"));
  EXPECT_THAT(
      Codes(ParseSettlementFile(Replace(kGood, "SettlementCurrency,EUR,,,,,,,,\n",
                                        "SettlementCurrency,EUR\nTotalSettlementAmount,1000\n"))),
      ::testing::ElementsAre("TotalNetSettlementAmount:DUPLICATE_FOOTER"));
  // A transaction after a second separator would be lost: it fails the file instead.
  EXPECT_THAT(Codes(ParseSettlementFile(Replace(kGood, "SettlementDate",
                                                ",ref-2,PAYMENT,SETTLED,19-06-2025,1,EUR,,,\n"
                                                "SettlementDate"))),
              ::testing::ElementsAre(":UNKNOWN_FOOTER"));
}

TEST(SettlementFile, OlderNetTotalName) {
  SettlementFile f = ParseSettlementFile(
      Replace(kGood, "TotalNetSettlementAmount,1000", "TotalSettlementAmount,1000"));
  ASSERT_TRUE(f.structurally_valid) << ::testing::PrintToString(Codes(f));
  EXPECT_EQ(f.total_net, 1000);
  EXPECT_TRUE(CheckSettlementTotals(f).empty());
}

TEST(SettlementFile, MissingMandatoryColumn) {
  const std::string text =
      Replace(Replace(kGood, "ExternalProcessingDate,", ""), "SETTLED,19-06-2025,", "SETTLED,");
  SettlementFile f = ParseSettlementFile(text);
  EXPECT_FALSE(f.structurally_valid);
  EXPECT_THAT(Codes(f), ::testing::ElementsAre("ExternalProcessingDate:MISSING_COLUMN"));
  EXPECT_TRUE(f.line_errors.empty()) << "rows are not read without their columns";
  EXPECT_TRUE(f.lines.empty());
  // An optional column may be absent.
  f = ParseSettlementFile(Replace(Replace(kGood, "IntentId,", ""), "\n,ref-1", "\nref-1"));
  EXPECT_TRUE(f.structurally_valid) << ::testing::PrintToString(Codes(f));
}

TEST(SettlementFile, DuplicateColumn) {
  SettlementFile f = ParseSettlementFile(Replace(kGood, "IntentId,", "Amount,"));
  EXPECT_THAT(Codes(f), ::testing::ElementsAre("Amount:DUPLICATE_COLUMN"));
}

TEST(SettlementFile, MissingSeparator) {
  std::string text = Replace(kGood, ",,,,,,,,,\n", "");
  SettlementFile f = ParseSettlementFile(text);
  EXPECT_FALSE(f.structurally_valid);
  EXPECT_EQ(Codes(f)[0], ":MISSING_SEPARATOR");
}

TEST(SettlementFile, TwoCurrencies) {
  SettlementFile f =
      ParseSettlementFile(File(",ref-1,PAYMENT,SETTLED,19-06-2025,500,EUR\n"
                               ",ref-2,PAYMENT,SETTLED,19-06-2025,500,USD\n"));
  EXPECT_FALSE(f.structurally_valid);
  EXPECT_THAT(Codes(f), ::testing::ElementsAre("Currency:CURRENCY_NOT_MATCH",
                                               "SettlementCurrency:CURRENCY_NOT_MATCH"));
  EXPECT_THAT(f.footer_errors[0].description, HasSubstr("EUR (row 1), USD (row 2)"));
  EXPECT_THAT(f.footer_errors[1].description, HasSubstr("USD (row 2)"));
  // One currency, not the footer's.
  f = ParseSettlementFile(File(",ref-1,PAYMENT,SETTLED,19-06-2025,1000,USD\n"));
  EXPECT_THAT(Codes(f), ::testing::ElementsAre("SettlementCurrency:CURRENCY_NOT_MATCH"));
  // A malformed row in another currency still counts.
  f =
      ParseSettlementFile(File(",ref-1,PAYMENT,SETTLED,19-06-2025,1000,EUR\n"
                               ",ref-2,PAYMENT,SETTLED,bad-date,1000,GBP\n"));
  EXPECT_FALSE(f.structurally_valid);
}

TEST(SettlementFile, OverflowingSums) {
  SettlementFile f =
      ParseSettlementFile(File(",ref-1,PAYMENT,SETTLED,19-06-2025,9223372036854775807,EUR\n"
                               ",ref-2,PAYMENT,SETTLED,19-06-2025,9223372036854775807,EUR\n"));
  EXPECT_FALSE(f.structurally_valid);
  EXPECT_THAT(Codes(f), ::testing::ElementsAre("Amount:AMOUNT_OVERFLOW"));
  f =
      ParseSettlementFile(File(",ref-1,PAYMENT,SETTLED,19-06-2025,1,EUR,,,-9223372036854775808\n"
                               ",ref-2,PAYMENT,SETTLED,19-06-2025,1,EUR,,,-1\n"));
  EXPECT_THAT(Codes(f), ::testing::ElementsAre("ExternalProviderFees:AMOUNT_OVERFLOW"));
  // One amount out of range is a bad line.
  f = ParseSettlementFile(File(",ref-1,PAYMENT,SETTLED,19-06-2025,9223372036854775808,EUR\n"));
  ASSERT_TRUE(f.structurally_valid);
  ASSERT_EQ(f.line_errors.size(), 1u);
  // Extreme but representable: the total check works in 128 bits.
  f = ParseSettlementFile(File(",ref-1,PAYMENT,SETTLED,19-06-2025,9223372036854775807,EUR\n",
                               "9223372036854775807", "-9223372036854775808"));
  ASSERT_TRUE(f.structurally_valid) << ::testing::PrintToString(Codes(f));
  auto errors = CheckSettlementTotals(f);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0].description, HasSubstr("declared amount 18446744073709551615 EUR."));
}

// ---------------------------------------------------------------------------------------------
// Line errors: the row is left out, the file stays valid

TEST(SettlementFile, RefundAndDisputeNeedTheInitialReference) {
  SettlementFile f =
      ParseSettlementFile(File(",ref-r,REFUND,REFUNDED,19-06-2025,-300,EUR,,,\n"
                               ",ref-d,DISPUTE,DISPUTED,19-06-2025,-200,EUR,,,\n",
                               "-500"));
  ASSERT_TRUE(f.structurally_valid) << ::testing::PrintToString(Codes(f));
  EXPECT_TRUE(f.lines.empty());
  ASSERT_EQ(f.line_errors.size(), 2u);
  EXPECT_EQ(f.line_errors[0].provider_reference, "ref-r");
  EXPECT_EQ(f.line_errors[0].transaction_type, "REFUND");
  EXPECT_EQ(f.line_errors[0].code, "INVALID_LINE");
  EXPECT_EQ(f.line_errors[0].description,
            "Row 1: ExternalInitialReference is required for a REFUND line");
  EXPECT_EQ(f.line_errors[1].transaction_type, "DISPUTE");
}

TEST(SettlementFile, RefundsDisputesAndSigns) {
  SettlementFile f =
      ParseSettlementFile(File(",ref-1,PAYMENT,SETTLED,19-06-2025,1000,EUR,CARD,,10\n"
                               "int_9,ref-r,REFUND,REFUNDED,20-06-2025,-300,EUR,,ref-1,\n"
                               ",ref-rr,REFUND,REFUND_REVERSED,21-06-2025,300,EUR,,ref-r,\n"
                               ",ref-d,DISPUTE,DISPUTED,22-06-2025,-200,EUR,,ref-1,-5\n"
                               ",ref-d2,DISPUTE,DISPUTED_LOST,22-06-2025,0,EUR,,ref-1,\n",
                               "795", "5"));
  ASSERT_TRUE(f.structurally_valid) << ::testing::PrintToString(Codes(f));
  EXPECT_TRUE(f.line_errors.empty()) << f.line_errors[0].description;
  ASSERT_EQ(f.lines.size(), 5u);
  EXPECT_EQ(f.lines[1].type, SettlementLineType::kRefund);
  EXPECT_EQ(f.lines[1].amount, -300);
  EXPECT_EQ(f.lines[1].initial_reference, "ref-1");
  EXPECT_EQ(f.lines[1].intent_id, "int_9");
  EXPECT_EQ(f.lines[1].processing_date, k19June2025 + 86400);
  EXPECT_EQ(f.lines[3].type, SettlementLineType::kDispute);
  EXPECT_EQ(f.lines[3].provider_fees, -5);
  EXPECT_TRUE(CheckSettlementTotals(f).empty());

  f =
      ParseSettlementFile(File(",ref-1,PAYMENT,SETTLED,19-06-2025,-1000,EUR\n"
                               ",ref-2,PAYMENT,SETTLED,19-06-2025,0,EUR\n"
                               ",ref-r,REFUND,REFUNDED,20-06-2025,300,EUR,,ref-1\n"));
  EXPECT_TRUE(f.lines.empty());
  ASSERT_EQ(f.line_errors.size(), 3u);
  EXPECT_THAT(f.line_errors[0].description, HasSubstr("must be positive"));
  EXPECT_THAT(f.line_errors[2].description, HasSubstr("must be negative"));
}

TEST(SettlementFile, MalformedLines) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {",,PAYMENT,SETTLED,19-06-2025,1000,EUR", "ExternalProviderReference is empty"},
      {",ref,PAYMENT,SETTLED,19-06-2025,,EUR", "Amount is empty"},
      {",ref,PAYMENT,SETTLED,19-06-2025,1000,", "Currency is empty"},
      {",ref,payment,SETTLED,19-06-2025,1000,EUR", "ExternalTransactionType 'payment'"},
      {",ref,PAYMENT,REFUNDED,19-06-2025,1000,EUR", "not a status of a PAYMENT line"},
      {",ref,REFUND,SETTLED,19-06-2025,-1,EUR,,r", "not a status of a REFUND line"},
      {",ref,DISPUTE,CAPTURED,19-06-2025,-1,EUR,,r", "not a status of a DISPUTE line"},
      {",ref,PAYMENT,SETTLED,31-02-2025,1000,EUR", "'31-02-2025' is not a valid"},
      {",ref,PAYMENT,SETTLED,29-02-2025,1000,EUR", "'29-02-2025' is not a valid"},
      {",ref,PAYMENT,SETTLED,29-02-1900,1000,EUR", "not a valid"},
      {",ref,PAYMENT,SETTLED,1-06-2025,1000,EUR", "not a valid"},
      {",ref,PAYMENT,SETTLED,2025-06-19,1000,EUR", "not a valid"},
      {",ref,PAYMENT,SETTLED,19/06/2025,1000,EUR", "not a valid"},
      {",ref,PAYMENT,SETTLED,00-06-2025,1000,EUR", "not a valid"},
      {",ref,PAYMENT,SETTLED,19-13-2025,1000,EUR", "not a valid"},
      {",ref,PAYMENT,SETTLED,19-06-1969,1000,EUR", "not a valid"},
      {",ref,PAYMENT,SETTLED,19-06-2025,10.00,EUR", "Amount '10.00' is not an integer"},
      {",ref,PAYMENT,SETTLED,19-06-2025,+1000,EUR", "Amount '+1000'"},
      {",ref,PAYMENT,SETTLED,19-06-2025,1 000,EUR", "Amount '1 000'"},
      {",ref,PAYMENT,SETTLED,19-06-2025,1e3,EUR", "Amount '1e3'"},
      {",ref,PAYMENT,SETTLED,19-06-2025,-,EUR", "Amount '-'"},
      {",ref,PAYMENT,SETTLED,19-06-2025,1000,EUR,,,x", "ExternalProviderFees 'x'"},
  };
  for (const auto& [row, message] : cases) {
    SettlementFile f = ParseSettlementFile(File(row + "\n"));
    EXPECT_TRUE(f.structurally_valid) << row;
    EXPECT_TRUE(f.lines.empty()) << row;
    ASSERT_EQ(f.line_errors.size(), 1u) << row;
    EXPECT_EQ(f.line_errors[0].code, "INVALID_LINE");
    EXPECT_THAT(f.line_errors[0].description, HasSubstr("Row 1: ")) << row;
    EXPECT_THAT(f.line_errors[0].description, HasSubstr(message)) << row;
  }
}

TEST(SettlementFile, Dates) {
  auto date_of = [](const std::string& d) -> int64_t {
    SettlementFile f = ParseSettlementFile(File(",ref,PAYMENT,SETTLED," + d + ",1000,EUR\n"));
    return f.lines.empty() ? -1 : f.lines[0].processing_date;
  };
  EXPECT_EQ(date_of("01-01-1970"), 0);
  EXPECT_EQ(date_of("29-02-2024"), 1709164800);
  EXPECT_EQ(date_of("29-02-2000"), 951782400);
  EXPECT_EQ(date_of("31-12-2025"), 1767139200);
  EXPECT_EQ(date_of("31-12-9999"), 253402214400);
  EXPECT_EQ(date_of("31-04-2025"), -1);
  EXPECT_EQ(date_of("31-02-2025"), -1);
}

TEST(SettlementFile, MalformedLineKeepsTheOthersAndIsLeftOutOfTheTotals) {
  SettlementFile f =
      ParseSettlementFile(File(",ref-1,PAYMENT,SETTLED,19-06-2025,1000,EUR\n"
                               ",ref-2,PAYMENT,SETTLED,19-06-2025,oops,EUR\n"));
  ASSERT_TRUE(f.structurally_valid);
  ASSERT_EQ(f.lines.size(), 1u);
  ASSERT_EQ(f.line_errors.size(), 1u);
  EXPECT_THAT(f.line_errors[0].description, HasSubstr("Row 2"));
  EXPECT_TRUE(CheckSettlementTotals(f).empty());
}

TEST(SettlementFile, ProviderFeesMustAddUpToTheFooter) {
  SettlementFile f =
      ParseSettlementFile(File(",ref-1,PAYMENT,SETTLED,19-06-2025,600,EUR,,,7\n"
                               ",ref-2,PAYMENT,SETTLED,19-06-2025,400,EUR,,,\n",
                               "990", "10"));
  ASSERT_TRUE(f.structurally_valid);
  auto errors = CheckSettlementTotals(f);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].footer_name, "TotalSettlementFeesAmount");
  EXPECT_EQ(errors[0].code, "SETTLEMENTFEES_NOT_MATCH");
  EXPECT_THAT(errors[0].description, HasSubstr("10 EUR"));
  EXPECT_THAT(errors[0].description, HasSubstr(" 7 EUR"));
  // Without per-line fees the footer is taken as given.
  f = ParseSettlementFile(File(",ref-1,PAYMENT,SETTLED,19-06-2025,1000,EUR\n", "990", "10"));
  EXPECT_TRUE(CheckSettlementTotals(f).empty());
  // Both checks can fail together.
  f = ParseSettlementFile(File(",ref-1,PAYMENT,SETTLED,19-06-2025,1000,EUR,,,3\n", "1", "10"));
  errors = CheckSettlementTotals(f);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[1].description,
            "TotalNetSettlement amount 1 EUR is not matching to declared amount 990 EUR.");
}

// ---------------------------------------------------------------------------------------------
// Fuzz: any bytes give a result, never a crash (run under ASan/UBSan), and the contract holds.

void CheckContract(const SettlementFile& f) {
  EXPECT_EQ(f.structurally_valid, f.footer_errors.empty());
  for (const SettlementLine& l : f.lines) {
    EXPECT_GE(l.row, 1u);
    EXPECT_FALSE(l.provider_reference.empty());
    EXPECT_FALSE(l.status.empty());
    EXPECT_FALSE(l.currency.empty());
    if (l.type != SettlementLineType::kPayment) {
      EXPECT_FALSE(l.initial_reference.empty());
    }
    if (f.structurally_valid) {
      EXPECT_EQ(l.currency, f.currency);
    }
  }
  for (const auto& e : f.line_errors) EXPECT_FALSE(e.description.empty());
  for (const auto& e : CheckSettlementTotals(f)) EXPECT_FALSE(e.code.empty());
}

TEST(SettlementFile, FuzzMutationsOfTheGoodFile) {
  std::mt19937_64 rng(20250619);
  using namespace std::string_literals;
  const std::string alphabet = ",\"\r\n -0123456789EURSETTLED\xEF\xBB\xBF\x00\xFF"s;
  std::string text = kGood;
  int valid = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    if (iter % 50 == 0) text = kGood;  // mutations accumulate for a while, then start over
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t at = text.empty() ? 0 : rng() % (text.size() + 1);
      switch (rng() % 6) {
        case 0:  // flip a byte to anything
          if (at < text.size()) text[at] = static_cast<char>(rng());
          break;
        case 1:  // a CSV-meaningful byte
          text.insert(text.begin() + at, alphabet[rng() % alphabet.size()]);
          break;
        case 2:  // delete a run
          text.erase(at, rng() % 8);
          break;
        case 3: {  // duplicate a run
          std::string run = text.substr(at, rng() % 40);
          text.insert(at, run);
          break;
        }
        case 4:  // truncate
          text.resize(at);
          break;
        case 5:  // a big number
          text.insert(at, rng() % 2 ? "9223372036854775807" : "-9223372036854775808");
          break;
      }
    }
    SettlementFile f = ParseSettlementFile(text);
    CheckContract(f);
    valid += f.structurally_valid;
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "input: " << ::testing::PrintToString(text);
      return;
    }
  }
  EXPECT_GT(valid, 0) << "some mutations should leave the file valid";
}

TEST(SettlementFile, FuzzRandomBytes) {
  std::mt19937_64 rng(7);
  for (int iter = 0; iter < 2000; ++iter) {
    std::string text(rng() % 300, '\0');
    for (char& c : text) c = static_cast<char>(rng() % 4 == 0 ? ",\"\n\r"[rng() % 4] : rng());
    CheckContract(ParseSettlementFile(text));
  }
}

}  // namespace
}  // namespace splitledger
