// The service floor: typed commands through a real store (SQLite file, PostgreSQL server), the
// binary forms, field patches, described tables, idempotency under concurrency, and the
// determinism of Apply (the same commands give the same ledger).
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <tuple>

#include "backend_fixture.h"
#include "splitledger/core/codec.h"
#include "splitledger/core/ids.h"
#include "splitledger/core/intent_describe.h"
#include "splitledger/service/service.h"
#include "table.h"

namespace splitledger::service {
namespace {

using ledger::testing::BackendTest;

constexpr int64_t kNow = 1796000000000;

// What the tables at `url` hold, loaded as a reader would.
std::unique_ptr<ledger::State> LoadTables(const std::string& url) {
  auto store = ledger::testing::OpenStore(url, false);
  EXPECT_TRUE(store.ok());
  auto state = std::make_unique<ledger::State>();
  EXPECT_TRUE((*store)->Load(*state).ok());
  return state;
}

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
// version, an insert-or-ignore key its first, plain inserts all stay, in replay order; a key
// inserted by one write and upserted by a later one is inserted once, in its last version.
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
  // inserted by one write and upserted by a later one can: one insert of its last version.
  auto e = write({{"w9", "created"}, {"w8", "created"}}, ledger::WriteMode::kInsert);
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
  EXPECT_EQ(merged[1].first.columns()[0].texts.ToVector(), (std::vector<std::string>{"w9", "w8"}));
  EXPECT_EQ(merged[1].first.columns()[desc].texts.ToVector(),
            (std::vector<std::string>{"changed", "created"}));
  EXPECT_EQ(merged[2].second, ledger::WriteMode::kUpsert);
  EXPECT_EQ(merged[2].first.columns()[0].texts.ToVector(),
            (std::vector<std::string>{"w1", "w2", "w3"}));
  EXPECT_EQ(merged[2].first.columns()[desc].texts.ToVector(),
            (std::vector<std::string>{"second", "only", "new"}));
}

// A key upserted (the tables held it) and then inserted by a later write of the same group is a
// bug upstream: replayed one record at a time the insert would fail, so the merge fails too rather
// than letting the upsert's older version win.
TEST(Entities, MergedStatementsRefuseAnInsertAfterAnUpsertOfTheSameKey) {
  ledger::Table<Wallet> t{"wallets", {"id"}};
  auto write = [&](const char* id, ledger::WriteMode mode) {
    auto w = std::make_unique<ledger::PreparedWrite>();
    ledger::Rows r = t.NewRows();
    Wallet x;
    x.id = id;
    t.Append(r, x);
    w->Add(std::move(r), mode);
    return w;
  };
  auto a = write("w1", ledger::WriteMode::kUpsert);
  auto b = write("w1", ledger::WriteMode::kInsert);
  auto c = write("w2", ledger::WriteMode::kInsert);
  EXPECT_THROW(ledger::MergeStatements({a.get(), b.get()}), soci::soci_error);
  EXPECT_NO_THROW(ledger::MergeStatements({a.get(), c.get()}));
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
  // A payer user and an EUR wallet it owns.
  static void CreateSellerWallet(Service& s, const std::string& user, const std::string& wallet) {
    ASSERT_TRUE(Run(s, CreateUser{Box<User>(Payer(user))}).ok());
    CreateWallet cw;
    cw.wallet.id = wallet;
    cw.wallet.owners = {user};
    cw.wallet.currency = "EUR";
    ASSERT_TRUE(Run(s, cw).ok());
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
  ASSERT_NO_FATAL_FAILURE(CreateSellerWallet(*svc, "user_m_s", "wlt_m_s"));
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

// Outcomes received by sinks, with the thread each arrived on.
struct Received {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<int, Outcome>> outcomes;  // (submission number, outcome)
  std::vector<std::thread::id> threads;
  void Wait(size_t n) {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return outcomes.size() >= n; }))
        << "received " << outcomes.size() << " of " << n;
  }
};

class RecordingSink final : public OutcomeSink {
 public:
  RecordingSink(Received& into, int number) : into_(into), number_(number) {}

 private:
  void Receive(std::unique_ptr<OutcomeSink> self, Outcome outcome) override {
    std::lock_guard<std::mutex> lock(into_.mu);
    into_.outcomes.emplace_back(number_, std::move(outcome));
    into_.threads.push_back(std::this_thread::get_id());
    into_.cv.notify_all();
    (void)self;  // destroyed here: the sink owned itself
  }
  Received& into_;
  int number_;
};

