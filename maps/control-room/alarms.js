// The alarm table operators work from (ISA-18.2): unacknowledged, acknowledged, returned-unacknowledged and shelved,
// by priority then time; acknowledge one or several with a comment; shelve for a chosen time with a reason.
import { api } from '../shared/api.js';
import { keepingFocus } from '../shared/keep-focus.js';
import { seoulTime } from './seoul.js';

/** ISA-18.2's state of one alarm, in the room's words. */
export function alarmState(alarm, now = Date.now()) {
  if (alarm.shelvedUntil && Date.parse(alarm.shelvedUntil) > now) return { code: 'shelved', text: `보류 (${seoulTime(alarm.shelvedUntil)}까지)` };
  if (alarm.clearedAt && !alarm.acknowledgedAt) return { code: 'returned', text: '복귀 · 미확인' };
  if (!alarm.acknowledgedAt) return { code: 'unacked', text: '미확인' };
  return { code: 'acked', text: '확인됨' };
}

export class AlarmTable {
  constructor({ rows, count, empty, ackSelected, selectAll, ackDialog, shelveDialog, onFly }) {
    Object.assign(this, { rows, count, empty, ackSelected, selectAll, ackDialog, shelveDialog, onFly });
    this.alarms = [];
    this.selected = new Set();
    ackSelected.addEventListener('click', () => this.acknowledge([...this.selected]));
    selectAll.addEventListener('change', () => {
      this.selected = selectAll.checked ? new Set(this.alarms.filter(a => !a.acknowledgedAt).map(a => a.id)) : new Set();
      this.render();
    });
    for (const dialog of [ackDialog, shelveDialog]) {
      dialog.querySelector('[data-close]').addEventListener('click', () => dialog.close());
    }
  }

  async refresh() {
    this.alarms = await api('/api/alarms');
    // Alarms raised by one evaluation share their time: the id keeps their order steady between refreshes.
    this.alarms.sort((a, b) => a.priority - b.priority || Date.parse(a.raisedAt) - Date.parse(b.raisedAt) || a.id - b.id);
    const open = new Set(this.alarms.map(a => a.id));
    this.selected = new Set([...this.selected].filter(id => open.has(id)));
    this.render();
    return this.alarms;
  }

  render() {
    const now = Date.now();
    // Rebuilt on every alarm event: an alarm arriving while the operator tabs to 확인 must not take the focus away.
    keepingFocus(this.rows, () => this.rows.replaceChildren(...this.alarms.map(alarm => this.row(alarm, now))));
    const unacked = this.alarms.filter(a => !a.acknowledgedAt).length;
    this.count.textContent = this.alarms.length ? `${this.alarms.length}건 (미확인 ${unacked})` : '';
    this.empty.hidden = this.alarms.length > 0;
    this.ackSelected.disabled = this.selected.size === 0;
    this.ackSelected.textContent = this.selected.size ? `선택한 경보 ${this.selected.size}건 확인` : '선택한 경보 확인';
  }

