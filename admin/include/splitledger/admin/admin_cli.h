// `splitledger admin …`: reports for platform admins reconciling seller wallets (docs/operations.md
// "Reconciliation"). Each opens the database as a reader (beside a running server or without
// one), reads one snapshot of the projection and prints it as a table (the default),
// CSV or JSON. Long jobs show progress on stderr when it is a terminal, nothing when piped.
#pragma once

namespace splitledger::admin {

// argv[0] is the report: trial-balance, statement, balance, reconcile, export. Exit codes: 0,
// 1 when the report found what it checks for (a trial balance that does not net to zero,
// reconciliation differences), 2 for bad arguments or an unreadable database.
int AdminMain(int argc, char** argv);

}  // namespace splitledger::admin
