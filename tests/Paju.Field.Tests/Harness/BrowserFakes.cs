namespace Paju.Field.Tests.Harness;

/// <summary>
/// Stand-ins for what only Chrome on Android has (Web NFC, BarcodeDetector), injected before a
/// page's scripts with <see cref="WebSession.InjectAsync"/>. A test "taps a tag" or "shows a
/// plate" by calling window.__paju.tap(url, serial) / window.__paju.show(text).
/// </summary>
public static class BrowserFakes
{
    /// <summary>NDEFReader whose scan() resolves and which fires 'reading' with one URL record on each tap.</summary>
    public const string NdefReader = """
        (() => {
          const paju = (window.__paju ??= {});
          const readers = [];
          class NDEFReader extends EventTarget {
            constructor() { super(); this.onreading = null; this.onreadingerror = null; }
            async scan(options) {
              if (paju.nfcDenied) throw new DOMException('NFC permission denied', 'NotAllowedError');
              readers.push(this);
            }
          }
          paju.tap = (url, serialNumber = '04:a2:24:1a:6d:5e:80') => {
            const data = new TextEncoder().encode(url);
            for (const reader of readers) {
              const event = new Event('reading');
              event.serialNumber = serialNumber;
              event.message = { records: [{ recordType: 'url', mediaType: null, id: '', encoding: null, data: new DataView(data.buffer) }] };
              reader.dispatchEvent(event);
              reader.onreading?.(event);
            }
            return readers.length;
          };
          window.NDEFReader = NDEFReader;
        })();
        """;

    /// <summary>BarcodeDetector that finds whatever the test last showed it, as a QR code.</summary>
    public const string BarcodeDetector = """
        (() => {
          const paju = (window.__paju ??= {});
          paju.shown = null;
          paju.show = text => { paju.shown = text; };
          class BarcodeDetector {
            constructor(options) { this.formats = options?.formats ?? ['qr_code']; }
            static async getSupportedFormats() { return ['qr_code']; }
            async detect(source) {
              return paju.shown === null ? [] : [{ rawValue: paju.shown, format: 'qr_code', boundingBox: new DOMRectReadOnly(0, 0, 100, 100), cornerPoints: [] }];
            }
          }
          window.BarcodeDetector = BarcodeDetector;
        })();
        """;
}
