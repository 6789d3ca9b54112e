// The control room: the map of the Ulgok stations and the city's assets, the alarm table, the live feed.
import { clickableAssetLayers, createMap, refreshAssets, refreshEvents, refreshReports, setDark, setLayerVisible, setStationState, setSymbolScale, stationLabel } from './map.js';
import { AssetPanel, searchBox } from './asset-panel.js';
import { CampaignStrip } from './campaign.js';
import { EventList } from './events.js';
import { StationPanel } from './station-panel.js';
import { AlarmTable } from './alarms.js';
import { LiveFeed } from './live.js';
import { seoulClock, seoulTime } from './seoul.js';
import { api } from '../shared/api.js';

const $ = id => document.getElementById(id);
/** The server's Paju:ControlRoom settings: the optional basemap, and after how long values are old. */
const config = JSON.parse($('room-config')?.textContent || '{}');
/** Values older than this are greyed: a station that stopped talking must not look current. */
const STALE_SECONDS = config.staleSeconds ?? 120;
const FLOOD_COUNT = 10;
const FLOOD_MINUTES = 10;

const room = { stations: new Map(), devices: new Map(), raisedTimes: [] };
window.pajuRoom = room;   // for the room's own tests: the map's projection of a station

// Signing out or leaving: stop asking at once, even while the room is still starting (a request after the session
// ended would only be refused). The live stream is left to the navigation to end.
const leave = () => { room.leaving = true; };
document.querySelector('.who form')?.addEventListener('submit', leave);
window.addEventListener('pagehide', leave);

setInterval(() => { $('clock').textContent = seoulClock(new Date()); }, 1000);
$('clock').textContent = seoulClock(new Date());

const panel = new StationPanel($('station-panel'));
room.panel = panel;
const assetPanel = new AssetPanel($('asset-panel'));
room.assetPanel = assetPanel;
// One panel at a time over the map.
const openStation = code => { assetPanel.close(); return panel.show(code); };
const openAsset = (kind, code) => {
  if (kind === 'pump_station') return openStation(code);
  panel.close();
  return assetPanel.show(kind, code);
};
const campaign = new CampaignStrip($('campaign'));
room.campaign = campaign;

// Wall mode: ?wall=1 on the wall's browser (its kiosk is full screen already), or the toggle, which also asks for full screen.
function setWall(on) {
  // A wall shows alarms rather than a legend: turning wall mode on folds it (one click opens it), so it covers no map.
  if (on) document.querySelector('.legend')?.removeAttribute('open');
  document.body.classList.toggle('wall', on);
  document.documentElement.classList.toggle('wall', on);
  $('wall-mode').setAttribute('aria-pressed', String(on));
  $('wall-mode').textContent = on ? '보통 표시' : '벽면 표시';
  if (room.map) {
    setDark(room.map, on);
    setSymbolScale(room.map, wallScale());
    room.map.resize();
  }
  const url = new URL(location.href);
  if (on) url.searchParams.set('wall', '1'); else url.searchParams.delete('wall');
  history.replaceState(null, '', url);
}
/** How much the map's dots and lines grow on the wall: with its type, from 1 on a 1920 screen to 2 on a 3840 one. */
function wallScale() {
  if (!document.body.classList.contains('wall')) return 1;
  const rem = parseFloat(getComputedStyle(document.documentElement).fontSize);
  return Math.round(Math.min(2.5, Math.max(1, rem / 24)) * 4) / 4;   // in quarter steps: a resize by a few pixels changes nothing
}
addEventListener('resize', () => { if (room.map) setSymbolScale(room.map, wallScale()); });
$('wall-mode').addEventListener('click', async () => {
  const on = !document.body.classList.contains('wall');
  setWall(on);
  try {
    if (on && !document.fullscreenElement) await document.documentElement.requestFullscreen?.();
    if (!on && document.fullscreenElement) await document.exitFullscreen();
  } catch {
    // Full screen refused (a kiosk, a policy): wall mode stands without it.
  }
});

