// The outbox: every check-in and inspection is written to the phone before anything is sent, then sent in order,
// each exactly once (its id was made on the phone, so a resend is answered with the first answer). Photos go one at a
// time in chunks of 256 KB, each resumed from the offset the server reports — never from zero after a cut.
import { outboxItems, saveItem, saveReceipt } from './store.js';

const CHUNK = 256 * 1024;
let running = null;
const listeners = new Set();

export function onOutboxChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function changed(item) {
  for (const listener of listeners) listener(item);
}

/** The state in words an inspector reads at a glance. */
export function stateText(item) {
  switch (item.state) {
    case 'waiting': return item.lastError ? `대기 — ${item.lastError}` : '대기';
    case 'sending': return '전송 중';
    case 'photos': return photoText(item);
    case 'done': return item.kind === 'inspection' ? `완료 · 접수번호 ${item.result.receipt}` : `완료 · ${checkInWord(item.result)}`;
    case 'error': return `오류 — ${item.error}`;
    default: return item.state;
  }
}

export function photoText(item) {
  const sent = item.photos.filter(p => p.sent).length;
  return `사진 ${sent}/${item.photos.length}`;
}

export function checkInWord(view) {
  return { verified: '확인됨', flagged: '확인 필요', refused: '인정 안 됨' }[view?.status] ?? '접수됨';
}

/**
 * Sends what waits; one run at a time. A call during a run (the signal came back, the app came to the foreground)
 * asks for one more run after it: the run under way may already have tried an item and found no network, and
 * joining it would leave that item waiting for the next occasion.
 */
let again = false;
export function sync() {
  if (running) {
    again = true;
    return running;
  }
  running = (async () => {
    try {
      do {
        again = false;
        await sendWaiting();
      } while (again);
    } finally {
      running = null;
    }
  })();
  return running;
}

async function sendWaiting() {
  const items = await outboxItems();
  const done = new Set(items.filter(i => i.state === 'done').map(i => i.id));
  for (const item of items) {
    if (item.state === 'done' || item.state === 'error') continue;
    if (!navigator.onLine) break;
    // An inspection resting on a check-in waits for it: the server wants the check-in first.
    if (item.kind === 'inspection' && item.checkIn && !done.has(item.checkIn) && items.some(i => i.id === item.checkIn)) continue;
    const ok = item.kind === 'checkin' ? await sendCheckIn(item) : await sendInspection(item);
    if (ok) done.add(item.id);
  }
}

async function update(item, changes) {
  Object.assign(item, changes);
  await saveItem(item);
  changed(item);
}

/** A fetch that reports "no network" as null instead of throwing. */
async function request(url, init) {
  try {
    return await fetch(url, { credentials: 'same-origin', ...init });
  } catch {
    return null;
  }
}

async function problemText(response) {
  try {
    const data = await response.json();
    return { detail: data.detail ?? `서버 오류 (${response.status})`, data };
  } catch {
    return { detail: `서버 오류 (${response.status})`, data: null };
  }
}

const unreachable = '서버에 연결할 수 없습니다. 신호가 돌아오면 자동으로 보냅니다.';

/** No network, a server error or a lapsed sign-in: the item waits (it can succeed later) and says why. */
async function waitsForLater(item, response) {
  if (response && response.status < 500 && response.status !== 401) return false;
  const lastError = !response ? unreachable
    : response.status === 401 ? '로그인이 필요합니다. 로그인하면 이어서 보냅니다.'
    : `서버 오류 (${response.status})`;
  await update(item, { state: 'waiting', lastError });
  return true;
}

async function sendCheckIn(item) {
  await update(item, { state: 'sending' });
  const response = await request('/api/checkins', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(item.body),
  });
  if (await waitsForLater(item, response)) return false;
  if (!response.ok) {
    const { detail } = await problemText(response);
    await update(item, { state: 'error', error: detail });
    return false;
  }
  await update(item, { state: 'done', result: await response.json(), lastError: null });
  return true;
}

async function sendInspection(item) {
  if (!item.result) {
    await update(item, { state: 'sending' });
    const response = await request(`/api/inspections/${item.id}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(item.body),
    });
    if (await waitsForLater(item, response)) return false;
    if (!response.ok) {
      const { detail, data } = await problemText(response);
      if (data?.code === 'checkin_missing') {
        await update(item, { state: 'waiting', lastError: detail });
        return false;
      }
      // A 409 names both versions: what the server holds and what this phone sent.
      const conflict = response.status === 409 && data?.stored ? { stored: data.stored, submitted: data.submitted } : null;
      await update(item, { state: 'error', error: detail, conflict });
      return false;
    }
    const receipt = await response.json();
    await update(item, { result: receipt, lastError: null });
    await saveReceipt({ id: item.id, receipt: receipt.receipt, receivedAt: receipt.receivedAt, asset: receipt.asset, program: receipt.program, sha256: receipt.sha256 });
  }
  for (const photo of item.photos) {
    if (photo.sent) continue;
    await update(item, { state: 'photos' });
    const outcome = await sendPhoto(item, photo);
    if (outcome !== 'sent') return false;
  }
  await update(item, { state: 'done', lastError: null });
  return true;
}

/** @returns 'sent', 'later' (no network: resume next time) or 'failed' (the item shows why). */
async function sendPhoto(item, photo) {
  const url = `/api/inspections/${item.id}/photos/${photo.id}`;
  const head = await request(url, { method: 'HEAD' });
  if (!head || head.status >= 500) {
    await update(item, { state: 'waiting', lastError: unreachable });
    return 'later';
  }
  if (!head.ok) {
    await update(item, { state: 'error', error: `사진을 올릴 수 없습니다 (${head.status}).` });
    return 'failed';
  }
  let offset = Number(head.headers.get('Upload-Offset') ?? 0);
  let restarted = false;
  while (offset < photo.bytes) {
    const end = Math.min(offset + CHUNK, photo.bytes);
    const response = await request(url, {
      method: 'PUT',
      headers: { 'Content-Range': `bytes ${offset}-${end - 1}/${photo.bytes}`, 'Content-Type': 'application/octet-stream' },
      body: photo.blob.slice(offset, end),
    });
    if (!response || response.status >= 500) {
      await update(item, { state: 'waiting', lastError: unreachable });
      return 'later';
    }
    if (response.status === 202 || response.status === 409) {
      // 409: the server stands elsewhere (an earlier try got further than we knew) — go on from where it is.
      const next = Number(response.headers.get('Upload-Offset'));
      offset = Number.isFinite(next) ? next : end;
      continue;
    }
    if (response.status === 422 && !restarted) {
      // The bytes did not add up to the announced photo: the server set them aside; send the photo again, once.
      restarted = true;
      offset = 0;
      continue;
    }
    if (response.ok) {
      const state = await response.json();
      photo.sent = true;
      await update(item, { result: { ...item.result, photosReceived: state.photosReceived, photoStatus: state.photoStatus } });
      return 'sent';
    }
    const { detail } = await problemText(response);
    await update(item, { state: 'error', error: `사진 ${photo.name ?? ''}: ${detail}` });
    return 'failed';
  }
  photo.sent = true;
  await saveItem(item);
  return 'sent';
}
