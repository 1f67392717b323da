// Clients, credentials and tokens.
#include "handlers.h"
#include "splitledger/ledger/chart.h"

namespace splitledger::service {

void EnsureClientWallets(ApplyContext& ctx, const std::string& client_id,
                         const std::string& currency) {
  if (ctx.state.FindClientWallet(client_id, ClientFunds::kFees, currency) != nullptr) return;
  for (ClientFunds funds : {ClientFunds::kFees, ClientFunds::kCredit}) {
    ClientWallet w;
    w.client_id = client_id;
    w.funds = static_cast<int64_t>(funds);
    w.currency = currency;
    w.created_at = ctx.now_s();
    ctx.state.book().Ensure(
        ledger::chart::Key(client_id, currency,
                           funds == ClientFunds::kFees ? ledger::chart::kFeesWallet
                                                       : ledger::chart::kCreditWallet),
        ctx.now_s());
    ctx.state.PutClientWallet(std::move(w));
  }
}

std::vector<std::string> EditableFields(const std::vector<std::string>& fields,
                                        std::initializer_list<const char*> reserved) {
  std::vector<std::string> out;
  for (const std::string& f : fields) {
    bool ok = true;
    for (const char* r : reserved) ok = ok && f != r;
    if (ok) out.push_back(f);
  }
  return out;
}

namespace {
bool ValidClientId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return false;
  }
  return true;
}

// The profile as shown: credentials are never part of a result.
Client Profile(const Client& c) {
  Client out = c;
  out.api_key_salt.clear();
  out.api_key_hash.clear();
  return out;
}
}  // namespace

Status Preflight(const PutClientCredentials& c, const Caller&, std::vector<FieldError>*) {
  if (!ValidClientId(c.client_id)) {
    return Status::Invalid("a client id has 1 to 64 characters of A-Z a-z 0-9 - _ .", "client_id");
  }
  if (c.api_key_salt.empty() || c.api_key_hash.empty()) return Status::Invalid("no key", "api_key");
  if (FindCurrency(c.currency) == nullptr) return Status::Invalid("unknown currency", "currency");
  if (c.environment != "test" && c.environment != "live") {
    return Status::Invalid("the environment is test or live", "environment");
  }
  return Status::Ok();
}

Outcome Apply(ApplyContext& ctx, const PutClientCredentials& c) {
  const Client* existing = ctx.state.FindClient(c.client_id);
  Client client = existing != nullptr ? *existing : Client{};
  if (existing == nullptr) {
    client.id = c.client_id;
    client.name = c.client_id;
    client.created_at = ctx.now_s();
  }
  client.api_key_salt = c.api_key_salt;
  client.api_key_hash = c.api_key_hash;
  ctx.state.PutClient(client);
  if (existing == nullptr) EnsureClientWallets(ctx, c.client_id, c.currency);
  if (!c.bearer_key_hash.empty()) {
    ApiKey key;
    key.key_hash = c.bearer_key_hash;
    key.client_id = c.client_id;
    key.environment = c.environment;
    key.prefix = c.key_prefix;
    (void)Apply(ctx, PutApiKey{key});  // cannot fail: the client exists now
  }
  return Outcome::Of(Profile(client));
}

Outcome Apply(ApplyContext& ctx, const GetCredentials& c) {
  const Client* client = ctx.state.FindClient(c.client_id);
  if (client == nullptr)
    return Outcome::Error(Status(ErrorCode::kUnauthenticated, "unknown client"));
  return Outcome::Of(Credentials{client->id, client->api_key_salt, client->api_key_hash});
}

Outcome Apply(ApplyContext& ctx, const IssueToken& c) {
  const Client* client = ctx.state.FindClient(c.client_id);
  // Compared as the request thread computed it: equal strings, no secret derived here.
  if (client == nullptr || client->api_key_hash != c.api_key_hash) {
    return Outcome::Error(
        Status(ErrorCode::kUnauthenticated, "the key changed or the client is gone"));
  }
  if (!c.cert_fingerprint.empty()) {
    const ClientCertificate* cert = ctx.state.FindCertificate(c.cert_fingerprint);
    if (cert == nullptr || !cert->active() || cert->client_id != c.client_id) {
      return Outcome::Error(Status(ErrorCode::kUnauthenticated,
                                   "the certificate is not an active certificate of this client"));
    }
  }
  ctx.state.PutToken(
      ledger::TokenRecord{c.token_hash, c.client_id, c.expires_at, c.cert_fingerprint});
  return Outcome::Of(TokenGrant{c.client_id, c.expires_at, c.cert_fingerprint});
}

Outcome Apply(ApplyContext& ctx, const FindToken& c) {
  const ledger::TokenRecord* t = ctx.state.FindToken(c.token_hash);
  if (t == nullptr) return Outcome::Error(Status(ErrorCode::kUnauthenticated, "unknown token"));
  return Outcome::Of(TokenGrant{t->client_id, t->expires_at, t->cert_fingerprint});
}

Status Preflight(const AddClientCertificate& c, const Caller&, std::vector<FieldError>*) {
  const std::string& fp = c.cert.fingerprint;
  bool hex = fp.size() == 64 && fp.find_first_not_of("0123456789abcdef") == std::string::npos;
  if (!hex) return Status::Invalid("a fingerprint is 64 lower-case hex digits", "fingerprint");
  if (c.cert.subject.size() > 1024) return Status::Invalid("subject too long", "subject");
  return Status::Ok();
}

