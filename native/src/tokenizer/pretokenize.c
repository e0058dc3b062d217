/* pretokenize.c: how text is cut into pre-tokens before BPE (merges never cross a cut).
 *
 * Every byte falls in one class:
 *   letter      A-Z a-z _ and every byte >= 0x80 (so UTF-8 multibyte characters, and stray
 *               invalid bytes, stay inside words instead of shattering them)
 *   digit       0-9
 *   space       ' '
 *   whitespace  \t \n \v \f \r
 *   punct       everything else (ASCII punctuation, NUL and other control bytes, DEL)
 *
 * Starting at a cut, the next pre-token is the longest of, in this order:
 *   1. word:    [one space] letter (letter | digit)*          " return", "x2", "naïve"
 *   2. number:  [one space] digit{1,3}                       " 123" then "45"
 *   3. punct:   [one space] punct+                           " ==", "):", "();"
 *   4. spacing: (space | whitespace)+ ; if the run ends with a space that is followed by a
 *               non-space byte, that last space is left to start the next pre-token.
 * A single space thus attaches to the word, number or punctuation after it, and indentation
 * "\n        return" becomes "\n       " + " return": two pre-tokens whatever the depth, each
 * of which BPE learns as one token. Tabs never attach ("\n\t\t" + "foo").
 * Numbers are cut in groups of three from the left, as GPT-4 does, so the vocabulary does not
 * fill with arbitrary numerals. No pre-token exceeds SL_PRETOKEN_MAX_BYTES; a longer run is cut
 * there and continues as the next pre-token (without a leading space).
 *
 * The split depends only on the bytes, is lossless (pre-tokens tile the text) and needs no
 * regular-expression library. */
#include "tokenizer/tokenizer_internal.h"

enum { CLS_LETTER, CLS_DIGIT, CLS_SPACE, CLS_WHITESPACE, CLS_PUNCT };

/* The class of each byte value, by the rules above (a constant, so threads share it freely). */
#define L CLS_LETTER
#define D CLS_DIGIT
#define S CLS_SPACE
#define W CLS_WHITESPACE
#define P CLS_PUNCT
#define LETTERS16 L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L
static const uint8_t byte_class[256] = {
    P, P, P, P, P, P, P, P, P, W, W, W, W, W, P, P, /* 0x00: \t \n \v \f \r */
    P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, /* 0x10 */
    S, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, /* 0x20: space !"#$%&'()*+,-./ */
    D, D, D, D, D, D, D, D, D, D, P, P, P, P, P, P, /* 0x30: 0-9 :;<=>? */
    P, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, /* 0x40: @ A-O */
    L, L, L, L, L, L, L, L, L, L, L, P, P, P, P, L, /* 0x50: P-Z [\]^ _ */
    P, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, /* 0x60: ` a-o */
    L, L, L, L, L, L, L, L, L, L, L, P, P, P, P, P, /* 0x70: p-z {|}~ DEL */
    LETTERS16, LETTERS16, LETTERS16, LETTERS16,     /* 0x80-0xff: UTF-8 lead and */
    LETTERS16, LETTERS16, LETTERS16, LETTERS16,     /* continuation bytes */
};
#undef L
#undef D
#undef S
#undef W
#undef P
#undef LETTERS16

static inline int is_spacing(uint8_t cls) { return cls == CLS_SPACE || cls == CLS_WHITESPACE; }

size_t sl_pretoken_length(const uint8_t *s, size_t n) {
    const uint8_t *cls = byte_class;
    size_t max = n < SL_PRETOKEN_MAX_BYTES ? n : SL_PRETOKEN_MAX_BYTES;
    size_t i = 0;
    uint8_t first = cls[s[0]];
    if (first == CLS_SPACE && max > 1 && !is_spacing(cls[s[1]])) first = cls[s[i = 1]];

    switch (first) {
    case CLS_LETTER:
        i++;
        while (i < max && (cls[s[i]] == CLS_LETTER || cls[s[i]] == CLS_DIGIT)) i++;
        return i;
    case CLS_DIGIT: {
        size_t end = i + 3 < max ? i + 3 : max;
        i++;
        while (i < end && cls[s[i]] == CLS_DIGIT) i++;
        return i;
    }
    case CLS_PUNCT:
        i++;
        while (i < max && cls[s[i]] == CLS_PUNCT) i++;
        return i;
    default: /* spacing */
        i++;
        while (i < max && is_spacing(cls[s[i]])) i++;
        /* Leave a final space to the pre-token it precedes. i >= 2 here: a lone space before a
         * non-space was taken as a leading space above. */
        if (i < n && s[i - 1] == ' ' && !is_spacing(cls[s[i]]) && i >= 2) i--;
        return i;
    }
}

size_t sl_pretoken_start(const char *text, size_t len) {
    if (!text) return 0;
    /* Cuts depend on everything before them (digit groups, the length cap), so walk from the
     * start; this runs at hundreds of MB/s, microseconds for a prompt. */
    const uint8_t *s = (const uint8_t *)text;
    size_t pos = 0, last = 0;
    while (pos < len) {
        last = pos;
        pos += sl_pretoken_length(s + pos, len - pos);
    }
    return last;
}
