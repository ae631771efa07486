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
# Exit codes: 0 done; 1 a pulumi command failed, the stack cannot be exported, the host is unknown ("did you mean"),
# or the CLI / the project's dependencies are missing; 2 usage.
set -euo pipefail

usage() {
    echo "usage: $0 <stack> <site> <host> [--force] [--yes]" >&2
    echo "  e.g. $0 prod sh-pudong srv-a" >&2
}

# Options may come anywhere (before, between or after the three names); only the names are positional.
force=false
yes=()
positional=()
for arg in "$@"; do
    case $arg in
        --force) force=true ;;
        --yes) yes=(--yes) ;;
        -h | --help)
            usage
            exit 2
            ;;
        -*)
            echo "oncall-reprovision-host: unknown option '$arg' (options: --force, --yes)" >&2
            usage
            exit 2
            ;;
        *) positional+=("$arg") ;;
    esac
done
if [[ ${#positional[@]} -ne 3 ]]; then
    echo "oncall-reprovision-host: expected <stack> <site> <host>, got ${#positional[@]} name(s)${positional[*]:+: ${positional[*]}}" >&2
    usage
    exit 2
fi
stack=${positional[0]} site=${positional[1]} host=${positional[2]}
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
# shellcheck source-path=SCRIPTDIR source=oncall/lib/prepare.sh
source "$(dirname "${BASH_SOURCE[0]}")/oncall/lib/prepare.sh"
oncall_prepare oncall-reprovision-host oncall-reprovision "nothing was changed"

echo "==> looking up $site/$host in stack $stack"
if ! pulumi stack export -s "$stack" --file "$work/stack-export.json"; then
    echo "!! oncall-reprovision-host: cannot read stack '$stack' (pulumi stack export failed: is the stack name right, are you logged in to its backend?); nothing was changed" >&2
    exit 1
fi
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
