/**
 * completionModel.ts: the model that serves completions and attention maps in the engine process.
 *
 * It is loaded from a checkpoint file, separately from any model being trained, so completions keep
 * coming from the last good checkpoint while training runs. When the file changes (a training run,
 * here or in another process, wrote a better checkpoint) the next request reloads it.
 */
import { stat } from 'node:fs/promises';
import type { NativeModel, NativeSession, NativeTokenizer, SeedlingAddon } from './addon';
import { checkCheckpointFile } from '../shared/checkpointFile';
import { codedError } from '../shared/engineErrors';

interface Loaded {
  path: string;
  stamp: string;  // mtime and size when loaded
  model: NativeModel;
  tokenizer: NativeTokenizer;
  session: NativeSession;
}

async function fileStamp(path: string): Promise<string> {
  const s = await stat(path);
  return `${s.mtimeMs}:${s.size}`;
}

export class CompletionModel {
  private loaded: Loaded | undefined;

  constructor(private readonly addon: SeedlingAddon) {}

  get path(): string | undefined { return this.loaded?.path; }

  /** The loaded model's tokenizer, without checking its file for changes. */
  get tokenizer(): NativeTokenizer | undefined { return this.loaded?.tokenizer; }

  /** Load (or reload) path. Callers serialize access (one request at a time). */
  async load(path: string): Promise<Loaded> {
    // A FIFO, a device or a file past the loader's bound is refused before any read (the native
    // loader checks again: the file may change in between); a missing or damaged file is reported by
    // the native loader, with its own message and code.
    const check = await checkCheckpointFile(path);
    if (!check.ok && !check.missing) throw codedError('invalid argument', `cannot serve the model: ${check.reason}`);
    const { model, tokenizer } = await this.addon.checkpointLoad(path, { trainer: false });
    const stamp = await fileStamp(path).catch(() => '');
    this.release();
    this.loaded = { path, stamp, model, tokenizer, session: this.addon.Session.create(model) };
    return this.loaded;
  }

  /** The current model, reloaded first if its file changed since it was loaded. */
  async current(): Promise<Loaded> {
    if (!this.loaded) throw codedError('invalid argument', 'no model loaded: load a checkpoint (loadModel) or train one first');
    let stamp: string;
    try {
      stamp = await fileStamp(this.loaded.path);
    } catch {
      return this.loaded;  // the file vanished: keep serving what is in memory
    }
    if (stamp !== this.loaded.stamp) return this.load(this.loaded.path);
    return this.loaded;
  }

  /** After a checkpoint was written to path: adopt it if nothing is loaded yet. */
  async adopt(path: string): Promise<void> {
    if (!this.loaded) await this.load(path);
  }

  release(): void {
    if (!this.loaded) return;
    this.loaded.session.dispose();
    this.loaded.model.dispose();
    this.loaded.tokenizer.dispose();
    this.loaded = undefined;
  }
}
