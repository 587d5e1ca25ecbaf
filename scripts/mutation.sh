#!/usr/bin/env bash
# Mutation testing with Stryker.NET (pinned in .config/dotnet-tools.json). Too slow for every CI run: a developer
# runs it before touching the files the guarantees rest on, and records the scores in docs/testing.md.
#
#   scripts/mutation.sh [core|sqlite|all] [extra Stryker options...]
#
#   core    src/Orchestration.Core (engine, completion writer, retry policy, in-memory store) against
#           Orchestration.Core.Tests and the conformance suite on the in-memory back end only.
#   sqlite  src/Orchestration.Sqlite against the conformance suite on the SQLite back end only.
#
# Extra options go to Stryker as they are and win over stryker/<target>.json, e.g.
#   scripts/mutation.sh core --mutate '**/Storage/InMemory/InMemoryStore.Transitions.cs'
#   scripts/mutation.sh core --since:main          # only files changed since main
#   scripts/mutation.sh sqlite --break-at 80       # non-zero exit below 80%
#   scripts/mutation.sh core --mutate '**/Domain/RetryPolicy.cs' --test-case-filter 'FullyQualifiedName~RetryPolicyTests'
#   MUTATION_CONCURRENCY=2 scripts/mutation.sh core
#   MUTATION_WORKDIR=/tmp/mutrun scripts/mutation.sh core   # run in a copy of the tree, see below
#   MUTATION_COVERAGE=off scripts/mutation.sh core --mutate '**/Execution/ExecutorRuntime.cs' \
#     --test-case-filter 'FullyQualifiedName~Orchestration.Core.Tests.Runtime'
#       # every mutant runs every selected test: for code on background loops, which perTest coverage misses
#
# Stryker builds the test projects and then overwrites the built assembly under test in their bin/ folders with its
# mutated one, so building or testing in the same tree while it runs breaks both. MUTATION_WORKDIR copies the tree
# (sources only; files deleted here stay there, so use a fresh directory after deleting some) there first and runs
# Stryker in the copy; the reports still land in this tree.
#
# Reports (HTML + JSON) land in mutation-results/<target>/ (git-ignored); the script ends with the score per file.
# Stryker writes the reports only when the whole run is done. The progress bar needs a terminal; the dots reporter
# (one character per mutant: . killed, S survived, T timeout) shows how far a run in the background has got.
set -euo pipefail
cd "$(dirname "$0")/.."

target="${1:-core}"
[ $# -gt 0 ] && shift
case "$target" in
  core|sqlite) targets=("$target") ;;
  all) targets=(core sqlite) ;;
  *) echo "usage: $0 [core|sqlite|all] [stryker options...]" >&2; exit 2 ;;
esac

results="$PWD/mutation-results"
if [ -n "${MUTATION_WORKDIR:-}" ]; then
  mkdir -p "$MUTATION_WORKDIR"
  # Sources only; an earlier copy's bin/ and obj/ stay, so the next build there is incremental.
  tar --exclude=./.git --exclude=bin --exclude=obj --exclude=./mutation-results -cf - . | tar -C "$MUTATION_WORKDIR" -xf -
  cd "$MUTATION_WORKDIR"
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
dotnet tool restore >/dev/null

status=0
for t in "${targets[@]}"; do
  # MUTATION_OUTPUT keeps two runs of one target apart (the default folder is emptied when a run starts).
  out="${MUTATION_OUTPUT:-$results/$t}"
  rm -rf "$out"
  echo "== mutation: $t (config stryker/$t.json, reports in mutation-results/$t/reports)"
  # Run from stryker/: in the repository root Stryker finds Orchestration.sln and refuses explicit test projects.
  config="$t.json"
  if [ -n "${MUTATION_COVERAGE:-}" ]; then
    # Stryker takes the coverage analysis from the config file only: run on a copy with it replaced.
    config=".$t.coverage-$MUTATION_COVERAGE.json"
    python3 - "stryker/$t.json" "$MUTATION_COVERAGE" > "stryker/$config" <<'PY'
import json, sys
config = json.load(open(sys.argv[1]))
config["stryker-config"]["coverage-analysis"] = sys.argv[2]
json.dump(config, sys.stdout, indent=2)
PY
  fi
  (cd stryker && dotnet stryker --config-file "$config" --output "$out" \
    --concurrency "${MUTATION_CONCURRENCY:-1}" --skip-version-check "$@") || status=$?
  [ "$config" = "$t.json" ] || rm -f "stryker/$config"
  report="$out/reports/mutation-report.json"
  if [ -f "$report" ]; then
    echo "== score per file ($t): killed+timeout / (killed+timeout+survived+no coverage)"
    python3 - "$report" <<'PY'
import json, sys
files = json.load(open(sys.argv[1]))["files"]
detected = {"Killed", "Timeout"}
counted = detected | {"Survived", "NoCoverage"}
tk = tc = 0
for path in sorted(files):
    statuses = [m["status"] for m in files[path]["mutants"]]
    k = sum(s in detected for s in statuses)
    c = sum(s in counted for s in statuses)
    s = sum(x == "Survived" for x in statuses)
    n = sum(x == "NoCoverage" for x in statuses)
    tk += k; tc += c
    score = f"{100 * k / c:6.2f}%" if c else "   n/a "
    print(f"{score}  killed {k:4}  survived {s:4}  no coverage {n:4}  {path}")
print(f"{100 * tk / tc:6.2f}%  total ({tk}/{tc})" if tc else "no mutants")
PY
  fi
done
exit $status
