// The compression codecs `logward.io/compress` may name, one row each: what both halves need to
// know (the archive's extension, the level range, the default and fastest level). The sidecar's
// encoders and decoders (sidecar/codecs.ts) are a record over these names, so a codec added
// here without them does not compile, rather than writing plain bytes under a compressed name.

export interface CodecFacts {
  /** Appended to an archive's name: `app.log.1` -> `app.log.1.gz`. */
  extension: string;
  /** The levels `logward.io/compress-level` accepts for this codec. */
  levels: { min: number; max: number };
  defaultLevel: number;
  /** For a writer faster than the configured level: several times its throughput. */
  fastestLevel: number;
}

export const CODECS = {
  gzip: { extension: '.gz', levels: { min: 1, max: 9 }, defaultLevel: 6, fastestLevel: 1 },
  zstd: { extension: '.zst', levels: { min: 1, max: 19 }, defaultLevel: 3, fastestLevel: 1 },
} as const satisfies Record<string, CodecFacts>;

export type Codec = keyof typeof CODECS;

/** What `logward.io/compress` takes: a codec, or `none` to keep rotated files plain. */
export type Compression = Codec | 'none';

export const CODEC_NAMES = Object.keys(CODECS) as readonly Codec[];

/** `logward.io/compress` when nothing sets it: gzip, which every log tool reads. */
export const DEFAULT_CODEC: Codec = 'gzip';

export const COMPRESSIONS: readonly Compression[] = [...CODEC_NAMES, 'none'];

export function isCompression(text: string): text is Compression {
  return (COMPRESSIONS as readonly string[]).includes(text);
}

/** The codec whose extension `name` ends with, if any: `app.log.1.gz` -> gzip. */
export function codecOfName(name: string): Codec | undefined {
  return CODEC_NAMES.find((codec) => name.endsWith(CODECS[codec].extension));
}

/** `name` without a codec's extension: `app.log.1.gz` -> `app.log.1`; other names unchanged. */
export function withoutCodecExtension(name: string): string {
  const codec = codecOfName(name);
  return codec === undefined ? name : name.slice(0, -CODECS[codec].extension.length);
}
