/* libFuzzer harness: the network spec reader (dmf_network_parse, the text in
 * memory).  Masks given as file names are left to the .npy and .mtx
 * harnesses: here they resolve against a directory that holds none. */
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    dmf_network *net = NULL;
    if (dmf_network_parse(text, "fuzz/network.json", &net) == DMF_OK) {
        FUZZ_CHECK(net != NULL);
        (void)dmf_network_num_layers(net);
        (void)dmf_network_num_params(net);
    } else {
        FUZZ_CHECK(net == NULL && dmf_last_error()[0]);
    }
    dmf_network_free(net);
    free(text);
    return 0;
}
