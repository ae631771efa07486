#!/usr/bin/env bash
# Step 02: install runwasi's containerd-shim-wasmedge-v1 into /usr/local/bin BEFORE K3s first starts.
# K3s detects Wasm runtimes on its service PATH only when the agent starts, so a shim that appears or changes
# later requests a K3s restart (done by the k3s-install step).
# Env: SHIM_ARTIFACT (file name under $EDGE_STATE_DIR/artifacts), SHIM_VERSION
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

tarball="$EDGE_STATE_DIR/artifacts/${SHIM_ARTIFACT:?}"
[[ -f "$tarball" ]] || die "$tarball is missing; the fetch-artifacts step must run first"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tar -xzf "$tarball" -C "$work"
shim="$(find "$work" -type f -name containerd-shim-wasmedge-v1 | head -n1)"
[[ -n "$shim" ]] || die "containerd-shim-wasmedge-v1 not found in $tarball"

if install_content /usr/local/bin/containerd-shim-wasmedge-v1 0755 "$shim"; then
    log "installed containerd-shim-wasmedge-v1 ${SHIM_VERSION:?} (WasmEdge embedded, statically linked)"
    if systemctl is-active --quiet "$(k3s_unit)" 2>/dev/null; then
        request_k3s_restart "wasmedge shim ${SHIM_VERSION} installed while K3s was running"
    fi
else
    log "containerd-shim-wasmedge-v1 ${SHIM_VERSION} already installed; unchanged"
fi
