// 이용금지 on the spot: the statute's follow-ups of a closure and their due dates, counted in Asia/Seoul from today the
// same way the server counts them (its rule comes with the day's snapshot, so the phone shows them offline too).

/** Today's date in Seoul as [year, month, day]. */
export function seoulToday(now = new Date()) {
  const [y, m, d] = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Seoul', year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(now).split('-').map(Number);
  return [y, m, d];
}

const daysIn = (y, m) => new Date(Date.UTC(y, m, 0)).getUTCDate();

/** A date plus whole months then days; a month end past the shorter month's last day stops at that day (as .NET's AddMonths). */
export function addPeriod([y, m, d], months, days) {
  const total = y * 12 + (m - 1) + months;
  const year = Math.floor(total / 12), month = total % 12 + 1;
  const base = Date.UTC(year, month - 1, Math.min(d, daysIn(year, month)));
  const at = new Date(base + days * 86_400_000);
  return [at.getUTCFullYear(), at.getUTCMonth() + 1, at.getUTCDate()];
}

export const isoDate = ([y, m, d]) => `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;

const koreanDate = ([y, m, d]) => `${y}년 ${m}월 ${d}일`;

/** The follow-ups of a closure made today: [{ kind, label, dueOn (yyyy-mm-dd), dueText }]. */
export function closureFollowUps(rule, now = new Date()) {
  const today = seoulToday(now);
  return (rule ?? []).map(step => {
    const due = addPeriod(today, step.months ?? 0, step.days ?? 0);
    return { kind: step.kind, label: step.label, dueOn: isoDate(due), dueText: step.months || step.days ? `${koreanDate(due)}까지` : '오늘 바로' };
  });
}
