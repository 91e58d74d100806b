#!/usr/bin/env bash
# dmf run and dmf merge: known answers in the records, restart after
# SIGKILL and SIGTERM (nothing lost, nothing twice), a torn last line,
# shards and their merge, the Slurm array variables, and bad job files.
set -u
DMF=${1:?usage: cli_jobs.sh PATH/TO/dmf}
[ -x "$DMF" ] || { echo "cli_jobs: '$DMF' is not an executable"; exit 1; }
command -v python3 >/dev/null || { echo "cli_jobs: python3 not found, skipping"; exit 77; }
DMF=$(cd "$(dirname "$DMF")" && pwd)/$(basename "$DMF")
EXAMPLES=$(cd "$(dirname "${BASH_SOURCE[0]}")/../examples" && pwd) || exit 1
TMP=$(mktemp -d)
runner=
feeders=()
cleanup() {
    [ -n "$runner" ] && kill -9 "$runner" 2>/dev/null
    for pid in "${feeders[@]}"; do kill -9 "$pid" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT
cd "$TMP" || exit 1
unset SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_COUNT SLURM_ARRAY_TASK_MIN SLURM_ARRAY_TASK_MAX SLURM_ARRAY_TASK_STEP

passed=0
failed=0
check() { # NAME EXIT-STATUS-OF-THE-CONDITION
    if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "PASS $1"
    else failed=$((failed + 1)); echo "FAIL $1"; [ -f err.txt ] && echo "  stderr: $(tail -c 600 err.txt)"; fi
}
# py 'CODE' ARGS: runs a Python check; CODE ends with a truthy expression
# `ok` and may read the results with load(path).
py() {
    local code=$1
    shift
    python3 - "$@" <<EOF
import json, sys
def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f]
def strip(v):
    # Timings differ from run to run; everything else must not.
    if isinstance(v, dict):
        return {k: strip(x) for k, x in v.items() if not k.endswith("time_s") and k not in ("device_s", "transfer_s")}
    if isinstance(v, list):
        return [strip(x) for x in v]
    return v
def shard(id, n):
    # The shard dmf run assigns: FNV-1a 64 of the id's bytes, mod n.
    h = 0xcbf29ce484222325
    for b in id.encode():
        h = ((h ^ b) * 0x100000001b3) % 2**64
    return h % n
$code
sys.exit(0 if ok else 1)
EOF
}

# ---- a small job file with known answers -------------------------------------
cat >net_haar.json <<'JSON'
{"type": "conv", "N": 64, "root": "r", "edges": [
 {"from": "a", "to": "r", "support": {"dilated": 0}}, {"from": "b", "to": "a", "support": {"dilated": 1}},
 {"from": "c", "to": "b", "support": {"dilated": 2}}, {"from": "d", "to": "c", "support": {"dilated": 3}}]}
JSON
cat >net_paper.json <<'JSON'
{"type": "conv", "N": 16, "root": "r", "edges": [
 {"from": "a", "to": "r", "support": [1, 2, 3]}, {"from": "b", "to": "a", "support": [1, 2, 3]}]}
JSON
# The supports of the two factors of the 4 x 4 bit-reversed DFT.
printf '%%%%MatrixMarket matrix coordinate pattern general\n4 4 8\n1 1\n1 3\n2 2\n2 4\n3 1\n3 3\n4 2\n4 4\n' >sx.mtx
printf '%%%%MatrixMarket matrix coordinate pattern general\n4 4 8\n1 1\n1 2\n2 1\n2 2\n3 3\n3 4\n4 3\n4 4\n' >sy.mtx
mkdir -p sub
cat >sub/jobs.json <<'JSON'
{"defaults": {"backend": "cpu"},
 "jobs": [
  {"id": "dft-256", "command": "butterfly factor",
   "args": {"matrix": "dft-bitrev", "size": 256, "dtype": "c128", "tree": "balanced"}},
  {"id": "hadamard-64", "command": "butterfly factor", "args": {"matrix": "hadamard", "size": "64", "tree": "l2r"}},
  {"id": "no-radix", "command": "butterfly factor", "args": {"matrix": "dct2", "size": 12}},
  {"id": "fsmf-dft4", "command": "fsmf",
   "args": {"matrix": "dft-bitrev", "size": 4, "support-x": "../sx.mtx", "support-y": "../sy.mtx"}},
  {"id": "lift-haar", "command": "liftrank", "args": {"network": "../net_haar.json", "sigma-min": true}},
  {"id": "scatter-paper", "command": "scatter", "args": {"network": "../net_paper.json"}},
  {"id": "sweep", "command": "demod sweep",
   "args": {"latent": 3, "outputs": [20, 30], "hidden": 20, "trials": 2, "iterations": 50, "seed": 7}}
 ]}
JSON
ALL='["dft-256","hadamard-64","no-radix","fsmf-dft4","lift-haar","scatter-paper","sweep"]'

