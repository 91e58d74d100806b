/* Alternating least squares split by edge, for convolutional trees
 * (recover_edges.c): the sweeps of recover.c with every edge's kernel
 * solved on its own, in the Fourier domain. */
#ifndef DMF_LIFT_RECOVER_EDGES_H
#define DMF_LIFT_RECOVER_EDGES_H

#include "network.h"

typedef struct edges_problem edges_problem;
typedef struct edges_work edges_work;

/* Whether the per-edge solver applies: a convolutional network whose every
 * node but the root has one edge towards the root.  0 with the reason in
 * `why` (static or written into it) when not. */
int dmf_recover_edges_applies(const dmf_network *net, char *why, size_t cap);

/* The problem of fitting the leaves' kernels y (num_probes x N, row-major,
 * probe order) with ||X - M(h)||_F^2 = weight ||y - kernels(h)||^2 + outside. */
int dmf_edges_problem_new(const dmf_network *net, const double *y, double weight, double outside,
                          edges_problem **out);
void dmf_edges_problem_free(edges_problem *p);
/* Work space of one start (one per thread). */
int dmf_edges_work_new(const edges_problem *p, edges_work **out);
void dmf_edges_work_free(edges_work *w);
/* One sweep, h_1 ... h_K in turn (layer after layer, each edge of a layer
 * on its own); returns ||X - M(h)||_F after it, computed in the Fourier
 * domain (for the stopping rule). */
double dmf_edges_sweep(const edges_problem *p, edges_work *w, double *h);
/* ||X - M(h)||_F from the kernels of h built in the time domain. */
double dmf_edges_residual(const edges_problem *p, edges_work *w, const double *h);
/* The bytes dmf_edges_problem_new and one dmf_edges_work_new need. */
double dmf_edges_bytes(const dmf_network *net, size_t threads);

#endif
