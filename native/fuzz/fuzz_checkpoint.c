/* fuzz_checkpoint.c: libFuzzer target for the checkpoint loader. Whatever the bytes, loading must
 * return a status (never crash, read out of bounds, leak or hit undefined behaviour), and a
 * successful load must give objects that can be used and freed.
 *
 * Built by native/fuzz/run.sh with FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, which makes the
 * loader skip CRC comparisons so mutations get past the checksums to the parsers behind them. */
#include "seedling.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    sl_model *model = NULL;
    sl_tokenizer *tok = NULL;
    sl_trainer *trainer = NULL;
    if (sl_checkpoint_load_memory(data, size, &model, &tok, &trainer) == SL_OK) {
        /* Touch what was loaded the way a user would first touch it. */
        int32_t *ids = NULL;
        size_t n = 0;
        if (sl_tokenizer_encode(tok, "int main() { return 0; }", 24, &ids, &n) == SL_OK) sl_free(ids);
        (void)sl_model_num_params(model);
        (void)sl_trainer_step_count(trainer);
    }
    sl_trainer_free(trainer);
    sl_model_free(model);
    sl_tokenizer_free(tok);
    return 0;
}