"$DMF" run sub/jobs.json --out full >out.txt 2>err.txt
check "full run: exit 3 (one job failed)" $([ $? -eq 3 ]; echo $?)
R=full/results.0-of-1.jsonl
py "
recs = load('$R'); by = {r['id']: r for r in recs}
ok = [r['id'] for r in recs] == $ALL and [r['index'] for r in recs] == list(range(7))
" ; check "one record per job, in order, with its index" $?
py "
by = {r['id']: r for r in load('$R')}
r = by['dft-256']
ok = r['status'] == 'ok' and r['exit_code'] == 0 and r['result']['rel_error'] < 1e-12 and r['error'] is None \
     and r['command'] == 'butterfly factor' and r['result']['size'] == [256, 256] and r['time_s'] > 0
"; check "dft-bitrev 256: rel_error < 1e-12" $?
py "
r = {r['id']: r for r in load('$R')}['hadamard-64']
ok = r['result']['rel_error'] < 1e-12 and r['result']['tree'] == 'l2r' and '--size=64' in r['argv']
"; check "hadamard 64, l2r: exact, string and number values both reach the command" $?
py "
r = {r['id']: r for r in load('$R')}['no-radix']
ok = r['status'] == 'failed' and r['exit_code'] == 1 and r['result'] is None and 'radix' in r['error']
"; check "12 x 12 without radices: recorded failed, exit 1, the message kept" $?
py "
r = {r['id']: r for r in load('$R')}['fsmf-dft4']['result']
ok = r['optimal'] is True and r['rel_error'] < 1e-12
"; check "fsmf of the 4 x 4 DFT on its butterfly supports: exact" $?
py "
r = {r['id']: r for r in load('$R')}['lift-haar']['result']
ok = r['rank'] == 16 and abs(r['sigma_min'] - 8) < 1e-9
"; check "liftrank (path relative to the job file): Haar rank 16, sigma_min 8" $?
py "
r = {r['id']: r for r in load('$R')}['scatter-paper']['result']
ok = r['scattered'] is False and r['num_offending'] == 3
"; check "scatter: {1,2,3} twice is not scattered" $?
py "
r = {r['id']: r for r in load('$R')}['sweep']['result']
ok = isinstance(r, list) and [c['output'] for c in r] == [20, 30] and all(c['trials'] == 2 for c in r)
"; check "demod sweep: one result per cell, as a list" $?
py "
s = json.loads(open('out.txt').read())
ok = s == {'command': 'run', 'shard': [0, 1], 'jobs': 7, 'skipped': 0, 'ok': 6, 'failed': 1, 'previously_failed': 0,
           'remaining': 0, 'interrupted': False, 'results': '$R'}
"; check "summary line on stdout" $?
grep -q '^\[1/7\] dft-256 ok' err.txt && grep -q '^\[3/7\] no-radix failed (exit 1)' err.txt
check "progress on stderr" $?

cp $R before.jsonl
"$DMF" run sub/jobs.json --out full >out.txt 2>err.txt
rc=$?
cmp -s before.jsonl $R && [ $rc -eq 3 ] && grep -q '"skipped": 7' out.txt && grep -q '"ok": 0' out.txt
check "rerun: skips all 7, appends nothing, still exit 3 for the failed job" $?

# FNV-1a 64 of "hadamard-64" is 6 mod 7, and of no other id of the file.
cd sub && "$DMF" run jobs.json --out ../nested/a/b --shard 6/7 >../out.txt 2>../err.txt; rc=$?; cd ..
[ $rc -eq 0 ] && py "ok = [r['id'] for r in load('nested/a/b/results.6-of-7.jsonl')] == ['hadamard-64']"
check "--out creates missing parent directories; run from the job file's directory" $?

"$DMF" run "$EXAMPLES/jobs_small.json" --out example >out.txt 2>err.txt
rc=$?
py "
by = {r['id']: r for r in load('example/results.0-of-1.jsonl')}
ok = len(by) == 7 and all(r['status'] == 'ok' for r in by.values()) \
     and all(r['result']['rel_error'] < 1e-12 for r in by.values() if r['command'] in ('butterfly factor', 'fsmf')) \
     and by['liftrank-haar']['result']['rank'] == 16 and by['scatter-haar']['result']['scattered'] is True
" && [ $rc -eq 0 ]
check "examples/jobs_small.json: every job ok, the factorizations exact" $?

# ---- merge ---------------------------------------------------------------------
"$DMF" merge sub/jobs.json full >merged.jsonl 2>err.txt
rc=$?
cmp -s merged.jsonl $R && [ $rc -eq 0 ] && grep -q '"missing": 0' err.txt
check "merge of one shard: the records on stdout, the summary on stderr" $?

# ---- shards ------------------------------------------------------------------
for i in 0 1 2; do "$DMF" run sub/jobs.json --out shards --shard $i/3 >out$i.txt 2>err$i.txt; done
py "
recs = [load('shards/results.%d-of-3.jsonl' % i) for i in range(3)]
ok = all(shard(r['id'], 3) == i for i in range(3) for r in recs[i]) and sum(map(len, recs)) == 7 \
     and all(len(r) > 0 for r in recs)
