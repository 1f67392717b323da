// v2.01 surface (echo-api §2, §4.1, §6.1–6.3): OAuth token, users, wallets, client wallets,
// client profile, stored idempotent responses. Translators only: JSON → command, outcome → JSON.
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

#include "dialects.h"
#include "echo.h"
#include "hooks.h"
#include "splitledger/core/ids.h"
#include "splitledger/core/money.h"

namespace splitledger::api {
namespace {

using rapidjson::Document;
using service::Outcome;

Reply V2Error(const ApiError& e) { return ErrorReply(Dialect::kV2, e); }
Reply V2Status(const Status& st) { return ErrorReply(Dialect::kV2, ErrorFromStatus(st)); }
Reply Failed(const Request& req, const Outcome& o) { return RequestError(Dialect::kV2, req, o); }

// A paginated JSON array of rendered items.
Reply PageOf(const Request& req, const Page& page, const std::vector<std::string>& items) {
  std::string out = "[";
  int64_t start = (page.page - 1) * page.per_page;
  bool first = true;
  for (int64_t i = start; i < static_cast<int64_t>(items.size()) && i < start + page.per_page; ++i) {
    if (!first) out += ",";
    out += items[static_cast<size_t>(i)];
    first = false;
  }
  out += "]";
  Reply r = JsonReply(std::move(out));
  AddPaginationHeaders(r, page, static_cast<int64_t>(items.size()), req.url);
  return r;
}


// The page of the list an outcome carries, each item rendered by `render`.
template <class List, class Render>
Reply ListReply(const Request& req, const Page& page, const Outcome& o, Render render) {
  if (!o.ok()) return Failed(req, o);
  std::vector<std::string> items;
  for (const auto& item : std::get<List>(o.value).items) items.push_back(render(item));
  return PageOf(req, page, items);
}

// A list outcome's page, rendered on a completion thread: the translator checked the page
// parameters before submitting the command, so reading them again cannot fail.
template <class List, auto Render>
Reply DeferredListReply(const Request& req, const Outcome& o) {
  Page page;
  Reply bad;
  if (!V2PageOf(req, &page, &bad)) return bad;
  return ListReply<List>(req, page, o, Render);
}

// A v2.01 Transaction object (a TRANSFER between wallets).
std::string RenderTransaction(const service::TransactionView& t) {
  rapidjson::StringBuffer sb;
  JWriter w(sb);
  auto money = [&](const char* key, Amount a) {
    WKey(w, key);
    w.StartObject();
    WKey(w, "Currency"); WStr(w, t.currency);
    WKey(w, "Amount"); w.Int64(a);
    w.EndObject();
  };
  w.StartObject();
  WKey(w, "Id"); WStr(w, t.id);
  WKey(w, "Tag"); WStrOrNull(w, t.tag);
  WKey(w, "CreationDate"); w.Int64(t.created_at);
  WKey(w, "AuthorId"); WStrOrNull(w, t.author_id);
  WKey(w, "CreditedUserId"); WStrOrNull(w, t.nature == "REFUND" ? std::string() : t.author_id);
  money("DebitedFunds", t.debited);
  money("CreditedFunds", t.credited);
  money("Fees", t.fees);
  WKey(w, "Status"); WStr(w, "SUCCEEDED");
  WKey(w, "ResultCode"); WStr(w, "000000");
  WKey(w, "ResultMessage"); WStr(w, "Success");
  WKey(w, "ExecutionDate"); w.Int64(t.created_at);
  WKey(w, "Type"); WStr(w, "TRANSFER");
  WKey(w, "Nature"); WStr(w, t.nature);
  WKey(w, "DebitedWalletId"); WStr(w, t.debited_wallet_id);
  WKey(w, "CreditedWalletId"); WStr(w, t.credited_wallet_id);
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

// A wallet's, user's or client wallet's transactions, once the owner is found.
Answer TransactionsReply(Request& req, service::Command list) {
  Page page;
  Reply bad;
  if (!V2PageOf(req, &page, &bad)) return bad;
  return Deferred{std::move(list), DeferredListReply<service::TransactionList, RenderTransaction>};
}

// --- users -----------------------------------------------------------------------------------

Reply UserReply(const Request& req, const Outcome& o) {
  if (!o.ok()) return Failed(req, o);
  return JsonReply(RenderUser(*std::get<service::Box<User>>(o.value)));
}

Answer CreateUser(App& app, Request& req, bool natural) {
  Document body;
  if (Status st = ParseJsonObject(req.body, &body); !st.ok()) {
    return RefuseRequest(app, Dialect::kV2, req, st);
  }
  service::CreateUser cmd;
  std::vector<std::string> fields;
  FieldErrors errors;
  BindUser(body, natural, &*cmd.user, &fields, &cmd.category_given, &errors);
  if (!errors.empty()) return RefuseRequest(app, Dialect::kV2, req, Status::Invalid("invalid"), errors);
  cmd.user->id = NewId(id_prefix::kUser, req.now_ms);
  return Deferred{std::move(cmd), UserReply};
}
Answer CreateNatural(App& app, Request& req) { return CreateUser(app, req, true); }
Answer CreateLegal(App& app, Request& req) { return CreateUser(app, req, false); }

Answer GetUser(Request& req, std::optional<PersonType> kind) {
  return Deferred{service::GetUser{req.params[0], kind}, UserReply};
}
Answer GetAnyUser(App&, Request& req) { return GetUser(req, std::nullopt); }
Answer GetNatural(App&, Request& req) { return GetUser(req, PersonType::kNatural); }
Answer GetLegal(App&, Request& req) { return GetUser(req, PersonType::kLegal); }

Answer UpdateUser(Request& req, bool natural) {
  Document body;
  if (Status st = ParseJsonObject(req.body, &body); !st.ok()) return V2Status(st);
  service::UpdateUser cmd;
  cmd.user_id = req.params[0];
  cmd.person_type = natural ? PersonType::kNatural : PersonType::kLegal;
  bool category_given = false;
  FieldErrors errors;
  BindUser(body, natural, &*cmd.patch, &cmd.fields, &category_given, &errors);
  if (!errors.empty()) return V2Error(ParamError(std::move(errors)));
  return Deferred{std::move(cmd), UserReply};
}
Answer UpdateNatural(App&, Request& req) { return UpdateUser(req, true); }
Answer UpdateLegal(App&, Request& req) { return UpdateUser(req, false); }

Answer UserWallets(App&, Request& req) {
  Page page;
  Reply bad;
  if (!V2PageOf(req, &page, &bad)) return bad;
  return Deferred{service::ListUserWallets{req.params[0]},
                  DeferredListReply<service::WalletList, RenderWallet>};
}

Answer UserTransactions(App&, Request& req) {
  return TransactionsReply(req, service::ListUserTransactions{req.params[0]});
}

// --- wallets ---------------------------------------------------------------------------------

Reply WalletReply(const Request& req, const Outcome& o) {
  if (!o.ok()) return Failed(req, o);
  return JsonReply(RenderWallet(std::get<service::WalletView>(o.value)));
}

Answer CreateWallet(App& app, Request& req) {
  Document body;
  if (Status st = ParseJsonObject(req.body, &body); !st.ok()) {
    return RefuseRequest(app, Dialect::kV2, req, st);
  }
  Binder b;
  service::CreateWallet cmd;
  Wallet& w = cmd.wallet;
  if (const JValue* o = b.Arr(body, "Owners", true)) {
    for (const auto& e : o->GetArray()) {
      if (!e.IsString()) b.Add("Owners", "The Owners field must be an array of user ids.");
      else w.owners.emplace_back(e.GetString(), e.GetStringLength());
    }
  }
  if (auto c = b.Str(body, "Currency", true)) w.currency = *c;
  w.description = b.Str(body, "Description", false).value_or("");
  w.tag = b.Str(body, "Tag", false);
  if (!b.ok()) return RefuseRequest(app, Dialect::kV2, req, Status::Invalid("invalid"), b.errors());
  w.id = NewId(id_prefix::kWallet, req.now_ms);
  return Deferred{std::move(cmd), WalletReply};
}

Answer GetWallet(App&, Request& req) { return Deferred{service::GetWallet{req.params[0]}, WalletReply}; }

Answer UpdateWallet(App&, Request& req) {
  Document body;
  if (Status st = ParseJsonObject(req.body, &body); !st.ok()) return V2Status(st);
  Binder b;
  service::UpdateWallet cmd;
  cmd.wallet_id = req.params[0];
  if (auto d = b.Str(body, "Description", false)) {
    cmd.patch.description = *d;
    cmd.fields.push_back("description");
  }
  if (auto t = b.Str(body, "Tag", false)) {
    cmd.patch.tag = *t;
    cmd.fields.push_back("tag");
  }
  if (!b.ok()) return V2Error(ParamError(b.errors()));
  return Deferred{std::move(cmd), WalletReply};
}

Answer WalletTransactions(App&, Request& req) {
  return TransactionsReply(req, service::ListWalletTransactions{req.params[0]});
}

// --- client wallets and profile --------------------------------------------------------------

// FundsType and Currency path parts; false (with the reply) when invalid.
bool ClientWalletKey(const Request& req, size_t i, ClientFunds* funds, std::string* currency, Reply* error) {
  std::string f = ToLower(req.params[i]);
  if (f != "fees" && f != "credit") {
    *error = V2Error(ParamError("FundsType", "The FundsType must be FEES or CREDIT."));
    return false;
  }
  *funds = f == "fees" ? ClientFunds::kFees : ClientFunds::kCredit;
  if (i + 1 < req.params.size()) {
    std::string cur = req.params[i + 1];
    for (char& c : cur) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (FindCurrency(cur) == nullptr) {
      *error = V2Error(ParamError("Currency", "Unknown currency."));
      return false;
    }
    *currency = cur;
  }
  return true;
}

Answer ListClientWallets(App&, Request& req) {
  Page page;
  Reply bad;
  if (!V2PageOf(req, &page, &bad)) return bad;
  service::ListClientWallets cmd;
  if (!req.params.empty()) {
    ClientFunds funds;
    std::string unused;
    if (!ClientWalletKey(req, 0, &funds, &unused, &bad)) return bad;
    cmd.funds = funds;
  }
  return Deferred{std::move(cmd), DeferredListReply<service::ClientWalletList, RenderClientWallet>};
}

Reply ClientWalletReply(const Request& req, const Outcome& o) {
  if (!o.ok()) return Failed(req, o);
  return JsonReply(RenderClientWallet(std::get<service::ClientWalletView>(o.value)));
}

Answer GetClientWallet(App&, Request& req) {
  Reply bad;
  service::GetClientWallet cmd;
  if (!ClientWalletKey(req, 0, &cmd.funds, &cmd.currency, &bad)) return bad;
  return Deferred{std::move(cmd), ClientWalletReply};
}

Answer ClientWalletTransactions(App&, Request& req) {
  Reply bad;
  service::ListClientWalletTransactions cmd;
  if (!ClientWalletKey(req, 0, &cmd.funds, &cmd.currency, &bad)) return bad;
  return TransactionsReply(req, cmd);
}

Reply ClientReply(const Request& req, const Outcome& o) {
  if (!o.ok()) return Failed(req, o);
  return JsonReply(RenderClient(*std::get<service::Box<Client>>(o.value)));
}

Answer GetClient(App&, Request&) { return Deferred{service::GetClient{}, ClientReply}; }

Answer UpdateClient(App&, Request& req) {
  Document body;
  if (Status st = ParseJsonObject(req.body, &body); !st.ok()) return V2Status(st);
  service::UpdateClient cmd;
  Client& p = *cmd.patch;
  FieldErrors errors;
  auto str = [&](const char* echo, const char* entity, std::string* out) {
    const JValue* v = Member(body, echo);
    if (v == nullptr) return;
    if (!v->IsString()) {
      errors.emplace_back(echo, std::string("The ") + echo + " field must be a string.");
      return;
    }
    out->assign(v->GetString(), v->GetStringLength());
    cmd.fields.push_back(entity);
  };
  auto list = [&](const char* echo, const char* entity, std::vector<std::string>* out) {
    const JValue* v = Member(body, echo);
    if (v == nullptr) return;
    bool ok = v->IsArray();
    if (ok) {
      for (const auto& e : v->GetArray()) {
        if (!e.IsString()) ok = false; else out->emplace_back(e.GetString(), e.GetStringLength());
      }
    }
    if (!ok) {
      errors.emplace_back(echo, std::string("The ") + echo + " field must be an array of strings.");
      return;
    }
    cmd.fields.push_back(entity);
  };
  str("PrimaryThemeColour", "primary_theme_colour", &p.primary_theme_colour);
  str("PrimaryButtonColour", "primary_button_colour", &p.primary_button_colour);
  str("Logo", "logo", &p.logo);
  list("TechEmails", "tech_emails", &p.tech_emails);
  list("AdminEmails", "admin_emails", &p.admin_emails);
  list("BillingEmails", "billing_emails", &p.billing_emails);
  list("FraudEmails", "fraud_emails", &p.fraud_emails);
  str("HeadquartersPhoneNumber", "headquarters_phone_number", &p.headquarters_phone_number);
  str("TaxNumber", "tax_number", &p.tax_number);
  str("PlatformType", "platform_type", &p.platform_type);
  str("PlatformDescription", "platform_description", &p.platform_description);
  str("PlatformURL", "platform_url", &p.platform_url);
  str("Website", "website", &p.website);
  if (const JValue* a = Member(body, "HeadquartersAddress")) {
    if (!a->IsObject()) {
      errors.emplace_back("HeadquartersAddress", "The HeadquartersAddress field must be an object.");
    } else {
      p.headquarters_address = BindAddress(*a);
      cmd.fields.push_back("hq_");
    }
  }
  if (const JValue* c = Member(body, "PlatformCategorization")) {
    if (!c->IsObject()) {
      errors.emplace_back("PlatformCategorization", "The PlatformCategorization field must be an object.");
    } else {
      if (const JValue* bt = Member(*c, "BusinessType"); bt != nullptr && bt->IsString()) p.business_type = bt->GetString();
      if (const JValue* s = Member(*c, "Sector"); s != nullptr && s->IsString()) p.sector = s->GetString();
      cmd.fields.push_back("business_type");
      cmd.fields.push_back("sector");
    }
  }
  if (!errors.empty()) return V2Error(ParamError(std::move(errors)));
  return Deferred{std::move(cmd), ClientReply};
}

// --- stored responses (§4.1) ----------------------------------------------------------------

Reply StoredResponse(App& app, Request& req) {
  Outcome o = Run(app, req, service::GetStoredResponse{req.params[0]});
  if (!o.ok()) return Failed(req, o);
  const auto& s = std::get<service::StoredResponse>(o.value);
  Reply original;
  if (s.outcome.empty()) {  // a record of release 0.1: the rendered response itself
    original.status = s.legacy_status;
    original.content_type = s.legacy_content_type;
    original.body = s.legacy_body;
  } else {
    Outcome stored;
    if (!service::DecodeOutcome(s.outcome, &stored)) return V2Status(Status::Internal("stored outcome"));
    original = RenderStoredOutcome(stored, s.request_url, s.created_at, ErrorIdFor(req.client_id, req.params[0]));
  }
  rapidjson::StringBuffer sb;
  JWriter w(sb);
  w.StartObject();
  WKey(w, "StatusCode"); WStr(w, std::to_string(original.status));
  WKey(w, "ContentLength"); WStr(w, std::to_string(original.body.size()));
  WKey(w, "ContentType"); WStr(w, original.content_type);
  WKey(w, "Date");
  WStr(w, Poco::DateTimeFormatter::format(Poco::Timestamp::fromEpochTime(s.created_at),
                                          Poco::DateTimeFormat::HTTP_FORMAT));
  WKey(w, "RequestURL"); WStr(w, s.request_url);
  WKey(w, "Resource");
  Document d;
  if (!original.body.empty() && ParseJsonAny(original.body, &d).ok()) WRaw(w, original.body); else w.Null();
  w.EndObject();
  return JsonReply(std::string(sb.GetString(), sb.GetSize()));
}

}  // namespace

// The v2.01 routing table: every route, method and translator of the dialect, in one place.
bool V2PageOf(const Request& req, Page* page, Reply* error) {
  FieldErrors perr;
  if (ParsePage(req.query, page, &perr)) return true;
  *error = ErrorReply(Dialect::kV2, ParamError(std::move(perr)));
  return false;
}

const std::vector<Route>& V2Routes() {
  static const std::vector<Route> kRoutes = [] {
    std::vector<Route> routes = {
      {"POST", "users/natural", CreateNatural},
      {"POST", "users/legal", CreateLegal},
      {"GET", "users/natural/{UserId}", GetNatural},
      {"PUT", "users/natural/{UserId}", UpdateNatural},
      {"GET", "users/legal/{UserId}", GetLegal},
      {"PUT", "users/legal/{UserId}", UpdateLegal},
      {"GET", "users/{UserId}", GetAnyUser},
      {"GET", "users/{UserId}/wallets", UserWallets, kScaTriggering},
      {"GET", "users/{UserId}/transactions", UserTransactions, kScaTriggering},
      {"POST", "wallets", CreateWallet},
      {"GET", "wallets/{WalletId}", GetWallet, kScaTriggering},
      {"PUT", "wallets/{WalletId}", UpdateWallet},
      {"GET", "wallets/{WalletId}/transactions", WalletTransactions, kScaTriggering},
      {"GET", "clients", GetClient},
      {"PUT", "clients", UpdateClient},
      {"GET", "clients/wallets", ListClientWallets},
      {"GET", "clients/wallets/{FundsType}", ListClientWallets},
      {"GET", "clients/wallets/{FundsType}/{Currency}", GetClientWallet},
      {"GET", "clients/wallets/{FundsType}/{Currency}/transactions", ClientWalletTransactions},
      {"GET", "responses/{IdempotencyKey}", StoredResponse},
    };
    for (const Route& r : HookRoutes()) routes.push_back(r);  // hooks.cc
    return routes;
  }();
  return kRoutes;
}

// POST /v2.01/oauth/token: checks the key off the writer (hash and constant-time compare on
// this thread), then stores the token through the sequencer. Creates nothing else.
Reply HandleOAuth(App& app, Request& req, const std::string& authorization) {
  auto oauth_error = [](int status, const char* error) {
    ApiError e;
    e.status = status;
    e.type = error;
    return ErrorReply(Dialect::kOAuth, e);
  };
  std::string id, key;
  if (!ParseBasic(authorization, &id, &key)) return oauth_error(401, "invalid_client");
  Query form = ParseQuery(req.body);
  std::string grant = form.count("grant_type") ? form["grant_type"] : "";
  if (grant.empty()) {
    Document d;  // tolerate a JSON body {"grant_type":…}
    if (ParseJsonObject(req.body, &d).ok()) {
      if (const JValue* g = Member(d, "grant_type"); g != nullptr && g->IsString()) grant = g->GetString();
    }
  }
  if (grant.empty()) return oauth_error(400, "invalid_request");
  if (grant != "client_credentials") return oauth_error(400, "unsupported_grant_type");
  Request as_client = req;
  as_client.client_id = id;
  as_client.idem_key.clear();
  Outcome cred = Run(app, as_client, service::GetCredentials{id});
  if (!cred.ok()) {
    if (cred.status.code() == ErrorCode::kUnavailable) return ErrorReply(Dialect::kOAuth, ErrorFromStatus(cred.status));
    return oauth_error(401, "invalid_client");
  }
  // On the mTLS listener the key's client must own the certificate presented; the token is
  // then bound to it (RFC 8705).
  if (req.transport == Transport::kMtls && req.cert_client != id) return oauth_error(401, "invalid_client");
  const auto& c = std::get<service::Credentials>(cred.value);
  if (!ConstantTimeEquals(HashApiKey(c.api_key_salt, key), c.api_key_hash)) return oauth_error(401, "invalid_client");
  std::string token = RandomHex(32);
  std::string token_hash = Sha256Hex(token);
  int64_t ttl = app.cfg.token_ttl_seconds;
  int64_t expires = req.now_ms / 1000 + ttl;
  std::string bound_to = req.transport == Transport::kMtls ? req.client_cert : std::string();
  Outcome issued =
      Run(app, as_client, service::IssueToken{id, c.api_key_hash, token_hash, expires, bound_to});
  if (!issued.ok()) {
    if (issued.status.code() == ErrorCode::kUnavailable) return ErrorReply(Dialect::kOAuth, ErrorFromStatus(issued.status));
    return oauth_error(401, "invalid_client");
  }
  app.tokens.Put(token_hash, TokenCache::Entry{id, expires, bound_to});
  return JsonReply("{\"access_token\":\"" + token + "\",\"token_type\":\"bearer\",\"expires_in\":" +
                   std::to_string(ttl) + "}");
}

}  // namespace splitledger::api
