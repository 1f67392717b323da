#include "splitledger/admin/console.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <chrono>
#include <ctime>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "splitledger/admin/password.h"
#include "splitledger/ledger/reports.h"
#include "splitledger/ledger/store.h"
#include "splitledger/ledger/verify.h"
#include "splitledger/service/service.h"

namespace splitledger::admin {

namespace {

using api::WebReply;
using api::WebRequest;

constexpr int64_t kSessionIdleSeconds = 30 * 60;
constexpr int64_t kSessionMaxSeconds = 8 * 3600;  // signed out after this, active or not
constexpr int kConcurrentSignIns = 2;             // PBKDF2 runs at once (each ~0.2 s of a core)
constexpr int kFailuresBeforePause = 5;           // per name, then refused for kPauseSeconds
constexpr int64_t kPauseSeconds = 15 * 60;
constexpr const char* kSessionCookie = "sl_session";
constexpr const char* kLoginCookie = "sl_login";

bool SameSecret(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}
int64_t NowS() { return static_cast<int64_t>(std::time(nullptr)); }

std::string Esc(const std::string& s) { return api::HtmlEscape(s); }
std::string UrlEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}
std::string UrlDecode(const std::string& s, bool plus_is_space = true) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+' && plus_is_space) {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() &&
               std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}
std::map<std::string, std::string> ParseForm(const std::string& s) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t amp = s.find('&', pos);
    if (amp == std::string::npos) amp = s.size();
    std::string part = s.substr(pos, amp - pos);
    if (!part.empty()) {
      size_t eq = part.find('=');
      out[UrlDecode(part.substr(0, eq))] =
          eq == std::string::npos ? "" : UrlDecode(part.substr(eq + 1));
    }
    pos = amp + 1;
  }
  return out;
}
std::string Cookie(const WebRequest& r, const std::string& name) {
  const std::string* h = r.Header("cookie");
  if (h == nullptr) return {};
  size_t pos = 0;
  while (pos < h->size()) {
    size_t semi = h->find(';', pos);
    if (semi == std::string::npos) semi = h->size();
    std::string kv = h->substr(pos, semi - pos);
    while (!kv.empty() && kv.front() == ' ') kv.erase(kv.begin());
    if (kv.compare(0, name.size() + 1, name + "=") == 0) return kv.substr(name.size() + 1);
    pos = semi + 1;
  }
  return {};
}
std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string::npos) slash = path.size();
    if (slash > pos) out.push_back(UrlDecode(path.substr(pos, slash - pos), false));
    pos = slash + 1;
  }
  return out;
}
std::string Iso(int64_t t) {
  time_t tt = static_cast<time_t>(t);
  struct tm tm {};
  gmtime_r(&tt, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}
std::string Money(int64_t minor) {  // minor units, grouped for reading: 1 234 567
  std::string digits = std::to_string(minor < 0 ? -minor : minor);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += "\u202f";
    out += digits[i];
  }
  return (minor < 0 ? "\u2212" : "") + out;
}
std::string Figure(const char* name, int64_t v) {
  return "<span data-figure=\"" + std::string(name) + "\" data-value=\"" + std::to_string(v) +
         "\">" + Money(v) + "</span>";
}

// A line chart of a running balance: inline SVG, no script.
std::string BalanceChart(const ledger::Statement& st) {
  std::vector<std::pair<int64_t, int64_t>> points;  // (time, balance)
  int64_t t0 = st.movements.empty() ? 0 : st.movements.front().at;
  points.emplace_back(t0, st.opening_balance);
  for (const auto& m : st.movements) points.emplace_back(m.at, m.balance);
  int64_t tmin = points.front().first, tmax = points.back().first;
  int64_t bmin = 0, bmax = 0;
  for (const auto& [t, b] : points) {
    bmin = std::min(bmin, b);
    bmax = std::max(bmax, b);
  }
  const double w = 640, h = 200, pad = 24;
  auto x = [&](size_t i, int64_t t) {
    // Evenly by movement when all happen in one second, else by time.
    double f = tmax > tmin ? double(t - tmin) / double(tmax - tmin)
                           : (points.size() > 1 ? double(i) / double(points.size() - 1) : 0.0);
    return pad + f * (w - 2 * pad);
  };
  auto y = [&](int64_t b) {
    double f = bmax > bmin ? double(b - bmin) / double(bmax - bmin) : 0.5;
    return h - pad - f * (h - 2 * pad);
  };
  std::string poly;
  for (size_t i = 0; i < points.size(); ++i) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s%.1f,%.1f", i ? " " : "", x(i, points[i].first),
                  y(points[i].second));
    poly += buf;
  }
  char zero[128];
  std::snprintf(zero, sizeof zero,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>", pad, y(0),
                w - pad, y(0));
  return "<svg class=\"chart\" viewBox=\"0 0 640 200\" role=\"img\" aria-label=\"balance over "
         "time\" "
         "data-points=\"" +
         std::to_string(points.size()) + "\">" + zero +
         "<polyline fill=\"none\" stroke=\"#1f6feb\" stroke-width=\"2\" points=\"" + poly +
         "\"/>"
         "<text x=\"4\" y=\"14\" class=\"lbl\">" +
         Money(bmax) +
         "</text>"
         "<text x=\"4\" y=\"196\" class=\"lbl\">" +
         Money(bmin) + "</text></svg>";
}

