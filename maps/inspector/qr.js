// A plate's printed QR code through the camera. BarcodeDetector where the browser has it (Chrome for Android); everywhere
// else ZXing compiled to WebAssembly (qr-wasm.js), fetched only when the first scan needs it, from this server.
import { plateOf } from './plates.js';

/** A problem the inspector can act on, in words. */
export class QrProblem extends Error {}

const pause = ms => new Promise(resolve => setTimeout(resolve, ms));

/** The decoder this browser gets: { kind: 'native' | 'wasm', detect(video) → texts }. */
async function decoder() {
  if ('BarcodeDetector' in window) {
    try {
      if ((await window.BarcodeDetector.getSupportedFormats()).includes('qr_code')) {
        const native = new window.BarcodeDetector({ formats: ['qr_code'] });
        return { kind: 'native', detect: async video => (await native.detect(video)).map(code => code.rawValue) };
      }
    } catch {
      // A detector that cannot start is no detector: the WASM one below reads the same codes.
    }
  }
  const { decodeQr } = await import('./qr-wasm.js');
  return { kind: 'wasm', detect: decodeQr };
}

async function camera() {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new QrProblem('이 브라우저에서는 카메라를 쓸 수 없습니다. 휴대폰의 카메라 앱으로 QR 코드를 찍으면 표지가 이 앱에서 열립니다.');
  }
  try {
    return await navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: 'environment' } }, audio: false });
  } catch (error) {
    if (error.name === 'NotAllowedError') {
      throw new QrProblem('카메라 사용을 허용하지 않았습니다. 주소창 왼쪽의 사이트 설정에서 카메라를 허용한 뒤 다시 누르세요.');
    }
    if (error.name === 'NotFoundError' || error.name === 'OverconstrainedError') throw new QrProblem('이 휴대폰에서 카메라를 찾지 못했습니다.');
    throw new QrProblem(`카메라를 켜지 못했습니다 (${error.message}). 다른 앱이 카메라를 쓰고 있으면 닫고 다시 누르세요.`);
  }
}

/**
 * Shows the camera in <video> and resolves with the first plate seen ({ id, url as read, decoder }); a code that is not a
 * plate is reported through onStatus and the scan goes on. Rejects with a QrProblem when stopped or the camera is refused.
 */
export async function scanPlate(video, { signal, onStatus }) {
  const stream = await camera();
  try {
    video.srcObject = stream;
    await video.play();
    const { kind, detect } = await decoder();
    onStatus('표지의 QR 코드를 화면 가운데에 맞추세요.');
    let lastOther = null;
    while (!signal.aborted) {
      if (video.readyState >= 2) {
        for (const text of await detect(video)) {
          const plate = plateOf(text);
          if (plate) return { ...plate, decoder: kind };
          if (text !== lastOther) {
            lastOther = text;
            onStatus(`파주 현장안전 표지가 아닌 코드입니다 (${text.slice(0, 40)}). 시설에 붙은 표지를 찍으세요.`);
          }
        }
      }
      await pause(120);
    }
    throw new QrProblem('QR 스캔을 그만두었습니다.');
  } finally {
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  }
}
