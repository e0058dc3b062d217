/*
 * seedling.h: the public C API of the Seedling engine.
 *
 * A GPT-2-architecture transformer that trains and completes on the CPU (and, through a backend
 * loaded at run time, on CUDA). Everything the extension, the CLI and the tests do goes through
 * this header.
 *
 * Conventions
 *  - Objects are opaque handles created by sl_*_create / sl_*_load and released by sl_*_free
 *    (free functions accept NULL).
 *  - Every fallible call returns an sl_status. On failure, sl_last_error() returns a message that
 *    says what went wrong, for the calling thread, until the next failing call on that thread.
 *  - The library never calls exit() or abort() and never prints; bad input is an error code.
 *  - Memory the library hands out (encoded tokens, generated text) is released with sl_free().
 *  - Long work is split into calls the caller drives (one optimizer step, one generation), so the
 *    caller reports progress and cancels between calls. Calls that may run long take a cancel flag.
 *  - A handle is not thread safe: use one handle from one thread at a time.
 */
#ifndef SEEDLING_H
#define SEEDLING_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define SL_API __declspec(dllexport)
#else
#define SL_API __attribute__((visibility("default")))
#endif

/* ---------------------------------------------------------------------------------------------- */
/* Errors                                                                                          */

typedef enum {
    SL_OK = 0,
    SL_ERR_INVALID_ARGUMENT = 1, /* a caller error: bad size, NULL, out-of-range value */
    SL_ERR_OUT_OF_MEMORY = 2,
    SL_ERR_IO = 3,               /* open/read/write/fsync/rename failed (errno text in the message) */
    SL_ERR_CORRUPT = 4,          /* a checkpoint or serialized blob failed validation */
    SL_ERR_CANCELLED = 5,        /* the cancel flag was raised */
    SL_ERR_UNSUPPORTED = 6,      /* e.g. CUDA asked for where there is none, newer file version */
    SL_ERR_INTERNAL = 7
} sl_status;

/* The message of the last failure on this thread ("" if none). Never NULL. */
SL_API const char *sl_last_error(void);
/* A short fixed name for a status code ("invalid argument", ...). */
SL_API const char *sl_status_name(sl_status status);
/* Release memory returned by the library. */
SL_API void sl_free(void *ptr);
/* Engine version string, e.g. "0.1.0". */
SL_API const char *sl_version(void);

/* ---------------------------------------------------------------------------------------------- */
/* Threads                                                                                         */

/* Size of the process-wide worker pool (including the calling thread). 0 = number of CPUs.
 * Safe to call between operations; not while another thread runs engine work. */
SL_API sl_status sl_set_threads(int n_threads);
SL_API int sl_get_threads(void);
/* Which matmul kernel run-time dispatch chose: "avx512", "avx2", or "generic". */
SL_API const char *sl_cpu_kernel_name(void);

/* ---------------------------------------------------------------------------------------------- */
/* Cancellation                                                                                    */

/* A flag one thread raises to stop a long call another thread runs (a generation between tokens,
 * an attention map between layers). Opaque: it is a C11 atomic inside, so raising it from one
 * thread while another checks it is well defined (a volatile int is not). */
typedef struct sl_cancel_flag sl_cancel_flag;

SL_API sl_status sl_cancel_flag_create(sl_cancel_flag **out);
SL_API void sl_cancel_flag_free(sl_cancel_flag *flag);
/* Raise (raised != 0) or lower the flag. NULL is ignored. */
SL_API void sl_cancel_flag_set(sl_cancel_flag *flag, int raised);
/* Whether the flag is raised; NULL is never raised. */
SL_API int sl_cancel_flag_is_set(const sl_cancel_flag *flag);

/* ---------------------------------------------------------------------------------------------- */
/* Model configuration                                                                             */

typedef struct {
    int32_t vocab_size;     /* V: number of token ids, including the special tokens */
    int32_t context_length; /* maximum sequence length (learned positions) */
    int32_t d_model;        /* C: channels */
    int32_t n_layers;       /* L */
    int32_t n_heads;        /* NH; d_model % n_heads == 0 */
} sl_config;