// `verify` run from the console: one at a time, in the background; the page shows its step.
struct VerifyRun {
  bool running = false;
  std::string started_by;
  int64_t started_at = 0, finished_at = 0;
  std::string step;
  std::optional<bool> ok;  // set when it finished
  std::string summary;
  std::vector<std::string> differences;
};

struct Session {
  std::string user;
  std::string csrf;
  int64_t last_seen = 0;
  int64_t created_at = 0;
  std::string credential;  // SHA-256 of the password hash signed in with
};
struct Failures {
  int count = 0;
  int64_t last = 0;
};

class Console final : public api::ServeExtension {
 public:
  std::string prefix() const override { return "/console"; }
  void Start(const api::ServeContext& c) override { ctx_ = c; }
  void Stop() override {
    if (verify_thread_.joinable()) verify_thread_.join();
  }
  ~Console() override { Stop(); }

  WebReply Handle(const WebRequest& r) override {
    try {
      return Route(r);
    } catch (...) {
      return Page(500, "Error", "<p>The page could not be built.</p>", {});
    }
  }

 private:
  WebReply Route(const WebRequest& r) {
    // Its cookies are Secure: over TLS, or from this host (an SSH tunnel), nothing else.
    if (!r.secure && !r.loopback)
      return Page(403, "Refused",
                  "<p>The console is served over HTTPS, or on the server's own host.</p>", {});
    std::vector<std::string> s = Split(r.path);  // "console", …
    if (s.size() == 2 && s[1] == "login") return r.method == "POST" ? Login(r) : LoginForm("");
    std::optional<Session> session = CurrentSession(r);
    if (!session) return SeeOther("/console/login");
    if (r.method == "POST") {
      if (!CsrfOk(r, ParseForm(r.body), session->csrf))
        return Page(403, "Refused", "<p>This form is stale or came from elsewhere.</p>", session);
      if (s.size() == 2 && s[1] == "logout") return Logout(r);
      if (s.size() == 2 && s[1] == "verify") return StartVerify(*session);
      return Page(404, "Not found", "<p>No such page.</p>", session);
    }
    if (r.method != "GET" && r.method != "HEAD")
      return Page(405, "Method not allowed", "", session);
    auto store = OpenReader();
    if (!store) return Page(503, "Unavailable", "<p>The database cannot be read now.</p>", session);
    if (s.size() == 1) return Clients(**store, *session);
    if (s.size() == 2 && s[1] == "verify") return VerifyPage(*session);
    if (s.size() >= 3 && s[1] == "clients") {
      const std::string& client = s[2];
      if (s.size() == 4 && s[3] == "trial-balance")
        return TrialBalancePage(**store, client, *session);
      if (s.size() == 4 && s[3] == "wallets") return WalletsPage(**store, client, *session);
      if (s.size() == 6 && s[3] == "wallets" && s[5] == "statement")
        return StatementPage(**store, client, s[4], *session);
      if (s.size() == 4 && s[3] == "reconcile") return ReconcilePage(**store, client, *session);
      if (s.size() == 4 && s[3] == "journal") return JournalPage(**store, client, r, *session);
      if (s.size() == 4 && s[3] == "settlements") return SettlementsPage(**store, client, *session);
      if (s.size() == 4 && s[3] == "deliveries") return DeliveriesPage(**store, client, *session);
    }
    return Page(404, "Not found", "<p>No such page.</p>", session);
  }

