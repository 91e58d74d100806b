/* dmf butterfly factor --refine: PALM on the chain's own supports. */
#ifndef DMF_CLI_BUTTERFLY_REFINE_H
#define DMF_CLI_BUTTERFLY_REFINE_H

#include "dmf.h"

typedef struct {
    size_t iterations;
    double palm_error; /* PALM's own rel_error at the end */
    int kept;          /* 1: PALM's factors replaced the chain's (lower error) */
} cli_refine_result;

/* Runs `iters` PALM iterations on the fixed supports of the chain's
 * factors, started from them, against A (permuted as the chain says);
 * writes PALM's factors (lambda in the first) into the chain only when
 * PALM's error is below `before`. */
int cli_butterfly_refine(dmf_context *ctx, const dmf_matrix *a, dmf_chain *chain, size_t iters, double before,
                         cli_refine_result *r);

#endif
