#!/usr/bin/env bash
# PostgreSQL ledger figures beside pgbench TPC-B, in one run on one throwaway server
# (issue 9's benchmark contract: "PostgreSQL figures with a pgbench TPC-B run in the same script").
#   bench/scripts/pg-ledger.sh [OPS] [SECONDS]     (defaults: 50000 operations, 30 s of pgbench)
# Prints pgbench's tps (8 clients, TPC-B, scale 8), then `bench ledger --json` on the same server,
# then one JSON line: {"pgbench_tps": …, "ledger_ops_per_s": …, "ratio_to_pgbench": …}.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
ops=${1:-50000}
secs=${2:-30}
bin=${SPLITLEDGER_BIN:-$root/build/bin/splitledger}
dir=$(mktemp -d /tmp/splitledger-pgbench.XXXXXX)
chmod 755 "$dir"  # the server runs as postgres when we are root
trap '"$root/scripts/pg" stop "$dir/pg"' EXIT
url=$("$root/scripts/pg" start "$dir/pg")
port=$(cat "$dir/pg/port")
psql_() { psql -h 127.0.0.1 -p "$port" -U postgres -q "$@"; }
psql_ -c "CREATE DATABASE tpcb" -c "CREATE DATABASE ledger" splitledger
pgbench -h 127.0.0.1 -p "$port" -U postgres -i -s 8 -q tpcb >/dev/null 2>&1
tps=$(pgbench -h 127.0.0.1 -p "$port" -U postgres -c 8 -j 2 -T "$secs" -n tpcb 2>/dev/null |
  sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -n1)
echo "pgbench TPC-B, 8 clients, ${secs} s: $tps tps" >&2
ledger=$("$bin" bench ledger --db "postgresql://postgres@127.0.0.1:$port/ledger" --ops "$ops" \
  --baseline-ops 2000 --json)
echo "$ledger"
ops_s=$(echo "$ledger" | sed -n 's/.*"ops_per_s": \([0-9.]*\).*/\1/p')
python3 -c "import json; print(json.dumps({'pgbench_tps': $tps, 'ledger_ops_per_s': $ops_s, 'ratio_to_pgbench': round($ops_s / $tps, 2)}))"
