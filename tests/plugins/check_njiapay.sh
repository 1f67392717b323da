#!/usr/bin/env bash
# Runs `splitledger plugin check` on the njiapay adapter against a fake NjiaPay started here.
# usage: check_njiapay.sh SPLITLEDGER FAKE_NJIAPAY PSP_NJIAPAY_SO CONFORMANCE_JSON
set -euo pipefail
bin=$1 fake=$2 so=$3 config=$4
export NJIAPAY_API_KEY="sk_test_$RANDOM$RANDOM" NJIAPAY_WHSEC_CURRENT="whsec_new_$RANDOM" \
       NJIAPAY_WHSEC_PREVIOUS="whsec_old_$RANDOM"
out=$(mktemp)
"$fake" --listen 127.0.0.1:0 --api-key "$NJIAPAY_API_KEY" \
  --webhook-secret "$NJIAPAY_WHSEC_CURRENT" --webhook-secret "$NJIAPAY_WHSEC_PREVIOUS" >"$out" &
fake_pid=$!
trap 'kill $fake_pid 2>/dev/null || true; wait $fake_pid 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 100); do grep -q listening "$out" && break; sleep 0.1; done
address=$(sed -n 's/.*"listening":"\([^"]*\)".*/\1/p' "$out")
[ -n "$address" ] || { echo "fake-njiapay did not start"; exit 1; }
export NJIAPAY_BASE_URL="http://$address"
"$bin" plugin check "$so" --config "$config"
