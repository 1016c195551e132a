import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildReportHtml, contentSecurityPolicy, createNonce, type WebviewLike } from '../../src/extension/report/report-html';

/** Stands in for vscode.Webview: a fixed cspSource and a recognisable asWebviewUri mapping. */
interface FakeUri {
  path: string;
}
const fakeWebview: WebviewLike<FakeUri> = {
  cspSource: 'https://fake.vscode-cdn.net',
  asWebviewUri: (local) => ({ toString: () => `https://fake.vscode-cdn.net/ext${local.path}` }),
};
const assets = { script: { path: '/dist/webview/report.js' }, style: { path: '/media/report.css' } };

function cspOf(html: string): string {
  const match = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
  assert.ok(match, 'the shell has a CSP meta tag');
  return match[1];
}

test('the CSP allows only nonce scripts and webview-resource styles, images and fonts', () => {
  const html = buildReportHtml(fakeWebview, assets, 'N0nce+/=');
  const directives = cspOf(html).split(';').map((d) => d.trim());
  assert.deepEqual(directives, [
    "default-src 'none'",
    'img-src https://fake.vscode-cdn.net data:',
    'style-src https://fake.vscode-cdn.net',
    "script-src 'nonce-N0nce+/='",
    'font-src https://fake.vscode-cdn.net',
  ]);
  assert.doesNotMatch(html, /unsafe-inline|unsafe-eval/);
});

test('the only script is the bundle, loaded through asWebviewUri and carrying the nonce', () => {
  const html = buildReportHtml(fakeWebview, assets, 'abc123');
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  assert.equal(scripts.length, 1);
  const [, attributes, body] = scripts[0];
  assert.equal(body, '', 'no inline script content');
  assert.match(attributes, /\bnonce="abc123"/);
  assert.match(attributes, /\bsrc="https:\/\/fake\.vscode-cdn\.net\/ext\/dist\/webview\/report\.js"/);
  assert.match(html, /<link rel="stylesheet" href="https:\/\/fake\.vscode-cdn\.net\/ext\/media\/report\.css">/);
});

test('the shell carries no inline styles or data', () => {
  const html = buildReportHtml(fakeWebview, assets, 'abc123');
  assert.doesNotMatch(html, /<style\b/i);
  assert.doesNotMatch(html, /\sstyle=/i);
  assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline event handlers');
  assert.doesNotMatch(html, /application\/json|data-report|AuditReport/);
  assert.match(html, /<main id="report" aria-busy="true">/);
});

test('each render gets a fresh, unguessable nonce', () => {
  const nonces = new Set(Array.from({ length: 50 }, () => createNonce()));
  assert.equal(nonces.size, 50);
  for (const n of nonces) assert.match(n, /^[A-Za-z0-9+/]{22}==$/, '128 bits, base64');
  const a = cspOf(buildReportHtml(fakeWebview, assets));
  const b = cspOf(buildReportHtml(fakeWebview, assets));
  assert.notEqual(a, b);
});

test('URIs and cspSource are attribute-escaped', () => {
  const webview: WebviewLike<FakeUri> = { cspSource: 'x', asWebviewUri: (u) => ({ toString: () => `https://h/a?x=1&y="2"${u.path}` }) };
  const html = buildReportHtml(webview, assets, 'n');
  assert.match(html, /src="https:\/\/h\/a\?x=1&amp;y=&quot;2&quot;\/dist\/webview\/report\.js"/);
  assert.equal(contentSecurityPolicy('s', 'n').includes("script-src 'nonce-n'"), true);
});