"; check "shard i of 3 runs the jobs whose id hashes to i (FNV-1a 64 mod 3)" $?
"$DMF" merge sub/jobs.json shards --out merged3.jsonl >sum.txt 2>err.txt
rc=$?
py "
a = load('$R'); b = load('merged3.jsonl')
ok = [strip(r) for r in a] == [strip(r) for r in b] and json.loads(open('sum.txt').read())['shards'] == 3
" && [ $rc -eq 0 ]
check "3 shards merged = the unsharded run (all but timings)" $?
mv shards/results.1-of-3.jsonl shard1.jsonl
"$DMF" merge sub/jobs.json shards >merged.jsonl 2>err.txt
rc=$?
[ $rc -eq 1 ] && grep -q 'have no record: hadamard-64 no-radix scatter-paper' err.txt \
    && grep -q 'no results.1-of-3.jsonl' err.txt && ! grep -q 'no results.[02]-of-3' err.txt \
    && [ "$(wc -l <merged.jsonl)" -eq 4 ]
check "merge with a shard missing: exit 1 naming the missing jobs and the file that should hold them" $?
cp full/results.0-of-1.jsonl shards/
"$DMF" merge sub/jobs.json shards >merged.jsonl 2>err.txt
rc=$?
[ $rc -eq 0 ] && cmp -s merged.jsonl full/results.0-of-1.jsonl && grep -q '"duplicates": 4' err.txt \
    && grep -q '"shards": null, "shard_counts": \[1, 3\]' err.txt && ! grep -q 'no results' err.txt
check "merge of files with different N: each job once, the fewest shards' record first" $?
rm shards/results.0-of-1.jsonl
mv shard1.jsonl shards/results.1-of-3.jsonl
head -c 100 shards/results.1-of-3.jsonl >>shards/results.0-of-3.jsonl
"$DMF" merge sub/jobs.json shards >merged.jsonl 2>err.txt
[ $? -eq 0 ] && grep -q 'torn last line' err.txt && [ "$(wc -l <merged.jsonl)" -eq 7 ]
check "merge ignores a torn last line with a warning" $?
sed -n 1p shards/results.1-of-3.jsonl >>shards/results.2-of-3.jsonl
"$DMF" run sub/jobs.json --out shards --shard 0/3 >/dev/null 2>err.txt
grep -q 'removed a torn last line' err.txt && py "ok = len(load('shards/results.0-of-3.jsonl')) == 2"
check "run repairs the torn line" $?
"$DMF" merge sub/jobs.json shards >merged.jsonl 2>err.txt
[ $? -eq 0 ] && grep -q "job 'hadamard-64' is recorded again" err.txt && grep -q '"duplicates": 1' err.txt \
    && [ "$(wc -l <merged.jsonl)" -eq 7 ]
check "merge keeps the first of duplicate records, with a warning" $?

# ---- Slurm array variables -----------------------------------------------------
SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_COUNT=3 SLURM_ARRAY_TASK_MIN=1 "$DMF" run sub/jobs.json --out slurm \
    >out.txt 2>err.txt
grep -q '"shard": \[2, 3\]' out.txt && [ -f slurm/results.2-of-3.jsonl ]
check "SLURM_ARRAY_TASK_ID 3 of an array 1-3: shard 2/3" $?
SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=2 "$DMF" run sub/jobs.json --out slurm >out.txt 2>err.txt
grep -q '"shard": \[1, 2\]' out.txt
check "SLURM_ARRAY_TASK_ID 1 of 2 without MIN: shard 1/2" $?
# --array=0-5:2 has the tasks 0, 2, 4.
SLURM_ARRAY_TASK_ID=4 SLURM_ARRAY_TASK_COUNT=3 SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_STEP=2 \
    "$DMF" run sub/jobs.json --out slurm >out.txt 2>err.txt
grep -q '"shard": \[2, 3\]' out.txt
check "SLURM_ARRAY_TASK_STEP 2: task 4 is shard 2/3" $?
SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_COUNT=3 SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_STEP=2 \
    "$DMF" run sub/jobs.json --out slurm >out.txt 2>err.txt
[ $? -eq 2 ] && grep -q 'not on the array' err.txt
check "SLURM_ARRAY_TASK_STEP 2: task 5 is off the grid, usage error" $?
SLURM_ARRAY_TASK_ID=4 SLURM_ARRAY_TASK_COUNT=3 "$DMF" run sub/jobs.json --out slurm >out.txt 2>err.txt
[ $? -eq 2 ] && grep -q 'outside 0..2' err.txt
check "SLURM_ARRAY_TASK_ID beyond the count: usage error" $?
SLURM_ARRAY_TASK_ID=4 SLURM_ARRAY_TASK_COUNT=3 "$DMF" run sub/jobs.json --out slurm --shard 0/2 >out.txt 2>err.txt
grep -q '"shard": \[0, 2\]' out.txt
check "--shard wins over the Slurm variables" $?