const alarms = new AlarmTable({
  rows: $('alarm-rows'), count: $('alarm-count'), empty: $('no-alarms'), ackSelected: $('ack-selected'), selectAll: $('select-all'),
  ackDialog: $('ack-dialog'), shelveDialog: $('shelve-dialog'),
  onFly: code => {
    const station = room.stations.get(code);
    if (station) room.map.flyTo({ center: station.lngLat, zoom: 15 });
  },
});

// A new alarm is seen and, where the browser allows and the operator turned it on, heard.
let sound = null;
$('sound').addEventListener('click', () => {
  sound = sound ? null : new AudioContext();
  $('sound').setAttribute('aria-pressed', String(!!sound));
  $('sound').textContent = sound ? '새 경보 소리 끄기' : '새 경보 소리 켜기';
});
function cue(message) {
  const banner = $('new-alarm');
  banner.textContent = `새 경보: ${message}`;
  banner.hidden = false;
  clearTimeout(cue.timer);
  cue.timer = setTimeout(() => { banner.hidden = true; }, 15000);
  if (sound) {
    const tone = sound.createOscillator();
    tone.frequency.value = 880;
    tone.connect(sound.destination);
    tone.start();
    tone.stop(sound.currentTime + 0.4);
  }
}

function flood() {
  const since = Date.now() - FLOOD_MINUTES * 60_000;
  room.raisedTimes = room.raisedTimes.filter(t => t >= since);
  const element = $('flood');
  element.hidden = room.raisedTimes.length <= FLOOD_COUNT;
  element.textContent = `경보 폭주: ${FLOOD_MINUTES}분 동안 새 경보 ${room.raisedTimes.length}건 — 1순위부터 보세요`;
}

/** Each station's colour and words from its device's state and its open alarms. */
function paintStations() {
  const now = Date.now();
  const worst = new Map();
  for (const alarm of alarms.alarms) {
    // A shelved alarm is out of sight until it returns (ISA-18.2): it colours nothing meanwhile.
    if (alarm.clearedAt || !alarm.asset || (alarm.shelvedUntil && Date.parse(alarm.shelvedUntil) > now)) continue;
    worst.set(alarm.asset, Math.min(worst.get(alarm.asset) ?? 9, alarm.priority));
  }
  const list = [];
  const signature = [];
  for (const [code, station] of room.stations) {
    const device = [...room.devices.values()].find(d => d.asset === code);
    const offline = device ? device.online === false : false;
    const age = device?.lastSeenAt ? (now - Date.parse(device.lastSeenAt)) / 1000 : null;
    const stale = age !== null && age > STALE_SECONDS;
    const alarm = worst.get(code) ?? 0;
    if (room.map) setStationState(room.map, code, { alarm, offline });
    // Old values are not "normal": the words say so, and the values are greyed (the time they were read stays).
    const words = alarm ? `경보 ${alarm}순위` : offline ? '통신 두절' : stale ? '자료 오래됨' : '정상';
    station.label?.set(`${station.name} · ${words}`, alarm ? 'alarm' : offline ? 'offline' : stale ? 'stale' : '');
    const li = document.createElement('li');
    li.className = alarm ? 'abnormal' : offline ? 'offline' : '';
    // The name opens the station's panel (a button: the keyboard gets there too).
    const title = document.createElement('button');
    title.type = 'button';
    title.className = 'link';
    title.dataset.station = code;
    title.textContent = `${station.name} — ${words}`;
    title.addEventListener('click', () => openStation(code));
    const values = document.createElement('div');
    values.className = `values ${stale ? 'stale' : ''}`;
    const m = device?.metrics ?? {};
    const value = key => (m[key]?.value ?? m[key]);
    const parts = [];
    if (value('basin_level_m') !== undefined) parts.push(`유수지 수위 ${Number(value('basin_level_m')).toFixed(2)} m`);
    if (value('tank_level_m') !== undefined) parts.push(`저류조 수위 ${Number(value('tank_level_m')).toFixed(2)} m`);
    if (value('basin_fill_pct') !== undefined) parts.push(`채움 ${Number(value('basin_fill_pct')).toFixed(0)}%`);
    const pumps = Object.keys(m).filter(k => /^pump\d+_running$/.test(k)).sort();
    if (pumps.length) {
      const running = pumps.filter(k => value(k) === true || value(k) === 1).length;
      const faults = Object.keys(m).filter(k => /^pump\d+_fault$/.test(k) && (value(k) === true || value(k) === 1)).length;
      parts.push(`펌프 ${running}/${pumps.length}대 가동${faults ? `, 고장 ${faults}대` : ''}`);
    }
    values.textContent = parts.join(' · ') + (stale ? ` (마지막 자료 ${seoulTime(device.lastSeenAt)}, 오래됨)` : '');
    li.append(title, values);
    list.push(li);
    signature.push(li.className, title.textContent, values.className, values.textContent);
  }
  // Repainted every second for ageing values: the list is replaced only when it reads differently, so focus stays put.
  const key = signature.join('|');
  if (key !== paintStations.last) {
    const focused = document.activeElement?.dataset?.station;
    $('stations').replaceChildren(...list);
    if (focused) $('stations').querySelector(`[data-station="${focused}"]`)?.focus();
    paintStations.last = key;
  }
}

