// The inspector app: find the asset (its plate's URL, what is due nearby, or a search), check in, fill the program's
// checklist, and leave the rest to the outbox. Works with no network after one online load.
import { api, ApiError } from '../shared/api.js';
import { cached, keep, outboxItems, outboxItem, saveItem, deleteItem, receipts } from './store.js';
import { sync, onOutboxChange, stateText, photoText, checkInWord, describePhoto } from './outbox.js';
import { locate, distance, presence, metresText } from './geo.js';

const view = document.getElementById('view');
const kindNames = { playground: '어린이 놀이시설', public_facility: '공중이용시설' };

/** A small element builder: h('p', { class: 'x' }, 'text', child). */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

function show(title, ...content) {
  view.replaceChildren(h('h1', {}, title), ...content);
  document.title = `${title} · 현장 점검`;
  view.focus({ preventScroll: true });
}

function banner(text) {
  const element = document.getElementById('banner');
  element.hidden = !text;
  element.textContent = text ?? '';
}

// ---------------------------------------------------------------------------------------------- data on the phone

let data = { me: null, snapshot: null, programs: [] };

async function loadData() {
  data.me = await cached('me');
  data.snapshot = await cached('snapshot');
  data.programs = (await cached('programs')) ?? [];
  if (!navigator.onLine) return;
  try {
    data.me = await api('/api/auth/me');
    await keep('me', data.me);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      data.me = null;
      return;
    }
  }
  try {
    const [snapshot, programs] = await Promise.all([api('/api/field/assets'), api('/api/programs')]);
    data.snapshot = snapshot;
    data.programs = programs;
    await keep('snapshot', snapshot);
    await keep('programs', programs);
  } catch {
    // Offline or the server away: yesterday's copy is still on the phone.
  }
}

const assetOf = (kind, code) => data.snapshot?.assets.find(a => a.kind === kind && a.code === code);
const assetOfTag = tagId => data.snapshot?.assets.find(a => a.tags.includes(tagId));
const programOf = code => data.programs.find(p => p.code === code);

// ---------------------------------------------------------------------------------------------- screens

function signInNeeded() {
  const next = location.pathname + location.search + location.hash;
  show('로그인이 필요합니다',
    h('p', {}, '점검원 또는 관리주체 계정으로 로그인하세요. 로그인은 하루 동안 유지됩니다.'),
    h('p', {}, h('a', { class: 'button', href: `/login?next=${encodeURIComponent(next)}` }, '로그인')));
}

async function home() {
  if (!data.snapshot) {
    show('현장 점검', h('p', { class: 'warning' }, '시설 목록이 아직 이 휴대폰에 없습니다. 신호가 있는 곳에서 앱을 한 번 여세요.'));
    return;
  }
  const search = h('input', { type: 'search', id: 'search', placeholder: '이름이나 코드', autocomplete: 'off' });
  const list = h('ul', { class: 'list', id: 'assets', 'aria-live': 'polite' });
  const status = h('p', { class: 'muted small', role: 'status' }, '위치를 찾는 중…');
  show('가까운 점검 대상',
    h('label', { for: 'search' }, '시설 찾기'), search,
    status, list,
    h('p', { class: 'small muted' }, `시설 ${data.snapshot.assets.length.toLocaleString('ko-KR')}곳 · ${new Date(data.snapshot.at).toLocaleString('ko-KR', { timeZone: 'Asia/Seoul' })} 기준`));
  let here = null;
  const render = () => {
    const query = search.value.trim().toLowerCase();
    let assets = data.snapshot.assets.map(a => ({ ...a, metres: here ? distance(here, a) : null }));
    if (query) assets = assets.filter(a => a.name.toLowerCase().includes(query) || a.code.toLowerCase().includes(query));
    // Today's work first: what is overdue, then due soon, then due — nearest first within each; then what is done.
    const urgency = a => Math.min(...a.programs.map(p => ({ overdue: 0, due_soon: 1, due: 2 }[p.status] ?? 3)), 3);
    assets.sort((a, b) => urgency(a) - urgency(b) || (a.metres ?? 0) - (b.metres ?? 0) || a.code.localeCompare(b.code));
    list.replaceChildren(...assets.slice(0, 30).map(a => h('li', {},
      h('a', { class: 'row', href: `#/asset/${a.kind}/${encodeURIComponent(a.code)}` },
        h('strong', {}, a.name),
        h('span', { class: 'small muted' }, `${a.code}${a.metres !== null ? ` · ${metresText(a.metres)}` : ''}`),
        h('span', { class: 'tags' }, a.programs.map(p => h('span', { class: chipClass(p) }, `${shortName(p)} ${statusWord(p)}`)))))));
  };
  search.addEventListener('input', render);
  render();
  const { position, problem } = await locate();
  here = position;
  status.textContent = position ? `현재 위치 기준 (정확도 ±${Math.round(position.accuracy)} m)` : problem;
  render();
}

