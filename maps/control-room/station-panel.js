// A station's panel: its basin or tank (level with the alarm thresholds drawn, volume and fill from the stage–storage
// curve), inflow, outflow and rain, each pump, its open alarms, and a level chart of 24 h or 7 d from the series API
// with the live tail appended as readings arrive (uPlot, a small canvas chart library).
import uPlot from 'uplot';
import { api } from '../shared/api.js';
import { seoulTime } from './seoul.js';

const number = (value, digits = 2) => (value === null || value === undefined ? '—' : Number(value).toLocaleString('ko-KR', {
  minimumFractionDigits: digits, maximumFractionDigits: digits,
}));

const hourMinute = t => new Intl.DateTimeFormat('ko-KR', { timeZone: 'Asia/Seoul', hour: '2-digit', minute: '2-digit', hour12: false }).format(t * 1000);
const monthDay = t => new Intl.DateTimeFormat('ko-KR', { timeZone: 'Asia/Seoul', month: 'numeric', day: 'numeric' }).format(t * 1000);

const priorityColours = { 1: '#b3261e', 2: '#a84300', 3: '#b8860b', 4: '#b8860b' };

export class StationPanel {
  constructor(element) {
    this.element = element;
    this.range = '24h';
    element.querySelector('[data-close]').addEventListener('click', () => this.close());
    for (const button of element.querySelectorAll('[data-range]')) {
      button.addEventListener('click', () => {
        this.range = button.dataset.range;
        for (const b of element.querySelectorAll('[data-range]')) b.setAttribute('aria-pressed', String(b === button));
        this.loadChart();
      });
    }
    element.addEventListener('keydown', e => { if (e.key === 'Escape') this.close(); });
  }

  get open() { return !this.element.hidden; }

  close() {
    this.element.hidden = true;
    this.code = null;
    this.chart?.destroy();
    this.chart = null;
  }

  async show(code) {
    this.code = code;
    this.element.hidden = false;
    await this.refresh();
    this.element.querySelector('h2').focus();
    await this.loadChart();
  }

  /** The panel's numbers again (a reading, an alarm); the chart keeps its own series. */
  async refresh() {
    if (!this.code) return;
    const s = await api(`/api/stations/${encodeURIComponent(this.code)}`);
    if (s.code !== this.code) return;
    this.station = s;
    const $ = sel => this.element.querySelector(sel);
    $('h2').textContent = s.name;
    const facts = [
      [s.storage ? `${s.storage.name} 수위` : '수위', s.level ? `${number(s.level.valueM)} m (${seoulTime(s.level.at)})` : '자료 없음'],
      ['저류량', s.volumeM3 === null ? '—' : `${number(s.volumeM3, 0)} m³ / ${number(s.storage?.capacityM3, 0)} m³`],
      ['채움률', s.fillPct === null ? '—' : `${number(s.fillPct, 1)}%`],
      ['경보 기준', s.thresholds.length ? s.thresholds.map(t => `${number(t.value)} m (${t.priority}순위)`).join(', ') : '없음'],
      ['유입 · 유출', `${number(s.inflowM3PerH, 0)} · ${number(s.outflowM3PerH, 0)} m³/h`],
      ['강우', `${number(s.rainMmPerH, 1)} mm/h`],
    ];
    $('.station-facts').replaceChildren(...facts.flatMap(([k, v]) => {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      return [dt, dd];
    }));
    $('.pump-rows').replaceChildren(...s.pumps.map(p => {
      const tr = document.createElement('tr');
      // Running or stopped in words; a fault is the row's one colour, and said.
      const state = p.fault ? '고장' : p.running === true ? '가동' : p.running === false ? '정지' : '자료 없음';
      tr.className = p.fault ? 'fault' : p.running ? 'running' : '';
      for (const text of [`${p.number}호기`, state, `${number(p.currentA, 1)} A`, `${number(p.runH, 1)} h`, number(p.starts, 0),
        `${number(p.startLevelM)} / ${number(p.stopLevelM)} m`]) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      return tr;
    }));
    $('.station-alarms').replaceChildren(...(s.alarms.length ? s.alarms.map(a => {
      const li = document.createElement('li');
      li.style.borderLeftColor = priorityColours[a.priority];
      li.textContent = `${a.priority}순위 · ${a.message} · ${seoulTime(a.raisedAt)}${a.acknowledged ? ' · 확인됨' : ' · 미확인'}`;
      return li;
    }) : [Object.assign(document.createElement('li'), { className: 'muted', textContent: '열린 경보가 없습니다.' })]));
  }

  async loadChart() {
    const code = this.code;
    const metric = this.station?.levelMetric ?? 'basin_level_m';
    const series = await api(`/api/stations/${encodeURIComponent(code)}/series?metric=${metric}&range=${this.range}`);
    if (code !== this.code) return;
    const times = series.points.map(p => Date.parse(p.time) / 1000);
    const values = series.points.map(p => p.max);   // the bucket's peak: a flood's top must not be averaged away
    this.data = [times, values, ...this.station.thresholds.map(t => times.map(() => t.value))];
    this.chart?.destroy();
    const box = this.element.querySelector('.station-chart');
    this.chart = new uPlot({
      width: Math.max(280, box.clientWidth), height: 200,
      tzDate: ts => uPlot.tzDate(new Date(ts * 1000), 'Asia/Seoul'),
      scales: { x: { time: true } },
      // Korean clock times (Seoul): hours and minutes for a day, month/day for a week.
      axes: [{ stroke: '#4a5561', values: (u, splits) => splits.map(t => this.range === '24h' ? hourMinute(t) : monthDay(t)) },
        { stroke: '#4a5561', label: '수위 (m)' }],
      series: [
        { label: '시각', value: (u, t) => (t == null ? '—' : seoulTime(t * 1000)) },
        { label: '수위 (m)', stroke: '#1f4e79', width: 2 },
        ...this.station.thresholds.map(t => ({ label: `경보 기준 ${number(t.value)} m (${t.priority}순위)`, stroke: priorityColours[t.priority], dash: [6, 4], width: 1.5 })),
      ],
    }, this.data, box);
    box.setAttribute('aria-label', `${this.station.name} 수위 ${this.range === '24h' ? '24시간' : '7일'} 그래프, 점 ${times.length}개`);
  }

  /** A live reading of the station's level: one more point on the chart, no reload. */
  append(metrics, at) {
    if (!this.chart || !this.station) return;
    const value = metrics[this.station.levelMetric];
    if (typeof value !== 'number') return;
    const t = (at ? Date.parse(at) : Date.now()) / 1000;
    this.data[0].push(t);
    this.data[1].push(value);
    for (let i = 2; i < this.data.length; i++) this.data[i].push(this.data[i][0] ?? this.station.thresholds[i - 2].value);
    this.chart.setData(this.data);
  }
}
