// targets.mjs: VS Code's platform targets (linux-x64, linux-arm64, win32-x64, darwin-arm64, ...) as
// the build and the packaging see them: this machine's own, and the ones it cross-compiles.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Targets built here by cross-compiling: target -> the machine that can, and the toolchain. */
export const CROSS_TARGETS = {
  'linux-arm64': {
    host: 'linux-x64',
    toolchain: join(root, 'cmake', 'aarch64-linux-gnu.cmake'),
    compiler: 'aarch64-linux-gnu-g++',
    install: 'apt-get install crossbuild-essential-arm64',
  },
};

/** The VS Code target of this machine, or null when VS Code has none for it. */
export function hostTarget() {
  const platform = { linux: 'linux', darwin: 'darwin', win32: 'win32' }[process.platform];
  const arch = { x64: 'x64', arm64: 'arm64', arm: 'armhf' }[process.arch];
  return platform && arch ? `${platform}-${arch}` : null;
}

/** Where a cross-built addon for target goes (dist/ keeps this machine's own). */
export const crossAddonPath = (target) => join(root, 'build', 'targets', target, 'seedling.node');

/** The target named by `--target X` in argv, else this machine's. */
export function targetFromArgs(argv) {
  const at = argv.indexOf('--target');
  return at >= 0 ? argv[at + 1] : hostTarget();
}
