#!/usr/bin/env bash
# Job files checked before anything runs (values, option names with "did you
# mean", required options and the rules between them), dmf jobs check, the
# progress line of dmf run, and dmf jobs sweep.
set -u
DMF=${1:?usage: cli_jobs_validate.sh PATH/TO/dmf}
[ -x "$DMF" ] || { echo "cli_jobs_validate: '$DMF' is not an executable"; exit 1; }
command -v python3 >/dev/null || { echo "cli_jobs_validate: python3 not found, skipping"; exit 77; }
DMF=$(cd "$(dirname "$DMF")" && pwd)/$(basename "$DMF")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1
unset SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_COUNT SLURM_ARRAY_TASK_MIN SLURM_ARRAY_TASK_MAX SLURM_ARRAY_TASK_STEP

passed=0
failed=0
check() { # NAME EXIT-STATUS-OF-THE-CONDITION
    if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "PASS $1"
    else failed=$((failed + 1)); echo "FAIL $1"; [ -f err.txt ] && echo "  stderr: $(tail -c 800 err.txt)"; fi
}

# ---- (a) values checked up front ----------------------------------------------------
# bad_job NAME 'COMMAND' 'ARGS-JSON' TEXT...: a one-job file is refused by
# dmf run (exit 1, nothing run or recorded) and by dmf jobs check, and the
# message holds every TEXT.
bad_job() {
    local name=$1 command=$2 args=$3
    shift 3
    printf '{"jobs": [{"id": "x", "command": "%s", "args": %s}]}\n' "$command" "$args" >job.json
    rm -rf res
    "$DMF" run job.json --out res >out.txt 2>err.txt
    local rc=$?
    local ok=0
    [ $rc -eq 1 ] && [ ! -e res ] && [ ! -s out.txt ] || ok=1
    for text in "$@"; do grep -qF -- "$text" err.txt || ok=1; done
    "$DMF" jobs check job.json >/dev/null 2>err2.txt
    [ $? -eq 1 ] && cmp -s <(sed 's/^dmf run/dmf jobs check/' err.txt) err2.txt || ok=1
    check "$name (exit $rc)" $ok
}
BF='butterfly factor'
bad_job "tree 'balnced': the names, a did-you-mean" "$BF" '{"matrix": "hadamard", "size": 8, "tree": "balnced"}' \
    "job 0 (id 'x'): \"tree\": 'balnced' is not l2r, r2l, balanced, a JSON nested list" "(did you mean 'balanced'?)"
bad_job "dtype f63" "$BF" '{"matrix": "hadamard", "size": 8, "dtype": "f63"}' \
    "\"dtype\": 'f63' is not f32, f64, c64 or c128 (did you mean 'f64'?)"
bad_job "negative size" "$BF" '{"matrix": "hadamard", "size": -8}' "\"size\": '-8' is not N or NxM with N, M >= 1"
bad_job "size 0x8" "$BF" '{"matrix": "hadamard", "size": "0x8"}' "\"size\": '0x8' is not N or NxM"
bad_job "non-numeric rank" "$BF" '{"matrix": "hadamard", "size": 8, "rank": "two"}' "\"rank\": 'two' is not an integer >= 1"
bad_job "rank 0" "$BF" '{"matrix": "hadamard", "size": 8, "rank": 0}' "\"rank\": '0' is not an integer >= 1"
bad_job "rank 1.5" "$BF" '{"matrix": "hadamard", "size": 8, "rank": 1.5}' "\"rank\": '1.5' is not an integer >= 1"
bad_job "negative seed" "$BF" '{"matrix": "gaussian", "size": 8, "seed": -1}' "\"seed\": '-1' is not an integer >= 0"
bad_job "negative noise" "$BF" '{"matrix": "hadamard", "size": 8, "noise": -0.1}' "\"noise\": '-0.1' is not a number >= 0"
bad_job "unknown matrix" "$BF" '{"matrix": "hadamrd", "size": 8}' \
    "\"matrix\": 'hadamrd' is not hadamard, dft, dft-bitrev, dct2, dst2, random-chain or gaussian (did you mean 'hadamard'?)"
bad_job "radix 0" "$BF" '{"matrix": "random-chain", "size": 8, "radix-m": "2,0", "radix-n": "2,2"}' \
    "\"radix-m\": '2,0' is not up to 64 comma-separated integers >= 1"