  row(alarm, now) {
    const state = alarmState(alarm, now);
    const tr = document.createElement('tr');
    tr.className = `p${alarm.priority} ${state.code}`;
    tr.dataset.alarm = alarm.id;
    const cell = (content) => {
      const td = document.createElement('td');
      if (content instanceof Node) td.append(content); else td.textContent = content;
      tr.append(td);
      return td;
    };
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = this.selected.has(alarm.id);
    box.disabled = !!alarm.acknowledgedAt;
    box.setAttribute('aria-label', `${alarm.message} 선택`);
    box.dataset.focusKey = `${alarm.id}:select`;
    box.addEventListener('change', () => {
      if (box.checked) this.selected.add(alarm.id); else this.selected.delete(alarm.id);
      this.render();
    });
    cell(box);
    cell(`${alarm.priority}순위`);
    cell(state.text);
    const what = document.createElement('div');
    const message = document.createElement('div');
    message.textContent = alarm.message;
    what.append(message);
    if (alarm.asset) {
      const link = document.createElement('a');
      link.href = `#asset/${encodeURIComponent(alarm.asset)}`;
      link.className = 'asset';
      link.dataset.focusKey = `${alarm.id}:fly`;
      link.textContent = `${alarm.asset} 지도에서 보기`;
      link.addEventListener('click', e => { e.preventDefault(); this.onFly(alarm.asset); });
      what.append(link);
    }
    if (alarm.ackComment) {
      const note = document.createElement('div');
      note.className = 'muted';
      note.textContent = `확인: ${alarm.acknowledgedBy} — ${alarm.ackComment}`;
      what.append(note);
    }
    cell(what);
    cell(seoulTime(alarm.raisedAt));
    const actions = document.createElement('div');
    if (!alarm.acknowledgedAt) {
      actions.append(this.button('확인', `${alarm.message} 확인`, `${alarm.id}:acknowledge`, () => this.acknowledge([alarm.id])));
    }
    if (!alarm.clearedAt && state.code !== 'shelved') {
      actions.append(this.button('보류', `${alarm.message} 보류`, `${alarm.id}:shelve`, () => this.shelve(alarm)));
    }
    cell(actions);
    return tr;
  }

  button(text, label, focusKey, onClick) {
    const button = document.createElement('button');
    button.type = 'button';
    button.dataset.focusKey = focusKey;
    button.textContent = text;
    button.setAttribute('aria-label', label);
    button.addEventListener('click', onClick);
    return button;
  }

  /** One dialog for one or several alarms; the comment is required (what was seen, what is being done). */
  acknowledge(ids) {
    const dialog = this.ackDialog;
    const alarms = this.alarms.filter(a => ids.includes(a.id));
    if (alarms.length === 0) return;
    dialog.querySelector('#ack-what').textContent = alarms.length === 1 ? alarms[0].message : `경보 ${alarms.length}건: ${alarms.map(a => a.message).join(', ')}`;
    const comment = dialog.querySelector('#ack-comment');
    const error = dialog.querySelector('#ack-error');
    comment.value = '';
    error.hidden = true;
    dialog.querySelector('form').onsubmit = async event => {
      event.preventDefault();
      if (comment.value.trim().length === 0) {
        error.textContent = '확인 메모를 적어 주세요: 무엇을 보았고 무엇을 하는지.';
        error.hidden = false;
        comment.focus();
        return;
      }
      try {
        for (const alarm of alarms) {
          await api(`/api/alarms/${alarm.id}/acknowledge`, { method: 'POST', body: { comment: comment.value.trim() } });
        }
        dialog.close();
        this.selected.clear();
        await this.refresh();
      } catch (e) {
        error.textContent = e.message;
        error.hidden = false;
      }
    };
    // Ctrl+Enter sends from the comment, as in a chat; Enter alone starts a new line.
    comment.onkeydown = event => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        dialog.querySelector('form').requestSubmit();
      }
    };
    dialog.showModal();
    comment.focus();
  }

  shelve(alarm) {
    const dialog = this.shelveDialog;
    dialog.querySelector('#shelve-what').textContent = alarm.message;
    const reason = dialog.querySelector('#shelve-reason');
    const minutes = dialog.querySelector('#shelve-minutes');
    const error = dialog.querySelector('#shelve-error');
    reason.value = '';
    error.hidden = true;
    dialog.querySelector('form').onsubmit = async event => {
      event.preventDefault();
      if (reason.value.trim().length === 0) {
        error.textContent = '보류하는 까닭을 적어 주세요.';
        error.hidden = false;
        reason.focus();
        return;
      }
      try {
        await api(`/api/alarms/${alarm.id}/shelve`, { method: 'POST', body: { minutes: Number(minutes.value), reason: reason.value.trim() } });
        dialog.close();
        await this.refresh();
      } catch (e) {
        error.textContent = e.message;
        error.hidden = false;
      }
    };
    dialog.showModal();
    minutes.focus();
  }
}
