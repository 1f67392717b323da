#include "splitledger/admin/admin_cli.h"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "splitledger/admin/password.h"
#include "splitledger/api/commands.h"
#include "splitledger/ledger/reports.h"
#include "splitledger/ledger/store.h"
#include "splitledger/service/service.h"

namespace splitledger::admin {

namespace {

using ledger::Store;

constexpr const char* kUsage =
    R"(usage: splitledger admin <report> --db URL [options] [--format table|csv|json]

  trial-balance --client ID [--currency CUR] [--at TIME]
      every account of the client: debits, credits, balance; totals per currency (exit 1 when
      a currency's debits and credits differ)
  statement --wallet ID [--client ID] [--from TIME] [--to TIME]
      opening balance, every movement with its cause and the running balance, closing balance
      (FEES_CUR, CREDIT_CUR and ESCROW_CUR need --client)
  balance (--account ID | --wallet ID [--client ID]) --at TIME
      the balance at the end of that second
  reconcile --client ID
      escrow funds vs settlements, settlements vs intents, splits vs seller wallets: every
      difference with the objects behind it (exit 1 when there is one)
  export --client ID --from TIME --to TIME --dir DIR
      journal, postings, wallets, intents, settlements as CSV, and manifest.json (row counts,
      SHA-256 of each file)
  user add --name NAME            (password on stdin; again: a new password)
  user disable|enable --name NAME
      web console users (/console on the running server); a new password or disabling ends the
      user's open sessions

TIME: unix seconds, YYYY-MM-DD (from: its first second; to, at: its last) or
YYYY-MM-DDTHH:MM:SS[Z] (UTC).
)";

struct Args {
  std::vector<std::pair<std::string, std::string>> flags;
  std::string Get(const char* name) const {
    for (const auto& [k, v] : flags) {
      if (k == name) return v;
    }
    return {};
  }
};

// Unix seconds of TIME; `end_of_day` for a bare date read as its last second.
std::optional<int64_t> ParseTime(const std::string& s, bool end_of_day) {
  if (s.empty()) return std::nullopt;
  if (s.find_first_not_of("0123456789") == std::string::npos && s.size() <= 12)
    return std::stoll(s);
  struct tm tm {};
  const char* rest = strptime(s.c_str(), "%Y-%m-%d", &tm);
  if (rest == nullptr) return std::nullopt;
  bool date_only = *rest == '\0';
  if (!date_only) {
    rest = strptime(rest, "T%H:%M:%S", &tm);
    if (rest == nullptr || !(*rest == '\0' || std::strcmp(rest, "Z") == 0)) return std::nullopt;
  }
  int64_t t = timegm(&tm);
  return date_only && end_of_day ? t + 86399 : t;
}

std::string Iso(int64_t t) {
  time_t tt = static_cast<time_t>(t);
  struct tm tm {};
  gmtime_r(&tt, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string Csv(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// Rows of cells printed as an aligned table or as CSV.
class Grid {
 public:
  explicit Grid(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void Print(std::ostream& out, bool csv) const {
    if (csv) {
      for (const auto& row : rows_) {
        for (size_t i = 0; i < row.size(); ++i) out << (i ? "," : "") << Csv(row[i]);
        out << "\n";
      }
      return;
    }
    std::vector<size_t> width;
    for (const auto& row : rows_) {
      width.resize(std::max(width.size(), row.size()));
      for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
    }
    for (size_t r = 0; r < rows_.size(); ++r) {
      for (size_t i = 0; i < rows_[r].size(); ++i) {
        const std::string& cell = rows_[r][i];
        bool number = !cell.empty() && cell.find_first_not_of("-0123456789") == std::string::npos;
        std::string pad(width[i] - cell.size(), ' ');
        out << (i ? "  " : "")
            << (number ? pad + cell : cell + (i + 1 < rows_[r].size() ? pad : ""));
      }
      out << "\n";
      if (r == 0) {
        for (size_t i = 0; i < width.size(); ++i)
          out << (i ? "  " : "") << std::string(width[i], '-');
        out << "\n";
      }
    }
  }

 private:
  std::vector<std::vector<std::string>> rows_;
};

// Progress on a terminal (stderr), silent when piped.
std::function<void(int64_t, int64_t)> Progress(const char* what) {
  if (!isatty(STDERR_FILENO)) return {};
  return [what](int64_t done, int64_t total) {
    std::fprintf(stderr, "\r%s: %lld/%lld", what, static_cast<long long>(done),
                 static_cast<long long>(total));
    if (done >= total) std::fprintf(stderr, "\n");
  };
}

int Fail(const std::string& what) {
  std::cerr << "admin: " << what << "\n";
  return 2;
}

std::string OptTime(const std::optional<int64_t>& t) { return t ? std::to_string(*t) : "null"; }

int TrialBalance(Store& store, const Args& a, const std::string& format) {
  std::string client = a.Get("--client");
  if (client.empty()) return Fail("trial-balance needs --client ID");
  std::optional<int64_t> at = ParseTime(a.Get("--at"), true);
  if (!a.Get("--at").empty() && !at) return Fail("--at: not a TIME");
  auto tb = ledger::ComputeTrialBalance(store, client, a.Get("--currency"), at);
  if (!tb.ok()) return Fail(tb.status().ToString());
  bool balanced = true;
  for (const auto& t : tb->totals) balanced = balanced && t.debits == t.credits;
  if (format == "json") {
    std::cout << "{\"client_id\":" << Quote(client) << ",\"at\":" << OptTime(at)
              << ",\"as_of_lsn\":" << tb->as_of_lsn << ",\"accounts\":[";
    for (size_t i = 0; i < tb->accounts.size(); ++i) {
      const auto& l = tb->accounts[i];
      std::cout << (i ? "," : "") << "{\"account_id\":" << l.account_id
                << ",\"currency\":" << Quote(l.key.currency) << ",\"kind\":" << Quote(l.key.kind)
                << ",\"ref\":" << Quote(l.key.ref) << ",\"debits\":" << l.debits
                << ",\"credits\":" << l.credits << ",\"balance\":" << l.balance() << "}";
    }
    std::cout << "],\"totals\":[";
    for (size_t i = 0; i < tb->totals.size(); ++i) {
      const auto& t = tb->totals[i];
      std::cout << (i ? "," : "") << "{\"currency\":" << Quote(t.currency)
                << ",\"debits\":" << t.debits << ",\"credits\":" << t.credits << "}";
    }
    std::cout << "],\"balanced\":" << (balanced ? "true" : "false") << "}\n";
  } else {
    Grid g({"currency", "kind", "ref", "account", "debits", "credits", "balance"});
    for (const auto& l : tb->accounts) {
      g.Add({l.key.currency, l.key.kind, l.key.ref, std::to_string(l.account_id),
             std::to_string(l.debits), std::to_string(l.credits), std::to_string(l.balance())});
    }
    for (const auto& t : tb->totals) {
      g.Add({t.currency, "TOTAL", "", "", std::to_string(t.debits), std::to_string(t.credits),
             std::to_string(t.debits - t.credits)});
    }
    g.Print(std::cout, format == "csv");
    if (format == "table") {
      std::cout << (balanced ? "every currency nets to zero" : "NOT BALANCED") << " (log position "
                << tb->as_of_lsn << (at ? ", as of " + Iso(*at) : std::string()) << ")\n";
    }
  }
  return balanced ? 0 : 1;
}

// The account a report names: --account ID, or --wallet ID [--client ID].
Result<ledger::TrialBalanceLine> NamedAccount(Store& store, const Args& a) {
  if (!a.Get("--account").empty()) {
    const std::string& s = a.Get("--account");
    if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos)
      return Status::Invalid("--account: an account id (digits)");
    return ledger::FindAccount(store, std::stoll(s));
  }
  if (a.Get("--wallet").empty()) return Status::Invalid("--wallet ID or --account ID is needed");
  return ledger::FindWalletAccount(store, a.Get("--client"), a.Get("--wallet"));
}

int StatementReport(Store& store, const Args& a, const std::string& format) {
  auto account = NamedAccount(store, a);
  if (!account.ok()) return Fail(account.status().message());
  std::optional<int64_t> from = ParseTime(a.Get("--from"), false);
  std::optional<int64_t> to = ParseTime(a.Get("--to"), true);
  if ((!a.Get("--from").empty() && !from) || (!a.Get("--to").empty() && !to))
    return Fail("--from/--to: not a TIME");
  ledger::Statement st;
  if (account->account_id != 0) {
    auto s = ledger::ComputeStatement(store, account->account_id, from, to);
    if (!s.ok()) return Fail(s.status().ToString());
    st = std::move(*s);
  } else {  // a wallet no money ever reached
    st.account = *account;
    st.from = from;
    st.to = to;
  }
  std::string name =
      a.Get("--wallet").empty() ? std::to_string(st.account.account_id) : a.Get("--wallet");
  if (format == "json") {
    std::cout << "{\"wallet\":" << Quote(name) << ",\"account_id\":" << st.account.account_id
              << ",\"client_id\":" << Quote(st.account.key.client_id)
              << ",\"currency\":" << Quote(st.account.key.currency) << ",\"from\":" << OptTime(from)
              << ",\"to\":" << OptTime(to) << ",\"as_of_lsn\":" << st.as_of_lsn
              << ",\"opening_balance\":" << st.opening_balance << ",\"movements\":[";
    for (size_t i = 0; i < st.movements.size(); ++i) {
      const auto& m = st.movements[i];
      std::cout << (i ? "," : "") << "{\"tx_id\":" << m.tx_id << ",\"at\":" << m.at
                << ",\"cause\":" << Quote(m.cause) << ",\"kind\":" << Quote(m.kind)
                << ",\"ref\":" << Quote(m.ref) << ",\"amount\":" << m.amount
                << ",\"balance\":" << m.balance << "}";
    }
    std::cout << "],\"closing_balance\":" << st.closing_balance << "}\n";
    return 0;
  }
  Grid g({"tx", "at", "cause", "ref", "amount", "balance"});
  g.Add(
      {"", from ? Iso(*from) : "", "opening balance", "", "", std::to_string(st.opening_balance)});
  for (const auto& m : st.movements) {
    g.Add({std::to_string(m.tx_id), Iso(m.at), m.cause, m.ref, std::to_string(m.amount),
           std::to_string(m.balance)});
  }
  g.Add({"", to ? Iso(*to) : "", "closing balance", "", "", std::to_string(st.closing_balance)});
  if (format == "table") {
    std::cout << "statement of " << name << " (" << st.account.key.currency << ", account "
              << st.account.account_id << ")\n";
  }
  g.Print(std::cout, format == "csv");
  return 0;
}

int BalanceReport(Store& store, const Args& a, const std::string& format) {
  auto account = NamedAccount(store, a);
  if (!account.ok()) return Fail(account.status().message());
  std::optional<int64_t> at = ParseTime(a.Get("--at"), true);
  if (!at) return Fail("balance needs --at TIME");
  int64_t balance = 0;
  if (account->account_id != 0) {
    auto b = ledger::BalanceAt(store, account->account_id, *at);
    if (!b.ok()) return Fail(b.status().ToString());
    balance = *b;
  }
  if (format == "json") {
    std::cout << "{\"account_id\":" << account->account_id
              << ",\"client_id\":" << Quote(account->key.client_id)
              << ",\"currency\":" << Quote(account->key.currency)
              << ",\"kind\":" << Quote(account->key.kind) << ",\"ref\":" << Quote(account->key.ref)
              << ",\"at\":" << *at << ",\"balance\":" << balance << "}\n";
    return 0;
  }
  Grid g({"account", "currency", "kind", "ref", "at", "balance"});
  g.Add({std::to_string(account->account_id), account->key.currency, account->key.kind,
         account->key.ref, Iso(*at), std::to_string(balance)});
  g.Print(std::cout, format == "csv");
  return 0;
}

int ReconcileReport(Store& store, const Args& a, const std::string& format) {
  std::string client = a.Get("--client");
  if (client.empty()) return Fail("reconcile needs --client ID");
  auto rec = ledger::Reconcile(store, client, Progress("reconcile"));
  if (!rec.ok()) return Fail(rec.status().ToString());
  if (format == "json") {
    std::cout << "{\"client_id\":" << Quote(client) << ",\"as_of_lsn\":" << rec->as_of_lsn
              << ",\"checked\":{\"settlements\":" << rec->settlements_checked
              << ",\"seller_wallets\":" << rec->wallets_checked
              << ",\"escrow_currencies\":" << rec->escrow_currencies_checked
              << "},\"differences\":[";
    for (size_t i = 0; i < rec->differences.size(); ++i) {
      const auto& d = rec->differences[i];
      std::cout << (i ? "," : "") << "{\"check\":" << Quote(d.check)
                << ",\"object\":" << Quote(d.object) << ",\"currency\":" << Quote(d.currency)
                << ",\"expected\":" << d.expected << ",\"actual\":" << d.actual
                << ",\"difference\":" << d.actual - d.expected << ",\"detail\":" << Quote(d.detail)
                << ",\"related\":[";
      for (size_t j = 0; j < d.related.size(); ++j)
        std::cout << (j ? "," : "") << Quote(d.related[j]);
      std::cout << "]}";
    }
    std::cout << "]}\n";
  } else {
    Grid g(
        {"check", "object", "currency", "expected", "actual", "difference", "detail", "related"});
    for (const auto& d : rec->differences) {
      std::string related;
      for (const auto& r : d.related) related += (related.empty() ? "" : "; ") + r;
      g.Add({d.check, d.object, d.currency, std::to_string(d.expected), std::to_string(d.actual),
             std::to_string(d.actual - d.expected), d.detail, related});
    }
    if (format == "table") {
      std::cout << "checked " << rec->settlements_checked << " settlements, "
                << rec->wallets_checked << " seller wallets, " << rec->escrow_currencies_checked
                << " escrow currencies (log position " << rec->as_of_lsn
                << "): " << rec->differences.size() << " difference(s)\n";
    }
    if (!rec->differences.empty() || format == "csv") g.Print(std::cout, format == "csv");
  }
  return rec->differences.empty() ? 0 : 1;
}

int ExportReport(Store& store, const Args& a, const std::string& format) {
  std::string client = a.Get("--client"), dir = a.Get("--dir");
  std::optional<int64_t> from = ParseTime(a.Get("--from"), false);
  std::optional<int64_t> to = ParseTime(a.Get("--to"), true);
  if (client.empty() || dir.empty() || !from || !to)
    return Fail("export needs --client ID --from TIME --to TIME --dir DIR");
  auto files = ledger::ExportClient(store, client, *from, *to, dir, Progress("export"));
  if (!files.ok()) return Fail(files.status().ToString());
  if (format == "json") {
    std::cout << "{\"dir\":" << Quote(dir) << ",\"files\":[";
    for (size_t i = 0; i < files->size(); ++i) {
      const auto& f = (*files)[i];
      std::cout << (i ? "," : "") << "{\"name\":" << Quote(f.name) << ",\"rows\":" << f.rows
                << ",\"sha256\":" << Quote(f.sha256) << "}";
    }
    std::cout << "]}\n";
    return 0;
  }
  Grid g({"file", "rows", "sha256"});
  for (const auto& f : *files) g.Add({f.name, std::to_string(f.rows), f.sha256});
  g.Print(std::cout, format == "csv");
  return 0;
}

}  // namespace

// `admin user add --db URL --name NAME`: a console user; the password is read from stdin (one
// line), hashed here, and only the hash travels (through the running server, if any).
int UserAdd(int argc, char** argv) {
  std::string db, name;
  for (int i = 0; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--db") == 0) db = argv[i + 1];
    if (std::strcmp(argv[i], "--name") == 0) name = argv[i + 1];
  }
  if (db.empty()) db = "sqlite:./data/splitledger.db";
  if (isatty(STDIN_FILENO)) std::cerr << "password: ";
  std::string password;
  std::getline(std::cin, password);
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (name.empty() || password.size() < 12)
    return Fail("user add --name NAME, and a password of 12 characters or more on stdin");
  service::PutAdminUser cmd;
  cmd.user.name = name;
  cmd.user.password_hash = HashPassword(password);
  std::vector<service::FieldError> errors;
  if (Status st = service::Preflight(service::Command(cmd), {"", 0}, &errors); !st.ok())
    return Fail(st.message());
  std::string body =
      "{\"Name\":" + Quote(name) + ",\"PasswordHash\":" + Quote(cmd.user.password_hash) + "}";
  std::string response;
  Status st = api::CliWrite(
      db, "", std::move(cmd), "/admin/users", body,
      [&](const service::Outcome&) { return "{\"Name\":" + Quote(name) + "}"; }, &response);
  if (!st.ok()) {
    std::cerr << "admin user add: " << st.ToString() << "\n";
    return 1;
  }
  std::cout << response << std::endl;
  return 0;
}

// `admin user disable|enable --db URL --name NAME`.
int UserToggle(bool disable, int argc, char** argv) {
  std::string db, name;
  for (int i = 0; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--db") == 0) db = argv[i + 1];
    if (std::strcmp(argv[i], "--name") == 0) name = argv[i + 1];
  }
  if (db.empty()) db = "sqlite:./data/splitledger.db";
  if (name.empty()) return Fail("user disable|enable --name NAME");
  std::string body =
      "{\"Name\":" + Quote(name) + ",\"Disabled\":" + (disable ? "true" : "false") + "}";
  std::string response;
  Status st = api::CliWrite(
      db, "", service::SetAdminUserDisabled{name, disable}, "/admin/users", body,
      [&](const service::Outcome&) { return "{\"Name\":" + Quote(name) + "}"; }, &response);
  if (!st.ok()) {
    std::cerr << "admin user: " << st.ToString() << "\n";
    return 1;
  }
  std::cout << response << std::endl;
  return 0;
}

int AdminMain(int argc, char** argv) {
  std::string report = argc > 0 ? argv[0] : "";
  if (report == "user" && argc > 1 && std::strcmp(argv[1], "add") == 0)
    return UserAdd(argc - 2, argv + 2);
  if (report == "user" && argc > 1 &&
      (std::strcmp(argv[1], "disable") == 0 || std::strcmp(argv[1], "enable") == 0))
    return UserToggle(std::strcmp(argv[1], "disable") == 0, argc - 2, argv + 2);
  Args args;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--", 2) != 0 || i + 1 >= argc) {
      std::cerr << "admin: unexpected argument '" << argv[i] << "'\n" << kUsage;
      return 2;
    }
    args.flags.emplace_back(argv[i], argv[i + 1]);
    ++i;
  }
  using Report = int (*)(Store&, const Args&, const std::string&);
  static const std::pair<const char*, Report> kReports[] = {
      {"trial-balance", TrialBalance}, {"statement", StatementReport}, {"balance", BalanceReport},
      {"reconcile", ReconcileReport},  {"export", ExportReport},
  };
  Report run = nullptr;
  for (const auto& [name, fn] : kReports) {
    if (report == name) run = fn;
  }
  if (run == nullptr) {
    std::cerr << kUsage;
    return 2;
  }
  std::string format = args.Get("--format");
  if (format.empty()) format = "table";
  if (format != "table" && format != "csv" && format != "json")
    return Fail("--format table|csv|json");
  std::string db = args.Get("--db");
  if (db.empty()) db = "sqlite:./data/splitledger.db";
  ledger::StoreOptions options;
  options.url = db;
  options.writer = false;  // a reader: beside a running server, or alone
  auto store = Store::Open(options);
  if (!store.ok()) return Fail(store.status().ToString());
  return run(**store, args, format);
}

}  // namespace splitledger::admin