bad_job "backend gpu" "$BF" '{"matrix": "hadamard", "size": 8, "backend": "gpu"}' \
    "\"backend\": 'gpu' is not auto, cpu or cuda (did you mean 'cpu'?)"
bad_job "empty input" "$BF" '{"input": ""}' "\"input\": the value is empty"
bad_job "empty perm-rows" "$BF" '{"matrix": "hadamard", "size": 8, "perm-rows": ""}' "\"perm-rows\": the value is empty"
bad_job "a nested-list tree that is not binary" "$BF" '{"matrix": "hadamard", "size": 8, "tree": "[0,1,2]"}' \
    "\"tree\": '[0,1,2]' is not a tree: a tree node has 3 children"
bad_job "a nested-list tree with leaves out of order" "$BF" '{"matrix": "hadamard", "size": 8, "tree": "[[0,2],1]"}' \
    "\"tree\": '[[0,2],1]' is not a tree"
bad_job "a tree of 3 leaves for 4 factors" "$BF" '{"matrix": "hadamard", "size": 16, "tree": "[[0,1],2]"}' \
    "\"tree\" has 3 leaves but the chain has 4 factors (radix 2 for this \"size\")"
bad_job "a tree of 3 leaves for 2 radices" "$BF" \
    '{"matrix": "random-chain", "size": 6, "radix-m": "2,3", "radix-n": "3,2", "tree": "[[0,1],2]"}' \
    "\"tree\" has 3 leaves but the chain has 2 factors (the radices of \"radix-m\")"
bad_job "input and matrix" "$BF" '{"input": "a.npy", "matrix": "hadamard", "size": 8}' \
    "\"input\" and \"matrix\" exclude each other"
bad_job "neither input nor matrix" "$BF" '{"tree": "l2r"}' "give \"input\" (a .npy or .mtx file) or \"matrix\""
bad_job "matrix without size" fsmf '{"matrix": "hadamard", "support-x": "x", "support-y": "y"}' \
    "\"matrix\" needs \"size\""
bad_job "radix-m without radix-n" "$BF" '{"matrix": "random-chain", "size": 8, "radix-m": "2,2,2"}' \
    "\"radix-m\" has 3 radices but \"radix-n\" has 0"
bad_job "noise with input" "$BF" '{"input": "a.npy", "noise": 0.1}' "\"noise\" applies to \"matrix\" only"
bad_job "out and no-out" "$BF" '{"matrix": "hadamard", "size": 8, "out": "F", "no-out": true}' \
    "\"out\" and \"no-out\" exclude each other"
bad_job "fsmf without support-y" fsmf '{"matrix": "hadamard", "size": 4, "support-x": "x.mtx"}' \
    "'fsmf' needs \"support-y\" in its args"
bad_job "liftrank samples 0" liftrank '{"network": "n.json", "samples": 0}' "\"samples\": '0' is not an integer >= 1"
bad_job "demod sweep dtype c128" "demod sweep" '{"latent": 3, "outputs": 20, "dtype": "c128"}' \
    "\"dtype\": 'c128' is not f32 or f64"
bad_job "demod sweep latent 0" "demod sweep" '{"latent": [3, 0], "outputs": 20}' "\"latent\": '3,0' is not up to 64"
bad_job "demod sweep trials 'many'" "demod sweep" '{"latent": 3, "outputs": 20, "trials": "many"}' \
    "\"trials\": 'many' is not an integer >= 1"
bad_job "demod sweep step-rule" "demod sweep" '{"latent": 3, "outputs": 20, "step-rule": "fixd"}' \
    "\"step-rule\": 'fixd' is not fixed, scaled or backtracking (did you mean 'fixed'?)"
bad_job "demod sweep momentum 1" "demod sweep" '{"latent": 3, "outputs": 20, "step-rule": "fixed", "momentum": 1}' \
    "\"momentum\": '1' is not a number in [0, 1)"
bad_job "momentum with backtracking" "demod sweep" '{"latent": 3, "outputs": 20, "momentum": 0.5}' \
    "\"momentum\" goes with \"step-rule\" fixed or scaled"
