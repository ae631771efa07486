#!/usr/bin/env bash
# On-call: re-provision ONE host (after a re-image, a replaced board, or drift), touching nothing else.
#
#   scripts/oncall-reprovision-host.sh <stack> <site> <host> [--force] [--yes]
#
# 1. Looks up the host's probe and step commands in `pulumi stack export` (fails, listing the known hosts, if the
#    site/host does not exist).
# 2. `pulumi refresh --target <probe>`: records what is on the box now (a new machine-id = re-imaged).
# 3. `pulumi up --target <probe> --target <each step> --target-dependents`: a re-imaged host gets all its steps
#    replaced through the machine-id trigger; an unchanged host gets nothing ("no changes"), so a second run is
#    harmless and says so. With --force every step is also passed as `--replace` and runs again even though
#    the machine-id did not change (for a host that drifted, e.g. K3s removed by hand). The step scripts are
#    idempotent, so re-running them on a healthy host changes nothing there either.
# Without --yes, pulumi shows the preview and asks before changing anything.
# Exit codes: 0 done, 1 a pulumi command failed or the host is unknown, 2 usage.
set -euo pipefail

usage() {
    echo "usage: $0 <stack> <site> <host> [--force] [--yes]" >&2
    echo "  e.g. $0 cn-east sh-pudong srv-a" >&2
}

if [[ $# -lt 3 ]]; then
    usage
    exit 2
fi
stack=$1 site=$2 host=$3
shift 3
force=false
yes=()
for arg in "$@"; do
    case $arg in
        --force) force=true ;;
        --yes) yes=(--yes) ;;
        *)
            echo "oncall-reprovision-host: unknown option '$arg'" >&2
            usage
            exit 2
            ;;
    esac
done
if [[ ! $stack =~ ^[A-Za-z0-9._/-]+$ ]]; then
    echo "oncall-reprovision-host: '$stack' is not a stack name" >&2
    exit 2
fi
for id in "$site" "$host"; do
    if [[ ! $id =~ ^[a-z0-9]([a-z0-9-]*[a-z0-9])?$ ]]; then
        echo "oncall-reprovision-host: '$id' is not a site/host id (lowercase letters, digits, '-')" >&2
        exit 2
    fi
done
command -v pulumi >/dev/null || { echo "oncall-reprovision-host: the pulumi CLI is not on PATH" >&2; exit 1; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/oncall-reprovision.XXXXXX")
chmod 0700 "$work"
trap 'rm -rf "$work"' EXIT

echo "==> looking up $site/$host in stack $stack"
pulumi stack export -s "$stack" --file "$work/stack-export.json"
if ! (cd "$repo" && npx --no-install tsx scripts/oncall/summarise.ts --host-urns "$site" "$host" "$work/stack-export.json") >"$work/urns"; then
    exit 1
fi

probe=""
commands=()
while read -r kind urn; do
    case $kind in
        probe) probe=$urn ;;
        command) commands+=("$urn") ;;
    esac
done <"$work/urns"
echo "    probe: ${probe:-none (stack deployed before the probe existed)}"
echo "    ${#commands[@]} step commands"

if [[ -n $probe ]]; then
    echo "==> pulumi refresh of the probe: what is on $site/$host now?"
    pulumi refresh --yes --skip-preview -s "$stack" --target "$probe"
fi

targets=()
[[ -n $probe ]] && targets+=(--target "$probe")
for urn in "${commands[@]}"; do
    targets+=(--target "$urn")
    if $force; then
        targets+=(--replace "$urn")
    fi
done
if $force; then
    echo "==> pulumi up: re-running every step of $site/$host (--force)"
else
    echo "==> pulumi up: re-provisions $site/$host only if it was re-imaged (otherwise: no changes)"
fi
pulumi up -s "$stack" "${yes[@]}" "${targets[@]}" --target-dependents