/* Fill *out with a named preset: "tiny", "small", "medium", "large". */
SL_API sl_status sl_config_preset(const char *name, sl_config *out);
/* Check a config for sane, consistent values. */
SL_API sl_status sl_config_validate(const sl_config *config);
/* Number of parameters of a model with this config (tied embeddings counted once). */
SL_API size_t sl_config_num_params(const sl_config *config);

/* ---------------------------------------------------------------------------------------------- */
/* Tokenizer: byte-level BPE                                                                       */
/*
 * Ids 0..255 are the raw bytes, so any byte string encodes and decodes losslessly (invalid UTF-8
 * included). Ids 256..260 are the special tokens below. Merged tokens follow from 261.
 * Text is first split into pre-tokens (a word with its leading space, a run of digits, a run of
 * punctuation, a run of whitespace; see sl_pretoken_start) and merges never cross pre-tokens.
 */

enum {
    SL_TOKEN_EOT = 256,        /* end of text */
    SL_TOKEN_FILE_SEP = 257,   /* separates documents (files) in the training stream */
    SL_TOKEN_FIM_PREFIX = 258,
    SL_TOKEN_FIM_SUFFIX = 259,
    SL_TOKEN_FIM_MIDDLE = 260,
    SL_NUM_BYTE_AND_SPECIAL_TOKENS = 261
};

typedef struct sl_tokenizer sl_tokenizer;

/* Train a BPE with vocab_size total ids (>= 261) on n_docs documents. */
SL_API sl_status sl_tokenizer_train(const char *const *docs, const size_t *doc_lens, size_t n_docs,
                                    int32_t vocab_size, sl_tokenizer **out);
/* A tokenizer with no merges (vocab 261): bytes and special tokens only. */
SL_API sl_status sl_tokenizer_create_bytes(sl_tokenizer **out);
SL_API void sl_tokenizer_free(sl_tokenizer *tok);
SL_API int32_t sl_tokenizer_vocab_size(const sl_tokenizer *tok);

/* Encode bytes to token ids. *out_tokens is allocated by the library (release with sl_free). */
SL_API sl_status sl_tokenizer_encode(const sl_tokenizer *tok, const char *text, size_t len,
                                     int32_t **out_tokens, size_t *out_n);
/* Decode ids to bytes (special tokens decode to nothing). *out_text is NUL-terminated, sl_free. */
SL_API sl_status sl_tokenizer_decode(const sl_tokenizer *tok, const int32_t *tokens, size_t n,
                                     char **out_text, size_t *out_len);
/* The bytes of one token (NULL for special or out-of-range ids). Points into the tokenizer. */
SL_API const char *sl_tokenizer_token_bytes(const sl_tokenizer *tok, int32_t id, size_t *out_len);

/* Offset of the start of the last pre-token of text[0..len): where token healing backs up to. */
SL_API size_t sl_pretoken_start(const char *text, size_t len);

/* Serialization (used by checkpoints): a self-contained byte blob. */
SL_API sl_status sl_tokenizer_serialize(const sl_tokenizer *tok, uint8_t **out_bytes, size_t *out_len);
SL_API sl_status sl_tokenizer_deserialize(const uint8_t *bytes, size_t len, sl_tokenizer **out);

/* ---------------------------------------------------------------------------------------------- */
/* Model                                                                                           */

typedef struct sl_model sl_model;

/* A new model with GPT-2 initialisation (normal(0, 0.02), residual projections scaled by
 * 1/sqrt(2*L), zero biases, unit LayerNorm weights), seeded. */
SL_API sl_status sl_model_create(const sl_config *config, uint64_t seed, sl_model **out);
SL_API void sl_model_free(sl_model *model);
SL_API sl_config sl_model_config(const sl_model *model);
SL_API size_t sl_model_num_params(const sl_model *model);

/* Mean cross-entropy loss (nats/token) of predicting targets from inputs, B sequences of T tokens.
 * No gradients, no training state touched. */
SL_API sl_status sl_model_loss(sl_model *model, const int32_t *inputs, const int32_t *targets,
                               int B, int T, float *out_loss);

