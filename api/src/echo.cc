#include "echo.h"

#include "hooks.h"
#include "settlements.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

#include <algorithm>
#include <cstring>
#include <type_traits>

namespace splitledger::api {
namespace {

// Neutral field names → Echo spellings: top level, and inside LineItems[i].
struct FieldSpelling {
  const char* name;
  const char* echo;
};
constexpr FieldSpelling kSpellings[] = {
    {"amount", "Amount"},          {"quantity", "Quantity"},
    {"unit_amount", "UnitAmount"}, {"tax_amount", "TaxAmount"},
    {"discount_amount", "DiscountAmount"}, {"fees_amount", "Seller.FeesAmount"},
    {"fee_part", "FeesAmount"},    {"line_item_id", "Id"},
    {"seller_wallet_id", "Seller.WalletId"}, {"line_items", "LineItems"},
    {"platform_fees", "PlatformFeesAmount"}, {"status", "Status"},
    {"unfunded_amount", "UnfundedAmount"}, {"currency", "Currency"},
    {"intent_id", "IntentId"},    {"user_id", "UserId"},
    {"wallet_id", "WalletId"},    {"client_id", "ClientId"},
    {"idempotency_key", "IdempotencyKey"}, {"owners", "Owners"},
    {"description", "Description"}, {"tag", "Tag"},
    {"refund_id", "RefundId"},     {"capture_id", "CaptureId"},
    {"dispute_id", "DisputeId"},   {"decision", "Decision"},
    {"split_id", "SplitId"},       {"splits", "Splits"},
    {"Split", "Split"},            {"Status", "Status"},
    {"split_amount", "SplitAmount"}, {"split_fees", "FeesAmount"},
    {"split_line_item_id", "LineItemId"},
};
// Fields of one split of a request: rendered "Splits[i].X" rather than "LineItems[i].X".
bool SplitField(const std::string& name) {
  return name == "split_amount" || name == "split_fees" || name == "split_line_item_id";
}

// v2.01 user fields: Echo name, JSON type, entity field (core/entities.h Describe name).
enum class FT { kStr, kInt, kBool, kAddress, kIntOrString, kCategory };
struct UserField {
  const char* echo;
  FT type;
  const char* entity;
};
constexpr UserField kNatural[] = {
    {"Address", FT::kAddress, "addr_"}, {"FirstName", FT::kStr, "first_name"},
    {"LastName", FT::kStr, "last_name"}, {"Birthday", FT::kInt, "birthday"},
    {"Nationality", FT::kStr, "nationality"}, {"CountryOfResidence", FT::kStr, "country_of_residence"},
    {"Occupation", FT::kStr, "occupation"}, {"IncomeRange", FT::kIntOrString, "income_range"},
    {"Capacity", FT::kStr, "capacity"}, {"Tag", FT::kStr, "tag"}, {"Email", FT::kStr, "email"},
    {"UserCategory", FT::kCategory, "category"},
    {"TermsAndConditionsAccepted", FT::kBool, "terms_accepted"},
    {"PhoneNumber", FT::kStr, "phone_number"}, {"PhoneNumberCountry", FT::kStr, "phone_number_country"}};
constexpr UserField kLegal[] = {
    {"HeadquartersAddress", FT::kAddress, "hq_"}, {"LegalPersonType", FT::kStr, "legal_person_type"},
    {"Name", FT::kStr, "name"}, {"LegalRepresentativeAddress", FT::kAddress, "lr_addr_"},
    {"LegalRepresentativeBirthday", FT::kInt, "lr_birthday"},
    {"LegalRepresentativeCountryOfResidence", FT::kStr, "lr_country_of_residence"},
    {"LegalRepresentativeNationality", FT::kStr, "lr_nationality"},
    {"LegalRepresentativeEmail", FT::kStr, "lr_email"},
    {"LegalRepresentativeFirstName", FT::kStr, "lr_first_name"},
    {"LegalRepresentativeLastName", FT::kStr, "lr_last_name"},
    {"CompanyNumber", FT::kStr, "company_number"}, {"Tag", FT::kStr, "tag"}, {"Email", FT::kStr, "email"},
    {"UserCategory", FT::kCategory, "category"},
    {"TermsAndConditionsAccepted", FT::kBool, "terms_accepted"}};

template <size_t N>
const char* UserEchoName(const UserField (&specs)[N], const std::string& entity) {
  for (const UserField& f : specs) {
    if (entity == f.entity) return f.echo;
  }
  return nullptr;
}

const char* TypeName(FT t) {
  switch (t) {
    case FT::kStr: return "a string";
    case FT::kInt: return "an integer";
    case FT::kBool: return "a boolean";
    case FT::kAddress: return "an object";
    case FT::kCategory: return "PAYER or OWNER";
    default: return "an integer";
  }
}


void WriteAddress(JWriter& w, const PostalAddress& a) {
  if (!a.present) {
    w.Null();
    return;
  }
  w.StartObject();
  auto part = [&](const char* key, const std::optional<std::string>& v) {
    if (!v) return;
    WKey(w, key);
    WStr(w, *v);
  };
  part("AddressLine1", a.line1);
  part("AddressLine2", a.line2);
  part("City", a.city);
  part("Region", a.region);
  part("PostalCode", a.postal_code);
  part("Country", a.country);
  w.EndObject();
}

template <size_t N>
void WriteUserFields(JWriter& w, const User& u, const UserField (&specs)[N]) {
  User& x = const_cast<User&>(u);
  for (const UserField& f : specs) {
    WKey(w, f.echo);
    if (f.type == FT::kCategory) {
      WStr(w, u.owner() ? "OWNER" : "PAYER");
      continue;
    }
    if (f.type == FT::kIntOrString) {
      if (u.income_range.empty()) w.Null();
      else if (u.income_range_number) w.Int64(std::stoll(u.income_range));
      else WStr(w, u.income_range);
      continue;
    }
    WithField(x, f.entity, [&](auto& m) {
      using M = std::decay_t<decltype(m)>;
      if constexpr (std::is_same_v<M, std::string>) {
        WStrOrNull(w, m);
      } else if constexpr (std::is_same_v<M, std::optional<int64_t>>) {
        if (m) w.Int64(*m); else w.Null();
      } else if constexpr (std::is_same_v<M, bool>) {
        w.Bool(m);
      } else if constexpr (std::is_same_v<M, PostalAddress>) {
        WriteAddress(w, m);
      } else {
        w.Null();
      }
    });
  }
}

template <size_t N>
void BindUserFields(const JValue& body, const UserField (&specs)[N], User* out,
                    std::vector<std::string>* fields, bool* category_given, FieldErrors* errors) {
  for (const UserField& f : specs) {
    const JValue* v = Member(body, f.echo);
    if (v == nullptr) continue;
    bool ok = false;
    switch (f.type) {
      case FT::kStr: ok = v->IsString() && v->GetStringLength() <= 4096; break;
      case FT::kInt: ok = v->IsInt64(); break;
      case FT::kBool: ok = v->IsBool(); break;
      case FT::kAddress: ok = v->IsObject(); break;
      case FT::kIntOrString: ok = (v->IsInt64() || v->IsString()) && (!v->IsString() || v->GetStringLength() <= 16); break;
      case FT::kCategory: {
        std::string c = v->IsString() ? ToLower(std::string_view(v->GetString(), v->GetStringLength())) : "";
        ok = c == "payer" || c == "owner";
        if (ok) {
          out->category = static_cast<int64_t>(c == "owner" ? UserCategory::kOwner : UserCategory::kPayer);
          *category_given = true;
          fields->push_back(f.entity);
        }
        break;
      }
    }
    if (!ok) {
      errors->emplace_back(f.echo, std::string("The ") + f.echo + " field must be " + TypeName(f.type) + ".");
      continue;
    }
    if (f.type == FT::kCategory) continue;
    if (f.type == FT::kIntOrString) {
      out->income_range_number = v->IsInt64();
      out->income_range = v->IsInt64() ? std::to_string(v->GetInt64()) : std::string(v->GetString());
      fields->push_back(f.entity);
      fields->push_back("income_range_number");
      continue;
    }
    WithField(*out, f.entity, [&](auto& m) {
      using M = std::decay_t<decltype(m)>;
      if constexpr (std::is_same_v<M, std::string>) {
        m.assign(v->GetString(), v->GetStringLength());
      } else if constexpr (std::is_same_v<M, std::optional<int64_t>>) {
        m = v->GetInt64();  // checked above
      } else if constexpr (std::is_same_v<M, bool>) {
        m = v->GetBool();
      } else if constexpr (std::is_same_v<M, PostalAddress>) {
        m = BindAddress(*v);
      }
    });
    fields->push_back(f.entity);
  }
}

std::string Done(rapidjson::StringBuffer& sb) { return std::string(sb.GetString(), sb.GetSize()); }

}  // namespace

PostalAddress BindAddress(const JValue& v) {
  PostalAddress a;
  a.present = true;
  auto s = [&](const char* k) -> std::optional<std::string> {
    const JValue* x = Member(v, k);
    if (x == nullptr || !x->IsString()) return std::nullopt;
    return std::string(x->GetString(), x->GetStringLength());
  };
  a.line1 = s("AddressLine1");
  a.line2 = s("AddressLine2");
  a.city = s("City");
  a.region = s("Region");
  a.postal_code = s("PostalCode");
  a.country = s("Country");
  return a;
}

std::string EchoFieldName(const FieldRef& field) {
  std::string name = field.name;
  for (const FieldSpelling& s : kSpellings) {
    if (field.name == s.name) {
      name = s.echo;
      break;
    }
  }
  if (const char* u = UserEchoName(kNatural, field.name)) name = u;
  else if (const char* l = UserEchoName(kLegal, field.name)) name = l;
  if (field.line >= 0) {
    return (SplitField(field.name) ? "Splits[" : "LineItems[") + std::to_string(field.line) + "]." + name;
  }
  return name.empty() ? "Request" : name;
}

void BindUser(const JValue& body, bool natural, User* out, std::vector<std::string>* fields,
              bool* category_given, FieldErrors* errors) {
  out->person_type = static_cast<int64_t>(natural ? PersonType::kNatural : PersonType::kLegal);
  if (natural) {
    BindUserFields(body, kNatural, out, fields, category_given, errors);
  } else {
    BindUserFields(body, kLegal, out, fields, category_given, errors);
  }
}

std::string ErrorIdFor(const std::string& client_id, const std::string& idempotency_key) {
  return idempotency_key.empty() ? std::string() : StableErrorId(client_id + "\n" + idempotency_key);
}

Reply RequestError(Dialect dialect, const Request& req, const service::Outcome& outcome) {
  return OutcomeError(dialect, outcome, req.now_ms / 1000, ErrorIdFor(req.client_id, req.idem_key));
}

Reply RefuseRequest(App& app, Dialect dialect, const Request& req, const Status& status,
                    const FieldErrors& fields) {
  service::Outcome refusal = service::Outcome::Error(status);
  if (!fields.empty()) {
    std::vector<service::FieldError> errors;
    for (const auto& [name, message] : fields) errors.push_back({FieldRef(name), message});
    refusal = service::Outcome::Invalid(std::move(errors));
  }
  return RequestError(dialect, req, Refuse(app, req, std::move(refusal)));
}

Reply OutcomeError(Dialect dialect, const service::Outcome& o, int64_t now_s, const std::string& error_id) {
  if (const auto* c = std::get_if<service::IdempotencyConflict>(&o.value)) {
    rapidjson::StringBuffer sb;
    JWriter w(sb);
    w.StartObject();
    WKey(w, "Message"); WStr(w, "A resource has already been created with this Idempotency Key");
    WKey(w, "Type"); WStr(w, "idempotent_creation_conflict");
    WKey(w, "Id"); WStr(w, c->resource_id.empty() ? ErrorId() : c->resource_id);
    WKey(w, "Date"); w.Int64(now_s);
    WKey(w, "errors"); w.Null();
    w.EndObject();
    return JsonReply(Done(sb), 409);
  }
  auto spell = [](const FieldRef& f, const std::string& message) {
    std::string name = EchoFieldName(f);
    std::string m = message;
    if (size_t p = m.find("{field}"); p != std::string::npos) m.replace(p, 7, name);
    return std::make_pair(name, m);
  };
  ApiError e = ErrorFromStatus(o.status);
  if (!e.errors.empty() || !o.errors.empty()) {
    e.errors.clear();
    if (o.errors.empty()) {
      e.errors.push_back(spell(o.status.field_ref(), o.status.message()));
    } else {
      for (const service::FieldError& fe : o.errors) e.errors.push_back(spell(fe.field, fe.message));
    }
  }
  return ErrorReply(dialect, e, error_id, now_s);
}

std::string RenderUser(const User& u) {
  rapidjson::StringBuffer sb;
  JWriter w(sb);
  w.StartObject();
  if (u.natural()) WriteUserFields(w, u, kNatural); else WriteUserFields(w, u, kLegal);
  WKey(w, "Id"); WStr(w, u.id);
  WKey(w, "CreationDate"); w.Int64(u.created_at);
  WKey(w, "PersonType"); WStr(w, u.natural() ? "NATURAL" : "LEGAL");
  WKey(w, "KYCLevel"); WStr(w, "LIGHT");
  WKey(w, "UserStatus"); WStr(w, "ACTIVE");
  WKey(w, "ProofOfIdentity"); w.Null();
  if (u.natural()) {
    WKey(w, "ProofOfAddress"); w.Null();
  } else {
    WKey(w, "Statute"); w.Null();
    WKey(w, "ProofOfRegistration"); w.Null();
    WKey(w, "ShareholderDeclaration"); w.Null();
  }
  WKey(w, "TermsAndConditionsAcceptedDate");
  if (u.terms_accepted_date) w.Int64(*u.terms_accepted_date); else w.Null();
  w.EndObject();
  return Done(sb);
}

std::string RenderWallet(const service::WalletView& v) {
  const Wallet& x = v.wallet;
  rapidjson::StringBuffer sb;
  JWriter w(sb);
  w.StartObject();
  WKey(w, "Id"); WStr(w, x.id);
  WKey(w, "Owners"); w.StartArray(); for (const auto& o : x.owners) WStr(w, o); w.EndArray();
  WKey(w, "Description"); WStr(w, x.description);
  WKey(w, "Currency"); WStr(w, x.currency);
  WKey(w, "FundsType"); WStr(w, "DEFAULT");
  WKey(w, "Tag"); if (x.tag) WStr(w, *x.tag); else w.Null();
  WKey(w, "CreationDate"); w.Int64(x.created_at);
  WKey(w, "Balance");
  w.StartObject(); WKey(w, "Currency"); WStr(w, x.currency); WKey(w, "Amount"); w.Int64(v.balance); w.EndObject();
  w.EndObject();
  return Done(sb);
}

std::string RenderClientWallet(const service::ClientWalletView& v) {
  const ClientWallet& x = v.wallet;
  rapidjson::StringBuffer sb;
  JWriter w(sb);
  w.StartObject();
  WKey(w, "Id"); WStr(w, x.id());
  WKey(w, "Currency"); WStr(w, x.currency);
  WKey(w, "FundsType"); WStr(w, x.fees() ? "FEES" : "CREDIT");
  WKey(w, "Tag"); w.Null();
  WKey(w, "CreationDate"); w.Int64(x.created_at);
  WKey(w, "Balance");
  w.StartObject(); WKey(w, "Currency"); WStr(w, x.currency); WKey(w, "Amount"); w.Int64(v.balance); w.EndObject();
  w.EndObject();
  return Done(sb);
}

std::string RenderClient(const Client& c) {
  rapidjson::StringBuffer sb;
  JWriter w(sb);
  auto list = [&](const char* k, const std::vector<std::string>& v) {
    WKey(w, k);
    w.StartArray();
    for (const auto& s : v) WStr(w, s);
    w.EndArray();
  };
  w.StartObject();
  WKey(w, "ClientId"); WStr(w, c.id);
  WKey(w, "Name"); WStr(w, c.name);
  WKey(w, "RegisteredName"); WStr(w, c.name);
  WKey(w, "Licensor"); WStr(w, "splitledger");
  WKey(w, "PrimaryThemeColour"); WStrOrNull(w, c.primary_theme_colour);
  WKey(w, "PrimaryButtonColour"); WStrOrNull(w, c.primary_button_colour);
  WKey(w, "Logo"); WStrOrNull(w, c.logo);
  list("TechEmails", c.tech_emails);
  list("AdminEmails", c.admin_emails);
  list("BillingEmails", c.billing_emails);
  list("FraudEmails", c.fraud_emails);
  WKey(w, "HeadquartersAddress"); WriteAddress(w, c.headquarters_address);
  WKey(w, "HeadquartersPhoneNumber"); WStrOrNull(w, c.headquarters_phone_number);
  WKey(w, "TaxNumber"); WStrOrNull(w, c.tax_number);
  WKey(w, "PlatformType"); WStrOrNull(w, c.platform_type);
  WKey(w, "PlatformDescription"); WStrOrNull(w, c.platform_description);
  WKey(w, "PlatformURL"); WStrOrNull(w, c.platform_url);
  WKey(w, "CompanyReference"); WStrOrNull(w, c.company_reference);
  WKey(w, "PlatformCategorization");
  if (c.business_type.empty() && c.sector.empty()) {
    w.Null();
  } else {
    w.StartObject();
    WKey(w, "BusinessType"); WStrOrNull(w, c.business_type);
    WKey(w, "Sector"); WStrOrNull(w, c.sector);
    w.EndObject();
  }
  WKey(w, "Website"); WStrOrNull(w, c.website);
  w.EndObject();
  return Done(sb);
}

namespace {
void WriteExternal(JWriter& w, const ExternalData& e) {
  w.StartObject();
  WKey(w, "ExternalProcessingDate");
  if (e.present) w.Int64(e.processing_date); else w.Null();
  WKey(w, "ExternalProviderReference"); WStrOrNull(w, e.provider_reference);
  WKey(w, "ExternalMerchantReference"); WStrOrNull(w, e.merchant_reference);
  WKey(w, "ExternalProviderName"); WStrOrNull(w, e.provider_name);
  WKey(w, "ExternalProviderPaymentMethod"); WStrOrNull(w, e.payment_method);
  w.EndObject();
}
}  // namespace

// Every amount shown comes from the view's figures (the ledger), not from the Intent struct.
// One split object (§7.4).
static void WriteSplit(JWriter& w, const Split& sp, const std::string& intent_id,
                const std::string& line_item_id, const std::string& seller_id,
                const std::string& wallet_id) {
  w.StartObject();
  WKey(w, "Id"); WStr(w, sp.id);
  WKey(w, "IntentId"); WStr(w, intent_id);
  WKey(w, "LineItemId"); WStr(w, line_item_id);
  WKey(w, "SellerId"); WStrOrNull(w, seller_id);
  WKey(w, "WalletId"); WStrOrNull(w, wallet_id);
  WKey(w, "SplitAmount"); w.Int64(sp.amount);
  WKey(w, "FeesAmount"); w.Int64(sp.fees);
  WKey(w, "TransferDate");
  if (sp.transfer_date) w.Int64(*sp.transfer_date); else w.Null();
  WKey(w, "Description"); WStrOrNull(w, sp.description);
  WKey(w, "Status"); WStr(w, SplitStatusName(sp.status));
  WKey(w, "CreationDate"); w.Int64(sp.created_at);
  if (sp.refunded > 0) { WKey(w, "RefundedAmount"); w.Int64(sp.refunded); }
  if (!sp.note.empty()) { WKey(w, "ResultMessage"); WStr(w, sp.note); }
  w.EndObject();
}

std::string RenderSplit(const service::SplitView& v) {
  rapidjson::StringBuffer sb;
  JWriter w(sb);
  WriteSplit(w, v.split, v.intent_id, v.line_item_id, v.seller_id, v.wallet_id);
  return Done(sb);
}

std::string RenderSplitList(const service::SplitList& l) {
  rapidjson::StringBuffer sb;
  JWriter w(sb);
  w.StartObject();
  WKey(w, "Splits");
  w.StartArray();
  for (const service::SplitView& v : l.items) {
    WriteSplit(w, v.split, v.intent_id, v.line_item_id, v.seller_id, v.wallet_id);
  }
  w.EndArray();
  w.EndObject();
  return Done(sb);
}

std::string RenderIntent(const service::IntentView& v) {
  const Intent& in = v.intent;
  const IntentFigures& fig = v.figures;
  rapidjson::StringBuffer sb;
  JWriter w(sb);
  w.StartObject();
  WKey(w, "Id"); WStr(w, in.id);
  WKey(w, "Amount"); w.Int64(fig.amount);
  WKey(w, "AvailableAmountToSplit"); w.Int64(fig.available_to_split);
  WKey(w, "UnfundedAmount"); w.Int64(fig.unfunded);
  WKey(w, "Currency"); WStr(w, in.currency);
  WKey(w, "PlatformFeesAmount"); w.Int64(fig.platform_fees);
  WKey(w, "Status"); WStr(w, IntentStatusName(in.status));
  if (const char* next = IntentNextActions(in.status)) {
    WKey(w, "NextActions"); WStr(w, next);
  }
  WKey(w, "ExternalData"); WriteExternal(w, in.external);
  WKey(w, "Buyer");
  if (in.buyer_id.empty()) {
    w.Null();
  } else {
    w.StartObject(); WKey(w, "Id"); WStr(w, in.buyer_id); w.EndObject();
  }
  WKey(w, "LineItems");
  w.StartArray();
  for (size_t i = 0; i < in.lines.size(); ++i) {
    const LineItem& l = in.lines[i];
    LineFigures f = i < fig.lines.size() ? fig.lines[i] : LineFigures{};
    w.StartObject();
    WKey(w, "Id"); WStr(w, l.id);
    WKey(w, "Seller");
    w.StartObject();
    WKey(w, "AuthorId"); WStrOrNull(w, l.input.seller.author_id);
    WKey(w, "WalletId"); WStrOrNull(w, l.input.seller.wallet_id);
    WKey(w, "FeesAmount"); w.Int64(f.fee);
    WKey(w, "TransferDate");
    if (l.input.seller.transfer_date) w.Int64(*l.input.seller.transfer_date); else w.Null();
    w.EndObject();
    WKey(w, "Sku"); WStrOrNull(w, l.input.sku);
    WKey(w, "Name"); WStrOrNull(w, l.input.name);
    WKey(w, "Description"); WStrOrNull(w, l.input.description);
    WKey(w, "Category"); WStrOrNull(w, l.input.category);
    WKey(w, "Quantity"); w.Int64(l.input.quantity);
    WKey(w, "UnitAmount"); w.Int64(l.input.unit_amount);
    WKey(w, "TaxAmount"); w.Int64(l.input.tax_amount);
    WKey(w, "DiscountAmount"); w.Int64(l.input.discount_amount);
    WKey(w, "ShippingAddress");
    if (l.input.shipping_address_json.empty()) w.Null(); else WRaw(w, l.input.shipping_address_json);
    WKey(w, "TotalLineItemAmount"); w.Int64(f.total);
    WKey(w, "CapturedAmount"); w.Int64(f.captured);
    WKey(w, "RefundedAmount"); w.Int64(f.refunded);
    WKey(w, "DisputedAmount"); w.Int64(f.disputed);
    WKey(w, "SplitAmount"); w.Int64(f.split);
    WKey(w, "CancelledAmount"); w.Int64(f.cancelled);
    WKey(w, "CanceledAmount"); w.Int64(f.cancelled);
    WKey(w, "UnfundedSellerAmount"); w.Int64(f.unfunded);
    w.EndObject();
  }
  w.EndArray();
  // History objects (§7.1): {Id, CreationDate, ExecutionDate, Amount, Status, LineItems[]}.
  // Reversals show in their refund's status (REFUND_REVERSED), not as a list of their own.
  auto history = [&](const char* key, ActionKind kind) {
    WKey(w, key);
    w.StartArray();
    for (const ActionRecord& a : in.actions) {
      if (a.kind != kind) continue;
      w.StartObject();
      WKey(w, "Id"); WStr(w, a.id);
      WKey(w, "CreationDate"); w.Int64(a.created_at);
      WKey(w, "ExecutionDate"); w.Int64(a.created_at);
      WKey(w, "Amount"); w.Int64(a.amount);
      WKey(w, "Status"); WStr(w, a.status);
      if (a.kind == ActionKind::kDispute) { WKey(w, "CaptureId"); WStr(w, a.parent_id); }
      WKey(w, "LineItems");
      w.StartArray();
      for (const ActionLine& al : a.lines) {
        w.StartObject();
        WKey(w, "Id"); WStr(w, al.line_index < in.lines.size() ? in.lines[al.line_index].id : "");
        WKey(w, "Amount"); w.Int64(al.amount);
        w.EndObject();
      }
      w.EndArray();
      w.EndObject();
    }
    w.EndArray();
  };
  history("Captures", ActionKind::kCapture);
  history("Refunds", ActionKind::kRefund);
  history("Disputes", ActionKind::kDispute);
  WKey(w, "Splits");
  w.StartArray();
  for (const Split& sp : in.splits) {
    const LineItem& l = in.lines[sp.line_index];
    WriteSplit(w, sp, in.id, l.id, l.input.seller.author_id, l.input.seller.wallet_id);
  }
  w.EndArray();
  WKey(w, "SettlementId"); w.Null();
  WKey(w, "CreationDate"); w.Int64(in.created_at);
  WKey(w, "ExecutionDate"); w.Int64(in.execution_date != 0 ? in.execution_date : in.created_at);
  // The action just performed: `Capture: {Id}`, …; a decision also carries `Decision`.
  static constexpr const char* kActionKeys[] = {nullptr, "Capture", "Cancel", "Refund",
                                                "RefundReversal", "Dispute", "Dispute"};
  size_t action = static_cast<size_t>(v.action);
  if (const char* key = action < std::size(kActionKeys) ? kActionKeys[action] : nullptr) {
    WKey(w, key);
    w.StartObject(); WKey(w, "Id"); WStr(w, v.action_id); w.EndObject();
  }
  if (v.action == service::IntentAction::kDisputeDecision) {
    int d = in.FindAction(ActionKind::kDispute, v.action_id);
    WKey(w, "Decision"); WStr(w, d < 0 ? "" : in.actions[d].status);
  }
  w.EndObject();
  return Done(sb);
}

Reply IntentSnapshotReply(Dialect dialect, const service::IntentSnapshot& snapshot) {
  service::IntentView view;
  if (!service::DecodeIntentView(snapshot, &view)) {
    return ErrorReply(dialect, ErrorFromStatus(Status::Internal("intent snapshot")));
  }
  return JsonReply(RenderIntent(view));
}

Reply RenderStoredOutcome(const service::Outcome& o, const std::string& request_url, int64_t created_at,
                          const std::string& error_id) {
  Dialect d = ToLower(request_url).find("/v3.0/") != std::string::npos ? Dialect::kV3 : Dialect::kV2;
  if (!o.ok()) return OutcomeError(d, o, created_at, error_id);
  if (const auto* u = std::get_if<service::Box<User>>(&o.value)) return JsonReply(RenderUser(**u));
  if (const auto* wv = std::get_if<service::WalletView>(&o.value)) return JsonReply(RenderWallet(*wv));
  if (const auto* snap = std::get_if<service::IntentSnapshot>(&o.value)) {
    return IntentSnapshotReply(d, *snap);
  }
  if (const auto* c = std::get_if<service::Box<Client>>(&o.value)) return JsonReply(RenderClient(**c));
  if (const auto* sv = std::get_if<service::SplitView>(&o.value)) return JsonReply(RenderSplit(*sv));
  if (const auto* sl = std::get_if<service::SplitList>(&o.value)) return JsonReply(RenderSplitList(*sl));
  if (const auto* h = std::get_if<service::Box<Hook>>(&o.value)) return JsonReply(RenderHook(**h));
  // A settlement replayed without its UploadUrl: the URL's token is never stored.
  if (const auto* st = std::get_if<service::Box<service::SettlementView>>(&o.value)) {
    return JsonReply(RenderSettlement(**st, {}));
  }
  return JsonReply("{}");
}

}  // namespace splitledger::api
