#!/usr/bin/env bash
# Stop the cluster that tests/slurm/start_cluster.sh STATE_DIR started: cancel its jobs, then end
# slurmd, slurmctld and munged by the PIDs in their PID files (never by name), and take its
# configuration out of /etc/slurm again (restoring one it displaced). Safe to call
# more than once, and after a start that failed half way.
#
#   tests/slurm/stop_cluster.sh STATE_DIR
set -uo pipefail

STATE=${1:?usage: stop_cluster.sh STATE_DIR}
[ -d "$STATE" ] || exit 0
STATE=$(cd "$STATE" && pwd)
export PATH="$PATH:/usr/sbin:/sbin"

log() { echo "[stop_cluster] $*" >&2; }

# Jobs first, while slurmctld can still cancel them (their steps end with them).
if [ -f "$STATE/slurm.conf" ] && [ -f "$STATE/slurmctld.pid" ]; then
    SLURM_CONF="$STATE/slurm.conf" timeout 20 scancel --full --quiet --partition debug 2>/dev/null || true
fi

# alive and not a zombie (a daemon whose reaper never waits would stay a zombie forever)
running() {
    kill -0 "$1" 2>/dev/null || return 1
    local st
    st=$(sed -n 's/^.*) \([A-Za-z]\).*$/\1/p' "/proc/$1/stat" 2>/dev/null)
    [ "$st" != "Z" ]
}

stop_pid_file() {
    local name=$1 file=$2 pid
    [ -f "$file" ] || return 0
    pid=$(tr -dc '0-9' < "$file")
    [ -n "$pid" ] || return 0
    if running "$pid"; then
        log "stopping $name (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 100); do running "$pid" || break; sleep 0.1; done
        if running "$pid"; then
            log "$name (pid $pid) ignored SIGTERM; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$file"
}

stop_pid_file slurmd "$STATE/slurmd.pid"
stop_pid_file slurmctld "$STATE/slurmctld.pid"
stop_pid_file munged "$STATE/munge/munged.pid"

# Our configuration out of /etc/slurm, and whatever was there before back in.
ETC=/etc/slurm
if [ "$(cat "$ETC/.test-cluster-owner" 2>/dev/null)" = "$STATE" ]; then
    for f in slurm.conf gres.conf; do
        grep -q "^# written by tests/slurm/start_cluster.sh" "$ETC/$f" 2>/dev/null && rm -f "$ETC/$f"
    done
    rm -f "$ETC/.test-cluster-owner"
fi
for f in slurm.conf gres.conf; do
    if [ -e "$STATE/etc-backup/$f" ] && [ ! -e "$ETC/$f" ]; then
        mv "$STATE/etc-backup/$f" "$ETC/$f"
    fi
done
exit 0
