/* Plans for the lifting-sample kernel (see lift_plan.h): the triplets of
 * each layer regrouped by row with a stable counting sort. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "lift_plan.h"

int dmf_lift_plan_build(size_t num_layers, const dmf_sparse_layer *layers, size_t num_params,
                        const size_t *probes, size_t num_probes, dmf_lift_plan *plan)
{
    memset(plan, 0, sizeof *plan);
    if (num_layers == 0 || num_probes == 0)
        return dmf_fail(DMF_ERR_ARG, "lifting samples need at least one layer and one probe");
    size_t widest = layers[num_layers - 1].cols, row_ptrs = 0, entries = 0;
    for (size_t k = 0; k < num_layers; k++) {
        if (k + 1 < num_layers && layers[k].cols != layers[k + 1].rows)
            return dmf_fail(DMF_ERR_SHAPE, "layer %zu has %zu columns but layer %zu has %zu rows", k + 1,
                            layers[k].cols, k + 2, layers[k + 1].rows);
        if (layers[k].rows > widest) widest = layers[k].rows;
        row_ptrs += layers[k].rows + 1;
        entries += layers[k].count;
    }
    for (size_t j = 0; j < num_probes; j++)
        if (probes[j] >= layers[num_layers - 1].cols)
            return dmf_fail(DMF_ERR_ARG, "probe %zu is column %zu of a network with %zu columns", j, probes[j],
                            layers[num_layers - 1].cols);
    size_t count = 3 * num_layers + row_ptrs + 2 * entries + num_probes;
    plan->index = malloc(count * sizeof *plan->index);
    plan->coef = malloc((entries ? entries : 1) * sizeof *plan->coef);
    if (!plan->index || !plan->coef) {
        dmf_lift_plan_free(plan);
        return dmf_fail(DMF_ERR_NOMEM, "cannot allocate a lifting plan of %zu entries", entries);
    }
    plan->num_layers = num_layers;
    plan->num_params = num_params;
    plan->num_probes = num_probes;
    plan->widest = widest;
    plan->sample_length = layers[0].rows * num_probes;
    plan->index_count = count;
    plan->entry_count = entries;
    dmf_lift_plan_rebase(plan, plan->index, plan->coef, plan);

    size_t *meta = plan->index, *row_ptr = meta + 3 * num_layers, *col = row_ptr + row_ptrs, *param = col + entries;
    memcpy(param + entries, probes, num_probes * sizeof *probes);
    size_t first_row = 0, first_entry = 0;
    for (size_t k = 0; k < num_layers; k++) {
        const dmf_sparse_layer *layer = &layers[k];
        size_t *ptr = row_ptr + first_row;
        meta[3 * k] = layer->rows;
        meta[3 * k + 1] = layer->cols;
        meta[3 * k + 2] = first_row;
        /* Counting sort by row: counts, then starts, then placement in the
         * original order, which keeps each row's sum order. */
        memset(ptr, 0, (layer->rows + 1) * sizeof *ptr);
        for (size_t e = 0; e < layer->count; e++) {
            const dmf_triplet *t = &layer->entries[e];
            if (t->row >= layer->rows || t->col >= layer->cols || t->param >= num_params) {
                dmf_lift_plan_free(plan);
                return dmf_fail(DMF_ERR_ARG, "layer %zu, triplet %zu: (%zu, %zu, %zu) outside %zu x %zu with %zu parameters",
                                k + 1, e, t->row, t->col, t->param, layer->rows, layer->cols, num_params);
            }
            ptr[t->row + 1]++;
        }
        ptr[0] = first_entry;
        for (size_t i = 0; i < layer->rows; i++) ptr[i + 1] += ptr[i];
        /* ptr[i] is now row i's start; fill moves it to the row's end,
         * then the starts are restored by shifting. */
        for (size_t e = 0; e < layer->count; e++) {
            const dmf_triplet *t = &layer->entries[e];
            size_t at = ptr[t->row]++;
            col[at] = t->col;
            param[at] = t->param;
            plan->coef[at] = t->coef;
        }
        for (size_t i = layer->rows; i > 0; i--) ptr[i] = ptr[i - 1];
        ptr[0] = first_entry;
        first_row += layer->rows + 1;
        first_entry += layer->count;
    }
    return DMF_OK;
}

void dmf_lift_plan_rebase(const dmf_lift_plan *plan, size_t *index, double *coef, dmf_lift_plan *view)
{
    /* The row pointer count comes from the sizes, not from meta: `index`
     * may be device memory. */
    size_t K = plan->num_layers;
    size_t row_ptrs = plan->index_count - 3 * K - 2 * plan->entry_count - plan->num_probes;
    if (view != plan) *view = *plan;
    view->index = index;
    view->coef = coef;
    view->meta = index;
    view->row_ptr = index + 3 * K;
    view->col = view->row_ptr + row_ptrs;
    view->param = view->col + plan->entry_count;
    view->probes = view->param + plan->entry_count;
}

void dmf_lift_plan_free(dmf_lift_plan *plan)
{
    free(plan->index);
    free(plan->coef);
    memset(plan, 0, sizeof *plan);
}
