/**
 * theme.ts: VS Code theme colours for canvas drawing. CSS styles the DOM through var(--vscode-*),
 * but a canvas needs concrete colours, so we resolve the variables and re-resolve them whenever VS Code
 * switches theme (it rewrites the <html> style and the body's theme class).
 */
export interface Palette {
  foreground: string;
  muted: string;
  background: string;
  grid: string;
  series: string[];    // blue, orange, green, purple, red, yellow
  highContrast: boolean;
  heatLow: [number, number, number];
  heatHigh: [number, number, number];
}

const probe = document.createElement('canvas').getContext('2d');

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

/** Any CSS colour -> [r, g, b] (via the canvas, which normalises colour strings). */
export function rgb(colour: string): [number, number, number] {
  if (!probe) return [128, 128, 128];
  probe.fillStyle = '#000';
  probe.fillStyle = colour;
  const v = String(probe.fillStyle);
  if (v.startsWith('#')) return [parseInt(v.slice(1, 3), 16), parseInt(v.slice(3, 5), 16), parseInt(v.slice(5, 7), 16)];
  const m = v.match(/rgba?\(([^)]+)\)/);
  if (!m) return [128, 128, 128];
  const [r, g, b] = m[1].split(',').map((x) => parseFloat(x));
  return [r, g, b];
}

export function readPalette(): Palette {
  const cls = document.body.classList;
  const highContrast = cls.contains('vscode-high-contrast') || cls.contains('vscode-high-contrast-light');
  const foreground = cssVar('--vscode-editor-foreground', '#cccccc');
  const background = cssVar('--vscode-editor-background', '#1e1e1e');
  const blue = cssVar('--vscode-charts-blue', '#3794ff');
  return {
    foreground,
    muted: cssVar('--vscode-descriptionForeground', foreground),
    background,
    grid: highContrast ? cssVar('--vscode-contrastBorder', foreground) : cssVar('--vscode-charts-lines', 'rgba(128,128,128,0.35)'),
    series: [
      blue,
      cssVar('--vscode-charts-orange', '#d18616'),
      cssVar('--vscode-charts-green', '#89d185'),
      cssVar('--vscode-charts-purple', '#b180d7'),
      cssVar('--vscode-charts-red', '#f14c4c'),
      cssVar('--vscode-charts-yellow', '#cca700'),
    ],
    highContrast,
    heatLow: rgb(background),
    heatHigh: rgb(highContrast ? foreground : blue),
  };
}

/** Calls `onChange` after VS Code changes theme. */
export function watchTheme(onChange: () => void): void {
  const observer = new MutationObserver(() => onChange());
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style'] });
}
