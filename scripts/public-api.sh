#!/usr/bin/env bash
# Declares the shipped packages' public API for Microsoft.CodeAnalysis.PublicApiAnalyzers (see docs/architecture.md,
# "The public API"). The build fails on a public symbol that is not declared (RS0016) or a declared one that is gone
# (RS0017); this script builds with both as warnings and writes what they report into the files.
#
#   scripts/public-api.sh          add new public symbols to PublicAPI.Unshipped.txt and shipped ones that are gone as
#                                  *REMOVED* lines (an unshipped one just loses its line), in every src/* package: the
#                                  everyday step after a deliberate public change
#   scripts/public-api.sh --ship   rewrite PublicAPI.Shipped.txt with the whole current public API and empty
#                                  PublicAPI.Unshipped.txt: the step at a release
#
# Review reads the diff of the PublicAPI files: every line in it is a public change.
set -euo pipefail
cd "$(dirname "$0")/.."

ship=false
[[ "${1:-}" == "--ship" ]] && ship=true

header='#nullable enable'
packages=(src/Orchestration.Core/ src/Orchestration.Exec/ src/Orchestration.Sqlite/ src/Orchestration.Postgres/ src/Orchestration.Http/)

if $ship; then
  for p in "${packages[@]}"; do
    printf '%s\n' "$header" > "$p/PublicAPI.Shipped.txt"
    printf '%s\n' "$header" > "$p/PublicAPI.Unshipped.txt"
  done
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
for p in "${packages[@]}"; do
  # RS0016/RS0017 as warnings so one build reports every symbol; --no-incremental so each project is compiled; in dependency order (Core first), so --no-dependencies finds what it references built.
  dotnet build "$p" --no-incremental --no-dependencies -p:TreatWarningsAsErrors=false -p:WarningsAsErrors= -clp:NoSummary >> "$log" 2>&1 || true
done

# "<file>(l,c): warning RS0016: Symbol '<api line>' is not part of the declared public API (<help>) [<project>]"
symbols() { # rule project-dir
  { grep -F "warning $1:" "$log" || true; } | { grep -F "[$PWD/${2%/}/" || true; } |
    sed -E "s/^.*warning $1: Symbol '(.*)' is (not )?part of the declared (public )?API.*$/\1/" | LC_ALL=C sort -u
}

for p in "${packages[@]}"; do
  added=$(symbols RS0016 "$p")
  removed=$(symbols RS0017 "$p")
  if $ship; then
    file="$p/PublicAPI.Shipped.txt"
    lines="$added"
  else
    file="$p/PublicAPI.Unshipped.txt"
    # A removed symbol that was only unshipped loses its line; one that shipped gets a *REMOVED* line.
    current=$(grep -v -x -F "$header" "$file" || true)
    lines=$(
      if [[ -n "$removed" ]]; then grep -v -x -F -f <(printf '%s\n' "$removed") <<< "$current" || true; else printf '%s\n' "$current"; fi
      if [[ -n "$added" ]]; then printf '%s\n' "$added"; fi
      if [[ -n "$removed" ]]; then
        grep -v -x -F -f <(printf '%s\n' "$current") <<< "$removed" | sed 's/^/*REMOVED*/' || true
      fi
    )
  fi
  { printf '%s\n' "$header"; if [[ -n "$lines" ]]; then printf '%s\n' "$lines" | LC_ALL=C sort -u; fi; } > "$file.new"
  mv "$file.new" "$file"
  echo "${p%/}: $(grep -c . <<< "$added" || true) added, $(grep -c . <<< "$removed" || true) removed"
done
