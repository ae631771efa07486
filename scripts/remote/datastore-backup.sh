#!/usr/bin/env bash
# Add-on step NN-datastore-backup (K3s servers only): installs the snapshot tool and its systemd timers.
#   - every server: /usr/local/lib/edge-estate/datastore-snapshot.sh and edge-estate-host-metrics.timer (hourly),
#     which writes the K3s certificate expiry and the last snapshot time for node-exporter's textfile collector;
#   - single-server (SQLite) sites: edge-estate-sqlite-backup.timer (OnCalendar from the stack config);
#   - HA sites take K3s' own etcd snapshots (step 03 writes their schedule and retention); their timer is removed.
# Idempotent: files are replaced only when their content changes; timers are (re-)enabled only under systemd.
# Env: EDGE_DATASTORE (etcd|sqlite), SNAPSHOT_TOOL_B64 (the tool's text, base64), SQLITE_BACKUP_CALENDAR,
#      BACKUP_MAX_DISK_PERCENT, BACKUP_MIN_RETENTION, BACKUP_MAX_RETENTION, SNAPSHOT_ESTIMATE_MIB, EDGE_TEXTFILE_DIR
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

[[ "${EDGE_ROLE:-}" == server ]] || die "datastore backups run on K3s servers only (role ${EDGE_ROLE:-unset})"
case "${EDGE_DATASTORE:?}" in etcd | sqlite) ;; *) die "EDGE_DATASTORE must be etcd or sqlite, got ${EDGE_DATASTORE@Q}" ;; esac
[[ -n "${SNAPSHOT_TOOL_B64:-}" ]] || die "SNAPSHOT_TOOL_B64 (the snapshot tool, base64) is empty"

TOOL=/usr/local/lib/edge-estate/datastore-snapshot.sh
UNIT_DIR=/etc/systemd/system
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
changed_units=0

put() { # put DEST MODE: installs $work/content as DEST, logs what happened
    if install_content "$1" "$2" "$work/content"; then
        log "wrote $1"
        [[ "$1" == "$UNIT_DIR"/* ]] && changed_units=1
    else
        log "$1 unchanged"
    fi
    return 0
}

printf '%s' "$SNAPSHOT_TOOL_B64" | base64 -d >"$work/content" || die "SNAPSHOT_TOOL_B64 is not valid base64"
put "$TOOL" 0755

cat >"$work/content" <<ENV
BACKUP_MAX_DISK_PERCENT=${BACKUP_MAX_DISK_PERCENT:?}
BACKUP_MIN_RETENTION=${BACKUP_MIN_RETENTION:?}
BACKUP_MAX_RETENTION=${BACKUP_MAX_RETENTION:?}
SNAPSHOT_ESTIMATE_MIB=${SNAPSHOT_ESTIMATE_MIB:?}
EDGE_TEXTFILE_DIR=${EDGE_TEXTFILE_DIR:?}
EDGE_STATE_DIR=${EDGE_STATE_DIR}
ENV
put /etc/edge-estate/snapshots.env 0644

cat >"$work/content" <<UNIT
[Unit]
Description=edge-estate: K3s certificate expiry and datastore snapshot metrics for node-exporter

[Service]
Type=oneshot
ExecStart=$TOOL metrics
UNIT
put "$UNIT_DIR/edge-estate-host-metrics.service" 0644
cat >"$work/content" <<'UNIT'
[Unit]
Description=edge-estate: refresh the host metrics hourly

[Timer]
OnBootSec=5min
OnUnitActiveSec=1h

[Install]
WantedBy=timers.target
UNIT
put "$UNIT_DIR/edge-estate-host-metrics.timer" 0644

timers=(edge-estate-host-metrics.timer)
if [[ "$EDGE_DATASTORE" == sqlite ]]; then
    cat >"$work/content" <<UNIT
[Unit]
Description=edge-estate: online backup of the K3s SQLite datastore
After=k3s.service

[Service]
Type=oneshot
ExecStart=$TOOL sqlite-backup
ExecStartPost=$TOOL metrics
UNIT
    put "$UNIT_DIR/edge-estate-sqlite-backup.service" 0644
    cat >"$work/content" <<UNIT
[Unit]
Description=edge-estate: back up the K3s SQLite datastore on a schedule

[Timer]
OnCalendar=${SQLITE_BACKUP_CALENDAR:?}
Persistent=true
RandomizedDelaySec=10min

[Install]
WantedBy=timers.target
UNIT
    put "$UNIT_DIR/edge-estate-sqlite-backup.timer" 0644
    timers+=(edge-estate-sqlite-backup.timer)
    log "SQLite datastore: backups on '${SQLITE_BACKUP_CALENDAR}', keeping $("$TOOL" retention) (sized for this disk)"
else
    for f in edge-estate-sqlite-backup.timer edge-estate-sqlite-backup.service; do
        if [[ -f "$UNIT_DIR/$f" ]]; then
            if [[ -d /run/systemd/system ]]; then systemctl disable --now "$f" >/dev/null 2>&1 || true; fi
            rm -f "$UNIT_DIR/$f"
            changed_units=1
            log "removed $UNIT_DIR/$f (etcd datastore: K3s takes the snapshots)"
        fi
    done
    log "etcd datastore: K3s' own snapshot schedule (config.yaml.d/50-edge-estate-snapshots.yaml) applies"
fi

# /run/systemd/system exists only when systemd is PID 1 (preflight requires it on real hosts).
if [[ -d /run/systemd/system ]]; then
    if ((changed_units)); then systemctl daemon-reload; fi
    for t in "${timers[@]}"; do
        if systemctl is-enabled --quiet "$t" 2>/dev/null && systemctl is-active --quiet "$t"; then
            log "$t enabled and active"
        else
            systemctl enable --now "$t" >/dev/null
            log "enabled $t"
        fi
    done
else
    log "systemd is not running here: units written, timers not enabled"
fi
# First metrics right away, so the certificate alert has data before the first timer run.
"$TOOL" metrics
log "host metrics written to ${EDGE_TEXTFILE_DIR}/edge_estate_host.prom"
