#!/usr/bin/env node
// build.mjs (`npm run build`): the native addon (cmake-js, Release) and the esbuild bundles.
//
//   dist/seedling.node       the Node-API addon (copied from build/addon/Release/), found by the
//                            bundles next to themselves
//   dist/libseedling_cuda.so the CUDA backend, when nvcc is found (the engine loads it at run time,
//                            only where a CUDA device is present; one package serves both)
//   dist/engineProcess.js    the engine child process
//   dist/cli.js              the `seedling` command (package.json "bin")
//   dist/extension.js        the VS Code extension entry (if src/host/extension.ts exists)
//   dist/webview.js          the dashboard UI (if webview/main.ts exists)
//
// Flags: --native-only (addon and CUDA backend only), --js-only (bundles only), --no-cuda,
// --debug (Debug addon, unminified), --target <vscode target> (below).
//
// --target linux-arm64 on a linux-x64 machine cross-compiles the addon with Debian's cross
// toolchain (cmake/aarch64-linux-gnu.cmake) into build/targets/linux-arm64/seedling.node, leaving
// dist/ (this machine's addon) alone; scripts/package.mjs puts it into that target's VSIX. The
// Node-API headers are the same for every platform, so no arm64 Node is needed to build it.
// Other targets are built on a machine of that kind (docs/platforms.md).
// Works offline: cmake-js compiles against node-api-headers from node_modules (package.json
// binary.napi_versions), never downloading Node sources.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, chmodSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CROSS_TARGETS, crossAddonPath, hostTarget, targetFromArgs } from './targets.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const args = new Set(argv);
const debug = args.has('--debug');
const config = debug ? 'Debug' : 'Release';
const dist = join(root, 'dist');
export const addonBuildDir = join(root, 'build', 'addon');


