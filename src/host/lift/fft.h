/* The discrete Fourier transform of real signals, for the per-edge solver
 * of convolutional trees (recover_edges.c): radix 2 for powers of two,
 * Bluestein's chirp through a power of two otherwise.  Not a general FFT
 * library: one direction, real input, the half spectrum out. */
#ifndef DMF_LIFT_FFT_H
#define DMF_LIFT_FFT_H

#include <stddef.h>

/* The half spectra X[w] = sum_t x[t] exp(-2 pi i w t / n), w = 0 ... n/2,
 * of `count` real signals of length n (x row-major, count x n), into re and
 * im (count x (n/2 + 1) each).  Two signals share one complex transform. */
int dmf_fft_real_half(size_t n, size_t count, const double *x, double *re, double *im);

#endif
