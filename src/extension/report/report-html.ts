/**
 * The report webview's HTML shell: a strict CSP, the stylesheet and the bundled script,
 * and an empty container. No report data is ever written into this HTML; it arrives by
 * postMessage, so nothing from a workspace can become markup or script here.
 *
 * CSP and chart.js: chart.js 4 sizes its canvas through the CSSOM (`canvas.style.width =
 * ...`), which CSP does not govern; it injects no <style> element and sets no style
 * attribute. So `style-src` needs no 'unsafe-inline' (checked in headless Chromium with
 * this exact policy: no violation reported).
 */
import { randomBytes } from 'node:crypto';

/** The part of vscode.Webview the shell needs, so tests can pass a fake. */
export interface WebviewLike<U> {
  readonly cspSource: string;
  asWebviewUri(localResource: U): { toString(): string };
}

/** On-disk locations of the bundled script and stylesheet (vscode.Uri in the extension). */
export interface ReportAssets<U> {
  script: U;
  style: U;
}

/** 128 random bits: a nonce must not be guessable, and a fresh one is made per render. */
export function createNonce(): string {
  return randomBytes(16).toString('base64');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
  ].join('; ');
}

/** Escapes a value for a double-quoted HTML attribute (URIs may contain & or quotes). */
function attr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function buildReportHtml<U>(webview: WebviewLike<U>, assets: ReportAssets<U>, nonce: string = createNonce()): string {
  const scriptUri = webview.asWebviewUri(assets.script).toString();
  const styleUri = webview.asWebviewUri(assets.style).toString();
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(contentSecurityPolicy(webview.cspSource, nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(styleUri)}">
<title>Model privacy report</title>
</head>
<body>
<main id="report" aria-busy="true">
<p class="status">Waiting for audit results…</p>
</main>
<script nonce="${attr(nonce)}" src="${attr(scriptUri)}"></script>
</body>
</html>
`;
}
