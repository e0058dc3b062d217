#!/usr/bin/env node
// package.mjs (`npm run package`): build, then package the extension as a platform-specific VSIX,
// dist/seedling-<version>-<target>.vsix (the native addon makes it platform specific), and check
// that exactly the runtime files ship: the bundles, the addon, package.json, README/LICENSE/NOTICE,
// media/ and bundled base models; nothing from sources, tests, node_modules or build trees.
// vsce runs in a staging folder (build/vsix/) holding only candidate files: walking the whole
// checkout (node_modules, build trees) costs vsce minutes; .vscodeignore still decides, and the
// file list is checked against what may ship.
//   --no-build                package what is in dist/ (and build/targets/<target>/) as is
//   --target <target>         a VS Code target other than this machine's: linux-arm64 on linux-x64 (the
//                             addon cross-compiled by build.mjs --target); others on such a machine
//   --base-images-url=URL     where the README's docs/images/ pictures are published (see readme-for-vsix.mjs)
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, openSync, readFileSync, readSync, closeSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readmeWithoutPictures } from './readme-for-vsix.mjs';
import { CROSS_TARGETS, crossAddonPath, hostTarget, targetFromArgs } from './targets.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const args = new Set(argv);
const { version, name, repository } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const baseImagesUrl = argv.find((a) => a.startsWith('--base-images-url='))?.slice('--base-images-url='.length);

const host = hostTarget();
const target = targetFromArgs(argv);
if (!host) {
  console.error(`package: no VS Code target for ${process.platform}-${process.arch}`);
  process.exit(1);
}
const cross = target !== host;
if (cross && CROSS_TARGETS[target]?.host !== host) {
  console.error(`package: ${target} cannot be built on ${host}; run npm run package on a ${target} machine (docs/platforms.md)`);
  process.exit(1);
}
const vsix = join(root, 'dist', `${name}-${version}-${target}.vsix`);

/** The CPU a native binary (ELF, PE or Mach-O) is built for: 'x64', 'arm64' or what its header says. */
function binaryArch(file) {
  const head = Buffer.alloc(4096);
  const fd = openSync(file, 'r');
  const n = readSync(fd, head, 0, head.length, 0);
  closeSync(fd);
  if (n >= 20 && head.readUInt32BE(0) === 0x7f454c46) { // ELF: e_machine at 18
    const machine = head.readUInt16LE(18);
    return machine === 0x3e ? 'x64' : machine === 0xb7 ? 'arm64' : `elf machine ${machine}`;
  }
  if (n >= 64 && head.readUInt16LE(0) === 0x5a4d) { // PE: "PE\0\0" at e_lfanew, then Machine
    const pe = head.readUInt32LE(60);
    const machine = pe + 6 <= n ? head.readUInt16LE(pe + 4) : -1;
    return machine === 0x8664 ? 'x64' : machine === 0xaa64 ? 'arm64' : `pe machine ${machine}`;
  }
  if (n >= 8 && head.readUInt32LE(0) === 0xfeedfacf) { // Mach-O 64: cputype at 4
    const cpu = head.readUInt32LE(4);
    return cpu === 0x01000007 ? 'x64' : cpu === 0x0100000c ? 'arm64' : `mach-o cpu ${cpu}`;
  }
  return 'unknown';
}

const REQUIRED = ['package.json', 'dist/extension.js', 'dist/engineProcess.js', 'dist/cli.js', 'dist/seedling.node'];
const ALLOWED = [/^package\.json$/, /^(README|CHANGELOG)\.md$/, /^(LICENSE|NOTICE)(\.(md|txt))?$/, /^dist\/[^/]+\.(js|node|css)$/,
  /^dist\/libseedling_cuda\.[a-z.]+$/, /^media\//, /^models\/[^/]+\.seedling$/];

function run(cmd, argv, capture = false, cwd = root) {
  const r = spawnSync(cmd, argv, { cwd, encoding: 'utf8', stdio: capture ? ['ignore', 'pipe', 'inherit'] : 'inherit' });
  if (r.status !== 0) {
    console.error(`package: ${[cmd, ...argv].join(' ')} failed (${r.error?.message ?? `exit ${r.status}`})`);
    process.exit(1);
  }
  return r.stdout;
}

if (!args.has('--no-build')) run(process.execPath, [join(root, 'scripts', 'build.mjs'), ...(cross ? ['--target', target] : [])]);
// The addon that ships: this machine's (dist/), or the target's cross-built one.
const addon = cross ? crossAddonPath(target) : join(root, 'dist', 'seedling.node');
for (const f of REQUIRED) {
  const path = f === 'dist/seedling.node' ? addon : join(root, f);
  if (!existsSync(path)) {
    console.error(`package: ${relative(root, path)} is missing; run npm run build${cross ? ` -- --target ${target}` : ''}`);
    process.exit(1);
  }
}
const wantArch = target.split('-')[1];
if (binaryArch(addon) !== wantArch) {
  console.error(`package: ${relative(root, addon)} is built for ${binaryArch(addon)}, not ${wantArch} (${target})`);
  process.exit(1);
}

const stage = join(root, 'build', 'vsix');
rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });
for (const entry of ['package.json', '.vscodeignore', 'README.md', 'CHANGELOG.md', 'LICENSE', 'NOTICE', 'media', 'models']) {
  if (existsSync(join(root, entry))) cpSync(join(root, entry), join(stage, entry), { recursive: true });
}
// Another target's package gets its own addon, and no CUDA backend (built for linux-x64 only).
const hostOnly = (src) => cross && (src.endsWith('seedling.node') || /libseedling_cuda\.[a-z.]+$/.test(src));
cpSync(join(root, 'dist'), join(stage, 'dist'), { recursive: true, filter: (src) => !src.endsWith('.vsix') && !hostOnly(src) });
if (cross) cpSync(addon, join(stage, 'dist', 'seedling.node'));
// The README's pictures: vsce points them at the published repository when it knows one; else they stay out.
if (!repository && !baseImagesUrl) {
  const { text, removed } = readmeWithoutPictures(readFileSync(join(root, 'README.md'), 'utf8'));
  writeFileSync(join(stage, 'README.md'), text);
  if (removed.length) console.log(`package: README pictures left out of the VSIX (no repository URL for them): ${removed.join(', ')}`);
}

const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
const packageArgs = ['--no-dependencies', '--allow-missing-repository', ...(existsSync(join(root, 'LICENSE')) ? [] : ['--skip-license']),
  ...(baseImagesUrl ? ['--baseImagesUrl', baseImagesUrl] : [])];
const files = run(process.execPath, [vsce, 'ls', '--no-dependencies'], true, stage).split('\n').map((l) => l.trim()).filter(Boolean);
const stray = files.filter((f) => !ALLOWED.some((re) => re.test(f)));
const missing = REQUIRED.filter((f) => !files.includes(f));
if (stray.length || missing.length) {
  if (stray.length) console.error(`package: files that must not ship (fix .vscodeignore):\n  ${stray.join('\n  ')}`);
  if (missing.length) console.error(`package: required files not in the package:\n  ${missing.join('\n  ')}`);
  process.exit(1);
}
run(process.execPath, [vsce, 'package', '--target', target, '--out', vsix, ...packageArgs], false, stage);
const mb = (statSync(vsix).size / (1024 * 1024)).toFixed(1);
console.log(`package: ${relative(root, vsix)} (${target}, addon ${binaryArch(addon)}, ${mb} MB, ${files.length} files: ${files.join(', ')})`);