bad_job "demod sweep without outputs" "demod sweep" '{"latent": 3}' "'demod sweep' needs \"outputs\" in its args"
bad_job "demod solve without y0" "demod solve" '{"g1": "a.json", "g2": "b.json"}' "'demod solve' needs \"y0\""
bad_job "demod solve h0 without m0" "demod solve" '{"g1": "a.json", "g2": "b.json", "y0": "y.npy", "h0": "h.npy"}' \
    "give both \"h0\" and \"m0\""
bad_job "demod synth tol is not its option" "demod synth" '{"g1": "a", "g2": "b", "out": "o", "tol": 1}' \
    "'tol' is not an option of 'demod synth'"

# ---- (b) did you mean, for option names and commands ----------------------------
bad_job "option 'treee': did you mean 'tree'" "$BF" '{"matrix": "hadamard", "size": 8, "treee": "l2r"}' \
    "job 0 (id 'x'): 'treee' is not an option of 'butterfly factor' (did you mean 'tree'?)"
bad_job "option 'orthonormalise'" "$BF" '{"matrix": "hadamard", "size": 8, "orthonormalise": true}' \
    "(did you mean 'orthonormalize'?)"
bad_job "option 'iteration'" "demod sweep" '{"latent": 3, "outputs": 20, "iteration": 5}' \
    "(did you mean 'iterations'?)"
bad_job "command 'butterfly factr'" "butterfly factr" '{}' \
    "unknown command 'butterfly factr' (did you mean 'butterfly factor'?); a job runs one of:"
echo '{"defaults": {"sise": 8}, "jobs": [{"id": "a", "command": "scatter", "args": {"network": "n"}}]}' >d.json
"$DMF" run d.json --out res >out.txt 2>err.txt
[ $? -eq 1 ] && grep -qF "\"defaults\": 'sise' is not an option of any job command (did you mean 'size'?)" err.txt
check "an unknown option in \"defaults\": did you mean 'size'" $?
echo '{"defaults": {"backend": "gpu"}, "jobs": [{"id": "a", "command": "scatter", "args": {"network": "n"}},
  {"id": "b", "command": "liftrank", "args": {"network": "n"}}]}' >d.json
"$DMF" run d.json --out res >out.txt 2>err.txt
[ $? -eq 1 ] && grep -qF "job 1 (id 'b'): \"backend\" (from \"defaults\"): 'gpu' is not auto, cpu or cuda" err.txt \
    && ! grep -q "job 0" err.txt
check "a bad value from \"defaults\" is named as such, for the jobs that take it" $?

# ---- valid jobs pass, and what only running can tell still runs -----------------------
echo '[[0,1],2]' >mytree
cat >good.json <<'JSON'
{"jobs": [
 {"id": "perm", "command": "butterfly factor", "args": {"matrix": "hadamard", "size": 8, "perm-rows": "bitrev", "perm-cols": "1,0,2"}},
 {"id": "file-tree", "command": "butterfly factor", "args": {"matrix": "hadamard", "size": 8, "tree": "mytree"}},
 {"id": "json-tree", "command": "butterfly factor", "args": {"matrix": "hadamard", "size": 8, "tree": " [0,[1,2]]"}},
 {"id": "radix", "command": "butterfly factor", "args": {"matrix": "random-chain", "size": 6, "radix-m": [2, 3], "radix-n": "3,2", "tree": "[0,1]"}},
 {"id": "dims", "command": "butterfly factor", "args": {"matrix": "gaussian", "size": "8x4", "seed": 0, "noise": 0, "rank": 2}},
 {"id": "no-radix", "command": "butterfly factor", "args": {"matrix": "dct2", "size": 12}},
 {"id": "later-file", "command": "liftrank", "args": {"network": "made_by_an_earlier_job.json"}},
 {"id": "solve", "command": "demod solve", "args": {"g1": "a", "g2": "b", "y0": "y", "h0": "h", "m0": "m",
   "step-rule": "scaled", "momentum": 0.9, "tol": 0, "dtype": "f32"}}]}