/* Attention probabilities of every layer and head for a text of T tokens (T <= context):
 * out has n_layers * n_heads * T * T floats, [layer][head][query][key], zero above the diagonal.
 * Also, if next_logits is not NULL, writes the vocab_size logits that follow the last token.
 * A raised cancel flag (NULL = never) stops it between layers with SL_ERR_CANCELLED. */
SL_API sl_status sl_model_attention(sl_model *model, const int32_t *tokens, int T, float *out,
                                    float *next_logits, const sl_cancel_flag *cancel);

/* ---------------------------------------------------------------------------------------------- */
/* Training data                                                                                   */

typedef struct sl_dataset sl_dataset;

/* Tokenize documents and join them as: doc0 FILE_SEP doc1 FILE_SEP ... Each document is kept
 * as its own span so the fill-in-the-middle transform can act within one document. */
SL_API sl_status sl_dataset_create(const sl_tokenizer *tok, const char *const *docs,
                                   const size_t *doc_lens, size_t n_docs, sl_dataset **out);
SL_API void sl_dataset_free(sl_dataset *ds);
SL_API size_t sl_dataset_num_tokens(const sl_dataset *ds);

/* ---------------------------------------------------------------------------------------------- */
/* Training                                                                                        */

typedef struct {
    int32_t batch_size;        /* sequences per micro-batch */
    int32_t seq_len;           /* tokens per sequence (<= context_length) */
    int32_t grad_accum_steps;  /* micro-batches per optimizer step */
    float learning_rate;       /* peak */
    float min_lr_ratio;        /* cosine decays to learning_rate * min_lr_ratio */
    int32_t warmup_steps;
    int32_t total_steps;       /* schedule length; steps beyond it stay at the minimum */
    float weight_decay;        /* AdamW; not applied to biases, LayerNorm params */
    float beta1, beta2, eps;
    float grad_clip;           /* global gradient-norm clip; 0 = off */
    float fim_rate;            /* probability a window is FIM-transformed (default 0.5) */
    float fim_spm_rate;        /* of those, share in suffix-prefix-middle order (default 0.5) */
    uint64_t seed;             /* data order, FIM choices */
} sl_train_options;

SL_API void sl_train_options_default(sl_train_options *opts);

typedef struct {
    int64_t step;          /* optimizer steps done, after this one */
    int64_t tokens_seen;   /* training tokens consumed so far */
    float loss;            /* mean training loss of this step */
    float grad_norm;       /* global norm before clipping */
    float learning_rate;   /* used for this step */
    double seconds;        /* wall time of this step */
} sl_step_stats;

typedef struct sl_trainer sl_trainer;

/* A trainer owns the optimizer state for a model (the model stays owned by the caller and must
 * outlive the trainer). */
SL_API sl_status sl_trainer_create(sl_model *model, const sl_train_options *opts, sl_trainer **out);
SL_API void sl_trainer_free(sl_trainer *trainer);
/* One optimizer step: grad_accum_steps micro-batches of random windows from data. */
SL_API sl_status sl_trainer_step(sl_trainer *trainer, const sl_dataset *data, sl_step_stats *out);
/* Mean loss over up to max_batches deterministic, non-overlapping windows of data (no FIM). */
SL_API sl_status sl_trainer_evaluate(sl_trainer *trainer, const sl_dataset *data, int max_batches,
                                     float *out_loss);
SL_API int64_t sl_trainer_step_count(const sl_trainer *trainer);
SL_API int64_t sl_trainer_tokens_seen(const sl_trainer *trainer);
/* Change options mid-run (e.g. after resume with a new step budget). */
SL_API sl_status sl_trainer_set_options(sl_trainer *trainer, const sl_train_options *opts);
SL_API sl_train_options sl_trainer_options(const sl_trainer *trainer);
/* Precision of the training matmuls on the CPU: "fp32", or "bf16" (matmul inputs rounded to
 * bfloat16, products summed in fp32; master weights, optimizer state and every other op stay
 * fp32), about twice the matmul rate on CPUs with AVX512-BF16. "auto" picks the engine's default
 * for this CPU (docs/training-speed.md says which, with the loss evidence). "bf16" on a CPU without
 * AVX512-BF16 is SL_ERR_UNSUPPORTED. A new or restored trainer starts at "auto". Losses from
 * sl_trainer_evaluate / sl_model_loss are always computed in fp32. */
