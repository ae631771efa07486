#!/usr/bin/env bash
# Step 04: install and start K3s from the verified artifacts (never downloads: INSTALL_K3S_SKIP_DOWNLOAD=true).
# The role comes from INSTALL_K3S_EXEC (server|agent); every other flag lives in /etc/rancher/k3s/config.yaml.
# K3s has no --wasm flag: Wasm comes from the shim installed by step 02, which K3s detects at start.
# Env: K3S_VERSION, K3S_ARTIFACT, INSTALL_SCRIPT_ARTIFACT, AIRGAP_IMAGES_ARTIFACT (airgap mode only), EDGE_ROLE
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

artifacts="$EDGE_STATE_DIR/artifacts"
unit="$(k3s_unit)"
[[ -x /usr/local/bin/containerd-shim-wasmedge-v1 ]] || die "the WasmEdge shim must be installed before K3s starts (step 02)"
[[ -f /etc/rancher/k3s/config.yaml ]] || die "/etc/rancher/k3s/config.yaml is missing (step 03)"

if install_content /usr/local/bin/k3s 0755 "$artifacts/${K3S_ARTIFACT:?}"; then
    log "installed /usr/local/bin/k3s ${K3S_VERSION:?}"
else
    log "/usr/local/bin/k3s ${K3S_VERSION} already installed; unchanged"
fi

if [[ -n "${AIRGAP_IMAGES_ARTIFACT:-}" ]]; then
    # Tarballs in the images dir are imported only when K3s starts (v1.30.4).
    if install_content "/var/lib/rancher/k3s/agent/images/${AIRGAP_IMAGES_ARTIFACT}" 0600 "$artifacts/$AIRGAP_IMAGES_ARTIFACT"; then
        log "placed airgap images ${AIRGAP_IMAGES_ARTIFACT}"
        if systemctl is-active --quiet "$unit"; then request_k3s_restart "airgap images changed"; fi
    fi
fi

before="$(systemctl show -p ActiveEnterTimestampMonotonic --value "$unit" 2>/dev/null || true)"
# install.sh only restarts K3s when the binary, unit or env file changed ("No change detected...").
INSTALL_K3S_SKIP_DOWNLOAD=true \
    INSTALL_K3S_VERSION="$K3S_VERSION" \
    INSTALL_K3S_EXEC="${EDGE_ROLE:?}" \
    INSTALL_K3S_SYMLINK=skip \
    sh "$artifacts/${INSTALL_SCRIPT_ARTIFACT:?}"

if grep -q -- '--wasm' "/etc/systemd/system/$unit.service"; then
    die "/etc/systemd/system/$unit.service carries --wasm, which K3s does not know; remove it (Wasm needs only the shim)"
fi

if [[ -s "$EDGE_STATE_DIR/restart-k3s" ]]; then
    after="$(systemctl show -p ActiveEnterTimestampMonotonic --value "$unit" 2>/dev/null || true)"
    if [[ "$before" == "$after" ]]; then
        log "restarting $unit: $(tr '\n' ';' <"$EDGE_STATE_DIR/restart-k3s")"
        systemctl restart "$unit"
    fi
    rm -f "$EDGE_STATE_DIR/restart-k3s"
fi
systemctl is-active --quiet "$unit" || die "$unit is not running; see: journalctl -u $unit -n 50"
log "$unit ${K3S_VERSION} active"
