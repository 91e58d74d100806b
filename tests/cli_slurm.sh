#!/usr/bin/env bash
# scripts/slurm/dmf_array.sbatch and dmf_merge.sbatch on a real Slurm: a
# private single-node cluster (munged, slurmctld, slurmd) is started for the
# test and stopped afterwards, whatever happens.
#   1. a stand-in dmf records what each array task runs: shard i/N from the
#      array (also one with a start and a step), extra options passed on,
#      DMF_SHARDS for a partial resubmission, SIGTERM passed on to dmf and
#      its exit status 5 kept;
#   2. the real dmf: 8 bit-reversed DFT factorizations in a 4-task array, the
#      merge job chained with --dependency=afterok; every job has exactly one
#      record, status ok, rel_error < 1e-12; a resubmission adds nothing;
#      a missing shard is named by the merge, then run on its own; SIGTERM
#      to the batch script lets the running job finish, exit 5, and a
#      resubmission runs the rest.
# Exit 77 where Slurm cannot be started here (not root, packages missing,
# daemons refuse to start) or where this dmf has no 'run' command.
set -u

DMF=${1:?usage: cli_slurm.sh PATH/TO/dmf}
[ -x "$DMF" ] || { echo "cli_slurm: '$DMF' is not an executable"; exit 1; }
DMF=$(cd "$(dirname "$DMF")" && pwd)/$(basename "$DMF")
HERE=$(cd "$(dirname "$0")" && pwd)
ARRAY=$HERE/../scripts/slurm/dmf_array.sbatch
MERGE=$HERE/../scripts/slurm/dmf_merge.sbatch
command -v python3 >/dev/null || { echo "cli_slurm: python3 not found, skipping" >&2; exit 77; }