function run(cmd, argv) {
  const result = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`build: ${cmd} ${argv.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`})`);
    process.exit(1);
  }
}

/** The addon for another target, with that target's cross toolchain (CROSS_TARGETS). */
function buildCrossAddon(target) {
  const cross = CROSS_TARGETS[target];
  if (!cross || cross.host !== hostTarget()) {
    console.error(`build: cannot build ${target} on ${hostTarget()}; build it on a ${target} machine (docs/platforms.md)`);
    process.exit(1);
  }
  if (spawnSync(cross.compiler, ['--version'], { stdio: 'ignore' }).status !== 0) {
    console.error(`build: ${cross.compiler} not found: ${cross.install}`);
    process.exit(1);
  }
  const jobs = process.env.SEEDLING_BUILD_JOBS ?? String(Math.min(availableParallelism(), 8));
  const out = join(root, 'build', `addon-${target}`);
  const cmakeJs = join(root, 'node_modules', 'cmake-js', 'bin', 'cmake-js');
  console.log(`build: native addon for ${target} (${config}, cross, ${jobs} jobs) -> ${join('build', 'targets', target)}`);
  run(process.execPath, [cmakeJs, 'build', '--directory', root, '--out', out, '--config', config, '--parallel', jobs,
    '--target', 'seedling_addon', '--log-level', 'warn', `--CDCMAKE_TOOLCHAIN_FILE=${cross.toolchain}`]);
  const built = join(out, config, 'seedling.node');
  if (!existsSync(built)) {
    console.error(`build: cmake-js finished but ${built} is missing`);
    process.exit(1);
  }
  mkdirSync(dirname(crossAddonPath(target)), { recursive: true });
  copyFileSync(built, crossAddonPath(target));
  console.log(`build: ${join('build', 'targets', target, 'seedling.node')}`);
}

function buildNative() {
  // Few cores are shared by many processes here; SEEDLING_BUILD_JOBS overrides.
  const jobs = process.env.SEEDLING_BUILD_JOBS ?? String(Math.min(availableParallelism(), 8));
  const cmakeJs = join(root, 'node_modules', 'cmake-js', 'bin', 'cmake-js');
  // Windows: clang-cl (Visual Studio's ClangCL toolset), since Microsoft's cl rejects the engine's
  // GCC/Clang vector extensions; SEEDLING_CMAKE_TOOLSET overrides (docs/platforms.md).
  const toolset = process.env.SEEDLING_CMAKE_TOOLSET ?? (process.platform === 'win32' ? 'ClangCL' : '');
  const argv = [cmakeJs, 'build', '--directory', root, '--out', addonBuildDir, '--config', config,
    '--parallel', jobs, '--target', 'seedling_addon', '--log-level', 'warn', ...(toolset ? ['--toolset', toolset] : [])];
  console.log(`build: native addon (${config}, ${jobs} jobs) -> ${join('build', 'addon', config)}`);
  run(process.execPath, argv);
  const built = join(addonBuildDir, config, 'seedling.node');
  if (!existsSync(built)) {
    console.error(`build: cmake-js finished but ${built} is missing`);
    process.exit(1);
  }
  mkdirSync(dist, { recursive: true });
  copyFileSync(built, join(dist, 'seedling.node'));
  console.log('build: dist/seedling.node');
}

/** The CUDA backend, built by the same CMake project where CMake finds nvcc; else said and skipped. */
function buildCudaBackend() {
  const jobs = process.env.SEEDLING_BUILD_JOBS ?? String(Math.min(availableParallelism(), 8));
  const cmakeJs = join(root, 'node_modules', 'cmake-js', 'bin', 'cmake-js');
  const probe = spawnSync('nvcc', ['--version'], { stdio: 'ignore' });
  if (probe.status !== 0 && !process.env.CUDACXX) {
    console.log('build: CUDA backend skipped (nvcc not found); the engine will train on the CPU');
    return;
  }
  console.log(`build: CUDA backend (${jobs} jobs)`);
  run(process.execPath, [cmakeJs, 'build', '--directory', root, '--out', addonBuildDir, '--config', config,
    '--parallel', jobs, '--target', 'seedling_cuda', '--log-level', 'warn']);
  const built = [join(addonBuildDir, config, 'libseedling_cuda.so'), join(addonBuildDir, 'cuda', 'libseedling_cuda.so')].find(existsSync);
  if (!built) {
    console.error('build: the CUDA backend was built but libseedling_cuda.so is not where expected');
    process.exit(1);
  }
  copyFileSync(built, join(dist, 'libseedling_cuda.so'));
  console.log('build: dist/libseedling_cuda.so');
}

async function buildBundles() {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const esbuild = await import('esbuild');
  const common = { bundle: true, sourcemap: true, minify: !debug, logLevel: 'warning', target: 'node20' };
  const node = { ...common, platform: 'node', format: 'cjs' };
  const bundles = [
    { name: 'extension', entry: 'src/host/extension.ts', options: { ...node, external: ['vscode'] } },
    { name: 'engineProcess', entry: 'src/engine/engineProcess.ts', options: node },
    { name: 'cli', entry: 'src/cli/bin.ts', options: { ...node, banner: { js: '#!/usr/bin/env node' }, define: { SEEDLING_VERSION: JSON.stringify(version) } } },
    { name: 'webview', entry: 'webview/main.ts', options: { ...common, platform: 'browser', format: 'iife', target: 'es2022' } },
  ];
  for (const b of bundles) {
    if (!existsSync(join(root, b.entry))) {
      console.log(`build: skipped dist/${b.name}.js (${b.entry} does not exist yet)`);
      continue;
    }
    const outfile = join(dist, `${b.name}.js`);
    await esbuild.build({ ...b.options, entryPoints: [join(root, b.entry)], outfile });
    if (b.name === 'cli') chmodSync(outfile, 0o755);
    console.log(`build: dist/${b.name}.js`);
  }
}

const target = targetFromArgs(argv);
if (!args.has('--js-only')) {
  if (target !== hostTarget()) {
    buildCrossAddon(target); // the CUDA backend is built for linux-x64 only
  } else {
    buildNative();
    if (!args.has('--no-cuda')) buildCudaBackend();
  }
}
if (!args.has('--native-only')) await buildBundles();