JSON
"$DMF" jobs check good.json >out.txt 2>err.txt
rc=$?
python3 -c "
import json, sys
s = json.loads(open('out.txt').read())
sys.exit(0 if s['jobs'] == 8 and s['commands'] == {'butterfly factor': 6, 'liftrank': 1, 'demod solve': 1} else 1)
" && [ $rc -eq 0 ] && [ ! -s err.txt ]
check "dmf jobs check: valid jobs pass (perm options, tree file and lists, input files not yet made)" $?
cat >multi.json <<'JSON'
{"jobs": [
 {"id": "a", "command": "butterfly factor", "args": {"matrix": "hadamard", "size": 8, "tree": "balnced"}},
 {"id": "b", "command": "butterfly factor", "args": {"matrix": "hadamard", "size": 8}},
 {"id": "c", "command": "butterfly factor", "args": {"matrix": "hadamard", "size": 8, "dtype": "f63"}}]}
JSON
"$DMF" run multi.json --out res >out.txt 2>err.txt
[ $? -eq 1 ] && grep -q "job 0 (id 'a')" err.txt && grep -q "job 2 (id 'c')" err.txt \
    && grep -q "2 of 3 jobs are not valid" err.txt && [ ! -e res ]
check "every bad job is named at once, and nothing runs" $?
"$DMF" jobs check >/dev/null 2>err.txt
[ $? -eq 2 ]
check "dmf jobs check without a file: usage" $?
"$DMF" jobs chek good.json >/dev/null 2>err.txt
[ $? -eq 2 ] && grep -qF "(did you mean 'check'?)" err.txt
check "dmf jobs chek: did you mean 'check'" $?

# The table agrees with the commands: a value the job check refuses, the
# command refuses too (exit 2, before its --help), and one it takes the
# command takes.  (dtype, backend, matrix, size and tree of the matrix
# commands are checked after the options are read, so not by this probe.)
python3 - "$DMF" <<'EOF'
import json, subprocess, sys
dmf = sys.argv[1]
base = {"butterfly factor": {"matrix": "hadamard", "size": 8}, "fsmf": {"matrix": "hadamard", "size": 4,
        "support-x": "x", "support-y": "y"}, "liftrank": {"network": "n"},
        "demod sweep": {"latent": 3, "outputs": 20}, "demod solve": {"g1": "a", "g2": "b", "y0": "y"},
        "demod synth": {"g1": "a", "g2": "b", "out": "o"}}
extra = {"radix-m": {"radix-n": "2,2,2"}}  # what an option needs beside it
cases = [  # command, option, good, bads
    ("butterfly factor", "rank", "2", ["0", "two", "-1", "1.5"]),
    ("butterfly factor", "seed", "18446744073709551615", ["-1", "x", "18446744073709551616"]),
    ("butterfly factor", "noise", "0.5", ["-1", "nan", "inf", "1e400"]),
    ("butterfly factor", "radix-m", "2,2,2", ["2,0", "2,,2", "a", ",".join(["2"] * 65)]),
    ("fsmf", "seed", "3", ["-3"]),
    ("liftrank", "samples", "3", ["0", "x"]),
    ("liftrank", "seed", "1", ["-1"]),
    ("demod sweep", "latent", "3,5", ["0", "3,x"]),
    ("demod sweep", "trials", "2", ["0"]),
    ("demod sweep", "iterations", "5", ["0", "-5"]),
    ("demod sweep", "step", "0.5", ["0", "-1"]),
    ("demod sweep", "step-rule", "scaled", ["fast"]),
    ("demod sweep", "tol", "0", ["-1"]),
    ("demod sweep", "success-tol", "0.1", ["0"]),
    ("demod sweep", "dtype", "f32", ["c64", "f16"]),
    ("demod solve", "start-seed", "3", ["-3"]),
    ("demod synth", "trials", "1", ["0"]),
]
bad = []
for command, option, good, bads in cases:
    for value, want_ok in [(good, True)] + [(b, False) for b in bads]:
        args = dict(base[command]); args.update(extra.get(option, {})); args[option] = value
        json.dump({"jobs": [{"id": "x", "command": command, "args": args}]}, open("probe.json", "w"))
        job_ok = subprocess.run([dmf, "jobs", "check", "probe.json"], capture_output=True).returncode == 0
        r = subprocess.run([dmf] + command.split() + ["--%s=%s" % (option, value), "--help"], capture_output=True)
        cmd_ok = r.returncode == 0
        if job_ok != want_ok or cmd_ok != want_ok:
            bad.append("%s --%s=%s: job check %s, command %s" % (command, option, value, job_ok, cmd_ok))
