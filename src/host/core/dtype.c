/* Data types: names, sizes, element access in double precision. */
#include <float.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "internal.h"

static const char *const dtype_names[] = {"f32", "f64", "c64", "c128"};

const char *dmf_dtype_name(dmf_dtype dtype)
{
    return (unsigned)dtype < 4 ? dtype_names[dtype] : "unknown";
}

int dmf_dtype_parse(const char *name, dmf_dtype *dtype)
{
    for (int i = 0; i < 4; i++)
        if (name && strcmp(name, dtype_names[i]) == 0) {
            *dtype = (dmf_dtype)i;
            return DMF_OK;
        }
    return dmf_fail(DMF_ERR_ARG, "unknown dtype '%s' (expected f32, f64, c64 or c128)",
                    name ? name : "(null)");
}

size_t dmf_dtype_size(dmf_dtype dtype)
{
    static const size_t sizes[] = {4, 8, 8, 16};
    return (unsigned)dtype < 4 ? sizes[dtype] : 0;
}

int dmf_dtype_is_complex(dmf_dtype dtype) { return dtype == DMF_C64 || dtype == DMF_C128; }

double dmf_dtype_eps(dmf_dtype dtype)
{
    return (dtype == DMF_F32 || dtype == DMF_C64) ? FLT_EPSILON / 2 : DBL_EPSILON / 2;
}

double complex dmf_get(dmf_dtype dtype, const void *data, size_t i)
{
    switch (dtype) {
    case DMF_F32: return ((const float *)data)[i];
    case DMF_F64: return ((const double *)data)[i];
    case DMF_C64: return ((const float complex *)data)[i];
    default: return ((const double complex *)data)[i];
    }
}

void dmf_set(dmf_dtype dtype, void *data, size_t i, double complex value)
{
    switch (dtype) {
    case DMF_F32: ((float *)data)[i] = (float)creal(value); break;
    case DMF_F64: ((double *)data)[i] = creal(value); break;
    case DMF_C64: ((float complex *)data)[i] = (float complex)value; break;
    default: ((double complex *)data)[i] = value; break;
    }
}

double dmf_now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