async function refreshAlarms() {
  if (room.leaving) return;
  try {
    await alarms.refresh();
  } catch (e) {
    $('no-alarms').hidden = false;
    $('no-alarms').textContent = `경보를 불러오지 못했습니다: ${e.message}`;
  }
  paintStations();
}

function applyDevices(devices, snapshot) {
  for (const d of devices) {
    const known = room.devices.get(d.device) ?? { device: d.device, asset: d.asset, metrics: {} };
    if (snapshot) {
      room.devices.set(d.device, { ...d });
      continue;
    }
    for (const [k, v] of Object.entries(d.metrics ?? {})) known.metrics[k] = { value: v, ts: d.ts };
    if (panel.open && (known.asset ?? d.asset) === panel.code) {
      panel.append(d.metrics ?? {}, d.ts);
      panel.refresh().catch(() => {});
    }
    known.lastSeenAt = d.ts ?? known.lastSeenAt;
    known.online = true;
    room.devices.set(d.device, known);
  }
  paintStations();
}

/**
 * The alarm table and the live feed, started before the map: a wall's first 4K frame or a slow basemap can take many
 * seconds on the room's PC, and alarms come first. What an event does to the map waits for the map.
 */
async function startFeed() {
  await refreshAlarms();
  if (room.leaving) return;
  const feed = new LiveFeed({
    onState: applyDevices,
    onReset: refreshAlarms,
    onEvent: async (type, data) => {
      if (type === 'alarm.raised') {
        room.raisedTimes.push(Date.now());
        flood();
        cue(data.message);
      }
      if (type.startsWith('alarm.')) {
        await refreshAlarms();
        if (panel.open) panel.refresh().catch(() => {});
        if (room.map) refreshReports(room.map);   // an urgent report raises an alarm; triage clears it
      }
      if (type === 'inspection.filed' || type === 'asset.state') campaign.soon();
      if (type === 'asset.state') {
        if (room.map) refreshAssets(room.map);
        if (assetPanel.open && data.assets?.some(a => a.code === assetPanel.current?.code)) assetPanel.refresh().catch(() => {});
      }
      if (type === 'event.step') {
        if (room.map) refreshEvents(room.map);
        room.events?.refresh().catch(() => {});
      }
      if (type === 'device.status') {
        const known = room.devices.get(data.device) ?? { device: data.device, asset: data.asset, metrics: {} };
        room.devices.set(data.device, { ...known, online: data.online });
        paintStations();
      }
    },
    onStatus: (connected, age) => {
      const element = $('feed-state');
      element.classList.toggle('lost', !connected);
      element.textContent = connected ? '실시간 연결됨' : `연결 끊김 — 마지막 자료 ${age ?? '?'}초 전`;
    },
  });
  // Reports that are not urgent raise no alarm, and events change by the day: both are read again every minute.
  setInterval(() => {
    if (room.leaving || !room.map) return;
    refreshReports(room.map);
    refreshEvents(room.map);
    room.events?.refresh().catch(() => {});
  }, 60_000);
  let wasConnected = true;
  setInterval(async () => {
    // Back after a gap: EventSource resumes the events by itself; the table is read again to be sure nothing is off.
    if (feed.connected && !wasConnected) await refreshAlarms();
    wasConnected = feed.connected;
    alarms.render();
    paintStations();   // values age without a message: a silent station turns stale on its own
  }, 1000);
  await feed.start();
}

