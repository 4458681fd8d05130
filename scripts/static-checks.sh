#!/usr/bin/env bash
# `npm run checks` (the first part of `npm test`): tsc, dependency-cruiser (layers and cycles, .dependency-cruiser.cjs)
# and ESLint (eslint.config.cjs) side by side, since each keeps about one core busy; prints the output of those that
# fail and exits non-zero when any fails. tsc and ESLint keep what they learnt in .tsbuildinfo and .eslintcache
# (ignored by git), so a second run in the same checkout only looks again at what changed.
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
npm run -s typecheck >"$out/typecheck" 2>&1 &
tsc=$!
npx depcruise src --config .dependency-cruiser.cjs --output-type err >"$out/layers" 2>&1 &
dc=$!
npx eslint --cache --cache-strategy content --cache-location .eslintcache src test scripts >"$out/eslint" 2>&1 &
es=$!
status=0
for job in "typecheck:$tsc" "layers:$dc" "eslint:$es"; do
  name=${job%%:*}
  if ! wait "${job#*:}"; then
    echo "checks: $name failed"
    cat "$out/$name"
    status=1
  fi
done
[ $status -eq 0 ] && echo "checks: typecheck, layers and eslint passed"
exit $status
