// Users, wallets and the client's wallets. Messages name fields as "{field}": each dialect puts
// its own spelling there.
#include <algorithm>

#include "handlers.h"
#include "splitledger/ledger/chart.h"

namespace splitledger::service {
namespace {

bool Empty(const std::string& s) { return s.empty(); }
bool Empty(const std::optional<int64_t>& v) { return !v.has_value(); }

// The rules of a user, on the merged entity: required fields per person type, and for an OWNER
// the identity fields KYC needs.
std::vector<FieldError> ValidateUser(const User& u) {
  std::vector<FieldError> errors;
  auto require = [&](bool missing, const char* name, const char* why) {
    if (missing) errors.push_back({name, why});
  };
  const char* kRequired = "The {field} field is required.";
  const char* kOwner = "The {field} field is required for an OWNER.";
  if (u.natural()) {
    require(Empty(u.first_name), "first_name", kRequired);
    require(Empty(u.last_name), "last_name", kRequired);
    require(Empty(u.email), "email", kRequired);
    if (u.owner()) {
      require(Empty(u.birthday), "birthday", kOwner);
      require(Empty(u.nationality), "nationality", kOwner);
      require(Empty(u.country_of_residence), "country_of_residence", kOwner);
    }
  } else {
    require(Empty(u.name), "name", kRequired);
    require(Empty(u.legal_person_type), "legal_person_type", kRequired);
    require(Empty(u.lr_first_name), "lr_first_name", kRequired);
    require(Empty(u.lr_last_name), "lr_last_name", kRequired);
    require(Empty(u.email), "email", kRequired);
    if (u.owner()) {
      require(Empty(u.lr_birthday), "lr_birthday", kOwner);
      require(Empty(u.lr_nationality), "lr_nationality", kOwner);
      require(Empty(u.lr_country_of_residence), "lr_country_of_residence", kOwner);
    }
  }
  return errors;
}

// Checked when given, not on every update: 0.1 accepted any value, and its users stay editable.
void CheckIncomeRange(const User& u, std::vector<FieldError>* errors) {
  const std::string& r = u.income_range;
  if (!r.empty() && (r.size() != 1 || r[0] < '1' || r[0] > '6')) {
    errors->push_back({"income_range", "The {field} field must be between 1 and 6."});
  }
}

Status FirstError(const std::vector<FieldError>& errors) {
  if (errors.empty()) return Status::Ok();
  return Status::Invalid(errors.front().message, errors.front().field);
}

Outcome NoSuchUser() { return Outcome::Error(Status::NotFound("User not found", "user_id")); }
Outcome NoSuchWallet() { return Outcome::Error(Status::NotFound("Wallet not found", "wallet_id")); }

Amount WalletBalance(const ledger::State& st, const Wallet& w) {
  return st.book().CreditBalance(
      ledger::chart::Key(w.client_id, w.currency, ledger::chart::kSellerWallet, w.id));
}

ClientWalletView ClientWalletOf(const ledger::State& st, const ClientWallet& w) {
  std::string_view kind = w.fees() ? ledger::chart::kFeesWallet : ledger::chart::kCreditWallet;
  return ClientWalletView{
      w, st.book().CreditBalance(ledger::chart::Key(w.client_id, w.currency, kind))};
}

// A new user with the defaults of a create request applied.
User NewUser(const CreateUser& c) {
  User u = *c.user;
  if (!c.category_given) {
    bool kyc = u.natural() ? u.birthday && !u.nationality.empty() && !u.country_of_residence.empty()
                           : u.lr_birthday && !u.lr_nationality.empty() &&
                                 !u.lr_country_of_residence.empty();
    u.category = static_cast<int64_t>(kyc ? UserCategory::kOwner : UserCategory::kPayer);
  }
  if (u.natural() && u.capacity.empty()) u.capacity = "NORMAL";
  return u;
}

}  // namespace

Status Preflight(const CreateUser& c, const Caller&, std::vector<FieldError>* errors) {
  *errors = ValidateUser(NewUser(c));
  CheckIncomeRange(*c.user, errors);
  return FirstError(*errors);
}

Outcome Apply(ApplyContext& ctx, const CreateUser& c) {
  if (ctx.state.FindUser(ctx.caller.client_id, c.user->id) != nullptr) {
    return Outcome::Error(
        Status(ErrorCode::kAlreadyExists, "User " + c.user->id + " already exists"));
  }
  User u = NewUser(c);
  u.client_id = ctx.caller.client_id;
  u.created_at = ctx.now_s();
  u.updated_at = ctx.now_s();
  u.terms_accepted_date = u.terms_accepted ? std::optional<int64_t>(ctx.now_s()) : std::nullopt;
  ctx.state.PutUser(u);
  return Outcome::Of(std::move(u));
}

Outcome Apply(ApplyContext& ctx, const UpdateUser& c) {
  const User* current = ctx.state.FindUser(ctx.caller.client_id, c.user_id);
  if (current == nullptr) return NoSuchUser();
  if (current->natural() != (c.person_type == PersonType::kNatural)) {
    return Outcome::Error(Status::Invalid(
        current->natural() ? "The user is a natural user" : "The user is a legal user", "user_id"));
  }
  User u = *current;
  std::vector<std::string> fields = EditableFields(
      c.fields, {"id", "client_id", "person_type", "created_at", "terms_accepted_date"});
  CopyFields(*c.patch, u, fields);
  std::vector<FieldError> errors = ValidateUser(u);
  CheckIncomeRange(*c.patch, &errors);
  if (!errors.empty()) return Outcome::Invalid(std::move(errors));
  u.updated_at = ctx.now_s();
  ctx.state.PutUser(u);
  return Outcome::Of(std::move(u));
}

Outcome Apply(ApplyContext& ctx, const GetUser& c) {
  const User* u = ctx.state.FindUser(ctx.caller.client_id, c.user_id);
  if (u == nullptr) return NoSuchUser();
  if (c.person_type && u->natural() != (*c.person_type == PersonType::kNatural)) {
    return Outcome::Error(Status::Invalid(
        u->natural() ? "The user is a natural user" : "The user is a legal user", "user_id"));
  }
  return Outcome::Of(*u);
}

Status Preflight(const CreateWallet& c, const Caller&, std::vector<FieldError>* errors) {
  if (c.wallet.owners.empty()) errors->push_back({"owners", "The {field} field is required."});
  if (FindCurrency(c.wallet.currency) == nullptr) {
    errors->push_back({"currency", "Unknown currency '" + c.wallet.currency.substr(0, 16) + "'."});
  }
  return FirstError(*errors);
}

Outcome Apply(ApplyContext& ctx, const CreateWallet& c) {
  const std::string& client = ctx.caller.client_id;
  for (const std::string& o : c.wallet.owners) {
    if (ctx.state.FindUser(client, o) == nullptr) {
      return Outcome::Invalid({{"owners", "User " + o.substr(0, 64) + " not found."}});
    }
  }
  if (ctx.state.FindWallet(client, c.wallet.id) != nullptr) {
    return Outcome::Error(
        Status(ErrorCode::kAlreadyExists, "Wallet " + c.wallet.id + " already exists"));
  }
  Wallet w = c.wallet;
  w.client_id = client;
  w.created_at = ctx.now_s();
  w.updated_at = ctx.now_s();
  ctx.state.book().Ensure(
      ledger::chart::Key(client, w.currency, ledger::chart::kSellerWallet, w.id), ctx.now_s());
  EnsureClientWallets(ctx, client, w.currency);
  ctx.state.PutWallet(w);
  return Outcome::Of(WalletView{std::move(w), 0});
}

Outcome Apply(ApplyContext& ctx, const UpdateWallet& c) {
  const Wallet* current = ctx.state.FindWallet(ctx.caller.client_id, c.wallet_id);
  if (current == nullptr) return NoSuchWallet();
  Wallet w = *current;
  std::vector<std::string> fields;
  for (const std::string& f : c.fields) {
    if (f == "description" || f == "tag") fields.push_back(f);
  }
  CopyFields(c.patch, w, fields);
  w.updated_at = ctx.now_s();
  ctx.state.PutWallet(w);
  Amount balance = WalletBalance(ctx.state, w);
  return Outcome::Of(WalletView{std::move(w), balance});
}

Outcome Apply(ApplyContext& ctx, const GetWallet& c) {
  const Wallet* w = ctx.state.FindWallet(ctx.caller.client_id, c.wallet_id);
  if (w == nullptr) return NoSuchWallet();
  return Outcome::Of(WalletView{*w, WalletBalance(ctx.state, *w)});
}

Outcome Apply(ApplyContext& ctx, const ListUserWallets& c) {
  if (ctx.state.FindUser(ctx.caller.client_id, c.user_id) == nullptr) return NoSuchUser();
  WalletList list;
  for (const Wallet* w : ctx.state.WalletsOfOwner(ctx.caller.client_id, c.user_id)) {
    list.items.push_back(WalletView{*w, WalletBalance(ctx.state, *w)});
  }
  return Outcome::Of(std::move(list));
}

// The movements of wallet `wallet_id` (a wallet's id, or FEES_<CUR>): for each executed split
// paying into it, the transfer in and what refunds took back (docs/ledger.md: the wallet's
// balance is exactly their sum).
void AppendTransactions(const ledger::State& st, const std::string& client,
                        const std::string& wallet_id, TransactionList& out) {
  for (const auto& [in, sp] : st.ExecutedSplitsInto(client, wallet_id)) {
    const LineItem& l = in->lines[sp->line_index];
    const std::string escrow = "ESCROW_" + in->currency;
    const std::string fees_wallet = "FEES_" + in->currency;
    auto add = [&](std::string id, const char* nature, const std::string& from, const std::string& to,
                   Amount debited, Amount fees, int64_t at) {
      out.items.push_back({std::move(id), nature, l.input.seller.author_id, from, to, in->currency,
                           debited, fees, debited - fees, at, sp->description});
    };
    if (l.input.seller.wallet_id == wallet_id) {
      add(sp->id, "REGULAR", escrow, wallet_id, sp->amount, sp->fees, sp->executed_at);
      if (sp->taken_back > 0) {
        add(sp->id + "_refund", "REFUND", wallet_id, escrow, sp->taken_back, 0, sp->updated_at);
      }
    }
    if (wallet_id == fees_wallet && sp->fees > 0) {
      add(sp->id + "_fees", "REGULAR", escrow, fees_wallet, sp->fees, 0, sp->executed_at);
      if (sp->fees_taken_back > 0) {
        add(sp->id + "_fees_refund", "REFUND", fees_wallet, escrow, sp->fees_taken_back, 0,
            sp->updated_at);
      }
    }
  }
}

void SortByDate(TransactionList& list) {
  std::stable_sort(list.items.begin(), list.items.end(),
                   [](const TransactionView& a, const TransactionView& b) { return a.created_at < b.created_at; });
}

Outcome Apply(ApplyContext& ctx, const ListUserTransactions& c) {
  if (ctx.state.FindUser(ctx.caller.client_id, c.user_id) == nullptr) return NoSuchUser();
  TransactionList list;
  for (const Wallet* w : ctx.state.WalletsOfOwner(ctx.caller.client_id, c.user_id)) {
    AppendTransactions(ctx.state, ctx.caller.client_id, w->id, list);
  }
  SortByDate(list);
  return Outcome::Of(std::move(list));
}

Outcome Apply(ApplyContext& ctx, const ListWalletTransactions& c) {
  if (ctx.state.FindWallet(ctx.caller.client_id, c.wallet_id) == nullptr) return NoSuchWallet();
  TransactionList list;
  AppendTransactions(ctx.state, ctx.caller.client_id, c.wallet_id, list);
  SortByDate(list);
  return Outcome::Of(std::move(list));
}

Outcome Apply(ApplyContext& ctx, const ListClientWallets& c) {
  ClientWalletList list;
  for (const ClientWallet* w : ctx.state.ClientWallets(ctx.caller.client_id)) {
    if (c.funds && w->funds != static_cast<int64_t>(*c.funds)) continue;
    list.items.push_back(ClientWalletOf(ctx.state, *w));
  }
  return Outcome::Of(std::move(list));
}

Outcome Apply(ApplyContext& ctx, const GetClientWallet& c) {
  const ClientWallet* w = ctx.state.FindClientWallet(ctx.caller.client_id, c.funds, c.currency);
  if (w == nullptr) return Outcome::Error(Status::NotFound("Client wallet not found", "wallet_id"));
  return Outcome::Of(ClientWalletOf(ctx.state, *w));
}

Outcome Apply(ApplyContext& ctx, const ListClientWalletTransactions& c) {
  const ClientWallet* w = ctx.state.FindClientWallet(ctx.caller.client_id, c.funds, c.currency);
  if (w == nullptr) return Outcome::Error(Status::NotFound("Client wallet not found", "wallet_id"));
  TransactionList list;
  AppendTransactions(ctx.state, ctx.caller.client_id, w->id(), list);
  SortByDate(list);
  return Outcome::Of(std::move(list));
}

}  // namespace splitledger::service
