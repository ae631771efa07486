#!/usr/bin/env bash
# Step 01: put the pinned, sha256-verified artifacts into $EDGE_STATE_DIR/artifacts.
#   download mode: fetch each URL on the host; airgap mode: verify what Pulumi pushed to $EDGE_STATE_DIR/incoming.
# An artifact already present with the right digest is left alone, so a second run changes nothing.
# Env: ARTIFACT_MODE (download|airgap), ARTIFACTS: newline-separated "name sha256 url" entries.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

dir="$EDGE_STATE_DIR/artifacts"
incoming="$EDGE_STATE_DIR/incoming"
mkdir -p "$dir"
chmod 0700 "$EDGE_STATE_DIR"

changed=0
while read -r name sha url extra; do
    [[ -n "$name" ]] || continue
    # Defence in depth (the list is built from checked parts): a plain file name, exactly three fields.
    [[ "$name" =~ ^[A-Za-z0-9][A-Za-z0-9._+-]*$ && "$name" != *..* ]] || die "refusing artifact name '$name': not a plain file name (no '/' or '..')"
    [[ -z "${extra:-}" && "$url" =~ ^https?://[^[:space:]]+$ ]] || die "refusing artifact entry '$name': expected 'name sha256 url'"
    [[ "$sha" =~ ^[0-9a-f]{64}$ ]] || die "artifact $name has no valid pinned sha256 ('$sha')"
    target="$dir/$name"
    if [[ -f "$target" && "$(sha256_of "$target")" == "$sha" ]]; then
        log "$name: present, sha256 verified, unchanged"
        continue
    fi
    tmp="$(mktemp "$dir/.download.XXXXXX")"
    trap 'rm -f "$tmp"' EXIT
    if [[ "${ARTIFACT_MODE:?}" == "airgap" ]]; then
        [[ -f "$incoming/$name" ]] || die "$name was not pushed to $incoming (airgap mode); run scripts/fetch-artifacts.sh and pulumi up again"
        cp "$incoming/$name" "$tmp"
    else
        command -v curl >/dev/null || die "curl is required in download mode (or use artifacts.mode: airgap)"
        curl -fsSL --retry 5 --retry-delay 2 --connect-timeout 20 -o "$tmp" "$url" || die "download of $name from $url failed"
    fi
    got="$(sha256_of "$tmp")"
    [[ "$got" == "$sha" ]] || die "$name sha256 mismatch: expected $sha, got $got (source: ${url})"
    chmod 0600 "$tmp"
    mv -f "$tmp" "$target"
    trap - EXIT
    log "$name: installed, sha256 $sha verified"
    changed=1
done <<<"${ARTIFACTS:?}"

if ((changed == 0)); then log "all artifacts present and verified; nothing changed"; fi
