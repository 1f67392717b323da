// V3.0 settlements (echo-api §7.5, §10.8): create with an upload URL, get, new URL, validations,
// cancel; and the upload URL itself, which authenticates by its token (the SDK sends no
// Authorization header) and takes raw CSV or the {"type":"Buffer","data":[…]} form the Node SDK
// actually sends. The file is parsed here (request thread); matching runs on the writer.
#include "settlements.h"

#include "auth.h"
#include "dialects.h"
#include "echo.h"
#include "json.h"
#include "splitledger/core/ids.h"
#include "splitledger/core/settlement_file.h"

namespace splitledger::api {
namespace {

constexpr std::string_view kSettlementPrefix = "int_stlmnt_";

// A fresh upload token (returned once, in the URL) and its hash (what the writer keeps).
std::pair<std::string, std::string> NewUploadToken() {
  std::string token = RandomHex(24);
  return {token, Sha256Hex(token)};
}

// "http://host:port" of the request (its absolute URL without the path).
std::string BaseUrl(const Request& req) {
  size_t scheme = req.url.find("://");
  size_t path = req.url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return req.url.substr(0, path);
}

}  // namespace

std::string RenderSettlement(const service::SettlementView& v, const std::string& upload_url) {
  const Settlement& s = v.settlement;
  rapidjson::StringBuffer sb;
  JWriter w(sb);
  w.StartObject();
  WKey(w, "SettlementId"); WStr(w, s.id);
  WKey(w, "Status"); WStr(w, SettlementStatusName(s.status));
  WKey(w, "CreationDate"); w.Int64(s.created_at);
  WKey(w, "SettlementDate");
  if (s.settlement_date != 0) w.Int64(s.settlement_date); else w.Null();
  WKey(w, "ExternalProviderName"); WStrOrNull(w, s.provider_name);
  WKey(w, "Currency"); WStrOrNull(w, s.currency);
  WKey(w, "DeclaredIntentAmount"); w.Int64(s.declared_intent_amount);
  WKey(w, "ExternalProcessorFeesAmount"); w.Int64(s.processor_fees);
  WKey(w, "ActualSettlementAmount"); w.Int64(s.actual_amount);
  WKey(w, "FundsMissingAmount"); w.Int64(v.funds_missing);
  WKey(w, "FundsReceivedAmount"); w.Int64(v.funded);
  WKey(w, "FileName"); WStr(w, s.file_name);
  if (!upload_url.empty()) { WKey(w, "UploadUrl"); WStr(w, upload_url); }
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

namespace {

std::string RenderValidations(const Settlement& s) {
  rapidjson::StringBuffer sb;
  JWriter w(sb);
  w.StartObject();
  WKey(w, "FooterErrors");
  w.StartArray();
  for (const SettlementFooterError& e : s.footer_errors) {
    w.StartObject();
    WKey(w, "FooterName"); WStr(w, e.footer_name);
    WKey(w, "Code"); WStr(w, e.code);
    WKey(w, "Description"); WStr(w, e.description);
    w.EndObject();
  }
  w.EndArray();
  WKey(w, "LinesErrors");
  w.StartArray();
  for (const SettlementLineError& e : s.line_errors) {
    w.StartObject();
    WKey(w, "ExternalProviderReference"); WStr(w, e.provider_reference);
    WKey(w, "ExternalTransactionType"); WStr(w, e.transaction_type);
    WKey(w, "Code"); WStr(w, e.code);
    WKey(w, "Description"); WStr(w, e.description);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

Reply SettlementReply(const Request& req, const service::Outcome& o, const std::string& url = {}) {
  if (!o.ok()) return RequestError(Dialect::kV3, req, o);
  return JsonReply(RenderSettlement(*std::get<service::Box<service::SettlementView>>(o.value), url));
}

// {FileName}: a .csv name, stored with the creation time appended ("name_1732950000.csv").
std::optional<std::string> BindFileName(Binder& b, const JValue& d, int64_t now_ms) {
  auto name = b.Str(d, "FileName", true);
  if (!name) return std::nullopt;
  std::string lower = ToLower(*name);
  if (name->size() < 5 || name->size() > 200 || lower.compare(lower.size() - 4, 4, ".csv") != 0) {
    b.Add("FileName", "FileName must be a .csv file name (at most 200 characters).");
    return std::nullopt;
  }
  return name->substr(0, name->size() - 4) + "_" + std::to_string(now_ms / 1000) + ".csv";
}

std::string UploadUrl(const Request& req, const std::string& id, const std::string& token) {
  return BaseUrl(req) + "/uploads/settlements/" + id + "?token=" + token;
}

// {FileName} → a fresh upload token, and the command `make(file name, token hash)` builds for
// the settlement `id`; the answer carries the URL with the token (its only appearance).
template <class Make>
Reply IssueUploadUrl(App& app, Request& req, const std::string& id, Make make) {
  rapidjson::Document d;
  if (Status st = ParseJsonObject(req.body, &d); !st.ok()) return RefuseRequest(app, Dialect::kV3, req, st);
  Binder b;
  auto file_name = BindFileName(b, d, req.now_ms);
  if (!b.ok()) return RefuseRequest(app, Dialect::kV3, req, Status::Invalid("invalid"), b.errors());
  auto [token, hash] = NewUploadToken();
  service::Outcome o = Run(app, req, make(*file_name, hash));
  return SettlementReply(req, o, UploadUrl(req, id, token));
}

Reply Create(App& app, Request& req) {
  std::string id = NewId(kSettlementPrefix, req.now_ms);
  return IssueUploadUrl(app, req, id, [&](std::string name, std::string hash) {
    return service::CreateSettlement{id, std::move(name), std::move(hash)};
  });
}

Reply NewUrl(App& app, Request& req) {
  return IssueUploadUrl(app, req, req.params[0], [&](std::string name, std::string hash) {
    return service::NewSettlementUploadUrl{req.params[0], std::move(name), std::move(hash)};
  });
}

// A settlement outcome without an upload URL (reads and cancels).
Reply PlainSettlementReply(const Request& req, const service::Outcome& o) { return SettlementReply(req, o); }

Reply ValidationsReply(const Request& req, const service::Outcome& o) {
  if (!o.ok()) return RequestError(Dialect::kV3, req, o);
  return JsonReply(RenderValidations(std::get<service::Box<service::SettlementView>>(o.value)->settlement));
}

Answer Get(App&, Request& req) { return Deferred{service::GetSettlement{req.params[0]}, PlainSettlementReply}; }

Answer Validations(App&, Request& req) {
  return Deferred{service::GetSettlement{req.params[0]}, ValidationsReply};
}

Answer Cancel(App&, Request& req) {
  return Deferred{service::CancelSettlement{req.params[0]}, PlainSettlementReply};
}

// The file bytes of an upload: the body itself, or the bytes of {"type":"Buffer","data":[…]}.
std::optional<std::string> UploadedBytes(const std::string& body) {
  size_t i = body.find_first_not_of(" \t\r\n");
  if (i == std::string::npos || body[i] != '{') return body;
  rapidjson::Document d;
  if (!ParseJsonObject(body, &d).ok()) return body;  // a CSV may start with '{' only if broken
  auto type = d.FindMember("type");
  auto data = d.FindMember("data");
  if (type == d.MemberEnd() || !type->value.IsString() ||
      std::string_view(type->value.GetString()) != "Buffer" || data == d.MemberEnd() ||
      !data->value.IsArray()) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(data->value.Size());
  for (const JValue& v : data->value.GetArray()) {
    if (!v.IsInt() || v.GetInt() < 0 || v.GetInt() > 255) return std::nullopt;
    out.push_back(static_cast<char>(v.GetInt()));
  }
  return out;
}

}  // namespace

const std::vector<Route>& SettlementRoutes() {
  static const std::vector<Route> kRoutes = {
      {"POST", "payins/intents/settlements", Create},
      {"GET", "payins/intents/settlements/{SettlementId}", Get},
      {"PUT", "payins/intents/settlements/{SettlementId}", NewUrl},
      {"GET", "payins/intents/settlements/{SettlementId}/validations", Validations},
      {"POST", "payins/intents/settlements/{SettlementId}/cancel", Cancel},
  };
  return kRoutes;
}

Reply HandleSettlementUpload(App& app, Request& req, const std::string& settlement_id) {
  auto error = [&](int status, const char* type, std::string message) {
    ApiError e;
    e.status = status;
    e.type = type;
    e.message = std::move(message);
    return ErrorReply(Dialect::kV3, e);
  };
  if (req.method != "PUT" && req.method != "POST") {
    return error(405, "method_not_allowed", "Upload the file with PUT");
  }
  auto t = req.query.find("token");
  if (t == req.query.end() || t->second.empty()) {
    return error(403, "forbidden_ressource", "This upload URL is not valid");
  }
  const std::string& token = t->second;
  auto bytes = UploadedBytes(req.body);
  if (!bytes) {
    return error(400, "param_error", "The body must be a CSV file or {\"type\":\"Buffer\",\"data\":[bytes]}");
  }
  service::UploadSettlementFile cmd;
  cmd.settlement_id = settlement_id;
  cmd.upload_token_hash = Sha256Hex(token);
  *cmd.file = ParseSettlementFile(*bytes);
  service::Outcome o = Run(app, req, std::move(cmd));
  if (!o.ok()) return RequestError(Dialect::kV3, req, o);
  Reply r;
  r.status = 200;
  r.body.clear();
  r.content_type = "text/plain; charset=utf-8";
  return r;
}

}  // namespace splitledger::api
