#include "shards.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/URI.h>

#include <fstream>
#include <sstream>

#include "json.h"

namespace splitledger::api {

std::optional<ShardMap> ShardMap::Load(const std::string& path, const std::string& self,
                                       std::string* error) {
  std::ifstream f(path);
  std::stringstream text;
  text << f.rdbuf();
  if (!f) {
    *error = "cannot read " + path;
    return std::nullopt;
  }
  rapidjson::Document d;
  if (Status st = ParseJsonObject(text.str(), &d); !st.ok()) {
    *error = path + ": " + st.message();
    return std::nullopt;
  }
  ShardMap map;
  map.self_ = self;
  auto object = [&](const char* name) -> const JValue* {
    auto it = d.FindMember(name);
    return it != d.MemberEnd() && it->value.IsObject() ? &it->value : nullptr;
  };
  const JValue* shards = object("shards");
  const JValue* clients = object("clients");
  if (shards == nullptr || clients == nullptr) {
    *error = path + ": needs the objects \"shards\" and \"clients\"";
    return std::nullopt;
  }
  for (const auto& m : shards->GetObject()) {
    if (!m.value.IsString()) {
      *error = path + ": shard " + m.name.GetString() + " needs a base URL";
      return std::nullopt;
    }
    std::string url = m.value.GetString();
    while (!url.empty() && url.back() == '/') url.pop_back();
    if (url.rfind("http://", 0) != 0) {
      *error = path + ": shard " + m.name.GetString() +
               ": an http:// base URL (shards talk on the internal network)";
      return std::nullopt;
    }
    map.shard_urls_[m.name.GetString()] = url;
  }
  if (map.shard_urls_.count(self) == 0) {
    *error = path + ": this server's shard '" + self + "' is not in \"shards\"";
    return std::nullopt;
  }
  for (const auto& m : clients->GetObject()) {
    if (!m.value.IsString() || map.shard_urls_.count(m.value.GetString()) == 0) {
      *error = path + ": client " + m.name.GetString() + " is mapped to an unknown shard";
      return std::nullopt;
    }
    map.client_shard_[m.name.GetString()] = m.value.GetString();
  }
  return map;
}

std::optional<std::string> ShardMap::Elsewhere(const std::string& client_id) const {
  auto it = client_shard_.find(client_id);
  if (it == client_shard_.end() || it->second == self_) return std::nullopt;
  return shard_urls_.at(it->second);
}

namespace {
constexpr const char* kForwardedHeader = "x-splitledger-forwarded-by";
bool HopByHop(const std::string& lower) {
  return lower == "connection" || lower == "keep-alive" || lower == "transfer-encoding" ||
         lower == "te" || lower == "upgrade" || lower == "proxy-authorization" || lower == "host" ||
         lower == "content-length" || lower == "expect";
}
}  // namespace

Reply ShardMap::Forward(const std::string& base, const HttpRequest& request, Dialect errors) const {
  auto refuse = [&](int status, const char* type, const std::string& message) {
    ApiError e;
    e.status = status;
    e.type = type;
    e.message = message;
    return ErrorReply(errors, e);
  };
  if (Forwarded(request)) {
    return refuse(421, "misdirected_request",
                  "Forwarded twice: the shards' maps disagree about this client");
  }
  Poco::URI uri(base);
  Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
  Poco::Net::HTTPRequest out(request.method, request.target, Poco::Net::HTTPMessage::HTTP_1_1);
  for (const auto& [name, value] : request.headers) {
    if (!HopByHop(name)) out.add(name, value);
  }
  out.set(kForwardedHeader, self_);
  if (const std::string* host = request.Header("host")) out.setHost(*host);
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
    out.setContentLength(static_cast<std::streamsize>(request.body.size()));
  }
  try {
    session.setTimeout(Poco::Timespan(5, 0), Poco::Timespan(30, 0), Poco::Timespan(30, 0));
    session.sendRequest(out) << request.body;
  } catch (const Poco::Exception&) {
    return refuse(503, "service_unavailable",
                  "The shard serving this client cannot be reached; retry later");
  }
  try {
    Poco::Net::HTTPResponse in;
    std::istream& body = session.receiveResponse(in);
    Reply reply;
    reply.status = static_cast<int>(in.getStatus());
    std::ostringstream text;
    text << body.rdbuf();
    reply.body = text.str();
    reply.content_type = in.getContentType();
    for (const auto& [name, value] : in) {
      std::string lower = ToLower(name);
      // Ours are added by this server (rate limits, Date, Content-Type, Content-Length).
      if (HopByHop(lower) || lower == "date" || lower == "content-type" ||
          lower.rfind("x-ratelimit", 0) == 0) {
        continue;
      }
      reply.headers.emplace_back(name, value);
    }
    bool named = false;
    for (const auto& h : reply.headers) named = named || IEquals(h.first, "x-splitledger-shard");
    if (!named) {
      for (const auto& [name, url] : shard_urls_) {
        if (url == base) reply.headers.emplace_back("X-Splitledger-Shard", name);
      }
    }
    return reply;
  } catch (const Poco::Exception&) {
    return refuse(
        504, "gateway_timeout",
        "The shard serving this client took the request and did not answer in time: "
        "its outcome is unknown (retry with the same Idempotency-Key, or read the object)");
  }
}

std::vector<std::string> ShardMap::Others() const {
  std::vector<std::string> out;
  for (const auto& [name, url] : shard_urls_) {
    if (name != self_) out.push_back(url);
  }
  return out;
}

bool ShardMap::Forwarded(const HttpRequest& request) {
  return request.Header(kForwardedHeader) != nullptr;
}

}  // namespace splitledger::api
