#!/usr/bin/env bash
# Multi-process factorization: `mpirun -n P dmf butterfly factor --mpi` on
# 2, 3 and 4 ranks writes factor files identical byte for byte to one
# process's (square and rectangular mixed radices, every tree, rank 2, real
# and complex, single and double precision, noisy inputs that exercise
# power iteration and LAPACK), prints one JSON line with the same error, and
# fails on every rank without hanging when one rank or all of them cannot
# go on.  Skips (77) where mpirun or dmf's MPI support is missing.
set -u

DMF=${1:?usage: cli_mpi.sh PATH/TO/dmf}
[ -x "$DMF" ] || { echo "cli_mpi: '$DMF' is not an executable"; exit 1; }
DMF=$(cd "$(dirname "$DMF")" && pwd)/$(basename "$DMF")
if ! "$DMF" info | grep -q '"mpi_compiled": true'; then
    # The stub answers: exit 4 with the reason, then the MPI part is skipped.
    "$DMF" butterfly factor --no-out --matrix hadamard --size 4 --mpi >/dev/null 2>stub.err
    rc=$?
    msg=$(cat stub.err)
    rm -f stub.err
    case "$rc:$msg" in
    "4:"*"dmf was built without MPI"*) echo "cli_mpi: built without MPI ('$msg', exit 4), skipping"; exit 77 ;;
    *) echo "FAIL --mpi without MPI: exit $rc, '$msg'"; exit 1 ;;
    esac
fi
command -v mpirun >/dev/null || { echo "cli_mpi: mpirun not found, skipping"; exit 77; }
command -v python3 >/dev/null || { echo "cli_mpi: python3 not found, skipping"; exit 77; }

# OpenMPI in a container without network, possibly as root (as CI runs).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl=self,vader
export OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_hwloc_base_binding_policy=none
# Shared memory only (no UCX or libfabric probing): half the start-up time.
export OMPI_MCA_pml=ob1 OMPI_MCA_osc=^ucx OMPI_MCA_mtl=^ofi,psm,psm2
export OMP_NUM_THREADS=1 # P ranks on 2 cores
MPIRUN=(timeout 60 mpirun --oversubscribe)

TMP=$(mktemp -d)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$TMP"' EXIT; echo "tmp $TMP"
cd "$TMP" || exit 1

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }

field() { python3 -c 'import json, sys; print(json.loads(open(sys.argv[1]).read())[sys.argv[2]])' "$@"; }

