/* Built when dmf is configured without MPI: the entry points exist and say
 * so, and the command line maps that to exit code 4. */
#include "../mpi_factor.h"
#include "error.h"

static int not_compiled(void)
{
    return dmf_fail(DMF_ERR_NOT_COMPILED,
                    "dmf was built without MPI (install libopenmpi-dev and configure with "
                    "-DDMF_MPI=ON)");
}

int dmf_mpi_compiled(const char **version)
{
    if (version) *version = "";
    return 0;
}

int dmf_mpi_init(int *rank, int *size)
{
    *rank = 0;
    *size = 1;
    return not_compiled();
}

void dmf_mpi_finalize(void) {}

int dmf_mpi_agree(int status) { return status; }

int dmf_mpi_max(int value) { return value; }

int dmf_mpi_butterfly_factor(dmf_context *ctx, const dmf_matrix *a, const size_t *radix_m,
                             const size_t *radix_n, size_t num_factors, const dmf_tree *tree,
                             const dmf_butterfly_options *opts, dmf_chain **out,
                             dmf_butterfly_report *report, double *rank_times)
{
    *out = NULL;
    return not_compiled();
}