// The compliance states in words: due, due soon and overdue are all work to do; only done is not.
const toDo = p => p.status !== 'done';
// Overdue is its own chip (worse than due), so it never shares due's look.
const chipClass = p => `tag ${p.status === 'overdue' ? 'overdue' : toDo(p) ? 'due' : 'done'}`;
const statusWord = p => ({ overdue: '할 일 (기한 지남)', due_soon: '할 일 (곧 마감)', due: '할 일' }[p.status] ?? '완료');

const shortName = p => ({ 'playground-monthly': '월 점검', 'playground-periodic': '정기검사', 'facility-semiannual': '반기 점검' }[p.program] ?? p.name);

async function assetScreen(asset, tag) {
  const checkInBox = h('div', { id: 'checkin', 'aria-live': 'polite' });
  const programs = h('div', {});
  show(asset.name,
    h('p', { class: 'muted' }, `${kindNames[asset.kind] ?? asset.kind} · ${asset.code}${asset.address ? ` · ${asset.address}` : ''}`),
    tag ? h('p', { class: 'small' }, `표지 ${tag.id}에서 열었습니다.`) : null,
    h('h2', {}, '체크인'),
    checkInBox,
    h('h2', {}, '점검'),
    programs);
  let checkIn = null;
  const renderPrograms = () => programs.replaceChildren(h('ul', { class: 'list' }, asset.programs.map(p => h('li', {},
    h('div', { class: 'row' },
      h('strong', {}, p.name),
      h('span', { class: chipClass(p) }, `${p.period} · ${statusWord(p)}`),
      h('div', { class: 'actions-row' },
        h('a', { class: 'button', href: `#/inspect/${asset.kind}/${encodeURIComponent(asset.code)}/${p.program}${checkIn ? `?checkin=${checkIn}` : ''}` },
          checkIn ? '점검 시작' : '체크인 없이 점검')))))));
  renderPrograms();

  const start = h('button', { type: 'button', id: 'do-checkin' }, tag ? '이 표지로 체크인' : '여기서 체크인 (태그 없이)');
  checkInBox.replaceChildren(start);
  start.addEventListener('click', async () => {
    start.disabled = true;
    checkInBox.replaceChildren(h('p', { role: 'status' }, '위치를 찾는 중…'));
    const { position, problem } = await locate();
    const rules = data.snapshot.rules;
    const metres = position ? distance(position, asset) : null;
    const warnings = position ? presence(metres, position.accuracy, rules) : [problem ?? '위치 없이 체크인하면 확인 대상으로 표시됩니다.'];
    const facts = position ? h('p', {}, `시설까지 약 ${metresText(metres)}, 위치 정확도 ±${Math.round(position.accuracy)} m`) : null;
    const go = async () => {
      const id = crypto.randomUUID();
      const body = { id, method: tag ? 'url' : 'nearby', url: tag?.url ?? null, asset: tag ? null : asset.code, kind: tag ? null : asset.kind,
        position: position ? { lat: position.lat, lon: position.lon } : null, accuracy: position?.accuracy ?? null, clientTime: new Date().toISOString() };
      const item = { id, kind: 'checkin', created: Date.now(), state: 'waiting', body, summary: `${asset.name} 체크인` };
      await saveItem(item);
      await refreshCount();
      checkIn = id;
      renderPrograms();
      checkInBox.replaceChildren(h('p', { role: 'status', id: 'checkin-state' }, '체크인을 보관함에 넣었습니다. 보내는 중…'));
      await sync();
      const sent = await outboxItem(id);
      checkInBox.replaceChildren(checkInResult(sent), facts);
    };
    if (warnings.length === 0) {
      await go();
      return;
    }
    checkInBox.replaceChildren(facts ?? '', h('div', { class: 'warning', role: 'alert' }, warnings.map(w => h('p', {}, w))),
      h('div', { class: 'actions-row' },
        h('button', { type: 'button', onclick: go }, '그래도 체크인'),
        h('button', { type: 'button', class: 'quiet', onclick: () => assetScreen(asset, tag) }, '취소')));
  });
}

