# shellcheck shell=bash
# Sourced by the on-call runbooks (scripts/oncall-*.sh): the checks every runbook makes before touching a
# stack, and its private work directory (removed on exit).
#
#   oncall_prepare TOOL WORK_PREFIX WHAT_WAS_NOT_DONE
#
# exits 1 with a message when the pulumi CLI is missing or the project's dependencies are not installed;
# otherwise sets $repo (the checkout) and $work (a 0700 temp dir).

oncall_prepare() {
    local tool=$1 prefix=$2 not_done=$3
    command -v pulumi >/dev/null || { echo "$tool: the pulumi CLI is not on PATH" >&2; exit 1; }
    repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
    if [[ ! -x "$repo/node_modules/.bin/tsx" ]]; then
        echo "$tool: the project's dependencies are not installed: run 'npm ci' in $repo first ($not_done)" >&2
        exit 1
    fi
    work=$(mktemp -d "${TMPDIR:-/tmp}/$prefix.XXXXXX")
    chmod 0700 "$work"
    trap 'rm -rf "$work"' EXIT
}
