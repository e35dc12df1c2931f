// Each codec's encoder and decoder, as a record over the contract's codec names: a codec the
// contract gains without them here is a compile error, never a file written plain under a
// compressed name.
import type { Transform } from 'node:stream';
import type { Codec, Compression } from '../contract/codecs.ts';

export interface CodecImplementation {
  /** A streaming encoder at `level`, within the codec's range (contract/codecs.ts). */
  encoder(level: number): Transform;
  /** A whole archive's content: for tests, the benchmarks and reading an archive back. */
  decode(data: Buffer): Buffer;
}

// Output chunks of 256 KiB instead of zlib's 16 KiB: fewer round trips through the thread pool
// make streaming compression about twice as fast, and capping speed bounds how fast a writer
// the sidecar can keep under budget. Not larger: 1 MiB was no faster (the input's chunk size
// is what counts, see holes.ts), and every chunk in flight is memory in every pod.
const CHUNK_SIZE = 256 << 10;

// node:zlib at the first compression, not at start: an idle sidecar compresses nothing, and
// what is loaded at start stays resident in every pod.
const zlib = () => process.getBuiltinModule('node:zlib');

export const CODEC_IMPLEMENTATIONS = {
  gzip: {
    encoder: (level) => zlib().createGzip({ level, chunkSize: CHUNK_SIZE }),
    decode: (data) => zlib().gunzipSync(data),
  },
  zstd: {
    encoder: (level) =>
      zlib().createZstdCompress({
        chunkSize: CHUNK_SIZE,
        params: { [zlib().constants.ZSTD_c_compressionLevel]: level },
      }),
    decode: (data) => zlib().zstdDecompressSync(data),
  },
} satisfies Record<Codec, CodecImplementation>;

/** The encoder for `compression`; none for `none`, whose output is the input. */
export function encoderFor(compression: Compression, level: number): Transform | undefined {
  return compression === 'none' ? undefined : CODEC_IMPLEMENTATIONS[compression].encoder(level);
}