function checkInResult(item) {
  if (item.state !== 'done') {
    return h('p', { class: item.state === 'error' ? 'notice' : 'warning', role: 'status', id: 'checkin-state' }, `체크인: ${stateText(item)}`);
  }
  const view = item.result;
  return h('div', { class: view.status === 'verified' ? 'ok' : 'warning', role: 'status', id: 'checkin-state' },
    h('p', { class: 'state' }, `체크인 ${checkInWord(view)}`),
    view.messages.map(m => h('p', { class: 'small' }, m)));
}

function checklist(asset, program, checkInId) {
  const definition = program.definition;
  const form = h('form', { novalidate: true });
  const items = definition.items.filter(i => !i.appliesTo || (asset.facilityType && i.appliesTo.includes(asset.facilityType)));
  const scale = definition.overall?.values ?? null;
  for (const item of items) {
    const name = `item-${item.id}`;
    const label = `${item.label}${item.required ? ' (필수)' : ''}`;
    let control;
    if (item.type === 'grade' || item.type === 'yesno') {
      const values = item.type === 'yesno' ? [['true', '예'], ['false', '아니오']] : (item.values ?? scale?.map(v => v.value) ?? ['양호', '요주의', '요수리', '이용금지']).map(v => [v, v]);
      control = h('fieldset', { 'data-item': item.id }, h('legend', {}, label),
        item.prompts ? h('p', { class: 'prompts' }, item.prompts.join(' · ')) : null,
        h('div', { class: 'choices' }, values.map(([value, text]) => h('label', {}, h('input', { type: 'radio', name, value }), text))));
    } else {
      const id = `f-${item.id}`;
      const input = item.type === 'number' ? h('input', { type: 'number', id, name, step: 'any', min: item.min, max: item.max })
        : item.type === 'date' ? h('input', { type: 'date', id, name })
        : item.type === 'photo' ? h('input', { type: 'file', id, name, accept: 'image/*' })
        : h('textarea', { id, name, rows: 2, maxlength: 4000 });
      control = h('fieldset', { 'data-item': item.id }, h('legend', {}, label),
        h('label', { for: id }, item.type === 'number' ? `${item.label} (${item.unit})` : item.type === 'photo' ? '사진 고르기' : item.label), input);
    }
    form.append(control);
  }
  if (scale) {
    form.append(h('fieldset', { 'data-item': '_grade' }, h('legend', {}, '종합 판정 (필수)'),
      scale.map(v => h('label', { class: 'grade-choice' }, h('input', { type: 'radio', name: 'grade', value: v.value }), h('span', {}, h('strong', {}, v.value), h('span', { class: 'meaning' }, ` — ${v.meaning}`))))));
  }
  form.append(
    h('label', { for: 'notes' }, '특이사항'), h('textarea', { id: 'notes', name: 'notes', rows: 3, maxlength: 4000 }),
    h('label', { for: 'photos' }, '사진 더하기 (휴대폰에서 고르기)'), h('input', { type: 'file', id: 'photos', name: 'photos', accept: 'image/*', multiple: true }),
    h('div', { id: 'form-errors', role: 'alert' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, '제출 (보관함에 넣고 보냄)')));
  const startedAt = new Date().toISOString();
  form.addEventListener('submit', async event => {
    event.preventDefault();
    const problems = [];
    const answers = {};
    const photos = [];
    for (const item of items) {
      const name = `item-${item.id}`;
      if (item.type === 'grade' || item.type === 'yesno') {
        const chosen = form.querySelector(`input[name="${name}"]:checked`);
        if (chosen) answers[item.id] = item.type === 'yesno' ? chosen.value === 'true' : chosen.value;
      } else if (item.type === 'photo') {
        const file = form.elements[name].files[0];
        if (file) {
          const photo = await describePhoto(file);
          photos.push(photo);
          answers[item.id] = photo.id;
        }
      } else {
        const value = form.elements[name].value.trim();
        if (value) answers[item.id] = item.type === 'number' ? Number(value) : value;
      }
      if (item.required && answers[item.id] === undefined) problems.push(`'${item.label}' 에 답하세요.`);
    }
    const grade = form.querySelector('input[name="grade"]:checked')?.value ?? null;
    if (scale && !grade) problems.push('종합 판정을 고르세요.');
    const tooLarge = [...form.elements.photos.files].filter(f => f.size > 10 * 1024 * 1024);
    for (const f of tooLarge) problems.push(`사진 ${f.name} 은(는) ${(f.size / 1048576).toFixed(1)} MB 입니다. 10 MB 이하만 보낼 수 있습니다.`);
    if (problems.length) {
      form.querySelector('#form-errors').replaceChildren(h('div', { class: 'error' }, problems.map(p => h('p', {}, p))));
      form.querySelector('#form-errors').scrollIntoView();
      return;
    }
    for (const file of form.elements.photos.files) photos.push(await describePhoto(file));
    const { position } = await locate();
    const id = crypto.randomUUID();
    const body = {
      program: program.code, programVersion: program.version, subject: { kind: asset.kind, code: asset.code }, checkIn: checkInId ?? null,
      answers, grade, notes: form.elements.notes.value.trim() || null,
      position: position ? { lat: position.lat, lon: position.lon } : null, accuracy: position?.accuracy ?? null,
      startedAt, finishedAt: new Date().toISOString(),
      photos: photos.map(p => ({ id: p.id, sha256: p.sha256, bytes: p.bytes, source: 'none' })),
    };
    await saveItem({ id, kind: 'inspection', created: Date.now(), state: 'waiting', body, photos, checkIn: checkInId ?? null, summary: `${asset.name} · ${definition.name}` });
    await refreshCount();
    location.hash = '#/outbox';
    sync();
  });
  show(definition.name,
    h('p', { class: 'muted' }, `${asset.name} (${asset.code}) · 버전 ${program.version}`),
    checkInId ? h('p', { class: 'small' }, '체크인과 함께 제출합니다.') : h('p', { class: 'warning small' }, '체크인 없이 점검합니다. 가능하면 먼저 체크인하세요.'),
    form);
}

