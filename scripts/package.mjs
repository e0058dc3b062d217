#!/usr/bin/env node
// package.mjs (`npm run package`): build, then package the extension as a platform-specific VSIX,
// dist/seedling-<version>-<target>.vsix (the native addon makes it platform specific), and check
// that exactly the runtime files ship: the bundles, the addon, package.json, README/LICENSE/NOTICE,
// media/ and bundled base models; nothing from sources, tests, node_modules or build trees.
// vsce runs in a staging folder (build/vsix/) holding only candidate files: walking the whole
// checkout (node_modules, build trees) costs vsce minutes; .vscodeignore still decides, and the
// file list is checked against what may ship.
//   --no-build                package what is in dist/ as is
//   --base-images-url=URL     where the README's docs/images/ pictures are published (see readme-for-vsix.mjs)
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readmeWithoutPictures } from './readme-for-vsix.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const { version, name, repository } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const baseImagesUrl = [...args].find((a) => a.startsWith('--base-images-url='))?.slice('--base-images-url='.length);

// VS Code's target names: <platform>-<arch> for the platforms Node reports.
const PLATFORMS = { linux: 'linux', darwin: 'darwin', win32: 'win32' };
const ARCHS = { x64: 'x64', arm64: 'arm64', arm: 'armhf' };
if (!PLATFORMS[process.platform] || !ARCHS[process.arch]) {
  console.error(`package: no VS Code target for ${process.platform}-${process.arch}`);
  process.exit(1);
}
const target = `${PLATFORMS[process.platform]}-${ARCHS[process.arch]}`;
const vsix = join(root, 'dist', `${name}-${version}-${target}.vsix`);

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

if (!args.has('--no-build')) run(process.execPath, [join(root, 'scripts', 'build.mjs')]);
for (const f of REQUIRED) {
  if (!existsSync(join(root, f))) {
    console.error(`package: ${f} is missing; run npm run build`);
    process.exit(1);
  }
}

const stage = join(root, 'build', 'vsix');
rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });
for (const entry of ['package.json', '.vscodeignore', 'README.md', 'CHANGELOG.md', 'LICENSE', 'NOTICE', 'media', 'models']) {
  if (existsSync(join(root, entry))) cpSync(join(root, entry), join(stage, entry), { recursive: true });
}
cpSync(join(root, 'dist'), join(stage, 'dist'), { recursive: true, filter: (src) => !src.endsWith('.vsix') });
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
console.log(`package: ${relative(root, vsix)} (${target}, ${mb} MB, ${files.length} files: ${files.join(', ')})`);