SL_API sl_status sl_trainer_set_precision(sl_trainer *trainer, const char *precision);
/* "fp32" or "bf16": what the CPU steps use now. */
SL_API const char *sl_trainer_precision(const sl_trainer *trainer);

/* ---------------------------------------------------------------------------------------------- */
/* Devices                                                                                         */
/*
 * Training runs on the CPU or, through libseedling_cuda.so loaded at run time, on an NVIDIA GPU
 * (compute capability 8.0+). sl_trainer_create is always the CPU. A trainer on CUDA keeps the
 * weights and optimizer state on the GPU: the model's host weights are refreshed by
 * sl_trainer_sync (sl_checkpoint_save does it itself), so sync before using the model for
 * sessions or sl_model_loss while a CUDA trainer owns it.
 */

/* 1 if a CUDA device can be used (name receives its description), else 0 (name receives why not).
 * name may be NULL. */
SL_API int sl_cuda_available(char *name, size_t name_len);
/* sl_trainer_create on a device: "auto" (CUDA when available, else CPU), "cpu" or "cuda".
 * "cuda" without a usable device is SL_ERR_UNSUPPORTED. */
SL_API sl_status sl_trainer_create_on(sl_model *model, const sl_train_options *opts,
                                      const char *device, sl_trainer **out);
/* Move a trainer (e.g. one restored by sl_checkpoint_load) to "cpu", "cuda" or "auto". */
SL_API sl_status sl_trainer_set_device(sl_trainer *trainer, const char *device);
/* "cpu" or "cuda". */
SL_API const char *sl_trainer_device(const sl_trainer *trainer);
/* Copy a CUDA trainer's weights and optimizer state to the host model and trainer (no-op on CPU). */
SL_API sl_status sl_trainer_sync(sl_trainer *trainer);

/* ---------------------------------------------------------------------------------------------- */
/* Checkpoints                                                                                     */
/*
 * One versioned file: magic, version, config, tokenizer, weights; optionally the trainer's
 * optimizer state and progress. Written atomically (temp file, fsync, rename); every size and
 * offset validated on load (a damaged file is SL_ERR_CORRUPT, never a crash).
 */

/* trainer may be NULL (weights only). */
SL_API sl_status sl_checkpoint_save(const char *path, const sl_model *model, const sl_tokenizer *tok,
                                    const sl_trainer *trainer);
/* out_trainer may be NULL; if not NULL and the file has training state, a trainer is restored
 * (attached to *out_model), otherwise *out_trainer is set to NULL. */
SL_API sl_status sl_checkpoint_load(const char *path, sl_model **out_model, sl_tokenizer **out_tok,
                                    sl_trainer **out_trainer);
/* The same from memory (the fuzz target uses it). */
SL_API sl_status sl_checkpoint_load_memory(const uint8_t *bytes, size_t len, sl_model **out_model,
                                           sl_tokenizer **out_tok, sl_trainer **out_trainer);

/* ---------------------------------------------------------------------------------------------- */
/* Inference                                                                                       */

typedef struct sl_session sl_session;

typedef struct {
    int32_t max_tokens;           /* token budget */
    float temperature;            /* 0 = greedy */
    int32_t top_k;                /* 0 = off */
    float top_p;                  /* 1 = off */
    uint64_t seed;
    const char *const *stop;      /* stop strings: generation ends before the first match */
    int32_t n_stop;
    /* Token healing: the generated text must begin with these bytes (the partial pre-token the
     * caller removed from the prompt). NULL or "" = unconstrained. */
    const char *required_prefix;
    size_t required_prefix_len;
    const sl_cancel_flag *cancel; /* checked between tokens; NULL = never */
} sl_generate_options;

SL_API void sl_generate_options_default(sl_generate_options *opts);

