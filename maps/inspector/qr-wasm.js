// The QR decoder for browsers without BarcodeDetector: ZXing-C++ as WebAssembly (zxing-wasm). Its .wasm is served by this
// server under a content-hashed name (build.mjs copies it and compiles the address in): the package's default would fetch
// it from a CDN, which a phone in a playground may not reach and which this app's policy does not allow.
import { prepareZXingModule, readBarcodes } from 'zxing-wasm/reader';

prepareZXingModule({
  overrides: { locateFile: (path, prefix) => (path.endsWith('.wasm') ? ZXING_READER_WASM_URL : prefix + path) },
});

const canvas = document.createElement('canvas');
const context = canvas.getContext('2d', { willReadFrequently: true });

/** The QR codes in the video's current frame, as text. */
export async function decodeQr(video) {
  const { videoWidth: width, videoHeight: height } = video;
  if (!width || !height) return [];
  canvas.width = width;
  canvas.height = height;
  context.drawImage(video, 0, 0, width, height);
  const results = await readBarcodes(context.getImageData(0, 0, width, height), { formats: ['QRCode'], tryHarder: true, maxNumberOfSymbols: 4 });
  return results.filter(r => r.isValid).map(r => r.text);
}