# shellcheck source=slurm_harness.sh
. "$HERE/slurm_harness.sh"
TMP=$(mktemp -d)
writer="" # a background FIFO writer of part 2
cleanup() {
  [ -n "$writer" ] && kill "$writer" 2>/dev/null
  slurm_stop
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'echo "cli_slurm: stopped by a signal (or after 180 s)" >&2; exit 1' INT TERM HUP
# Every wait below has its own limit; this one bounds the whole test (each
# command it could be in at that moment is limited to 20 s).
(for ((i = 0; i < 1800; i++)); do sleep 0.1; kill -0 $$ || exit 0; done
  kill -TERM $$) >/dev/null 2>&1 &
cd "$TMP" || exit 1

if ! slurm_start; then
  echo "cli_slurm: Slurm cannot be started here, skipping: $SLURM_WHY" >&2
  exit 77
fi
echo "cli_slurm: Slurm up after ${SECONDS} s ($SLURM_DIR)"

passed=0
failed=0
check() { # NAME EXIT-STATUS-OF-THE-CONDITION
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "PASS $1"; else failed=$((failed + 1)); echo "FAIL $1"; fi
}
# Every job is limited to two minutes, so nothing outlives a broken test for long.
submit() { timeout 20 sbatch --parsable --time=2 --cpus-per-task=1 "$@"; }
job_field() { # JOBID FIELD: the field of every task, one a line
  timeout 10 scontrol -o show job "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}
finish() {
  echo "cli_slurm: $passed passed, $failed failed, ${SECONDS} s"
  [ "$failed" -eq 0 ] || { slurm_log_tail; exit 1; }
}

# --- 1. the sbatch script's own work, with a stand-in for dmf -------------
cat >fake_dmf <<'EOF'
#!/usr/bin/env bash
# Stand-in for dmf: writes its arguments to OUT/args.TASK; with FAKE_WAIT_TERM
# set it says it is ready and runs until SIGTERM, then exits 5 as dmf run does.
[ "$1" = run ] || exit 2
out=$4
echo "$*" >"$out/args.$SLURM_ARRAY_TASK_ID"
if [ -n "${FAKE_WAIT_TERM:-}" ]; then
  trap 'echo term >"$out/term.$SLURM_ARRAY_TASK_ID"; exit 5' TERM
  touch "$out/ready.$SLURM_ARRAY_TASK_ID"
  for _ in $(seq 600); do sleep 0.1; done
  exit 0
fi
exit 0
EOF
chmod +x fake_dmf
echo '{"jobs": []}' >empty.json

job=$(DMF_BIN=$TMP/fake_dmf submit --array=0-3 -o fake-%a.out "$ARRAY" empty.json fake --extra 7)
check "sbatch accepts the array script" $?
slurm_wait_job "$job" 30
check "array of 4 tasks finishes within 30 s" $?
ok=0
for i in 0 1 2 3; do
  [ "$(cat "fake/args.$i" 2>/dev/null)" = "run empty.json --out fake --shard $i/4 --extra 7" ] || ok=1
done
check "task i runs 'dmf run JOBS --out DIR --shard i/4' plus the extra options" $ok
[ "$(job_field "$job" ExitCode | sort -u)" = 0:0 ]
check "every task exits 0 when dmf does" $?

job=$(DMF_BIN=$TMP/fake_dmf submit --array=1-5:2 -o fake-%a.out "$ARRAY" empty.json step)
slurm_wait_job "$job" 30
[ "$(cat step/args.1 step/args.3 step/args.5 2>/dev/null | tr '\n' ' ')" = \
  "run empty.json --out step --shard 0/3 run empty.json --out step --shard 1/3 run empty.json --out step --shard 2/3 " ]
check "--array=1-5:2 makes shards 0/3, 1/3, 2/3" $?

job=$(DMF_BIN=$TMP/fake_dmf DMF_SHARDS=8 submit --array=2,5 -o fake-%a.out "$ARRAY" empty.json fake)
slurm_wait_job "$job" 30
[ "$(cat fake/args.2 2>/dev/null)" = "run empty.json --out fake --shard 2/8" ] &&
  [ "$(cat fake/args.5 2>/dev/null)" = "run empty.json --out fake --shard 5/8" ]
check "DMF_SHARDS=8 with --array=2,5 runs shards 2/8 and 5/8" $?

job=$(DMF_BIN=$TMP/fake_dmf DMF_SHARDS=3 submit --array=3 -o fake-%a.out "$ARRAY" empty.json fake)
slurm_wait_job "$job" 30
[ "$(job_field "$job" ExitCode)" = 2:0 ] && grep -q "not a shard of 3" fake-3.out
check "task 3 of DMF_SHARDS=3 is refused with status 2" $?

job=$(DMF_BIN=$TMP/nowhere submit --array=0 -o nodmf-%a.out "$ARRAY" empty.json fake)
slurm_wait_job "$job" 30
[ "$(job_field "$job" ExitCode)" = 2:0 ] && grep -q "no dmf executable" nodmf-0.out
check "a missing dmf is reported, status 2" $?

rm -f fake/args.*
job=$(DMF_BIN=$TMP/fake_dmf FAKE_WAIT_TERM=1 submit --array=0 -o term-%a.out "$ARRAY" empty.json fake)
deadline=$((SECONDS + 20))
while [ ! -e fake/ready.0 ] && ((SECONDS < deadline)); do sleep 0.1; done
[ -e fake/ready.0 ]
check "the stand-in is running" $?
# What --signal=B:TERM@60 does before the time limit: signal the batch shell only.
timeout 10 scancel --batch --signal=TERM "$job"
slurm_wait_job "$job" 20
check "the task ends after SIGTERM" $?
[ -e fake/term.0 ] && [ "$(job_field "$job" ExitCode)" = 5:0 ] && grep -q "SIGTERM" term-0.out
check "SIGTERM reaches dmf and its status 5 is the task's" $?

# --- 2. the real dmf ------------------------------------------------------
if ! "$DMF" run --help >/dev/null 2>&1; then
  finish
  echo "cli_slurm: this dmf has no 'run' command ('dmf run --help' fails), skipping the batch run" >&2
  exit 77
fi

python3 - >jobs.json <<'EOF'
import json
sizes = [4, 8, 16, 32, 64, 128, 256, 512]
print(json.dumps({"jobs": [{"id": "dft-%d" % n, "command": "butterfly factor",
                            "args": {"matrix": "dft-bitrev", "size": str(n), "dtype": "c128"}}
                           for n in sizes]}))
EOF
array=$(DMF_BIN=$DMF submit --array=0-3 -o run-%a.out "$ARRAY" jobs.json out)
check "dmf array submitted" $?
merge=$(DMF_BIN=$DMF submit --dependency=afterok:"$array" -o merge.out "$MERGE" jobs.json out)
check "merge submitted with --dependency=afterok" $?
slurm_wait_job "$array" 40 && slurm_wait_job "$merge" 20
check "array and merge finish within 60 s" $?
[ "$(job_field "$array" ExitCode | sort -u)" = 0:0 ] && [ "$(job_field "$merge" ExitCode)" = 0:0 ]
check "every task and the merge exit 0" $?

cat >check_merged.py <<'EOF'
import json, sys
jobs = [j["id"] for j in json.load(open(sys.argv[1]))["jobs"]]
bad = []
merged = [json.loads(l) for l in open(sys.argv[2] + "/results.jsonl") if l.strip()]
if [r["id"] for r in merged] != jobs:
    bad.append("merged ids %s, expected %s" % ([r["id"] for r in merged], jobs))
for r in merged:
    res = r.get("result") or {}
    if r.get("status") != "ok" or r.get("exit_code") != 0 or not res.get("rel_error", 1) < 1e-12:
        bad.append("%s: status %s, exit %s, rel_error %s" % (r["id"], r.get("status"), r.get("exit_code"), res.get("rel_error")))
def shard(id, n):
    # dmf run's shard of a job: FNV-1a 64 of the id's bytes, mod n.
    h = 0xcbf29ce484222325
    for b in id.encode():
        h = ((h ^ b) * 0x100000001b3) % 2**64
    return h % n
for i in range(4):
    ids = [json.loads(l)["id"] for l in open("%s/results.%d-of-4.jsonl" % (sys.argv[2], i)) if l.strip()]
    want = [j for j in jobs if shard(j, 4) == i]
    if ids != want:
        bad.append("shard %d holds %s, expected %s" % (i, ids, want))
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
EOF
python3 check_merged.py jobs.json out
check "merged: each job once, in order, status ok, rel_error < 1e-12; shard i holds the ids that hash to i" $?

cat out/results.*-of-4.jsonl >before.jsonl
array=$(DMF_BIN=$DMF submit --array=0-3 -o rerun-%a.out "$ARRAY" jobs.json out)
slurm_wait_job "$array" 30 && [ "$(job_field "$array" ExitCode | sort -u)" = 0:0 ]
check "the same array submitted again exits 0" $?
cat out/results.*-of-4.jsonl | cmp -s - before.jsonl
check "the resubmission redoes nothing (results unchanged)" $?

# Shard 3 of 4 left out, then run on its own: the merge names what is missing
# (dft-16 is the only id that hashes to 3 of 4).
array=$(DMF_BIN=$DMF DMF_SHARDS=4 submit --array=0-2 -o part-%a.out "$ARRAY" jobs.json part)
merge=$(DMF_BIN=$DMF submit --dependency=afterany:"$array" -o merge-part.out "$MERGE" jobs.json part)
slurm_wait_job "$array" 30 && slurm_wait_job "$merge" 20 && [ "$(job_field "$merge" ExitCode)" = 1:0 ] &&
  grep -q 'have no record: dft-16$' merge-part.out && grep -q 'no results.3-of-4.jsonl' merge-part.out
check "shards 0-2 of 4 only: the merge exits 1 naming dft-16 and shard 3" $?
array=$(DMF_BIN=$DMF DMF_SHARDS=4 submit --array=3 -o part-%a.out "$ARRAY" jobs.json part)
merge=$(DMF_BIN=$DMF submit --dependency=afterok:"$array" -o merge-part2.out "$MERGE" jobs.json part)
slurm_wait_job "$array" 30 && slurm_wait_job "$merge" 20 && [ "$(job_field "$merge" ExitCode)" = 0:0 ] &&
  python3 check_merged.py jobs.json part
check "then shard 3 alone (DMF_SHARDS=4 --array=3) completes it" $?

# SIGTERM before the time limit with the real dmf: the job that is running
# finishes and is recorded, the next one does not start, the task exits 5,
# and a resubmission runs only what is left.  The running job reads its
# matrix from a FIFO, so it is surely running when the signal comes and
# surely not done before the writer lets it.
"$DMF" matrix --matrix dft-bitrev --size 16 --dtype c128 --out dft16.npy >/dev/null 2>&1
mkfifo slow.npy
cat >term_jobs.json <<EOF
{"jobs": [{"id": "slow", "command": "butterfly factor", "args": {"input": "$TMP/slow.npy"}},
          {"id": "after", "command": "butterfly factor", "args": {"matrix": "dft-bitrev", "size": "32", "dtype": "c128"}}]}
EOF
timeout 60 python3 - slow.npy dft16.npy reader.flag go.flag <<'EOF' &
import os, sys, time
fifo, source, ready, go = sys.argv[1:]
while True:  # opening a FIFO without blocking succeeds once a reader is there
    try:
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        break
    except OSError:
        time.sleep(0.05)
open(ready, "w").close()
while not os.path.exists(go):
    time.sleep(0.05)
os.set_blocking(fd, True)
os.write(fd, open(source, "rb").read())
os.close(fd)
EOF
writer=$!
job=$(DMF_BIN=$DMF submit --array=0 -o term-real.out "$ARRAY" term_jobs.json termout)
deadline=$((SECONDS + 30))
while [ ! -e reader.flag ] && ((SECONDS < deadline)); do sleep 0.1; done
[ -e reader.flag ]
check "dmf run's first job is running (reading its FIFO)" $?
timeout 10 scancel --batch --signal=TERM "$job"
deadline=$((SECONDS + 20))
while ! grep -q "letting job 'slow' finish" term-real.out 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
touch go.flag
slurm_wait_job "$job" 30
kill "$writer" 2>/dev/null # only if it is still waiting for a reader
wait "$writer"
writer=""
[ "$(job_field "$job" ExitCode)" = 5:0 ] && grep -q "letting job 'slow' finish" term-real.out
check "SIGTERM through Slurm: dmf run lets the job finish and exits 5" $?
python3 - termout/results.0-of-1.jsonl <<'EOF'
import json, sys
records = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
sys.exit(not (len(records) == 1 and records[0]["id"] == "slow" and records[0]["status"] == "ok"
              and records[0]["result"]["rel_error"] < 1e-12))
EOF
check "the running job is recorded ok, the next one did not start" $?
job=$(DMF_BIN=$DMF submit --array=0 -o term-real.out "$ARRAY" term_jobs.json termout)
slurm_wait_job "$job" 30 && [ "$(job_field "$job" ExitCode)" = 0:0 ] &&
  [ "$(cut -d'"' -f4 termout/results.0-of-1.jsonl | tr '\n' ' ')" = "slow after " ]
check "resubmitted, it runs only the job that was left" $?

finish
exit 0
