/**
 * presets.ts: the model sizes a user picks by name: the one list. The CLI's --preset, the setting's
 * reader and the engine's messages derive from it; package.json's `seedling.model.preset` enum and
 * its descriptions repeat it (JSON cannot import), and test/unit/presets.test.ts keeps the two equal.
 * The shapes themselves (vocabulary, context, widths) live in the C engine's config presets, and the
 * training hyperparameters per preset in src/engine/training/trainSettings.ts.
 */

export const PRESETS = [
  { name: 'tiny', description: 'About 0.1M parameters, 128-token context: for tests and quick experiments.' },
  { name: 'small', description: 'About 4.3M parameters, 512-token context: the CPU default.' },
  { name: 'medium', description: 'About 14M parameters, 1024-token context: a fast CPU or a GPU.' },
  { name: 'large', description: 'About 98M parameters, 1024-token context: needs an NVIDIA GPU.' },
] as const;

export type PresetName = (typeof PRESETS)[number]['name'];

export const PRESET_NAMES: readonly PresetName[] = PRESETS.map((p) => p.name);

/** What the extension and the CLI train when the user names no preset. */
export const DEFAULT_PRESET: PresetName = 'small';
