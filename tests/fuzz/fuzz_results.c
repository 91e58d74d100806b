/* libFuzzer harness: the results-file reader (dmf_results_scan, the bytes in
 * memory, NULs and all), and the invariants a rerun relies on. */
#include "fuzz_input.h"
#include "jobs/jobs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dmf_results r;
    if (dmf_results_scan((const char *)data, size, "fuzz/results.jsonl", &r) == DMF_OK) {
        FUZZ_CHECK(r.size == size && r.valid_bytes + r.torn_bytes <= size);
        for (size_t k = 0; k < r.count; k++) {
            const dmf_result_record *rec = &r.records[k];
            FUZZ_CHECK(rec->id && rec->id[0]);
            FUZZ_CHECK(rec->offset + rec->length < r.valid_bytes + 1);
            FUZZ_CHECK(r.text[rec->offset + rec->length] == '\n');
        }
        dmf_results_clear(&r);
    }
    return 0;
}
