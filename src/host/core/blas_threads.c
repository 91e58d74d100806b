/* LAPACK inside dmf's own threads.  The pthreads build of OpenBLAS (the
 * one Debian installs by default) runs a large enough BLAS call on threads
 * of its own, also when the caller is one of dmf's OpenMP threads: two of
 * ours each waiting on its pool, on two cores, spent most of a DCT-II's
 * factorization (its root blocks through LAPACK's SVD) yielding to each
 * other.  While any of dmf's parallel kernels that call LAPACK runs,
 * OpenBLAS gets one thread.  The symbols are weak: another BLAS has none,
 * and then nothing changes.  A user's openblas_set_num_threads made while
 * a split runs is undone when it ends. */
#include <pthread.h>

#include "internal.h"

extern int openblas_get_num_threads(void) __attribute__((weak));
extern void openblas_set_num_threads(int threads) __attribute__((weak));
extern int openblas_get_parallel(void) __attribute__((weak));

/* Only the pthreads build (openblas_get_parallel() == 1) needs it: the
 * OpenMP build already runs a call made inside a parallel region on the
 * caller alone, and its openblas_set_num_threads sets the calling thread's
 * OpenMP thread count, which would shrink dmf's own region to one thread. */
static int pthreads_openblas(void)
{
    return openblas_get_num_threads && openblas_set_num_threads && openblas_get_parallel &&
           openblas_get_parallel() == 1;
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int holders, saved_threads;

void dmf_blas_serial_enter(void)
{
    if (!pthreads_openblas()) return;
    pthread_mutex_lock(&lock);
    if (holders++ == 0) {
        saved_threads = openblas_get_num_threads();
        if (saved_threads != 1) openblas_set_num_threads(1);
    }
    pthread_mutex_unlock(&lock);
}

void dmf_blas_serial_leave(void)
{
    if (!pthreads_openblas()) return;
    pthread_mutex_lock(&lock);
    if (--holders == 0 && saved_threads != 1) openblas_set_num_threads(saved_threads);
    pthread_mutex_unlock(&lock);
}
