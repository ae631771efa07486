#!/usr/bin/env bash
# Add-on step NN-tracking-data-dir (every host): prepares the tracking service's per-node data directory (its
# durable event log, a hostPath of the tracking pod) for the fixed non-root user the pod runs as. Without it the
# kubelet would create the directory root-owned and the non-root service could not write its log.
#   - creates TRACKING_DATA_DIR owned by TRACKING_UID:TRACKING_GID with mode 0700;
#   - an existing directory (e.g. written by an earlier pod that ran as root) gets that owner for everything in it,
#     and mode 0700 on the directory itself;
#   - refuses a symlink or a non-directory at that path (never follows or replaces it).
# Idempotent: a second run changes nothing and says so.
# Env: TRACKING_DATA_DIR (absolute), TRACKING_UID, TRACKING_GID (non-root numeric ids)
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

dir="${TRACKING_DATA_DIR:?}"
uid="${TRACKING_UID:?}"
gid="${TRACKING_GID:?}"
[[ "$dir" == /* && "$dir" != / && "$dir" != *//* && "$dir" != */ && "/$dir/" != */../* && "/$dir/" != */./* ]] ||
    die "TRACKING_DATA_DIR must be an absolute, normalised path other than /, got ${dir@Q}"
[[ "$uid" =~ ^[1-9][0-9]{0,9}$ ]] || die "TRACKING_UID must be a non-root numeric uid, got ${uid@Q}"
[[ "$gid" =~ ^[1-9][0-9]{0,9}$ ]] || die "TRACKING_GID must be a non-root numeric gid, got ${gid@Q}"

if [[ -L "$dir" ]]; then
    die "$dir is a symlink; refusing to follow it (remove it, the tracking data directory must be a real directory)"
elif [[ -e "$dir" && ! -d "$dir" ]]; then
    die "$dir exists and is not a directory"
fi

if [[ ! -d "$dir" ]]; then
    mkdir -p "$(dirname "$dir")"
    # Created with its final owner and mode: never a moment in which another user could open it.
    install -d -o "$uid" -g "$gid" -m 0700 "$dir"
    log "created $dir (owner $uid:$gid, mode 0700)"
    exit 0
fi

changed=0
# Anything not yet owned by the service's user (an event log written while the pod ran as root). -xdev: stay on
# this filesystem; chown -h: a symlink inside is re-owned itself, its target never touched.
if [[ -n "$(find "$dir" -xdev \( ! -user "$uid" -o ! -group "$gid" \) -print -quit)" ]]; then
    find "$dir" -xdev \( ! -user "$uid" -o ! -group "$gid" \) -exec chown -h "$uid:$gid" {} +
    log "gave everything in $dir to $uid:$gid"
    changed=1
fi
if [[ "$(stat -c %a "$dir")" != 700 ]]; then
    chmod 0700 "$dir"
    log "set mode 0700 on $dir"
    changed=1
fi
((changed)) || log "$dir unchanged (owner $uid:$gid, mode 0700)"
