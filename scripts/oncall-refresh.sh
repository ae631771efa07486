#!/usr/bin/env bash
# On-call: refresh one region stack and say, in plain words, which sites and hosts are down, re-imaged or drifted.
#
#   scripts/oncall-refresh.sh <stack> [extra `pulumi refresh` flags, e.g. --exclude URN --parallel 32]
#
# 1. `pulumi refresh --yes --skip-preview -s <stack>`: every host probe connects over SSH and records what is on
#    the box; a host that does not answer keeps its last known state (a warning, never a failure); the Kubernetes
#    side of a dead site is skipped with a warning (skipUpdateUnreachable).
# 2. `pulumi stack export -s <stack>` -> scripts/oncall/summarise.ts prints the summary.
# Refresh only reads: running this twice in a row changes nothing on the hosts and the second summary shows the
# same hosts (only the "... ago" times move). Nothing is left in the temp dir; when the refresh fails its full log
# is kept (the path is printed).
# Exit codes: 0 summary printed; 1 refresh failed (the summary of the last good state is still printed), the stack
# cannot be exported (missing stack, not logged in), the pulumi CLI or the project's dependencies are missing;
# 2 usage.
set -euo pipefail

usage() {
    echo "usage: $0 <stack> [extra pulumi refresh flags]" >&2
    echo "  e.g. $0 prod" >&2
    echo "       $0 prod --exclude 'urn:pulumi:prod::edge-estate::edge-estate:index:Estate\$edge-estate:index:Site::hz-xihu' --exclude-dependents" >&2
}

if [[ $# -lt 1 || $1 == -h || $1 == --help ]]; then
    usage
    exit 2
fi
stack=$1
shift
if [[ ! $stack =~ ^[A-Za-z0-9._/-]+$ ]]; then
    echo "oncall-refresh: '$stack' is not a stack name" >&2
    usage
    exit 2
fi
# shellcheck source-path=SCRIPTDIR source=oncall/lib/prepare.sh
source "$(dirname "${BASH_SOURCE[0]}")/oncall/lib/prepare.sh"
oncall_prepare oncall-refresh oncall-refresh "nothing was refreshed"
log="$work/refresh.log"
export_file="$work/stack-export.json"

echo "==> pulumi refresh -s $stack"
refresh_rc=0
# Probe warnings go to stderr; keep both streams in the log and show them as they come.
pulumi refresh --yes --skip-preview -s "$stack" "$@" 2>&1 | tee "$log" || refresh_rc=$?

echo
echo "==> pulumi stack export -s $stack"
if ! pulumi stack export -s "$stack" --file "$export_file"; then
    echo "!! oncall-refresh: cannot read stack '$stack' (pulumi stack export failed: is the stack name right, are you logged in to its backend? see pulumi's message above); no summary" >&2
    exit 1
fi
chmod 0600 "$export_file"

echo
(cd "$repo" && npx --no-install tsx scripts/oncall/summarise.ts --stack "$stack" "$export_file")

warnings=$(grep -c "edge-estate host probe" "$log" || true)
echo "Probe warnings in the refresh log: $warnings"
if [[ $refresh_rc -ne 0 ]]; then
    kept=$(mktemp "${TMPDIR:-/tmp}/oncall-refresh-log.XXXXXX")
    cp "$log" "$kept"
    echo "!! pulumi refresh exited $refresh_rc: the summary above is the state as far as the refresh got. Full log: $kept" >&2
    exit 1
fi
