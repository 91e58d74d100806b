/* Multi-process hierarchical butterfly factorization over MPI: the narrow
 * hook the command line calls.  Built from mpi/mpi_factor.c when dmf is
 * configured with MPI, else from stub/mpi_not_compiled.c, whose functions
 * answer DMF_ERR_NOT_COMPILED ("dmf was built without MPI"), so callers need
 * no #ifdef.  Every function but dmf_mpi_compiled is collective over all the
 * ranks of the job. */
#ifndef DMF_MPI_FACTOR_H
#define DMF_MPI_FACTOR_H

#include "dmf.h"

#define DMF_MPI_MAX_RANKS 4096

/* 1 when MPI is compiled in; `version` (may be NULL) gets the library's
 * version string then. */
int dmf_mpi_compiled(const char **version);
/* Starts MPI (a process not started by mpirun or srun is a job of one
 * rank) and gives this process's rank and the number of ranks.  Where
 * several ranks share a node with NVIDIA GPUs and CUDA_VISIBLE_DEVICES is
 * unset, each rank is shown one GPU (local rank modulo the GPU count); call
 * it before anything starts CUDA. */
int dmf_mpi_init(int *rank, int *size);
void dmf_mpi_finalize(void);
/* Agrees on a status: every rank returns the status of the lowest rank
 * that failed, with that rank's message (prefixed by its number) as the
 * last error, or DMF_OK when none did. */
int dmf_mpi_agree(int status);
/* The largest `value` over the ranks (an exit code, say). */
int dmf_mpi_max(int value);

/* dmf_butterfly_factor with the work spread over the ranks; every rank
 * passes the same arguments (its own copy of `a`).  The factors are bit for
 * bit those of one process.  On rank 0 *out gets the chain and `report` the
 * nodes in the order one process splits them; other ranks get NULL.
 * `rank_times` (rank 0, may be NULL, one entry per rank) receives the
 * seconds each rank spent on its share of the tree.  Orthonormalization is
 * refused (DMF_ERR_ARG): it couples every node to the whole chain. */
int dmf_mpi_butterfly_factor(dmf_context *ctx, const dmf_matrix *a, const size_t *radix_m,
                             const size_t *radix_n, size_t num_factors, const dmf_tree *tree,
                             const dmf_butterfly_options *opts, dmf_chain **out,
                             dmf_butterfly_report *report, double *rank_times);

#endif
