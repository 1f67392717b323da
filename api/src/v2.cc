// v2.01 surface (echo-api §2, §4.1, §6.1–6.3): OAuth token, users, wallets, client wallets,
// client profile, stored idempotent responses. Users, wallet metadata and client wallets are
// State Documents (JSON bodies rendered here); balances come from the ledger (Book).
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

#include <cstring>

#include "dialects.h"
#include "splitledger/core/ids.h"
#include "splitledger/core/money.h"
#include "splitledger/ledger/chart.h"

namespace splitledger::api {
namespace {

using rapidjson::Document;

Reply V2Error(const ApiError& e) { return ErrorReply(Dialect::kV2, e); }
Reply V2Status(const Status& st) { return ErrorReply(Dialect::kV2, ErrorFromStatus(st)); }
Reply V2NotFound(const char* field, const char* what) { return V2Error(NotFoundError(field, what)); }
Reply MethodNotAllowed() {
  ApiError e;
  e.status = 405;
  e.type = "method_not_allowed";
  e.message = "The requested method is not allowed on this resource";
  return V2Error(e);
}

std::string Serialize(const JValue& v) { return ToJson(v); }

// --- OAuth -----------------------------------------------------------------------------------

std::string FormValue(const std::string& body, const char* name) {
  Query q = ParseQuery(body);
  auto it = q.find(name);
  return it == q.end() ? std::string() : it->second;
}

Reply OAuthError(int status, const char* error) {
  ApiError e;
  e.status = status;
  e.type = error;
  return ErrorReply(Dialect::kOAuth, e);
}

// --- users -----------------------------------------------------------------------------------

enum class FT { kStr, kInt, kBool, kObj, kScalar };
struct FieldSpec {
  const char* name;
  FT type;
};

constexpr FieldSpec kNatural[] = {
    {"Address", FT::kObj}, {"FirstName", FT::kStr}, {"LastName", FT::kStr}, {"Birthday", FT::kInt},
    {"Nationality", FT::kStr}, {"CountryOfResidence", FT::kStr}, {"Occupation", FT::kStr},
    {"IncomeRange", FT::kScalar}, {"Capacity", FT::kStr}, {"Tag", FT::kStr}, {"Email", FT::kStr},
    {"UserCategory", FT::kStr}, {"TermsAndConditionsAccepted", FT::kBool}, {"PhoneNumber", FT::kStr},
    {"PhoneNumberCountry", FT::kStr}};
constexpr const char* kNaturalRequired[] = {"FirstName", "LastName", "Email"};
constexpr const char* kNaturalOwner[] = {"Birthday", "Nationality", "CountryOfResidence"};

constexpr FieldSpec kLegal[] = {
    {"HeadquartersAddress", FT::kObj}, {"LegalPersonType", FT::kStr}, {"Name", FT::kStr},
    {"LegalRepresentativeAddress", FT::kObj}, {"LegalRepresentativeBirthday", FT::kInt},
    {"LegalRepresentativeCountryOfResidence", FT::kStr}, {"LegalRepresentativeNationality", FT::kStr},
    {"LegalRepresentativeEmail", FT::kStr}, {"LegalRepresentativeFirstName", FT::kStr},
    {"LegalRepresentativeLastName", FT::kStr}, {"CompanyNumber", FT::kStr}, {"Tag", FT::kStr},
    {"Email", FT::kStr}, {"UserCategory", FT::kStr}, {"TermsAndConditionsAccepted", FT::kBool}};
constexpr const char* kLegalRequired[] = {"Name", "LegalPersonType", "LegalRepresentativeFirstName",
                                          "LegalRepresentativeLastName", "Email"};
constexpr const char* kLegalOwner[] = {"LegalRepresentativeBirthday", "LegalRepresentativeNationality",
                                       "LegalRepresentativeCountryOfResidence"};

bool TypeOk(const JValue& v, FT t) {
  switch (t) {
    case FT::kStr: return v.IsString() && v.GetStringLength() <= 4096;
    case FT::kInt: return v.IsInt64();
    case FT::kBool: return v.IsBool();
    case FT::kObj: return v.IsObject();
    case FT::kScalar: return v.IsString() || v.IsInt64();
  }
  return false;
}

const char* TypeName(FT t) {
  switch (t) {
    case FT::kStr: return "a string";
    case FT::kInt: return "an integer";
    case FT::kBool: return "a boolean";
    case FT::kObj: return "an object";
    default: return "a string or an integer";
  }
}

void SetMember(Document& out, const char* name, JValue v) {
  auto& a = out.GetAllocator();
  auto it = out.FindMember(name);
  if (it != out.MemberEnd()) {
    it->value = v;
  } else {
    out.AddMember(JValue(name, a), v, a);
  }
}

bool IsNullOrEmpty(const Document& out, const char* name) {
  auto it = out.FindMember(name);
  return it == out.MemberEnd() || it->value.IsNull() || (it->value.IsString() && it->value.GetStringLength() == 0);
}

// Applies the request's fields onto `out` (create: every spec field, null when absent; update:
// only the fields present). Then validates required fields and UserCategory.
template <size_t N, size_t R, size_t O>
bool BindUser(const JValue& body, bool create, const FieldSpec (&specs)[N], const char* const (&required)[R],
              const char* const (&owner)[O], Document& out, FieldErrors* errors) {
  auto& a = out.GetAllocator();
  bool category_given = false;
  for (const FieldSpec& f : specs) {
    const JValue* v = Member(body, f.name);
    if (v == nullptr) {
      if (create) SetMember(out, f.name, JValue(rapidjson::kNullType));
      continue;
    }
    if (!TypeOk(*v, f.type)) {
      errors->emplace_back(f.name, std::string("The ") + f.name + " field must be " + TypeName(f.type) + ".");
      continue;
    }
    if (std::strcmp(f.name, "UserCategory") == 0) {
      std::string c = ToLower(std::string_view(v->GetString(), v->GetStringLength()));
      if (c != "payer" && c != "owner") {
        errors->emplace_back("UserCategory", "The UserCategory field must be PAYER or OWNER.");
        continue;
      }
      category_given = true;
      SetMember(out, f.name, JValue(c == "payer" ? "PAYER" : "OWNER", a));
      continue;
    }
    SetMember(out, f.name, JValue(*v, a));
  }
  for (const char* r : required) {
    if (IsNullOrEmpty(out, r)) errors->emplace_back(r, std::string("The ") + r + " field is required.");
  }
  bool owner_complete = true;
  for (const char* o : owner) owner_complete = owner_complete && !IsNullOrEmpty(out, o);
  if (!category_given && create) {
    SetMember(out, "UserCategory", JValue(owner_complete ? "OWNER" : "PAYER", a));
  }
  auto cat = out.FindMember("UserCategory");
  if (cat != out.MemberEnd() && cat->value.IsString() && std::strcmp(cat->value.GetString(), "OWNER") == 0) {
    for (const char* o : owner) {
      if (IsNullOrEmpty(out, o)) errors->emplace_back(o, std::string("The ") + o + " field is required for an OWNER.");
    }
  }
  if (create && IsNullOrEmpty(out, "Capacity") && static_cast<const FieldSpec*>(specs) == static_cast<const FieldSpec*>(kNatural)) {
    SetMember(out, "Capacity", JValue("NORMAL", a));
  }
  return errors->empty();
}

Reply CreateUser(App& app, Request& req, bool natural) {
  Document body;
  if (Status st = ParseJsonObject(req.body, &body); !st.ok()) return V2Status(st);
  Document out(rapidjson::kObjectType);
  FieldErrors errors;
  bool ok = natural ? BindUser(body, true, kNatural, kNaturalRequired, kNaturalOwner, out, &errors)
                    : BindUser(body, true, kLegal, kLegalRequired, kLegalOwner, out, &errors);
  if (!ok) return V2Error(ParamError(std::move(errors)));
  auto& a = out.GetAllocator();
  int64_t now_s = req.now_ms / 1000;
  std::string id = NewId(id_prefix::kUser, req.now_ms);
  SetMember(out, "Id", JValue(id.c_str(), a));
  SetMember(out, "CreationDate", JValue(static_cast<int64_t>(now_s)));
  SetMember(out, "PersonType", JValue(natural ? "NATURAL" : "LEGAL", a));
  SetMember(out, "KYCLevel", JValue("LIGHT", a));
  SetMember(out, "UserStatus", JValue("ACTIVE", a));
  SetMember(out, "ProofOfIdentity", JValue(rapidjson::kNullType));
  if (natural) {
    SetMember(out, "ProofOfAddress", JValue(rapidjson::kNullType));
  } else {
    SetMember(out, "Statute", JValue(rapidjson::kNullType));
    SetMember(out, "ProofOfRegistration", JValue(rapidjson::kNullType));
    SetMember(out, "ShareholderDeclaration", JValue(rapidjson::kNullType));
  }
  auto tc = out.FindMember("TermsAndConditionsAccepted");
  bool accepted = tc != out.MemberEnd() && tc->value.IsBool() && tc->value.GetBool();
  SetMember(out, "TermsAndConditionsAcceptedDate",
            accepted ? JValue(static_cast<int64_t>(now_s)) : JValue(rapidjson::kNullType));
  std::string rendered = Serialize(out);
  return RunCommand(app, req, [&](ledger::CommandContext& ctx) -> Reply {
    ledger::Document doc;
    doc.kind = "user";
    doc.id = id;
    doc.client_id = req.client_id;
    doc.body = rendered;
    doc.created_at = now_s;
    doc.updated_at = now_s;
    ctx.state().PutDocument(std::move(doc));
    return JsonReply(rendered);
  });
}

// kind: 0 any, 1 natural, 2 legal.
Reply GetUser(App& app, Request& req, const std::string& id, int kind) {
  return RunCommand(app, req, [&](ledger::CommandContext& ctx) -> Reply {
    const ledger::Document* doc = ctx.state().FindDocument("user", id);
    if (doc == nullptr || doc->client_id != req.client_id) return V2NotFound("UserId", "User not found");
    bool natural = doc->body.find("\"PersonType\":\"NATURAL\"") != std::string::npos;
    if ((kind == 1 && !natural) || (kind == 2 && natural)) {
      return V2Error(ParamError("UserId", natural ? "The user is a natural user" : "The user is a legal user"));
    }
    return JsonReply(doc->body);
  });
}

Reply UpdateUser(App& app, Request& req, const std::string& id, bool natural) {
  Document body;
  if (Status st = ParseJsonObject(req.body, &body); !st.ok()) return V2Status(st);
  return RunCommand(app, req, [&](ledger::CommandContext& ctx) -> Reply {
    const ledger::Document* doc = ctx.state().FindDocument("user", id);
    if (doc == nullptr || doc->client_id != req.client_id) return V2NotFound("UserId", "User not found");
    bool is_natural = doc->body.find("\"PersonType\":\"NATURAL\"") != std::string::npos;
    if (is_natural != natural) {
      return V2Error(ParamError("UserId", is_natural ? "The user is a natural user" : "The user is a legal user"));
    }
    Document out;
    if (!ParseJsonObject(doc->body, &out).ok()) return V2Status(Status::Internal("stored user"));
    FieldErrors errors;
    bool ok = natural ? BindUser(body, false, kNatural, kNaturalRequired, kNaturalOwner, out, &errors)
                      : BindUser(body, false, kLegal, kLegalRequired, kLegalOwner, out, &errors);
    if (!ok) return V2Error(ParamError(std::move(errors)));
    ledger::Document updated = *doc;
    updated.body = Serialize(out);
    updated.updated_at = req.now_ms / 1000;
    std::string rendered = updated.body;
    ctx.state().PutDocument(std::move(updated));
    return JsonReply(rendered);
  });
}

// --- wallets ---------------------------------------------------------------------------------

std::string CurrencyOf(const std::string& body) {
  size_t p = body.find("\"Currency\":\"");
  return p == std::string::npos ? std::string() : body.substr(p + 12, 3);
}

// Splices the ledger balance into a stored wallet body.
std::string WithBalance(const std::string& body, const std::string& currency, Amount balance) {
  std::string out = body.substr(0, body.size() - 1);
  out += ",\"Balance\":{\"Currency\":\"" + currency + "\",\"Amount\":" + std::to_string(balance) + "}}";
  return out;
}

std::string RenderWallet(const ledger::State& st, const ledger::Document& doc) {
  std::string cur = CurrencyOf(doc.body);
  Amount bal = st.book().CreditBalance(ledger::chart::Key(doc.client_id, cur, ledger::chart::kSellerWallet, doc.id));
  return WithBalance(doc.body, cur, bal);
}

Reply CreateWallet(App& app, Request& req) {
  Document body;
  if (Status st = ParseJsonObject(req.body, &body); !st.ok()) return V2Status(st);
  Binder b;
  std::vector<std::string> owners;
  if (const JValue* o = b.Arr(body, "Owners", true)) {
    if (o->Size() == 0) b.Add("Owners", "The Owners field is required.");
    for (const auto& e : o->GetArray()) {
      if (!e.IsString()) b.Add("Owners", "The Owners field must be an array of user ids.");
      else owners.emplace_back(e.GetString(), e.GetStringLength());
    }
  }
  std::string currency;
  if (auto c = b.Str(body, "Currency", true)) {
    if (FindCurrency(*c) == nullptr) b.Add("Currency", "Unknown currency '" + *c + "'.");
    currency = *c;
  }
  std::string description = b.Str(body, "Description", false).value_or("");
  std::optional<std::string> tag = b.Str(body, "Tag", false);
  if (!b.ok()) return V2Error(ParamError(b.errors()));
  int64_t now_s = req.now_ms / 1000;
  std::string id = NewId(id_prefix::kWallet, req.now_ms);
  rapidjson::StringBuffer sb;
  JWriter w(sb);
  w.StartObject();
  WKey(w, "Id"); WStr(w, id);
  WKey(w, "Owners"); w.StartArray(); for (const auto& o : owners) WStr(w, o); w.EndArray();
  WKey(w, "Description"); WStr(w, description);
  WKey(w, "Currency"); WStr(w, currency);
  WKey(w, "FundsType"); WStr(w, "DEFAULT");
  WKey(w, "Tag"); if (tag) WStr(w, *tag); else w.Null();
  WKey(w, "CreationDate"); w.Int64(now_s);
  w.EndObject();
  std::string stored(sb.GetString(), sb.GetSize());
  return RunCommand(app, req, [&](ledger::CommandContext& ctx) -> Reply {
    ledger::State& st = ctx.state();
    for (const auto& o : owners) {
      const ledger::Document* u = st.FindDocument("user", o);
      if (u == nullptr || u->client_id != req.client_id) return V2Error(ParamError("Owners", "User " + o + " not found."));
    }
    st.book().Ensure(ledger::chart::Key(req.client_id, currency, ledger::chart::kSellerWallet, id), now_s);
    EnsureClientCurrency(st, req.client_id, currency, now_s);
    ledger::Document doc;
    doc.kind = "wallet";
    doc.id = id;
    doc.client_id = req.client_id;
    doc.body = stored;
    doc.created_at = now_s;
    doc.updated_at = now_s;
    st.PutDocument(std::move(doc));
    return JsonReply(WithBalance(stored, currency, 0));
  });
}

Reply GetWallet(App& app, Request& req, const std::string& id) {
  return RunCommand(app, req, [&](ledger::CommandContext& ctx) -> Reply {
    const ledger::Document* doc = ctx.state().FindDocument("wallet", id);
    if (doc == nullptr || doc->client_id != req.client_id) return V2NotFound("WalletId", "Wallet not found");
    return JsonReply(RenderWallet(ctx.state(), *doc));
  });
}

Reply UpdateWallet(App& app, Request& req, const std::string& id) {
  Document body;
  if (Status st = ParseJsonObject(req.body, &body); !st.ok()) return V2Status(st);
  Binder b;
  std::optional<std::string> description = b.Str(body, "Description", false);
  std::optional<std::string> tag = b.Str(body, "Tag", false);
  if (!b.ok()) return V2Error(ParamError(b.errors()));
  return RunCommand(app, req, [&](ledger::CommandContext& ctx) -> Reply {
    const ledger::Document* doc = ctx.state().FindDocument("wallet", id);
    if (doc == nullptr || doc->client_id != req.client_id) return V2NotFound("WalletId", "Wallet not found");
    Document out;
    if (!ParseJsonObject(doc->body, &out).ok()) return V2Status(Status::Internal("stored wallet"));
    auto& a = out.GetAllocator();
    if (description) SetMember(out, "Description", JValue(description->c_str(), a));
    if (tag) SetMember(out, "Tag", JValue(tag->c_str(), a));
    ledger::Document updated = *doc;
    updated.body = Serialize(out);
    updated.updated_at = req.now_ms / 1000;
    ctx.state().PutDocument(updated);
    return JsonReply(RenderWallet(ctx.state(), updated));
  });
}

// A paginated JSON array of pre-rendered items.
Reply PageOf(const Request& req, const std::vector<std::string>& items, const Page& page) {
  rapidjson::StringBuffer sb;
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

// Transactions of a wallet: none yet (transfers and pay-outs arrive with later issues).
Reply EmptyTransactions(App& app, Request& req, const char* kind, const std::string& id, const Page& page) {
  return RunCommand(app, req, [&](ledger::CommandContext& ctx) -> Reply {
    const ledger::Document* doc = ctx.state().FindDocument(kind, id);
    if (doc == nullptr || doc->client_id != req.client_id) {
      return V2NotFound(std::strcmp(kind, "user") == 0 ? "UserId" : "WalletId", "Not found");
    }
    return PageOf(req, {}, page);
  });
}

Reply UserWallets(App& app, Request& req, const std::string& user_id, const Page& page) {
  return RunCommand(app, req, [&](ledger::CommandContext& ctx) -> Reply {
    const ledger::State& st = ctx.state();
    const ledger::Document* u = st.FindDocument("user", user_id);
    if (u == nullptr || u->client_id != req.client_id) return V2NotFound("UserId", "User not found");
    std::vector<std::string> items;
    std::string needle = "\"" + user_id + "\"";
    for (const ledger::Document* d : st.ListDocuments("wallet", req.client_id)) {
      if (d->body.find(needle) != std::string::npos) items.push_back(RenderWallet(st, *d));
    }
    return PageOf(req, items, page);
  });
}

// --- client wallets and profile --------------------------------------------------------------

Reply ClientWallets(App& app, Request& req, const std::string& funds, const std::string& currency,
                    bool transactions, const Page& page) {
  std::string f = ToLower(funds);
  if (!funds.empty() && f != "fees" && f != "credit") {
    return V2Error(ParamError("FundsType", "The FundsType must be FEES or CREDIT."));
  }
  std::string fu = f == "fees" ? "FEES" : f == "credit" ? "CREDIT" : "";
  std::string cur = currency;
  for (char& c : cur) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!cur.empty() && FindCurrency(cur) == nullptr) return V2Error(ParamError("Currency", "Unknown currency."));
  return RunCommand(app, req, [&](ledger::CommandContext& ctx) -> Reply {
    const ledger::State& st = ctx.state();
    auto render = [&](const ledger::Document& d) {
      std::string c = CurrencyOf(d.body);
      bool fees = d.body.find("\"FundsType\":\"FEES\"") != std::string::npos;
      Amount bal = st.book().CreditBalance(ledger::chart::Key(
          req.client_id, c, fees ? ledger::chart::kFeesWallet : ledger::chart::kCreditWallet));
      return WithBalance(d.body, c, bal);
    };
    if (!cur.empty()) {
      const ledger::Document* d = st.FindDocument("client_wallet", req.client_id + ":" + fu + "_" + cur);
      if (d == nullptr) return V2NotFound("WalletId", "Client wallet not found");
      if (transactions) return PageOf(req, {}, page);
      return JsonReply(render(*d));
    }
    std::vector<std::string> items;
    for (const ledger::Document* d : st.ListDocuments("client_wallet", req.client_id)) {
      if (!fu.empty() && d->body.find("\"FundsType\":\"" + fu + "\"") == std::string::npos) continue;
      items.push_back(render(*d));
    }
    return PageOf(req, items, page);
  });
}

constexpr const char* kClientEditable[] = {
    "PrimaryThemeColour", "PrimaryButtonColour", "HeadquartersPhoneNumber", "HeadquartersAddress",
    "TechEmails", "AdminEmails", "BillingEmails", "FraudEmails", "TaxNumber", "PlatformType",
    "PlatformDescription", "PlatformURL", "PlatformCategorization", "Website", "Logo"};

Reply GetClient(App& app, Request& req) {
  return RunCommand(app, req, [&](ledger::CommandContext& ctx) -> Reply {
    const ledger::ClientRecord* c = ctx.state().FindClient(req.client_id);
    if (c == nullptr) return V2NotFound("ClientId", "Client not found");
    return JsonReply(c->profile.empty() ? DefaultClientProfile(c->id) : c->profile);
  });
}

Reply UpdateClient(App& app, Request& req) {
  Document body;
  if (Status st = ParseJsonObject(req.body, &body); !st.ok()) return V2Status(st);
  FieldErrors errors;
  for (const char* k : kClientEditable) {
    const JValue* v = Member(body, k);
    if (v != nullptr && !(v->IsString() || v->IsArray() || v->IsObject())) {
      errors.emplace_back(k, std::string("The ") + k + " field has the wrong type.");
    }
  }
  if (!errors.empty()) return V2Error(ParamError(std::move(errors)));
  return RunCommand(app, req, [&](ledger::CommandContext& ctx) -> Reply {
    const ledger::ClientRecord* c = ctx.state().FindClient(req.client_id);
    if (c == nullptr) return V2NotFound("ClientId", "Client not found");
    Document out;
    if (!ParseJsonObject(c->profile.empty() ? DefaultClientProfile(c->id) : c->profile, &out).ok()) {
      return V2Status(Status::Internal("stored profile"));
    }
    auto& a = out.GetAllocator();
    for (const char* k : kClientEditable) {
      if (const JValue* v = Member(body, k)) SetMember(out, k, JValue(*v, a));
    }
    ledger::ClientRecord rec = *c;
    rec.profile = Serialize(out);
    std::string rendered = rec.profile;
    ctx.state().PutClient(std::move(rec));
    return JsonReply(rendered);
  });
}

// --- stored responses (§4.1) ----------------------------------------------------------------

Reply StoredResponse(App& app, Request& req, const std::string& key) {
  return RunCommand(app, req, [&](ledger::CommandContext& ctx) -> Reply {
    const ledger::IdempotencyRecord* r = ctx.state().FindIdempotency(req.client_id, key);
    if (r == nullptr) return V2NotFound("IdempotencyKey", "No response stored for this key");
    rapidjson::StringBuffer sb;
    JWriter w(sb);
    w.StartObject();
    WKey(w, "StatusCode"); WStr(w, std::to_string(r->status_code));
    WKey(w, "ContentLength"); WStr(w, std::to_string(r->body.size()));
    WKey(w, "ContentType"); WStr(w, r->content_type);
    WKey(w, "Date");
    WStr(w, Poco::DateTimeFormatter::format(Poco::Timestamp::fromEpochTime(r->created_at),
                                            Poco::DateTimeFormat::HTTP_FORMAT));
    WKey(w, "RequestURL"); WStr(w, r->request_url);
    WKey(w, "Resource");
    Document d;
    if (!r->body.empty() && ParseJsonAny(r->body, &d).ok()) WRaw(w, r->body); else w.Null();
    w.EndObject();
    return JsonReply(std::string(sb.GetString(), sb.GetSize()));
  });
}

}  // namespace

Reply HandleOAuth(App& app, Request& req, const std::string& authorization) {
  std::string id, key;
  if (!ParseBasic(authorization, &id, &key)) return OAuthError(401, "invalid_client");
  std::string grant = FormValue(req.body, "grant_type");
  if (grant.empty()) {
    // Tolerate a JSON body {"grant_type":…} too.
    Document d;
    if (ParseJsonObject(req.body, &d).ok()) {
      if (const JValue* g = Member(d, "grant_type"); g != nullptr && g->IsString()) grant = g->GetString();
    }
  }
  if (grant.empty()) return OAuthError(400, "invalid_request");
  if (grant != "client_credentials") return OAuthError(400, "unsupported_grant_type");
  std::string token = RandomHex(32);
  std::string token_hash = Sha256Hex(token);
  int64_t ttl = app.cfg.token_ttl_seconds;
  int64_t expires = req.now_ms / 1000 + ttl;
  TokenCache& cache = app.tokens;
  // Credentials live in the database: `splitledger client create` may have created or re-keyed
  // this client while we run, so read its row (token requests are rare: one per client per
  // token lifetime). Only the key columns are taken from it; the rest of the in-memory record
  // may be newer than the database (a PUT /clients in a batch not yet committed).
  std::optional<ledger::ClientRecord> fresh = app.ReadClient(id);
  return RunCommand(app, req, [&](ledger::CommandContext& ctx) -> Reply {
    ledger::State& st = ctx.state();
    if (fresh) {
      const ledger::ClientRecord* known = st.FindClient(id);
      ledger::ClientRecord merged = known ? *known : *fresh;
      merged.api_key_salt = fresh->api_key_salt;
      merged.api_key_hash = fresh->api_key_hash;
      st.LoadClient(std::move(merged));  // already durable: no write
    }
    const ledger::ClientRecord* c = st.FindClient(id);
    if (c == nullptr || !ConstantTimeEquals(HashApiKey(c->api_key_salt, key), c->api_key_hash)) {
      return OAuthError(401, "invalid_client");
    }
    EnsureClientCurrency(st, id, "EUR", req.now_ms / 1000);  // FEES_EUR / CREDIT_EUR exist
    st.PutToken(ledger::TokenRecord{token_hash, id, expires});
    ctx.OnCommit([&cache, token_hash, id, expires] { cache.Put(token_hash, TokenCache::Entry{id, expires}); });
    return JsonReply("{\"access_token\":\"" + token + "\",\"token_type\":\"bearer\",\"expires_in\":" +
                     std::to_string(ttl) + "}");
  });
}

Reply HandleV2(App& app, Request& req) {
  const auto& s = req.segs;
  const std::string& m = req.method;
  const std::string base = "/v2.01/{ClientId}/";
  Page page;
  FieldErrors perr;
  bool page_ok = ParsePage(req.query, &page, &perr);
  auto is = [&](size_t i, const char* word) { return s.size() > i && IEquals(s[i], word); };

  if (is(0, "users")) {
    if (s.size() == 2 && (is(1, "natural") || is(1, "legal"))) {
      req.route = base + "users/" + ToLower(s[1]);
      return m == "POST" ? CreateUser(app, req, is(1, "natural")) : MethodNotAllowed();
    }
    if (s.size() == 3 && (is(1, "natural") || is(1, "legal"))) {
      req.route = base + "users/" + ToLower(s[1]) + "/{UserId}";
      if (m == "GET") return GetUser(app, req, s[2], is(1, "natural") ? 1 : 2);
      if (m == "PUT") return UpdateUser(app, req, s[2], is(1, "natural"));
      return MethodNotAllowed();
    }
    if (s.size() == 2) {
      req.route = base + "users/{UserId}";
      return m == "GET" ? GetUser(app, req, s[1], 0) : MethodNotAllowed();
    }
    if (s.size() == 3 && (is(2, "wallets") || is(2, "transactions"))) {
      req.route = base + "users/{UserId}/" + ToLower(s[2]);
      if (m != "GET") return MethodNotAllowed();
      if (!page_ok) return V2Error(ParamError(std::move(perr)));
      return is(2, "wallets") ? UserWallets(app, req, s[1], page) : EmptyTransactions(app, req, "user", s[1], page);
    }
  } else if (is(0, "wallets")) {
    if (s.size() == 1) {
      req.route = base + "wallets";
      return m == "POST" ? CreateWallet(app, req) : MethodNotAllowed();
    }
    if (s.size() == 2) {
      req.route = base + "wallets/{WalletId}";
      if (m == "GET") return GetWallet(app, req, s[1]);
      if (m == "PUT") return UpdateWallet(app, req, s[1]);
      return MethodNotAllowed();
    }
    if (s.size() == 3 && is(2, "transactions")) {
      req.route = base + "wallets/{WalletId}/transactions";
      if (m != "GET") return MethodNotAllowed();
      if (!page_ok) return V2Error(ParamError(std::move(perr)));
      return EmptyTransactions(app, req, "wallet", s[1], page);
    }
  } else if (is(0, "clients")) {
    if (s.size() == 1) {
      req.route = base + "clients";
      if (m == "GET") return GetClient(app, req);
      if (m == "PUT") return UpdateClient(app, req);
      return MethodNotAllowed();
    }
    if (is(1, "wallets") && s.size() <= 5) {
      bool tx = s.size() == 5;
      if (tx && !is(4, "transactions")) return V2NotFound("Path", "Unknown route");
      static const char* kRoutes[] = {"clients/wallets", "clients/wallets/{FundsType}",
                                      "clients/wallets/{FundsType}/{Currency}",
                                      "clients/wallets/{FundsType}/{Currency}/transactions"};
      req.route = base + kRoutes[s.size() - 2];
      if (m != "GET") return MethodNotAllowed();
      if (!page_ok) return V2Error(ParamError(std::move(perr)));
      return ClientWallets(app, req, s.size() > 2 ? s[2] : "", s.size() > 3 ? s[3] : "", tx, page);
    }
  } else if (is(0, "responses") && s.size() == 2) {
    req.route = base + "responses/{IdempotencyKey}";
    return m == "GET" ? StoredResponse(app, req, s[1]) : MethodNotAllowed();
  }
  return V2NotFound("Path", "Unknown route");
}

}  // namespace splitledger::api