Outcome Apply(ApplyContext& ctx, const AddClientCertificate& c) {
  if (ctx.state.FindClient(ctx.caller.client_id) == nullptr)
    return Outcome::Error(Status::NotFound("Client not found", "client_id"));
  if (const ClientCertificate* known = ctx.state.FindCertificate(c.cert.fingerprint)) {
    if (known->client_id != ctx.caller.client_id) {
      return Outcome::Error(Status(ErrorCode::kAlreadyExists,
                                   "this certificate is registered to another client", "cert"));
    }
    if (!known->active()) {
      return Outcome::Error(Status::Rule(
          "this certificate was revoked; register a new certificate instead", "cert"));
    }
    return Outcome::Of(CertificateList{{*known}});  // already registered: nothing changes
  }
  ClientCertificate cert = c.cert;
  cert.client_id = ctx.caller.client_id;
  cert.added_at = ctx.now_s();
  cert.revoked_at = 0;
  ctx.state.PutCertificate(cert);
  return Outcome::Of(CertificateList{{std::move(cert)}});
}

Outcome Apply(ApplyContext& ctx, const RevokeClientCertificate& c) {
  const ClientCertificate* known = ctx.state.FindCertificate(c.fingerprint);
  if (known == nullptr || known->client_id != ctx.caller.client_id)
    return Outcome::Error(Status::NotFound("No such certificate for this client", "fingerprint"));
  ClientCertificate cert = *known;
  if (cert.active()) {
    cert.revoked_at = ctx.now_s();
    ctx.state.PutCertificate(cert);
  }
  return Outcome::Of(CertificateList{{std::move(cert)}});
}

Outcome Apply(ApplyContext& ctx, const ListClientCertificates&) {
  if (ctx.state.FindClient(ctx.caller.client_id) == nullptr)
    return Outcome::Error(Status::NotFound("Client not found", "client_id"));
  CertificateList list;
  for (const ClientCertificate* c : ctx.state.CertificatesOf(ctx.caller.client_id))
    list.items.push_back(*c);
  return Outcome::Of(std::move(list));
}

Outcome Apply(ApplyContext& ctx, const FindClientCertificate& c) {
  const ClientCertificate* known = ctx.state.FindCertificate(c.fingerprint);
  if (known == nullptr) return Outcome::Error(Status::NotFound("unknown certificate", "fingerprint"));
  return Outcome::Of(CertificateList{{*known}});
}

Outcome Apply(ApplyContext& ctx, const GetClient&) {
  const Client* client = ctx.state.FindClient(ctx.caller.client_id);
  if (client == nullptr) return Outcome::Error(Status::NotFound("Client not found", "client_id"));
  return Outcome::Of(Profile(*client));
}

Outcome Apply(ApplyContext& ctx, const UpdateClient& c) {
  const Client* client = ctx.state.FindClient(ctx.caller.client_id);
  if (client == nullptr) return Outcome::Error(Status::NotFound("Client not found", "client_id"));
  Client updated = *client;
  // Only profile fields: identity and credentials are not the request's to change.
  std::vector<std::string> fields =
      EditableFields(c.fields, {"id", "name", "api_key_salt", "api_key_hash", "created_at"});
  CopyFields(*c.patch, updated, fields);
  ctx.state.PutClient(updated);
  return Outcome::Of(Profile(updated));
}

Status Preflight(const PutAdminUser& c, const Caller&, std::vector<FieldError>*) {
  const std::string& n = c.user.name;
  bool ok = !n.empty() && n.size() <= 64 &&
            n.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._@-") ==
                std::string::npos;
  if (!ok) return Status::Invalid("a name is 1-64 of A-Z a-z 0-9 . _ @ -", "name");
  if (c.user.password_hash.rfind("pbkdf2-sha256$", 0) != 0)
    return Status::Invalid("a PBKDF2-SHA256 password hash is expected", "password_hash");
  return Status::Ok();
}

Outcome Apply(ApplyContext& ctx, const PutAdminUser& c) {
  const AdminUser* existing = ctx.state.FindAdminUser(c.user.name);
  AdminUser user = c.user;
  user.created_at = existing != nullptr ? existing->created_at : ctx.now_s();
  user.disabled = existing != nullptr && existing->disabled;  // a new password does not enable
  user.updated_at = ctx.now_s();
  ctx.state.PutAdminUser(user);
  user.password_hash.clear();  // the result never carries it
  return Outcome::Of(Box<AdminUser>(std::move(user)));
}

Outcome Apply(ApplyContext& ctx, const FindAdminUser& c) {
  const AdminUser* user = ctx.state.FindAdminUser(c.name);
  if (user == nullptr || user->disabled)
    return Outcome::Error(Status(ErrorCode::kUnauthenticated, "unknown user"));
  return Outcome::Of(Box<AdminUser>(*user));
}

Outcome Apply(ApplyContext& ctx, const SetAdminUserDisabled& c) {
  const AdminUser* existing = ctx.state.FindAdminUser(c.name);
  if (existing == nullptr) return Outcome::Error(Status::NotFound("no console user " + c.name, "name"));
  AdminUser user = *existing;
  user.disabled = c.disabled;
  user.updated_at = ctx.now_s();
  ctx.state.PutAdminUser(user);
  user.password_hash.clear();
  return Outcome::Of(Box<AdminUser>(std::move(user)));
}

}  // namespace splitledger::service
