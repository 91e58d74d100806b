# A private, single-node Slurm cluster for tests, sourced by tests/cli_slurm*.sh.
# shellcheck shell=bash
#
#   slurm_start    munged + slurmctld + slurmd in a fresh temporary directory,
#                  on free TCP ports, with their own munge key and socket;
#                  returns once the node is idle.  Sets SLURM_CONF (which
#                  sbatch, squeue, scancel, sinfo and scontrol read) and
#                  SLURM_DIR.  On failure returns 1 with the reason in
#                  SLURM_WHY; whatever was started is stopped again.
#   slurm_stop     cancels every job, stops the daemons by their process ids
#                  (TERM, then KILL) and removes the directory.  Safe to call
#                  twice and after a failed start: call it from an EXIT trap.
#   slurm_wait_job JOBID SECONDS   polls squeue until the job (and every task
#                  of an array) has left the queue; 1 on timeout.
#   slurm_log_tail prints the end of the daemon logs, for failure reports.
# DMF_KEEP_SLURM_DIR=1 keeps the directory (configuration, logs) for a look.
#
# Nothing outside the temporary directory is written: the packaged
# /etc/slurm and /etc/munge and any system daemons are left alone, so two
# clusters can run side by side.  The daemons run as root (SlurmUser=root), as
# slurmd must to start jobs; no cgroups are used (proctrack/linuxproc,
# task/none), so it works in containers.

SLURM_DIR=""
SLURM_WHY=""
_slurm_pids=() # munged, slurmctld, slurmd: children of this shell

_slurm_free_port() {
  if command -v python3 >/dev/null; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
  else
    echo $((20000 + RANDOM % 20000))
  fi
}

# Polls COMMAND (run with a 5 s limit) every 0.2 s until it succeeds or
# SECONDS have passed.
_slurm_until() {
  local seconds=$1
  shift
  local deadline=$((SECONDS + seconds))
  while ((SECONDS < deadline)); do
    timeout 5 "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}

_slurm_alive() { kill -0 "$1" 2>/dev/null; }

_slurm_node_idle() {
  [ "$(timeout 5 sinfo -h -N -o %t 2>/dev/null)" = idle ]
}

slurm_log_tail() {
  local f
  for f in munged.out munged.log slurmctld.out slurmctld.log slurmd.out slurmd.log; do
    [ -n "$SLURM_DIR" ] && [ -s "$SLURM_DIR/$f" ] || continue
    echo "--- last lines of $f"
    tail -n 15 "$SLURM_DIR/$f"
  done
}

slurm_start() {
  local tool
  PATH=$PATH:/usr/sbin:/sbin # the daemons, for users whose PATH lacks them
  for tool in munged munge slurmctld slurmd sbatch squeue scancel sinfo scontrol; do
    command -v "$tool" >/dev/null || { SLURM_WHY="'$tool' is not installed (Debian packages slurmctld slurmd slurm-client munge)"; return 1; }
  done
  [ "$(id -u)" -eq 0 ] || { SLURM_WHY="slurmd must run as root to start jobs; this is uid $(id -u)"; return 1; }

  # Variables of an enclosing allocation would steer the commands elsewhere.
  local var
  for var in $(compgen -e); do
    case $var in SLURM_* | SBATCH_* | SQUEUE_* | SINFO_* | SCONTROL_* | SALLOC_* | SRUN_* | SCANCEL_*) unset "$var" ;; esac
  done

  # A short path: munge's and slurmd's unix sockets live in it.
  SLURM_DIR=$(mktemp -d /tmp/dmf-slurm.XXXXXX) || { SLURM_WHY="cannot create a directory in /tmp"; return 1; }
  chmod 755 "$SLURM_DIR" # munged requires a socket directory everyone can search
  mkdir -p "$SLURM_DIR/state" "$SLURM_DIR/spool"
  export SLURM_CONF=$SLURM_DIR/slurm.conf

  local host node node_line ctld_port slurmd_port
  host=$(hostname -s)
  node_line=$(timeout 10 slurmd -C 2>/dev/null | head -n 1)
  case $node_line in
    NodeName=*) ;;
    *) SLURM_WHY="'slurmd -C' does not describe this machine"; return 1 ;;
  esac
  ctld_port=$(_slurm_free_port)
  slurmd_port=$(_slurm_free_port)
  while [ "$slurmd_port" = "$ctld_port" ]; do slurmd_port=$(_slurm_free_port); done

  cat >"$SLURM_CONF" <<EOF