# Factors problem $2 (a name) with the remaining arguments in one process
# and with --mpi on each number of ranks in $1 (1: without mpirun);
# compares the files.
compare() {
    local counts=$1 name=$2
    shift 2
    if ! "$DMF" butterfly factor "$@" --backend cpu --out "$name.1" >"$name.1.json" 2>"$name.1.err"; then
        fail "$name: single process exit $? ($(head -c 300 "$name.1.err"))"
        return
    fi
    local files
    files=$(cd "$name.1" && ls ./*_blocks.npy)
    for np in $counts; do
        local dir=$name.mpi$np rc=0
        if [ "$np" = 1 ]; then # --mpi without mpirun is a job of one rank
            "$DMF" butterfly factor "$@" --backend cpu --mpi --out "$dir" >"$dir.json" 2>"$dir.err" || rc=$?
        else
            "${MPIRUN[@]}" -n "$np" "$DMF" butterfly factor "$@" --backend cpu --mpi --out "$dir" \
                >"$dir.json" 2>"$dir.err" || rc=$?
        fi
        if [ "$rc" != 0 ]; then
            fail "$name on $np ranks: exit $rc ($(head -c 400 "$dir.err"))"
            continue
        fi
        local bad=""
        for f in $files; do cmp -s "$name.1/$f" "$dir/$f" || bad="$bad $f"; done
        [ -z "$bad" ] || { fail "$name on $np ranks: factor files differ:$bad"; continue; }
        local lines ranks e1 en
        lines=$(wc -l <"$dir.json")
        ranks=$(field "$dir.json" mpi_ranks)
        e1=$(field "$name.1.json" rel_error)
        en=$(field "$dir.json" rel_error)
        if [ "$lines" = 1 ] && [ "$ranks" = "$np" ] && [ "$e1" = "$en" ]; then
            pass "$name on $np ranks: $(echo $files | wc -w) factor files identical, rel_error $en"
        else
            fail "$name on $np ranks: $lines JSON lines, mpi_ranks $ranks, rel_error $en vs $e1"
        fi
    done
}

compare "1 2 3 4" dft-balanced --matrix dft-bitrev --size 256 --dtype c128 --tree balanced
compare "2 3 4" dft-l2r --matrix dft-bitrev --size 256 --dtype c128 --tree l2r
compare "2 3 4" dft-r2l --matrix dft-bitrev --size 256 --dtype c128 --tree r2l --noise 1e-3
compare "2 3 4" mixed-l2r --matrix random-chain --size 24x30 --radix-m 3,2,4 --radix-n 2,5,3 \
    --dtype c128 --tree l2r
compare "2 3 4" mixed-custom --matrix random-chain --size 120x60 --radix-m 2,3,4,5 --radix-n 5,3,2,2 \
    --dtype f64 --tree '[[0,1],[2,3]]' --noise 1e-3
compare "2 3 4" rank2 --matrix random-chain --size 64 --dtype f64 --rank 2 --noise 1e-6
# Large enough that each rank's share of the root goes through the split in
# several pieces of at most 4 MiB (mpi_factor.c), the last one shorter.
compare "2 3" dft-1024 --matrix dft-bitrev --size 1024 --dtype c128 --tree balanced
compare "2 3 4" f32-noisy --matrix hadamard --size 256 --dtype f32 --noise 1e-2 --tree balanced

# --- errors: every rank exits non-zero, none hangs --------------------------------
# Each rank writes its own exit code; timeout turns a hang into a failure.
codes_of() { sort codes.txt | tr '\n' ' '; }
all_exit() { # $1 name, $2 expected code, then the command for every rank
    local name=$1 want=$2
    shift 2
    rm -f codes.txt
    "${MPIRUN[@]}" -n 3 sh -c '"$@"; echo "$?" >>codes.txt' sh "$@" >"$name.out" 2>"$name.err"
    local rc=$? n
    n=$(grep -c "^$want\$" codes.txt 2>/dev/null)
    if [ "$rc" != 124 ] && [ "$n" = 3 ] && [ ! -s "$name.out" ]; then
        pass "$name: all 3 ranks exit $want (mpirun $rc), nothing on stdout"
    else
        fail "$name: mpirun $rc, rank exit codes $(codes_of), stdout $(head -c 200 "$name.out"), stderr $(head -c 400 "$name.err")"
    fi
}
all_exit "size without default radices" 1 "$DMF" butterfly factor --no-out --matrix dft-bitrev --size 24 --mpi
all_exit "radices that do not multiply to the size" 1 "$DMF" butterfly factor --no-out --matrix dft --size 24 \
    --radix-m 2,3,2 --radix-n 2,3,2 --mpi
all_exit "--orthonormalize refused" 2 "$DMF" butterfly factor --no-out --matrix hadamard --size 16 \
    --orthonormalize --mpi

# One rank alone fails: rank 1 is given a file that does not exist or an
# input with a NaN (both found on loading), or another matrix (found inside
# the factorization, whose message names the rank).
"$DMF" matrix --matrix hadamard --size 16 --dtype f64 --out A.npy >/dev/null
"$DMF" matrix --matrix hadamard --size 32 --dtype f64 --out B.npy >/dev/null
python3 -c '
import struct
data = bytearray(open("A.npy", "rb").read())
data[-8:] = struct.pack("<d", float("nan"))
open("NAN.npy", "wb").write(data)'
cat >pick.sh <<EOF
#!/bin/sh
# rank 1 reads \$1, the others A.npy
in=A.npy; [ "\$OMPI_COMM_WORLD_RANK" = 1 ] && in=\$1
exec "$DMF" butterfly factor --no-out --input "\$in" --mpi
EOF
chmod +x pick.sh
all_exit "rank 1 alone cannot read its input" 1 ./pick.sh missing.npy
all_exit "rank 1 alone has a NaN" 1 ./pick.sh NAN.npy
all_exit "rank 1 alone has another matrix" 1 ./pick.sh B.npy
err=$(cat "rank 1 alone has another matrix.err")
if [ "$(grep -c "rank 1: this rank's problem differs from rank 0's (32 x 32" <<<"$err")" = 1 ]; then
    pass "rank 1's message reaches stderr once, from rank 0: $(head -c 160 <<<"$err")"
else
    fail "rank 1's message is not on stderr once: $(head -c 400 <<<"$err")"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
