// Benchmarks shipped in the binary (`splitledger bench …`). Each prints its figures and a ratio
// against a baseline measured in the same run.
#pragma once

namespace splitledger::bench {

// `splitledger bench ledger [--db URL] [--ops N] [--baseline-ops N] [--inflight N] [--json]`
int LedgerBenchMain(int argc, char** argv);

}  // namespace splitledger::bench
