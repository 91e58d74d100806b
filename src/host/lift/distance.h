/* Distances between parameter classes (distance.c). */
#ifndef DMF_LIFT_DISTANCE_H
#define DMF_LIFT_DISTANCE_H

#include "network.h"

/* d_p (Definition 4.1) between the classes of (h[0] ... h[K-1]) and
 * (g[0] ... g[K-1]), layer k of len[k] entries; p = INFINITY for the max
 * norm.  DMF_ERR_ARG when a layer is zero. */
int dmf_class_distance(size_t K, const double *const *h, const double *const *g, const size_t *len, double p,
                       double *out);
/* The same on K x S parameter arrays of a network (per-layer classes). */
int dmf_param_distance_layers(const dmf_network *net, const double *h, const double *g, double p, double *d);
/* delta_p over the leaf-root paths of a convolutional network. */
int dmf_param_distance_paths(const dmf_network *net, const double *h, const double *g, double p, double *delta);

#endif
