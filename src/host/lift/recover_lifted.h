/* The lifting's start for recovery (recover_lifted.c). */
#ifndef DMF_LIFT_RECOVER_LIFTED_H
#define DMF_LIFT_RECOVER_LIFTED_H

#include "network.h"

/* h (K x S) from the sample y (rows x num_probes, as dmf_network_reduce
 * gives it) by least squares on the explicit lifted operator (at most
 * max_entries entries, else DMF_ERR_SHAPE; formed by be's lift_samples),
 * rank-one projection and projected gradient steps on the rank-one
 * tensors. */
int dmf_recover_lifted_start(const dmf_backend *be, const dmf_network *net, const double *y, size_t max_entries,
                             double *h, dmf_lifting_report *report);

#endif
