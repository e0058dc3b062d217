/**
 * sourceFiles.ts: whether a folder holds any source file of its own, for the train suggestion. VS
 * Code's file search answers (outside the extension host thread), stopping at the first hit, so a
 * large repository costs what a small one does. Extensions of languages people write: a folder of
 * only notes or data is not worth a model. Dependency and build folders are left out by our own list,
 * which replaces files.exclude here (findFiles applies one or the other): a folder whose only code is
 * under node_modules has nothing to learn.
 */
import * as vscode from 'vscode';

const SOURCE_GLOB = '**/*.{js,jsx,mjs,cjs,ts,tsx,py,go,rs,java,kt,kts,scala,c,h,cc,cpp,cxx,hpp,cs,fs,rb,php,swift,m,mm,dart,lua,sh,bash,zsh,ps1,r,jl,ex,exs,erl,hs,ml,clj,vue,svelte,sql,zig,nim,pl}';
const NOT_OURS = '**/{node_modules,.git,dist,build,out,target,vendor,.venv,venv,__pycache__}/**';

export async function hasSourceFiles(folder: vscode.Uri): Promise<boolean> {
  const found = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, SOURCE_GLOB), NOT_OURS, 1);
  return found.length > 0;
}
