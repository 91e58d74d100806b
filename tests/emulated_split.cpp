// The CUDA split pipeline of src/kernels/cuda_split.cu with its device
// kernels (split_kernels.cuh, unchanged) run under emulate_cuda.hpp on host
// memory, in the same order as on the GPU.  The only substitute is the SVD
// of the fallback blocks: cuSOLVER's Jacobi SVD is replaced by the caller's
// (LAPACK) in cuSOLVER's output layout, so the extraction kernel that reads
// that layout is exercised too.
#define DMF_THREADS 64 // two warps: cross-warp reductions, fewer host threads
#include "emulate_cuda.hpp"
#include "kernels/split_kernels.cuh"

#include <vector>

#include "emulated_split.h"

namespace {

template <typename T>
int run(dmf_dtype dtype, const dmf_split_geometry &g, const T *target, T *w_out, T *h_out, int *info,
        dmf_split_stats *stats, size_t max_elements, dmf_emulated_svd svd)
{
    typedef typename dmf_real_of<T>::type R;
    const size_t m = g.b1, n = g.c2, r = g.rank, k = m < n ? m : n, count = dmf_split_num_sub_blocks(&g);
    const size_t batch = dmf_split_batch_size(&g, dmf_split_scratch_per_block(&g), max_elements);
    std::vector<T> xs(batch * m * r), hs(batch * r * n), zs(batch * n);
    std::vector<int> codes(batch), list(batch);
    split_counters counters = {};
    for (size_t first = 0; first < count; first += batch) {
        const size_t nb = count - first < batch ? count - first : batch;
        counters.pending = 0;
        emu::launch(2, DMF_THREADS, [&] {
            rank1_kernel<T>(g, dtype, first, nb, target, xs.data(), hs.data(), zs.data(), codes.data(), list.data(),
                            &counters);
        });
        emu::launch(2, DMF_THREADS, [&] {
            finish_kernel<T>(g, dtype, first, nb, nullptr, target, xs.data(), hs.data(), codes.data(), w_out, h_out,
                             &counters);
        });
        const size_t pending = (size_t)counters.pending;
        if (pending > 0) {
            std::vector<T> a(pending * m * n), u(pending * n * k), v(pending * m * k);
            std::vector<R> s(pending * k);
            std::vector<int> svd_info(pending);
            std::vector<double> ad(2 * m * n), sd(k), ud(2 * n * k), vd(2 * m * k);
            emu::launch(1, 96, [&] { gather_list_kernel<T>(g, first, pending, list.data(), target, a.data()); });
            for (size_t item = 0; item < pending; item++) {
                for (size_t e = 0; e < m * n; e++) {
                    dmf_dc z = dmf_ld(a.data(), item * m * n + e);
                    ad[2 * e] = z.re, ad[2 * e + 1] = z.im;
                }
                svd_info[item] = svd(m, n, ad.data(), sd.data(), ud.data(), vd.data());
                for (size_t c = 0; c < k; c++) s[item * k + c] = (R)sd[c];
                for (size_t e = 0; e < n * k; e++) dmf_st(u.data(), item * n * k + e, dmf_dc_make(ud[2 * e], ud[2 * e + 1]));
                for (size_t e = 0; e < m * k; e++) dmf_st(v.data(), item * m * k + e, dmf_dc_make(vd[2 * e], vd[2 * e + 1]));
            }
            emu::launch(2, DMF_THREADS, [&] {
                extract_svd_kernel<T, R>(g, pending, list.data(), s.data(), u.data(), v.data(), n * k, m * k, k,
                                         svd_info.data(), dmf_split_negligible_ratio(m, n, sizeof(R) == sizeof(float)),
                                         xs.data(), hs.data(), codes.data());
            });
            emu::launch(2, DMF_THREADS, [&] {
                finish_kernel<T>(g, dtype, first, pending, list.data(), target, xs.data(), hs.data(), codes.data(),
                                 w_out, h_out, &counters);
            });
        }
        if (info)
            for (size_t e = 0; e < nb; e++) info[first + e] = codes[e];
    }
    stats->closed_form += counters.closed_form;
    stats->iterative += counters.iterative;
    stats->dense_svd += counters.dense_svd;
    stats->failed += counters.failed;
    stats->power_steps += counters.power_steps;
    stats->target_sq += counters.target_sq;
    stats->residual_sq += counters.residual_sq;
    return DMF_OK;
}

} // namespace

extern "C" int dmf_emulated_split(dmf_dtype dtype, const dmf_split_geometry *g, const void *t, void *w, void *h,
                                  int *info, dmf_split_stats *stats, size_t max_elements, dmf_emulated_svd svd)
{
    switch (dtype) {
    case DMF_F32: return run(dtype, *g, (const float *)t, (float *)w, (float *)h, info, stats, max_elements, svd);
    case DMF_F64: return run(dtype, *g, (const double *)t, (double *)w, (double *)h, info, stats, max_elements, svd);
    case DMF_C64: return run(dtype, *g, (const float2 *)t, (float2 *)w, (float2 *)h, info, stats, max_elements, svd);
    case DMF_C128: return run(dtype, *g, (const double2 *)t, (double2 *)w, (double2 *)h, info, stats, max_elements, svd);
    }
    return DMF_ERR_ARG;
}
