// Festivals and events in the room: upcoming and ongoing ones as a map layer (an overdue safety plan in orange, the
// only colour; every state also in words in the list), and a list by month the division works from.
import { api } from '../shared/api.js';
import { keepingFocus } from '../shared/keep-focus.js';
import { seoulDate } from './seoul.js';

/** What the map asks for: events not yet over (the OGC API's open interval from now). */
export function upcomingUrl(now = new Date()) {
  return `/ogc/collections/event/items?limit=1000&datetime=${encodeURIComponent(now.toISOString().replace(/\.\d+Z$/, 'Z'))}/..`;
}

const stateNames = {
  registered: '등록', plan_received: '계획서 접수', reviewed: '심의 완료', inspected: '현장 합동점검 완료',
  corrections_confirmed: '보완 확인', closed: '종료',
};

/** The month list: ◀ ▶ by month (Seoul), each event with its dates, state and, when late, the overdue plan said in words. */
export class EventList {
  constructor({ list, title, previous, next, onFly }) {
    Object.assign(this, { list, title, onFly });
    const now = new Date();
    // The Seoul month, whatever the display's own time zone.
    const [year, month] = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Seoul', year: 'numeric', month: '2-digit' })
      .format(now).split('-').map(Number);
    this.month = { year, month };
    previous.addEventListener('click', () => this.move(-1));
    next.addEventListener('click', () => this.move(1));
  }

  move(by) {
    const m = this.month.month - 1 + by;
    this.month = { year: this.month.year + Math.floor(m / 12), month: ((m % 12) + 12) % 12 + 1 };
    return this.refresh();
  }

  get key() { return `${this.month.year}-${String(this.month.month).padStart(2, '0')}`; }

  async refresh() {
    const key = this.key;
    this.title.textContent = `${this.month.year}년 ${this.month.month}월 행사`;
    const answer = await api(`/api/events?month=${key}`);
    if (key !== this.key) return;   // moved on meanwhile
    keepingFocus(this.list, () => this.list.replaceChildren(...(answer.events.length ? answer.events.map(e => this.row(e)) : [this.empty()])));
  }

  empty() {
    const li = document.createElement('li');
    li.className = 'muted';
    li.textContent = '이 달에 열리는 행사가 없습니다.';
    return li;
  }

  row(e) {
    const li = document.createElement('li');
    li.dataset.event = e.code;
    li.className = e.planOverdue ? 'overdue' : '';
    const when = document.createElement('span');
    when.className = 'when';
    const from = seoulDate(e.startsAt), to = seoulDate(e.endsAt);
    when.textContent = from === to ? from : `${from} ~ ${to}`;
    const name = document.createElement('button');
    name.type = 'button';
    name.className = 'link';
    name.textContent = e.name;
    name.setAttribute('aria-label', `${e.name} 지도에서 보기`);
    name.dataset.focusKey = e.code;
    name.addEventListener('click', () => this.onFly(e.at));
    const state = document.createElement('span');
    state.className = 'state';
    const words = [e.reviewRequired ? (stateNames[e.state] ?? e.state) : '심의 대상 아님'];
    if (e.reviewResultName) words.push(`심의 ${e.reviewResultName}`);
    if (e.planOverdue) words.push(`계획서 기한 지남 (${e.planDueOn}까지)`);
    else if (e.reviewRequired && e.state === 'registered') words.push(`계획서 ${e.planDueOn}까지`);
    if (e.planLate) words.push('계획서 늦게 접수');
    state.textContent = words.join(' · ');
    li.append(when, name, state);
    return li;
  }
}
