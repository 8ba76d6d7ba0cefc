'use strict';
// The page's input checks and gRPC-to-HTTP mapping (examples/intranet/api.js),
// run with `node --test` by intranet_test.sh.

const test = require('node:test');
const assert = require('node:assert');
const path = require('path');
const { Metadata, status } = require('@grpc/grpc-js');

const api = require(path.join(__dirname, '..', '..', 'examples', 'intranet', 'api.js'));

test('a search needs a query of at most 2000 bytes', () => {
  assert.deepStrictEqual(api.parseFindRequest({ query: ' Betalning ', tags: ['SAP '] }),
    { query: 'Betalning', tags: ['sap'] });
  assert.throws(() => api.parseFindRequest({}), /^Error: query: required$/);
  assert.throws(() => api.parseFindRequest([]), /request: must be a JSON object/);
  // 1000 two-byte characters are 2000 bytes; one more is too many.
  api.parseFindRequest({ query: 'ä'.repeat(1000) });
  assert.throws(() => api.parseFindRequest({ query: 'ä'.repeat(1001) }), /query: longer than 2000 bytes/);
  assert.throws(() => api.parseFindRequest({ query: 'x', tags: 'sap' }), /tags: must be an array/);
  assert.throws(() => api.parseFindRequest({ query: 'x', tags: Array(33).fill('t') }), /tags: more than 32/);
  assert.throws(() => api.parseFindRequest({ query: 'x', tags: ['ok', ' '] }), /tags\[1\]: must be a non-empty string/);
});

test('a draft needs a title or a body', () => {
  assert.deepStrictEqual(api.parseDraft({ title: 'T', body: '' }), { title: 'T', body: '', tags: [] });
  assert.throws(() => api.parseDraft({ title: ' ', body: '\n' }), /title: title or body required/);
  assert.throws(() => api.parseDraft({ title: 'x'.repeat(513) }), /title: longer than 512 bytes/);
  assert.throws(() => api.parseDraft({ body: 'x'.repeat(8001) }), /body: longer than 8000 bytes/);
  assert.throws(() => api.parseDraft({ body: { text: 'x' } }), /body: must be a string/);
});

function grpcError(code, details, trailers = {}) {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(trailers)) metadata.set(key, value);
  return Object.assign(new Error(details), { code, details, metadata });
}

test('gRPC errors become HTTP codes; only input errors keep their reason', () => {
  const invalid = api.errorReply(grpcError(status.INVALID_ARGUMENT, 'tags[0]: must be 1-64 bytes'));
  assert.deepStrictEqual([invalid.httpStatus, invalid.body.error], [400, 'tags[0]: must be 1-64 bytes']);
  const busy = api.errorReply(grpcError(status.RESOURCE_EXHAUSTED, 'queue full, retry after 1500 ms',
    { 'retry-after-ms': '1500' }));
  assert.deepStrictEqual([busy.httpStatus, busy.headers['Retry-After'], busy.body.error],
    [503, '2', 'whoknows: RESOURCE_EXHAUSTED']);
  const denied = api.errorReply(grpcError(status.PERMISSION_DENIED, 'needs the right "find-experts-as-anyone"'));
  assert.deepStrictEqual([denied.httpStatus, denied.body.error], [502, 'whoknows: PERMISSION_DENIED']);
  assert.strictEqual(api.errorReply(grpcError(status.UNAUTHENTICATED, 'token expired')).httpStatus, 502);
  assert.strictEqual(api.errorReply(grpcError(status.DEADLINE_EXCEEDED, '')).httpStatus, 504);
  assert.strictEqual(api.errorReply(grpcError(status.UNAVAILABLE, '')).httpStatus, 503);
  assert.strictEqual(api.errorReply(grpcError(status.INTERNAL, 'disk')).body.error, 'whoknows: INTERNAL');
});

test('the model version says whether the full ranking answered', () => {
  assert.deepStrictEqual(api.modelView({ loaded: true, id: 'p4324-t1/defaults', posts: '4324' }),
    { loaded: true, id: 'p4324-t1/defaults' });
  assert.deepStrictEqual(api.modelView({ loaded: false, id: '' }), { loaded: false, id: '' });
  assert.strictEqual(api.modelView(undefined), null);
});
