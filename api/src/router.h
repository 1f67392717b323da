// Routing tables: one per dialect, each the single list of its routes (method, path template,
// translator). A template is a list of literal segments (matched case-insensitively) and
// {Placeholders} (captured in order into Request::params). A trailing slash is ignored.
#pragma once

#include <string>
#include <vector>

#include "app.h"

namespace splitledger::api {

// A translator answers with a reply, or (DeferringTranslator) with a command whose durable outcome
// becomes the reply without a thread waiting for it (app.h, Deferred).
using Translator = Reply (*)(App& app, Request& req);
using DeferringTranslator = Answer (*)(App& app, Request& req);

struct Route {
  Route(const char* method, const char* path, Translator handler, bool sca_triggering = false)
      : method(method), path(path), sca_triggering(sca_triggering), replies_(handler) {}
  Route(const char* method, const char* path, DeferringTranslator handler,
        bool sca_triggering = false)
      : method(method), path(path), sca_triggering(sca_triggering), defers_(handler) {}

  // Runs the route's translator.
  Answer Translate(App& app, Request& req) const {
    return replies_ != nullptr ? Answer(replies_(app, req)) : defers_(app, req);
  }

  const char* method;
  const char* path;  // after the dialect's prefix, e.g. "users/natural/{UserId}"
  // SCA-triggering for Mangopay (account access: a user's wallet balances and transactions).
  // A platform acting under proxy declares ScaContext=USER_NOT_PRESENT here; it needs the mTLS
  // listener and a certificate-bound token, as it does on any route (server.cc).
  bool sca_triggering = false;

 private:
  Translator replies_ = nullptr;
  DeferringTranslator defers_ = nullptr;
};
inline constexpr bool kScaTriggering = true;

struct RouteMatch {
  const Route* route = nullptr;  // the route to run, or nullptr
  bool path_known = false;       // some route has this path (so: 405 rather than 404)
  std::vector<std::string> params;
};

RouteMatch MatchRoute(const std::vector<Route>& table, const std::vector<std::string>& segments,
                      const std::string& method);

}  // namespace splitledger::api
