// Entities of a platform client that are not money: clients, users, wallets, client wallets.
//
// Each entity is plain data plus one Describe() that lists its fields once, by neutral name and
// type. Every representation is derived from that list: the SQL table (ledger/table.h), the
// binary form (core/codec.h), field-by-field updates (CopyFields). A field added to Describe()
// is therefore stored, loaded, encoded and patchable with no other change; a field left out of
// it is a compile-visible omission rather than a silent one. Wire spellings ("FirstName") belong
// to the dialects, never here.
//
// Visitor contract: `v.Field(name, member)` for std::string, int64_t, bool,
// std::optional<int64_t>, std::optional<std::string>, std::vector<std::string>, Bytes;
// `v.Nested(prefix, member)` for a nested described struct (its field names get the prefix).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace splitledger {

// Binary data (not text): the binary codec writes it as is, a TEXT column holds it hex-encoded.
struct Bytes {
  std::string data;
  bool operator==(const Bytes&) const = default;
};

// Each part is optional: a part never given is not invented (an upgrade from 0.1, which stored
// the address object as given, reads back the same keys).
struct PostalAddress {
  std::optional<std::string> line1, line2, city, region, postal_code, country;
  bool present = false;  // false: the address was never given (rendered as null)
};
template <class V>
void Describe(V& v, PostalAddress& a) {
  v.Field("present", a.present);
  v.Field("line1", a.line1);
  v.Field("line2", a.line2);
  v.Field("city", a.city);
  v.Field("region", a.region);
  v.Field("postal_code", a.postal_code);
  v.Field("country", a.country);
}

// A marketplace's API account. The key is stored only as a salted hash.
struct Client {
  std::string id;
  std::string name;
  std::string api_key_salt;  // hex
  std::string api_key_hash;  // hex SHA-256(salt || key)
  int64_t created_at = 0;
  // Editable profile.
  std::string primary_theme_colour, primary_button_colour, logo;
  std::vector<std::string> tech_emails, admin_emails, billing_emails, fraud_emails;
  PostalAddress headquarters_address;
  std::string headquarters_phone_number, tax_number, platform_type, platform_description,
      platform_url, website, company_reference;
  std::string business_type, sector;  // platform categorisation
};
template <class V>
void Describe(V& v, Client& c) {
  v.Field("id", c.id);
  v.Field("name", c.name);
  v.Field("api_key_salt", c.api_key_salt);
  v.Field("api_key_hash", c.api_key_hash);
  v.Field("created_at", c.created_at);
  v.Field("primary_theme_colour", c.primary_theme_colour);
  v.Field("primary_button_colour", c.primary_button_colour);
  v.Field("logo", c.logo);
  v.Field("tech_emails", c.tech_emails);
  v.Field("admin_emails", c.admin_emails);
  v.Field("billing_emails", c.billing_emails);
  v.Field("fraud_emails", c.fraud_emails);
  v.Nested("hq_", c.headquarters_address);
  v.Field("headquarters_phone_number", c.headquarters_phone_number);
  v.Field("tax_number", c.tax_number);
  v.Field("platform_type", c.platform_type);
  v.Field("platform_description", c.platform_description);
  v.Field("platform_url", c.platform_url);
  v.Field("website", c.website);
  v.Field("company_reference", c.company_reference);
  v.Field("business_type", c.business_type);
  v.Field("sector", c.sector);
}

enum class PersonType : int64_t { kNatural = 0, kLegal = 1 };
enum class UserCategory : int64_t { kPayer = 0, kOwner = 1 };

// A natural or legal person: a buyer (PAYER) or a seller (OWNER). Empty strings and empty
// optionals are "not given".
struct User {
  std::string id;
  std::string client_id;
  int64_t person_type = 0;  // PersonType
  int64_t category = 0;     // UserCategory
  std::string email, tag;
  bool terms_accepted = false;
  std::optional<int64_t> terms_accepted_date;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  // Natural persons.
  std::string first_name, last_name;
  PostalAddress address;
  std::optional<int64_t> birthday;
  std::string nationality, country_of_residence, occupation, capacity, phone_number,
      phone_number_country;
  std::string income_range;          // "1".."6"
  bool income_range_number = false;  // given as a JSON number (shown back as one)
  // Legal persons.
  std::string name, legal_person_type, company_number;
  PostalAddress headquarters_address, legal_representative_address;
  std::string lr_first_name, lr_last_name, lr_email, lr_nationality, lr_country_of_residence;
  std::optional<int64_t> lr_birthday;

