/* Parameters of a network and the products they give (params.c), shared
 * by recovery (recover.c) and the distances between classes (distance.c). */
#ifndef DMF_LIFT_PARAMS_H
#define DMF_LIFT_PARAMS_H

#include "network.h"

/* out (rows x P, row-major) = M_k(h) in (cols x P, row-major). */
void dmf_layer_apply_left(const dmf_layer *layer, const double *h, const double *in, size_t P, double *out);
/* out (n x cols, column-major) = in (n x rows, column-major) M_k(h). */
void dmf_layer_apply_right(const dmf_layer *layer, const double *h, const double *in, size_t n, double *out);
/* The largest row or column count of the layers. */
size_t dmf_network_widest(const dmf_network *net);
/* y (rows(X) x num_probes, row-major) = M(h) at the probe columns. */
int dmf_network_sample(const dmf_network *net, const double *h, double *y);
/* X (float64, rows(X) x cols(X)) reduced to the sample y (rows x num_probes,
 * row-major) with ||X - M(h)||_F^2 = weight ||y - sample(h)||^2 + outside
 * for every h: y = X's probe columns for a general network (weight 1,
 * outside 0), the circulant averages for a convolutional one (weight N). */
int dmf_network_reduce(const dmf_network *net, const dmf_matrix *x, double *y, double *weight, double *outside);

/* DMF_OK when y is the leaves' kernels of the convolutional network's X:
 * float64, num_probes x N, finite; else the error names what is wrong. */
int dmf_network_check_kernels(const dmf_network *net, const dmf_matrix *y);

#endif
