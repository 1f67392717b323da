#include "router.h"

namespace splitledger::api {

namespace {
std::vector<std::string> Segments(const char* path) {
  std::vector<std::string> out;
  std::string cur;
  for (const char* p = path; *p; ++p) {
    if (*p == '/') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(*p);
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}
}  // namespace

RouteMatch MatchRoute(const std::vector<Route>& table, const std::vector<std::string>& segments,
                      const std::string& method) {
  RouteMatch m;
  for (const Route& r : table) {
    std::vector<std::string> pattern = Segments(r.path);
    if (pattern.size() != segments.size()) continue;
    std::vector<std::string> params;
    bool ok = true;
    for (size_t i = 0; i < pattern.size() && ok; ++i) {
      if (pattern[i].front() == '{') {
        params.push_back(segments[i]);
      } else {
        ok = IEquals(pattern[i], segments[i]);
      }
    }
    if (!ok) continue;
    m.path_known = true;
    if (method == r.method) {
      m.route = &r;
      m.params = std::move(params);
      return m;
    }
  }
  return m;
}

}  // namespace splitledger::api
