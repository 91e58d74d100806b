/* Whole numbers from JSON, checked before the cast (see json_number.h). */
#include <math.h>

#include "io/json_number.h"

int dmf_json_whole(double v, size_t lo, size_t hi, size_t *out)
{
    double top = (double)hi < DMF_JSON_INT_MAX ? (double)hi : DMF_JSON_INT_MAX;
    /* The comparisons are false for NaN, so it fails here too. */
    if (!(v >= (double)lo && v <= top) || v != floor(v)) return 0;
    *out = (size_t)v;
    return 1;
}
