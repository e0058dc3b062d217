// readme-for-vsix.mjs: the README as the VSIX carries it. The repository's README embeds pictures from
// docs/images/ by relative path, which GitHub and an editor's markdown preview show. vsce turns
// relative links into URLs of the published repository and refuses to package when it knows none,
// and VS Code's extension page loads README images over https only. So: given a base URL for the
// images (package.json `repository`, which vsce reads itself, or package.mjs --base-images-url),
// vsce rewrites them; without one, the pictures and the words around them (a block between
// `<!-- pictures -->` and `<!-- /pictures -->`) are left out of the packaged copy rather than shown broken.

/** Markdown image embeds whose target is a relative path. */
const RELATIVE_IMAGE = /!\[([^\]]*)\]\((?![a-z][a-z0-9+.-]*:|#)([^)\s]+)\)/gi;
const PICTURES_BLOCK = /<!-- pictures -->[\s\S]*?<!-- \/pictures -->\n?/g;

/** { text, removed }: the README without its pictures block and any other relative image; `removed` lists their paths. */
export function readmeWithoutPictures(readme) {
  const removed = relativeImages(readme);
  const text = readme.replace(PICTURES_BLOCK, '').replace(RELATIVE_IMAGE, '').replace(/\n{3,}/g, '\n\n');
  return { text, removed };
}

/** Relative image targets in a markdown text. */
export function relativeImages(markdown) {
  return [...markdown.matchAll(RELATIVE_IMAGE)].map((m) => m[2]);
}
