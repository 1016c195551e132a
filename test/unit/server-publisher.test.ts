import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import { DiagnosticPublisher } from '../../src/server/diagnostic-publisher';
import { pathKey, pathToUri } from '../../src/server/uris';

const file = path.resolve('/ws/privacy-audit.json');
const model = path.resolve('/ws/model/model.json');
const d = (message: string): Diagnostic => ({
  message, severity: DiagnosticSeverity.Error, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } },
});

function recorder() {
  const sent: { uri: string; messages: string[] }[] = [];
  const publisher = new DiagnosticPublisher((uri, diagnostics) => sent.push({ uri, messages: diagnostics.map((x) => x.message) }));
  return { sent, publisher };
}

test('sources are merged per file; each publish carries everything shown for that file', () => {
  const { sent, publisher } = recorder();
  publisher.setFile('manifest', file, [d('syntax')]);
  publisher.set('report', new Map([[pathKey(file), { file, diagnostics: [d('risk')] }], [pathKey(model), { file: model, diagnostics: [d('mirror')] }]]));
  assert.deepEqual(sent, [
    { uri: pathToUri(file), messages: ['syntax'] },
    { uri: pathToUri(file), messages: ['syntax', 'risk'] },
    { uri: pathToUri(model), messages: ['mirror'] },
  ]);
});

test('a file a source no longer mentions is republished without it, and cleared when nothing is left', () => {
  const { sent, publisher } = recorder();
  publisher.set('report', new Map([[pathKey(file), { file, diagnostics: [d('risk')] }], [pathKey(model), { file: model, diagnostics: [d('mirror')] }]]));
  sent.length = 0;
  publisher.set('report', new Map([[pathKey(file), { file, diagnostics: [d('risk 2')] }]]));
  assert.deepEqual(sent, [{ uri: pathToUri(file), messages: ['risk 2'] }, { uri: pathToUri(model), messages: [] }]);
  sent.length = 0;
  publisher.clear('report');
  assert.deepEqual(sent, [{ uri: pathToUri(file), messages: [] }]);
  sent.length = 0;
  publisher.clear('report');
  assert.deepEqual(sent, [], 'nothing to clear twice');
});

test('an open document is published under the URI the client used for it', () => {
  const { sent, publisher } = recorder();
  publisher.setFile('report', file, [d('risk')]);
  const clientUri = 'file:///ws/privacy%2Daudit.json';
  publisher.rememberClientUri(file, clientUri);
  publisher.setFile('manifest', file, [d('syntax')]);
  assert.deepEqual(sent.slice(1), [
    { uri: pathToUri(file), messages: [] },
    { uri: clientUri, messages: ['risk', 'syntax'] },
  ]);
  assert.deepEqual(publisher.diagnosticsOf(file).map((x) => x.message), ['risk', 'syntax']);
});
