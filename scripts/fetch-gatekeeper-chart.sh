#!/usr/bin/env bash
# Cache the OPA Gatekeeper Helm chart for air-gapped regions (artifacts.mode: airgap), on a connected machine.
# The program then installs the chart from the cached .tgz (components/addons/gatekeeper/chart.ts), and refuses
# it unless its sha256 is the pin. The .tgz lands in the artifact cache, which is never committed.
#
#   scripts/fetch-gatekeeper-chart.sh [--version 3.15.1] [--cache-dir .cache/artifacts] [--repo URL] [--sha256 HEX]
#
# --sha256 is only for a chart version not pinned below (take it from the `digest:` of that version in the
# repository's index.yaml); a pinned version always uses its pin. Re-running with a verified cache changes nothing.
set -euo pipefail

version="3.15.1"
cache_dir=".cache/artifacts"
repo="https://open-policy-agent.github.io/gatekeeper/charts"
given_sha=""

usage() {
    echo "usage: $0 [--version X.Y.Z] [--cache-dir DIR] [--repo URL] [--sha256 HEX]" >&2
    exit 2
}
while [[ $# -gt 0 ]]; do
    [[ $# -ge 2 ]] || usage
    case "$1" in
    --version) version="$2" ;;
    --cache-dir) cache_dir="$2" ;;
    --repo) repo="${2%/}" ;;
    --sha256) given_sha="$2" ;;
    *) usage ;;
    esac
    shift 2
done
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || { echo "--version '$version' is not a chart version like 3.15.1" >&2; exit 2; }

# sha256 of gatekeeper-<version>.tgz from the official repository's index.yaml (same pins as chart.ts).
pinned_sha() {
    case "$1" in
    3.15.1) echo b1d6c138256b7df91b89c438bb739c1bdb6f95c41cfa165c282152cd8c5e5047 ;;
    3.15.0) echo 82abb8b25d00c287e0bb142434d338d43ab25663877e014e37496253810cf24d ;;
    *) echo "" ;;
    esac
}

expected="$(pinned_sha "$version")"
if [[ -n "$expected" ]]; then
    if [[ -n "$given_sha" && "$given_sha" != "$expected" ]]; then
        echo "--sha256 $given_sha differs from the pin $expected for chart $version; refusing" >&2
        exit 1
    fi
elif [[ -n "$given_sha" ]]; then
    expected="$given_sha"
else
    echo "chart $version is not pinned here; pass --sha256 with the digest from the repository's index.yaml" >&2
    exit 1
fi
[[ "$expected" =~ ^[0-9a-f]{64}$ ]] || { echo "sha256 '$expected' is not 64 lowercase hex characters" >&2; exit 2; }

sha() { sha256sum "$1" | cut -d' ' -f1; }
file="gatekeeper-$version.tgz"
target="$cache_dir/$file"
mkdir -p "$cache_dir"

if [[ -f "$target" ]]; then
    if [[ "$(sha "$target")" == "$expected" ]]; then
        echo "$file: cached, sha256 verified, unchanged"
        exit 0
    fi
    echo "$file: cached copy has the wrong sha256; fetching it again"
fi

tmp="$(mktemp "$cache_dir/.gatekeeper.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
curl -fsSL --retry 5 --retry-delay 2 --connect-timeout 20 -o "$tmp" "$repo/$file" || { echo "$file: download from $repo failed" >&2; exit 1; }
got="$(sha "$tmp")"
if [[ "$got" != "$expected" ]]; then
    echo "$file: downloaded sha256 $got does not match the pin $expected; refusing" >&2
    exit 1
fi
chmod 0644 "$tmp"
mv -f "$tmp" "$target"
trap - EXIT
echo "$file: fetched and verified (sha256 $got) into $cache_dir"
