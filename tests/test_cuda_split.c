/* Cross-check of the CUDA split and normalize kernels against the CPU
 * backend on the same inputs (split_crosscheck.h states the bounds and
 * geometries); skipped, exit 77, without a usable GPU.  --small: the
 * short list, for compute-sanitizer. */
#include "split_crosscheck.h"

static const dmf_backend *cuda;

/* Uploads host arrays, runs the CUDA entry, downloads the results. */
static int cuda_split(dmf_dtype dtype, const dmf_split_geometry *g, const void *t, void *w, void *h, int *info,
                      dmf_split_stats *stats)
{
    size_t es = dmf_dtype_size(dtype);
    size_t ts = crosscheck_t_size(g) * es, ws = crosscheck_w_size(g) * es, hs = crosscheck_h_size(g) * es;
    void *dt = NULL, *dw = NULL, *dh = NULL;
    int status = cuda->mem_alloc(&dt, ts);
    if (status == DMF_OK) status = cuda->mem_alloc(&dw, ws);
    if (status == DMF_OK) status = cuda->mem_alloc(&dh, hs);
    if (status == DMF_OK) status = cuda->mem_upload(dt, t, ts);
    if (status == DMF_OK) status = cuda->split_rank_r(dtype, g, dt, dw, dh, info, stats);
    if (status == DMF_OK) status = cuda->mem_download(w, dw, ws);
    if (status == DMF_OK) status = cuda->mem_download(h, dh, hs);
    cuda->mem_free(dt), cuda->mem_free(dw), cuda->mem_free(dh);
    return status;
}

static int cuda_normalize(dmf_dtype dtype, const dmf_split_geometry *g, void *w, void *h, dmf_normalize_side side)
{
    size_t es = dmf_dtype_size(dtype), ws = crosscheck_w_size(g) * es, hs = crosscheck_h_size(g) * es;
    void *dw = NULL, *dh = NULL;
    int status = cuda->mem_alloc(&dw, ws);
    if (status == DMF_OK) status = cuda->mem_alloc(&dh, hs);
    if (status == DMF_OK) status = cuda->mem_upload(dw, w, ws);
    if (status == DMF_OK) status = cuda->mem_upload(dh, h, hs);
    if (status == DMF_OK) status = cuda->normalize_pair(dtype, g, dw, dh, side);
    if (status == DMF_OK) status = cuda->mem_download(w, dw, ws);
    if (status == DMF_OK) status = cuda->mem_download(h, dh, hs);
    cuda->mem_free(dw), cuda->mem_free(dh);
    return status;
}

int main(int argc, char **argv)
{
    int status;
    cuda = dmf_backend_cuda(&status);
    if (!cuda) {
        printf("test_cuda_split: skipped: %s\n", dmf_last_error());
        return 77;
    }
    if (check_small(argc, argv))
        crosscheck_small(cuda_split, cuda_normalize);
    else
        crosscheck_all(cuda_split, cuda_normalize);
    cuda->release_workspace();
    return check_report("test_cuda_split");
}
