/* Type-generic kernels: a file includes its *_impl.h four times, each time
 * after defining DMF_TYPE_ID (0 f32, 1 f64, 2 c64, 3 c128) and including this
 * header, which names the scalar type and its operations; scalar_end.h
 * undoes the definitions.  One source of truth per kernel, four dtypes. */
#include <complex.h>
#include <math.h>

#if DMF_TYPE_ID == 0
#define SCALAR float
#define REAL float
#define IS_COMPLEX 0
#define FN(name) name##_s
#define CONJ(x) (x)
#define RE(x) (x)
#define ABS2(x) ((double)(x) * (double)(x))
#define LAPACK_GESDD_WORK LAPACKE_sgesdd_work
#elif DMF_TYPE_ID == 1
#define SCALAR double
#define REAL double
#define IS_COMPLEX 0
#define FN(name) name##_d
#define CONJ(x) (x)
#define RE(x) (x)
#define ABS2(x) ((x) * (x))
#define LAPACK_GESDD_WORK LAPACKE_dgesdd_work
#elif DMF_TYPE_ID == 2
#define SCALAR float complex
#define REAL float
#define IS_COMPLEX 1
#define FN(name) name##_c
#define CONJ(x) conjf(x)
#define RE(x) crealf(x)
#define ABS2(x) ((double)crealf(x) * crealf(x) + (double)cimagf(x) * cimagf(x))
#define LAPACK_GESDD_WORK LAPACKE_cgesdd_work
#elif DMF_TYPE_ID == 3
#define SCALAR double complex
#define REAL double
#define IS_COMPLEX 1
#define FN(name) name##_z
#define CONJ(x) conj(x)
#define RE(x) creal(x)
#define ABS2(x) (creal(x) * creal(x) + cimag(x) * cimag(x))
#define LAPACK_GESDD_WORK LAPACKE_zgesdd_work
#else
#error "DMF_TYPE_ID must be 0..3"
#endif
