/* param_layout.h: GPT-2's parameter tensors, once, for the CPU engine and the CUDA backend alike.
 *
 * The tensors live in one contiguous block in this order (llm.c's), which checkpoints, the AdamW
 * update, the exporters and libseedling_cuda.so all depend on. Each row says:
 *   id     SL_PARAM_<id> indexes the tensor (enum below)
 *   name   as messages and exporters spell it (and the sl_param_tensors field)
 *   count  its element count, from V (vocab), T (context), C (channels) and L (layers);
 *          per-layer tensors are stacked over L, e.g. qkvw is [L, 3C, C]
 *   decays whether AdamW's weight decay applies: matrices and embeddings yes; biases and
 *          LayerNorm parameters no
 *   init   GPT-2's initialisation: normal(0, 0.02), the same scaled by 1/sqrt(2L) for projections
 *          that write into the residual stream, ones for LayerNorm gains, zeros otherwise
 * Macros and static inline functions only, so C and CUDA C++ include it without linking to it. */
#ifndef SL_PARAM_LAYOUT_H
#define SL_PARAM_LAYOUT_H
#include <stddef.h>

enum sl_param_init { SL_INIT_NORMAL, SL_INIT_RESIDUAL, SL_INIT_ONES, SL_INIT_ZEROS };

/*                 id        name      count            decays init */
#define SL_PARAM_TABLE(X)                                                \
    X(WTE,      wte,      V * C,           1, SL_INIT_NORMAL)            \
    X(WPE,      wpe,      T * C,           1, SL_INIT_NORMAL)            \
    X(LN1W,     ln1w,     L * C,           0, SL_INIT_ONES)              \
    X(LN1B,     ln1b,     L * C,           0, SL_INIT_ZEROS)             \
    X(QKVW,     qkvw,     L * 3 * C * C,   1, SL_INIT_NORMAL)            \
    X(QKVB,     qkvb,     L * 3 * C,       0, SL_INIT_ZEROS)             \
    X(ATTPROJW, attprojw, L * C * C,       1, SL_INIT_RESIDUAL)          \
    X(ATTPROJB, attprojb, L * C,           0, SL_INIT_ZEROS)             \
    X(LN2W,     ln2w,     L * C,           0, SL_INIT_ONES)              \
    X(LN2B,     ln2b,     L * C,           0, SL_INIT_ZEROS)             \
    X(FCW,      fcw,      L * 4 * C * C,   1, SL_INIT_NORMAL)            \
    X(FCB,      fcb,      L * 4 * C,       0, SL_INIT_ZEROS)             \
    X(FCPROJW,  fcprojw,  L * C * 4 * C,   1, SL_INIT_RESIDUAL)          \
    X(FCPROJB,  fcprojb,  L * C,           0, SL_INIT_ZEROS)             \
    X(LNFW,     lnfw,     C,               0, SL_INIT_ONES)              \
    X(LNFB,     lnfb,     C,               0, SL_INIT_ZEROS)

enum sl_param_id {
#define SL_PARAM_ID(id, name, count, decays, init) SL_PARAM_##id,
    SL_PARAM_TABLE(SL_PARAM_ID)
#undef SL_PARAM_ID
    SL_NUM_PARAM_TENSORS
};

/* Element count of every tensor for a model of these dimensions. */
static inline void sl_param_layout_counts(size_t V, size_t T, size_t C, size_t L, size_t counts[SL_NUM_PARAM_TENSORS]) {
#define SL_PARAM_COUNT(id, name, count, decays, init) counts[SL_PARAM_##id] = (count);
    SL_PARAM_TABLE(SL_PARAM_COUNT)
#undef SL_PARAM_COUNT
}

/* Whether tensor i gets weight decay. */
static inline int sl_param_layout_decays(int i) {
    switch (i) {
#define SL_PARAM_DECAYS(id, name, count, decays, init) case SL_PARAM_##id: return decays;
        SL_PARAM_TABLE(SL_PARAM_DECAYS)
#undef SL_PARAM_DECAYS
    default: return 0;
    }
}
#endif
