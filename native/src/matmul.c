/* matmul.c: PLACEHOLDER until the SIMD kernels land (owned by the kernels work). */
#include "matmul.h"

void sl_matmul_forward(float *out, const float *inp, const float *weight, const float *bias,
                       int N, int C, int OC) {
    sl_matmul_forward_reference(out, inp, weight, bias, N, C, OC);
}

void sl_matmul_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, int N, int C, int OC) {
    sl_matmul_backward_reference(dinp, dweight, dbias, dout, inp, weight, N, C, OC);
}

const char *sl_cpu_kernel_name(void) { return "reference"; }
