import { codecOfName } from '../contract/codecs.ts';
import { realFs } from '../sidecar/fs.ts';
import { scan } from '../sidecar/scan.ts';

export interface Usage {
  /** Allocated bytes, as kubelet measures an emptyDir. */
  bytes: number;
  compressedFiles: number;
  compressedBytes: number;
}

export async function measureUsage(dir: string): Promise<Usage> {
  const { files } = await scan(dir, { recursive: false }, realFs);
  const compressed = files.filter((f) => codecOfName(f.name) !== undefined);
  return {
    bytes: files.reduce((sum, f) => sum + f.allocatedBytes, 0),
    compressedFiles: compressed.length,
    compressedBytes: compressed.reduce((sum, f) => sum + f.allocatedBytes, 0),
  };
}
