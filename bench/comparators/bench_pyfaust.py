#!/usr/bin/env python3
"""Time pyfaust's butterfly factorization (pyfaust.fact.butterfly) on dmf's test matrices.

Tree mapping (pyfaust 3.41, src/algorithm/factorization/faust_butterfly.hpp):
  l2r      -> type='right'   butterfly_hierarchical(dir=RIGHT): factor k=0,1,... is split off the
                             left of the remaining product, i.e. the rightmost factor is split again
  r2l      -> type='left'    butterfly_hierarchical(dir=LEFT): mirror image
  balanced -> type='bbtree'  butterfly_hierarchical_balanced: complete binary tree of depth
                             ceil(log2 L), leaves packed to the left (L=12 splits 8|4, not 6|6)
The matrices already carry their column permutation, so perm=None (no extra permutation factor).
Output: JSON lines on stdout (env header, then one line per (matrix, tree, n)).
Run with the venv made by setup_venv.sh:  bench/.venv/bin/python bench/comparators/bench_pyfaust.py
"""
import numpy as np
import pyfaust
import pyfaust.fact  # imported once here, before the timed children are forked

import common

PYFAUST_TYPE = {"l2r": "right", "r2l": "left", "balanced": "bbtree"}


class PyFaustTool:
    def prepare(self, A):
        # pyfaust converts to Fortran order itself; do it here so it is not timed.
        return np.asfortranarray(A)

    def factorize(self, X, tree, n):
        return pyfaust.fact.butterfly(X, type=PYFAUST_TYPE[tree])

    def densify(self, F, n):
        return F.toarray()

    def option(self, tree, n):
        return f"pyfaust.fact.butterfly(type='{PYFAUST_TYPE[tree]}')"


def main():
    args = common.parser(__doc__.splitlines()[0]).parse_args()
    common.env_header("pyfaust", pyfaust.version())
    common.run_all(args, "pyfaust", PyFaustTool())


if __name__ == "__main__":
    main()