  bool natural() const { return person_type == static_cast<int64_t>(PersonType::kNatural); }
  bool owner() const { return category == static_cast<int64_t>(UserCategory::kOwner); }
};
template <class V>
void Describe(V& v, User& u) {
  v.Field("id", u.id);
  v.Field("client_id", u.client_id);
  v.Field("person_type", u.person_type);
  v.Field("category", u.category);
  v.Field("email", u.email);
  v.Field("tag", u.tag);
  v.Field("terms_accepted", u.terms_accepted);
  v.Field("terms_accepted_date", u.terms_accepted_date);
  v.Field("created_at", u.created_at);
  v.Field("updated_at", u.updated_at);
  v.Field("first_name", u.first_name);
  v.Field("last_name", u.last_name);
  v.Nested("addr_", u.address);
  v.Field("birthday", u.birthday);
  v.Field("nationality", u.nationality);
  v.Field("country_of_residence", u.country_of_residence);
  v.Field("occupation", u.occupation);
  v.Field("capacity", u.capacity);
  v.Field("phone_number", u.phone_number);
  v.Field("phone_number_country", u.phone_number_country);
  v.Field("income_range", u.income_range);
  v.Field("income_range_number", u.income_range_number);
  v.Field("name", u.name);
  v.Field("legal_person_type", u.legal_person_type);
  v.Field("company_number", u.company_number);
  v.Nested("hq_", u.headquarters_address);
  v.Nested("lr_addr_", u.legal_representative_address);
  v.Field("lr_first_name", u.lr_first_name);
  v.Field("lr_last_name", u.lr_last_name);
  v.Field("lr_email", u.lr_email);
  v.Field("lr_nationality", u.lr_nationality);
  v.Field("lr_country_of_residence", u.lr_country_of_residence);
  v.Field("lr_birthday", u.lr_birthday);
}

// A seller's (or buyer's) e-money wallet. Its balance is a ledger account (chart kind "wallet"),
// never a field here.
struct Wallet {
  std::string id;
  std::string client_id;
  std::vector<std::string> owners;  // user ids; also indexed in wallet_owners
  std::string currency;
  std::string description;
  std::optional<std::string> tag;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};
template <class V>
void Describe(V& v, Wallet& w) {
  v.Field("id", w.id);
  v.Field("client_id", w.client_id);
  v.Field("owners", w.owners);
  v.Field("currency", w.currency);
  v.Field("description", w.description);
  v.Field("tag", w.tag);
  v.Field("created_at", w.created_at);
  v.Field("updated_at", w.updated_at);
}

// The platform's own wallets per currency: fees collected (FEES_<CUR>) and repudiation credit
// (CREDIT_<CUR>). Created with the first wallet or intent of a currency, or with the client.
enum class ClientFunds : int64_t { kFees = 0, kCredit = 1 };
struct ClientWallet {
  std::string client_id;
  int64_t funds = 0;  // ClientFunds
  std::string currency;
  int64_t created_at = 0;

  bool fees() const { return funds == static_cast<int64_t>(ClientFunds::kFees); }
  // "FEES_EUR" / "CREDIT_EUR": the id the API shows.
  std::string id() const { return (fees() ? "FEES_" : "CREDIT_") + currency; }
};
template <class V>
void Describe(V& v, ClientWallet& w) {
  v.Field("client_id", w.client_id);
  v.Field("funds", w.funds);
  v.Field("currency", w.currency);
  v.Field("created_at", w.created_at);
}

// A client's webhook (Echo §6.4): one per event type. Notifications of that type are delivered to
// `url` from a durable outbox; repeated failure turns it INVALID (and DISABLED).
struct Hook {
  std::string id;
  std::string client_id;
  std::string event_type;
  std::string url;
  std::string tag;
  bool enabled = true;         // Status ENABLED / DISABLED
  bool valid = true;           // Validity VALID / INVALID
  int64_t failures = 0;        // failed delivery attempts in a row
  int64_t created_at = 0;
  int64_t updated_at = 0;
};
template <class V>
void Describe(V& v, Hook& h) {
  v.Field("id", h.id);
  v.Field("client_id", h.client_id);
  v.Field("event_type", h.event_type);
  v.Field("url", h.url);
  v.Field("tag", h.tag);
  v.Field("enabled", h.enabled);
  v.Field("valid", h.valid);
  v.Field("failures", h.failures);
  v.Field("created_at", h.created_at);
  v.Field("updated_at", h.updated_at);
}

// A TLS client certificate registered to a platform client (mTLS listener, RFC 8705 binding).
// Pinned by the SHA-256 of its DER encoding; a client may hold several at once (rotation).
// Revocation is permanent and effective at once: a revoked fingerprint never comes back.
struct ClientCertificate {
  std::string fingerprint;  // lower-case hex SHA-256 of the DER certificate
  std::string client_id;
  std::string subject;      // for people: the certificate's subject as OpenSSL prints it
  int64_t not_after = 0;    // unix seconds (the handshake refuses it past this)
  int64_t added_at = 0;
  int64_t revoked_at = 0;   // 0: active
  bool active() const { return revoked_at == 0; }
};
template <class V>
void Describe(V& v, ClientCertificate& c) {
  v.Field("fingerprint", c.fingerprint);
  v.Field("client_id", c.client_id);
  v.Field("subject", c.subject);
  v.Field("not_after", c.not_after);
  v.Field("added_at", c.added_at);
  v.Field("revoked_at", c.revoked_at);
}

