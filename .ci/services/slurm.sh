#!/usr/bin/env bash
# A single-node Slurm on localhost for the `slurm`-marked tests and `chaosbench submit`.
#
#   .ci/services/slurm.sh start    install slurm-wlm + munge if missing, write slurm.conf from
#                                  this machine (nproc, memory), start munged, slurmctld, slurmd
#                                  as root and wait until `sinfo` shows the node idle
#   .ci/services/slurm.sh status   sinfo's view of the node (exit 1 if no controller answers)
#   .ci/services/slurm.sh stop     stop the three daemons (by their pid files)
#
# Idempotent: `start` on a running cluster only checks it. The node runs without accounting
# (so `sacct` fails by design: chaosbench judges jobs from result files and squeue), with
# ProctrackType=proctrack/linuxproc and TaskPlugin=task/none (no cgroups needed), and with
# select/cons_tres over CPUs and memory, so jobs of 1 CPU run side by side, one per CPU.
# Must run as root (it installs packages and starts the daemons).
set -euo pipefail

CONF_DIR=/etc/slurm
CONF=$CONF_DIR/slurm.conf
RUN=/run/chaosbench-slurm          # pid files
LOG=/var/log/slurm
SPOOL=/var/spool/slurm
WAIT_S=${SLURM_WAIT_S:-60}

log() { echo "slurm.sh: $*" >&2; }

install() {
    if command -v slurmctld >/dev/null && command -v slurmd >/dev/null \
            && command -v munged >/dev/null && command -v sinfo >/dev/null; then
        return
    fi
    log "installing slurm-wlm and munge (Debian packages)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq slurm-wlm munge >/dev/null
}

write_conf() {
    local host cpus mem_mb
    host=$(hostname -s)
    cpus=$(nproc)
    # Leave 10% of the memory to the system; a node whose RealMemory exceeds what slurmd finds
    # is drained, one below it is fine.
    mem_mb=$(awk '/^MemTotal:/ {printf "%d", $2 / 1024 * 0.9}' /proc/meminfo)
    mkdir -p "$CONF_DIR" "$RUN" "$LOG" "$SPOOL/ctld" "$SPOOL/d"
    cat > "$CONF.new" <<CONF
# Written by chaosbench .ci/services/slurm.sh: a single node on localhost.
ClusterName=chaosbench
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$SPOOL/ctld
SlurmdSpoolDir=$SPOOL/d
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=$LOG/slurmctld.log
SlurmdLogFile=$LOG/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
DefMemPerCPU=1024
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=bf_interval=5
KillWait=5
MinJobAge=60
InactiveLimit=0
SlurmdTimeout=60
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
    mv "$CONF.new" "$CONF"
}

alive() { [[ -f "$RUN/$1.pid" ]] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

start_munge() {
    if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
        return
    fi
    [[ -s /etc/munge/munge.key ]] || mungekey --create --keyfile=/etc/munge/munge.key
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /run/munge /var/log/munge /var/lib/munge
    runuser -u munge -- munged
    for _ in $(seq 20); do
        munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && return
        sleep 0.5
    done
    log "munged did not start (see /var/log/munge/munged.log)"
    exit 1
}

node_state() { sinfo -h -N -o '%T' 2>/dev/null | head -n1; }

start() {
    install
    start_munge
    if ! alive slurmctld || ! alive slurmd; then
        write_conf
    fi
    alive slurmctld || slurmctld
    alive slurmd || slurmd
    local state=""
    for _ in $(seq $((WAIT_S * 2))); do
        state=$(node_state)
        case "$state" in
            idle|mixed|allocated) log "node $(hostname -s) is $state"; return 0 ;;
            down*|drain*) scontrol update NodeName="$(hostname -s)" State=RESUME 2>/dev/null || true ;;
        esac
        sleep 0.5
    done
    log "the node did not become idle within ${WAIT_S}s (state: ${state:-no answer}); see $LOG"
    exit 1
}

stop() {
    local daemon pid
    for daemon in slurmd slurmctld; do
        if alive "$daemon"; then
            pid=$(cat "$RUN/$daemon.pid")
            kill "$pid"
            for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        fi
        rm -f "$RUN/$daemon.pid"
    done
    log "stopped slurmctld and slurmd (munged left running: other services may use it)"
}

status() { sinfo -N -o '%N %T %C %m' ; }

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
