// The inspector app: find the asset (its plate's URL, what is due nearby, or a search), check in, fill the program's
// checklist, and leave the rest to the outbox. Works with no network after one online load.
import { api, ApiError } from '../shared/api.js';
import { cached, keep, outboxItems, outboxItem, saveItem, deleteItem, receipts } from './store.js';
import { sync, onOutboxChange, stateText, photoText, checkInWord } from './outbox.js';
import { locate, distance, presence, metresText } from './geo.js';
import { nfcAvailable, readPlate } from './nfc.js';
import { closureFollowUps } from './closure.js';

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

/** What the phone kept from its last online start: enough to work with no signal. */
async function loadCached() {
  data.me = await cached('me');
  data.snapshot = await cached('snapshot');
  data.programs = (await cached('programs')) ?? [];
  return Boolean(data.me && data.snapshot);
}

/** The sign-in, the day's assets and the programs from the server, kept on the phone; with no signal, the kept copy stays. */
async function refreshData() {
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
    plateReaders(),
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

// ---------------------------------------------------------------------------------------------- reading a plate

/** The ways to read a plate this phone has: its NFC tag (Chrome for Android) and its QR code (any camera). */
function plateReaders() {
  const box = h('div', { id: 'plate-status', 'aria-live': 'polite' });
  const tap = nfcAvailable() ? h('button', { type: 'button', id: 'read-tag' }, '태그 읽기 (NFC)') : null;
  tap?.addEventListener('click', async () => {
    // Permission is asked inside this tap; the scan stops when the inspector cancels or leaves the screen.
    const stop = new AbortController();
    window.addEventListener('hashchange', () => stop.abort(), { once: true });
    tap.disabled = true;
    box.replaceChildren(h('p', { class: 'ok', role: 'status' }, '휴대폰 뒷면을 표지의 태그에 대세요.'),
      h('button', { type: 'button', class: 'quiet', onclick: () => stop.abort() }, '그만두기'));
    try {
      const plate = await readPlate(stop.signal);
      stop.abort();
      await openPlate({ ...plate, method: 'nfc' }, { checkInNow: true });
    } catch (error) {
      tap.disabled = false;
      box.replaceChildren(h('p', { class: 'notice', role: 'alert' }, error.message));
    }
  });
  return h('div', {},
    h('div', { class: 'actions-row' }, tap, h('a', { class: 'button', href: '#/scan', id: 'scan-qr' }, 'QR 스캔')),
    box);
}

/** The camera screen: the first plate seen opens its asset and checks in; anything else is said and the scan goes on. */
async function scanScreen() {
  const video = h('video', { id: 'camera', muted: true, playsinline: true, 'aria-label': '카메라 화면' });
  const status = h('p', { role: 'status', id: 'scan-status' }, '카메라를 켜는 중…');
  const stop = new AbortController();
  show('QR 스캔', h('div', { class: 'camera' }, video), status,
    h('div', { class: 'actions-row' }, h('a', { class: 'button quiet', href: '#/', onclick: () => stop.abort() }, '그만두기')));
  window.addEventListener('hashchange', () => stop.abort(), { once: true });
  try {
    // The scanner and its decoder load only now: none of it is on the path to the first screen.
    const { scanPlate } = await import('./qr.js');
    const plate = await scanPlate(video, { signal: stop.signal, onStatus: text => { status.textContent = text; } });
    document.documentElement.dataset.qrDecoder = plate.decoder;
    await openPlate({ id: plate.id, url: plate.url, method: 'qr' }, { checkInNow: true });
  } catch (error) {
    if (stop.signal.aborted && !document.body.contains(video)) return;
    status.className = 'notice';
    status.setAttribute('role', 'alert');
    status.textContent = error.message;
  }
}

/** A plate read: its asset (from the phone's list, else the server), then the asset's screen. */
async function openPlate(plate, options = {}) {
  let asset = assetOfTag(plate.id);
  if (!asset && navigator.onLine) {
    try {
      const found = await api(`/api/tags/${plate.id}`);
      asset = assetOf(found.asset.kind, found.asset.code);
    } catch { /* shown below */ }
  }
  if (!asset) {
    show('표지를 찾을 수 없습니다', h('p', { class: 'notice', role: 'alert' }, `표지 ${plate.id}의 시설이 이 휴대폰의 목록에 없습니다. 맡은 시설이 아니거나 목록이 오래되었습니다.`));
    return;
  }
  // The address becomes the asset's, so going back or reloading shows it without reading the plate (or checking in) again.
  if (options.checkInNow) history.replaceState(null, '', `#/asset/${asset.kind}/${encodeURIComponent(asset.code)}`);
  await assetScreen(asset, plate, options);
}

// The compliance states in words: due, due soon and overdue are all work to do; only done is not.
const toDo = p => p.status !== 'done';
// Overdue is its own chip (worse than due), so it never shares due's look.
const chipClass = p => `tag ${p.status === 'overdue' ? 'overdue' : toDo(p) ? 'due' : 'done'}`;
const statusWord = p => ({ overdue: '할 일 (기한 지남)', due_soon: '할 일 (곧 마감)', due: '할 일' }[p.status] ?? '완료');

const shortName = p => ({ 'playground-monthly': '월 점검', 'playground-periodic': '정기검사', 'facility-semiannual': '반기 점검' }[p.program] ?? p.name);

async function assetScreen(asset, tag, { checkInNow = false } = {}) {
  const checkInBox = h('div', { id: 'checkin', 'aria-live': 'polite' });
  const programs = h('div', {});
  show(asset.name,
    h('p', { class: 'muted' }, `${kindNames[asset.kind] ?? asset.kind} · ${asset.code}${asset.address ? ` · ${asset.address}` : ''}`),
    tag ? h('p', { class: 'small' }, `표지 ${tag.id}에서 열었습니다${{ nfc: ' (NFC 태그)', qr: ' (QR 코드)' }[tag.method] ?? ''}.`) : null,
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
      // The URL goes exactly as read (its SUN or signature is the proof); the chip's UID with an NFC tap.
      const body = { id, method: tag ? tag.method ?? 'url' : 'nearby', url: tag?.url ?? null, uid: tag?.uid ?? null,
        asset: tag ? null : asset.code, kind: tag ? null : asset.kind,
        position: position ? { lat: position.lat, lon: position.lon } : null, accuracy: position?.accuracy ?? null, clientTime: new Date().toISOString() };
      const item = { id, kind: 'checkin', created: Date.now(), state: 'waiting', body, summary: `${asset.name} 체크인` };
      await saveItem(item);
      await refreshCount();
      checkIn = id;
      renderPrograms();
      checkInBox.replaceChildren(h('p', { role: 'status', id: 'checkin-state' }, '체크인을 보관함에 넣었습니다. 보내는 중…'));
      await sync();
      const sent = await outboxItem(id);
      // A refused check-in proved nothing: the inspection does not rest on it.
      if (sent.state === 'done' && sent.result?.status === 'refused') {
        checkIn = null;
        renderPrograms();
      }
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
  // A tag tapped or a plate scanned is the inspector saying "I am here": check in at once.
  if (checkInNow) start.click();
}

function checkInResult(item) {
  if (item.state !== 'done') {
    return h('p', { class: item.state === 'error' ? 'notice' : 'warning', role: 'status', id: 'checkin-state' }, `체크인: ${stateText(item)}`);
  }
  const view = item.result;
  // Refused (a copied URL, a bad signature) is red: nothing was proved; flagged is amber: proved, but to be looked at.
  return h('div', { class: { verified: 'ok', refused: 'notice' }[view.status] ?? 'warning', role: 'status', id: 'checkin-state' },
    h('p', { class: 'state' }, `체크인 ${checkInWord(view)}`),
    view.messages.map(m => h('p', { class: 'small' }, m)));
}

// ---------------------------------------------------------------------------------------------- photos

// Each chosen photo is made ready at once (EXIF read, resized): the inspector sees what will be sent before submitting.
const preparing = new WeakMap();
// The original may be large (the phone resizes it); beyond this no phone should try to decode it.
const MaxOriginalBytes = 40 * 1024 * 1024;

/** The lines under a photo input saying how each chosen photo will be sent; starts its preparation on every change. */
function photoLines(input) {
  const lines = h('ul', { class: 'photo-lines small', 'aria-live': 'polite' });
  input.addEventListener('change', () => {
    const chosenAt = new Date();
    const work = (async () => {
      const { preparePhoto, photoLine } = await import('./photos.js');
      const { position } = await locate();
      const outcomes = [];
      for (const file of input.files) {
        if (file.size > MaxOriginalBytes) {
          outcomes.push({ problem: `사진 ${file.name} 은(는) ${(file.size / 1048576).toFixed(1)} MB 입니다. 40 MB 이하의 사진을 고르세요.` });
          continue;
        }
        try {
          const photo = await preparePhoto(file, position, chosenAt);
          outcomes.push({ photo, line: photoLine(photo) });
        } catch (error) {
          outcomes.push({ problem: error.message });
        }
      }
      lines.replaceChildren(...outcomes.map(o => h('li', { class: o.problem ? 'is-error' : null }, o.problem ?? o.line)));
      return outcomes;
    })();
    preparing.set(input, work);
    lines.replaceChildren(input.files.length ? h('li', {}, `사진 ${input.files.length}장을 준비하는 중…`) : '');
  });
  return lines;
}

/** The photos of an input once ready; a photo that could not be made ready adds its problem. */
async function preparedOf(input, problems) {
  if (!input.files.length) return [];
  const outcomes = await (preparing.get(input) ?? Promise.resolve([]));
  for (const o of outcomes) if (o.problem) problems.push(o.problem);
  return outcomes.filter(o => o.photo).map(o => o.photo);
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
        : item.type === 'photo' ? h('input', { type: 'file', id, name, accept: 'image/*', capture: 'environment' })
        : h('textarea', { id, name, rows: 2, maxlength: 4000 });
      control = h('fieldset', { 'data-item': item.id }, h('legend', {}, label),
        h('label', { for: id }, item.type === 'number' ? `${item.label} (${item.unit})` : item.type === 'photo' ? '사진 찍기' : item.label), input,
        item.type === 'photo' ? photoLines(input) : null);
    }
    form.append(control);
  }
  const closureSign = h('input', { type: 'file', id: 'closure-sign', name: 'closure-sign', accept: 'image/*', capture: 'environment' });
  const closure = h('fieldset', { id: 'closure', hidden: true },
    h('legend', {}, '이용금지 — 지금 할 일'),
    h('p', { class: 'notice' }, '지금 바로 이용을 멈추게 하세요: 입구를 막고, 시설마다 이용을 금지하고, 입구에 사유를 적은 이용금지 안내문을 붙이세요. 아이들이 이용하게 두면 처벌 대상입니다.'),
    h('label', { for: 'closure-sign' }, '입구에 붙인 이용금지 안내문 사진 (필수)'), closureSign, photoLines(closureSign),
    h('h3', {}, '법정 후속 조치와 기한'),
    h('ol', { id: 'follow-ups', class: 'follow-ups' }, closureFollowUps(data.snapshot?.closure).map(f => h('li', { 'data-kind': f.kind, 'data-due': f.dueOn },
      h('strong', {}, f.dueText), ` ${f.label}`))));
  if (scale) {
    form.append(h('fieldset', { 'data-item': '_grade' }, h('legend', {}, '종합 판정 (필수)'),
      scale.map(v => h('label', { class: 'grade-choice' }, h('input', { type: 'radio', name: 'grade', value: v.value }), h('span', {}, h('strong', {}, v.value), h('span', { class: 'meaning' }, ` — ${v.meaning}`))))),
      closure);
    // 이용금지 asks at once for the sign at the entrance and shows what the statute requires next, with its dates.
    form.addEventListener('change', event => {
      if (event.target.name !== 'grade') return;
      closure.hidden = event.target.value !== '이용금지';
      if (!closure.hidden) closure.scrollIntoView({ block: 'start' });
    });
  }
  const camera = h('input', { type: 'file', id: 'camera', name: 'camera', accept: 'image/*', capture: 'environment' });
  const gallery = h('input', { type: 'file', id: 'photos', name: 'photos', accept: 'image/*', multiple: true });
  form.append(
    h('label', { for: 'notes' }, '특이사항'), h('textarea', { id: 'notes', name: 'notes', rows: 3, maxlength: 4000 }),
    h('label', { for: 'camera' }, '사진 찍기 (카메라)'), camera, photoLines(camera),
    h('label', { for: 'photos' }, '사진 더하기 (휴대폰에서 고르기)'), gallery, photoLines(gallery),
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
        const [photo] = await preparedOf(form.elements[name], problems);
        if (photo) {
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
    for (const input of [camera, gallery]) photos.push(...await preparedOf(input, problems));
    if (grade === '이용금지') {
      const [sign] = await preparedOf(closureSign, problems);
      if (sign) photos.push({ ...sign, purpose: 'closure_sign' });
      else if (!closureSign.files.length) problems.push('이용금지로 판정하면 입구에 붙인 이용금지 안내문 사진이 필요합니다.');
    }
    if (problems.length) {
      form.querySelector('#form-errors').replaceChildren(h('div', { class: 'error' }, problems.map(p => h('p', {}, p))));
      form.querySelector('#form-errors').scrollIntoView();
      return;
    }
    const { position } = await locate();
    const id = crypto.randomUUID();
    const body = {
      program: program.code, programVersion: program.version, subject: { kind: asset.kind, code: asset.code }, checkIn: checkInId ?? null,
      answers, grade, notes: form.elements.notes.value.trim() || null,
      position: position ? { lat: position.lat, lon: position.lon } : null, accuracy: position?.accuracy ?? null,
      startedAt, finishedAt: new Date().toISOString(),
      // When and where each photo was taken, and from what (its EXIF, or the phone when it was chosen).
      photos: photos.map(p => ({ id: p.id, sha256: p.sha256, bytes: p.bytes, takenAt: p.takenAt, position: p.position, accuracy: p.accuracy,
        source: p.source, purpose: p.purpose ?? null })),
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
      // While the photos go, the state line itself says 사진 n/m: not twice. A line of its own under the state, so no separator.
      item.kind === 'inspection' && item.photos.length && item.state !== 'photos' ? h('span', { class: 'small muted' }, photoText(item)) : null,
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
    await openPlate({ id, url: `${location.origin}/t/${id}${query}`, method: 'url' });
    return;
  }
  const parts = location.hash.replace(/^#\/?/, '').split('?')[0].split('/').map(decodeURIComponent);
  const query = new URLSearchParams(location.hash.split('?')[1] ?? '');
  if (parts[0] === 'asset' && assetOf(parts[1], parts[2])) return assetScreen(assetOf(parts[1], parts[2]), null);
  if (parts[0] === 'inspect' && assetOf(parts[1], parts[2]) && programOf(parts[3])) return checklist(assetOf(parts[1], parts[2]), programOf(parts[3]), query.get('checkin'));
  if (parts[0] === 'outbox') return outboxScreen();
  if (parts[0] === 'scan') return scanScreen();
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
  // A phone that has the day's copy shows it at once and refreshes it behind; a first start waits for the server.
  const kept = await loadCached();
  if (!kept) await refreshData();
  await refreshCount();
  await route();
  window.pajuInspector = { readyAt: performance.now(), from: kept ? 'phone' : 'server' };
  if (kept) {
    const signedIn = Boolean(data.me);
    await refreshData();
    // Shown again only where that cannot lose anything: signed out meanwhile, or the list untouched on the first screen.
    const untouched = location.pathname === '/inspector/' && !location.hash.replace(/^#\/?/, '')
      && !document.getElementById('search')?.value && document.activeElement?.tagName !== 'INPUT';
    if (signedIn !== Boolean(data.me) || untouched) await route();
  }
  await sync();
  await refreshCount();
}

start();
