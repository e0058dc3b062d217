/* config.c: model presets, config validation, and the parameter layout (param_layout.h) as the
 * engine uses it. */
#include "core/error.h"
#include "model/model.h"

#include <string.h>

typedef struct {
    const char *name;
    sl_config config;
} preset;

/* DESIGN.md's table. vocab, context, d_model, layers, heads. */
static const preset presets[] = {
    {"tiny", {512, 128, 64, 2, 2}},
    {"small", {4096, 512, 256, 4, 4}},
    {"medium", {8192, 1024, 384, 6, 6}},
    {"large", {16384, 1024, 768, 12, 12}},
};

sl_status sl_config_preset(const char *name, sl_config *out) {
    if (!name || !out) return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_config_preset: NULL argument");
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
        if (strcmp(presets[i].name, name) == 0) {
            *out = presets[i].config;
            return SL_OK;
        }
    }
    return sl_fail(SL_ERR_INVALID_ARGUMENT, "unknown preset '%s' (expected tiny, small, medium or large)", name);
}

sl_status sl_config_validate(const sl_config *c) {
    if (!c) return sl_fail(SL_ERR_INVALID_ARGUMENT, "config is NULL");
    if (c->vocab_size < SL_NUM_BYTE_AND_SPECIAL_TOKENS || c->vocab_size > (1 << 20))
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "vocab_size %d out of range [%d, %d]", c->vocab_size,
                       SL_NUM_BYTE_AND_SPECIAL_TOKENS, 1 << 20);
    if (c->context_length < 2 || c->context_length > 65536)
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "context_length %d out of range [2, 65536]", c->context_length);
    if (c->d_model < 1 || c->d_model > 16384)
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "d_model %d out of range [1, 16384]", c->d_model);
    if (c->n_layers < 1 || c->n_layers > 256)
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "n_layers %d out of range [1, 256]", c->n_layers);
    if (c->n_heads < 1 || c->d_model % c->n_heads != 0)
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "n_heads %d must be >= 1 and divide d_model %d", c->n_heads, c->d_model);
    return SL_OK;
}

size_t sl_config_num_params(const sl_config *config) {
    size_t sizes[SL_NUM_PARAM_TENSORS], total = 0;
    sl_param_sizes(config, sizes);
    for (int i = 0; i < SL_NUM_PARAM_TENSORS; i++) total += sizes[i];
    return total;
}

static const char *const tensor_names[SL_NUM_PARAM_TENSORS] = {
#define TENSOR_NAME(id, name, count, decays, init) #name,
    SL_PARAM_TABLE(TENSOR_NAME)
#undef TENSOR_NAME
};

const char *sl_param_tensor_name(int i) {
    return (i >= 0 && i < SL_NUM_PARAM_TENSORS) ? tensor_names[i] : "?";
}

void sl_param_sizes(const sl_config *c, size_t s[SL_NUM_PARAM_TENSORS]) {
    sl_param_layout_counts((size_t)c->vocab_size, (size_t)c->context_length, (size_t)c->d_model, (size_t)c->n_layers, s);
}

void sl_point_param_tensors(sl_param_tensors *t, float *memory, const size_t s[SL_NUM_PARAM_TENSORS]) {
    /* The table's names are the struct's fields, so the two orders cannot drift apart. */
    float **ptrs[SL_NUM_PARAM_TENSORS] = {
#define TENSOR_FIELD(id, name, count, decays, init) &t->name,
        SL_PARAM_TABLE(TENSOR_FIELD)
#undef TENSOR_FIELD
    };
    for (int i = 0; i < SL_NUM_PARAM_TENSORS; i++) {
        *ptrs[i] = memory;
        memory += s[i];
    }
}
_Static_assert(sizeof(sl_param_tensors) == SL_NUM_PARAM_TENSORS * sizeof(float *),
               "sl_param_tensors has a field for every row of param_layout.h and no other");

int sl_param_tensor_decays(int i) { return sl_param_layout_decays(i); }
