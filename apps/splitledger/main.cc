// splitledger: one binary, several subcommands (DESIGN §7).
#include <cstring>
#include <iostream>
#include <string>

#include "splitledger/admin/admin_cli.h"
#include "splitledger/admin/console.h"
#include "splitledger/api/commands.h"
#include "splitledger/bench/bench.h"
#include "splitledger/ledger/verify.h"
#ifdef SPLITLEDGER_HAVE_PLUGIN_CHECK
#include "splitledger/plugins/plugin_check.h"
#endif

namespace {

constexpr const char* kUsage = R"(usage: splitledger <command> [options]

commands:
  serve [--listen HOST:PORT] [--db URL] [--config FILE]
        [--listen-tls HOST:PORT] [--listen-mtls HOST:PORT] [--tls-cert FILE] [--tls-key FILE]
        [--client-ca FILE] [--shard NAME --shard-map FILE]
        run the REST API (default 127.0.0.1:8080, sqlite:./data/splitledger.db), and HTTPS and
        mTLS listeners beside it (docs/operations.md)
  client create --id ID [--api-key KEY] [--db URL]
        create a platform client and print its credentials
  client cert add|list|revoke --id ID [--cert FILE.pem | --fingerprint HEX] [--db URL]
        a client's mTLS certificates, pinned by SHA-256 fingerprint (through the running
        server, if any: revocation is effective at once)
  routes
        every route of the REST API, one JSON object per line (docs/openapi documents them)
  escrow receive --db URL --client ID --currency CUR --amount N --reference REF
        record money arrived on a client's escrow wallet (through the running server, if any)
  admin trial-balance|statement|balance|reconcile|export --db URL ... [--format table|csv|json]
        reports for platform admins (`splitledger admin` lists them); read-only, beside a
        running server or alone
  admin user add --db URL --name NAME   (password on stdin)
        a user of the web console, served by `serve` at /console
  rebuild [--db URL]
        empty the tables and project the whole log into them again (a lost or damaged database
        beside an intact log); refuses while a server holds the database; then verify
  verify [--db URL]
        check the log's checksums and hash chain, replay it against the tables, recompute every
        balance and intent amount from the journal; exit 1 on any difference
  bench ledger [--db URL] [--ops N] [--baseline-ops N] [--inflight N] [--json] [--memory] [--intent-cache N]
        group-commit throughput against one log record per command
  plugin check PATH.so [--config FILE] [--only SCENARIO]
        load a PSP adapter and run the conformance scenarios (docs/plugins.md)
)";

std::string FlagValue(int argc, char** argv, const char* name, std::string fallback) {
  for (int i = 0; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return fallback;
}

int VerifyMain(int argc, char** argv) {
  using namespace splitledger::ledger;
  std::string url = FlagValue(argc, argv, "--db", "sqlite:./data/splitledger.db");
  StoreOptions options;
  options.url = url;
  options.writer = false;  // read-only: safe next to a running server
  auto store = Store::Open(options);
  if (!store.ok()) {
    std::cerr << "verify: " << store.status().ToString() << "\n";
    return 2;
  }
  auto report = Verify(**store);
  if (!report.ok()) {
    std::cerr << "verify: " << report.status().ToString() << "\n";
    return 2;
  }
  for (const std::string& d : report->differences) std::cout << "DIFFERENCE " << d << "\n";
  if (report->log_checked) {
    std::cout << "log: " << report->log_records << " records, checksums and hash chain checked; "
              << report->replayed_rows << " rows replayed and compared with the tables\n";
  } else {
    std::cout << "log: none yet (no writer of this release has opened the database)\n";
  }
  std::cout << "verified " << report->transactions << " transactions, " << report->postings
            << " postings, " << report->accounts << " accounts, " << report->intents << " intents, "
            << report->line_items << " line items: "
            << (report->ok() ? "no difference"
                             : std::to_string(report->differences.size()) + " difference(s)")
            << "\n";
  return report->ok() ? 0 : 1;
}

int RebuildMain(int argc, char** argv) {
  using namespace splitledger::ledger;
  std::string url = FlagValue(argc, argv, "--db", "sqlite:./data/splitledger.db");
  StoreOptions options;
  options.url = url;
  options.writer = true;  // takes the lease: never beside a running server
  options.lease_wait_ms = 0;
  options.rebuild_from_log = true;
  auto store = Store::Open(options);
  if (!store.ok()) {
    std::cerr << "rebuild: " << store.status().ToString() << "\n";
    return 2;
  }
  const RecoveryReport& r = (*store)->recovery();
  std::cout << "rebuilt the tables from " << r.log_records << " log records (" << r.torn_bytes_cut
            << " torn bytes cut)\n";
  auto report = Verify(**store);
  if (!report.ok()) {
    std::cerr << "rebuild: verify: " << report.status().ToString() << "\n";
    return 2;
  }
  for (const std::string& d : report->differences) std::cout << "DIFFERENCE " << d << "\n";
  std::cout << "verify: " << (report->ok() ? "no difference" : "differences") << "\n";
  return report->ok() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "help") == 0) {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  std::string cmd = argv[1];
  std::string sub = argc > 2 ? argv[2] : "";
  if (cmd == "serve") {
    splitledger::api::Extensions extensions;
    extensions.push_back(splitledger::admin::MakeConsole());  // /console
    return splitledger::api::ServeMain(argc - 2, argv + 2, std::move(extensions));
  }
  if (cmd == "client" && sub == "create")
    return splitledger::api::ClientCreateMain(argc - 3, argv + 3);
  if (cmd == "client" && sub == "cert") return splitledger::api::ClientCertMain(argc - 3, argv + 3);
  if (cmd == "routes") return splitledger::api::RoutesMain(argc - 2, argv + 2);
  if (cmd == "webhook" && !sub.empty()) return splitledger::api::WebhookMain(argc - 2, argv + 2);
  if (cmd == "escrow" && sub == "receive")
    return splitledger::api::EscrowReceiveMain(argc - 3, argv + 3);
  if (cmd == "admin") return splitledger::admin::AdminMain(argc - 2, argv + 2);
  if (cmd == "verify") return VerifyMain(argc - 2, argv + 2);
  if (cmd == "rebuild") return RebuildMain(argc - 2, argv + 2);
  if (cmd == "bench" && sub == "ledger")
    return splitledger::bench::LedgerBenchMain(argc - 3, argv + 3);
#ifdef SPLITLEDGER_HAVE_PLUGIN_CHECK
  if (cmd == "plugin" && sub == "check") return splitledger::RunPluginCheck(argc - 3, argv + 3);
#endif
  std::cerr << "splitledger: unknown command '" << cmd << (sub.empty() ? "" : " " + sub) << "'\n"
            << kUsage;
  return 2;
}