async function outboxList() {
  const items = (await outboxItems()).reverse();
  if (!items.length) return h('p', { class: 'muted', id: 'outbox' }, '보관함이 비어 있습니다.');
  return h('ul', { class: 'list', id: 'outbox' }, items.map(item => h('li', { 'data-id': item.id, 'data-state': item.state },
    h('div', { class: 'row' },
      h('strong', {}, item.summary),
      // Not the shared .error/.done classes: this is a line of text in a card, not a panel.
      h('p', { class: `state is-${item.state}` }, item.state === 'done' && item.kind === 'inspection' ? '완료' : stateText(item)),
      item.kind === 'inspection' && item.photos.length ? h('span', { class: 'small muted' }, ` · ${photoText(item)}`) : null,
      item.result?.receipt ? h('p', { class: 'receipt' }, '접수번호 ', h('span', { class: 'number' }, item.result.receipt)) : null,
      item.conflict ? h('div', { class: 'warning small' },
        h('p', {}, `서버에 있는 것: 접수번호 ${item.conflict.stored.receipt}, ${new Date(item.conflict.stored.receivedAt).toLocaleString('ko-KR', { timeZone: 'Asia/Seoul' })}, SHA-256 ${item.conflict.stored.sha256.slice(0, 12)}…`),
        h('p', {}, `이 휴대폰이 보낸 것: SHA-256 ${item.conflict.submitted.sha256.slice(0, 12)}…`)) : null,
      item.state === 'error' ? h('button', { type: 'button', class: 'quiet', onclick: async () => {
        if (confirm(`보내지 못한 "${item.summary}"을(를) 이 휴대폰에서 지웁니다. 되돌릴 수 없습니다. 지울까요?`)) {
          await deleteItem(item.id);
          outboxScreen();
        }
      } }, '지우기') : null))));
}

const outboxNetworkText = () => navigator.onLine ? '신호가 있으면 자동으로 보냅니다.' : '지금은 오프라인입니다. 신호가 돌아오면 자동으로 보냅니다.';

async function outboxScreen() {
  const list = await outboxList();
  show('보관함',
    h('p', { id: 'outbox-network' }, outboxNetworkText()),
    h('div', { class: 'actions-row' }, h('button', { type: 'button', id: 'sync-now', onclick: () => sync() }, '지금 보내기'),
      h('a', { class: 'button quiet', href: '#/receipts' }, '접수증')),
    list);
}

