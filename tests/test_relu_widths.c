/* J(h)^T v of a generator whose inner layers are wider than its output
 * (4 -> 7 -> 9 -> 6): the backward pass must keep the inner gradients out
 * of v, which holds only the output's values (an overflow the sanitizer
 * build reports).  Checked against central differences, exact for a ReLU
 * network away from its kinks. */
#include <math.h>

#include "check.h"

int main(void)
{
    size_t sizes[4] = {4, 7, 9, 6}, batch = 3;
    dmf_generator *gen;
    CHECK_OK(dmf_generator_random(&gen, sizes, 4, 7));
    dmf_context *ctx;
    CHECK_OK(dmf_context_create(&ctx, "cpu"));
    double h[12], v[18], grad[12], hp[12], hm[12], gp[18], gm[18];
    for (int i = 0; i < 12; i++) h[i] = sin(1.3 * i + 0.2);
    for (int i = 0; i < 18; i++) v[i] = cos(0.7 * i);
    CHECK_OK(dmf_generator_vjp(ctx, gen, h, v, batch, grad));
    const double eps = 1e-6;
    for (size_t t = 0; t < batch; t++)
        for (size_t j = 0; j < 4; j++) {
            for (int i = 0; i < 12; i++) hp[i] = hm[i] = h[i];
            hp[t * 4 + j] += eps;
            hm[t * 4 + j] -= eps;
            CHECK_OK(dmf_generator_forward(ctx, gen, hp, batch, gp));
            CHECK_OK(dmf_generator_forward(ctx, gen, hm, batch, gm));
            double fd = 0;
            for (size_t e = 0; e < 6; e++) fd += v[t * 6 + e] * (gp[t * 6 + e] - gm[t * 6 + e]) / (2 * eps);
            CHECK(fabs(fd - grad[t * 4 + j]) <= 1e-7 * (1 + fabs(fd)), "trial %zu, entry %zu: J^T v %.12g, differences %.12g",
                  t, j, grad[t * 4 + j], fd);
        }
    dmf_context_free(ctx);
    dmf_generator_free(gen);
    return check_report("test_relu_widths");
}
