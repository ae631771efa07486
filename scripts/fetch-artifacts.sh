#!/usr/bin/env bash
# Fill the local artifact cache for an air-gapped region (artifacts.mode: airgap) on a connected machine.
# Pulumi then pushes the cached files to each host over SSH; the hosts verify the same pinned digests.
#
#   scripts/fetch-artifacts.sh (--stack NAME | --config-file PATH)
#
# Pinned artifacts are verified against their pin. For an artifact that is not pinned yet, the K3s files are
# checked against the release's own sha256sum-<arch>.txt, and the script prints the pins to add to the stack
# file under edge-estate:artifacts.checksums (review them before committing). Re-running changes nothing.
set -euo pipefail

usage() { echo "usage: $0 (--stack NAME | --config-file PATH)" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
case "$1" in --stack | --config-file) ;; *) usage ;; esac
cd "$(dirname "${BASH_SOURCE[0]}")/.."

list="$(npx --no-install tsx scripts/artifacts-list.ts "$1" "$2")"
cache_dir="$(sed -n '1s/^# cacheDir \([^ ]*\) arch .*/\1/p' <<<"$list")"
arch="$(sed -n '1s/^# cacheDir [^ ]* arch \(.*\)/\1/p' <<<"$list")"
[[ -n "$cache_dir" && -n "$arch" ]] || { echo "could not read the artifact list" >&2; exit 1; }
# The stack config already refuses these; the script holds the line itself before it creates or chmods anything.
case "/$cache_dir/" in
    // | /./ | */../* | */./* | *//*) echo "refusing cache dir '$cache_dir': not a normalised dedicated directory" >&2; exit 1 ;;
esac
[[ "$cache_dir" =~ ^[A-Za-z0-9._/-]+$ && "$cache_dir" != /* || "$cache_dir" =~ ^/[A-Za-z0-9._/-]+$ ]] || { echo "refusing cache dir '$cache_dir'" >&2; exit 1; }
mkdir -p "$cache_dir"
chmod 0700 "$cache_dir"

fetch() { curl -fsSL --retry 5 --retry-delay 2 --connect-timeout 20 -o "$2" "$1"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

pins=()
status=0
while read -r name pin url extra; do
    [[ -n "$name" && "$name" != "#" ]] || continue
    if [[ ! "$name" =~ ^[A-Za-z0-9][A-Za-z0-9._+-]*$ || "$name" == *..* || -n "${extra:-}" || ! "$url" =~ ^https?://[^[:space:]]+$ ]]; then
        echo "refusing artifact entry '$name': expected 'name sha256 url' with a plain file name (no '/' or '..')" >&2
        status=1
        continue
    fi
    target="$cache_dir/$name"
    if [[ "$pin" != "UNPINNED" && -f "$target" && "$(sha "$target")" == "$pin" ]]; then
        echo "$name: cached, sha256 verified, unchanged"
        continue
    fi
    tmp="$(mktemp "$cache_dir/.fetch.XXXXXX")"
    if ! fetch "$url" "$tmp"; then
        rm -f "$tmp"
        echo "$name: download from $url failed" >&2
        status=1
        continue
    fi
    got="$(sha "$tmp")"
    if [[ "$pin" == "UNPINNED" ]]; then
        # Cross-check K3s assets with the release's checksum file before proposing a pin.
        if [[ "$url" == */k3s* || "$url" == */k3s-airgap-images-* ]] && [[ "$url" != */install.sh ]]; then
            sums="$(mktemp)"
            if fetch "${url%/*}/sha256sum-${arch}.txt" "$sums" && grep -q "^$got  ${url##*/}\$" "$sums"; then
                echo "$name: matches the release's sha256sum-${arch}.txt"
            else
                rm -f "$tmp" "$sums"
                echo "$name: digest $got is not in the release's sha256sum-${arch}.txt; refusing" >&2
                status=1
                continue
            fi
            rm -f "$sums"
        else
            echo "$name: no checksum published upstream; REVIEW this digest before pinning it: $got" >&2
        fi
        pins+=("$name $got")
    elif [[ "$got" != "$pin" ]]; then
        rm -f "$tmp"
        echo "$name: sha256 mismatch: pinned $pin, downloaded $got (from $url)" >&2
        status=1
        continue
    fi
    chmod 0600 "$tmp"
    mv -f "$tmp" "$target"
    echo "$name: fetched, sha256 $got"
done <<<"$list"

if ((${#pins[@]} > 0)); then
    echo
    echo "Digests to pin under edge-estate:artifacts.checksums (file name -> key):"
    printf '  %s\n' "${pins[@]}"
fi
exit "$status"
