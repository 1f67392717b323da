#include "http.h"

#include "splitledger/api/extension.h"

#include "auth.h"

#include <strings.h>

#include <cerrno>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <cstdio>

#include "splitledger/core/ids.h"

namespace splitledger::api {

namespace {
constexpr const char* kParamMessage =
    "One or several required parameters are missing or incorrect. An incorrect resource ID also "
    "raises this kind of error.";
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string ErrorId() {
  std::string h = RandomHex(16);
  h[12] = '4';
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" +
         h.substr(20, 12);
}

ApiError ParamError(FieldErrors errors) {
  ApiError e;
  e.status = 400;
  e.type = "param_error";
  e.message = kParamMessage;
  e.errors = std::move(errors);
  return e;
}

ApiError ParamError(std::string field, std::string message) {
  FieldErrors errors;
  errors.emplace_back(std::move(field), std::move(message));
  return ParamError(std::move(errors));
}

ApiError NotFoundError(std::string field, std::string message) {
  ApiError e;
  e.status = 404;
  e.type = "ressource_not_found";
  e.message = "Cannot found the ressource with the given identifier";
  e.errors.emplace_back(std::move(field), std::move(message));
  return e;
}

ApiError ErrorFromStatus(const Status& st) {
  std::string field = st.field().empty() ? "Request" : st.field();
  switch (st.code()) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kRuleViolation:
    case ErrorCode::kOverflow:
      return ParamError(field, st.message());
    case ErrorCode::kNotFound:
      return NotFoundError(field, st.message());
    case ErrorCode::kAlreadyExists: {
      ApiError e;
      e.status = 409;
      e.type = "conflict";
      e.message = st.message();
      e.errors.emplace_back(field, st.message());
      return e;
    }
    case ErrorCode::kUnauthenticated: {
      ApiError e;
      e.status = 401;
      e.type = "authentication_error";
      e.message = st.message();
      return e;
    }
    case ErrorCode::kPermissionDenied: {
      ApiError e;
      e.status = 403;
      e.type = "forbidden_ressource";
      e.message = st.message();
      return e;
    }
    case ErrorCode::kUnavailable: {
      ApiError e;
      e.status = 503;
      e.type = "service_unavailable";
      e.message = "The service is temporarily unavailable; retry the request";
      return e;
    }
    default: {
      ApiError e;
      e.status = 500;
      e.type = "internal_error";
      e.message = "Internal server error";
      e.log_detail = st.ToString();
      return e;
    }
  }
}

Reply JsonReply(std::string body, int status) {
  Reply r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

std::string StableErrorId(std::string_view seed) {
  std::string h = Sha256Hex(seed).substr(0, 32);
  h[12] = '5';  // a name-based UUID
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" +
         h.substr(20, 12);
}

Reply ErrorReply(Dialect dialect, const ApiError& e, const std::string& id, int64_t date_s) {
  rapidjson::StringBuffer sb;
  JWriter w(sb);
  w.StartObject();
  if (dialect == Dialect::kOrchestration) {
    WKey(w, "detail");
    WStr(w, e.message);
  } else if (dialect == Dialect::kOAuth) {
    WKey(w, "error");
    WStr(w, e.type);
    if (!e.message.empty()) {
      WKey(w, "error_description");
      WStr(w, e.message);
    }
  } else {
    WKey(w, "Message");
    WStr(w, e.message);
    WKey(w, "Type");
    WStr(w, e.type);
    WKey(w, "Id");
    WStr(w, id.empty() ? ErrorId() : id);
    WKey(w, "Date");
    w.Int64(date_s >= 0 ? date_s : NowMs() / 1000);
    WKey(w, dialect == Dialect::kV3 ? "Errors" : "errors");
    if (e.errors.empty()) {
      w.Null();
    } else {
      w.StartObject();
      for (const auto& [k, v] : e.errors) {
        WKey(w, k);
        WStr(w, v);
      }
      w.EndObject();
    }
  }
  w.EndObject();
  Reply r;
  r.status = e.status;
  r.body.assign(sb.GetString(), sb.GetSize());
  r.log_detail = e.log_detail;
  return r;
}

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

namespace {
std::string UrlDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() &&
               std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}
}  // namespace

Query ParseQuery(std::string_view q) {
  Query out;
  size_t pos = 0;
  while (pos <= q.size()) {
    size_t amp = q.find('&', pos);
    if (amp == std::string_view::npos) amp = q.size();
    std::string_view part = q.substr(pos, amp - pos);
    if (!part.empty()) {
      size_t eq = part.find('=');
      std::string key = ToLower(UrlDecode(part.substr(0, eq)));
      std::string val = eq == std::string_view::npos ? "" : UrlDecode(part.substr(eq + 1));
      out[key] = val;
    }
    pos = amp + 1;
  }
  return out;
}

bool ParsePage(const Query& q, Page* out, FieldErrors* errors) {
  auto read = [&](const char* name, int64_t* dst, int64_t lo, int64_t hi) {
    auto it = q.find(name);
    if (it == q.end() || it->second.empty()) return true;
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(it->second.c_str(), &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi) {
      errors->emplace_back(name, std::string("The ") + name + " parameter must be an integer between " +
                                     std::to_string(lo) + " and " + std::to_string(hi) + ".");
      return false;
    }
    *dst = v;
    return true;
  };
  bool ok = read("page", &out->page, 1, 1000000000);
  ok = read("per_page", &out->per_page, 1, 100) && ok;
  return ok;
}

void AddPaginationHeaders(Reply& reply, const Page& page, int64_t total, const std::string& base) {
  int64_t pages = total == 0 ? 0 : (total + page.per_page - 1) / page.per_page;
  reply.headers.emplace_back("x-number-of-pages", std::to_string(pages));
  reply.headers.emplace_back("x-number-of-items", std::to_string(total));
  auto url = [&](int64_t p) {
    return "<" + base + "?page=" + std::to_string(p) + "&per_page=" + std::to_string(page.per_page) + ">";
  };
  std::string link = url(1) + "; rel=\"first\"";
  if (page.page > 1) link += ", " + url(page.page - 1) + "; rel=\"prev\"";
  if (page.page < pages) link += ", " + url(page.page + 1) + "; rel=\"next\"";
  link += ", " + url(pages < 1 ? 1 : pages) + "; rel=\"last\"";
  reply.headers.emplace_back("link", link);
}

}  // namespace splitledger::api
