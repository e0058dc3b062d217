/* crc32.c: table-driven CRC-32, eight bytes per step ("slicing-by-8"), so checksumming a
 * 400 MB checkpoint costs well under a second rather than several. */
#include "core/crc32.h"
#include "core/platform.h"

#include <string.h>

static uint32_t tables[8][256];
static sl_once tables_once = SL_ONCE_INIT;

static void build_tables(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        tables[0][i] = c;
    }
    /* tables[k][b]: the CRC contribution of byte b followed by k zero bytes. */
    for (int k = 1; k < 8; k++)
        for (uint32_t i = 0; i < 256; i++)
            tables[k][i] = (tables[k - 1][i] >> 8) ^ tables[0][tables[k - 1][i] & 0xFF];
}

uint32_t sl_crc32(uint32_t crc, const void *data, size_t len) {
    sl_call_once(&tables_once, build_tables);
    const uint8_t *p = data;
    crc = ~crc;
    while (len >= 8) {
        /* Assemble little-endian words byte by byte: correct on any host and any alignment. */
        uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
        crc = tables[7][lo & 0xFF] ^ tables[6][(lo >> 8) & 0xFF] ^ tables[5][(lo >> 16) & 0xFF] ^
              tables[4][lo >> 24] ^ tables[3][p[4]] ^ tables[2][p[5]] ^ tables[1][p[6]] ^
              tables[0][p[7]];
        p += 8;
        len -= 8;
    }
    while (len--) crc = tables[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}
