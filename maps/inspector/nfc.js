// Web NFC: a plate's tag tapped on the phone. Only Chrome for Android has NDEFReader (HTTPS, page visible, permission
// asked inside a tap on a button); everywhere else the phone's own system opens the tag's URL, which reaches the app
// through /t/… — so this is a faster path, never the only one.
import { plateOf } from './plates.js';

export const nfcAvailable = () => 'NDEFReader' in window;

/** A problem the inspector can act on, in words. */
export class NfcProblem extends Error {}

/** "04:a2:24:1a:6d:5e:90" as Web NFC reports it → "04A2241A6D5E90" as the server stores a UID; null when it is not one. */
export function uidOf(serialNumber) {
  const hex = (serialNumber ?? '').replaceAll(':', '').toUpperCase();
  return /^([0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{20})$/.test(hex) ? hex : null;
}

function urlsOf(message) {
  const urls = [];
  for (const record of message?.records ?? []) {
    if (record.recordType === 'url' || record.recordType === 'absolute-url') {
      urls.push(new TextDecoder(record.encoding ?? 'utf-8').decode(record.data));
    }
  }
  return urls;
}

/**
 * Waits for one tap (call from a click: the permission is asked inside the gesture). Resolves with the plate — its id, the
 * URL exactly as read (a SUN URL's picc_data and cmac untouched) and the chip's UID — or rejects with an NfcProblem.
 */
export async function readPlate(signal) {
  const reader = new window.NDEFReader();
  const tapped = new Promise((resolve, reject) => {
    reader.addEventListener('reading', ({ serialNumber, message }) => {
      const urls = urlsOf(message);
      const plate = urls.map(plateOf).find(Boolean);
      if (!plate) {
        reject(new NfcProblem(urls.length
          ? `이 태그의 주소(${urls[0].slice(0, 60)})는 파주 현장안전 표지가 아닙니다. 시설에 붙은 표지의 태그를 대세요.`
          : '이 태그에는 주소가 없습니다. 파주 현장안전 표지의 태그가 아닙니다.'));
        return;
      }
      resolve({ ...plate, uid: uidOf(serialNumber) });
    }, { once: true });
    reader.addEventListener('readingerror', () => reject(new NfcProblem('태그를 끝까지 읽지 못했습니다. 휴대폰 뒷면을 태그에 댄 채로 잠시 기다리세요.')), { once: true });
    signal?.addEventListener('abort', () => reject(new NfcProblem('태그 읽기를 그만두었습니다.')), { once: true });
  });
  try {
    await reader.scan({ signal });
  } catch (error) {
    if (error.name === 'NotAllowedError') {
      throw new NfcProblem('NFC 사용을 허용하지 않았습니다. 주소창 왼쪽의 사이트 설정에서 NFC를 허용한 뒤 다시 누르세요. QR 스캔이나 태그 없이 체크인할 수도 있습니다.');
    }
    if (error.name === 'NotSupportedError' || error.name === 'NotReadableError') {
      throw new NfcProblem('이 휴대폰에서 NFC를 쓸 수 없습니다. 휴대폰 설정에서 NFC를 켜거나, QR 코드를 스캔하세요.');
    }
    if (error.name === 'AbortError') throw new NfcProblem('태그 읽기를 그만두었습니다.');
    throw new NfcProblem(`NFC를 시작하지 못했습니다 (${error.message}).`);
  }
  return tapped;
}