  // ---- sessions ----
  std::optional<Session> CurrentSession(const WebRequest& r) {
    std::string token = Cookie(r, kSessionCookie);
    if (token.empty()) return std::nullopt;
    std::unique_lock<std::mutex> lock(mu_);
    auto it = sessions_.find(Sha256(token));
    if (it == sessions_.end()) return std::nullopt;
    int64_t now = NowS();
    if (now - it->second.last_seen > kSessionIdleSeconds ||
        now - it->second.created_at > kSessionMaxSeconds) {
      sessions_.erase(it);
      return std::nullopt;
    }
    it->second.last_seen = now;
    Session session = it->second;
    std::string key = it->first;
    lock.unlock();
    // Still a user, enabled, with the password it signed in with: else the session ends now.
    service::Outcome o = ctx_.service->Execute(
        service::Envelope{{"", NowS() * 1000}, service::FindAdminUser{session.user}, std::nullopt});
    if (!o.ok() ||
        Sha256(std::get<service::Box<AdminUser>>(o.value)->password_hash) != session.credential) {
      lock.lock();
      sessions_.erase(key);
      return std::nullopt;
    }
    return session;
  }
  static bool OriginOk(const WebRequest& r) {
    const std::string* origin = r.Header("origin");
    const std::string* host = r.Header("host");
    if (origin == nullptr) return true;  // not sent: SameSite and the token decide
    if (host == nullptr) return false;
    return *origin == "http://" + *host || *origin == "https://" + *host;
  }
  static bool CsrfOk(const WebRequest& r, const std::map<std::string, std::string>& form,
                     const std::string& expected) {
    auto it = form.find("csrf");
    return OriginOk(r) && it != form.end() && !expected.empty() && SameSecret(it->second, expected);
  }
  std::string CookieAttributes() const {
    return "; Path=/console; HttpOnly; Secure; SameSite=Strict";
  }

  WebReply LoginForm(const std::string& error) {
    std::string nonce = RandomToken();
    std::string body =
        (error.empty() ? "" : "<p class=\"error\" role=\"alert\">" + Esc(error) + "</p>") +
        "<form method=\"post\" action=\"/console/login\" class=\"login\">"
        "<input type=\"hidden\" name=\"csrf\" value=\"" +
        nonce +
        "\">"
        "<label>Name <input name=\"name\" autocomplete=\"username\" required></label>"
        "<label>Password <input name=\"password\" type=\"password\" "
        "autocomplete=\"current-password\" required></label>"
        "<button type=\"submit\">Sign in</button></form>";
    WebReply reply = Page(error.empty() ? 200 : 401, "Sign in", body, std::nullopt);
    reply.headers.emplace_back("Set-Cookie",
                               std::string(kLoginCookie) + "=" + nonce + CookieAttributes());
    return reply;
  }

