#!/usr/bin/env bash
# Step 00: read-only checks that the host can take K3s + the WasmEdge shim. Changes nothing.
# Env: EDGE_HOST_ID, EDGE_ROLE, EDGE_ARCH (amd64|arm64), EDGE_MIN_MEMORY_MIB, EDGE_MIN_DISK_MIB
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

[[ "$(id -u)" -eq 0 ]] || die "must run as root (connect as root or give the SSH user passwordless sudo)"
command -v systemctl >/dev/null || die "systemd is required: K3s is installed as a systemd service"
for tool in sha256sum tar gzip mktemp cmp; do
    command -v "$tool" >/dev/null || die "required tool '$tool' is missing"
done

case "$(uname -m)" in
    x86_64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) die "unsupported CPU architecture $(uname -m)" ;;
esac
[[ "$arch" == "${EDGE_ARCH:?}" ]] || die "host is $arch but the region is configured for ${EDGE_ARCH} (edge-estate:artifacts.arch)"

mem_mib=$(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024))
((mem_mib >= ${EDGE_MIN_MEMORY_MIB:?})) || die "only ${mem_mib} MiB RAM; a ${EDGE_ROLE:-server} needs at least ${EDGE_MIN_MEMORY_MIB} MiB"

mkdir -p /var/lib
disk_mib=$(($(df -Pk /var/lib | awk 'NR==2 {print $4}') / 1024))
((disk_mib >= ${EDGE_MIN_DISK_MIB:?})) || die "only ${disk_mib} MiB free under /var/lib; need ${EDGE_MIN_DISK_MIB} MiB"

log "ok: arch=$arch memory=${mem_mib}MiB free-disk=${disk_mib}MiB role=${EDGE_ROLE:-server} (read-only step, nothing changed)"
