#!/usr/bin/env bash
# Datastore snapshots and the host's health metrics on a K3s server. Step NN-datastore-backup installs this
# file (with lib/common.sh inlined) as /usr/local/lib/edge-estate/datastore-snapshot.sh; its systemd timers run:
#   datastore-snapshot.sh sqlite-backup   single-server sites: online copy of K3s' SQLite datastore plus the server
#                                         token (needed to restore), gzip'd, integrity-checked, pruned to retention
#   datastore-snapshot.sh metrics         node-exporter textfile: expiry of every K3s certificate, last snapshot
# Settings come from /etc/edge-estate/snapshots.env (written by the step). Safe to run at any time.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

if [[ -f /etc/edge-estate/snapshots.env ]]; then
    # shellcheck disable=SC1091
    source /etc/edge-estate/snapshots.env
fi
K3S_SERVER_DIR=/var/lib/rancher/k3s/server
SQLITE_BACKUP_DIR="$EDGE_STATE_DIR/backups/sqlite"
STATUS_FILE="$EDGE_STATE_DIR/backups/last-sqlite-backup"
TEXTFILE_DIR="${EDGE_TEXTFILE_DIR:-$EDGE_STATE_DIR/textfile}"

retention() {
    snapshot_retention "$1" "${BACKUP_MAX_DISK_PERCENT:-10}" "${BACKUP_MIN_RETENTION:-3}" "${BACKUP_MAX_RETENTION:-28}" "${SNAPSHOT_ESTIMATE_MIB:-128}"
}

# Online copy: sqlite3's .backup (or Python's sqlite3 backup API) gives a consistent copy while K3s writes.
copy_sqlite() {
    local src="$1" dest="$2"
    if command -v sqlite3 >/dev/null 2>&1; then
        sqlite3 "$src" ".backup '$dest'"
        [[ "$(sqlite3 "$dest" 'PRAGMA integrity_check;')" == ok ]]
    elif command -v python3 >/dev/null 2>&1; then
        python3 - "$src" "$dest" <<'PY'
import sqlite3, sys
src = sqlite3.connect(sys.argv[1]); dst = sqlite3.connect(sys.argv[2])
src.backup(dst)
ok = dst.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
dst.close(); src.close()
sys.exit(0 if ok else 1)
PY
    else
        die "neither sqlite3 nor python3 is installed: cannot take an online copy of $src"
    fi
}

sqlite_backup() {
    local db="$K3S_SERVER_DIR/db/state.db" stamp stage out keep
    if [[ ! -f "$db" ]]; then
        printf 'failed %s no SQLite datastore at %s\n' "$(date +%s)" "$db" >"$STATUS_FILE"
        die "no SQLite datastore at $db (HA sites use K3s' etcd snapshots instead)"
    fi
    mkdir -p "$SQLITE_BACKUP_DIR"
    chmod 0700 "$EDGE_STATE_DIR/backups" "$SQLITE_BACKUP_DIR"
    stamp="$(date -u +%Y%m%dT%H%M%S.%NZ)"
    stage="$(mktemp -d "$SQLITE_BACKUP_DIR/.stage.XXXXXX")"
    # shellcheck disable=SC2064
    trap "rm -rf '$stage'" EXIT
    if ! copy_sqlite "$db" "$stage/state.db"; then
        printf 'failed %s copy or integrity check of %s failed\n' "$(date +%s)" "$db" >"$STATUS_FILE"
        die "the copy of $db failed its integrity check"
    fi
    local members=(state.db)
    if [[ -f "$K3S_SERVER_DIR/token" ]]; then
        cp "$K3S_SERVER_DIR/token" "$stage/token"
        members+=(token)
    fi
    out="$SQLITE_BACKUP_DIR/k3s-sqlite-$stamp.tar.gz"
    (umask 077 && tar -czf "$stage/bundle.tar.gz" -C "$stage" "${members[@]}")
    mv -f "$stage/bundle.tar.gz" "$out"
    keep="$(retention "$SQLITE_BACKUP_DIR")"
    # Newest first (the names sort by time); everything after the first $keep goes.
    find "$SQLITE_BACKUP_DIR" -maxdepth 1 -name 'k3s-sqlite-*.tar.gz' -printf '%f\n' | sort -r | tail -n +"$((keep + 1))" | while IFS= read -r old; do
        rm -f "$SQLITE_BACKUP_DIR/$old"
        log "pruned $old (keeping $keep)"
    done
    printf 'ok %s %s %s\n' "$(date +%s)" "$(basename "$out")" "$(stat -c %s "$out")" >"$STATUS_FILE"
    log "wrote $out ($(stat -c %s "$out") bytes; keeping $keep)"
}

# Newest snapshot of either kind: "<epoch> <name>", or nothing. Only one of the two directories exists on a host.
last_snapshot() {
    local dirs=() d
    for d in "$K3S_SERVER_DIR/db/snapshots" "$SQLITE_BACKUP_DIR"; do [[ -d "$d" ]] && dirs+=("$d"); done
    ((${#dirs[@]})) || return 0
    find "${dirs[@]}" -maxdepth 1 -type f ! -name '.*' -printf '%T@ %f\n' | sort -n | tail -n 1 | awk '{ printf "%d %s\n", $1, $2 }'
}

metrics() {
    local out tmp crt end epoch last
    mkdir -p "$TEXTFILE_DIR"
    out="$TEXTFILE_DIR/edge_estate_host.prom"
    tmp="$(mktemp "$TEXTFILE_DIR/.edge_estate_host.XXXXXX")"
    {
        echo "# HELP edge_k3s_certificate_expiry_timestamp_seconds notAfter of a K3s certificate on this server (Unix time)."
        echo "# TYPE edge_k3s_certificate_expiry_timestamp_seconds gauge"
        if command -v openssl >/dev/null 2>&1 && [[ -d "$K3S_SERVER_DIR/tls" ]]; then
            while IFS= read -r crt; do
                end="$(openssl x509 -enddate -noout -in "$crt" 2>/dev/null | sed 's/^notAfter=//')" || continue
                epoch="$(date -d "$end" +%s)" || continue
                printf 'edge_k3s_certificate_expiry_timestamp_seconds{file="%s"} %s\n' "${crt#"$K3S_SERVER_DIR/tls/"}" "$epoch"
            done < <(find "$K3S_SERVER_DIR/tls" -maxdepth 2 -name '*.crt' -type f | sort)
        fi
        echo "# HELP edge_datastore_last_snapshot_timestamp_seconds When the newest datastore snapshot on this server was written (Unix time)."
        echo "# TYPE edge_datastore_last_snapshot_timestamp_seconds gauge"
        last="$(last_snapshot)"
        if [[ -n "$last" ]]; then printf 'edge_datastore_last_snapshot_timestamp_seconds %s\n' "${last%% *}"; fi
    } >"$tmp"
    chmod 0644 "$tmp"
    mv -f "$tmp" "$out"
}

case "${1:-}" in
sqlite-backup) sqlite_backup ;;
metrics) metrics ;;
retention) retention "${2:-$SQLITE_BACKUP_DIR}" ;;
*) die "usage: datastore-snapshot.sh sqlite-backup|metrics|retention [DIR]" ;;
esac
