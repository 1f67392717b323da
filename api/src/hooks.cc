// v2.01 hooks and events (echo-api §6.4): hooks CRUD (one per EventType), GET /events with its
// filters and pagination. The delivery of notifications is hook_delivery.cc's.
#include "hooks.h"

#include <charconv>

#include "dialects.h"
#include "echo.h"
#include "json.h"
#include "splitledger/core/ids.h"

namespace splitledger::api {

std::string RenderHook(const Hook& h) {
  rapidjson::StringBuffer sb;
  JWriter w(sb);
  w.StartObject();
  WKey(w, "Id"); WStr(w, h.id);
  WKey(w, "Tag"); WStrOrNull(w, h.tag);
  WKey(w, "CreationDate"); w.Int64(h.created_at);
  WKey(w, "Url"); WStr(w, h.url);
  WKey(w, "Status"); WStr(w, h.enabled ? "ENABLED" : "DISABLED");
  WKey(w, "Validity"); WStr(w, h.valid ? "VALID" : "INVALID");
  WKey(w, "EventType"); WStr(w, h.event_type);
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

namespace {

Reply V2Refusal(const Request& req, const service::Outcome& o) {
  return RequestError(Dialect::kV2, req, o);
}

Reply HookReply(const Request& req, const service::Outcome& o) {
  if (!o.ok()) return V2Refusal(req, o);
  return JsonReply(RenderHook(*std::get<service::Box<Hook>>(o.value)));
}

// A JSON array page with the v2.01 pagination headers; `total` counts every page.
Reply ArrayPage(const Request& req, const Page& page, const std::vector<std::string>& items,
                int64_t total) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + items[i];
  Reply r = JsonReply(out + "]");
  AddPaginationHeaders(r, page, total, req.url);
  return r;
}

// "Field:ASC|DESC" (case-insensitive); `field` must be the one named. Absent: ascending.
bool SortDescending(const Request& req, std::string_view field, bool* desc, Reply* error) {
  auto it = req.query.find("sort");
  *desc = false;
  if (it == req.query.end() || it->second.empty()) return true;
  std::string v = ToLower(it->second);
  std::string f = ToLower(field);
  if (v == f + ":desc") *desc = true;
  else if (v != f + ":asc" && v != f) {
    *error = ErrorReply(Dialect::kV2, ParamError("Sort", "Sort must be " + std::string(field) + ":ASC or " +
                                                             std::string(field) + ":DESC"));
    return false;
  }
  return true;
}

Answer Create(App& app, Request& req) {
  rapidjson::Document d;
  if (Status st = ParseJsonObject(req.body, &d); !st.ok()) return RefuseRequest(app, Dialect::kV2, req, st);
  Binder b;
  service::CreateHook cmd;
  cmd.hook->id = NewId("hook_m_", req.now_ms);
  if (auto v = b.Str(d, "EventType", true)) cmd.hook->event_type = *v;
  if (auto v = b.Str(d, "Url", true)) cmd.hook->url = *v;
  if (auto v = b.Str(d, "Tag", false)) cmd.hook->tag = *v;
  if (!b.ok()) return RefuseRequest(app, Dialect::kV2, req, Status::Invalid("invalid"), b.errors());
  return Deferred{std::move(cmd), HookReply};
}

Answer Update(App& app, Request& req) {
  rapidjson::Document d;
  if (Status st = ParseJsonObject(req.body, &d); !st.ok()) return RefuseRequest(app, Dialect::kV2, req, st);
  Binder b;
  service::UpdateHook cmd;
  cmd.hook_id = req.params[0];
  cmd.url = b.Str(d, "Url", false);
  cmd.tag = b.Str(d, "Tag", false);
  if (auto v = b.Str(d, "Status", false)) {
    if (*v == "ENABLED") cmd.enabled = true;
    else if (*v == "DISABLED") cmd.enabled = false;
    else b.Add("Status", "Status must be ENABLED or DISABLED.");
  }
  // Validity and EventType are read-only (the SDK sends them back): ignored.
  if (!b.ok()) return RefuseRequest(app, Dialect::kV2, req, Status::Invalid("invalid"), b.errors());
  return Deferred{std::move(cmd), HookReply};
}

Answer Get(App&, Request& req) { return Deferred{service::GetHook{req.params[0]}, HookReply}; }

// The page and order a hooks list asks for; false (and `error`) when the query is invalid.
bool HookListQuery(const Request& req, Page* page, bool* desc, Reply* error) {
  return V2PageOf(req, page, error) && SortDescending(req, "CreationDate", desc, error);
}

Reply HookListReply(const Request& req, const service::Outcome& o) {
  if (!o.ok()) return V2Refusal(req, o);
  Page page;
  Reply bad;
  bool desc = false;
  if (!HookListQuery(req, &page, &desc, &bad)) return bad;  // checked before the command ran
  std::vector<Hook> hooks = std::get<service::HookList>(o.value).items;
  if (desc) std::reverse(hooks.begin(), hooks.end());  // creation order, newest first
  std::vector<std::string> items;
  int64_t start = (page.page - 1) * page.per_page;
  for (int64_t i = start; i < static_cast<int64_t>(hooks.size()) && i < start + page.per_page; ++i) {
    items.push_back(RenderHook(hooks[static_cast<size_t>(i)]));
  }
  return ArrayPage(req, page, items, static_cast<int64_t>(hooks.size()));
}

Answer List(App&, Request& req) {
  Page page;
  Reply bad;
  bool desc = false;
  if (!HookListQuery(req, &page, &desc, &bad)) return bad;
  return Deferred{service::ListHooks{}, HookListReply};
}

bool DateParam(const Request& req, const char* name, int64_t* out, Reply* error) {
  auto it = req.query.find(ToLower(name));
  if (it == req.query.end() || it->second.empty()) return true;
  const std::string& v = it->second;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), *out);
  if (ec != std::errc() || end != v.data() + v.size()) {
    *error = ErrorReply(Dialect::kV2, ParamError(name, std::string(name) + " must be a unix timestamp"));
    return false;
  }
  return true;
}

Reply Events(App& app, Request& req) {
  Page page;
  Reply bad;
  service::EventFilter f;
  if (!V2PageOf(req, &page, &bad) || !SortDescending(req, "Date", &f.newest_first, &bad) ||
      !DateParam(req, "AfterDate", &f.after_date, &bad) ||
      !DateParam(req, "BeforeDate", &f.before_date, &bad)) {
    return bad;
  }
  if (auto it = req.query.find("eventtype"); it != req.query.end()) f.event_type = it->second;
  f.offset = (page.page - 1) * page.per_page;
  f.limit = page.per_page;
  auto list = app.service->ListEvents(req.client_id, f);
  if (!list.ok()) return ErrorReply(Dialect::kV2, ErrorFromStatus(list.status()));
  std::vector<std::string> items;
  for (const service::EventItem& e : list->items) {
    items.push_back("{\"ResourceId\":" + JsonQuote(e.resource_id) +
                    ",\"EventType\":" + JsonQuote(e.event_type) + ",\"Date\":" + std::to_string(e.date) + "}");
  }
  return ArrayPage(req, page, items, list->total);
}

}  // namespace

const std::vector<Route>& HookRoutes() {
  static const std::vector<Route> kRoutes = {
      {"POST", "hooks", Create},
      {"GET", "hooks", List},
      {"GET", "hooks/{HookId}", Get},
      {"PUT", "hooks/{HookId}", Update},
      {"GET", "events", Events},
  };
  return kRoutes;
}

}  // namespace splitledger::api
