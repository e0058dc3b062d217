// Types of readme-for-vsix.mjs, for the unit tests that import it.
export function readmeWithoutPictures(readme: string): { text: string; removed: string[] };
export function relativeImages(markdown: string): string[];
