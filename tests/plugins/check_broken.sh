#!/usr/bin/env bash
# The kit must fail a broken adapter (exit 1) and name the scenarios its bugs break.
# usage: check_broken.sh SPLITLEDGER PSP_BROKEN_SO CONFIG
set -uo pipefail
bin=$1 so=$2 config=$3
output=$("$bin" plugin check "$so" --config "$config")
rc=$?
echo "$output"
[ $rc -eq 1 ] || { echo "expected exit 1 from plugin check, got $rc"; exit 1; }
for scenario in capture_partial void refund_partial webhook_bad_signatures webhook_garbage; do
  echo "$output" | grep -Eq "^  $scenario +FAIL" || { echo "expected $scenario to FAIL"; exit 1; }
done
for scenario in load authorize capture_full; do
  echo "$output" | grep -Eq "^  $scenario +PASS" || { echo "expected $scenario to PASS"; exit 1; }
done
echo "check_broken: the kit rejected the broken adapter as expected"
