/* reference_dump.c: what the engine computes for a small fixed model and batch, for
 * scripts/reference_check.py to compare with an independent PyTorch GPT-2.
 *
 *   reference_dump OUT_DIR
 *
 * writes OUT_DIR/model.ckpt (the initial model, in the checkpoint format), OUT_DIR/dump.bin (raw
 * little-endian f32 arrays, back to back) and OUT_DIR/dump.json (the config, the token batches,
 * the optimizer hyperparameters and, for each array, its name, shape and offset in floats):
 *
 *   logits [B,T,V], loss_a      forward of batch A at the initial weights
 *   grad_a.<tensor>             gradients of loss_a
 *   after1.<tensor>             weights after one AdamW step (t=1) with grad_a
 *   loss_b, grad_b.<tensor>     batch B at the after1 weights
 *   after2.<tensor>             weights after a second AdamW step (t=2) with grad_b
 *
 * Two steps with different gradients exercise the moment updates and bias corrections, which a
 * single step (whose update is lr * sign(g), whatever the moments) would not.
 *
 * The weights are not GPT-2's initialisation: there (std 0.02, zero biases, unit gains) the
 * activations are so small that every nonlinearity is nearly linear, and e.g. the exact GELU
 * would pass for the tanh one. Here matrices have std 1/sqrt(fan_in), biases and LayerNorm
 * parameters are non-trivial, so every part of the network shapes the result. */
#include "model/model.h"
#include "core/rng.h"
#include "seedling.h"
#include "train/adamw.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { B = 2, T = 16 };
static const sl_config config = {300, 32, 48, 2, 4};
static const uint64_t seed = 20240607;
static const float lr = 1e-3f, beta1 = 0.9f, beta2 = 0.95f, eps = 1e-8f, weight_decay = 0.1f;

typedef struct {
    FILE *bin, *json;
    size_t offset; /* floats written so far */
    int first;
} dump;

static void dump_array(dump *d, const char *name, const float *x, const int *shape, int rank) {
    size_t n = 1;
    for (int i = 0; i < rank; i++) n *= (size_t)shape[i];
    fwrite(x, sizeof(float), n, d->bin);
    fprintf(d->json, "%s\n    {\"name\": \"%s\", \"offset\": %zu, \"shape\": [", d->first ? "" : ",", name, d->offset);
    for (int i = 0; i < rank; i++) fprintf(d->json, "%s%d", i ? ", " : "", shape[i]);
    fprintf(d->json, "]}");
    d->offset += n;
    d->first = 0;
}

/* One array per parameter tensor, named prefix.<tensor>, flat (the check reshapes by name). */
static void dump_tensors(dump *d, const char *prefix, const sl_model *m, const float *memory) {
    size_t offset = 0;
    for (int i = 0; i < SL_NUM_PARAM_TENSORS; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s.%s", prefix, sl_param_tensor_name(i));
        int shape[1] = {(int)m->param_sizes[i]};
        dump_array(d, name, memory + offset, shape, 1);
        offset += m->param_sizes[i];
    }
}

static void write_tokens(FILE *json, const char *name, const int32_t *x, int n) {
    fprintf(json, "  \"%s\": [", name);
    for (int i = 0; i < n; i++) fprintf(json, "%s%d", i ? ", " : "", x[i]);
    fprintf(json, "],\n");
}

/* Activations of order one: see the comment at the top. */
static void randomize_weights(sl_model *m, uint64_t rng_seed) {
    sl_rng rng;
    sl_rng_seed(&rng, rng_seed);
    float *p = m->params_memory;
    for (int i = 0; i < SL_NUM_PARAM_TENSORS; i++) {
        const char *name = sl_param_tensor_name(i);
        size_t n = m->param_sizes[i];
        int C = m->config.d_model;
        float std, mean = 0.0f;
        if (strcmp(name, "fcprojw") == 0) std = 1.0f / sqrtf(4.0f * C);
        else if (sl_param_tensor_decays(i)) std = 1.0f / sqrtf((float)C); /* matrices, embeddings */
        else if (name[strlen(name) - 1] == 'w') mean = 1.0f, std = 0.2f; /* LayerNorm gains (ln1w, ln2w, lnfw) */
        else std = 0.1f; /* biases */
        for (size_t k = 0; k < n; k++) p[k] = mean + std * sl_rng_normal(&rng);
        p += n;
    }
}

static int fail(const char *what) {
    fprintf(stderr, "reference_dump: %s: %s\n", what, sl_last_error());
    return 1;
}