// A person who signs in to the web console (platform admins reconciling seller wallets). Global:
// not a platform client's. The password is kept as a PBKDF2-SHA256 string made where it was
// typed (`splitledger admin user add`), never in clear.
struct AdminUser {
  std::string name;           // 1–64 of [A-Za-z0-9._@-]
  std::string password_hash;  // "pbkdf2-sha256$ITERATIONS$SALT_HEX$HASH_HEX"
  int64_t created_at = 0;
  int64_t updated_at = 0;
  bool disabled = false;
};
template <class V>
void Describe(V& v, AdminUser& u) {
  v.Field("name", u.name);
  v.Field("password_hash", u.password_hash);
  v.Field("created_at", u.created_at);
  v.Field("updated_at", u.updated_at);
  v.Field("disabled", u.disabled);
}

// Calls `f(member)` with the field named `name` (a nested struct by its prefix, "addr_"), with
// its static type; returns false when there is no such field. `f` must accept every member type
// of T (a generic lambda with `if constexpr`).
template <class T, class F>
bool WithField(T& obj, std::string_view name, F&& f);

// Copies the fields named in `names` (Describe names, nested ones with their prefix) from `src`
// to `dst`; other fields keep their value. Used for partial updates: the dialect says which
// fields the request carried, the service merges them. Unknown names are ignored.
template <class T>
void CopyFields(const T& src, T& dst, const std::vector<std::string>& names);

// A visitor base that names nested fields: inside Nested("addr_", …) a field "city" is
// "addr_city". Derived visitors call Name(n) and inherit Nested.
template <class Derived>
struct NamingVisitor {
  std::string prefix;
  std::string Name(const char* n) const { return prefix + n; }
  template <class N>
  void Nested(const char* p, N& n) {
    std::string saved = prefix;
    prefix += p;
    Describe(static_cast<Derived&>(*this), n);
    prefix = saved;
  }
};

namespace entities_detail {
// Collects a pointer to each described field, by name, in Describe order.
struct FieldPointers : NamingVisitor<FieldPointers> {
  std::vector<std::pair<std::string, void*>> out;
  template <class F>
  void Field(const char* name, F& f) {
    out.emplace_back(Name(name), &f);
  }
};
// Copies one field by position, with its static type.
struct FieldCopier {
  const std::vector<bool>* wanted;
  std::vector<void*> src;
  size_t index = 0;
  template <class F>
  void Field(const char*, F& f) {
    if ((*wanted)[index]) f = *static_cast<const F*>(src[index]);
    ++index;
  }
  template <class N>
  void Nested(const char*, N& n) {
    Describe(*this, n);
  }
};
template <class F>
struct FieldFinder : NamingVisitor<FieldFinder<F>> {
  std::string_view want;
  F* f;
  bool found = false;
  FieldFinder(std::string_view w, F* fn) : want(w), f(fn) {}
  template <class M>
  void Field(const char* n, M& m) {
    if (!found && this->Name(n) == want) {
      (*f)(m);
      found = true;
    }
  }
  // A nested struct is found by its prefix as a whole, or searched field by field.
  template <class N>
  void Nested(const char* p, N& n) {
    if (found) return;
    if (this->Name(p) == want) {
      (*f)(n);
      found = true;
      return;
    }
    NamingVisitor<FieldFinder<F>>::Nested(p, n);
  }
};
}  // namespace entities_detail

template <class T, class F>
bool WithField(T& obj, std::string_view name, F&& f) {
  entities_detail::FieldFinder<std::remove_reference_t<F>> finder(name, &f);
  Describe(finder, obj);
  return finder.found;
}

template <class T>
void CopyFields(const T& src, T& dst, const std::vector<std::string>& names) {
  entities_detail::FieldPointers ptrs;
  Describe(ptrs, const_cast<T&>(src));
  std::vector<bool> wanted(ptrs.out.size(), false);
  entities_detail::FieldCopier copier{&wanted, {}, 0};
  for (size_t i = 0; i < ptrs.out.size(); ++i) {
    copier.src.push_back(ptrs.out[i].second);
    const std::string& have = ptrs.out[i].first;
    for (const std::string& n : names) {
      // "addr_" names every field of a nested struct.
      wanted[i] =
          wanted[i] || n == have || (!n.empty() && n.back() == '_' && have.rfind(n, 0) == 0);
    }
  }
  Describe(copier, dst);
}

}  // namespace splitledger
