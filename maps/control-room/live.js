// The live feed: the snapshot first (/api/live/state), then /api/live from its id. EventSource reconnects by itself and
// sends Last-Event-ID, so an outage loses nothing the server still keeps; 'reset' means the gap was too long and the
// snapshot is read again. While it is down the room says so, with the age of the last data.
export class LiveFeed {
  constructor({ onState, onEvent, onReset, onStatus }) {
    Object.assign(this, { onState, onEvent, onReset, onStatus });
    this.lastDataAt = null;
    this.connected = false;
    setInterval(() => this.report(), 1000);
  }

  async start() {
    const snapshot = await fetch('/api/live/state', { credentials: 'same-origin' }).then(r => {
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      return r.json();
    });
    this.onState(snapshot.devices, true);
    this.lastDataAt = Date.now();
    this.open(snapshot.lastEventId);
  }

  open(lastEventId) {
    this.source?.close();
    const source = new EventSource(`/api/live?lastEventId=${lastEventId}`);
    this.source = source;
    source.onopen = () => { this.connected = true; this.lastDataAt = Date.now(); this.report(); };
    source.onerror = () => { this.connected = false; this.report(); };
    // A refused session (401) ends the stream for good; EventSource gives up by itself and the banner says so.
    source.addEventListener('state', e => { this.seen(); this.onState(JSON.parse(e.data).devices, false); });
    source.addEventListener('reset', async () => {
      this.seen();
      source.close();
      await this.onReset();
      await this.start();
    });
    for (const type of ['alarm.raised', 'alarm.cleared', 'alarm.acknowledged', 'alarm.shelved', 'alarm.unshelved', 'asset.state', 'device.status',
      'inspection.filed', 'event.step']) {
      source.addEventListener(type, e => { this.seen(); this.onEvent(type, JSON.parse(e.data)); });
    }
    // Heartbeats are comments (': …'), which EventSource does not surface; an open connection is data enough.
  }

  seen() {
    this.lastDataAt = Date.now();
  }

  report() {
    const age = this.lastDataAt ? Math.round((Date.now() - this.lastDataAt) / 1000) : null;
    this.onStatus(this.connected, age);
  }
}