# ---- usage and bad job files: nothing runs ----------------------------------------
expect_fail() { # NAME CODE TEXT JOBFILE [ARGS...]
    local name=$1 code=$2 text=$3 file=$4
    shift 4
    rm -rf bad
    "$DMF" run "$file" --out bad "$@" >out.txt 2>err.txt
    local rc=$?
    [ $rc -eq "$code" ] && grep -qF -- "$text" err.txt && [ ! -s bad/results.0-of-1.jsonl ]
    check "$name (exit $rc)" $?
}
for s in 3/3 1/0 x 1/ /2 -1/2 1/2x; do
    expect_fail "bad --shard '$s'" 2 "shard" sub/jobs.json --shard "$s"
done
expect_fail "--on-term bogus" 2 "on-term" sub/jobs.json --on-term bogus
expect_fail "bad --backend" 2 "backend" sub/jobs.json --backend gpu
"$DMF" run sub/jobs.json >/dev/null 2>err.txt
check "missing --out: exit 2" $([ $? -eq 2 ] && grep -q -- '--out' err.txt; echo $?)
expect_fail "missing job file" 1 "nope.json" nope.json
printf '{"jobs": [\n {"id": "a", "command": "fsmf",}\n]}\n' >bad1.json
expect_fail "malformed JSON: line and column" 1 "malformed JSON at line 2" bad1.json
echo '{"jobs": [{"id": "a", "command": "scatter", "args": {"network": "n"}}, {"id": "b", "command": "scatter", "args": {"network": "n"}}, {"id": "a", "command": "scatter", "args": {"network": "n"}}]}' >bad2.json
expect_fail "duplicate ids: both positions" 1 "jobs 0 and 2 have the same id 'a'" bad2.json
echo '{"jobs": [{"id": "a", "command": "scatter", "args": {"network": "n"}}, {"id": "b", "command": "butterfly factorize"}]}' >bad3.json
expect_fail "unknown command" 1 "job 1 (id 'b'): unknown command 'butterfly factorize'" bad3.json
echo '{"jobs": [{"id": "a", "command": "butterfly factor", "args": {"matrix": "dft", "sise": 8}}]}' >bad4.json
expect_fail "unknown option" 1 "job 0 (id 'a'): 'sise' is not an option of 'butterfly factor'" bad4.json
echo '{"jobs": [{"id": "a", "command": "scatter", "args": {"network": "n"}}, {"id": 7, "command": "scatter"}]}' >bad5.json
expect_fail "id not a string" 1 "job 1: \"id\" must be a non-empty string" bad5.json
echo '{"jobs": [{"id": "", "command": "scatter"}]}' >bad6.json
expect_fail "empty id" 1 "job 0: \"id\" must be a non-empty string" bad6.json
echo '{"jobs": [{"id": "a", "command": "butterfly factor", "args": {"orthonormalize": "yes"}}]}' >bad7.json
expect_fail "a flag given a value" 1 "'orthonormalize' is a flag" bad7.json
echo '{"jobs": [{"id": "a", "command": "butterfly factor", "args": {"size": true}}]}' >bad8.json
expect_fail "a value option given true" 1 "'size' takes a value" bad8.json
echo '{"jobs": [{"id": "a", "command": "scatter"}]}' >bad9.json
expect_fail "scatter without its network" 1 "needs \"network\"" bad9.json
echo '{"jobs": [{"id": "a", "command": "scatter", "arg": {}}]}' >bad10.json
expect_fail "misspelt key" 1 "unknown key 'arg'" bad10.json
echo '{"defaults": {"sise": 3}, "jobs": [{"id": "a", "command": "scatter", "args": {"network": "n"}}]}' >bad11.json
expect_fail "unknown option in defaults" 1 "\"defaults\": 'sise' is not an option of any" bad11.json
echo '{"jobs": {"id": "a"}}' >bad12.json
expect_fail "jobs not a list" 1 "\"jobs\" must be a list" bad12.json
printf '{"jobs": [{"id": "a\\nb", "command": "scatter", "args": {"network": "n"}}]}' >bad13.json
expect_fail "newline in an id" 1 "job 0: \"id\" holds a control character (0x0a at byte 1)" bad13.json
printf '{"jobs": [{"id": "a\tb", "command": "scatter", "args": {"network": "n"}}]}' >bad14.json
expect_fail "raw tab in an id" 1 "job 0: \"id\" holds a control character (0x09 at byte 1)" bad14.json
printf '{"jobs": [\n{"id": "a\\u0000b", "command": "scatter", "args": {"network": "n"}}]}' >bad15.json
expect_fail "NUL in an id" 1 "line 2: \"\\u0000\" (a NUL character) cannot be part" bad15.json
printf '{"jobs": [{"id": "a", "command": "scatter", "args": {"network": "n\\u0000x"}}]}' >bad16.json
expect_fail "NUL in a value" 1 "(a NUL character)" bad16.json

