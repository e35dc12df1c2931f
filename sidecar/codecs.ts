// Each codec's encoder and decoder, as a record over the contract's codec names: a codec the
// contract gains without them here is a compile error, never a file written plain under a
// compressed name.
import type { Transform } from 'node:stream';
import { createGzip, createZstdCompress, gunzipSync, constants as zlib, zstdDecompressSync } from 'node:zlib';
import type { Codec, Compression } from '../contract/codecs.ts';

export interface CodecImplementation {
  /** A streaming encoder at `level`, within the codec's range (contract/codecs.ts). */
  encoder(level: number): Transform;
  /** A whole archive's content: for tests, the benchmarks and reading an archive back. */
  decode(data: Buffer): Buffer;
}

// Output chunks of 1 MiB instead of zlib's 16 KiB: fewer round trips through the thread pool
// make streaming compression about twice as fast, and capping speed bounds how fast a writer
// the sidecar can keep under budget.
const CHUNK_SIZE = 1 << 20;

export const CODEC_IMPLEMENTATIONS = {
  gzip: {
    encoder: (level) => createGzip({ level, chunkSize: CHUNK_SIZE }),
    decode: (data) => gunzipSync(data),
  },
  zstd: {
    encoder: (level) =>
      createZstdCompress({ chunkSize: CHUNK_SIZE, params: { [zlib.ZSTD_c_compressionLevel]: level } }),
    decode: (data) => zstdDecompressSync(data),
  },
} satisfies Record<Codec, CodecImplementation>;

/** The encoder for `compression`; none for `none`, whose output is the input. */
export function encoderFor(compression: Compression, level: number): Transform | undefined {
  return compression === 'none' ? undefined : CODEC_IMPLEMENTATIONS[compression].encoder(level);
}
