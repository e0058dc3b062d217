/**
 * webviewHtml.ts: the HTML shell of the dashboard and inspector webviews. Everything runs from
 * dist/webview.js and dist/webview.css under a strict Content-Security-Policy: no remote content, no
 * inline script, scripts only with this page's nonce.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

export type WebviewKind = 'dashboard' | 'attention';

/** The webview may load files from dist/ only. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist')],
    // State survives hide/show through the host's snapshot plus getState/setState, so the webview's
    // memory is released while it is hidden.
    retainContextWhenHidden: false,
    enableFindWidget: true,
  };
}

export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, kind: WebviewKind): string {
  const nonce = randomBytes(18).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.css'));
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${webview.cspSource} 'nonce-${nonce}'`,
    `img-src ${webview.cspSource} data:`,
    `font-src ${webview.cspSource}`,
  ].join('; ');
  const title = kind === 'dashboard' ? 'Seedling' : 'Seedling Attention';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}" nonce="${nonce}">
<title>${title}</title>
</head>
<body data-view="${kind}">
<div id="app"></div>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}
