'use strict';
// The page's script. Everything shown comes from posts and the directory,
// that is from users: it is put on the page with textContent and
// createElement only, never as HTML, so markup in a post shows as text.

const SUGGEST_DELAY_MS = 350;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

async function postJson(url, body, signal) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error || `HTTP ${res.status}`);
  return data;
}

function confidenceBadge(confidence) {
  const percent = Math.round(confidence * 100);
  const badge = el('span', percent < 15 ? 'confidence low' : 'confidence', `${percent}% sure`);
  badge.title = 'How sure whoknows is that this person can help';
  return badge;
}

function evidenceList(evidence) {
  const list = el('ul', 'evidence');
  for (const e of evidence) {
    const item = el('li');
    item.append(el('span', 'post-title', e.title), ' ');
    item.append(el('span', 'meta', `(${[e.role, e.created].filter(Boolean).join(', ')})`));
    if (e.snippet) item.append(el('div', 'snippet', e.snippet));
    list.append(item);
  }
  return list;
}

function pathLine(path) {
  if (path.length < 2) return null;
  const names = path.map((p, i) => (i === 0 ? 'you' : p.name));
  return el('p', 'path', `How you are connected: ${names.join(' → ')}`);
}

function breakdownGrid(breakdown, score) {
  const grid = el('div', 'breakdown');
  grid.setAttribute('aria-label', 'Score by signal');
  const scale = Math.max(...breakdown.map((b) => Math.abs(b.value)), 1e-9);
  for (const { signal, value } of breakdown) {
    const bar = el('div', 'bar');
    const fill = el('span', value < 0 ? 'neg' : '');
    fill.style.width = `${(Math.abs(value) / scale) * 100}%`;
    bar.append(fill);
    grid.append(el('span', 'signal', signal), bar, el('span', 'value', value.toFixed(2)));
  }
  grid.append(el('span', 'signal', 'score'), el('span'), el('span', 'value', score.toFixed(2)));
  return grid;
}

function expertItem(expert) {
  const item = el('li', 'expert');
  item.dataset.personId = expert.id;
  const who = el('div', 'who');
  who.append(el('span', 'name', expert.name));
  const role = [expert.title, expert.department, expert.site].filter(Boolean).join(' · ');
  who.append(el('span', 'role', role));
  if (typeof expert.confidence === 'number') who.append(confidenceBadge(expert.confidence));
  item.append(who, evidenceList(expert.evidence));
  const path = pathLine(expert.path);
  if (path) item.append(path);
  item.append(breakdownGrid(expert.breakdown, expert.score));
  return item;
}

// While the server loads its model, answers are ranked by text alone
// (SuggestForPost's ModelVersion): the page says so.
function modelNote(model) {
  return model && !model.loaded ? ' (ranked by text alone while the model loads)' : '';
}

function showStatus(node, text, isError) {
  node.textContent = text;
  node.classList.toggle('error', Boolean(isError));
}

// The search box.
function setUpSearch() {
  const form = document.getElementById('find-form');
  const query = document.getElementById('query');
  const status = document.getElementById('find-status');
  const list = document.getElementById('experts');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    showStatus(status, 'Searching…');
    list.replaceChildren();
    try {
      const data = await postJson('/api/experts', { query: query.value });
      list.replaceChildren(...data.experts.map(expertItem));
      const found = data.experts.length ? `${data.experts.length} people` : 'Nobody yet.';
      showStatus(status, found + modelNote(data.model));
    } catch (err) {
      showStatus(status, err.message, true);
    }
  });
}

function threadItem(thread) {
  const item = el('li', 'thread');
  item.dataset.threadId = thread.thread_id;
  if (thread.solved) item.append(el('span', 'solved', 'solved'));
  item.append(el('span', 'post-title', thread.title));
  const answers = thread.answers === 1 ? '1 answer' : `${thread.answers} answers`;
  const meta = [answers, thread.created, thread.tags.join(', ')];
  item.append(el('div', 'meta', meta.filter(Boolean).join(' · ')));
  if (thread.snippet) item.append(el('div', 'snippet', thread.snippet));
  if (thread.accepted_answer_snippet) {
    item.append(el('div', 'answer', thread.accepted_answer_snippet));
  }
  return item;
}

function showSuggestions(data) {
  const people = document.getElementById('suggested-people');
  const threads = document.getElementById('similar-threads');
  const tags = document.getElementById('suggested-tags');
  people.replaceChildren(...data.experts.map(expertItem));
  threads.replaceChildren(...data.threads.map(threadItem));
  tags.replaceChildren(el('strong', '', 'Suggested tags: '),
    ...data.suggested_tags.map((t) => el('span', '', t)));
  document.querySelector('.people-heading').hidden = data.experts.length === 0;
  document.querySelector('.threads-heading').hidden = data.threads.length === 0;
  tags.hidden = data.suggested_tags.length === 0;
}

function draftTags(text) {
  return text.split(',').map((t) => t.trim()).filter(Boolean).slice(0, 32);
}

// The write box: suggestions after each pause in typing. A newer draft
// cancels the request for an older one, so answers never arrive out of order.
function setUpWriting() {
  const title = document.getElementById('draft-title');
  const body = document.getElementById('draft-body');
  const tags = document.getElementById('draft-tags');
  const status = document.getElementById('suggest-status');
  let timer = null;
  let inFlight = null;
  const suggest = async () => {
    if (inFlight) inFlight.abort();
    if (!title.value.trim() && !body.value.trim()) return;
    const controller = new AbortController();
    inFlight = controller;
    const draft = { title: title.value, body: body.value, tags: draftTags(tags.value) };
    try {
      const data = await postJson('/api/suggest', draft, controller.signal);
      if (inFlight !== controller) return;
      showSuggestions(data);
      const withheld = data.withheld_experts ? ` (${data.withheld_experts} more with weak evidence not shown)` : '';
      showStatus(status, `Suggestions for your draft${withheld}${modelNote(data.model)}`);
    } catch (err) {
      if (err.name !== 'AbortError') showStatus(status, err.message, true);
    }
  };
  for (const field of [title, body, tags]) {
    field.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(suggest, SUGGEST_DELAY_MS);
    });
  }
}

setUpSearch();
setUpWriting();
