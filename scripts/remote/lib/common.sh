#!/usr/bin/env bash
# Shared helpers for the edge-estate remote steps. synth/the components inline this file in place of the
# `source` line of each step, so every step runs as one self-contained bash script on the host.

EDGE_STATE_DIR="${EDGE_STATE_DIR:-/var/lib/edge-estate}"
EDGE_STEP="${EDGE_STEP:-$(basename "${BASH_SOURCE[1]:-$0}" .sh)}"

log() { printf '[edge-estate %s %s] %s\n' "${EDGE_HOST_ID:-host}" "$EDGE_STEP" "$*"; }
die() { printf '[edge-estate %s %s] ERROR: %s\n' "${EDGE_HOST_ID:-host}" "$EDGE_STEP" "$*" >&2; exit 1; }

# sha256_of FILE -> prints the hex digest
sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# install_content DEST MODE CONTENT_FILE: atomically replaces DEST with CONTENT_FILE when they differ.
# Returns 0 when DEST changed, 1 when it was already identical (mode is enforced either way).
install_content() {
    local dest="$1" mode="$2" src="$3"
    mkdir -p "$(dirname "$dest")"
    if [[ -f "$dest" ]] && cmp -s "$src" "$dest"; then
        chmod "$mode" "$dest"
        return 1
    fi
    local tmp
    tmp="$(mktemp "$(dirname "$dest")/.edge-estate.XXXXXX")"
    cat "$src" >"$tmp"
    chmod "$mode" "$tmp"
    mv -f "$tmp" "$dest"
    return 0
}

# request_k3s_restart REASON: K3s only reads its config and detects runtimes at start.
request_k3s_restart() {
    mkdir -p "$EDGE_STATE_DIR"
    printf '%s\n' "$1" >>"$EDGE_STATE_DIR/restart-k3s"
}

k3s_unit() {
    if [[ "${EDGE_ROLE:-server}" == "agent" ]]; then echo k3s-agent; else echo k3s; fi
}

# snapshot_retention DIR PERCENT MIN MAX ESTIMATE_MIB: how many datastore snapshots of about ESTIMATE_MIB fit in
# PERCENT of the filesystem holding DIR, clamped to MIN..MAX. Depends only on the disk, so it is stable per host.
snapshot_retention() {
    local dir="$1" pct="$2" min="$3" max="$4" est_mib="$5" size n
    mkdir -p "$dir"
    size="$(df -P -B1 "$dir" | awk 'NR == 2 { print $2 }')"
    n=$((size * pct / 100 / (est_mib * 1024 * 1024)))
    ((n < min)) && n="$min"
    ((n > max)) && n="$max"
    printf '%s\n' "$n"
}
