/**
 * datatrove's `sha1_hash32`: the first 4 bytes of a SHA-1 digest read as a little-endian uint32. A plain
 * JavaScript SHA-1 over a reused buffer, because MinHash hashes every shingle of every document and short inputs
 * are several times cheaper here than through `node:crypto` (which the tests check it against).
 */

const W = new Int32Array(80);
let padded = new Uint8Array(128);

/** SHA-1 of `bytes[start..end)`, returned as datatrove's 32-bit shingle hash. */
export function sha1Hash32(bytes: Uint8Array, start: number = 0, end: number = bytes.length): number {
  const length = end - start;
  let h0 = 0x67452301;
  let h1 = 0xefcdab89 | 0;
  let h2 = 0x98badcfe | 0;
  let h3 = 0x10325476;
  let h4 = 0xc3d2e1f0 | 0;
  // Padding: 0x80, zeros, then the bit length as a 64-bit big-endian integer, to a multiple of 64 bytes.
  const blocks = Math.ceil((length + 9) / 64);
  if (padded.length < blocks * 64) padded = new Uint8Array(blocks * 128);
  const m = padded;
  for (let i = 0; i < length; i++) m[i] = bytes[start + i]!;
  m.fill(0, length, blocks * 64);
  m[length] = 0x80;
  // The bit length's high 32 bits stay 0 (inputs below 512 MiB).
  const bitLength = length * 8;
  const total = blocks * 64;
  m[total - 4] = bitLength >>> 24;
  m[total - 3] = (bitLength >>> 16) & 0xff;
  m[total - 2] = (bitLength >>> 8) & 0xff;
  m[total - 1] = bitLength & 0xff;
  for (let base = 0; base < total; base += 64) {
    for (let t = 0; t < 16; t++) {
      const at = base + 4 * t;
      W[t] = (m[at]! << 24) | (m[at + 1]! << 16) | (m[at + 2]! << 8) | m[at + 3]!;
    }
    for (let t = 16; t < 80; t++) {
      const x = W[t - 3]! ^ W[t - 8]! ^ W[t - 14]! ^ W[t - 16]!;
      W[t] = (x << 1) | (x >>> 31);
    }
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    // The four 20-round stages differ only in their mixing function and constant.
    for (let t = 0; t < 80; t++) {
      const f = t < 20 ? ((b & c) | (~b & d)) + 0x5a827999 : t < 40 ? (b ^ c ^ d) + 0x6ed9eba1 : t < 60 ? ((b & c) | (b & d) | (c & d)) - 0x70e44324 : (b ^ c ^ d) - 0x359d3e2a;
      const temp = (((a << 5) | (a >>> 27)) + f + e + W[t]!) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = temp;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
  }
  // The digest's first 4 bytes are h0 big-endian; datatrove reads them little-endian.
  return (((h0 & 0xff) << 24) | (((h0 >>> 8) & 0xff) << 16) | (((h0 >>> 16) & 0xff) << 8) | (h0 >>> 24)) >>> 0;
}