/* Loss and gradients of one batch (gradients left in model->grads_memory). */
static sl_status loss_and_grads(sl_model *m, const int32_t *inputs, const int32_t *targets, float *loss) {
    sl_status st = sl_model_zero_grad(m);
    if (st == SL_OK) st = sl_model_forward(m, inputs, targets, B, T, loss);
    if (st == SL_OK) st = sl_model_backward(m);
    return st;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: reference_dump OUT_DIR\n");
        return 2;
    }
    char path[4096];
    sl_model *m = NULL;
    sl_tokenizer *tok = NULL;
    if (sl_model_create(&config, seed, &m) != SL_OK) return fail("model");
    randomize_weights(m, seed);
    if (sl_tokenizer_create_bytes(&tok) != SL_OK) return fail("tokenizer");
    snprintf(path, sizeof path, "%s/model.ckpt", argv[1]);
    if (sl_checkpoint_save(path, m, tok, NULL) != SL_OK) return fail("checkpoint");

    /* Fixed batches that use ids beyond the tokenizer's 261, up to the model's 300. */
    int32_t a[B * T], a_targets[B * T], b[B * T], b_targets[B * T];
    for (int i = 0; i < B * T; i++) {
        a[i] = (i * 37 + 11) % config.vocab_size;
        a_targets[i] = (i * 37 + 48) % config.vocab_size;
        b[i] = (i * 53 + 7) % config.vocab_size;
        b_targets[i] = (i * 29 + 3) % config.vocab_size;
    }

    snprintf(path, sizeof path, "%s/dump.bin", argv[1]);
    dump d = {fopen(path, "wb"), NULL, 0, 1};
    snprintf(path, sizeof path, "%s/dump.json", argv[1]);
    d.json = fopen(path, "w");
    if (!d.bin || !d.json) {
        fprintf(stderr, "reference_dump: cannot write to %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    fprintf(d.json, "{\n  \"config\": {\"vocab_size\": %d, \"context_length\": %d, \"d_model\": %d, "
                    "\"n_layers\": %d, \"n_heads\": %d},\n",
            config.vocab_size, config.context_length, config.d_model, config.n_layers, config.n_heads);
    fprintf(d.json, "  \"B\": %d, \"T\": %d,\n", B, T);
    fprintf(d.json, "  \"adamw\": {\"lr\": %.9g, \"beta1\": %.9g, \"beta2\": %.9g, \"eps\": %.9g, \"weight_decay\": %.9g},\n",
            lr, beta1, beta2, eps, weight_decay);
    write_tokens(d.json, "inputs_a", a, B * T);
    write_tokens(d.json, "targets_a", a_targets, B * T);
    write_tokens(d.json, "inputs_b", b, B * T);
    write_tokens(d.json, "targets_b", b_targets, B * T);
    fprintf(d.json, "  \"arrays\": [");

    /* Logits come from a forward without targets (with targets they become their gradient). */
    if (sl_model_forward(m, a, NULL, B, T, NULL) != SL_OK) return fail("forward");
    int logits_shape[3] = {B, T, config.vocab_size}, scalar[1] = {1};
    dump_array(&d, "logits", sl_model_last_logits(m), logits_shape, 3);

    float loss;
    if (loss_and_grads(m, a, a_targets, &loss) != SL_OK) return fail("backward (batch A)");
    dump_array(&d, "loss_a", &loss, scalar, 1);
    dump_tensors(&d, "grad_a", m, m->grads_memory);

    float *adam_m = calloc(m->num_params, sizeof(float)), *adam_v = calloc(m->num_params, sizeof(float));
    if (!adam_m || !adam_v) {
        fprintf(stderr, "reference_dump: out of memory\n");
        return 1;
    }
    sl_adamw_update(m, adam_m, adam_v, lr, beta1, beta2, eps, weight_decay, 1);
    dump_tensors(&d, "after1", m, m->params_memory);

    if (loss_and_grads(m, b, b_targets, &loss) != SL_OK) return fail("backward (batch B)");
    dump_array(&d, "loss_b", &loss, scalar, 1);
    dump_tensors(&d, "grad_b", m, m->grads_memory);
    sl_adamw_update(m, adam_m, adam_v, lr, beta1, beta2, eps, weight_decay, 2);
    dump_tensors(&d, "after2", m, m->params_memory);

    fprintf(d.json, "\n  ]\n}\n");
    int write_error = ferror(d.bin) || ferror(d.json);
    write_error |= fclose(d.bin) != 0;
    write_error |= fclose(d.json) != 0;
    free(adam_m);
    free(adam_v);
    sl_model_free(m);
    sl_tokenizer_free(tok);
    if (write_error) {
        fprintf(stderr, "reference_dump: writing the dump failed\n");
        return 1;
    }
    printf("reference_dump: wrote %s/{model.ckpt,dump.bin,dump.json}\n", argv[1]);
    return 0;
}
