/* The JSON parameters of dmf palm / dmf hierarchical, one-to-one with
 * pyfaust's ParamsPalm4MSA and ParamsHierarchical (docs/palm.md):
 *
 *   {"constraints": [{"name": "splincol", "nrows": 32, "ncols": 32, "value": 2}, ...],
 *    "stop_crit": {"num_its": 200}, "init_lambda": 1, "is_update_way_R2L": false,
 *    "init_facts": ["S0.npy", null, ...]}
 *   {"fact_constraints": [...], "res_constraints": [...],
 *    "stop_crit1": {...}, "stop_crit2": {...}, "is_fact_side_left": false, ...}
 *
 * Internal to the library and the command line. */
#ifndef DMF_PALM_SPEC_H
#define DMF_PALM_SPEC_H

#include "dmf.h"

typedef struct {
    int hierarchical;
    size_t num_factors;          /* J */
    dmf_constraint *cons;        /* palm: J constraints; hierarchical: J - 1 fact_constraints */
    dmf_constraint *res;         /* hierarchical: J - 1 res_constraints */
    dmf_palm_options palm;
    dmf_hierarchical_options hier;
    dmf_matrix **init;           /* palm: NULL or J entries (NULL: the default start) */
    /* what the spec owns */
    dmf_matrix **owned;
    size_t num_owned;
    size_t **blocks;
    size_t num_blocks;
} dmf_palm_spec;

/* Reads a spec for A of the given dtype (const matrices are converted to
 * it); file names in it are relative to the spec's folder.  DMF_ERR_FORMAT
 * naming the line of malformed JSON or the member at fault. */
int dmf_palm_spec_read(const char *path, int hierarchical, dmf_dtype dtype, dmf_palm_spec **out);
int dmf_palm_spec_parse(const char *text, const char *origin, const char *dir, int hierarchical, dmf_dtype dtype,
                        dmf_palm_spec **out);
/* pyfaust's hierarchical(H, 'hadamard'): N = 2^n into n factors, splincol 2
 * for each and splincol N / 2^(i+1) for the residual of step i, 30
 * iterations for every PALM, sweeps right to left. */
int dmf_palm_spec_hadamard(size_t n_rows, dmf_palm_spec **out);
void dmf_palm_spec_free(dmf_palm_spec *spec);

#endif