  WebReply Login(const WebRequest& r) {
    auto form = ParseForm(r.body);
    std::string nonce = Cookie(r, kLoginCookie);
    if (!CsrfOk(r, form, nonce))
      return Page(403, "Refused", "<p>This form is stale or came from elsewhere.</p>", {});
    std::string name = form["name"], password = form["password"];
    // Guessing is slowed per name, and PBKDF2 runs at most kConcurrentSignIns at once, so a
    // flood of sign-ins cannot take the cores from the payments API.
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto f = failures_.find(name);
      if (f != failures_.end() && f->second.count >= kFailuresBeforePause &&
          NowS() - f->second.last < kPauseSeconds)
        return Page(429, "Sign in",
                    "<p class=\"error\" role=\"alert\">Too many failed attempts for this name; try "
                    "again later.</p>",
                    {});
      if (verifying_ >= kConcurrentSignIns)
        return Page(429, "Sign in",
                    "<p class=\"error\" role=\"alert\">Busy; try again in a moment.</p>", {});
      ++verifying_;
    }
    struct Done {
      Console* c;
      ~Done() {
        std::lock_guard<std::mutex> lock(c->mu_);
        --c->verifying_;
      }
    } done{this};
    service::Outcome o = ctx_.service->Execute(
        service::Envelope{{"", NowS() * 1000}, service::FindAdminUser{name}, std::nullopt});
    // The same answer, and the same work, for an unknown name as for a wrong password.
    static const std::string kDummy = HashPassword("not a password");
    const std::string& stored =
        o.ok() ? std::get<service::Box<AdminUser>>(o.value)->password_hash : kDummy;
    bool good = VerifyPassword(password, stored) && o.ok();
    if (!good) {
      std::lock_guard<std::mutex> lock(mu_);
      Failures& f = failures_[name.substr(0, 64)];
      if (NowS() - f.last > kPauseSeconds) f.count = 0;
      ++f.count;
      f.last = NowS();
      if (failures_.size() > 10000) failures_.clear();  // bounded: names are attacker-chosen
      return LoginForm("Wrong name or password.");
    }
    std::string token = RandomToken();
    Session session{name, RandomToken(), NowS(), NowS(), Sha256(stored)};
    {
      std::lock_guard<std::mutex> lock(mu_);
      failures_.erase(name);
      for (auto it = sessions_.begin(); it != sessions_.end();) {  // expired ones go now
        it = NowS() - it->second.last_seen > kSessionIdleSeconds ? sessions_.erase(it)
                                                                 : std::next(it);
      }
      sessions_[Sha256(token)] = session;
    }
    WebReply reply = SeeOther("/console");
    reply.headers.emplace_back("Set-Cookie",
                               std::string(kSessionCookie) + "=" + token + CookieAttributes());
    reply.headers.emplace_back("Set-Cookie",
                               std::string(kLoginCookie) + "=; Max-Age=0" + CookieAttributes());
    return reply;
  }

  WebReply Logout(const WebRequest& r) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      sessions_.erase(Sha256(Cookie(r, kSessionCookie)));
    }
    WebReply reply = SeeOther("/console/login");
    reply.headers.emplace_back("Set-Cookie",
                               std::string(kSessionCookie) + "=; Max-Age=0" + CookieAttributes());
    return reply;
  }

  // ---- pages ----
  std::optional<std::unique_ptr<ledger::Store>> OpenReader() {
    ledger::StoreOptions o;
    o.url = ctx_.db_url;
    o.writer = false;
    auto store = ledger::Store::Open(o);
    if (!store.ok()) return std::nullopt;
    return std::move(*store);
  }

  WebReply Clients(ledger::Store& store, const Session& session) {
    auto ids = ledger::ListClients(store);
    if (!ids.ok()) return Page(503, "Unavailable", "", session);
    std::string body = "<table><thead><tr><th>Platform client</th><th></th></tr></thead><tbody>";
    for (const std::string& id : *ids) {
      std::string base = "/console/clients/" + UrlEncode(id);
      body += "<tr><td>" + Esc(id) + "</td><td><a href=\"" + base +
              "/trial-balance\">trial balance</a> · <a href=\"" + base +
              "/wallets\">wallets</a> · <a href=\"" + base +
              "/reconcile\">reconciliation</a></td></tr>";
    }
    return Page(200, "Platform clients", body + "</tbody></table>", session);
  }

  WebReply TrialBalancePage(ledger::Store& store, const std::string& client,
                            const Session& session) {
    auto tb = ledger::ComputeTrialBalance(store, client, "", std::nullopt);
    if (!tb.ok()) return Page(503, "Unavailable", "", session);
    std::string body = Nav(client) +
                       "<table><thead><tr><th>Currency</th><th>Kind</th><th>Ref</th>"
                       "<th class=\"n\">Debits</th><th class=\"n\">Credits</th><th "
                       "class=\"n\">Balance</th></tr></thead><tbody>";
    for (const auto& l : tb->accounts) {
      body += "<tr><td>" + Esc(l.key.currency) + "</td><td>" + Esc(l.key.kind) + "</td><td>" +
              Esc(l.key.ref) + "</td><td class=\"n\">" + Money(l.debits) + "</td><td class=\"n\">" +
              Money(l.credits) + "</td><td class=\"n\">" + Money(l.balance()) + "</td></tr>";
    }
    body += "</tbody><tfoot>";
    bool balanced = true;
    for (const auto& t : tb->totals) {
      balanced = balanced && t.debits == t.credits;
      body += "<tr data-currency=\"" + Esc(t.currency) + "\"><th colspan=\"3\">Total " +
              Esc(t.currency) + "</th><td class=\"n\">" + Figure("debits", t.debits) +
              "</td><td class=\"n\">" + Figure("credits", t.credits) + "</td><td class=\"n\">" +
              Money(t.debits - t.credits) + "</td></tr>";
    }
    body += "</tfoot></table><p data-figure=\"balanced\" data-value=\"" +
            std::string(balanced ? "1" : "0") + "\" class=\"" + (balanced ? "ok" : "bad") + "\">" +
            (balanced ? "Every currency nets to zero." : "NOT BALANCED") + " Log position " +
            std::to_string(tb->as_of_lsn) + ".</p>";
    return Page(200, "Trial balance · " + client, body, session);
  }

  WebReply WalletsPage(ledger::Store& store, const std::string& client, const Session& session) {
    auto tb = ledger::ComputeTrialBalance(store, client, "", std::nullopt);
    if (!tb.ok()) return Page(503, "Unavailable", "", session);
    std::string body = Nav(client) +
                       "<table><thead><tr><th>Wallet</th><th>Currency</th><th "
                       "class=\"n\">Balance</th><th></th></tr></thead><tbody>";
    for (const auto& l : tb->accounts) {
      if (!ledger::CreditNormal(l.key.kind)) continue;
      std::string id = l.key.kind == "wallet"          ? l.key.ref
                       : l.key.kind == "client_fees"   ? "FEES_" + l.key.currency
                       : l.key.kind == "client_credit" ? "CREDIT_" + l.key.currency
                                                       : "ESCROW_" + l.key.currency;
      body += "<tr><td>" + Esc(id) + "</td><td>" + Esc(l.key.currency) + "</td><td class=\"n\">" +
              Money(-l.balance()) + "</td><td><a href=\"/console/clients/" + UrlEncode(client) +
              "/wallets/" + UrlEncode(id) + "/statement\">statement</a></td></tr>";
    }
    return Page(200, "Wallets · " + client, body + "</tbody></table>", session);
  }

  WebReply StatementPage(ledger::Store& store, const std::string& client, const std::string& wallet,
                         const Session& session) {
    auto account = ledger::FindWalletAccount(store, client, wallet);
    if (!account.ok() || account->key.client_id != client)
      return Page(404, "Not found", "<p>No such wallet for this client.</p>", session);
    ledger::Statement st;
    st.account = *account;
    if (account->account_id != 0) {
      auto s = ledger::ComputeStatement(store, account->account_id, std::nullopt, std::nullopt);
      if (!s.ok()) return Page(503, "Unavailable", "", session);
      st = std::move(*s);
    }
    std::string body =
        Nav(client) + "<p>Opening balance " + Figure("opening", st.opening_balance) +
        " · closing balance " + Figure("closing", st.closing_balance) + " " +
        Esc(st.account.key.currency) + "</p>" + BalanceChart(st) +
        "<table><thead><tr><th>Entry</th><th>Time (UTC)</th><th>Cause</th><th>Object</th>"
        "<th class=\"n\">Amount</th><th class=\"n\">Balance</th></tr></thead><tbody>";
    for (const auto& m : st.movements) {
      body += "<tr data-tx=\"" + std::to_string(m.tx_id) + "\"><td>" + std::to_string(m.tx_id) +
              "</td><td>" + Iso(m.at) + "</td><td>" + Esc(m.cause) +
              "</td><td><a href=\"/console/clients/" + UrlEncode(client) +
              "/journal?ref=" + UrlEncode(m.ref) + "\">" + Esc(m.ref) +
              "</a></td><td class=\"n\">" + Figure("amount", m.amount) + "</td><td class=\"n\">" +
              Money(m.balance) + "</td></tr>";
    }
    return Page(200, "Statement · " + wallet, body + "</tbody></table>", session);
  }

  WebReply ReconcilePage(ledger::Store& store, const std::string& client, const Session& session) {
    auto rec = ledger::Reconcile(store, client);
    if (!rec.ok()) return Page(503, "Unavailable", "", session);
    std::string body = Nav(client) + "<p>Checked " + std::to_string(rec->settlements_checked) +
                       " settlements, " + std::to_string(rec->wallets_checked) +
                       " seller wallets, " + std::to_string(rec->escrow_currencies_checked) +
                       " escrow currencies: " +
                       Figure("differences", static_cast<int64_t>(rec->differences.size())) +
                       " difference(s).</p>";
    if (!rec->differences.empty()) {
      body +=
          "<table><thead><tr><th>Check</th><th>Object</th><th class=\"n\">Expected</th><th "
          "class=\"n\">Actual</th>"
          "<th>Detail</th><th>Behind it</th></tr></thead><tbody>";
      for (const auto& d : rec->differences) {
        std::string related;
        for (const std::string& rel : d.related) {
          // "escrow.receive REF (journal tx N)", "intent/split": each object to its journal
          // entries.
          std::string ref = rel;
          if (rel.rfind("escrow.receive ", 0) == 0) {
            ref = rel.substr(15, rel.rfind(" (journal tx") - 15);
          } else if (size_t slash = rel.find('/'); slash != std::string::npos) {
            ref = rel.substr(0, slash);
          }
          related += "<a href=\"/console/clients/" + UrlEncode(client) +
                     "/journal?ref=" + UrlEncode(ref) + "\">" + Esc(rel) + "</a><br>";
        }
        body += "<tr><td>" + Esc(d.check) + "</td><td><a href=\"/console/clients/" +
                UrlEncode(client) + "/journal?ref=" + UrlEncode(d.object) + "\">" + Esc(d.object) +
                "</a></td><td class=\"n\">" + Money(d.expected) + "</td><td class=\"n\">" +
                Money(d.actual) + "</td><td>" + Esc(d.detail) + "</td><td>" + related +
                "</td></tr>";
      }
      body += "</tbody></table>";
    }
    return Page(200, "Reconciliation · " + client, body, session);
  }

  WebReply JournalPage(ledger::Store& store, const std::string& client, const WebRequest& r,
                       const Session& session) {
    std::string ref = ParseForm(r.query)["ref"];
    auto entries = ledger::JournalEntries(store, client, ref);
    if (!entries.ok()) return Page(503, "Unavailable", "", session);
    std::string body = Nav(client) + "<p>Journal entries for <code>" + Esc(ref) +
                       "</code>: " + Figure("entries", static_cast<int64_t>(entries->size())) +
                       "</p>";
    for (const auto& e : *entries) {
      body += "<h2>Entry " + std::to_string(e.tx_id) + " · " + Esc(e.kind) + " · " + Iso(e.at) +
              "</h2><table><thead><tr><th>Account</th><th>Currency</th><th>Kind</th><th>Ref</th>"
              "<th class=\"n\">Debit</th><th class=\"n\">Credit</th></tr></thead><tbody>";
      for (const auto& p : e.postings) {
        body += "<tr><td>" + std::to_string(p.account_id) + "</td><td>" + Esc(p.key.currency) +
                "</td><td>" + Esc(p.key.kind) + "</td><td>" + Esc(p.key.ref) +
                "</td><td class=\"n\">" + (p.debit ? Money(p.amount) : "") +
                "</td><td class=\"n\">" + (p.debit ? "" : Money(p.amount)) + "</td></tr>";
      }
      body += "</tbody></table>";
    }
    return Page(200, "Journal · " + ref, body, session);
  }

  WebReply SettlementsPage(ledger::Store& store, const std::string& client,
                           const Session& session) {
    auto list = ledger::ListSettlements(store, client);
    if (!list.ok()) return Page(503, "Unavailable", "", session);
    std::string body = Nav(client) + "<p>" +
                       Figure("settlements", static_cast<int64_t>(list->size())) +
                       " settlement(s), newest first.</p>";
    for (const Settlement& st : *list) {
      body += "<h2 data-settlement=\"" + Esc(st.id) + "\">" + Esc(st.id) +
              " · <span class=\"status\">" + Esc(SettlementStatusName(st.status)) +
              "</span></h2><p>File " + Esc(st.file_name) + " · " + Esc(st.provider_name) + " " +
              Esc(st.currency) + " · intents " + Money(st.declared_intent_amount) +
              " · processor fees " + Money(st.processor_fees) + " · to the escrow " +
              Money(st.actual_amount) + " · " + std::to_string(st.matches.size()) +
              " matched line(s)</p>";
      if (!st.footer_errors.empty() || !st.line_errors.empty()) {
        body +=
            "<table><thead><tr><th>Where</th><th>Code</th><th>Description</th></tr></thead><tbody>";
        for (const auto& e : st.footer_errors) {
          body += "<tr class=\"verr\"><td>" + Esc(e.footer_name.empty() ? "file" : e.footer_name) +
                  "</td><td>" + Esc(e.code) + "</td><td>" + Esc(e.description) + "</td></tr>";
        }
        for (const auto& e : st.line_errors) {
          body += "<tr class=\"verr\"><td>line " + Esc(e.provider_reference) + " " +
                  Esc(e.transaction_type) + "</td><td>" + Esc(e.code) + "</td><td>" +
                  Esc(e.description) + "</td></tr>";
        }
        body += "</tbody></table>";
      }
    }
    return Page(200, "Settlements · " + client, body, session);
  }

  WebReply DeliveriesPage(ledger::Store& store, const std::string& client, const Session& session) {
    auto list = ledger::ListDeliveries(store, client, 500);
    if (!list.ok()) return Page(503, "Unavailable", "", session);
    std::string body =
        Nav(client) + "<p>The latest " + Figure("deliveries", static_cast<int64_t>(list->size())) +
        " hook notification(s), newest first.</p><table><thead><tr><th>#</th><th>Event</th>"
        "<th>Resource</th><th>URL</th><th class=\"n\">Attempts</th><th>State</th><th>Last "
        "error</th>"
        "</tr></thead><tbody>";
    for (const auto& d : *list) {
      std::string state = d.delivered_at != 0 ? "delivered " + Iso(d.delivered_at / 1000)
                          : d.abandoned       ? std::string("abandoned")
                                              : "pending, next " + Iso(d.next_attempt_at / 1000);
      body += "<tr data-delivery=\"" + std::to_string(d.id) + "\"><td>" + std::to_string(d.id) +
              "</td><td>" + Esc(d.event_type) + "</td><td>" + Esc(d.resource_id) + "</td><td>" +
              Esc(d.url) + "</td><td class=\"n\">" + std::to_string(d.attempts) + "</td><td>" +
              Esc(state) + "</td><td>" + Esc(d.last_error) + "</td></tr>";
    }
    return Page(200, "Hook deliveries · " + client, body + "</tbody></table>", session);
  }

  WebReply StartVerify(const Session& session) {
    std::lock_guard<std::mutex> lock(verify_mu_);
    if (!verify_.running) {
      if (verify_thread_.joinable()) verify_thread_.join();
      verify_ = VerifyRun{true, session.user, NowS(), 0, "starting", std::nullopt, "", {}};
      verify_thread_ = std::thread([this] { RunVerify(); });
    }
    return SeeOther("/console/verify");
  }

  void RunVerify() {
    std::string summary;
    std::vector<std::string> differences;
    bool ok = false;
    auto store = OpenReader();
    if (!store) {
      summary = "the database cannot be read now";
    } else {
      auto report = ledger::Verify(**store, [this](const std::string& step) {
        std::lock_guard<std::mutex> lock(verify_mu_);
        verify_.step = step;
      });
      if (!report.ok()) {
        summary = report.status().ToString();
      } else {
        ok = report->ok();
        differences = report->differences;
        summary = std::to_string(report->log_records) + " log records checked, " +
                  std::to_string(report->transactions) + " transactions, " +
                  std::to_string(report->postings) + " postings, " +
                  std::to_string(report->accounts) + " accounts, " +
                  std::to_string(report->intents) + " intents";
      }
    }
    std::lock_guard<std::mutex> lock(verify_mu_);
    verify_.running = false;
    verify_.finished_at = NowS();
    verify_.ok = ok;
    verify_.summary = summary;
    verify_.differences = std::move(differences);
  }

  WebReply VerifyPage(const Session& session) {
    VerifyRun v;
    {
      std::lock_guard<std::mutex> lock(verify_mu_);
      v = verify_;
    }
    std::string body;
    if (v.running) {
      body += "<p data-figure=\"verify-running\" data-value=\"1\">Running since " +
              Iso(v.started_at) + " (started by " + Esc(v.started_by) + "): <strong>" +
              Esc(v.step) + "</strong>…</p>";
    } else if (v.ok) {
      body += "<p data-figure=\"verify-ok\" data-value=\"" + std::string(*v.ok ? "1" : "0") +
              "\" class=\"" + (*v.ok ? "ok" : "bad") + "\">" +
              (*v.ok ? "No difference" : "DIFFERENCES") + " — " + Esc(v.summary) + " (" +
              Iso(v.started_at) + " to " + Iso(v.finished_at) + ", started by " +
              Esc(v.started_by) + ").</p>";
      for (const auto& d : v.differences) body += "<p class=\"bad\">" + Esc(d) + "</p>";
    } else {
      body += "<p>Not run since the server started.</p>";
    }
    if (!v.running) {
      body +=
          "<form method=\"post\" action=\"/console/verify\"><input type=\"hidden\" name=\"csrf\" "
          "value=\"" +
          session.csrf + "\"><button type=\"submit\" class=\"verify\">Run verify</button></form>";
    }
    WebReply r = Page(200, "Verify", body, session);
    if (v.running)
      r.body.insert(r.body.find("<title>"), "<meta http-equiv=\"refresh\" content=\"1\">");
    return r;
  }

  static std::string Nav(const std::string& client) {
    std::string base = "/console/clients/" + UrlEncode(client);
    return "<nav><a href=\"/console\">Clients</a> › " + Esc(client) + " · <a href=\"" + base +
           "/trial-balance\">Trial balance</a> · <a href=\"" + base +
           "/wallets\">Wallets</a> · <a href=\"" + base +
           "/reconcile\">Reconciliation</a> · <a href=\"" + base +
           "/settlements\">Settlements</a> · <a href=\"" + base +
           "/deliveries\">Hook deliveries</a> · <a href=\"/console/verify\">Verify</a></nav>";
  }

  static WebReply SeeOther(const std::string& where) {
    WebReply r;
    r.status = 303;
    r.headers.emplace_back("Location", where);
    AddSecurityHeaders(r);
    return r;
  }
  static void AddSecurityHeaders(WebReply& r) {
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                           "form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    // same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on form posts.
    r.headers.emplace_back("Referrer-Policy", "same-origin");
    r.headers.emplace_back("Cache-Control", "no-store");
  }
  static WebReply Page(int status, const std::string& title, const std::string& body,
                       const std::optional<Session>& session) {
    WebReply r;
    r.status = status;
    std::string user;
    if (session) {
      user = "<form method=\"post\" action=\"/console/logout\" class=\"user\">" +
             Esc(session->user) + " <input type=\"hidden\" name=\"csrf\" value=\"" + session->csrf +
             "\"><button type=\"submit\">Sign out</button></form>";
    }
    r.body =
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>" +
        Esc(title) +
        " — splitledger</title><style>"
        "body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1b1f24;background:#f6f8fa}"
        "header{display:flex;justify-content:space-between;align-items:center;background:#24292f;"
        "color:#fff;padding:.6em 1.5em}"
        "header "
        "a{color:#fff;text-decoration:none;font-weight:600}main{max-width:1100px;margin:1.5em "
        "auto;padding:0 1.5em}"
        "table{border-collapse:collapse;width:100%;background:#fff;margin:1em "
        "0}th,td{padding:.35em .6em;border-bottom:1px solid #d0d7de;text-align:left}"
        "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}tfoot th,tfoot "
        "td{font-weight:600}"
        "nav{margin-bottom:1em}.ok{color:#1a7f37}.bad,.error{color:#cf222e;font-weight:600}"
        ".chart{width:100%;max-width:640px;background:#fff;border:1px solid #d0d7de}.chart "
        ".axis{stroke:#8c959f;stroke-dasharray:4 3}"
        ".chart "
        ".lbl{font-size:11px;fill:#57606a}form.login{display:grid;gap:.8em;max-width:320px;"
        "background:#fff;padding:1.5em;border:1px solid #d0d7de}"
        "form.user{margin:0}button{cursor:pointer}"
        "</style></head><body><header><a href=\"/console\">splitledger console</a>" +
        user + "</header><main><h1>" + Esc(title) + "</h1>" + body + "</main></body></html>";
    AddSecurityHeaders(r);
    return r;
  }

  api::ServeContext ctx_;
  std::mutex mu_;
  std::map<std::string, Session> sessions_;   // SHA-256 of the token -> session
  std::map<std::string, Failures> failures_;  // failed sign-ins by name
  int verifying_ = 0;
  std::mutex verify_mu_;
  VerifyRun verify_;
  std::thread verify_thread_;
};

}  // namespace

std::unique_ptr<api::ServeExtension> MakeConsole() { return std::make_unique<Console>(); }

}  // namespace splitledger::admin
