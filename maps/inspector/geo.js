// Where the phone is, and how far that is from an asset — the server measures for the record (to a line's or a
// polygon's nearest point); this is the phone's own estimate to warn before a check-in the server would flag.

/** The phone's position, or null with the reason in Korean. */
export function locate() {
  return new Promise(resolve => {
    if (!('geolocation' in navigator)) {
      resolve({ position: null, problem: '이 기기에서는 위치를 알 수 없습니다.' });
      return;
    }
    navigator.geolocation.getCurrentPosition(
      p => resolve({ position: { lat: p.coords.latitude, lon: p.coords.longitude, accuracy: p.coords.accuracy }, problem: null }),
      e => resolve({ position: null, problem: e.code === 1 ? '위치 권한이 없습니다. 브라우저 설정에서 위치를 허용하세요.' : '위치를 잡지 못했습니다. 하늘이 보이는 곳에서 다시 해 보세요.' }),
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
  });
}

/** Great-circle distance in metres. */
export function distance(a, b) {
  const r = 6371008.8;
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * r * Math.asin(Math.sqrt(h));
}

/** What the server's rules would say about a check-in here (same thresholds, sent with the assets). */
export function presence(metres, accuracy, rules) {
  const warnings = [];
  if (accuracy > rules.warnAccuracyMetres) warnings.push(`위치 정확도가 낮습니다 (±${Math.round(accuracy)} m).`);
  if (metres > rules.flagBeyondMetres + accuracy) warnings.push(`시설에서 너무 멉니다 (약 ${Math.round(metres)} m). 이대로 체크인하면 확인 대상으로 표시됩니다.`);
  else if (metres > Math.max(rules.passMetres, accuracy)) warnings.push(`시설 가까이라고 확인하기 어렵습니다 (약 ${Math.round(metres)} m).`);
  return warnings;
}

export const metresText = m => (m >= 1000 ? `${(m / 1000).toFixed(1)} km` : `${Math.round(m)} m`);
