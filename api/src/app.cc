#include "app.h"

#include "splitledger/ledger/chart.h"

namespace splitledger::api {

namespace {
Reply IdempotencyConflict(const ledger::IdempotencyRecord& rec, int64_t now_ms) {
  rapidjson::StringBuffer sb;
  JWriter w(sb);
  w.StartObject();
  WKey(w, "Message");
  WStr(w, "A resource has already been created with this Idempotency Key");
  WKey(w, "Type");
  WStr(w, "idempotent_creation_conflict");
  WKey(w, "Id");
  WStr(w, rec.resource_id.empty() ? ErrorId() : rec.resource_id);
  WKey(w, "Date");
  w.Int64(now_ms / 1000);
  WKey(w, "errors");
  w.Null();
  w.EndObject();
  return JsonReply(std::string(sb.GetString(), sb.GetSize()), 409);
}

// The "Id" of a JSON object body, for the idempotency record.
std::string ResourceId(const std::string& body) {
  rapidjson::Document d;
  if (!ParseJsonAny(body, &d).ok() || !d.IsObject()) return {};
  const JValue* id = Member(d, "Id");
  return id != nullptr && id->IsString() ? std::string(id->GetString()) : std::string();
}
}  // namespace

Reply RunCommand(App& app, const Request& req, Command fn) {
  auto fut = app.seq->Submit([&req, &fn](ledger::CommandContext& ctx) -> Result<Reply> {
    ledger::State& st = ctx.state();
    if (!req.idem_key.empty()) {
      if (const auto* rec = st.FindIdempotency(req.client_id, req.idem_key)) {
        return IdempotencyConflict(*rec, req.now_ms);
      }
    }
    Reply r = fn(ctx);
    if (!req.idem_key.empty()) {
      ledger::IdempotencyRecord rec;
      rec.client_id = req.client_id;
      rec.key = req.idem_key;
      rec.request_hash = Sha256Hex(req.method + " " + req.url + "\n" + req.body);
      rec.status_code = r.status;
      rec.content_type = r.content_type;
      rec.body = r.body;
      rec.request_url = req.url;
      rec.resource_id = ResourceId(r.body);
      rec.created_at = req.now_ms / 1000;
      st.PutIdempotency(std::move(rec));
    }
    return r;
  });
  Result<Reply> res = fut.get();
  if (!res.ok()) return ErrorReply(req.dialect, ErrorFromStatus(res.status()));
  return std::move(res).value();
}

std::optional<ledger::ClientRecord> App::ReadClient(const std::string& id) {
  std::lock_guard<std::mutex> lock(reader_mu_);
  if (!reader_) {
    ledger::StoreOptions options;
    options.url = cfg.db;
    options.writer = false;
    auto store = ledger::Store::Open(options);
    if (!store.ok()) return std::nullopt;
    reader_ = std::move(*store);
  }
  auto row = reader_->ReadClient(id);
  if (!row.ok()) {
    reader_.reset();  // reconnect next time
    return std::nullopt;
  }
  return *row;
}

void EnsureClientCurrency(ledger::State& state, const std::string& client_id, const std::string& currency,
                          int64_t now_s) {
  std::string fees_id = "FEES_" + currency;
  if (state.FindDocument("client_wallet", client_id + ":" + fees_id) != nullptr) return;
  for (const char* funds : {"FEES", "CREDIT"}) {
    std::string id = std::string(funds) + "_" + currency;
    std::string_view kind = std::string_view(funds) == "FEES" ? ledger::chart::kFeesWallet
                                                               : ledger::chart::kCreditWallet;
    state.book().Ensure(ledger::chart::Key(client_id, currency, kind), now_s);
    rapidjson::StringBuffer sb;
    JWriter w(sb);
    w.StartObject();
    WKey(w, "Id"); WStr(w, id);
    WKey(w, "Currency"); WStr(w, currency);
    WKey(w, "FundsType"); WStr(w, funds);
    WKey(w, "Tag"); w.Null();
    WKey(w, "CreationDate"); w.Int64(now_s);
    w.EndObject();
    ledger::Document doc;
    doc.kind = "client_wallet";
    doc.id = client_id + ":" + id;
    doc.client_id = client_id;
    doc.body.assign(sb.GetString(), sb.GetSize());
    doc.created_at = now_s;
    doc.updated_at = now_s;
    state.PutDocument(std::move(doc));
  }
}

std::string DefaultClientProfile(const std::string& client_id) {
  rapidjson::StringBuffer sb;
  JWriter w(sb);
  w.StartObject();
  WKey(w, "ClientId"); WStr(w, client_id);
  WKey(w, "Name"); WStr(w, client_id);
  WKey(w, "RegisteredName"); WStr(w, client_id);
  WKey(w, "Licensor"); WStr(w, "splitledger");
  WKey(w, "PrimaryThemeColour"); w.Null();
  WKey(w, "PrimaryButtonColour"); w.Null();
  WKey(w, "Logo"); w.Null();
  WKey(w, "TechEmails"); w.StartArray(); w.EndArray();
  WKey(w, "AdminEmails"); w.StartArray(); w.EndArray();
  WKey(w, "BillingEmails"); w.StartArray(); w.EndArray();
  WKey(w, "FraudEmails"); w.StartArray(); w.EndArray();
  WKey(w, "HeadquartersAddress"); w.Null();
  WKey(w, "HeadquartersPhoneNumber"); w.Null();
  WKey(w, "TaxNumber"); w.Null();
  WKey(w, "PlatformType"); w.Null();
  WKey(w, "PlatformDescription"); w.Null();
  WKey(w, "PlatformURL"); w.Null();
  WKey(w, "CompanyReference"); w.Null();
  WKey(w, "PlatformCategorization"); w.Null();
  WKey(w, "Website"); w.Null();
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

}  // namespace splitledger::api
