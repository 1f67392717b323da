// Migration 2 (see entity_tables.h). Release 0.1 stored users, wallets and client wallets as the
// JSON bodies the Echo dialect rendered, and a client's profile as a JSON object. This reads
// those bodies once, at upgrade, into the typed entities; nothing else in the service parses
// stored JSON.
#include <rapidjson/document.h>

#include <stdexcept>

#include "entity_tables.h"

namespace splitledger::ledger {
namespace {

using JValue = rapidjson::Value;

const JValue* Get(const JValue& o, const char* name) {
  if (!o.IsObject()) return nullptr;
  auto it = o.FindMember(name);
  return it == o.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
}
std::string Str(const JValue& o, const char* name) {
  const JValue* v = Get(o, name);
  return v != nullptr && v->IsString() ? std::string(v->GetString(), v->GetStringLength())
                                       : std::string();
}
std::optional<std::string> OptStr(const JValue& o, const char* name) {
  const JValue* v = Get(o, name);
  if (v == nullptr || !v->IsString()) return std::nullopt;
  return std::string(v->GetString(), v->GetStringLength());
}
std::optional<int64_t> OptInt(const JValue& o, const char* name) {
  const JValue* v = Get(o, name);
  if (v == nullptr) return std::nullopt;
  if (v->IsInt64()) return v->GetInt64();
  if (v->IsString()) {
    try {
      return std::stoll(v->GetString());
    } catch (...) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}
bool Bool(const JValue& o, const char* name) {
  const JValue* v = Get(o, name);
  return v != nullptr && v->IsBool() && v->GetBool();
}
std::vector<std::string> StrList(const JValue& o, const char* name) {
  std::vector<std::string> out;
  const JValue* v = Get(o, name);
  if (v == nullptr || !v->IsArray()) return out;
  for (const auto& e : v->GetArray()) {
    if (e.IsString()) out.emplace_back(e.GetString(), e.GetStringLength());
  }
  return out;
}
PostalAddress Address(const JValue& o, const char* name) {
  PostalAddress a;
  const JValue* v = Get(o, name);
  if (v == nullptr || !v->IsObject()) return a;
  a.present = true;
  a.line1 = OptStr(*v, "AddressLine1");
  a.line2 = OptStr(*v, "AddressLine2");
  a.city = OptStr(*v, "City");
  a.region = OptStr(*v, "Region");
  a.postal_code = OptStr(*v, "PostalCode");
  a.country = OptStr(*v, "Country");
  return a;
}

rapidjson::Document Parse(const std::string& body, const std::string& what) {
  rapidjson::Document d;
  d.Parse(body.data(), body.size());
  if (d.HasParseError() || !d.IsObject()) throw std::runtime_error("unreadable stored " + what);
  return d;
}

User UserFrom(const JValue& d, const std::string& id, const std::string& client, int64_t updated) {
  User u;
  u.id = id;
  u.client_id = client;
  u.person_type = static_cast<int64_t>(Str(d, "PersonType") == "LEGAL" ? PersonType::kLegal
                                                                       : PersonType::kNatural);
  u.category = static_cast<int64_t>(Str(d, "UserCategory") == "OWNER" ? UserCategory::kOwner
                                                                      : UserCategory::kPayer);
  u.email = Str(d, "Email");
  u.tag = Str(d, "Tag");
  u.terms_accepted = Bool(d, "TermsAndConditionsAccepted");
  u.terms_accepted_date = OptInt(d, "TermsAndConditionsAcceptedDate");
  u.created_at = OptInt(d, "CreationDate").value_or(0);
  u.updated_at = updated;
  u.first_name = Str(d, "FirstName");
  u.last_name = Str(d, "LastName");
  u.address = Address(d, "Address");
  u.birthday = OptInt(d, "Birthday");
  u.nationality = Str(d, "Nationality");
  u.country_of_residence = Str(d, "CountryOfResidence");
  u.occupation = Str(d, "Occupation");
  u.capacity = Str(d, "Capacity");
  u.phone_number = Str(d, "PhoneNumber");
  u.phone_number_country = Str(d, "PhoneNumberCountry");
  if (const JValue* ir = Get(d, "IncomeRange")) {
    u.income_range_number = ir->IsInt64();
    u.income_range = ir->IsInt64() ? std::to_string(ir->GetInt64()) : Str(d, "IncomeRange");
  }
  u.name = Str(d, "Name");
  u.legal_person_type = Str(d, "LegalPersonType");
  u.company_number = Str(d, "CompanyNumber");
  u.headquarters_address = Address(d, "HeadquartersAddress");
  u.legal_representative_address = Address(d, "LegalRepresentativeAddress");
  u.lr_first_name = Str(d, "LegalRepresentativeFirstName");
  u.lr_last_name = Str(d, "LegalRepresentativeLastName");
  u.lr_email = Str(d, "LegalRepresentativeEmail");
  u.lr_nationality = Str(d, "LegalRepresentativeNationality");
  u.lr_country_of_residence = Str(d, "LegalRepresentativeCountryOfResidence");
  u.lr_birthday = OptInt(d, "LegalRepresentativeBirthday");
  return u;
}

void ProfileInto(const JValue& d, Client& c) {
  c.primary_theme_colour = Str(d, "PrimaryThemeColour");
  c.primary_button_colour = Str(d, "PrimaryButtonColour");
  c.logo = Str(d, "Logo");
  c.tech_emails = StrList(d, "TechEmails");
  c.admin_emails = StrList(d, "AdminEmails");
  c.billing_emails = StrList(d, "BillingEmails");
  c.fraud_emails = StrList(d, "FraudEmails");
  c.headquarters_address = Address(d, "HeadquartersAddress");
  c.headquarters_phone_number = Str(d, "HeadquartersPhoneNumber");
  c.tax_number = Str(d, "TaxNumber");
  c.platform_type = Str(d, "PlatformType");
  c.platform_description = Str(d, "PlatformDescription");
  c.platform_url = Str(d, "PlatformURL");
  c.website = Str(d, "Website");
  c.company_reference = Str(d, "CompanyReference");
  if (const JValue* cat = Get(d, "PlatformCategorization")) {
    c.business_type = Str(*cat, "BusinessType");
    c.sector = Str(*cat, "Sector");
  }
}

template <class T>
void Insert(soci::session& sql, Backend backend, const Table<T>& table, const std::vector<T>& rows,
            WriteMode mode = WriteMode::kInsert) {
  if (rows.empty()) return;
  Rows r = table.NewRows();
  for (const T& x : rows) table.Append(r, x);
  SqliteStatementCache cache;
  r.Insert(sql, backend, &cache, mode);
}

}  // namespace

void UpgradeDocumentsToEntities(soci::session& sql, Backend backend) {
  SyncEntityTables(sql, backend);
  std::vector<User> users;
  std::vector<Wallet> wallets;
  std::vector<ClientWallet> client_wallets;
  std::vector<WalletOwnerRow> owners;
  {
    soci::rowset<soci::row> rs =
        sql.prepare << "SELECT kind, id, client_id, body, updated_at FROM documents ORDER BY seq";
    for (const soci::row& r : rs) {
      std::string kind = GetText(r, 0), id = GetText(r, 1), client = GetText(r, 2);
      rapidjson::Document d = Parse(GetText(r, 3), kind + " " + id);
      int64_t updated = GetInt(r, 4);
      if (kind == "user") {
        users.push_back(UserFrom(d, id, client, updated));
      } else if (kind == "wallet") {
        Wallet w;
        w.id = id;
        w.client_id = client;
        w.owners = StrList(d, "Owners");
        w.currency = Str(d, "Currency");
        w.description = Str(d, "Description");
        w.tag = OptStr(d, "Tag");
        w.created_at = OptInt(d, "CreationDate").value_or(0);
        w.updated_at = updated;
        for (const std::string& o : w.owners) owners.push_back({client, o, id});
        wallets.push_back(std::move(w));
      } else if (kind == "client_wallet") {
        ClientWallet w;
        w.client_id = client;
        w.funds = static_cast<int64_t>(Str(d, "FundsType") == "CREDIT" ? ClientFunds::kCredit
                                                                       : ClientFunds::kFees);
        w.currency = Str(d, "Currency");
        w.created_at = OptInt(d, "CreationDate").value_or(0);
        client_wallets.push_back(std::move(w));
      } else {
        throw std::runtime_error("unknown stored document kind '" + kind + "'");
      }
    }
  }
  std::vector<Client> clients;
  {
    soci::rowset<soci::row> rs =
        sql.prepare
        << "SELECT id, name, api_key_salt, api_key_hash, created_at, profile FROM clients";
    for (const soci::row& r : rs) {
      Client c;
      c.id = GetText(r, 0);
      c.name = GetText(r, 1);
      c.api_key_salt = GetText(r, 2);
      c.api_key_hash = GetText(r, 3);
      c.created_at = GetInt(r, 4);
      std::string profile = GetText(r, 5);
      if (!profile.empty()) ProfileInto(Parse(profile, "profile of client " + c.id), c);
      clients.push_back(std::move(c));
    }
  }
  sql << "DELETE FROM clients";
  sql << "ALTER TABLE clients DROP COLUMN profile";
  Insert(sql, backend, kClientsTable, clients);
  Insert(sql, backend, kUsersTable, users);
  Insert(sql, backend, kWalletsTable, wallets);
  Insert(sql, backend, kClientWalletsTable, client_wallets);
  Insert(sql, backend, kWalletOwnersTable, owners, WriteMode::kInsertOrIgnore);  // Owners may repeat
  sql << "DROP TABLE documents";
}

}  // namespace splitledger::ledger
