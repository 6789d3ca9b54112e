// The campaign strip: this month's playground checks N/719 and the half-year's SAPA checks (공중이용시설), each opening to
// its breakdown (by 읍면동, by facility type) — read again when an inspection is filed or an asset's state changes.
import { api } from '../shared/api.js';
import { keepingFocus } from '../shared/keep-focus.js';

const typeNames = {
  building: '건축물', bridge: '교량', water_sewer: '상·하수도', retaining_wall_slope: '옹벽·사면', library: '도서관', tunnel_underpass: '터널·지하차도',
};

const percent = p => (p.total ? Math.floor((100 * p.done) / p.total) : 0);

export class CampaignStrip {
  constructor(element) {
    this.element = element;
    this.timer = null;
  }

  /** Many checks filed at once (an inspector's outbox syncing) are one refresh, not many. */
  soon() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh().catch(() => {}), 1000);
  }

  async refresh() {
    const o = await api('/api/compliance/overview');
    const month = o.month.replace(/^(\d{4})-(\d{2})$/, (_, y, m) => `${y}년 ${Number(m)}월`);
    const playground = o.playgroundCampaign.progress;
    const facility = o.facilityHalfYear.progress;
    keepingFocus(this.element, () => this.element.replaceChildren(
      this.item('campaign-playground', `${month} 놀이시설 점검 ${playground.done.toLocaleString('ko-KR')}/${playground.total.toLocaleString('ko-KR')} (${percent(playground)}%)`
        + (playground.overdue ? ` · 지연 ${playground.overdue}` : ''), playground,
        o.playgroundCampaign.byArea.map(a => [a.area ?? '읍면동 미지정', a.progress])),
      this.item('campaign-facility', `${o.halfYear} 공중이용시설 점검 ${facility.done}/${facility.total} (${percent(facility)}%)`
        + (facility.overdue ? ` · 지연 ${facility.overdue}` : ''), facility,
        o.facilityHalfYear.byType.map(t => [typeNames[t.type] ?? t.type, t.progress]))));
  }

  item(id, summaryText, progress, rows) {
    const details = document.createElement('details');
    details.id = id;
    // Kept open across refreshes: a live update must not fold what an operator is reading.
    details.open = this.element.querySelector(`#${id}`)?.open ?? false;
    const summary = document.createElement('summary');
    summary.textContent = summaryText;
    summary.dataset.focusKey = id;
    const bar = document.createElement('progress');
    bar.max = progress.total || 1;
    bar.value = progress.done;
    bar.setAttribute('aria-hidden', 'true');
    summary.prepend(bar);
    const table = document.createElement('table');
    const caption = document.createElement('caption');
    caption.className = 'visually-hidden';
    caption.textContent = `${summaryText}: 나눠 보기`;
    table.append(caption);
    for (const [name, p] of rows) {
      const tr = document.createElement('tr');
      const th = document.createElement('th');
      th.scope = 'row';
      th.textContent = name;
      const td = document.createElement('td');
      td.textContent = `${p.done}/${p.total} (${percent(p)}%)${p.overdue ? ` · 지연 ${p.overdue}` : ''}`;
      if (p.overdue) td.className = 'overdue';
      tr.append(th, td);
      table.append(tr);
    }
    details.append(summary, table);
    return details;
  }
}
