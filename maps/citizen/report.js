// The report form works without this script; with it, a phone does two things better:
//  - photos are made smaller before they go (a 12 MP photo is 3–8 MB; its long edge at 2048 px is a few hundred KB,
//    plenty to see a broken chain), so five of them go through on one bar of signal;
//  - the phone's position can be added, for a hazard away from the plate.
const MAX_EDGE = 2048;
const QUALITY = 0.85;

const form = document.querySelector('form.report-form');
const photos = form.querySelector('#photos');
const photoStatus = form.querySelector('#photo-status');
const submit = form.querySelector('button[type=submit]');
const locate = form.querySelector('#locate');
const locationStatus = form.querySelector('#location-status');

const mb = bytes => bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function shrink(file) {
  // HEIC cannot be drawn by most browsers; it goes as it is, and the server's limits apply.
  if (!/^image\/(jpeg|png|webp)$/.test(file.type)) return file;
  const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  const scale = Math.min(1, MAX_EDGE / Math.max(bitmap.width, bitmap.height));
  if (scale === 1 && file.size <= 1024 * 1024) {
    bitmap.close();
    return file;
  }
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  const blob = await new Promise(resolve => canvas.toBlob(resolve, 'image/jpeg', QUALITY));
  return blob && blob.size < file.size ? new File([blob], file.name.replace(/\.[^.]+$/, '') + '.jpg', { type: 'image/jpeg' }) : file;
}

photos.addEventListener('change', async () => {
  const chosen = [...photos.files];
  if (chosen.length === 0) {
    photoStatus.textContent = '';
    return;
  }
  submit.disabled = true;
  photoStatus.textContent = `사진 ${chosen.length}장을 보내기 좋게 줄이는 중…`;
  try {
    const smaller = await Promise.all(chosen.map(shrink));
    const list = new DataTransfer();
    smaller.forEach(f => list.items.add(f));
    photos.files = list.files;
    const before = chosen.reduce((n, f) => n + f.size, 0);
    const after = smaller.reduce((n, f) => n + f.size, 0);
    photoStatus.textContent = after < before
      ? `사진 ${smaller.length}장, ${mb(before)}에서 ${mb(after)}로 줄였습니다.`
      : `사진 ${smaller.length}장, 모두 ${mb(after)}입니다.`;
  } catch {
    photoStatus.textContent = '사진을 줄이지 못해 그대로 보냅니다.';
  } finally {
    submit.disabled = false;
  }
});

if (locate && 'geolocation' in navigator) {
  locate.hidden = false;
  locate.addEventListener('click', () => {
    locationStatus.textContent = '위치를 찾는 중…';
    navigator.geolocation.getCurrentPosition(
      position => {
        form.elements.lat.value = position.coords.latitude.toFixed(6);
        form.elements.lon.value = position.coords.longitude.toFixed(6);
        form.elements.accuracy.value = Math.round(position.coords.accuracy);
        locationStatus.textContent = `현재 위치를 넣었습니다 (오차 약 ${Math.round(position.coords.accuracy)} m).`;
      },
      () => { locationStatus.textContent = '위치를 알 수 없습니다. 위치 없이 보내도 표지의 시설로 접수됩니다.'; },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
}
