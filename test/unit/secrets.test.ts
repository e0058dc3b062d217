/** Secrets stay out of the model: by name, by a key-like line, and on save as on a walk. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { collectCorpus, singleFileVerdict } from '../../src/shared/corpus';
import { findSecretLine, isSecretFileName } from '../../src/shared/corpus/secrets';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'seedling-secrets-'));
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(root, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, content);
  }
  return root;
}

test('credential files are recognised by name', () => {
  for (const name of ['.env', '.env.local', '.env.production', 'server.pem', 'tls.key', 'id_rsa', 'id_ed25519.pub',
    '.npmrc', '.pypirc', '.netrc', 'credentials.json', 'my-project-service-account.json', 'client_secret_42.json', 'keystore.p12']) {
    assert.equal(isSecretFileName(name), true, name);
  }
  for (const name of ['env.ts', 'environment.py', 'keys.ts', 'keyboard.key.ts', 'account.json', 'README.md', 'tokenizer.c']) {
    assert.equal(isSecretFileName(name), false, name);
  }
});

test('key-like lines are found; ordinary code that mentions keys and tokens is not', () => {
  const secrets = [
    'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    'const apiKey = "9f8a7c6b5d4e3f2a1b0c9d8e7f6a5b4c";',
    '  "token": "ya29.a0Af8Hk3xQ9zLm2PqR7tV4wY1uN6bC0dE5",',
    "password: 'Xk9#mP2$vL7q@nR4wT8z'".replace(/[#$@]/g, 'x'),
    'aws_access_key_id = AKIAIOSFODNN7EXAMPLE',
    'GITHUB = "ghp_16C7e42F292c6912E7710c838347Ae178B4a"',
    '-----BEGIN RSA PRIVATE KEY-----',
    '"private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEv...',
  ];
  for (const line of secrets) assert.equal(findSecretLine(`x = 1\n${line}\n`), 2, line);
  const code = [
    'const token = tokenizer.encode(text);',
    'const key = this.options.defaultKey2;',
    'export type ClientCredential = OAuth2TokenCredential<OAuth2Flow>;',
    'readonly SHA256_TOKEN_TO_REFRESH: "token_sha256_to_refresh";',
    'const password = process.env.DB_PASSWORD;',
    '// the key is stored in the -----BEGIN PRIVATE KEY----- block of the file',
    'secret = "correct horse battery staple"',
    'const keyBytes = stringToUint8Array(key, "base64");',
  ];
  for (const line of code) assert.equal(findSecretLine(line), 0, line);
});

test('the corpus walk leaves credentials out and says why', async () => {
  const root = tree({
    'src/app.ts': 'export const port = 8080;\n',
    '.env': 'DATABASE_URL=postgres://localhost/dev\n',
    'deploy/server.pem': 'certificate\n',
    'config/settings.py': 'DEBUG = True\nSECRET_KEY = "k3J9x2Lq8Zp4Wm7Rt5Yv1Nb6Hc0Gd"\n',
  });
  const corpus = await collectCorpus([root], []);
  assert.deepEqual(corpus.entries.map((e) => e.relativePath), ['src/app.ts']);
  assert.equal(corpus.summary.skipped['secret file'], 2);
  assert.equal(corpus.summary.skipped['secret-like content'], 1);
});

test('a saved file gets the walk\'s verdict: ignored, excluded, generated, secret', async () => {
  const root = tree({ '.gitignore': 'private/\n*.log\n', 'src/.gitignore': 'local.ts\n' });
  const verdict = (rel: string, text = 'export const a = 1;\n', excludeGlobs: string[] = ['**/vendor']) =>
    singleFileVerdict(root, path.join(root, rel), Buffer.from(text), { excludeGlobs });
  assert.equal(await verdict('src/app.ts'), undefined);
  assert.equal(await verdict('private/notes.ts'), 'ignored');
  assert.equal(await verdict('server.log'), 'ignored');
  assert.equal(await verdict('src/local.ts'), 'ignored', 'a nested .gitignore counts');
  assert.equal(await verdict('lib/vendor/x.ts'), 'ignored', 'exclude globs count');
  assert.equal(await verdict('node_modules/x/index.js'), 'generated');
  assert.equal(await verdict('.git/config'), 'ignored');
  assert.equal(await verdict('.env.local', 'A=1\n'), 'secret file');
  assert.equal(await verdict('src/config.ts', 'export const token = "Zx81Kq0Lm3Pw9Rt2Yv7Bn5Hc4Gd";\n'), 'secret-like content');
  assert.equal(await verdict('../outside.ts'), 'ignored');
});
