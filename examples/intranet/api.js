'use strict';
// The page's JSON endpoints: what the browser may send (checked here before
// anything reaches whoknows), what it gets back (only what the page shows),
// and gRPC status codes mapped to HTTP ones. The browser never chooses the
// asker: a real intranet takes it from the signed-in session, this example
// from its configuration.

const { status } = require('@grpc/grpc-js');

const LIMITS = {
  queryBytes: 2000,
  titleBytes: 512,
  bodyBytes: 8000,
  tags: 32,
  tagBytes: 64,
};

class BadRequest extends Error {}

function bytes(s) {
  return Buffer.byteLength(s, 'utf8');
}

function optionalString(input, field, maxBytes) {
  const value = input[field];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new BadRequest(`${field}: must be a string`);
  if (bytes(value) > maxBytes) {
    throw new BadRequest(`${field}: longer than ${maxBytes} bytes`);
  }
  return value;
}

function tagList(input) {
  const tags = input.tags;
  if (tags === undefined || tags === null) return [];
  if (!Array.isArray(tags)) throw new BadRequest('tags: must be an array of strings');
  if (tags.length > LIMITS.tags) throw new BadRequest(`tags: more than ${LIMITS.tags}`);
  return tags.map((tag, i) => {
    if (typeof tag !== 'string' || tag.trim() === '') {
      throw new BadRequest(`tags[${i}]: must be a non-empty string`);
    }
    if (bytes(tag) > LIMITS.tagBytes) {
      throw new BadRequest(`tags[${i}]: longer than ${LIMITS.tagBytes} bytes`);
    }
    return tag.trim().toLowerCase();
  });
}

function requireObject(input) {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new BadRequest('request: must be a JSON object');
  }
}

// {query, tags?} from the search box.
function parseFindRequest(input) {
  requireObject(input);
  const query = optionalString(input, 'query', LIMITS.queryBytes).trim();
  if (query === '') throw new BadRequest('query: required');
  return { query, tags: tagList(input) };
}

// {title, body, tags?} from the write box.
function parseDraft(input) {
  requireObject(input);
  const title = optionalString(input, 'title', LIMITS.titleBytes);
  const body = optionalString(input, 'body', LIMITS.bodyBytes);
  if (title.trim() === '' && body.trim() === '') {
    throw new BadRequest('title: title or body required');
  }
  return { title, body, tags: tagList(input) };
}

const ROLES = {
  EVIDENCE_ROLE_ACCEPTED_ANSWER: 'accepted answer',
  EVIDENCE_ROLE_ANSWER: 'answer',
  EVIDENCE_ROLE_ARTICLE: 'article',
  EVIDENCE_ROLE_QUESTION: 'question',
  EVIDENCE_ROLE_COMMENT: 'comment',
  EVIDENCE_ROLE_MENTIONED: 'mentioned',
  EVIDENCE_ROLE_OUTCOME: 'helped (reported)',
};

function day(timestamp) {
  if (!timestamp || timestamp.seconds === undefined) return '';
  const ms = Number(timestamp.seconds) * 1000;
  return Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString().slice(0, 10) : '';
}

function expertView(match) {
  const person = match.person || {};
  const breakdown = Object.entries(match.breakdown || {})
    .map(([signal, value]) => ({ signal, value }))
    .sort((a, b) => Math.abs(b.value) - Math.abs(a.value));
  const view = {
    id: person.id,
    name: person.display_name || person.id,
    title: person.title || '',
    department: person.department || '',
    site: person.site || '',
    score: match.score,
    breakdown,
    evidence: (match.evidence || []).map((e) => ({
      post_id: e.post_id,
      title: e.title,
      snippet: e.snippet,
      role: ROLES[e.role] || '',
      created: day(e.created),
    })),
    path: (match.path || []).map((p) => ({ id: p.person_id, name: p.display_name || p.person_id })),
  };
  // Present once the server's protos carry it (SuggestForPost, issue 13).
  if (typeof match.confidence === 'number') view.confidence = match.confidence;
  return view;
}

function threadView(thread) {
  return {
    thread_id: thread.thread_id,
    title: thread.title,
    snippet: thread.snippet,
    solved: Boolean(thread.solved),
    accepted_answer_snippet: thread.accepted_answer_snippet || '',
    answers: thread.answers || 0,
    tags: thread.tags || [],
    created: day(thread.created),
    similarity: thread.similarity,
  };
}

// Which model answered: {loaded, id}; null from a server without it.
function modelView(model) {
  if (!model) return null;
  return { loaded: Boolean(model.loaded), id: model.id || '' };
}

// gRPC status to HTTP. Errors about the caller's identity or rights are
// the intranet's own configuration (its service account), not the
// browser's: 502, with the details kept in the log.
const HTTP_OF_GRPC = new Map([
  [status.INVALID_ARGUMENT, 400],
  [status.OUT_OF_RANGE, 400],
  [status.NOT_FOUND, 404],
  [status.FAILED_PRECONDITION, 409],
  [status.RESOURCE_EXHAUSTED, 503],
  [status.UNAVAILABLE, 503],
  [status.DEADLINE_EXCEEDED, 504],
  [status.CANCELLED, 504],
  [status.UNIMPLEMENTED, 501],
]);

// Returns {httpStatus, body, headers} for a failed call.
function errorReply(err) {
  const httpStatus = HTTP_OF_GRPC.get(err.code) || 502;
  const headers = {};
  const retry = err.metadata && err.metadata.get('retry-after-ms')[0];
  if (retry !== undefined) headers['Retry-After'] = String(Math.ceil(Number(retry) / 1000));
  // The service's reason is shown only for the browser's own input.
  const error = httpStatus === 400 ? err.details : `whoknows: ${status[err.code] || 'error'}`;
  return { httpStatus, body: { error }, headers };
}

module.exports = {
  BadRequest,
  LIMITS,
  parseFindRequest,
  parseDraft,
  expertView,
  threadView,
  modelView,
  errorReply,
};
