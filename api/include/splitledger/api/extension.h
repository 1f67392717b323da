// Extensions of `splitledger serve`: code of a higher level (wired by apps/) that serves a path
// prefix of its own next to the dialects — the web console is one (admin/). The server hands
// each request under the prefix to the extension through this small interface, so the extension
// never sees the front door's types and api never depends on it (an extension boundary, as
// Envoy's filters or DuckDB's extensions).
//
// Contracts: Handle() runs on an HTTP worker thread, concurrently; it must not throw. Start() is
// called once after the service is open and before the first request; Stop() once at shutdown,
// after the last request.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace splitledger::service {
class Service;
}

namespace splitledger::api {

struct WebRequest {
  std::string method;                                        // upper case
  std::string path;                                          // without the query
  std::string query;                                         // after '?', raw
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;
  bool secure = false;    // arrived over TLS
  bool loopback = false;  // from this host
  const std::string* Header(const std::string& lower_name) const {
    for (const auto& [k, v] : headers) {
      if (k == lower_name) return &v;
    }
    return nullptr;
  }
};

struct WebReply {
  int status = 200;
  std::string content_type = "text/html; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct ServeContext {
  std::string db_url;
  service::Service* service = nullptr;  // the running writer: commands go through it
};

class ServeExtension {
 public:
  virtual ~ServeExtension() = default;
  virtual std::string prefix() const = 0;  // e.g. "/console": the path itself and below
  virtual void Start(const ServeContext& context) = 0;
  virtual WebReply Handle(const WebRequest& request) = 0;
  virtual void Stop() {}
};

using Extensions = std::vector<std::unique_ptr<ServeExtension>>;

// Text made safe inside HTML elements and quoted attributes (& < > " ').
std::string HtmlEscape(std::string_view text);

}  // namespace splitledger::api