/* Why a generation ended. */
typedef enum {
    SL_STOP_BUDGET = 0,      /* max_tokens generated, or the context is full */
    SL_STOP_END_OF_TEXT = 1, /* the model chose the end-of-text token */
    SL_STOP_STOP_STRING = 2, /* a stop string appeared (the text ends before it) */
    SL_STOP_CANCELLED = 3,   /* opts->cancel was set */
    SL_NUM_STOP_REASONS
} sl_stop_reason;

/* The canonical name of a stop reason, as the Node binding reports it (stoppedBy): "budget",
 * "end-of-text", "stop", "cancelled"; "unknown" for any other value. Never NULL. */
SL_API const char *sl_stop_reason_name(int32_t reason);

typedef struct {
    int32_t prompt_tokens;       /* tokens in the prompt */
    int32_t reused_tokens;       /* of those, served from the KV cache of the previous request */
    int32_t generated_tokens;
    int32_t stopped_by;          /* an sl_stop_reason (a fixed-size field, not the enum type) */
    double prompt_ms, decode_ms;
} sl_generate_stats;

/* A session holds a KV cache for one model (which must outlive it). */
SL_API sl_status sl_session_create(sl_model *model, sl_session **out);
SL_API void sl_session_free(sl_session *session);
/* Drop the cache. The session snapshots what it needs of the model's weights (half-precision
 * copies for decoding) when created and at each reset: after the weights change (training, a
 * load into the same model), reset the session before generating again. */
SL_API void sl_session_reset(sl_session *session);

/* Continue a prompt of n_prompt tokens (the cache of the previous call is reused for the longest
 * common prefix). If the prompt exceeds the context, its oldest tokens are dropped. Writes the
 * generated text (without the prompt; healed text included) to *out_text (sl_free). */
SL_API sl_status sl_session_generate(sl_session *session, const sl_tokenizer *tok,
                                     const int32_t *prompt, size_t n_prompt,
                                     const sl_generate_options *opts, char **out_text,
                                     size_t *out_len, sl_generate_stats *out_stats);

/* Logits (vocab_size floats) for the token after the prompt, using and updating the cache. */
SL_API sl_status sl_session_logits(sl_session *session, const int32_t *prompt, size_t n_prompt,
                                   float *out_logits);

/* Teacher-forced scoring (for ranking candidate completions): out_logprobs[i] receives the natural
 * log-probability of candidate[i] after the prompt and candidate[0..i). If out_next_logits is not
 * NULL it receives the vocab_size logits after the whole candidate (e.g. to ask how likely the line
 * ends there). model must be the session's model. Uses and updates the session's cache like
 * sl_session_logits: one decode step per candidate token. An over-long prompt loses its oldest
 * tokens so that prompt and candidate fit the context. */
SL_API sl_status sl_session_score(sl_session *session, const sl_model *model, const int32_t *prompt,
                                  size_t n_prompt, const int32_t *candidate, size_t n_candidate,
                                  float *out_logprobs, float *out_next_logits);

/* Build a fill-in-the-middle prompt: PREFIX prefix SUFFIX suffix MIDDLE (prefix-suffix-middle
 * order), keeping at most max_tokens tokens: the end of the prefix and the start of the suffix
 * are kept, the suffix receiving at most a quarter of the budget. *out_tokens: sl_free. */
SL_API sl_status sl_build_fim_prompt(const sl_tokenizer *tok, const char *prefix, size_t prefix_len,
                                     const char *suffix, size_t suffix_len, int32_t max_tokens,
                                     int32_t **out_tokens, size_t *out_n);

/* ---- The repository as a language model ----------------------------------------------------- */

/* The suffix array of a token stream, sorted by each suffix's first `depth` tokens (the repository's
 * ∞-gram looks no further back than that): order[0..n) receives the start positions. A suffix that
 * ends sorts before the longer ones sharing its tokens; the order among suffixes equal for `depth`
 * tokens is unspecified. O(n) memory besides order; runs on the calling thread. */
SL_API sl_status sl_suffix_sort(const uint16_t *tokens, size_t n, int32_t depth, int32_t *order);

#ifdef __cplusplus
}
#endif
#endif /* SEEDLING_H */
