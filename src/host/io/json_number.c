/* Numbers to and from JSON (see json_number.h). */
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "io/json_number.h"

int dmf_json_whole(double v, size_t lo, size_t hi, size_t *out)
{
    double top = (double)hi < DMF_JSON_INT_MAX ? (double)hi : DMF_JSON_INT_MAX;
    /* The comparisons are false for NaN, so it fails here too. */
    if (!(v >= (double)lo && v <= top) || v != floor(v)) return 0;
    *out = (size_t)v;
    return 1;
}

/* Each finite number as a raw item of the fewest digits (15 to 17) that
 * read back exactly.  printf and strtod follow the locale's decimal point,
 * JSON does not: the text is checked in the locale and written with '.'. */
void dmf_json_exact_numbers(cJSON *parent)
{
    for (cJSON *item = parent->child, *next; item; item = next) {
        next = item->next;
        if (cJSON_IsArray(item) || cJSON_IsObject(item)) {
            dmf_json_exact_numbers(item);
            continue;
        }
        if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble)) continue;
        char text[40];
        for (int digits = 15; digits <= 17; digits++) {
            snprintf(text, sizeof text, "%.*g", digits, item->valuedouble);
            if (strtod(text, NULL) == item->valuedouble) break;
        }
        const char point = localeconv()->decimal_point[0];
        for (char *c = text; *c; c++)
            if (*c == point) *c = '.';
        cJSON *raw = cJSON_CreateRaw(text);
        if (!raw) continue; /* out of memory: cJSON's own digits */
        /* The key moves over, so duplicate keys stay as they were. */
        raw->string = item->string;
        raw->type |= item->type & cJSON_StringIsConst;
        item->string = NULL;
        if (!cJSON_ReplaceItemViaPointer(parent, item, raw)) {
            item->string = raw->string;
            raw->string = NULL;
            cJSON_Delete(raw);
        }
    }
}
