/* test_cuda_training: the whole model on the GPU (through libseedling_cuda.so's C ABI) against
 * the CPU engine: loss and every gradient tensor of one forward + backward, and KV-cache inference
 * logits (a prompt, then token-by-token decoding) against the CPU's full forward.
 *
 * Tolerances (scaled error per tensor, see cuda_test_util.h): fp32 matmuls 1e-3 for gradients
 * (a dozen layers of differently ordered sums, online vs stored softmax) and 1e-4 for the loss
 * and logits; bf16 tensor cores 5e-2 for gradients (weight gradients sum bf16 products over every
 * token) and 2e-2 for logits and loss (relative). */
#include "cuda_test_util.h"
#include "model/model.h"

#include <string.h>

static void test_gradients(const char *preset, int B, int T, int fp32) {
    printf("forward + backward: %s B=%d T=%d %s\n", preset, B, T, fp32 ? "fp32" : "bf16");
    sl_config config;
    CHECK_OK(sl_config_preset(preset, &config));
    sl_model *model = NULL;
    CHECK_OK(sl_model_create(&config, 11, &model));
    if (!model) return;
    size_t n = (size_t)B * T;
    int32_t *inputs = malloc(sizeof(int32_t) * 2 * n), *targets = inputs + n;
    fill_tokens(inputs, 2 * n, config.vocab_size);

    float cpu_loss = 0.0f, gpu_loss = 0.0f;
    CHECK_OK(sl_model_zero_grad(model));
    CHECK_OK(sl_model_forward(model, inputs, targets, B, T, &cpu_loss));
    CHECK_OK(sl_model_backward(model));

    slc_train_options opts = {B, T, fp32};
    slc_trainer *gpu = NULL;
    int st = slc_trainer_create((const slc_config *)&config, model->params_memory, &opts, &gpu);
    CHECK(st == 0, "slc_trainer_create: %s", slc_last_error());
    float *grads = malloc(sizeof(float) * model->num_params);
    if (st == 0 && grads) {
        st = slc_trainer_forward_backward(gpu, inputs, targets, B, T, &gpu_loss);
        CHECK(st == 0, "forward_backward: %s", slc_last_error());
        st = slc_trainer_download_grads(gpu, grads);
        CHECK(st == 0, "download_grads: %s", slc_last_error());
        printf("  loss GPU %.6f CPU %.6f\n", gpu_loss, cpu_loss);
        CHECK_NEAR(gpu_loss, cpu_loss, (fp32 ? 1e-4 : 2e-2) * cpu_loss);
        size_t off = 0;
        for (int i = 0; i < SL_NUM_PARAM_TENSORS; i++) {
            char what[64];
            snprintf(what, sizeof what, "grad %s", sl_param_tensor_name(i));
            expect_close(what, grads + off, model->grads_memory + off, model->param_sizes[i], fp32 ? 1e-3 : 5e-2);
            off += model->param_sizes[i];
        }
        /* A loss-only call must not disturb anything and must agree with the training forward. */
        float eval_loss = 0.0f;
        st = slc_trainer_loss(gpu, inputs, targets, B, T, &eval_loss);
        CHECK(st == 0 && fabsf(eval_loss - gpu_loss) <= 1e-5f * gpu_loss, "loss-only %.7f vs %.7f", eval_loss, gpu_loss);
        /* Bad tokens are an error, not a crash. */
        int32_t saved = inputs[0];
        inputs[0] = config.vocab_size;
        CHECK(slc_trainer_loss(gpu, inputs, targets, B, T, &eval_loss) == 1, "out-of-vocabulary token accepted");
        inputs[0] = saved;
    }
    slc_trainer_free(gpu);
    free(grads);
    free(inputs);
    sl_model_free(model);
}

static void test_inference(const char *preset, int prompt, int decode, int fp32) {
    printf("KV-cache inference: %s prompt %d + %d decoded %s\n", preset, prompt, decode, fp32 ? "fp32" : "bf16");
    sl_config config;
    CHECK_OK(sl_config_preset(preset, &config));
    sl_model *model = NULL;
    CHECK_OK(sl_model_create(&config, 5, &model));
    if (!model) return;
    int total = prompt + decode, V = config.vocab_size;
    int32_t *tokens = malloc(sizeof(int32_t) * total);
    float *logits = malloc(sizeof(float) * V);
    fill_tokens(tokens, total, V);
    slc_inference *inf = NULL;
    int st = slc_inference_create((const slc_config *)&config, model->params_memory, fp32, &inf);
    CHECK(st == 0, "slc_inference_create: %s", slc_last_error());
    double tol = fp32 ? 1e-4 : 2e-2;
    for (int end = prompt; st == 0 && end <= total; end++) {
        int pos0 = end == prompt ? 0 : end - 1; /* the whole prompt at once, then one token a call */
        st = slc_inference_logits(inf, tokens + pos0, end - pos0, pos0, logits);
        CHECK(st == 0, "slc_inference_logits: %s", slc_last_error());
        CHECK_OK(sl_model_forward(model, tokens, NULL, 1, end, NULL));
        const float *want = sl_model_last_logits(model) + (size_t)(end - 1) * V;
        char what[64];
        snprintf(what, sizeof what, "logits after %d tokens", end);
        expect_close(what, logits, want, V, tol);
    }
    if (inf) CHECK(slc_inference_logits(inf, tokens, 1, config.context_length, logits) == 1, "position past the context accepted");
    slc_inference_free(inf);
    free(tokens);
    free(logits);
    sl_model_free(model);
}

int main(void) {
    SKIP_WITHOUT_CUDA_DEVICE("test_cuda_training");
    for (int fp32 = 1; fp32 >= 0; fp32--) {
        test_gradients("tiny", 3, 100, fp32); /* T not a multiple of the attention tile */
        test_gradients("small", 2, 130, fp32);
        test_inference("tiny", 20, 5, fp32);
        test_inference("small", 70, 4, fp32);
    }
    return check_exit_code("test_cuda_training");
}
