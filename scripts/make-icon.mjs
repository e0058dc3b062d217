#!/usr/bin/env node
// make-icon.mjs: draws the extension icon, media/icon.png (128x128 RGBA PNG), from shapes in code:
// a seedling (stem and two leaves) on a rounded dark-green tile, with a sprout of "ghost text"
// dots. No drawing program and nothing downloaded; the PNG is written with zlib (node:zlib), each pixel
// supersampled 4x4 for smooth edges. Run it again after changing a shape: `node scripts/make-icon.mjs`.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const SIZE = 128;
const SS = 4; // samples per axis per pixel
const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'media', 'icon.png');

// Shapes in a 0..1 square, y down; each is inside(x, y) plus a colour; later shapes paint over earlier ones.
const roundedSquare = (r) => (x, y) => {
  const dx = Math.max(Math.abs(x - 0.5) - (0.5 - r), 0);
  const dy = Math.max(Math.abs(y - 0.5) - (0.5 - r), 0);
  return dx * dx + dy * dy <= r * r;
};
// A leaf: the intersection of two discs (a vesica), rotated by `angle` around its base point.
const leaf = (bx, by, length, width, angle) => (x, y) => {
  const c = Math.cos(-angle), s = Math.sin(-angle);
  const u = (x - bx) * c - (y - by) * s; // along the leaf
  const v = (x - bx) * s + (y - by) * c; // across it
  const R = (length * length / 4 + width * width / 4) / width; // radius of the discs through both tips
  const off = R - width / 2;
  const inDisc = (cy) => (u - length / 2) ** 2 + (v - cy) ** 2 <= R * R;
  return inDisc(off) && inDisc(-off);
};
const stem = (x, y) => {
  // A gentle curve from the soil up to the leaves, 0.045 wide.
  if (y < 0.36 || y > 0.8) return false;
  const cx = 0.5 + 0.03 * Math.sin((y - 0.36) * 7);
  return Math.abs(x - cx) <= 0.0225;
};
const soil = (x, y) => y >= 0.78 && y <= 0.83 && x >= 0.22 && x <= 0.6;
const dot = (cx, cy, r) => (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;

const tile = roundedSquare(0.2);
const layers = [
  { inside: leaf(0.51, 0.42, 0.3, 0.13, -Math.PI * 0.2), colour: [126, 217, 87] },
  { inside: leaf(0.5, 0.47, 0.24, 0.11, Math.PI * 1.15), colour: [95, 191, 70] },
  { inside: stem, colour: [95, 191, 70] },
  { inside: soil, colour: [196, 160, 110] },
  // Ghost text after the soil line: three fading dots, as an inline suggestion looks in the editor.
  { inside: dot(0.66, 0.805, 0.024), colour: [170, 200, 180] },
  { inside: dot(0.73, 0.805, 0.024), colour: [140, 172, 150] },
  { inside: dot(0.8, 0.805, 0.024), colour: [110, 142, 120] },
];

function background(y) {
  // Top-to-bottom gradient, dark forest green.
  const t = y;
  return [Math.round(24 + 10 * t), Math.round(64 - 18 * t), Math.round(48 - 12 * t)];
}

const raw = Buffer.alloc((SIZE * 4 + 1) * SIZE);
for (let py = 0; py < SIZE; py++) {
  raw[py * (SIZE * 4 + 1)] = 0; // filter: none
  for (let px = 0; px < SIZE; px++) {
    let r = 0, g = 0, b = 0, a = 0;
    for (let sy = 0; sy < SS; sy++) {
      for (let sx = 0; sx < SS; sx++) {
        const x = (px + (sx + 0.5) / SS) / SIZE;
        const y = (py + (sy + 0.5) / SS) / SIZE;
        if (!tile(x, y)) continue;
        let c = background(y);
        for (const l of layers) if (l.inside(x, y)) c = l.colour;
        r += c[0]; g += c[1]; b += c[2]; a += 255;
      }
    }
    const n = SS * SS;
    const covered = a / 255;
    const o = py * (SIZE * 4 + 1) + 1 + px * 4;
    // Straight (not premultiplied) alpha: colour averaged over the covered samples only.
    raw[o] = covered ? Math.round(r / covered) : 0;
    raw[o + 1] = covered ? Math.round(g / covered) : 0;
    raw[o + 2] = covered ? Math.round(b / covered) : 0;
    raw[o + 3] = Math.round(a / n);
  }
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const byte of buf) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
};
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(SIZE, 0);
ihdr.writeUInt32BE(SIZE, 4);
ihdr[8] = 8; // bit depth
ihdr[9] = 6; // RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
writeFileSync(out, png);
console.log(`make-icon: ${out} (${SIZE}x${SIZE}, ${png.length} bytes)`);
