// A child process that compresses one closed file the way the sidecar does, through the
// sidecar's own compressFile() (temporary name, fsync, rename, source removed), and prints
// how long that took and the CPU it used (all threads, zlib's pool included). A separate
// process, so the parent can sample the disk undisturbed. The CPU is counted from the call, as
// in the sidecar, a running process: Node's start and imports (about 0.1 s of CPU, a third of
// compressing 30 MB) are paid once per pod, not once per file.
//
//   node bench/compress-one.ts --dir D --file F --compression gzip|zstd --level N
import { parseArgs } from 'node:util';
import { compressFile } from '../sidecar/compress.ts';
import { realFs } from '../sidecar/fs.ts';
import { compressedName } from '../sidecar/names.ts';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    file: { type: 'string' },
    compression: { type: 'string', default: 'gzip' },
    level: { type: 'string', default: '6' },
  },
});
const compression = values.compression === 'zstd' ? 'zstd' : 'gzip';
const cpuBefore = process.cpuUsage();
const started = performance.now();
const outcome = await compressFile(values.file!, compressedName(values.file!, compression), {
  fs: realFs,
  dir: values.dir!,
  compression,
  level: Number(values.level),
});
const ms = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
process.stdout.write(
  `${JSON.stringify({ ms, cpuSeconds, bytesIn: outcome.bytesIn, bytesOut: outcome.bytesOut })}\n`,
);