# ---- the option table matches the subcommands' own options --------------------------
"$DMF" run --help >help.txt
python3 - "$DMF" <<'EOF'
import subprocess, sys
text = open("help.txt").read()
lines = text.split("(\"network\" is the NETWORK.json argument):\n")[1].split("\n\n")[0].split("\n")
table, cmd = {}, None
for line in lines:
    if line[2] != " ":
        cmd = line[2:19].strip()
        table[cmd] = []
    table[cmd] += [w for w in line[19:].split() if w not in ("(flag)", "(the", "file)")]
bad = []
for cmd, opts in table.items():
    h = subprocess.run([sys.argv[1]] + cmd.split() + ["--help"], capture_output=True, text=True).stdout
    for o in opts:
        if o == "network" or "--" + o in h:
            continue
        # Not in the help text (fsmf takes the matrix options of random-chain
        # without listing them): then the parser itself must take it.
        r = subprocess.run([sys.argv[1]] + cmd.split() + ["--%s=2" % o, "--help"], capture_output=True, text=True)
        if r.returncode != 0 or "usage" not in r.stdout:
            bad.append("%s --%s" % (cmd, o))
print("table:", {k: len(v) for k, v in table.items()}, "missing from --help:", bad)
sys.exit(1 if bad or len(table) != 8 else 0)
EOF
check "every option of the job table is one its command takes" $?
"$DMF" merge --help | grep -q "usage: dmf merge"
check "merge --help" $?

# ---- signals and SIGKILL ---------------------------------------------------------------------
# The "slow" job reads its matrix from a FIFO: it waits in open() until the
# test feeds it, so a signal always arrives while that job runs, however
# loaded the machine is.
"$DMF" matrix --matrix hadamard --size 64 --out small.npy >/dev/null
mkfifo slow.npy
cat >slow.json <<'JSON'
{"jobs": [
  {"id": "fast-a", "command": "butterfly factor", "args": {"matrix": "hadamard", "size": 16}},
  {"id": "slow", "command": "butterfly factor", "args": {"input": "slow.npy"}},
  {"id": "fast-b", "command": "butterfly factor", "args": {"matrix": "hadamard", "size": 32}},
  {"id": "fast-c", "command": "scatter", "args": {"network": "net_paper.json"}}]}