async function receiptsScreen() {
  const all = (await receipts()).sort((a, b) => b.receivedAt.localeCompare(a.receivedAt));
  show('접수증', h('ul', { class: 'list' }, all.map(r => h('li', {}, h('div', { class: 'row' },
    h('p', { class: 'receipt' }, h('span', { class: 'number' }, r.receipt)),
    h('span', {}, `${r.asset.name} (${r.asset.code})`),
    h('span', { class: 'small muted' }, ` · ${new Date(r.receivedAt).toLocaleString('ko-KR', { timeZone: 'Asia/Seoul' })}`))))));
}

// ---------------------------------------------------------------------------------------------- routing

async function route() {
  if (!data.me) {
    signInNeeded();
    return;
  }
  // A plate opened: /t/{id}?… (through the service worker) or #/tag/{id}?… (the link on the plate's web page).
  const tagPath = location.pathname.match(/^\/t\/([0-9a-z]{6,32})$/);
  const tagHash = location.hash.match(/^#\/tag\/([0-9a-z]{6,32})(\?.*)?$/);
  if (tagPath || tagHash) {
    const id = tagPath?.[1] ?? tagHash[1];
    const query = tagPath ? location.search : (tagHash[2] ?? '');
    const url = `${location.origin}/t/${id}${query}`;
    let asset = assetOfTag(id);
    if (!asset && navigator.onLine) {
      try {
        const found = await api(`/api/tags/${id}`);
        asset = assetOf(found.asset.kind, found.asset.code);
      } catch { /* shown below */ }
    }
    if (!asset) {
      show('표지를 찾을 수 없습니다', h('p', { class: 'notice', role: 'alert' }, `표지 ${id}의 시설이 이 휴대폰의 목록에 없습니다. 맡은 시설이 아니거나 목록이 오래되었습니다.`));
      return;
    }
    await assetScreen(asset, { id, url });
    return;
  }
  const parts = location.hash.replace(/^#\/?/, '').split('?')[0].split('/').map(decodeURIComponent);
  const query = new URLSearchParams(location.hash.split('?')[1] ?? '');
  if (parts[0] === 'asset' && assetOf(parts[1], parts[2])) return assetScreen(assetOf(parts[1], parts[2]), null);
  if (parts[0] === 'inspect' && assetOf(parts[1], parts[2]) && programOf(parts[3])) return checklist(assetOf(parts[1], parts[2]), programOf(parts[3]), query.get('checkin'));
  if (parts[0] === 'outbox') return outboxScreen();
  if (parts[0] === 'receipts') return receiptsScreen();
  return home();
}

// ---------------------------------------------------------------------------------------------- the shell

async function refreshCount() {
  const waiting = (await outboxItems()).filter(i => i.state !== 'done').length;
  const count = document.getElementById('outbox-count');
  count.textContent = waiting;
  count.classList.toggle('has', waiting > 0);
  document.getElementById('outbox-link').setAttribute('aria-label', `보관함 ${waiting} — 보내지 않은 것 ${waiting}건`);
}

function showNetwork() {
  document.getElementById('network').textContent = navigator.onLine ? '' : '오프라인';
  const outboxNote = document.getElementById('outbox-network');
  if (outboxNote) outboxNote.textContent = outboxNetworkText();
}

async function start() {
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/inspector/sw.js', { scope: '/' }).catch(() => {
      banner('오프라인 준비에 실패했습니다. 신호가 있을 때 앱을 다시 여세요.');
    });
  }
  // Ask the browser to keep the outbox even when space runs low.
  navigator.storage?.persist?.();
  const iOS = /iPhone|iPad|iPod/.test(navigator.userAgent);
  if (iOS && !navigator.standalone) {
    banner('홈 화면에 추가하세요: 공유 버튼 → "홈 화면에 추가". 추가하지 않으면 iPhone이 7일 뒤 보관함을 지울 수 있습니다.');
  }
  showNetwork();
  window.addEventListener('online', () => { showNetwork(); sync(); });
  window.addEventListener('offline', showNetwork);
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') sync(); });
  window.addEventListener('hashchange', route);
  onOutboxChange(async () => {
    await refreshCount();
    // On the outbox screen, its list follows each step (without moving the focus).
    const list = document.getElementById('outbox');
    if (list) list.replaceWith(await outboxList());
  });
  await loadData();
  await refreshCount();
  await route();
  await sync();
  await refreshCount();
}

start();