TEST_P(ServiceTest, SubmitAsyncDeliversEachOutcomeOnceInOrderAndRefusalsAtOnce) {
  auto svc = OpenService();
  ASSERT_TRUE(svc);
  ASSERT_NO_FATAL_FAILURE(CreateSellerWallet(*svc, "user_m_as", "wlt_m_as"));

  Received got;
  constexpr int kIntents = 300;
  for (int i = 0; i < kIntents; ++i) {
    CreateIntent c;
    c.intent_id = "int_as_" + std::to_string(i);
    *c.input = TwoLines("wlt_m_as", "as-ref-" + std::to_string(i));
    c.line_ids = {"li_as_" + std::to_string(i) + "_0", "li_as_" + std::to_string(i) + "_1"};
    svc->SubmitAsync({Caller{"cli", kNow}, std::move(c), std::nullopt},
                     std::make_unique<RecordingSink>(got, i));
  }
  got.Wait(kIntents);
  {
    std::lock_guard<std::mutex> lock(got.mu);
    ASSERT_EQ(got.outcomes.size(), static_cast<size_t>(kIntents));
    for (int i = 0; i < kIntents; ++i) {
      EXPECT_EQ(got.outcomes[i].first, i) << "one submitter's outcomes arrive in its order";
      ASSERT_TRUE(got.outcomes[i].second.ok()) << got.outcomes[i].second.status.ToString();
      EXPECT_NE(got.threads[i], std::this_thread::get_id()) << "delivered by the writer";
    }
  }
  // Each is durable and the same as a waited-for read gives.
  for (int i = 0; i < kIntents; i += 37) {
    Outcome read = Run(*svc, GetIntent{"int_as_" + std::to_string(i)});
    ASSERT_TRUE(read.ok());
    EXPECT_EQ(std::get<IntentSnapshot>(read.value).bytes,
              std::get<IntentSnapshot>(got.outcomes[i].second.value).bytes);
  }

  // A preflight refusal without a key is answered on the submitting thread, before the call
  // returns; with a key it goes through the writer to be recorded.
  Received refused;
  svc->SubmitAsync({Caller{"cli", kNow}, CreateUser{Box<User>(User{})}, std::nullopt},
                   std::make_unique<RecordingSink>(refused, 0));
  {
    std::lock_guard<std::mutex> lock(refused.mu);
    ASSERT_EQ(refused.outcomes.size(), 1u);
    EXPECT_EQ(refused.outcomes[0].second.status.code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(refused.threads[0], std::this_thread::get_id());
  }
  svc->SubmitAsync({Caller{"cli", kNow}, CreateUser{Box<User>(User{})},
                    IdempotencyStamp{"async-refused-0001", "h", "/url"}},
                   std::make_unique<RecordingSink>(refused, 1));
  refused.Wait(2);
  EXPECT_EQ(refused.outcomes[1].second.status.code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(Run(*svc, GetStoredResponse{"async-refused-0001"}).ok()) << "recorded under the key";

  // After Stop, a submission is answered kUnavailable (retryable), never dropped.
  svc->Stop();
  Received late;
  svc->SubmitAsync({Caller{"cli", kNow}, GetIntent{"int_as_0"}, std::nullopt},
                   std::make_unique<RecordingSink>(late, 0));
  late.Wait(1);
  EXPECT_EQ(late.outcomes[0].second.status.code(), ErrorCode::kUnavailable);
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
  auto a = LoadTables(db_->url()), b = LoadTables((*other)->url());
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

// ---- a bounded intent cache reads back what it dropped (State::SetIntentCache) ----------------

// One string for everything an outcome says: its status, field errors and value (the value kinds
// the idempotency codec leaves out, a transaction list and an escrow receipt, are spelled here).
// `canonical`: transactions in (date, id) order — a restarted writer rebuilds its
// executed-splits index in load order, so transactions of one date may come in another order
// (state.cc LoadIntent: "lists sort"); that is not what this test is about.
std::string Fingerprint(const Outcome& o, bool canonical) {
  std::string s = EncodeOutcome(o);
  s += "|kind=" + std::to_string(o.value.index());
  if (const auto* tl = std::get_if<TransactionList>(&o.value)) {
    std::vector<TransactionView> items = tl->items;
    if (canonical) {
      std::sort(items.begin(), items.end(), [](const TransactionView& a, const TransactionView& b) {
        return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id);
      });
    }
    for (const TransactionView& t : items) {
      s += "|" + t.id + "," + t.nature + "," + t.author_id + "," + t.debited_wallet_id + "," +
           t.credited_wallet_id + "," + t.currency + "," + std::to_string(t.debited) + "," +
           std::to_string(t.fees) + "," + std::to_string(t.credited) + "," +
           std::to_string(t.created_at) + "," + t.tag;
    }
  } else if (const auto* r = std::get_if<EscrowReceipt>(&o.value)) {
    s += "|" + r->currency + "," + std::to_string(r->amount) + "," + std::to_string(r->balance) +
         "," + std::to_string(r->unallocated) + "," + std::to_string(r->already_recorded);
    for (const std::string& id : r->reconciled) s += "," + id;
  }
  return s;
}

// What differs between two outcomes, readably (empty when they say the same).
std::vector<std::string> CompareOutcomes(const Outcome& a, const Outcome& b, bool canonical) {
  std::vector<std::string> d;
  if (a.status.code() != b.status.code() || a.status.message() != b.status.message()) {
    d.push_back("status: [" + a.status.ToString() + "] vs [" + b.status.ToString() + "]");
  }
  if (Fingerprint(a, canonical) == Fingerprint(b, canonical)) return d;
  const auto* sa = std::get_if<IntentSnapshot>(&a.value);
  const auto* sb = std::get_if<IntentSnapshot>(&b.value);
  if (sa != nullptr && sb != nullptr) {
    IntentView va, vb;
    if (!DecodeIntentView(*sa, &va) || !DecodeIntentView(*sb, &vb)) {
      d.push_back("an intent snapshot does not decode");
      return d;
    }
    for (auto& x : ledger::testing::CompareIntents(va.intent, vb.intent)) d.push_back(x);
    if (Encode(va.figures) != Encode(vb.figures)) d.push_back("intent figures differ");
    for (size_t k = 0; k < std::min(va.intent.splits.size(), vb.intent.splits.size()); ++k) {
      if (Encode(va.intent.splits[k]) != Encode(vb.intent.splits[k])) {
        d.push_back("split " + va.intent.splits[k].id + " differs");
      }
    }
    if (va.action != vb.action || va.action_id != vb.action_id) d.push_back("action differs");
  }
  const auto* ta = std::get_if<Box<SettlementView>>(&a.value);
  const auto* tb = std::get_if<Box<SettlementView>>(&b.value);
  if (ta != nullptr && tb != nullptr) {
    auto say = [](const SettlementView& v) {
      std::string out = std::string(SettlementStatusName(v.settlement.status)) + ", matched";
      for (const SettlementMatch& m : v.settlement.matches)
        out += " " + m.intent_id + "/" + m.action_id;
      out += ", line errors";
      for (const SettlementLineError& e : v.settlement.line_errors) {
        out += " " + e.provider_reference + ":" + e.code;
      }
      return out + ", funded " + std::to_string(v.funded);
    };
    d.push_back("settlement: [" + say(**ta) + "] vs [" + say(**tb) + "]");
  }
  d.push_back("the values differ (value kinds " + std::to_string(a.value.index()) + " and " +
              std::to_string(b.value.index()) + ")");
  return d;
}

// Waits until the service's tables hold every durable batch: the next command then finds the
// intents of a bounded cache dropped, and must read them back.
void WaitProjected(Service& s) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (;;) {
    ServiceStats st = s.stats();
    if (st.projected_lsn >= st.durable_lsn) return;
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "the projection did not catch up: " << st.projected_lsn << " < "
                    << st.durable_lsn;
      return;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

// The same random commands through a writer holding every intent (A) and one holding a single
// intent (B), the tables caught up after most commands so that B reads nearly every intent back
// (by id, by PSP reference, by an action's reference in a settlement file, through the
// executed-splits and scheduled-splits indexes), some run back to back while the tables lag
// (what they changed must stay in B's memory), with a restart of B halfway: every answer, the
// events and the final ledgers must be the same.
TEST_P(ServiceTest, IntentsDroppedFromMemoryReadBackTheSame) {
  constexpr int kSteps = 1200;
  const std::string client = "cli";
  auto other = ledger::testing::TestDatabase::Create(GetParam());
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  ServiceOptions oa, ob;
  oa.db_url = db_->url();
  oa.max_cached_intents = 0;  // every intent in memory
  ob.db_url = (*other)->url();
  ob.max_cached_intents = 1;
  auto open = [](const ServiceOptions& o) -> std::unique_ptr<Service> {
    auto s = Service::Open(o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  };
  std::unique_ptr<Service> a = open(oa), b = open(ob);
  ASSERT_TRUE(a && b);

  std::mt19937_64 rng(20260417);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  auto chance = [&](int percent) { return static_cast<int>(rng() % 100) < percent; };
  int64_t now_ms = 1796000000000;
  auto now_s = [&] { return now_ms / 1000; };
  bool restarted = false;
  uint64_t b_reads_before_restart = 0;
  std::map<std::string, std::pair<int, int>> counts;  // op -> (ok, total)
  int total_ok = 0, total = 0;
  std::map<std::string, Intent> model;    // intent id -> the intent as A's last answer showed it
  std::set<std::string> stale;            // intents changed by commands that do not answer them
  std::vector<std::string> intent_ids;    // created, in order
  std::set<std::string> settled_actions;  // matched by a settlement awaiting funds or reconciled
  std::vector<std::pair<std::string, Amount>> open_settlements;        // id, funds missing
  std::map<std::string, std::vector<std::string>> settlement_intents;  // id -> its file's intents
  int seq = 0;
  auto next = [&](const char* prefix) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%s_%05d", prefix, ++seq);
    return std::string(buf);
  };
  const std::vector<std::string> wallets = {"wlt_dm_1", "wlt_dm_2", "wlt_dm_3"};

  // Runs commands through both writers (each at the same time on both), compares the answers,
  // learns intents from A's, and waits until both projections caught up. Several commands run
  // one after the other without that wait (each its own batch): the later ones then find the
  // tables behind what the earlier ones changed, which must stay in B's memory meanwhile.
  auto run_many = [&](const std::vector<std::pair<std::string, Command>>& cmds) {
    std::vector<Outcome> out;
    for (size_t i = 0; i < cmds.size(); ++i) {
      const auto& [op, cmd] = cmds[i];
      now_ms += 1000 + static_cast<int64_t>(rng() % 1000);
      std::future<Outcome> fa = a->Submit(Envelope{Caller{client, now_ms}, cmd, std::nullopt});
      std::future<Outcome> fb = b->Submit(Envelope{Caller{client, now_ms}, cmd, std::nullopt});
      Outcome oa_out = fa.get(), ob_out = fb.get();
      for (const std::string& d : CompareOutcomes(oa_out, ob_out, restarted)) {
        ADD_FAILURE() << "step " << total << " (" << op << "): " << d;
      }
      ++total;
      ++counts[op].second;
      if (oa_out.ok()) {
        ++total_ok;
        ++counts[op].first;
      }
      if (const auto* snap = std::get_if<IntentSnapshot>(&oa_out.value)) {
        IntentView v;
        EXPECT_TRUE(DecodeIntentView(*snap, &v));
        stale.erase(v.intent.id);
        model[v.intent.id] = std::move(v.intent);
      }
      out.push_back(std::move(oa_out));
    }
    WaitProjected(*b);
    WaitProjected(*a);
    return out;
  };
  auto run = [&](const std::string& op, const Command& cmd) -> Outcome {
    return std::move(run_many({{op, cmd}})[0]);
  };
  // The intent as it is now, asked of A alone when a command changed it without answering it
  // (asking B too would bring it back into B's memory before the command under test).
  int refreshes = 0;
  auto fresh = [&](const std::string& id) -> const Intent& {
    if (stale.count(id)) {
      Outcome o = a->Execute(Envelope{Caller{client, now_ms}, GetIntent{id}, std::nullopt});
      IntentView v;
      EXPECT_TRUE(o.ok() && DecodeIntentView(std::get<IntentSnapshot>(o.value), &v));
      model[id] = std::move(v.intent);
      stale.erase(id);
      ++refreshes;
    }
    return model.at(id);
  };
  auto random_intent = [&]() -> std::string { return intent_ids[pick(intent_ids.size())]; };
  // A random intent that (as last seen) satisfies `pred`, else any.
  auto intent_where = [&](auto pred) -> const Intent& {
    std::vector<std::string> ids;
    for (const std::string& id : intent_ids) {
      if (pred(model.at(id))) ids.push_back(id);
    }
    return fresh(ids.empty() ? random_intent() : ids[pick(ids.size())]);
  };
  auto has = [](ActionKind kind) {
    return [kind](const Intent& in) {
      for (const ActionRecord& r : in.actions) {
        if (r.kind == kind) return true;
      }
      return false;
    };
  };

  // ---- set-up ----
  ASSERT_TRUE(
      run("PutClientCredentials", PutClientCredentials{client, "aa", "bb", "EUR", "", "test", ""})
          .ok());
  ASSERT_TRUE(run("CreateUser", CreateUser{Box<User>(Payer("user_dm"))}).ok());
  for (const std::string& w : wallets) {
    CreateWallet cw;
    cw.wallet.id = w;
    cw.wallet.owners = {"user_dm"};
    cw.wallet.currency = "EUR";
    ASSERT_TRUE(run("CreateWallet", cw).ok());
  }

  auto create_intent = [&](bool join_existing) {
    CreateIntent c;
    c.intent_id = next("int");
    CreateIntentInput& in = *c.input;
    in.currency = "EUR";
    in.buyer_id = "user_dm";
    bool stripe = chance(85);
    if (join_existing) {
      // Lines for an intent with a PSP reference, AUTHORIZED most of the time (or refused).
      std::vector<const Intent*> targets;
      for (const auto& [id, x] : model) {
        if (!x.external.provider_reference.empty() &&
            (x.status == IntentStatus::kAuthorized || chance(10))) {
          targets.push_back(&x);
        }
      }
      if (targets.empty()) return;
      in.external = targets[pick(targets.size())]->external;
      // The provider's name is compared whatever its case.
      if (chance(50)) {
        for (size_t k = 1; k < in.external.provider_name.size(); ++k) {
          in.external.provider_name[k] = static_cast<char>(
              std::tolower(static_cast<unsigned char>(in.external.provider_name[k])));
        }
      }
    } else if (chance(90)) {
      in.external.present = true;
      in.external.provider_name = stripe ? "STRIPE" : "ADYEN";
      in.external.provider_reference = next("pi");
      in.external.processing_date = now_s();
      in.external.payment_method = "CARD";
    }
    int n = 1 + static_cast<int>(pick(3));
    for (int i = 0; i < n; ++i) {
      LineItemInput l;
      l.sku = "sku" + std::to_string(i);
      l.name = "item";
      l.quantity = 1 + static_cast<int64_t>(pick(3));
      l.unit_amount = 100 + static_cast<Amount>(pick(5000));
      Amount line_total = l.quantity * l.unit_amount;
      l.seller.author_id = "user_dm";
      l.seller.wallet_id = chance(90) ? wallets[pick(wallets.size())] : "";
      l.seller.fees_amount = static_cast<Amount>(pick(static_cast<size_t>(line_total / 5 + 1)));
      if (chance(40)) l.seller.transfer_date = now_s() - 1000;  // due as soon as available
      in.lines.push_back(l);
      c.line_ids.push_back(c.intent_id + "_li" + std::to_string(i));
    }
    Outcome o = run(join_existing ? "CreateIntent(mixed basket)" : "CreateIntent", c);
    if (o.ok()) {
      IntentView v;
      ASSERT_TRUE(DecodeIntentView(std::get<IntentSnapshot>(o.value), &v));
      if (join_existing) {
        EXPECT_NE(v.intent.id, c.intent_id) << "joined an existing intent";
      } else {
        intent_ids.push_back(c.intent_id);
      }
    }
  };
  for (int i = 0; i < 4; ++i) create_intent(false);

  // Partial amounts over an intent's lines: each line's `room(l)`, sometimes one unit more
  // (refused).
  auto partial = [&](const Intent& in, auto room) {
    ActionInput ai;
    ai.partial = true;
    ai.currency = "EUR";
    Amount sum = 0;
    for (const LineItem& l : in.lines) {
      Amount r = room(l);
      if (r <= 0 || chance(30)) continue;
      Amount amt = 1 + static_cast<Amount>(pick(static_cast<size_t>(r)));
      if (chance(5)) amt = r + 1;
      ai.lines.push_back({l.id, amt, std::nullopt});
      sum += amt;
    }
    if (ai.lines.empty() && !in.lines.empty()) {
      ai.lines.push_back({in.lines[0].id, 1, std::nullopt});
      sum = 1;
    }
    ai.amount = sum;
    return ai;
  };
  // A random part of each line of an earlier action (a partial reversal or dispute of it).
  auto part_of = [&](const Intent& in, const ActionRecord& earlier) {
    ActionInput ai;
    ai.partial = true;
    ai.currency = "EUR";
    Amount sum = 0;
    for (const ActionLine& al : earlier.lines) {
      if (al.amount <= 0) continue;
      Amount amt = 1 + static_cast<Amount>(pick(static_cast<size_t>(al.amount)));
      ai.lines.push_back({in.lines[al.line_index].id, amt, std::nullopt});
      sum += amt;
    }
    ai.amount = sum;
    return ai;
  };
  // A PSP reference for an action, now and then; sometimes one another action already carries
  // (a PSP may report several captures under one charge): a settlement line then matches the
  // first action indexed with it, whichever intents B holds in memory.
  std::vector<std::string> action_refs;
  auto with_ref = [&](ActionInput ai, const char* prefix, int percent) {
    if (chance(percent)) {
      ai.external.present = true;
      if (!action_refs.empty() && chance(25)) {
        ai.external.provider_reference = action_refs[pick(action_refs.size())];
      } else {
        ai.external.provider_reference = next(prefix);
        action_refs.push_back(ai.external.provider_reference);
      }
      ai.external.processing_date = now_s();
    }
    return ai;
  };
  // One of the intent's actions of this kind, at random; nullptr when it has none.
  auto one_action = [&](const Intent& in, ActionKind kind) -> const ActionRecord* {
    std::vector<const ActionRecord*> of_kind;
    for (const ActionRecord& r : in.actions) {
      if (r.kind == kind) of_kind.push_back(&r);
    }
    return of_kind.empty() ? nullptr : of_kind[pick(of_kind.size())];
  };
  // An intent with an action of `kind`, one such action, and an input for all or part of it;
  // nullopt when the intent picked has none.
  struct ActedOn {
    const Intent* intent;
    const ActionRecord* action;
    ActionInput input;
  };
  auto act_on = [&](ActionKind kind) -> std::optional<ActedOn> {
    const Intent& in = intent_where(has(kind));
    const ActionRecord* a = one_action(in, kind);
    if (a == nullptr) return std::nullopt;
    return ActedOn{&in, a, chance(50) ? part_of(in, *a) : ActionInput{}};
  };
  auto mark_all_stale = [&] {
    for (const std::string& id : intent_ids) stale.insert(id);
  };

  for (int step = 0; step < kSteps; ++step) {
    if (step == kSteps / 2) {
      // B starts again from its tables (every intent but one left behind at once); A goes on.
      b_reads_before_restart = b->stats().intent_reads;
      b.reset();
      b = open(ob);
      ASSERT_TRUE(b);
      restarted = true;
    }
    int r = static_cast<int>(pick(100));
    if (r < 14) {
      create_intent(false);
    } else if (r < 18) {
      create_intent(true);
    } else if (r < 32) {
      const Intent& in = chance(80) ? intent_where([](const Intent& x) {
        return std::any_of(x.lines.begin(), x.lines.end(),
                           [](const LineItem& l) { return l.remaining() > 0; });
      })
                                    : fresh(random_intent());
      ActionInput ai =
          chance(40) ? ActionInput{} : partial(in, [](const LineItem& l) { return l.remaining(); });
      run("CaptureIntent", CaptureIntent{in.id, with_ref(ai, "ch", 50), next("cap")});
    } else if (r < 37) {
      const Intent& in = fresh(random_intent());
      ActionInput ai =
          chance(30) ? ActionInput{} : partial(in, [](const LineItem& l) { return l.remaining(); });
      run("CancelIntent", CancelIntent{in.id, ai, next("can")});
    } else if (r < 45) {
      const Intent& in = intent_where(has(ActionKind::kCapture));
      ActionInput ai = chance(25) ? ActionInput{} : partial(in, [](const LineItem& l) {
        return l.captured - l.refunded - l.disputed;
      });
      run("RefundIntent", RefundIntent{in.id, with_ref(ai, "re", 60), next("ref")});
    } else if (r < 49) {
      std::optional<ActedOn> rf = act_on(ActionKind::kRefund);
      if (!rf) continue;
      run("ReverseRefund", ReverseRefund{rf->intent->id, rf->action->id,
                                         with_ref(rf->input, "rr", 40), next("rev")});
    } else if (r < 54) {
      std::optional<ActedOn> cp = act_on(ActionKind::kCapture);
      if (!cp) continue;
      run("DisputeCapture", DisputeCapture{cp->intent->id, cp->action->id,
                                           with_ref(cp->input, "dp", 50), next("dsp")});
    } else if (r < 58) {
      const Intent& in = intent_where(has(ActionKind::kDispute));
      const ActionRecord* dp = one_action(in, ActionKind::kDispute);
      if (dp == nullptr) continue;
      DisputeDecision dec = static_cast<DisputeDecision>(pick(3));
      run("DecideDispute", DecideDispute{in.id, dp->parent_id, dp->id, dec});
    } else if (r < 63) {
      if (chance(25)) {
        Outcome o = run("GetIntent(unknown)", GetIntent{next("int_nope")});
        EXPECT_EQ(o.status.code(), ErrorCode::kNotFound);
      } else {
        run("GetIntent", GetIntent{random_intent()});
      }
    } else if (r < 74) {
      const Intent& in = intent_where(has(ActionKind::kCapture));
      CreateSplits cs;
      cs.intent_id = in.id;
      for (const LineItem& l : in.lines) {
        Amount room = l.captured - l.refunded - l.disputed - l.split;
        if ((room <= 0 && !chance(10)) || chance(30)) continue;
        SplitInput si;
        si.line_item_id = l.id;
        si.amount = room <= 0 ? 1 : 1 + static_cast<Amount>(pick(static_cast<size_t>(room)));
        if (chance(30)) si.fees = static_cast<Amount>(pick(static_cast<size_t>(si.amount / 4 + 1)));
        int when = static_cast<int>(pick(3));
        if (when == 0) si.transfer_date = now_s() - 100;        // due
        if (when == 1) si.transfer_date = now_s() + 100000000;  // not yet
        si.description = "split of " + l.id;
        cs.splits.push_back(si);
        cs.split_ids.push_back(next("spl"));
      }
      if (cs.splits.empty()) continue;
      run("CreateSplits", cs);
      stale.insert(in.id);
    } else if (r < 79) {
      int what = static_cast<int>(pick(3));
      // Mostly a split the command can act on: executable (AVAILABLE, REJECTED), or not executed.
      auto fits = [&](const Split& x) {
        return what == 0 ? x.status == SplitStatus::kAvailable || x.status == SplitStatus::kRejected
                         : !x.executed();
      };
      const Intent& in = intent_where(
          [&](const Intent& x) { return std::any_of(x.splits.begin(), x.splits.end(), fits); });
      if (in.splits.empty()) continue;
      std::vector<const Split*> candidates;
      for (const Split& x : in.splits) {
        if (fits(x) || chance(10)) candidates.push_back(&x);
      }
      const Split& sp = candidates.empty() ? in.splits[pick(in.splits.size())]
                                           : *candidates[pick(candidates.size())];
      if (what == 0) run("ExecuteSplit", ExecuteSplit{in.id, sp.id});
      if (what == 1) run("ReverseSplit", ReverseSplit{in.id, sp.id});
      if (what == 2) run("GetSplit", GetSplit{in.id, sp.id});
      stale.insert(in.id);
    } else if (r < 81) {
      run("ExecuteDueSplits", ExecuteDueSplits{});
      mark_all_stale();
    } else if (r < 85) {
      // Back to back: captures of a few intents, a look at each, refunds of each and another
      // look (more intents than B holds, so that it must choose which to keep); or splits
      // executed and the transactions they made.
      if (chance(70)) {
        std::vector<std::pair<std::string, Command>> captures, looks, refunds;
        std::set<std::string> seen;
        for (int k = 0; k < 4; ++k) {
          const Intent& in = fresh(random_intent());
          if (!seen.insert(in.id).second) continue;
          ActionInput ai = chance(50)
                               ? ActionInput{}
                               : partial(in, [](const LineItem& l) { return l.remaining(); });
          captures.push_back({"CaptureIntent(pipelined)",
                              CaptureIntent{in.id, with_ref(ai, "ch", 50), next("cap")}});
          looks.push_back({"GetIntent(pipelined)", GetIntent{in.id}});
          // A small part of each line (refused where less was captured).
          ActionInput some = partial(in, [](const LineItem& l) { return l.total / 4; });
          refunds.push_back({"RefundIntent(pipelined)",
                             RefundIntent{in.id, chance(20) ? ActionInput{} : some, next("ref")}});
        }
        std::vector<std::pair<std::string, Command>> all = captures;
        all.insert(all.end(), looks.begin(), looks.end());
        all.insert(all.end(), refunds.begin(), refunds.end());
        all.insert(all.end(), looks.begin(), looks.end());
        run_many(all);
      } else {
        std::vector<std::pair<std::string, Command>> cmds = {
            {"ExecuteDueSplits(pipelined)", ExecuteDueSplits{}},
            {"ListClientWalletTransactions(pipelined)",
             ListClientWalletTransactions{ClientFunds::kFees, "EUR"}},
            {"ListUserTransactions(pipelined)", ListUserTransactions{"user_dm"}}};
        for (const std::string& iid : intent_ids) {
          const Intent& x = model.at(iid);
          if (cmds.size() < 8 && std::any_of(x.splits.begin(), x.splits.end(), [](const Split& sp) {
                return sp.status == SplitStatus::kAvailable;
              })) {
            cmds.push_back({"GetIntent(pipelined)", GetIntent{iid}});
          }
        }
        run_many(cmds);
        mark_all_stale();
      }
    } else if (r < 89) {
      int what = static_cast<int>(pick(3));
      if (what == 0)
        run("ListWalletTransactions", ListWalletTransactions{wallets[pick(wallets.size())]});
      if (what == 1)
        run("ListClientWalletTransactions(fees)",
            ListClientWalletTransactions{ClientFunds::kFees, "EUR"});
      if (what == 2) run("ListUserTransactions", ListUserTransactions{"user_dm"});
    } else if (r < 94) {
      // A settlement file naming captures (by their own reference, or their intent's), refunds
      // and disputes of several intents, most of them dropped from B's memory.
      SettlementFile f;
      std::map<std::string, std::string> line_intent;  // reference -> intent
      f.provider_name = chance(50) ? "STRIPE" : "Stripe";
      f.currency = "EUR";
      f.settlement_date = now_s() / 86400 * 86400;
      f.structurally_valid = true;
      int want = 1 + static_cast<int>(pick(4));
      for (int tries = 0; tries < 12 && static_cast<int>(f.lines.size()) < want; ++tries) {
        const Intent& in = fresh(random_intent());
        for (const ActionRecord& act : in.actions) {
          if (settled_actions.count(act.id) || chance(40)) continue;
          SettlementLine line;
          line.row = f.lines.size() + 1;
          line.currency = "EUR";
          line.processing_date = f.settlement_date;
          line.provider_reference = act.external.provider_reference;
          if (chance(30)) line.intent_id = in.id;
          if (act.kind == ActionKind::kCapture && act.status == "CAPTURED") {
            if (line.provider_reference.empty())
              line.provider_reference = in.external.provider_reference;
            line.type = SettlementLineType::kPayment;
            line.status = "SETTLED";
            line.amount = act.amount;
          } else if (act.kind == ActionKind::kRefund && !line.provider_reference.empty()) {
            line.type = SettlementLineType::kRefund;
            line.status = "REFUNDED";
            line.amount = -act.amount;
            line.initial_reference = in.external.provider_reference;
          } else if (act.kind == ActionKind::kDispute && !line.provider_reference.empty()) {
            line.type = SettlementLineType::kDispute;
            line.status = "DISPUTED";
            line.amount = -act.amount;
            line.initial_reference = in.external.provider_reference;
          } else {
            continue;
          }
          if (line.provider_reference.empty()) continue;
          if (chance(5)) line.amount += 1;  // AMOUNT_NOT_MATCH
          line_intent[line.provider_reference] = in.id;
          f.lines.push_back(line);
        }
      }
      if (chance(5)) {
        SettlementLine unknown;
        unknown.row = f.lines.size() + 1;
        unknown.provider_reference = next("pi_unknown");
        unknown.status = "SETTLED";
        unknown.amount = 100;
        unknown.currency = "EUR";
        f.lines.push_back(unknown);
      }
      if (f.lines.empty()) continue;
      Amount net = 0;
      for (const SettlementLine& l : f.lines) net += l.amount;
      f.total_net = net;
      std::string id = next("stl"), token = next("tok");
      // The file's intents are looked at right after it, before the tables hold what it changed.
      std::vector<std::pair<std::string, Command>> cmds = {
          {"CreateSettlement", CreateSettlement{id, "file.csv", token}},
          {"UploadSettlementFile", UploadSettlementFile{id, token, Box<SettlementFile>(f)}}};
      std::vector<std::string> file_intents;
      for (const SettlementLine& l : f.lines) {
        if (!line_intent.count(l.provider_reference)) continue;
        const std::string& iid = line_intent[l.provider_reference];
        if (std::find(file_intents.begin(), file_intents.end(), iid) != file_intents.end())
          continue;
        file_intents.push_back(iid);
        cmds.push_back({"GetIntent(after a settlement)", GetIntent{iid}});
      }
      settlement_intents[id] = file_intents;
      Outcome up = run_many(cmds)[1];
      mark_all_stale();
      if (!up.ok()) continue;
      const Settlement& s = std::get<Box<SettlementView>>(up.value)->settlement;
      auto& n = counts["settlement " + std::string(SettlementStatusName(s.status))];
      ++n.first;
      ++n.second;
      if (s.awaits_funds() || s.status == SettlementStatus::kReconciled) {
        for (const SettlementMatch& m : s.matches) settled_actions.insert(m.action_id);
      }
      if (s.awaits_funds()) {
        open_settlements.emplace_back(id, std::get<Box<SettlementView>>(up.value)->funds_missing);
      }
      if (chance(10)) {
        run("CancelSettlement", CancelSettlement{id});  // refused once funded or reconciled
      }
    } else {
      // Funds: what the oldest open settlement misses (or part of it), or a retry of a wire.
      // (Funds ahead of any settlement stay unallocated: the next file is RECONCILED at once.)
      if (open_settlements.empty() && chance(70)) continue;
      Amount amount = 100 + static_cast<Amount>(pick(500));
      std::vector<std::pair<std::string, Command>> cmds;
      if (!open_settlements.empty() && chance(80)) {
        amount = open_settlements.front().second;
        // What a completed settlement changed is looked at at once.
        for (const std::string& iid : settlement_intents[open_settlements.front().first]) {
          cmds.push_back({"GetIntent(after funds)", GetIntent{iid}});
        }
        cmds.push_back({"ListUserTransactions(after funds)", ListUserTransactions{"user_dm"}});
        if (chance(20) && amount > 1) amount /= 2;
        open_settlements.erase(open_settlements.begin());
      }
      if (amount <= 0) amount = 1;
      std::string wire = next("wire");
      cmds.insert(cmds.begin(), {"ReceiveEscrowFunds", ReceiveEscrowFunds{"EUR", amount, wire}});
      Outcome o = run_many(cmds)[0];
      if (chance(20)) run("ReceiveEscrowFunds(retry)", ReceiveEscrowFunds{"EUR", amount, wire});
      if (o.ok()) {
        auto& n = counts["settlement reconciled by funds"];
        n.first += static_cast<int>(std::get<EscrowReceipt>(o.value).reconciled.size());
        n.second = n.first;
      }
      mark_all_stale();
    }
  }
  // Every intent once more, and the money views.
  for (const std::string& id : intent_ids) run("GetIntent(final)", GetIntent{id});
  for (const std::string& w : wallets) run("ListWalletTransactions", ListWalletTransactions{w});
  run("ListClientWalletTransactions(fees)",
      ListClientWalletTransactions{ClientFunds::kFees, "EUR"});
  EventFilter all;
  all.limit = 100000;
  auto ea = a->ListEvents(client, all), eb = b->ListEvents(client, all);
  ASSERT_TRUE(ea.ok() && eb.ok());
  ASSERT_EQ(ea->items.size(), eb->items.size());
  for (size_t i = 0; i < ea->items.size(); ++i) {
    EXPECT_EQ(ea->items[i].resource_id + " " + ea->items[i].event_type + " " +
                  std::to_string(ea->items[i].date),
              eb->items[i].resource_id + " " + eb->items[i].event_type + " " +
                  std::to_string(eb->items[i].date))
        << "event " << i;
  }

  ServiceStats sa = a->stats(), sb = b->stats();
  uint64_t b_reads = b_reads_before_restart + sb.intent_reads;
  std::string summary;
  for (const auto& [op, n] : counts) {
    summary += "  " + op + ": " + std::to_string(n.first) + "/" + std::to_string(n.second) + "\n";
  }
  std::cout << "[ summary  ] " << total_ok << "/" << total << " commands ok, " << intent_ids.size()
            << " intents, B read " << b_reads << " intents back (" << b_reads_before_restart
            << " before its restart), A " << sa.intent_reads << ", " << ea->items.size()
            << " events, " << refreshes << " model refreshes (A only)\n"
            << summary;
  EXPECT_EQ(sa.intent_reads, 0u) << "A holds every intent";
  EXPECT_GT(b_reads, static_cast<uint64_t>(kSteps / 4)) << "B read its intents back";
  EXPECT_GT(b_reads_before_restart, static_cast<uint64_t>(kSteps / 8));
  EXPECT_GT(total_ok * 100, total * 40) << "most random commands succeed";
  for (const char* op :
       {"CreateIntent", "CreateIntent(mixed basket)", "CaptureIntent", "CancelIntent",
        "RefundIntent", "ReverseRefund", "DisputeCapture", "DecideDispute", "CreateSplits",
        "ExecuteSplit", "ReverseSplit", "UploadSettlementFile", "ReceiveEscrowFunds"}) {
    EXPECT_GT(counts[op].first, 0) << op << " never succeeded";
  }
  EXPECT_GT(counts["settlement PENDING_FUNDS_RECEPTION"].first, 0);
  EXPECT_GT(counts["settlement reconciled by funds"].first, 0);
  a.reset();
  b.reset();

  // The tables of both: the same books, the same intents.
  auto la = LoadTables(oa.db_url), lb = LoadTables(ob.db_url);
  for (const auto& d : ledger::testing::CompareBooks(la->book(), lb->book())) ADD_FAILURE() << d;
  ASSERT_EQ(la->intents().size(), intent_ids.size());
  ASSERT_EQ(lb->intents().size(), intent_ids.size());
  int executed = 0;
  for (const auto& [k, in] : la->intents()) {
    const Intent* other_in = lb->FindIntent(in.client_id, in.id);
    ASSERT_NE(other_in, nullptr) << in.id;
    for (const auto& d : ledger::testing::CompareIntents(in, *other_in)) ADD_FAILURE() << d;
    ASSERT_EQ(in.splits.size(), other_in->splits.size());
    for (size_t i = 0; i < in.splits.size(); ++i) {
      EXPECT_EQ(Encode(in.splits[i]), Encode(other_in->splits[i])) << in.splits[i].id;
      executed += in.splits[i].executed() ? 1 : 0;
    }
  }
  EXPECT_GT(executed, 0) << "some splits were executed";
  EXPECT_EQ(la->next_event_id(), lb->next_event_id());
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