ClusterName=dmftest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SLURM_DIR/munge.sock
StateSaveLocation=$SLURM_DIR/state
SlurmdSpoolDir=$SLURM_DIR/spool
SlurmctldPidFile=$SLURM_DIR/slurmctld.pid
SlurmdPidFile=$SLURM_DIR/slurmd.pid
SlurmctldLogFile=$SLURM_DIR/slurmctld.log
SlurmdLogFile=$SLURM_DIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$SLURM_DIR/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
ReturnToService=2
MinJobAge=600
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
KillWait=5
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=30
MessageTimeout=10
$node_line NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  : >"$SLURM_DIR/plugstack.conf"

  dd if=/dev/urandom of="$SLURM_DIR/munge.key" bs=1024 count=1 status=none
  chmod 600 "$SLURM_DIR/munge.key"
  munged --foreground --key-file="$SLURM_DIR/munge.key" --socket="$SLURM_DIR/munge.sock" \
    --pid-file="$SLURM_DIR/munged.pid" --log-file="$SLURM_DIR/munged.log" \
    --seed-file="$SLURM_DIR/munged.seed" </dev/null >"$SLURM_DIR/munged.out" 2>&1 &
  _slurm_pids+=($!)
  _slurm_until 10 munge -n -S "$SLURM_DIR/munge.sock" ||
    { SLURM_WHY="munged did not start"; _slurm_failed_start; return 1; }

  slurmctld -D -c -f "$SLURM_CONF" </dev/null >"$SLURM_DIR/slurmctld.out" 2>&1 &
  _slurm_pids+=($!)
  _slurm_until 20 scontrol ping ||
    { SLURM_WHY="slurmctld did not answer 'scontrol ping'"; _slurm_failed_start; return 1; }

  node=${node_line%% *}
  slurmd -D -f "$SLURM_CONF" -N "${node#NodeName=}" </dev/null >"$SLURM_DIR/slurmd.out" 2>&1 &
  _slurm_pids+=($!)
  _slurm_node_idle_or_fail || return 1
  return 0
}

_slurm_node_idle_or_fail() {
  local deadline=$((SECONDS + 30))
  while ((SECONDS < deadline)); do
    _slurm_node_idle && return 0
    _slurm_alive "${_slurm_pids[2]}" || break
    sleep 0.2
  done
  SLURM_WHY="the node did not become idle (sinfo: '$(timeout 5 sinfo -h -N -o '%t %E' 2>&1)')"
  _slurm_failed_start
  return 1
}

_slurm_failed_start() {
  slurm_log_tail >&2
  slurm_stop
}

slurm_wait_job() {
  local job=$1 seconds=$2
  [ -n "$job" ] || return 1 # sbatch failed
  local deadline=$((SECONDS + seconds))
  while ((SECONDS < deadline)); do
    [ -z "$(timeout 5 squeue -h -j "$job" -o %i 2>/dev/null || echo unknown)" ] && return 0
    sleep 0.3
  done
  return 1
}

slurm_stop() {
  local pid i deadline
  if ((${#_slurm_pids[@]} >= 2)) && _slurm_alive "${_slurm_pids[1]}"; then
    timeout 5 scancel --user="$(id -un)" >/dev/null 2>&1
    deadline=$((SECONDS + 10))
    while ((SECONDS < deadline)) && [ -n "$(timeout 5 squeue -h -o %i 2>/dev/null)" ]; do sleep 0.2; done
  fi
  # slurmd, slurmctld, munged: the reverse of the start order.
  for ((i = ${#_slurm_pids[@]} - 1; i >= 0; i--)); do
    pid=${_slurm_pids[i]}
    _slurm_alive "$pid" || continue
    kill -TERM "$pid" 2>/dev/null
    deadline=$((SECONDS + 10))
    while ((SECONDS < deadline)) && _slurm_alive "$pid"; do sleep 0.1; done
    _slurm_alive "$pid" && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  _slurm_pids=()
  if [ -n "$SLURM_DIR" ] && [ -z "${DMF_KEEP_SLURM_DIR:-}" ]; then
    rm -rf "$SLURM_DIR"
  fi
  SLURM_DIR=""
}
