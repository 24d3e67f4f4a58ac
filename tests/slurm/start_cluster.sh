#!/usr/bin/env bash
# Start a throw-away single-node SLURM cluster on localhost, without systemd.
#
#   tests/slurm/start_cluster.sh STATE_DIR
#
# Installs Debian's slurmctld, slurmd, slurm-client and munge when they are missing (needs root
# and apt), then starts munged, slurmctld and slurmd by hand. Everything the cluster writes
# (munge key and socket, spool and state folders, logs, PID files) lives in STATE_DIR; the only
# files outside it are /etc/slurm/slurm.conf and gres.conf (see below), which stop_cluster.sh
# removes again. One such cluster per machine at a time.
# Keep STATE_DIR short (e.g. /tmp/slurmXXXX): the munge socket path must fit in 108 bytes.
#
# Optional environment: SLURMCTLD_PORT, SLURMD_PORT (default 6817, 6818), MIN_MEM_MB (16384).
# Stop the cluster with tests/slurm/stop_cluster.sh STATE_DIR.
set -euo pipefail

STATE=${1:?usage: start_cluster.sh STATE_DIR}
mkdir -p "$STATE"
STATE=$(cd "$STATE" && pwd)
CTLD_PORT=${SLURMCTLD_PORT:-6817}
SLURMD_PORT=${SLURMD_PORT:-6818}

log() { echo "[start_cluster] $*" >&2; }

# --- 1. packages -------------------------------------------------------------------------------
need_install=0
for bin in slurmctld slurmd sbatch squeue sinfo scontrol munged; do
    command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || need_install=1
done
if [ "$need_install" = 1 ]; then
    log "installing slurmctld slurmd slurm-client munge with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # policy-rc.d keeps the packages' init scripts from starting daemons we did not ask for
    had_policy=0
    [ -e /usr/sbin/policy-rc.d ] && had_policy=1
    if [ "$had_policy" = 0 ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
    fi
    apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
    [ "$had_policy" = 0 ] && rm -f /usr/sbin/policy-rc.d
fi
export PATH="$PATH:/usr/sbin:/sbin"

# --- 2. munge ------------------------------------------------------------------------------------
# munged is picky about permissions: its folders must not be writable by group or others.
chmod 0700 "$STATE"
mkdir -p -m 0700 "$STATE/munge" "$STATE/ctld" "$STATE/slurmd"
if [ ! -s "$STATE/munge/munge.key" ]; then
    if command -v mungekey >/dev/null 2>&1 || [ -x /usr/sbin/mungekey ]; then
        mungekey --create --keyfile "$STATE/munge/munge.key"
    else
        dd if=/dev/urandom of="$STATE/munge/munge.key" bs=1024 count=1 status=none
    fi
    chmod 0400 "$STATE/munge/munge.key"
fi
MUNGE_SOCKET="$STATE/munge/munge.socket"
log "starting munged"
munged --force \
    --key-file "$STATE/munge/munge.key" \
    --socket "$MUNGE_SOCKET" \
    --pid-file "$STATE/munge/munged.pid" \
    --log-file "$STATE/munge/munged.log" \
    --seed-file "$STATE/munge/munged.seed"
for _ in $(seq 50); do [ -S "$MUNGE_SOCKET" ] && break; sleep 0.1; done
[ -S "$MUNGE_SOCKET" ] || { log "munged did not create its socket"; cat "$STATE/munge/munged.log" >&2; exit 1; }

# --- 3. configuration ---------------------------------------------------------------------------
# The node's CPUs are described as slurmd itself sees them (sockets, cores, threads). Its memory
# is 90 % of what slurmd reports, but at least MIN_MEM_MB (default 16384): the profile asks for
# cluster-sized memory per job (8000 MB for training), nothing enforces it on this node (no
# cgroups), and SlurmdParameters=config_overrides lets slurmctld accept the declared value on a
# smaller machine instead of draining the node for "Low RealMemory".
hw=$(slurmd -C | head -n 1)
field() { echo "$hw" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
CPUS=$(field CPUs); BOARDS=$(field Boards); SOCKETS=$(field SocketsPerBoard)
CORES=$(field CoresPerSocket); THREADS=$(field ThreadsPerCore); MEM=$(field RealMemory)
MEM=$(( MEM * 9 / 10 ))
MIN_MEM=${MIN_MEM_MB:-16384}
[ "$MEM" -ge "$MIN_MEM" ] || MEM=$MIN_MEM
log "node: CPUs=$CPUS Boards=$BOARDS SocketsPerBoard=$SOCKETS CoresPerSocket=$CORES ThreadsPerCore=$THREADS RealMemory=$MEM"

cat > "$STATE/slurm.conf" <<CONF
# written by tests/slurm/start_cluster.sh: a single-node test cluster, state in $STATE
ClusterName=snaketest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/slurmd
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# no systemd, no cgroups, no accounting database
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
SlurmdParameters=config_overrides
# finished jobs stay visible to squeue for an hour (the status queries need >= 3 x the poll
# interval; the test reads every job back at the end of a run that may take several minutes)
MinJobAge=3600
# a fake GPU, so that jobs asking for --gpus=1 can be scheduled on this CPU-only node
GresTypes=gpu
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$CPUS Boards=$BOARDS SocketsPerBoard=$SOCKETS CoresPerSocket=$CORES ThreadsPerCore=$THREADS RealMemory=$MEM Gres=gpu:1 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
cat > "$STATE/gres.conf" <<CONF
# written by tests/slurm/start_cluster.sh: a fake GPU for the test cluster in $STATE
NodeName=localhost Name=gpu File=/dev/null Count=1
CONF
# The configuration must also sit at the default path, /etc/slurm/slurm.conf: inside a job,
# snakemake's jobstep executor strips SLURM_* variables (SLURM_CONF included) before it calls
# srun, so srun finds the cluster only there. A configuration that is not ours is kept in
# STATE_DIR/etc-backup and put back by stop_cluster.sh.
ETC=/etc/slurm
mkdir -p "$ETC" "$STATE/etc-backup"
for f in slurm.conf gres.conf; do
    if [ -e "$ETC/$f" ] && ! grep -q "^# written by tests/slurm/start_cluster.sh" "$ETC/$f"; then
        log "keeping the existing $ETC/$f in $STATE/etc-backup"
        mv "$ETC/$f" "$STATE/etc-backup/$f"
    fi
    cp "$STATE/$f" "$ETC/$f"
done
echo "$STATE" > "$ETC/.test-cluster-owner"
export SLURM_CONF="$ETC/slurm.conf"
echo "SLURM_CONF=$SLURM_CONF" > "$STATE/env"

# --- 4. daemons ----------------------------------------------------------------------------------
log "starting slurmctld and slurmd"
slurmctld -c
slurmd -N localhost

# --- 5. wait until the node takes jobs -----------------------------------------------------------
state=""
for i in $(seq 60); do
    state=$(sinfo -h -N -o '%T' 2>/dev/null | head -n 1 || true)
    case "$state" in
        idle|mixed|allocated) break ;;
        down*|drain*) scontrol update NodeName=localhost State=RESUME 2>/dev/null || true ;;
    esac
    sleep 1
done
case "$state" in
    idle|mixed|allocated) log "cluster up (node $state)" ;;
    *)
        log "node never became idle (state '$state')"
        tail -n 30 "$STATE/slurmctld.log" "$STATE/slurmd.log" >&2 || true
        exit 1 ;;
esac
