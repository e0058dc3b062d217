/**
 * args.ts: command-line parsing for the `seedling` CLI, on top of node:util parseArgs, with the
 * checks parseArgs does not do (numbers, ranges, mutually exclusive options) and help text made
 * from the same option table, so --help can never disagree with what is accepted.
 */
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  constructor(message: string, readonly command?: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Shown in help: --minutes N */
  valueName?: string;
  description: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  /** Paragraphs after the usage line. */
  details?: string;
  options: Record<string, OptionSpec>;
  positionals: { min: number; max: number };
  /** Pairs of options that cannot be given together. */
  exclusive?: [string, string][];
}

export type ParsedValues = Record<string, string | boolean | string[] | undefined>;

export interface Parsed { values: ParsedValues; positionals: string[] }

export function parseCommand(spec: CommandSpec, argv: string[]): Parsed {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, o] of Object.entries(spec.options)) {
    options[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(cleanParseError((err as Error).message), spec.name);
  }
  const { values, positionals } = parsed;
  if (values.help) return { values: values as ParsedValues, positionals };
  if (positionals.length < spec.positionals.min) throw new UsageError(`missing argument: ${spec.usage}`, spec.name);
  if (positionals.length > spec.positionals.max) {
    throw new UsageError(`unexpected argument "${positionals[spec.positionals.max]}"`, spec.name);
  }
  for (const [a, b] of spec.exclusive ?? []) {
    if (values[a] !== undefined && values[b] !== undefined) throw new UsageError(`--${a} and --${b} cannot be used together`, spec.name);
  }
  return { values: values as ParsedValues, positionals };
}

function cleanParseError(message: string): string {
  // parseArgs explains how to pass positionals starting with '-'; keep only the first sentence.
  return message.split('. ')[0].replace(/^Unknown option '(.*)'$/, 'unknown option $1');
}

export function stringOption(values: ParsedValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function requireString(values: ParsedValues, name: string, command: string): string {
  const v = stringOption(values, name);
  if (v === undefined || v === '') throw new UsageError(`--${name} is required`, command);
  return v;
}

export function numberOption(values: ParsedValues, name: string, command: string,
  range: { min?: number; max?: number; integer?: boolean } = {}): number | undefined {
  const raw = stringOption(values, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  const what = range.integer ? 'a whole number' : 'a number';
  if (raw.trim() === '' || !Number.isFinite(n) || (range.integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} must be ${what}, got "${raw}"`, command);
  }
  if (range.min !== undefined && n < range.min) throw new UsageError(`--${name} must be at least ${range.min}, got ${raw}`, command);
  if (range.max !== undefined && n > range.max) throw new UsageError(`--${name} must be at most ${range.max}, got ${raw}`, command);
  return n;
}

export function choiceOption<T extends string>(values: ParsedValues, name: string, command: string, choices: readonly T[]): T | undefined {
  const raw = stringOption(values, name);
  if (raw === undefined) return undefined;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new UsageError(`--${name} must be one of ${choices.join(', ')}; got "${raw}"`, command);
  }
  return raw as T;
}

export function helpText(spec: CommandSpec): string {
  const rows = Object.entries(spec.options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.valueName ?? 'VALUE'}` : ''}`;
    return [flag, o.description] as const;
  });
  const width = Math.max(...rows.map(([f]) => f.length)) + 2;
  const lines = [`usage: ${spec.usage}`, '', spec.summary];
  if (spec.details) lines.push('', spec.details);
  lines.push('', 'options:', ...rows.map(([f, d]) => `  ${f.padEnd(width)}${d}`));
  return lines.join('\n');
}