JSON
SLOW_IDS='["fast-a","slow","fast-b","fast-c"]'
# feed_slow: lets the slow job (now or in the next run) read its matrix.
feed_slow() { timeout 60 sh -c 'cat small.npy >slow.npy' & feeders+=($!); }
# start_slow DIR [ARGS]: starts a runner in its own process group (as a Slurm
# step is) and waits until the slow job's process is running.
start_slow() {
    local dir=$1
    shift
    setsid "$DMF" run slow.json --out "$dir" "$@" >out.txt 2>err.txt &
    runner=$!
    child=
    for _ in $(seq 1 500); do
        if grep -q 'fast-a ok' err.txt 2>/dev/null; then
            child=$(cat /proc/$runner/task/*/children 2>/dev/null | tr -d ' ')
            [ -n "$child" ] || child=$(pgrep -P "$runner" 2>/dev/null)
            [ -n "$child" ] && break
        fi
        sleep 0.02
    done
    [ -n "$child" ] || echo "  (the slow job was not seen running)"
}
finish_runner() { wait "$runner"; local rc=$?; runner=; return $rc; }
# gone PID: the process has ended (a zombie left to a container's init counts).
gone() { [ ! -e "/proc/$1" ] || grep -q '^[0-9]* (.*) Z' "/proc/$1/stat"; }

start_slow kill
"$DMF" run slow.json --out kill >out2.txt 2>err2.txt
rc=$?
[ $rc -eq 1 ] && grep -q 'in use by another dmf run' err2.txt
check "a second run of the same shard at the same time is refused (exit $rc)" $?
kill -9 "$runner"
finish_runner 2>/dev/null # no "Killed" notice from bash
# The job would wait for its input forever; it dies with the runner.
for _ in $(seq 1 100); do gone "$child" && break; sleep 0.01; done
py "ok = [r['id'] for r in load('kill/results.0-of-1.jsonl')] == ['fast-a']" && gone "$child"
check "SIGKILL during a job: the finished job is recorded, the running one dies too" $?
feed_slow
"$DMF" run slow.json --out kill >out.txt 2>err.txt
rc=$?
py "ok = [r['id'] for r in load('kill/results.0-of-1.jsonl')] == $SLOW_IDS" && [ $rc -eq 0 ] \
    && grep -q '"skipped": 1' out.txt
check "rerun after SIGKILL: every job exactly once" $?

start_slow term
kill -TERM -- "-$runner" # the whole group, as Slurm does; the job itself ignores it
for _ in $(seq 1 500); do grep -q "SIGTERM: letting job 'slow' finish" err.txt && break; sleep 0.02; done
feed_slow
finish_runner
rc=$?
py "
recs = load('term/results.0-of-1.jsonl'); s = json.loads(open('out.txt').read())
ok = [r['id'] for r in recs] == ['fast-a', 'slow'] and recs[1]['status'] == 'ok' and s['interrupted'] is True \
     and s['remaining'] == 2
" && [ $rc -eq 5 ] && grep -q "SIGTERM: letting job 'slow' finish" err.txt
check "SIGTERM: the running job finishes and is recorded, exit 5" $?
"$DMF" run slow.json --out term >out.txt 2>err.txt
rc=$?
py "ok = [r['id'] for r in load('term/results.0-of-1.jsonl')] == $SLOW_IDS" && [ $rc -eq 0 ]
check "rerun after SIGTERM completes the rest" $?

start_slow abandon --on-term abandon
kill -TERM "$runner"
finish_runner
rc=$?
py "ok = [r['id'] for r in load('abandon/results.0-of-1.jsonl')] == ['fast-a']" && [ $rc -eq 5 ] \
    && grep -q "abandoning job 'slow'" err.txt && gone "$child"
check "--on-term abandon: the job is killed, not recorded, exit 5" $?
start_slow twice
kill -INT "$runner"
for _ in $(seq 1 500); do grep -q "SIGINT" err.txt && break; sleep 0.02; done
kill -INT "$runner" # the same request arriving twice (scancel does that): still finishing
sleep 1.2
kill -INT "$runner"
finish_runner
rc=$?
py "ok = [r['id'] for r in load('twice/results.0-of-1.jsonl')] == ['fast-a']" && [ $rc -eq 5 ]
check "a second SIGINT abandons the running job" $?
feed_slow
"$DMF" run slow.json --out abandon >out.txt 2>err.txt
rc=$?
py "ok = [r['id'] for r in load('abandon/results.0-of-1.jsonl')] == $SLOW_IDS" && [ $rc -eq 0 ]
check "rerun after abandoning redoes the job" $?

# A job that crashes: its record names the signal; the run goes on.  (The
# sanitizer build would turn the SIGSEGV into its own report and exit 1.)
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0" start_slow crash
kill -SEGV "$child"
finish_runner
rc=$?
py "
recs = {r['id']: r for r in load('crash/results.0-of-1.jsonl')}
ok = sorted(recs) == sorted($SLOW_IDS) and recs['slow']['status'] == 'failed' \
     and recs['slow']['exit_code'] == 139 and recs['slow']['error'].startswith('killed by signal 11 (Segmentation fault)')
" && [ $rc -eq 3 ]
check "a crashed job's record names the signal (exit $rc)" $?
# Failed jobs are finished for a plain rerun; --retry-failed runs them again
# and its record supersedes the failed one, for dmf run and dmf merge.
"$DMF" run slow.json --out crash >out.txt 2>err.txt
rc=$?
py "s = json.loads(open('out.txt').read()); ok = s['skipped'] == 4 and s['previously_failed'] == 1" && [ $rc -eq 3 ]
check "a rerun skips the failed job (exit $rc)" $?
feed_slow
"$DMF" run slow.json --out crash --retry-failed >out.txt 2>err.txt
rc=$?
py "
recs = load('crash/results.0-of-1.jsonl'); s = json.loads(open('out.txt').read())
ok = [r['id'] for r in recs][-1] == 'slow' and recs[-1]['status'] == 'ok' and len(recs) == 5 \
     and s['skipped'] == 3 and s['ok'] == 1 and s['previously_failed'] == 0
" && [ $rc -eq 0 ] && grep -q 'retrying 1 recorded failed' err.txt
check "--retry-failed reruns the failed job and records it ok (exit $rc)" $?
"$DMF" merge slow.json crash --out crash/merged.jsonl >out.txt 2>err.txt
rc=$?
py "
recs = {r['id']: r for r in load('crash/merged.jsonl')}; s = json.loads(open('out.txt').read())
ok = len(recs) == 4 and recs['slow']['status'] == 'ok' and s['failed'] == 0 and s['duplicates'] == 0
" && [ $rc -eq 0 ] && ! grep -q 'recorded again' err.txt
check "merge: the retried ok record supersedes the failed one (exit $rc)" $?
"$DMF" run slow.json --out crash --retry-failed >out.txt 2>err.txt
rc=$?
py "s = json.loads(open('out.txt').read()); ok = s['skipped'] == 4 and s['ok'] == 0" && [ $rc -eq 0 ]
check "--retry-failed with nothing failed runs nothing (exit $rc)" $?
echo '{"jobs": [{"id": "gone", "command": "fsmf", "args": {"input": "no_such.npy", "support-x": "x.npy", "support-y": "y.npy"}}]}' >fails.json
"$DMF" run fails.json --out fails >/dev/null 2>&1
"$DMF" run fails.json --out fails --retry-failed >out.txt 2>err.txt
rc=$?
"$DMF" merge fails.json fails --out fails/merged.jsonl >out2.txt 2>err2.txt
rc2=$?
py "
recs = load('fails/results.0-of-1.jsonl'); merged = load('fails/merged.jsonl'); s = json.loads(open('out2.txt').read())
ok = len(recs) == 2 and all(r['status'] == 'failed' for r in recs) and merged == recs[1:] and s['duplicates'] == 0
" && [ $rc -eq 3 ] && [ $rc2 -eq 0 ] && ! grep -q 'recorded again' err2.txt
check "failed again under --retry-failed: merge keeps the later record (exit $rc, $rc2)" $?

# A record cut short by a crash mid-write: removed, and its job redone.
head -c 60 kill/results.0-of-1.jsonl >torn.txt
sed -i '$d' kill/results.0-of-1.jsonl
cat torn.txt >>kill/results.0-of-1.jsonl
"$DMF" run slow.json --out kill >out.txt 2>err.txt
rc=$?
py "ok = [r['id'] for r in load('kill/results.0-of-1.jsonl')] == $SLOW_IDS" && [ $rc -eq 0 ] \
    && grep -q 'removed a torn last line (60 bytes)' err.txt && grep -q '"skipped": 3' out.txt
check "torn last line: removed with a message, that job redone" $?
printf 'garbage\n' | cat - kill/results.0-of-1.jsonl >k.jsonl && mv k.jsonl kill/results.0-of-1.jsonl
"$DMF" run slow.json --out kill >out.txt 2>err.txt
[ $? -eq 1 ] && grep -q 'line 1: not a result record' err.txt
check "a bad line that is not the last: exit 1, nothing touched" $?

# ---- edited jobs, exact numbers, merge targets, demod options ----------------
cat >v1.json <<'JSON'
{"jobs": [{"id": "a", "command": "butterfly factor", "args": {"matrix": "hadamard", "size": 4}}]}
JSON
cat >v2.json <<'JSON'
{"jobs": [{"id": "a", "command": "butterfly factor", "args": {"matrix": "hadamard", "size": 64}}]}
JSON
"$DMF" run v1.json --out edited >out.txt 2>err.txt && "$DMF" run v2.json --out edited >out.txt 2>err.txt
[ $? -eq 1 ] && grep -q "run with other arguments" err.txt && [ "$(wc -l <edited/results.0-of-1.jsonl)" -eq 1 ]
check "an edited job is not passed off as done: exit 1, nothing appended" $?
"$DMF" merge v2.json edited >out.txt 2>err.txt
[ $? -eq 1 ] && grep -q "run with other arguments" err.txt && grep -q "have no record: a" err.txt && [ ! -s out.txt ]
check "merge leaves out a record of an edited job and calls the job missing" $?
"$DMF" run v1.json --out edited --backend cpu >out.txt 2>err.txt
[ $? -eq 0 ] && grep -q '"skipped": 1' out.txt
check "another --backend is the same job: skipped" $?
# 'butterfly factor' needs --out or --no-out: a job without "out" runs with
# --no-out, and records written before that (without it) stay the same job.
"$DMF" run v1.json --out noout >out.txt 2>err.txt
[ $? -eq 0 ] && grep -q '"--no-out"' noout/results.0-of-1.jsonl
check "a factor job without \"out\" runs with --no-out" $?
sed -i 's/, "--no-out"//' noout/results.0-of-1.jsonl
"$DMF" run v1.json --out noout >out.txt 2>err.txt
[ $? -eq 0 ] && grep -q '"skipped": 1' out.txt
check "a record without --no-out (earlier dmf) is the same job: skipped" $?
cat >without.json <<'JSON'
{"jobs": [{"id": "w", "command": "butterfly factor", "args": {"matrix": "hadamard", "size": 8, "out": "W8"}}]}
JSON
"$DMF" run without.json --out withdir >out.txt 2>err.txt
[ $? -eq 0 ] && [ -s W8/chain.json ] && ! grep -q '"--no-out"' withdir/results.0-of-1.jsonl
check "a factor job with \"out\" writes its factor folder" $?
cat >big.json <<'JSON'
{"jobs": [{"id": "a", "command": "liftrank", "args": {"network": "net_haar.json", "seed": 9007199254740993}}]}
JSON
"$DMF" run big.json --out big >out.txt 2>err.txt
[ $? -eq 1 ] && grep -q "not exact" err.txt && [ ! -s big/results.0-of-1.jsonl ]
check "an integer past 2^53 is refused before it is rounded" $?
"$DMF" run v1.json --out many --shard 0/4 >/dev/null 2>&1
"$DMF" merge v1.json many --out real.jsonl >out.txt 2>err.txt
[ $? -eq 0 ] && ! grep -q "no results" err.txt
check "merge expects only the shards that own jobs" $?
ln -s real.jsonl link.jsonl
"$DMF" merge v1.json many --out link.jsonl >out.txt 2>err.txt
[ $? -eq 0 ] && [ -L link.jsonl ] && [ "$(wc -l <real.jsonl)" -eq 1 ]
check "merge --out writes through a symbolic link instead of replacing it" $?
"$DMF" run v1.json --out many --shard 0/2 >out.txt 2>err.txt
[ $? -eq 0 ] && grep -q '"skipped": 1' out.txt && [ ! -s many/results.0-of-2.jsonl ]
check "a run split another way skips the jobs recorded ok by the first" $?
cat >demod32.json <<'JSON'
{"jobs": [{"id": "d", "command": "demod sweep", "args": {"latent": 2, "outputs": 60, "hidden": 40,
  "trials": 4, "iterations": 50, "dtype": "f32", "independent-networks": true}}]}
JSON
"$DMF" run demod32.json --out d32 >out.txt 2>err.txt
py "r = load('d32/results.0-of-1.jsonl'); ok = len(r) == 1 and r[0]['status'] == 'ok' and '--dtype=f32' in r[0]['argv']"
check "demod jobs take --dtype and --independent-networks" $?

# ---- editing a job file: shards by id hash, reruns skip every recorded job ----
python3 - <<'EOF'
import json
jobs = [{"id": "h%d" % k, "command": "butterfly factor", "args": {"matrix": "hadamard", "size": 4}} for k in range(12)]
top = {"id": "new-top", "command": "butterfly factor", "args": {"matrix": "hadamard", "size": 8}}
json.dump({"jobs": jobs}, open("e1.json", "w"))
json.dump({"jobs": [top] + jobs}, open("e2.json", "w"))
EOF
for i in 0 1 2 3; do "$DMF" run e1.json --out ed --shard $i/4 >/dev/null 2>err.txt; done
for i in 0 1 2 3; do "$DMF" run e2.json --out ed --shard $i/4 >out$i.txt 2>err$i.txt; done
py "
sums = [json.loads(open('out%d.txt' % i).read()) for i in range(4)]
files = [load('ed/results.%d-of-4.jsonl' % i) for i in range(4)]
ids = sorted(r['id'] for f in files for r in f)
ok = sum(s['ok'] for s in sums) == 1 and sum(s['skipped'] for s in sums) == 12 \
     and ids == sorted(['new-top'] + ['h%d' % k for k in range(12)]) \
     and all(shard(r['id'], 4) == i for i in range(4) for r in files[i])
"; check "a job inserted at the top: the rerun runs it alone, no other job changes shard or runs again" $?
: >err.txt
for i in 0 1 2; do "$DMF" run e2.json --out ed --shard $i/3 >out$i.txt 2>err$i.txt || echo "exit $?" >>err.txt; done
py "
sums = [json.loads(open('out%d.txt' % i).read()) for i in range(3)]
ok = all(s['ok'] + s['failed'] == 0 and s['skipped'] == s['jobs'] for s in sums) \
     and sum(s['jobs'] for s in sums) == 13 and sum(len(load('ed/results.%d-of-3.jsonl' % i)) for i in range(3)) == 0
" && ! [ -s err.txt ] && grep -q 'or the 4 other results file(s)' err0.txt
check "the edited file split 3 ways: every job recorded by the 4-way runs is skipped, none repeated" $?
"$DMF" run e2.json --out ed1 >/dev/null 2>&1
"$DMF" merge e2.json ed --out ed_merged.jsonl >sum.txt 2>err.txt
rc=$?
py "
def core(r):
    r = strip(r); r.pop('index'); return r
a = load('ed1/results.0-of-1.jsonl'); b = load('ed_merged.jsonl')
ok = [core(r) for r in a] == [core(r) for r in b] and json.loads(open('sum.txt').read())['duplicates'] == 0
" && [ $rc -eq 0 ] && ! grep -q 'no results' err.txt
check "merge of the hashed shards (runs split 4 and 3 ways) = the unsharded run" $?
cat >late.json <<'JSON'
{"jobs": [{"id": "late", "command": "liftrank", "args": {"network": "net_late.json"}}]}
JSON
"$DMF" run late.json --out late >/dev/null 2>err.txt
rc1=$?
cp net_haar.json net_late.json
"$DMF" run late.json --out late >out.txt 2>err.txt
rc2=$?
grep -q '"previously_failed": 1' out.txt && [ $rc1 -eq 3 ] && [ $rc2 -eq 3 ]
check "a job recorded failed is not retried by the same split" $?
s=$(py "ok = True; print(shard('late', 2))")
"$DMF" run late.json --out late --shard "$s/2" >out.txt 2>err.txt
rc=$?
"$DMF" merge late.json late --out late.jsonl >sum.txt 2>err.txt
[ $? -eq 0 ] && [ $rc -eq 0 ] && grep -q '"ok": 1' out.txt && grep -q 'redone ok' err.txt \
    && py "r = load('late.jsonl'); ok = len(r) == 1 and r[0]['status'] == 'ok'" && grep -q '"duplicates": 0' sum.txt
check "a run split another way retries it; merge keeps the ok record" $?

echo "cli_jobs: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