/** The stations' list, read beside the map: it names each station and its values before the map has drawn. */
async function listStations() {
  const stations = await api('/ogc/collections/pump_station/items?limit=100');
  // Stations of one district sit a few hundred metres apart: at city zoom their labels would pile up, so each is
  // stacked by latitude (north on top) around its point.
  const byLatitude = [...stations.features].sort((a, b) => b.geometry.coordinates[1] - a.geometry.coordinates[1]);
  byLatitude.forEach((f, i) => {
    const offsetY = (i - (byLatitude.length - 1) / 2) * 24;
    room.stations.set(f.properties.code, { name: f.properties.name, lngLat: f.geometry.coordinates, offsetY });
  });
  paintStations();
}

async function main() {
  const feedStarted = startFeed().catch(failed);
  const stationsListed = listStations();
  stationsListed.catch(() => {});   // awaited below, after the map: a failure shows there, not as an unhandled rejection
  // The campaign strip sits above the map: drawn late, it would push the alarm table down under the operator's pointer.
  const campaignRead = campaign.refresh().catch(() => {});
  const map = await createMap($('map'), {
    basemap: config.basemap,
    onLayersReady: layers => {
      $('layers').replaceChildren(...layers.map(layer => {
        const li = document.createElement('li');
        const label = document.createElement('label');
        const box = document.createElement('input');
        box.type = 'checkbox';
        box.checked = true;
        box.addEventListener('change', () => setLayerVisible(room.map, layer.id, box.checked));
        const swatch = document.createElement('span');
        swatch.className = `swatch ${layer.kind === 'line' ? 'line' : layer.kind === 'fill' ? 'area' : ''}`;
        swatch.style.background = layer.kind === 'station' ? '#5f6b7a' : layer.kind === 'report' ? '#f9a825' : '#9aa5b1';
        label.append(box, swatch, document.createTextNode(layer.title));
        li.append(label);
        return li;
      }));
    },
  });
  room.map = map;
  // A station or an asset clicked on the map opens its panel; a cluster zooms in.
  for (const layer of ['pump_station', ...clickableAssetLayers]) {
    map.on('click', layer, e => {
      const p = e.features?.[0]?.properties ?? {};
      if (p.cluster) map.easeTo({ center: e.lngLat, zoom: map.getZoom() + 2 });
      else if (p.code) openAsset(layer === 'pump_station' ? 'pump_station' : (p.kind ?? layer), p.code);
    });
    map.on('mouseenter', layer, () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', layer, () => { map.getCanvas().style.cursor = ''; });
  }
  searchBox($('search'), $('search-results'), found => {
    map.flyTo({ center: found.at, zoom: Math.max(map.getZoom(), 16) });
    openAsset(found.kind, found.code);
  });
  $('credit').textContent = [...map.boundaryCredits, config.basemap?.attribution && `배경지도: ${config.basemap.attribution}`]
    .filter(Boolean).join(' · ');
  await stationsListed;
  for (const [code, station] of room.stations) station.label = stationLabel(map, code, station.lngLat, station.offsetY);
  const events = new EventList({
    list: $('events'), title: $('events-title'), previous: $('events-previous'), next: $('events-next'),
    onFly: at => room.map.flyTo({ center: at, zoom: 15 }),
  });
  room.events = events;
  await Promise.all([events.refresh(), campaignRead]);
  if (new URLSearchParams(location.search).get('wall') === '1') setWall(true);
  room.ready = true;
  room.readyAt = performance.now();   // for the room's benchmark: interactive, from the navigation's start
  paintStations();   // the stations' labels and colours, from what the feed has brought meanwhile
  await feedStarted;
}

// A laptop's map is small, and a wall shows alarms rather than a legend: the legend starts folded there (one click opens it).
if (window.innerHeight < 900 || new URLSearchParams(location.search).get('wall') === '1') document.querySelector('.legend')?.removeAttribute('open');

function failed(e) {
  $('feed-state').textContent = `상황실 화면을 열지 못했습니다: ${e.message}`;
  $('feed-state').classList.add('lost');
}

main().catch(failed);
