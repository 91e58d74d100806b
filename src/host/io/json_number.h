/* Whole numbers from JSON.  A JSON number is a double, and converting a
 * double that is NaN, infinite or outside the target type's range to an
 * integer is undefined behaviour in C: every size, index, count or seed a
 * spec gives goes through this check before any cast. */
#ifndef DMF_JSON_NUMBER_H
#define DMF_JSON_NUMBER_H

#include <stddef.h>

/* Integers above 2^53 are not exact in a JSON number: the parser has
 * already rounded them to a neighbour. */
#define DMF_JSON_INT_MAX 9007199254740992.0

/* 1 with *out = v when v is a whole number in [lo, hi] (hi is capped at
 * 2^53); 0, with *out untouched, for anything else: a fraction, a negative
 * or huge value, NaN or an infinity. */
int dmf_json_whole(double v, size_t lo, size_t hi, size_t *out);

/* cJSON prints a number with 15 digits whenever those come within an
 * epsilon of it, so a value read back (chain.json's rel_error) could
 * differ in its last bits from the one dmf printed: this makes every
 * finite number under `parent` print with the fewest digits that read
 * back exactly (numbers stay as they were where memory runs out). */
struct cJSON;
void dmf_json_exact_numbers(struct cJSON *parent);

#endif
