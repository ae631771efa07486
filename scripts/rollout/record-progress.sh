#!/usr/bin/env bash
# Commits the stack file the rollout driver changed (Pulumi.<stack>.yaml: versions and rollout.throughWave) and
# pushes it, so the next dispatch of the rollout workflow resumes where this one stopped. Run by
# `npm run rollout -- --after-wave` (ROLLOUT_STACK / ROLLOUT_WAVE set by the driver) and once more at the end of
# the job. Does nothing when the file did not change; safe to run twice.
set -euo pipefail

stack="${ROLLOUT_STACK:?ROLLOUT_STACK is not set}"
wave="${ROLLOUT_WAVE:-final}"
file="Pulumi.${stack}.yaml"
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

if [[ ! "$stack" =~ ^[A-Za-z0-9._-]+$ ]]; then
    echo "record-progress: bad stack name ${stack@Q}" >&2
    exit 2
fi
if git diff --quiet -- "$file"; then
    echo "record-progress: ${file} unchanged"
    exit 0
fi
if [ "$wave" = final ]; then
    message="rollout ${stack}: stack config after this run"
else
    message="rollout ${stack}: wave ${wave} passed its health gate"
fi
git add -- "$file"
git commit -q -m "$message" -- "$file"
# Other region jobs push their own stack files: rebase onto them (different files, no conflicts) and retry.
for attempt in 1 2 3 4 5; do
    if git pull -q --rebase && git push -q; then
        echo "record-progress: pushed ${file} (${message})"
        exit 0
    fi
    echo "record-progress: push attempt ${attempt} failed, retrying" >&2
    sleep $((attempt * 3))
done
echo "record-progress: could not push ${file}; the rollout state is in this job's checkout only" >&2
exit 1