print("disagreements:", bad)
sys.exit(1 if bad else 0)
EOF
check "the job check and the commands take and refuse the same values" $?

# ---- (c) progress on stderr ----------------------------------------------------------
cat >three.json <<'JSON'
{"jobs": [
 {"id": "h8", "command": "butterfly factor", "args": {"matrix": "hadamard", "size": 8}},
 {"id": "h16", "command": "butterfly factor", "args": {"matrix": "hadamard", "size": 16}},
 {"id": "d12", "command": "butterfly factor", "args": {"matrix": "dct2", "size": 12}}]}
JSON
summary_only() { python3 -c "
import json, sys
lines = open('$1').read().splitlines()
sys.exit(0 if len(lines) == 1 and json.loads(lines[0])['command'] == 'run' else 1)"; }
"$DMF" run three.json --out p0 >out.txt 2>err.txt
[ $? -eq 3 ] && ! grep -q "jobs done" err.txt && grep -q '^\[3/3\] d12 failed' err.txt && summary_only out.txt
check "not a terminal: no progress line by default, the job lines as before" $?
"$DMF" run three.json --out p1 --progress >out.txt 2>err.txt
[ $? -eq 3 ] && [ "$(grep -c '^dmf run: [0-9]/3 jobs done' err.txt)" -eq 3 ] \
    && grep -q '^dmf run: 3/3 jobs done (2 ok, 1 failed) | elapsed [0-9.]*s | ETA 0.0s$' err.txt \
    && grep -q '^dmf run: 1/3 jobs done (1 ok, 0 failed) | elapsed [0-9.]*s | ETA [0-9]' err.txt \
    && ! grep -q $'\r' err.txt && summary_only out.txt
check "--progress on a log: a line per finished job with done/total, failed, elapsed, ETA; stdout untouched" $?
"$DMF" run three.json --out p1 --progress >out.txt 2>err.txt
[ $? -eq 3 ] && grep -q '^dmf run: 0 ok, 0 failed, 3 skipped' err.txt && ! grep -q 'jobs done' err.txt
check "--progress with nothing left to run: no progress line" $?
"$DMF" run three.json --out p2 --quiet >out.txt 2>err.txt
[ $? -eq 3 ] && [ ! -s err.txt ] && summary_only out.txt
check "--quiet: nothing on stderr, the summary on stdout" $?
if command -v script >/dev/null && script -qec true /dev/null >/dev/null 2>&1; then
    script -qec "stty cols 200; '$DMF' run three.json --out p3 >out.txt" /dev/null >tty.txt 2>&1
    grep -q $'\r\033\\[Kdmf run: 1/3 jobs done (1 ok, 0 failed) | elapsed [0-9.]*s | ETA' tty.txt \
        && grep -q '| running h16 [0-9.]*s' tty.txt && grep -q '^\[2/3\] h16 ok' <(tr '\r' '\n' <tty.txt | sed 's/\x1b\[K//g') \
        && summary_only out.txt
    check "a terminal: the live progress line, redrawn in place, never on stdout" $?
    script -qec "'$DMF' run three.json --out p4 --no-progress >out.txt" /dev/null >tty.txt 2>&1
    ! grep -q 'jobs done' tty.txt && grep -q 'h16 ok' tty.txt && summary_only out.txt
    check "a terminal with --no-progress: no progress line" $?
    TERM=dumb script -qec "'$DMF' run three.json --out p5 >out.txt" /dev/null >tty.txt 2>&1
    ! grep -q $'\033' tty.txt
    check "TERM=dumb: no redrawn line" $?
else
    echo "SKIP the terminal checks: no working 'script'"
fi

# ---- (d) dmf jobs sweep ----------------------------------------------------------------
"$DMF" jobs sweep butterfly factor --matrix dft-bitrev,hadamard --size 256,1024 --tree balanced,l2r --dtype c128 \
    >sweep.json 2>err.txt
rc=$?
python3 -c "
import json, sys
d = json.load(open('sweep.json'))
ids = [j['id'] for j in d['jobs']]
ok = len(ids) == 8 and ids[0] == 'matrix=dft-bitrev,size=256,tree=balanced,dtype=c128' \
     and ids[7] == 'matrix=hadamard,size=1024,tree=l2r,dtype=c128' \
     and d['jobs'][1]['args'] == {'matrix': 'dft-bitrev', 'size': 256, 'tree': 'l2r', 'dtype': 'c128'} \
     and all(j['command'] == 'butterfly factor' for j in d['jobs']) \
     and d['description'].startswith('dmf jobs sweep butterfly factor --matrix dft-bitrev,hadamard')
sys.exit(0 if ok else 1)" && [ $rc -eq 0 ] && grep -q "8 job(s) of 'butterfly factor'" err.txt
check "sweep: the cartesian product, the last option fastest, ids NAME=VALUE" $?
"$DMF" jobs check sweep.json >/dev/null 2>err.txt
check "sweep output passes dmf jobs check" $?

"$DMF" jobs sweep butterfly factor --matrix hadamard,dft-bitrev --size 16,32 --tree l2r --orthonormalize=false,true \
    --backend cpu >small.json 2>err.txt &&
    "$DMF" run small.json --out sw >out.txt 2>err.txt
rc=$?
python3 -c "
import json, sys
recs = [json.loads(l) for l in open('sw/results.0-of-1.jsonl')]
args = {r['id']: r['argv'] for r in recs}
ok = len(recs) == 8 and all(r['status'] == 'ok' and r['result']['rel_error'] < 1e-12 for r in recs) \
     and '--orthonormalize' in args['matrix=hadamard,size=16,tree=l2r,orthonormalize,backend=cpu'] \
     and '--orthonormalize' not in args['matrix=hadamard,size=16,tree=l2r,backend=cpu']
sys.exit(0 if ok else 1)" && [ $rc -eq 0 ]
check "dmf run runs a sweep: 8 exact factorizations, a flag swept false,true" $?
"$DMF" jobs sweep butterfly factor --matrix hadamard,dft-bitrev --size 16,32,64 --tree l2r \
    --orthonormalize=false,true --backend cpu >grown.json 2>err.txt &&
    "$DMF" run grown.json --out sw >out.txt 2>err.txt
[ $? -eq 0 ] && grep -q '"skipped": 8, "ok": 4' out.txt
check "a value added to the sweep: the earlier jobs keep their ids, the rerun runs only the 4 new" $?

sweep_fails() { # NAME CODE TEXT ARGS...
    local name=$1 code=$2 text=$3
    shift 3
    "$DMF" jobs sweep "$@" >out.txt 2>err.txt
    local rc=$?
    [ $rc -eq "$code" ] && grep -qF -- "$text" err.txt && [ ! -s out.txt ]
    check "sweep: $name (exit $rc)" $?
}
sweep_fails "a bad tree" 2 "--tree: 'balnced' is not l2r, r2l, balanced" \
    butterfly factor --matrix hadamard --size 8 --tree balanced,balnced
sweep_fails "a bad dtype" 2 "--dtype: 'f63' is not f32, f64, c64 or c128 (did you mean 'f64'?)" \
    butterfly factor --matrix hadamard --size 8 --dtype f64,f63
sweep_fails "a negative size" 2 "--size: '-8' is not N or NxM" butterfly factor --matrix hadamard --size 8,-8
sweep_fails "an unknown option: did you mean" 2 "unknown option '--treee' (did you mean '--tree'?)" \
    butterfly factor --matrix hadamard --size 8 --treee l2r
sweep_fails "an option of another command" 2 "unknown option '--latent'" butterfly factor --latent 3
sweep_fails "an unknown command" 2 "unknown command 'butterfly factr' (did you mean 'butterfly factor'?)" \
    butterfly factr --size 8
sweep_fails "a job without its matrix" 2 "give \"input\" (a .npy or .mtx file) or \"matrix\"" \
    butterfly factor --size 8,16
sweep_fails "demod solve without y0" 2 "'demod solve' needs \"y0\"" demod solve --g1 a.json --g2 b.json
sweep_fails "one output for several jobs" 2 "several jobs would write --out 'F'" \
    butterfly factor --matrix hadamard --size 8,16 --out F
sweep_fails "an unknown placeholder" 2 "{sise} is not an option of the sweep" \
    butterfly factor --matrix hadamard --size 8,16 --out 'F/{sise}'
sweep_fails "a value given twice" 2 "--size gives '8' twice" butterfly factor --matrix hadamard --size 8,16,8
sweep_fails "a flag value" 2 "--orthonormalize is a flag" butterfly factor --matrix hadamard --size 8 --orthonormalize=yes
sweep_fails "too many jobs" 2 "more than 100000 jobs" \
    demod sweep --latent 1 --outputs 2 --seed "$(seq -s, 1 400)" --trials "$(seq -s, 1 400)"
sweep_fails "a momentum with backtracking" 2 "\"momentum\" goes with \"step-rule\" fixed or scaled" \
    demod sweep --latent 3 --outputs 20 --momentum 0.5

"$DMF" jobs sweep butterfly factor --matrix hadamard --size 8,16 --out 'F/{matrix}-{size}' >ph.json 2>err.txt
rc=$?
python3 -c "
import json, sys
jobs = json.load(open('ph.json'))['jobs']
ok = [j['args']['out'] for j in jobs] == ['F/hadamard-8', 'F/hadamard-16'] \
     and [j['id'] for j in jobs] == ['matrix=hadamard,size=8', 'matrix=hadamard,size=16']
sys.exit(0 if ok else 1)" && [ $rc -eq 0 ]
check "sweep: {NAME} placeholders in an output (left out of the ids)" $?
sweep_fails "an output that repeats across another option" 2 "several jobs would write --out 'F/hadamard-" \
    butterfly factor --matrix hadamard --size 8,16 --out 'F/{matrix}-{size}' --tree l2r,r2l
"$DMF" jobs sweep butterfly factor --matrix hadamard --size 8 --out 'F/{id}' --tree '[[0,1],2]' \
    --tree l2r --radix-m 2,2,2 --radix-n 2,2,2 --id-prefix 'p:' >ph.json 2>err.txt
rc=$?
python3 -c "
import json, sys
jobs = json.load(open('ph.json'))['jobs']
ok = [j['id'] for j in jobs] == ['p:matrix=hadamard,size=8,tree=[[0,1],2],radix-m=2,2,2,radix-n=2,2,2',
                                 'p:matrix=hadamard,size=8,tree=l2r,radix-m=2,2,2,radix-n=2,2,2'] \
     and jobs[0]['args']['out'] == 'F/' + jobs[0]['id'] and jobs[0]['args']['radix-m'] == '2,2,2'
sys.exit(0 if ok else 1)" && [ $rc -eq 0 ] && "$DMF" jobs check ph.json >/dev/null 2>&1
check "sweep: {id} in an output, a nested-list tree and a radix list taken whole, --id-prefix" $?
"$DMF" jobs sweep butterfly factor --matrix hadamard --size 8 --radix-m 2,2,2 --radix-n 2,2,2 --radix-m 2,4 \
    --radix-n 2,4 >/dev/null 2>err.txt
[ $? -eq 2 ] && grep -q 'radix' err.txt
check "sweep: repeated list options make a grid, and their mismatched pairs are refused" $?
"$DMF" jobs sweep liftrank --network a.json,b.json --seed 1,2 --sigma-min >lr.json 2>err.txt
python3 -c "
import json, sys
jobs = json.load(open('lr.json'))['jobs']
ok = len(jobs) == 4 and jobs[3] == {'id': 'network=b.json,seed=2,sigma-min', 'command': 'liftrank',
                                     'args': {'network': 'b.json', 'seed': 2, 'sigma-min': True}}
sys.exit(0 if ok else 1)"
check "sweep: liftrank's NETWORK.json as --network, a flag alone set in every job" $?
"$DMF" jobs sweep butterfly factor --help >out.txt 2>err.txt
[ $? -eq 0 ] && grep -q -- '--tree V,V,...' out.txt && grep -q -- '--radix-m V \[--radix-m V\]' out.txt \
    && grep -q -- '--perm-rows' out.txt && grep -q 'usage: dmf jobs sweep butterfly factor' out.txt
check "dmf jobs sweep COMMAND --help lists the command's options with their values" $?
"$DMF" jobs sweep --help >out.txt 2>err.txt
[ $? -eq 0 ] && grep -q 'demod solve' out.txt
check "dmf jobs sweep --help lists the commands" $?

echo "cli_jobs_validate: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
