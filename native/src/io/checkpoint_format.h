/* checkpoint_format.h: the layout of a Seedling checkpoint file, shared by the writer
 * (checkpoint_save.c), the reader (checkpoint_load.c), the tests and the tools. The Python
 * reference check (scripts/reference_check.py) parses the same layout on its own.
 *
 * All integers and floats are little-endian.
 *
 *   offset  size  field
 *   0       8     magic "SEEDLING"
 *   8       4     u32 format version (SL_CHECKPOINT_VERSION)
 *   12      4     u32 header length: bytes of header fields that follow (>= 8; a later version
 *                 may append fields, which older readers of the same version skip)
 *   16      4     u32 weight dtype (sl_checkpoint_dtype)
 *   20      4     u32 number of sections
 *   16+hl   ...   sections, back to back, each:
 *                   4  tag, four ASCII letters
 *                   4  u32 CRC-32 (zlib's) of the payload
 *                   8  u64 payload length in bytes
 *                   n  payload
 *
 * Sections (each at most once; order free; unknown tags are skipped after their CRC is checked):
 *   CONF  5 x i32: vocab_size, context_length, d_model, n_layers, n_heads          (required)
 *   TOKN  the tokenizer blob of sl_tokenizer_serialize                             (required)
 *   WGHT  all parameters in model.h's tensor order, num_params x dtype size        (required)
 *   TRST  trainer state, SL_CHECKPOINT_TRAINER_STATE_BYTES (layout in checkpoint_save.c)
 *   ADMM  AdamW first moments, num_params x f32           (TRST, ADMM, ADMV: all or none)
 *   ADMV  AdamW second moments, num_params x f32
 */
#ifndef SL_CHECKPOINT_FORMAT_H
#define SL_CHECKPOINT_FORMAT_H
#include <stdint.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "checkpoint I/O writes tensors straight from memory and assumes a little-endian host"
#endif

#define SL_CHECKPOINT_MAGIC "SEEDLING"
#define SL_CHECKPOINT_MAGIC_BYTES 8
#define SL_CHECKPOINT_VERSION 1u
/* magic + version + header length */
#define SL_CHECKPOINT_PREAMBLE_BYTES 16
/* weight dtype + section count: the header fields version 1 defines */
#define SL_CHECKPOINT_HEADER_V1_BYTES 8
/* tag + CRC + length */
#define SL_CHECKPOINT_SECTION_HEADER_BYTES 16
/* More would only ever be a damaged count; keeps a hostile file from making us loop long. */
#define SL_CHECKPOINT_MAX_SECTIONS 64
/* The largest preset (about 98M parameters) with its AdamW moments is about 1.2 GB; a file beyond
 * this is refused before its body is read, so a hostile 10 GB file costs neither memory nor time. */
#define SL_CHECKPOINT_MAX_FILE_BYTES ((uint64_t)4 << 30)

#define SL_CHECKPOINT_CONFIG_BYTES 20
/* step, tokens_seen, rng_state (8 each), 14 option fields of 4 bytes, seed (8) */
#define SL_CHECKPOINT_TRAINER_STATE_BYTES 88

typedef enum {
    SL_CHECKPOINT_DTYPE_F32 = 0,
    SL_CHECKPOINT_DTYPE_BF16 = 1,
    SL_CHECKPOINT_DTYPE_F16 = 2,
    SL_CHECKPOINT_DTYPE_COUNT
} sl_checkpoint_dtype;

/* Section tags as the u32 their four bytes read as little-endian. */
#define SL_CHECKPOINT_TAG(a, b, c, d) \
    ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define SL_TAG_CONFIG SL_CHECKPOINT_TAG('C', 'O', 'N', 'F')
#define SL_TAG_TOKENIZER SL_CHECKPOINT_TAG('T', 'O', 'K', 'N')
#define SL_TAG_WEIGHTS SL_CHECKPOINT_TAG('W', 'G', 'H', 'T')
#define SL_TAG_TRAINER_STATE SL_CHECKPOINT_TAG('T', 'R', 'S', 'T')
#define SL_TAG_ADAM_M SL_CHECKPOINT_TAG('A', 'D', 'M', 'M')
#define SL_TAG_ADAM_V SL_CHECKPOINT_TAG('A', 'D', 'M', 'V')
#endif
