/* Rank-one completion shared by dmf_fsmf and dmf_fsmf_identifiability. */
#ifndef DMF_FSMF_INTERNAL_H
#define DMF_FSMF_INTERNAL_H

#include "internal.h"

/* Completes every rank-one piece of a (M x N, double complex, row-major)
 * on the supports sx, sy.  *applied = 1 when every piece was completed,
 * then X (M x K) and Y (K x N) hold the pieces (zero outside the
 * supports) and *resid_sq = ||a - X Y||_F^2; X and Y are left untouched
 * otherwise.  Also *applied = 0 when the problem is too large. */
int dmf_fsmf_complete(const dmf_matrix *sx, const dmf_matrix *sy, const double complex *a,
                      double complex *X, double complex *Y, double *resid_sq, int *applied);

#endif
