// Any asset, clicked on the map or found by its Korean name or code: its properties, its state per program (due,
// overdue), its inspections with their photos, open findings and follow-ups; a closed playground says 이용금지 with the
// reason and the date, in words and in the one colour the panel uses.
import { api } from '../shared/api.js';
import { seoulTime } from './seoul.js';

const programNames = {
  'playground-monthly': '월 안전점검', 'playground-periodic': '정기시설검사', 'facility-semiannual': '반기 안전·보건 점검', 'event-joint': '현장 합동점검',
};
const stateWords = { done: '완료', due: '할 일', due_soon: '곧 마감', overdue: '기한 지남' };

const element = (tag, props = {}, ...children) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children.filter(c => c !== null && c !== undefined));
  return e;
};

export class AssetPanel {
  constructor(root) {
    this.root = root;
    root.querySelector('[data-close]').addEventListener('click', () => this.close());
    root.addEventListener('keydown', e => { if (e.key === 'Escape') this.close(); });
  }

  get open() { return !this.root.hidden; }

  close() {
    this.root.hidden = true;
    this.current = null;
  }

  async show(kind, code) {
    this.current = { kind, code };
    this.root.hidden = false;
    await this.refresh();
    this.root.querySelector('h2').focus();
  }

  async refresh() {
    if (!this.current) return;
    const { kind, code } = this.current;
    const a = await api(`/api/assets/${encodeURIComponent(kind)}/${encodeURIComponent(code)}`);
    if (this.current?.code !== code) return;
    this.asset = a;
    const $ = sel => this.root.querySelector(sel);
    $('h2').textContent = a.asset.name;
    $('.asset-where').textContent = [a.asset.kindName, a.asset.code, a.asset.area, a.asset.address].filter(Boolean).join(' · ');
    const closed = $('.asset-closed');
    closed.hidden = !a.asset.closed;
    closed.textContent = a.asset.closed ? `이용금지 — ${a.asset.closed.reason} (${seoulTime(a.asset.closed.at)}부터)` : '';
    $('.asset-facts').replaceChildren(...this.facts(a.asset).flatMap(([k, v]) => [element('dt', { textContent: k }), element('dd', { textContent: v })]));
    $('.asset-programs').replaceChildren(...(a.programs.length ? a.programs.map(p => element('li', { className: p.state },
      element('strong', { textContent: programNames[p.program] ?? p.program }),
      ` ${p.period ?? ''} · ${stateWords[p.state] ?? p.state}${p.dueOn ? ` (${p.dueOn}까지)` : ''}`,
      p.lastFinishedAt ? element('span', { className: 'muted', textContent: ` · 마지막 ${seoulTime(p.lastFinishedAt)}` }) : null))
      : [element('li', { className: 'muted', textContent: '정해진 점검이 없습니다.' })]));
    $('.asset-inspections').replaceChildren(...(a.inspections.length ? a.inspections.map(i => element('li', {},
      element('div', {}, element('strong', { textContent: `${seoulTime(i.finishedAt)} ${i.programName}` }),
        ` · ${i.grade ?? '판정 없음'} · ${i.inspector} · ${i.receipt}`),
      i.photos.length ? element('div', { className: 'photos' }, ...i.photos.map((src, n) =>
        element('a', { href: src, target: '_blank', rel: 'noopener' }, element('img', { src, loading: 'lazy', alt: `${i.receipt} 사진 ${n + 1}` })))) : null))
      : [element('li', { className: 'muted', textContent: '점검 기록이 없습니다.' })]));
    $('.asset-findings').replaceChildren(...[
      ...a.findings.map(f => element('li', { textContent: `지적: ${f.label} (${f.judged}) · ${f.state === 'repaired' ? '수리됨, 확인 기다림' : '열림'} · ${f.dueOn}까지` })),
      ...a.followUps.map(u => element('li', { textContent: `후속 조치: ${u.label} · ${u.doneAt ? `완료 ${seoulTime(u.doneAt)}` : `${u.dueOn}까지`}` })),
    ].concat(a.findings.length + a.followUps.length ? [] : [element('li', { className: 'muted', textContent: '열린 지적사항·후속 조치가 없습니다.' })]));
  }

  facts(asset) {
    const facts = [];
    if (asset.grade) facts.push(['최근 등급', asset.grade]);
    if (asset.overdue) facts.push(['점검', '기한 지남']);
    // The grade is said once, above; the rest under the Korean titles the server gives them.
    for (const p of asset.properties ?? []) {
      if (p.key === 'grade' && asset.grade) continue;
      facts.push([p.label, p.value]);
    }
    return facts.slice(0, 14);
  }
}

/** The search box: as one types, up to 20 assets by name or code; Enter takes the first; a pick flies there and opens it. */
export function searchBox(form, results, onPick) {
  const input = form.querySelector('input');
  let timer = null;
  let last = [];
  const show = found => {
    last = found;
    results.hidden = found.length === 0 && input.value.trim() === '';
    results.replaceChildren(...(found.length ? found.map(f => element('li', {},
      element('button', { type: 'button', textContent: `${f.name} · ${f.kindName}${f.area ? ` · ${f.area}` : ''}`, onclick: () => pick(f) })))
      : [element('li', { className: 'muted', textContent: '찾는 시설이 없습니다.' })]));
  };
  const pick = f => {
    results.hidden = true;
    onPick(f);
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (!q) { results.hidden = true; return; }
    timer = setTimeout(async () => {
      const found = await api(`/api/assets/search?q=${encodeURIComponent(q)}`).catch(() => []);
      if (input.value.trim() === q) show(found);
    }, 250);
  });
  form.addEventListener('submit', async e => {
    e.preventDefault();
    const q = input.value.trim();
    if (!q) return;
    const found = last.length ? last : await api(`/api/assets/search?q=${encodeURIComponent(q)}`).catch(() => []);
    if (found.length) pick(found[0]); else show([]);
  });
  input.addEventListener('keydown', e => { if (e.key === 'Escape') results.hidden = true; });
}
