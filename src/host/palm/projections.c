/* Constraints of PALM4MSA: their names, their checks, and the projection
 * of a dmf_matrix onto one (by the CPU reference's kernels,
 * src/host/backend/cpu_palm_project.c, where the tie rule is described). */
#include <stdlib.h>
#include <string.h>

#include "backend/cpu_palm.h"
#include "palm_internal.h"

static const char *const kind_names[] = {"sp", "splin", "spcol", "splincol", "normcol",
                                         "normlin", "supp", "const", "blockdiag"};
#define NUM_KINDS (sizeof kind_names / sizeof kind_names[0])

int dmf_constraint_parse_kind(const char *name, dmf_constraint_kind *kind)
{
    for (size_t t = 0; name && t < NUM_KINDS; t++)
        if (!strcmp(name, kind_names[t])) {
            *kind = (dmf_constraint_kind)t;
            return DMF_OK;
        }
    return dmf_fail(DMF_ERR_ARG, "unknown constraint '%s': dmf knows sp, splin, spcol, splincol, normcol, "
                                 "normlin, supp, const and blockdiag", name ? name : "(null)");
}

const char *dmf_constraint_kind_name(dmf_constraint_kind kind)
{
    return (unsigned)kind < NUM_KINDS ? kind_names[kind] : "unknown";
}

int dmf_palm_check_constraint(const dmf_constraint *c, dmf_dtype dtype, const char *what)
{
    if ((unsigned)c->kind >= NUM_KINDS) return dmf_fail(DMF_ERR_ARG, "%s: invalid kind %d", what, (int)c->kind);
    const char *name = kind_names[c->kind];
    if (c->rows == 0 || c->cols == 0)
        return dmf_fail(DMF_ERR_SHAPE, "%s (%s): the factor is %zu x %zu; both sizes must be >= 1", what, name,
                        c->rows, c->cols);
    size_t n;
    if (!dmf_mul_size(c->rows, c->cols, &n) || n > SIZE_MAX / 16)
        return dmf_fail(DMF_ERR_SHAPE, "%s (%s): %zu x %zu is too large", what, name, c->rows, c->cols);
    if (c->kind == DMF_CONS_SUPP || c->kind == DMF_CONS_CONST) {
        if (!c->matrix) return dmf_fail(DMF_ERR_ARG, "%s (%s): the matrix is missing", what, name);
        if (c->matrix->rows != c->rows || c->matrix->cols != c->cols)
            return dmf_fail(DMF_ERR_SHAPE, "%s (%s): the matrix is %zu x %zu but the factor %zu x %zu", what, name,
                            c->matrix->rows, c->matrix->cols, c->rows, c->cols);
        if (c->kind == DMF_CONS_CONST && c->matrix->dtype != dtype)
            return dmf_fail(DMF_ERR_ARG, "%s (const): the matrix is %s but the factorization %s", what,
                            dmf_dtype_name(c->matrix->dtype), dmf_dtype_name(dtype));
        DMF_TRY(dmf_matrix_check_finite(c->matrix));
    }
    if ((c->kind == DMF_CONS_NORMCOL || c->kind == DMF_CONS_NORMLIN) && !(c->value > 0 && isfinite(c->value)))
        return dmf_fail(DMF_ERR_ARG, "%s (%s): the norm value must be > 0 and finite, not %g", what, name, c->value);
    if (c->kind == DMF_CONS_BLOCKDIAG) {
        if (!c->num_blocks || !c->block_rows || !c->block_cols)
            return dmf_fail(DMF_ERR_ARG, "%s (blockdiag): no blocks are given", what);
        size_t sr = 0, sc = 0;
        for (size_t b = 0; b < c->num_blocks; b++) {
            if (c->block_rows[b] > c->rows - sr || c->block_cols[b] > c->cols - sc)
                return dmf_fail(DMF_ERR_SHAPE, "%s (blockdiag): block %zu (%zu x %zu) goes beyond the %zu x %zu "
                                "factor", what, b, c->block_rows[b], c->block_cols[b], c->rows, c->cols);
            sr += c->block_rows[b];
            sc += c->block_cols[b];
        }
        if (sr != c->rows || sc != c->cols)
            return dmf_fail(DMF_ERR_SHAPE, "%s (blockdiag): the blocks cover %zu x %zu of the %zu x %zu factor",
                            what, sr, sc, c->rows, c->cols);
    }
    return DMF_OK;
}

int dmf_constraint_project(const dmf_constraint *c, dmf_matrix *x)
{
    if (!c || !x) return dmf_fail(DMF_ERR_ARG, "dmf_constraint_project: NULL argument");
    DMF_TRY(dmf_palm_check_constraint(c, x->dtype, "the constraint"));
    if (x->rows != c->rows || x->cols != c->cols)
        return dmf_fail(DMF_ERR_SHAPE, "the constraint is for %zu x %zu factors, the matrix is %zu x %zu", c->rows,
                        c->cols, x->rows, x->cols);
    return dmf_palm_project(x->dtype, c, x->data);
}

void dmf_palm_default_start(dmf_dtype dtype, const dmf_constraint *c, int zero, void *x)
{
    size_t n = c->rows * c->cols, size = dmf_dtype_size(dtype);
    if (c->kind == DMF_CONS_CONST) {
        memcpy(x, c->matrix->data, n * size);
        return;
    }
    memset(x, 0, n * size);
    for (size_t i = 0; !zero && i < c->rows && i < c->cols; i++) dmf_set(dtype, x, i * c->cols + i, 1);
}
