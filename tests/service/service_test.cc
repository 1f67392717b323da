// The service floor: typed commands through a real store (SQLite file, PostgreSQL server), the
// binary forms, field patches, described tables, idempotency under concurrency, and the
// determinism of Apply (the same commands give the same ledger).
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "backend_fixture.h"
#include "splitledger/core/codec.h"
#include "splitledger/core/ids.h"
#include "splitledger/service/service.h"
#include "table.h"

namespace splitledger::service {
namespace {

using ledger::testing::BackendTest;

constexpr int64_t kNow = 1796000000000;

User Payer(const std::string& id) {
  User u;
  u.id = id;
  u.first_name = "Pam";
  u.last_name = "Payer";
  u.email = "pam@example.com";
  return u;
}

CreateIntentInput TwoLines(const std::string& wallet, const std::string& ref) {
  CreateIntentInput in;
  in.currency = "EUR";
  in.external.present = true;
  in.external.provider_name = "Stripe";
  in.external.provider_reference = ref;
  for (int i = 0; i < 2; ++i) {
    LineItemInput l;
    l.sku = "sku";
    l.quantity = 1 + i;
    l.unit_amount = 1000;
    l.seller.wallet_id = wallet;
    l.seller.fees_amount = 10 * (i + 1);
    in.lines.push_back(l);
  }
  return in;
}

// ---- pure parts ----------------------------------------------------------------------------

TEST(OutcomeCodec, RoundTripsEveryStoredKindAndRefusesEveryTruncation) {
  std::vector<Outcome> outcomes;
  User u = Payer("user_m_1");
  u.address.present = true;
  u.address.city = "Paris";
  u.income_range = "3";
  u.income_range_number = true;
  u.birthday = -86400;  // negative dates survive the zig-zag varint
  outcomes.push_back(Outcome::Of(Box<User>(u)));
  Wallet w{"wlt_m_1", "cli", {"user_m_1", "user_m_2"}, "EUR", "d", std::nullopt, 1, 2};
  outcomes.push_back(Outcome::Of(WalletView{w, -5}));
  outcomes.push_back(Outcome::Of(IntentSnapshot{std::string("\x00\x01\x02 intent bytes", 17)}));
  Outcome invalid = Outcome::Invalid(
      {{FieldRef("fees_amount", 2), "The {field} field is wrong."}, {"email", "required"}});
  outcomes.push_back(invalid);
  outcomes.push_back(Outcome::Error(Status::NotFound("Intent not found", "intent_id")));
  for (const Outcome& o : outcomes) {
    std::string bytes = EncodeOutcome(o);
    Outcome back;
    ASSERT_TRUE(DecodeOutcome(bytes, &back));
    EXPECT_EQ(back.status.code(), o.status.code());
    EXPECT_EQ(back.status.message(), o.status.message());
    EXPECT_EQ(back.status.field(), o.status.field());
    EXPECT_EQ(back.status.line(), o.status.line());
    ASSERT_EQ(back.errors.size(), o.errors.size());
    for (size_t i = 0; i < o.errors.size(); ++i) {
      EXPECT_EQ(back.errors[i].field.name, o.errors[i].field.name);
      EXPECT_EQ(back.errors[i].field.line, o.errors[i].field.line);
      EXPECT_EQ(back.errors[i].message, o.errors[i].message);
    }
    EXPECT_EQ(back.value.index(), o.value.index());
    EXPECT_EQ(EncodeOutcome(back), bytes) << "a decoded outcome encodes to the same bytes";
    // Every proper prefix, and one trailing byte too many, is refused (ASan watches the reads).
    for (size_t n = 0; n < bytes.size(); ++n) {
      Outcome junk;
      EXPECT_FALSE(DecodeOutcome(std::string_view(bytes).substr(0, n), &junk)) << n;
    }
    Outcome junk;
    EXPECT_FALSE(DecodeOutcome(bytes + "x", &junk));
  }
  Outcome user_back;
  ASSERT_TRUE(DecodeOutcome(EncodeOutcome(outcomes[0]), &user_back));
  EXPECT_EQ(Encode(**std::get_if<Box<User>>(&user_back.value)), Encode(u)) << "every user field";
}

TEST(OutcomeCodec, RandomBytesNeverDecodeOutOfBounds) {
  std::mt19937_64 rng(11);
  int decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string bytes(rng() % 64, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    if (i % 2 == 0 && !bytes.empty()) bytes[0] = 1;  // the format byte, to go deeper
    Outcome o;
    decoded += DecodeOutcome(bytes, &o) ? 1 : 0;
  }
  EXPECT_LT(decoded, 20000);  // and above all: no crash, no sanitizer report
}

TEST(Entities, CopyFieldsTakesOnlyTheNamedFieldsNestedOnesByPrefix) {
  User a = Payer("u1"), b;
  b.first_name = "Bob";
  b.tag = "t";
  b.address.present = true;
  b.address.city = "Lyon";
  b.income_range = "2";
  CopyFields(b, a, {"first_name", "addr_", "no_such_field"});
  EXPECT_EQ(a.first_name, "Bob");
  EXPECT_EQ(a.last_name, "Payer") << "not named: kept";
  EXPECT_EQ(a.tag, "") << "not named: kept";
  EXPECT_TRUE(a.address.present);
  EXPECT_EQ(a.address.city, std::optional<std::string>("Lyon"));
  EXPECT_EQ(a.income_range, "");
  bool found = WithField(a, "addr_city", [&](auto& m) {
    if constexpr (std::is_same_v<std::decay_t<decltype(m)>, std::optional<std::string>>) m = "Nice";
  });
  EXPECT_TRUE(found);
  EXPECT_EQ(a.address.city, std::optional<std::string>("Nice"));
  EXPECT_FALSE(WithField(a, "nope", [](auto&) {}));
}

// A projection group's rows become one statement per table: an upserted key keeps its last
// version, an insert-or-ignore key its first, plain inserts all stay, in replay order.
TEST(Entities, MergedStatementsKeepTheReplayedVersionOfEachKey) {
  ledger::Table<Wallet> t{"wallets", {"id"}};
  auto write = [&](std::vector<std::pair<std::string, std::string>> rows, ledger::WriteMode mode) {
    auto w = std::make_unique<ledger::PreparedWrite>();
    ledger::Rows r = t.NewRows();
    for (auto& [id, desc] : rows) {
      Wallet x;
      x.id = id;
      x.description = desc;
      t.Append(r, x);
    }
    w->Add(std::move(r), mode);
    return w;
  };
  auto a = write({{"w1", "first"}, {"w2", "only"}}, ledger::WriteMode::kUpsert);
  auto b = write({{"w1", "second"}, {"w3", "new"}}, ledger::WriteMode::kUpsert);
  auto c = write({{"w1", "ignored"}, {"w4", "kept"}}, ledger::WriteMode::kInsertOrIgnore);
  auto d = write({{"w4", "ignored too"}}, ledger::WriteMode::kInsertOrIgnore);
  // A key first upserted (it existed), then inserted as new by a later write, cannot happen; a key
  // inserted by one write and upserted by a later one can: the insert must run first.
  auto e = write({{"w9", "created"}}, ledger::WriteMode::kInsert);
  auto f = write({{"w9", "changed"}}, ledger::WriteMode::kUpsert);
  auto merged = ledger::MergeStatements({a.get(), b.get(), c.get(), d.get(), e.get(), f.get()});
  ASSERT_EQ(merged.size(), 3u);
  size_t desc = 0;
  for (size_t i = 0; i < merged[0].first.columns().size(); ++i) {
    if (merged[0].first.columns()[i].name == "description") desc = i;
  }
  EXPECT_EQ(merged[0].second, ledger::WriteMode::kInsertOrIgnore);
  EXPECT_EQ(merged[0].first.columns()[0].texts.ToVector(), (std::vector<std::string>{"w1", "w4"}));
  EXPECT_EQ(merged[0].first.columns()[desc].texts.ToVector(),
            (std::vector<std::string>{"ignored", "kept"}));
  EXPECT_EQ(merged[1].second, ledger::WriteMode::kInsert) << "inserts before upserts";
  EXPECT_EQ(merged[1].first.columns()[0].texts.ToVector(), (std::vector<std::string>{"w9"}));
  EXPECT_EQ(merged[2].second, ledger::WriteMode::kUpsert);
  EXPECT_EQ(merged[2].first.columns()[0].texts.ToVector(),
            (std::vector<std::string>{"w1", "w2", "w3", "w9"}));
  EXPECT_EQ(merged[2].first.columns()[desc].texts.ToVector(),
            (std::vector<std::string>{"second", "only", "new", "changed"}));
}

TEST(Entities, DescribedTableColumnsFollowTheMemberTypes) {
  ledger::Table<Wallet> t{"wallets", {"id"}};
  std::vector<ledger::ColumnDef> cols = t.Columns();
  ASSERT_EQ(cols.size(), 8u);
  EXPECT_EQ(cols[0].name, "id");
  EXPECT_EQ(cols[2].name, "owners");
  EXPECT_EQ(cols[2].type, ledger::SqlType::kText);
  EXPECT_EQ(cols[5].name, "tag");
  EXPECT_TRUE(cols[5].nullable) << "optional<string> is a nullable column";
  EXPECT_FALSE(cols[3].nullable);
  EXPECT_EQ(cols[6].type, ledger::SqlType::kInt);
  // The log's form of a batch's rows decodes to the same table, key, columns and values.
  ledger::Rows rows = t.NewRows();
  Wallet w;
  w.id = "w1";
  w.client_id = "c";
  w.owners = {"u1", "u:2"};
  w.tag = std::nullopt;
  t.Append(rows, w);
  w.id = "w2";
  w.tag = "tagged";
  t.Append(rows, w);
  ByteWriter out;
  rows.EncodeTo(out, ledger::WriteMode::kUpsert);
  ByteReader in(out.bytes());
  ledger::Rows back;
  ledger::WriteMode mode = ledger::WriteMode::kInsert;
  ASSERT_TRUE(ledger::Rows::DecodeFrom(in, &back, &mode));
  EXPECT_TRUE(in.done());
  EXPECT_EQ(mode, ledger::WriteMode::kUpsert);
  EXPECT_EQ(back.table(), "wallets");
  ASSERT_EQ(back.size(), 2u);
  ASSERT_EQ(back.columns().size(), cols.size());
  EXPECT_EQ(back.columns()[0].texts.ToVector(), (std::vector<std::string>{"w1", "w2"}));
  EXPECT_EQ(back.columns()[5].ind[0], soci::i_null);
  EXPECT_EQ(back.columns()[5].texts[1], "tagged");
  std::string truncated = out.bytes().substr(0, out.bytes().size() - 3);
  ByteReader cut(truncated);
  EXPECT_FALSE(ledger::Rows::DecodeFrom(cut, &back, &mode)) << "a cut record never decodes";
  std::vector<std::string> names;
  const ledger::Table<User> users{"users", {"id"}};
  for (const auto& c : users.Columns()) names.push_back(c.name);
  EXPECT_NE(std::find(names.begin(), names.end(), "lr_addr_city"), names.end()) << "nested prefix";
  EXPECT_EQ(ledger::DecodeList(ledger::EncodeList({"a:b", "", "1:x"})),
            (std::vector<std::string>{"a:b", "", "1:x"}));
}

TEST(Preflight, RefusesWithoutTouchingTheWriterAndNamesEveryField) {
  std::vector<FieldError> errors;
  CreateUser bad;
  bad.user->id = "u";
  Status st = Preflight(Command(bad), Caller{"cli", kNow}, &errors);
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  ASSERT_EQ(errors.size(), 3u);  // first name, last name, email
  EXPECT_EQ(errors[0].field.name, "first_name");
  CreateIntent intent;
  intent.intent_id = "int_1";
  *intent.input = TwoLines("w", "r");
  intent.input->amount = 1;  // ≠ Σ lines
  intent.line_ids = {"l1", "l2"};
  errors.clear();
  EXPECT_EQ(Preflight(Command(intent), Caller{"cli", kNow}, &errors).code(),
            ErrorCode::kRuleViolation);
  intent.input->amount.reset();
  intent.input->lines[1].seller.fees_amount = 5000;  // above the line's total
  Status fee = Preflight(Command(intent), Caller{"cli", kNow}, &errors);
  EXPECT_EQ(fee.field(), "fees_amount");
  EXPECT_EQ(fee.line(), 1);
}

// ---- through a real store --------------------------------------------------------------------

class ServiceTest : public BackendTest {
 protected:
  std::unique_ptr<Service> OpenService() {
    ServiceOptions o;
    o.db_url = db_->url();
    auto s = Service::Open(o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  static Outcome Run(Service& s, Command c, const std::string& key = {},
                     const std::string& client = "cli") {
    Envelope e{Caller{client, kNow}, std::move(c), std::nullopt};
    if (!key.empty()) e.idempotency = IdempotencyStamp{key, "hash-of-" + key, "/url"};
    return s.Execute(std::move(e));
  }
};

TEST_P(ServiceTest, EntitiesSurviveARestartAndStayWithTheirClient) {
  std::string wallet_id;
  {
    auto svc = OpenService();
    ASSERT_TRUE(svc);
    ASSERT_TRUE(Run(*svc, PutClientCredentials{"cli", "aa", "bb", "EUR", "", "test", ""}).ok());
    ASSERT_TRUE(Run(*svc, CreateUser{Box<User>(Payer("user_m_a"))}).ok());
    CreateWallet cw;
    cw.wallet.id = wallet_id = "wlt_m_a";
    cw.wallet.owners = {"user_m_a"};
    cw.wallet.currency = "GBP";
    cw.wallet.tag = "";
    Outcome w = Run(*svc, cw);
    ASSERT_TRUE(w.ok()) << w.status.ToString();
    // Another client cannot use, see or own them.
    EXPECT_EQ(Run(*svc, GetUser{"user_m_a", std::nullopt}, {}, "other").status.code(),
              ErrorCode::kNotFound);
    CreateWallet foreign = cw;
    foreign.wallet.id = "wlt_m_b";
    Outcome f = Run(*svc, foreign, {}, "other");
    EXPECT_EQ(f.status.code(), ErrorCode::kInvalidArgument) << "owner of another client";
  }
  auto svc = OpenService();
  ASSERT_TRUE(svc);
  Outcome u = Run(*svc, GetUser{"user_m_a", PersonType::kNatural});
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(std::get<Box<User>>(u.value)->first_name, "Pam");
  EXPECT_EQ(std::get<Box<User>>(u.value)->category, static_cast<int64_t>(UserCategory::kPayer));
  Outcome list = Run(*svc, ListUserWallets{"user_m_a"});
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(std::get<WalletList>(list.value).items.size(), 1u);
  EXPECT_EQ(std::get<WalletList>(list.value).items[0].wallet.tag, std::optional<std::string>(""));
  // The client's wallets: EUR with the client, GBP with the first GBP wallet.
  Outcome cws = Run(*svc, ListClientWallets{});
  std::vector<std::string> ids;
  for (const auto& v : std::get<ClientWalletList>(cws.value).items) ids.push_back(v.wallet.id());
  EXPECT_EQ(ids, (std::vector<std::string>{"FEES_EUR", "CREDIT_EUR", "FEES_GBP", "CREDIT_GBP"}));
}

TEST_P(ServiceTest, ClientCertificatesBindTokensAndRevocationSurvivesARestart) {
  const std::string fp_a(64, 'a'), fp_b(64, 'b'), fp_c(64, 'c');
  auto cert = [](const std::string& fp) {
    ClientCertificate c;
    c.fingerprint = fp;
    c.subject = "/CN=" + fp.substr(0, 1);
    c.not_after = kNow / 1000 + 86400;
    return c;
  };
  {
    auto svc = OpenService();
    ASSERT_TRUE(svc);
    ASSERT_TRUE(Run(*svc, PutClientCredentials{"cli", "aa", "bb", "EUR", "", "test", ""}).ok());
    ASSERT_TRUE(Run(*svc, PutClientCredentials{"other", "cc", "dd", "EUR", "", "test", ""}).ok());
    std::vector<FieldError> errors;
    AddClientCertificate bad{cert("ABC")};
    EXPECT_EQ(Preflight(Command(bad), Caller{"cli", kNow}, &errors).code(),
              ErrorCode::kInvalidArgument);
    ASSERT_TRUE(Run(*svc, AddClientCertificate{cert(fp_a)}).ok());
    ASSERT_TRUE(Run(*svc, AddClientCertificate{cert(fp_b)}).ok());
    EXPECT_TRUE(Run(*svc, AddClientCertificate{cert(fp_a)}).ok()) << "the same again changes nothing";
    EXPECT_EQ(Run(*svc, AddClientCertificate{cert(fp_a)}, {}, "other").status.code(),
              ErrorCode::kAlreadyExists);
    EXPECT_EQ(Run(*svc, RevokeClientCertificate{fp_a}, {}, "other").status.code(),
              ErrorCode::kNotFound)
        << "another client cannot revoke it";
    // A token is bound only to an active certificate of its own client.
    EXPECT_TRUE(Run(*svc, IssueToken{"cli", "bb", "tok1", 4102444800, fp_a}).ok());
    EXPECT_EQ(Run(*svc, IssueToken{"other", "dd", "tok2", kNow / 1000 + 60, fp_a}).status.code(),
              ErrorCode::kUnauthenticated);
    EXPECT_EQ(Run(*svc, IssueToken{"cli", "bb", "tok3", kNow / 1000 + 60, fp_c}).status.code(),
              ErrorCode::kUnauthenticated);
    Outcome revoked = Run(*svc, RevokeClientCertificate{fp_a});
    ASSERT_TRUE(revoked.ok());
    EXPECT_FALSE(std::get<CertificateList>(revoked.value).items.at(0).active());
    EXPECT_EQ(Run(*svc, IssueToken{"cli", "bb", "tok4", kNow / 1000 + 60, fp_a}).status.code(),
              ErrorCode::kUnauthenticated);
    EXPECT_EQ(Run(*svc, AddClientCertificate{cert(fp_a)}).status.code(),
              ErrorCode::kRuleViolation)
        << "a revoked certificate never comes back";
  }
  auto svc = OpenService();
  ASSERT_TRUE(svc);
  Outcome list = Run(*svc, ListClientCertificates{});
  ASSERT_TRUE(list.ok());
  const auto& items = std::get<CertificateList>(list.value).items;
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].fingerprint, fp_a);
  EXPECT_FALSE(items[0].active());
  EXPECT_TRUE(items[1].active());
  EXPECT_EQ(items[1].subject, "/CN=b");
  EXPECT_TRUE(std::get<CertificateList>(Run(*svc, ListClientCertificates{}, {}, "other").value).items.empty());
  Outcome found = Run(*svc, FindClientCertificate{fp_b}, {}, "anyone");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(std::get<CertificateList>(found.value).items.at(0).client_id, "cli");
  Outcome token = Run(*svc, FindToken{"tok1"});
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(std::get<TokenGrant>(token.value).cert_fingerprint, fp_a) << "the binding is durable";
}

TEST_P(ServiceTest, ConsoleUsersKeepOnlyTheirHashAndSurviveARestart) {
  {
    auto svc = OpenService();
    ASSERT_TRUE(svc);
    std::vector<FieldError> errors;
    PutAdminUser bad;
    bad.user.name = "alice";
    bad.user.password_hash = "plain text";
    EXPECT_EQ(Preflight(Command(bad), Caller{"", kNow}, &errors).code(), ErrorCode::kInvalidArgument);
    bad.user.name = "al ice";
    bad.user.password_hash = "pbkdf2-sha256$1$00$00";
    EXPECT_EQ(Preflight(Command(bad), Caller{"", kNow}, &errors).code(), ErrorCode::kInvalidArgument);
    PutAdminUser put;
    put.user.name = "alice";
    put.user.password_hash = "pbkdf2-sha256$310000$aa$bb";
    Outcome o = Run(*svc, put, {}, "");
    ASSERT_TRUE(o.ok()) << o.status.ToString();
    EXPECT_TRUE(std::get<Box<AdminUser>>(o.value)->password_hash.empty()) << "never in a result";
    EXPECT_EQ(Run(*svc, FindAdminUser{"bob"}, {}, "").status.code(), ErrorCode::kUnauthenticated);
  }
  auto svc = OpenService();
  ASSERT_TRUE(svc);
  Outcome found = Run(*svc, FindAdminUser{"alice"}, {}, "");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(std::get<Box<AdminUser>>(found.value)->password_hash, "pbkdf2-sha256$310000$aa$bb");
  ASSERT_TRUE(Run(*svc, SetAdminUserDisabled{"alice", true}, {}, "").ok());
  EXPECT_EQ(Run(*svc, FindAdminUser{"alice"}, {}, "").status.code(), ErrorCode::kUnauthenticated);
  PutAdminUser again;
  again.user.name = "alice";
  again.user.password_hash = "pbkdf2-sha256$310000$cc$dd";
  ASSERT_TRUE(Run(*svc, again, {}, "").ok());
  EXPECT_EQ(Run(*svc, FindAdminUser{"alice"}, {}, "").status.code(), ErrorCode::kUnauthenticated)
      << "a new password does not enable a disabled user";
  EXPECT_EQ(Run(*svc, SetAdminUserDisabled{"nobody", true}, {}, "").status.code(), ErrorCode::kNotFound);
}

TEST_P(ServiceTest, ConcurrentDuplicatesOfOneKeyHaveExactlyOneEffect) {
  auto svc = OpenService();
  ASSERT_TRUE(svc);
  ASSERT_TRUE(Run(*svc, CreateUser{Box<User>(Payer("user_m_s"))}).ok());
  CreateWallet cw;
  cw.wallet.id = "wlt_m_s";
  cw.wallet.owners = {"user_m_s"};
  cw.wallet.currency = "EUR";
  ASSERT_TRUE(Run(*svc, cw).ok());
  std::atomic<int> ok{0}, conflict{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      CreateIntent c;
      c.intent_id = "int_dup_" + std::to_string(t);  // each attempt would make its own intent
      *c.input = TwoLines("wlt_m_s", "dup-ref-" + std::to_string(t));
      c.line_ids = {"li_" + std::to_string(t) + "_0", "li_" + std::to_string(t) + "_1"};
      Outcome o = Run(*svc, c, "the-one-key-0001");
      if (o.ok()) ok++;
      if (std::holds_alternative<IdempotencyConflict>(o.value)) conflict++;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(conflict.load(), 15);
  int found = 0;
  for (int t = 0; t < 16; ++t)
    found += Run(*svc, GetIntent{"int_dup_" + std::to_string(t)}).ok() ? 1 : 0;
  EXPECT_EQ(found, 1);
  // The stored outcome is the first answer.
  Outcome stored = Run(*svc, GetStoredResponse{"the-one-key-0001"});
  ASSERT_TRUE(stored.ok());
  Outcome first;
  ASSERT_TRUE(DecodeOutcome(std::get<StoredResponse>(stored.value).outcome, &first));
  IntentView v;
  ASSERT_TRUE(DecodeIntentView(std::get<IntentSnapshot>(first.value), &v));
  EXPECT_EQ(v.figures.amount, 3000);
  EXPECT_EQ(v.figures.platform_fees, 30);
}

TEST_P(ServiceTest, ARefusedPreflightWithAKeyIsRecordedAndBlocksTheKey) {
  auto svc = OpenService();
  ASSERT_TRUE(svc);
  Outcome bad = Run(*svc, CreateUser{Box<User>(User{})}, "refused-key-00001");
  EXPECT_EQ(bad.status.code(), ErrorCode::kInvalidArgument);
  Outcome same = Run(*svc, CreateUser{Box<User>(User{})}, "refused-key-00001");
  ASSERT_TRUE(std::holds_alternative<IdempotencyConflict>(same.value));
  EXPECT_TRUE(std::get<IdempotencyConflict>(same.value).same_request);
  Envelope other{Caller{"cli", kNow}, CreateUser{Box<User>(Payer("user_m_r"))},
                 IdempotencyStamp{"refused-key-00001", "another request", "/url"}};
  Outcome again = svc->Execute(std::move(other));
  ASSERT_TRUE(std::holds_alternative<IdempotencyConflict>(again.value));
  EXPECT_FALSE(std::get<IdempotencyConflict>(again.value).same_request);
  EXPECT_EQ(Run(*svc, GetUser{"user_m_r", std::nullopt}).status.code(), ErrorCode::kNotFound);
  Outcome stored = Run(*svc, GetStoredResponse{"refused-key-00001"});
  Outcome first;
  ASSERT_TRUE(DecodeOutcome(std::get<StoredResponse>(stored.value).outcome, &first));
  EXPECT_EQ(first.errors.size(), 3u);
}

// Apply is a pure function of (state, command): the same commands on two fresh databases give
// the same books, entities and intents (ids and times come with the commands).
TEST_P(ServiceTest, TheSameCommandsGiveTheSameLedger) {
  auto make = [](Service& svc) {
    Run(svc, PutClientCredentials{"cli", "aa", "bb", "EUR", "", "test", ""});
    Run(svc, CreateUser{Box<User>(Payer("user_m_d"))});
    CreateWallet cw;
    cw.wallet.id = "wlt_m_d";
    cw.wallet.owners = {"user_m_d"};
    cw.wallet.currency = "EUR";
    Run(svc, cw);
    for (int i = 0; i < 5; ++i) {
      CreateIntent c;
      c.intent_id = "int_d" + std::to_string(i);
      *c.input =
          TwoLines("wlt_m_d", i == 4 ? "ref-0" : "ref-" + std::to_string(i));  // a mixed basket
      c.line_ids = {"li_d" + std::to_string(i) + "a", "li_d" + std::to_string(i) + "b"};
      Run(svc, c);
      ActionInput partial;
      partial.partial = true;
      partial.amount = 400;
      partial.lines.push_back({"li_d" + std::to_string(i) + "a", 400, std::nullopt});
      if (i % 2 == 0)
        Run(svc, CancelIntent{"int_d" + std::to_string(i), partial, "cancel_" + std::to_string(i)});
      Run(svc, CaptureIntent{"int_d" + std::to_string(i), ActionInput{},
                             "capture_" + std::to_string(i)});
    }
  };
  auto other = ledger::testing::TestDatabase::Create(GetParam());
  ASSERT_TRUE(other.ok());
  for (const std::string& url : {db_->url(), (*other)->url()}) {
    ServiceOptions o;
    o.db_url = url;
    auto svc = Service::Open(o);
    ASSERT_TRUE(svc.ok());
    make(**svc);
  }
  auto load = [](const std::string& url) {
    auto store = ledger::testing::OpenStore(url, false);
    EXPECT_TRUE(store.ok());
    auto state = std::make_unique<ledger::State>();
    EXPECT_TRUE((*store)->Load(*state).ok());
    return state;
  };
  auto a = load(db_->url()), b = load((*other)->url());
  for (const auto& d : ledger::testing::CompareBooks(a->book(), b->book())) ADD_FAILURE() << d;
  ASSERT_EQ(a->intents().size(), 4u);  // the fifth joined the first as a mixed basket
  for (const auto& [k, in] : a->intents()) {
    const Intent* other_in = b->FindIntent(in.client_id, in.id);
    ASSERT_NE(other_in, nullptr) << in.id;
    for (const auto& d : ledger::testing::CompareIntents(in, *other_in)) ADD_FAILURE() << d;
  }
  EXPECT_EQ(Encode(*a->FindUser("cli", "user_m_d")), Encode(*b->FindUser("cli", "user_m_d")));
  EXPECT_EQ(Encode(*a->FindWallet("cli", "wlt_m_d")), Encode(*b->FindWallet("cli", "wlt_m_d")));
  EXPECT_EQ(a->next_event_id(), b->next_event_id());
}

SL_INSTANTIATE_BACKENDS(ServiceTest);

}  // namespace
}  // namespace splitledger::service

namespace splitledger::ledger {
namespace {

class DescribedTableTest : public testing::BackendTest {};

// Additive changes are applied on open; a column whose type differs from its description stops
// the open instead of being misread.
TEST_P(DescribedTableTest, SyncAddsMissingColumnsAndRefusesATypeSlip) {
  auto store = Open();
  ASSERT_TRUE(store);
  soci::session& sql = store->session();
  sql << "CREATE TABLE t_sync (id TEXT PRIMARY KEY, n TEXT NOT NULL)";
  sql << "INSERT INTO t_sync (id, n) VALUES ('a', 'x')";
  std::vector<ColumnDef> cols = {
      {"id", SqlType::kText, false}, {"m", SqlType::kInt, true}, {"k", SqlType::kText, false}};
  EXPECT_NO_THROW(SyncTable(sql, GetParam(), "t_sync", cols, {"id"}));
  long long nulls = -1;
  std::string k = "?";
  sql << "SELECT COUNT(*) FROM t_sync WHERE m IS NULL", soci::into(nulls);
  sql << "SELECT k FROM t_sync WHERE id = 'a'", soci::into(k);
  EXPECT_EQ(nulls, 1) << "a nullable column added as NULL";
  EXPECT_EQ(k, "") << "a text column added as ''";
  cols.push_back({"n", SqlType::kInt, false});
  EXPECT_THROW(SyncTable(sql, GetParam(), "t_sync", cols, {"id"}), soci::soci_error);
}

SL_INSTANTIATE_BACKENDS(DescribedTableTest);

}  // namespace
}  // namespace splitledger::ledger
