/**
 * secrets.ts: files that must never become training text or completion context. A model trained on
 * a key can complete it for anyone who types its first characters, so a file is left out when its
 * name says it holds credentials, or when a line looks like a key or a token. Pure functions: no I/O.
 */
import * as path from 'node:path';

/** Names that hold credentials by convention (compared in lower case). */
const SECRET_NAMES = new Set([
  '.npmrc', '.pypirc', '.netrc', '_netrc', '.git-credentials', '.htpasswd', '.pgpass', 'credentials',
  'credentials.json', 'client_secret.json', 'secrets.json', 'secrets.yaml', 'secrets.yml', '.dockercfg',
]);

const SECRET_EXTENSIONS = new Set(['.pem', '.key', '.p12', '.pfx', '.jks', '.keystore', '.ppk', '.asc', '.gpg']);

/** .env, .env.local, id_rsa, id_ed25519.pub, my-project-service-account.json, client_secret_123.json. */
const SECRET_NAME_PATTERNS = [/^\.env(\..*)?$/, /^id_(rsa|dsa|ecdsa|ed25519)/, /service[-_]?account.*\.json$/, /^client_secret.*\.json$/];

export function isSecretFileName(fileName: string): boolean {
  const lower = fileName.toLowerCase();
  return SECRET_NAMES.has(lower) || SECRET_EXTENSIONS.has(path.extname(lower)) || SECRET_NAME_PATTERNS.some((r) => r.test(lower));
}

/** Formats with a fixed, recognisable shape: worth leaving a file out for even without a keyword. */
const KNOWN_SECRET_SHAPES = [
  /(?:^|["'`])\s*-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----/,   // at a line's or a string's start, not in prose
  /\bAKIA[0-9A-Z]{16}\b/,                          // AWS access key id
  /\bgh[pousr]_[A-Za-z0-9]{36,}\b/,                 // GitHub tokens
  /\bgithub_pat_[A-Za-z0-9_]{40,}\b/,
  /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/,              // Slack
  /\bsk_live_[A-Za-z0-9]{20,}\b/,                   // Stripe
  /\bAIza[0-9A-Za-z_-]{35}\b/,                      // Google API key
  /\bglpat-[A-Za-z0-9_-]{20,}\b/,                   // GitLab
];

/**
 * A value assigned to something named like a credential: `API_KEY=...`, `"token": "..."`,
 * `password: '...'`. The name may carry a prefix or suffix (aws_secret_access_key); the value is one
 * run of token characters. Bounded quantifiers only, so a long line cannot make it slow.
 */
const ASSIGNED_SECRET = /(?:key|token|secret|passw(?:or)?d|pwd|credential|auth)[\w.-]{0,40}["']?\s{0,8}[:=]\s{0,8}["'`]?([A-Za-z0-9+/_.~=-]{16,512})/gi;

/** Shannon entropy in bits per character. Random base64 is ~5.5 at length 64, prose and identifiers stay near 3-4. */
export function entropyBits(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/**
 * A value that reads like a generated key rather than a word, a path or an identifier: letters mixed
 * with digits, high entropy, and short runs: random text changes between lower case, upper case and
 * digits every two characters or so, while `encodeEs256PublicKey` or `token_sha256_to_refresh` are
 * made of words. A dotted value (`this.options.key2`, `ya29.a0Af8Hk3xQ...`) is judged by its longest part.
 */
function looksGenerated(value: string): boolean {
  const part = value.split('.').reduce((a, b) => (b.length > a.length ? b : a), '');
  if (part.length < 16 || !/[0-9]/.test(part) || !/[A-Za-z]/.test(part)) return false;
  const runs = part.match(/[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+/g) ?? [];
  const alphanumeric = runs.reduce((n, r) => n + r.length, 0);
  return alphanumeric / Math.max(1, runs.length) < 3.5 && entropyBits(part) >= 3.5;
}

/** The first line (1-based) that looks like it holds a secret, or 0. Lines over 4 KB are not scanned (minified). */
export function findSecretLine(text: string): number {
  let line = 0;
  for (let start = 0; start <= text.length;) {
    const end = text.indexOf('\n', start);
    const stop = end < 0 ? text.length : end;
    line++;
    if (stop - start <= 4096 && lineHasSecret(text.slice(start, stop))) return line;
    if (end < 0) break;
    start = end + 1;
  }
  return 0;
}

function lineHasSecret(line: string): boolean {
  if (KNOWN_SECRET_SHAPES.some((r) => r.test(line))) return true;
  for (const m of line.matchAll(ASSIGNED_SECRET)) if (looksGenerated(m[1])) return true;
  return false;
}
