// After `prebuildify --napi --strip`: ship the simulated GPU libraries beside
// the addon prebuild, so `--simulate` works from an npm install with no compiler.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const dest = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
mkdirSync(dest, { recursive: true });
for (const name of ['libwattscope_simgpu', 'libwattscope_simgpu_legacy']) {
  const file = `${name}${process.platform === 'darwin' ? '.dylib' : '.so'}`;
  const from = path.join(root, 'build', 'Release', file);
  if (!existsSync(from)) {
    console.error(`copy-sim-prebuild: ${from} is missing; prebuildify should have built it`);
    process.exit(1);
  }
  copyFileSync(from, path.join(dest, file));
  console.log(`prebuilds: ${path.relative(root, path.join(dest, file))}`);
}
