#!/usr/bin/env bash
# Step 03: write /etc/rancher/k3s/config.yaml (mode 0600: it holds the cluster token) and, when mirrors are
# configured, registries.yaml. The token arrives on stdin, never in the environment or on a command line.
# K3s reads both files only at start, so a change requests a restart.
# HA servers (embedded etcd) also get config.yaml.d/50-edge-estate-snapshots.yaml: K3s' own snapshot schedule,
# with the retention sized for this host's disk (snapshot_retention in lib/common.sh).
# Env: K3S_CONFIG_YAML (everything but the token), K3S_REGISTRIES_YAML (may be empty), K3S_ETCD_SNAPSHOT_CRON
#      (empty unless HA) with BACKUP_MAX_DISK_PERCENT, BACKUP_MIN_RETENTION, BACKUP_MAX_RETENTION, SNAPSHOT_ESTIMATE_MIB
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

IFS= read -r token || true
[[ -n "${token:-}" ]] || die "the K3s token must be given on stdin"
umask 077
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

printf '%s\ntoken: "%s"\n' "${K3S_CONFIG_YAML:?}" "$token" >"$work/config.yaml"
unset token
if install_content /etc/rancher/k3s/config.yaml 0600 "$work/config.yaml"; then
    log "wrote /etc/rancher/k3s/config.yaml (0600)"
    if systemctl is-active --quiet "$(k3s_unit)" 2>/dev/null; then request_k3s_restart "config.yaml changed"; fi
else
    log "/etc/rancher/k3s/config.yaml unchanged"
fi

if [[ -n "${K3S_REGISTRIES_YAML:-}" ]]; then
    printf '%s\n' "$K3S_REGISTRIES_YAML" >"$work/registries.yaml"
    if install_content /etc/rancher/k3s/registries.yaml 0600 "$work/registries.yaml"; then
        log "wrote /etc/rancher/k3s/registries.yaml (0600)"
        if systemctl is-active --quiet "$(k3s_unit)" 2>/dev/null; then request_k3s_restart "registries.yaml changed"; fi
    else
        log "/etc/rancher/k3s/registries.yaml unchanged"
    fi
elif [[ -f /etc/rancher/k3s/registries.yaml ]]; then
    rm -f /etc/rancher/k3s/registries.yaml
    log "removed /etc/rancher/k3s/registries.yaml (no mirrors configured)"
    if systemctl is-active --quiet "$(k3s_unit)" 2>/dev/null; then request_k3s_restart "registries.yaml removed"; fi
else
    log "no registry mirrors configured"
fi

snapshots=/etc/rancher/k3s/config.yaml.d/50-edge-estate-snapshots.yaml
if [[ -n "${K3S_ETCD_SNAPSHOT_CRON:-}" ]]; then
    keep="$(snapshot_retention /var/lib/rancher/k3s/server "${BACKUP_MAX_DISK_PERCENT:?}" "${BACKUP_MIN_RETENTION:?}" "${BACKUP_MAX_RETENTION:?}" "${SNAPSHOT_ESTIMATE_MIB:?}")"
    printf '# Written by edge-estate (step 03): K3s etcd snapshots, retention sized for this disk.\netcd-snapshot-schedule-cron: "%s"\netcd-snapshot-retention: %s\n' \
        "$K3S_ETCD_SNAPSHOT_CRON" "$keep" >"$work/snapshots.yaml"
    if install_content "$snapshots" 0600 "$work/snapshots.yaml"; then
        log "wrote $snapshots (every '${K3S_ETCD_SNAPSHOT_CRON}', keeping $keep)"
        if systemctl is-active --quiet "$(k3s_unit)" 2>/dev/null; then request_k3s_restart "etcd snapshot schedule changed"; fi
    else
        log "$snapshots unchanged"
    fi
elif [[ -f "$snapshots" ]]; then
    rm -f "$snapshots"
    log "removed $snapshots (not an HA server)"
fi
