// A photo made ready to send, on the phone: when and where it was taken read from its EXIF first (drawing it on a canvas
// drops EXIF), then made no larger than the statute's record needs — at most 1600 px on the long side and 500 KB of
// JPEG, upright whatever way the phone was held. A photo already that small is sent as it is, EXIF and all.
// (Resized by hand on a canvas: the compression packages on npm fetch their web worker from a CDN by default.)
import exifr from 'exifr/dist/mini.esm.mjs';

export const MaxSide = 1600;
export const MaxBytes = 500 * 1024;

/** A problem with one photo, in words. */
export class PhotoProblem extends Error {}

/** "2026:11:30 14:05:09" and "+09:00" → an ISO instant; a camera without an offset wrote Korean local time. */
function instant(dateTime, offset) {
  const match = /^(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})/.exec(dateTime ?? '');
  if (!match) return null;
  const [, y, mo, d, h, mi, s] = match;
  const zone = /^[+-]\d{2}:\d{2}$/.test(offset ?? '') ? offset : '+09:00';
  const at = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}${zone}`);
  return Number.isNaN(at.getTime()) ? null : at.toISOString();
}

// exifr's smallest build has no tag dictionary: tags come by number (EXIF 2.32).
const Tag = { Orientation: 0x0112, DateTime: 0x0132, OffsetTime: 0x9010, DateTimeOriginal: 0x9003, OffsetTimeOriginal: 0x9011 };

/** What the photo's EXIF says: { takenAt, position, orientation }, each null when it says nothing. */
async function readExif(file) {
  try {
    const tags = await exifr.parse(file, { tiff: true, exif: true, gps: true, reviveValues: false, translateValues: false });
    const lat = tags?.latitude, lon = tags?.longitude;
    return {
      takenAt: instant(tags?.[Tag.DateTimeOriginal] ?? tags?.[Tag.DateTime], tags?.[Tag.OffsetTimeOriginal] ?? tags?.[Tag.OffsetTime]),
      position: Number.isFinite(lat) && Number.isFinite(lon) && !(lat === 0 && lon === 0) ? { lat: +lat.toFixed(7), lon: +lon.toFixed(7) } : null,
      orientation: tags?.[Tag.Orientation] ?? 1,
    };
  } catch {
    return { takenAt: null, position: null, orientation: 1 };
  }
}

const encode = (canvas, quality) => new Promise(resolve => canvas.toBlob(resolve, 'image/jpeg', quality));

/** Draws the photo upright at most MaxSide wide or high, and steps the JPEG quality (then the size) down until it fits MaxBytes. */
async function shrink(bitmap) {
  let scale = Math.min(1, MaxSide / Math.max(bitmap.width, bitmap.height));
  for (;;) {
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    for (const quality of [0.85, 0.75, 0.65, 0.55]) {
      const blob = await encode(canvas, quality);
      if (blob && blob.size <= MaxBytes) return { blob, width: canvas.width, height: canvas.height };
    }
    scale *= 0.8;
  }
}

async function sha256Hex(blob) {
  const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return [...new Uint8Array(digest)].map(b => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The photo as it will be sent: its bytes (resized when needed), their SHA-256, and when and where it was taken — from its
 * EXIF (source "exif"), else the phone's own position and the moment it was chosen (source "device"), else nothing ("none").
 */
export async function preparePhoto(file, here, chosenAt = new Date()) {
  const exif = await readExif(file);
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    throw new PhotoProblem(`${file.name}: 사진으로 읽을 수 없는 파일입니다. 카메라로 다시 찍거나 JPEG·PNG 사진을 고르세요.`);
  }
  let blob = file, width = bitmap.width, height = bitmap.height;
  try {
    const fits = file.type === 'image/jpeg' && file.size <= MaxBytes && exif.orientation <= 1 && Math.max(width, height) <= MaxSide;
    if (!fits) ({ blob, width, height } = await shrink(bitmap));
  } finally {
    bitmap.close();
  }
  // One source per photo, never mixed: what its EXIF says, or else what the phone knew when the photo was chosen.
  const fromExif = exif.takenAt !== null || exif.position !== null;
  return {
    id: crypto.randomUUID(), blob, sha256: await sha256Hex(blob), bytes: blob.size, name: file.name, type: 'image/jpeg', sent: false,
    width, height, originalBytes: file.size,
    takenAt: fromExif ? exif.takenAt : chosenAt.toISOString(),
    position: fromExif ? exif.position : here ? { lat: here.lat, lon: here.lon } : null,
    accuracy: fromExif ? null : here?.accuracy ?? null,
    source: fromExif ? 'exif' : 'device',
  };
}

/** How the photo will be sent, in a line under its input. */
export function photoLine(photo) {
  const size = `${photo.width}×${photo.height}, ${Math.round(photo.bytes / 1024)} KB`;
  const from = photo.source === 'exif'
    ? `사진 정보(EXIF)의 ${photo.position ? '시각·위치' : '시각 (위치 없음)'}`
    : `휴대폰의 ${photo.position ? '시각·위치' : '시각 (위치를 찾지 못함)'}`;
  return `${photo.name}: ${size}${photo.bytes < photo.originalBytes ? ` (원본 ${Math.round(photo.originalBytes / 1024)} KB에서 줄임)` : ''} · ${from}`;
}
