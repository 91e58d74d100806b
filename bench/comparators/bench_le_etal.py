#!/usr/bin/env python3
"""Time the hierarchical butterfly factorization of Le, Zheng, Riccietti, Gribonval on dmf's test matrices.

Runs GBfactorize(matrix, gb_params, orders, orthonormalize) from src/GB_factorization.py of
github.com/tung-qle/fast-deformable-factorization (a checkout given by --repo; its code is
imported from there at run time, nothing of it is copied here). Needs torch, einops, pandas, sympy.
  gb_params  [(2**i, 2, 2, 2**(L-i-1), 1, 1) for i in range(L)], L = log2 N (as in their test_fac.py):
             factor i is I_{2^i} (x) 1_{2x2} (x) I_{2^(L-i-1)}, the square dyadic butterfly.
  orders     the sequence of split positions (split k = between factors k and k+1):
             l2r      -> list(range(L-1))                        (their 'left-to-right')
             r2l      -> list(range(L-2, -1, -1))                (not in their scripts; same API)
             balanced -> [i-1 for i in balanced_permutation(L-1)] (their 'balanced', from
                         hierarchical_comp_new.py: L=12 splits 6|6, odd halves split 1|2)
The error is computed here from the returned factors in numpy (their densification() casts to float32).
Output: JSON lines on stdout (env header, then one line per (matrix, tree, n)).
"""
import os
import subprocess
import sys

import numpy as np

import common


class LeEtAlTool:
    def __init__(self, orthonormalize):
        import torch
        from src.GB_factorization import GBfactorize
        from hierarchical_comp_new import balanced_permutation
        self.torch, self.GBfactorize, self.balanced_permutation = torch, GBfactorize, balanced_permutation
        self.orthonormalize = orthonormalize

    def orders(self, tree, n):
        L = n.bit_length() - 1
        if tree == "l2r":
            return list(range(L - 1))
        if tree == "r2l":
            return list(range(L - 2, -1, -1))
        return [i - 1 for i in self.balanced_permutation(L - 1)]

    def prepare(self, A):
        n = A.shape[0]
        L = n.bit_length() - 1
        params = [(2 ** i, 2, 2, 2 ** (L - i - 1), 1, 1) for i in range(L)]
        return self.torch.from_numpy(A).reshape(1, 1, n, n), params

    def factorize(self, X, tree, n):
        matrix, params = X
        return self.GBfactorize(matrix, params, self.orders(tree, n), self.orthonormalize)

    def densify(self, factors, n):
        # Product B_0 B_1 ... B_{L-1} applied to the identity, right to left. A twiddle of
        # params (a, b, c, d, 1, 1) has shape (a, d, b, c): B[(x, i, z), (x, j, z)] = T[x, z, i, j].
        D = None
        for f in reversed(factors):
            T = f.factor.numpy()
            a, d, b, c = T.shape
            if D is None:
                D = np.eye(n, dtype=T.dtype)
            X = D.reshape(a, c, d, n)
            Y = np.zeros((a, b, d, n), dtype=np.result_type(T, X))
            for i in range(b):
                for j in range(c):
                    Y[:, i] += T[:, :, i, j][:, :, None] * X[:, j]
            D = Y.reshape(n, n)
        return D

    def option(self, tree, n):
        return (f"GBfactorize(orders={self.orders(tree, n)}, "
                f"normalize={self.orthonormalize})")


def repo_revision(path):
    try:
        return subprocess.run(["git", "-C", path, "rev-parse", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main():
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--repo", required=True,
                   help="checkout of tung-qle/fast-deformable-factorization")
    p.add_argument("--orthonormalize", choices=["true", "false"], default="true",
                   help="GBfactorize's 4th argument (their orthonormalization heuristic)")
    args = p.parse_args()
    repo = os.path.abspath(args.repo)
    sys.path.insert(0, repo)  # their code imports itself as the package 'src'
    tool = LeEtAlTool(args.orthonormalize == "true")
    import torch
    common.env_header("le-etal", repo_revision(repo), torch=torch.__version__,
                      torch_threads=torch.get_num_threads(),
                      orthonormalize=tool.orthonormalize)
    common.run_all(args, "le-etal", tool)


if __name__ == "__main__":
    main()
