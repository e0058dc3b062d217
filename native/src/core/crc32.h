/* crc32.h: CRC-32 (IEEE 802.3, reflected, the one zlib and Python's zlib.crc32 compute), used to
 * detect damaged checkpoint sections. Not a cryptographic hash: it catches bit rot and truncation,
 * not tampering. */
#ifndef SL_CRC32_H
#define SL_CRC32_H
#include <stddef.h>
#include <stdint.h>

/* Continue a CRC over len more bytes: crc = sl_crc32(0, a, n); crc = sl_crc32(crc, b, m); */
uint32_t sl_crc32(uint32_t crc, const void *data, size_t len);
#endif
