// The room's map (MapLibre GL JS): the city outline and its 읍면동 from the OGC API, every asset kind from the vector
// tiles, and the pump stations coloured by their live state through feature-state — nothing rebuilt on a message.
import * as maplibregl from 'maplibre-gl';
import { upcomingUrl } from './events.js';

// eslint-disable-next-line no-undef
maplibregl.setWorkerUrl(MAPLIBRE_WORKER_URL);

export const REPORTS_URL = '/ogc/collections/reports/items?limit=1000';

// ISA-101: normal is grey; colour only for abnormal states, each also said in words (labels, the station list).
export const colours = {
  normal: '#5f6b7a',
  offline: '#6a1b9a',
  priority: { 1: '#b3261e', 2: '#a84300', 3: '#f9a825', 4: '#f9a825' },
  closed: '#b3261e',
  overdue: '#e65100',
};

const alarm = ['coalesce', ['feature-state', 'alarm'], 0];
const stationColour = ['case',
  ['==', alarm, 1], colours.priority[1],
  ['==', alarm, 2], colours.priority[2],
  ['>=', alarm, 3], colours.priority[3],
  ['boolean', ['feature-state', 'offline'], false], colours.offline,
  colours.normal];

/** The asset layers a person can toggle, with their legend swatch. */
const assetLayers = [
  { id: 'risk_district', title: '자연재해위험개선지구', type: 'fill', paint: { 'fill-color': '#9aa5b1', 'fill-opacity': 0.15, 'fill-outline-color': '#5f6b7a' } },
  { id: 'retention_basin', title: '유수지', type: 'fill', paint: { 'fill-color': '#7d8b99', 'fill-opacity': 0.35 } },
  { id: 'storage_tank', title: '저류조', type: 'fill', paint: { 'fill-color': '#7d8b99', 'fill-opacity': 0.5 } },
  { id: 'cable_zone', title: '공중케이블 정비구역', type: 'fill', paint: { 'fill-color': '#9aa5b1', 'fill-opacity': 0.2 } },
  { id: 'drainage_channel', title: '배수로', type: 'line', paint: { 'line-color': '#5f6b7a', 'line-width': 2 } },
  { id: 'embankment', title: '축제·호안', type: 'line', paint: { 'line-color': '#3d4752', 'line-width': 2, 'line-dasharray': [2, 1] } },
  { id: 'catch_basin', title: '집수정', type: 'circle', paint: { 'circle-color': '#7d8b99', 'circle-radius': 3 } },
  { id: 'drainage_structure', title: '배수구조물', type: 'circle', paint: { 'circle-color': '#7d8b99', 'circle-radius': 3 } },
  {
    id: 'playground', title: '어린이 놀이시설 (이용금지·점검 지연은 색)', type: 'circle',
    paint: {
      'circle-color': ['case', ['==', ['get', 'closed'], true], colours.closed, ['>', ['coalesce', ['get', 'n_closed'], 0], 0], colours.closed,
        ['==', ['get', 'overdue'], true], colours.overdue, ['>', ['coalesce', ['get', 'n_overdue'], 0], 0], colours.overdue, '#9aa5b1'],
      'circle-radius': ['case', ['==', ['get', 'cluster'], true], ['interpolate', ['linear'], ['get', 'count'], 1, 4, 50, 10, 500, 16], 4],
      // Also a shape: closed or overdue playgrounds (and clusters holding any) carry a thick dark ring.
      'circle-stroke-color': ['case', ['any', ['==', ['get', 'closed'], true], ['>', ['coalesce', ['get', 'n_closed'], 0], 0],
        ['==', ['get', 'overdue'], true], ['>', ['coalesce', ['get', 'n_overdue'], 0], 0]], '#1b1f24', '#ffffff'],
      'circle-stroke-width': ['case', ['any', ['==', ['get', 'closed'], true], ['>', ['coalesce', ['get', 'n_closed'], 0], 0]], 3,
        ['any', ['==', ['get', 'overdue'], true], ['>', ['coalesce', ['get', 'n_overdue'], 0], 0]], 2, 1],
    },
  },
  {
    id: 'public_facility', title: '공중이용시설', type: 'circle',
    paint: { 'circle-color': '#9aa5b1', 'circle-radius': ['case', ['==', ['get', 'cluster'], true], 7, 4], 'circle-stroke-color': '#3d4752', 'circle-stroke-width': 1 },
  },
];

/** Stations and pumps are their own restricted tilesets, never clustered, promoted by code for feature-state. */
const stationLayers = [
  { id: 'pump', title: '배수펌프', radius: 5 },
  { id: 'pump_station', title: '배수펌프장 (경보 순위·통신 두절은 색과 글자)', radius: 11 },
];

function areaCentre(geometry) {
  // The label goes at the middle of the largest ring's box: good enough for 읍면동 names, and needs no glyphs.
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  let best = null;
  for (const polygon of polygons) {
    const ring = polygon[0];
    const xs = ring.map(c => c[0]), ys = ring.map(c => c[1]);
    const box = [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
    const size = (box[2] - box[0]) * (box[3] - box[1]);
    if (!best || size > best.size) best = { size, centre: [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2] };
  }
  return best?.centre;
}

/** The public boundary layers (the room draws the city from them when no basemap is set or it is offline). */
async function boundaries(collection) {
  const answer = await fetch(`/ogc/collections/${collection}/items?limit=1000`, { credentials: 'same-origin' });
  if (!answer.ok) throw new Error(`${collection}: ${answer.status}`);
  const features = await answer.json();
  // Each dataset names the credit line its licence asks for; MapLibre shows it in the attribution control.
  const credits = [...new Set((features.features ?? []).map(f => f.properties?.attribution).filter(Boolean))];
  return { features, attribution: credits.join(' · ') };
}

export async function createMap(container, { basemap, onLayersReady } = {}) {
  const [areas, outline] = await Promise.all([boundaries('admin_areas'), boundaries('city_outline')]);
  const sources = {
    areas: { type: 'geojson', data: areas.features, attribution: areas.attribution },
    outline: { type: 'geojson', data: outline.features, attribution: outline.attribution === areas.attribution ? '' : outline.attribution },
    assets: { type: 'vector', url: '/tiles/all.json' },
    pump_station: { type: 'vector', url: '/tiles/pump_station.json', promoteId: { pump_station: 'code' } },
    pump: { type: 'vector', url: '/tiles/pump.json', promoteId: { pump: 'code' } },
    // Citizens' open reports (a signed-in OGC collection), read again when they change.
    reports: { type: 'geojson', data: REPORTS_URL },
    // Festivals and events not yet over, with their review state.
    events: { type: 'geojson', data: upcomingUrl(), promoteId: 'code' },
  };
  const layers = [{ id: 'background', type: 'background', paint: { 'background-color': '#eef1f4' } }];
  if (basemap) {
    sources.basemap = { type: 'raster', tiles: [basemap.url], tileSize: 256, attribution: basemap.attribution ?? '', maxzoom: 19 };
    layers.push({ id: 'basemap', type: 'raster', source: 'basemap', paint: { 'raster-saturation': -0.8, 'raster-opacity': 0.7 } });
  }
  layers.push(
    { id: 'areas-fill', type: 'fill', source: 'areas', paint: { 'fill-color': '#ffffff', 'fill-opacity': 0.6 } },
    { id: 'areas-line', type: 'line', source: 'areas', paint: { 'line-color': '#8a96a3', 'line-width': 1 } },
    { id: 'outline', type: 'line', source: 'outline', paint: { 'line-color': '#4a5561', 'line-width': 2.5 } });
  for (const l of assetLayers) {
    layers.push({ id: l.id, type: l.type, source: 'assets', 'source-layer': l.id, paint: l.paint });
  }
  layers.push({
    id: 'reports', type: 'circle', source: 'reports',
    paint: {
      'circle-color': ['case', ['==', ['get', 'urgent'], true], colours.priority[1], colours.priority[3]],
      'circle-radius': 7, 'circle-stroke-color': '#1b1f24', 'circle-stroke-width': 2,
    },
  });
  layers.push({
    id: 'events', type: 'circle', source: 'events',
    paint: {
      // A square-ish look is not available without glyphs: a larger ring with a grey or, for an overdue plan, orange fill.
      'circle-color': ['case', ['==', ['get', 'plan_overdue'], true], colours.overdue, '#9aa5b1'],
      'circle-radius': 9, 'circle-stroke-color': '#1b1f24', 'circle-stroke-width': 3,
    },
  });
  for (const l of stationLayers) {
    layers.push({
      id: l.id, type: 'circle', source: l.id, 'source-layer': l.id,
      paint: { 'circle-color': stationColour, 'circle-radius': l.radius, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2 },
    });
  }
  const map = new maplibregl.Map({
    container,
    style: { version: 8, sources, layers },
    bounds: [[126.67, 37.70], [126.98, 37.97]],
    fitBoundsOptions: { padding: 20 },
    attributionControl: { compact: true },
    cooperativeGestures: false,
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
  await new Promise(resolve => map.once('load', resolve));

  // 읍면동 names as HTML labels: no glyph server is needed, and they read the same offline.
  for (const feature of areas.features.features ?? []) {
    const centre = feature.geometry && areaCentre(feature.geometry);
    if (!centre) continue;
    const label = document.createElement('span');
    label.className = 'area-label';
    label.textContent = feature.properties.name;
    new maplibregl.Marker({ element: label }).setLngLat(centre).addTo(map);
  }
  // The boundaries' credit lines, for the page's footer as well as the map's attribution control.
  map.boundaryCredits = [...new Set([areas.attribution, outline.attribution].filter(Boolean))];
  onLayersReady?.([...stationLayers.map(l => ({ id: l.id, title: l.title, kind: 'station' })),
    { id: 'reports', title: '시민 신고 (처리 중; 긴급은 빨강)', kind: 'report' },
    { id: 'events', title: '지역축제·행사 (계획서 기한 지남은 주황)', kind: 'event' },
    ...assetLayers.map(l => ({ id: l.id, title: l.title, kind: l.type }))]);
  return map;
}

/** Reads the open reports again (a new one, one triaged or closed). */
export function refreshReports(map) {
  map.getSource("reports")?.setData(REPORTS_URL);   // the OGC API refuses unknown parameters, so no cache-buster: its answers are not cached
}

/** The asset layers a click can open (clusters have no code: a click on one zooms in instead). */
export const clickableAssetLayers = assetLayers.map(l => l.id);

/**
 * An asset's state changed (closed, graded, overdue): its tiles are fetched again. The tiles are cacheable for a minute,
 * so the new request carries a fresh version in its address rather than waiting for the cache.
 */
export function refreshAssets(map) {
  const source = map.getSource('assets');
  const template = source?.tiles?.[0];
  if (!template) return;
  const url = new URL(template.replace('{z}/{x}/{y}', '0/0/0'), location.href);
  url.searchParams.set('v', String(Date.now()));
  source.setTiles([url.href.replace('/0/0/0', '/{z}/{x}/{y}')]);
}

/** Reads the upcoming events again (a step of a review, a new event). */
export function refreshEvents(map) {
  map.getSource('events')?.setData(upcomingUrl());
}

/** Dark ground for the wall at night (the basemap, when there is one, is dimmed rather than replaced). */
export function setDark(map, dark) {
  map.setPaintProperty('background', 'background-color', dark ? '#1b2026' : '#eef1f4');
  map.setPaintProperty('areas-fill', 'fill-color', dark ? '#262d35' : '#ffffff');
  map.setPaintProperty('areas-line', 'line-color', dark ? '#5b6673' : '#8a96a3');
  map.setPaintProperty('outline', 'line-color', dark ? '#aab4bf' : '#4a5561');
  if (map.getLayer('basemap')) map.setPaintProperty('basemap', 'raster-brightness-max', dark ? 0.45 : 1);
}

const symbolSizes = { circle: ['circle-radius', 'circle-stroke-width'], line: ['line-width'] };
const symbolBase = new Map();
let symbolScale = 1;

/**
 * The map's dots and lines at k times their desk size: on a 4K wall the type doubles (1rem follows the width), and the
 * stations and assets must grow with it to read from across the room. None of these sizes depends on the zoom, so a
 * product with the desk value (a number or a data expression) is a valid paint value.
 */
export function setSymbolScale(map, k) {
  if (k === symbolScale) return;   // a resize that leaves the scale as it was repaints nothing
  symbolScale = k;
  for (const layer of map.getStyle().layers) {
    for (const property of symbolSizes[layer.type] ?? []) {
      const key = `${layer.id}|${property}`;
      if (!symbolBase.has(key)) symbolBase.set(key, map.getPaintProperty(layer.id, property));
      const base = symbolBase.get(key);
      if (base === undefined) continue;
      map.setPaintProperty(layer.id, property, k === 1 ? base : typeof base === 'number' ? base * k : ['*', k, base]);
    }
  }
}

/** Turns a layer on or off. */
export function setLayerVisible(map, id, visible) {
  map.setLayoutProperty(id, 'visibility', visible ? 'visible' : 'none');
}

/** A station's live state on the map: alarm priority (0 none), offline. */
export function setStationState(map, code, state) {
  map.setFeatureState({ source: 'pump_station', sourceLayer: 'pump_station', id: code }, state);
}

/** A word beside each station on the map, so its state reads without colour. */
export function stationLabel(map, code, lngLat, offsetY = 0) {
  const element = document.createElement('span');
  element.className = 'station-label';
  const marker = new maplibregl.Marker({ element, anchor: 'left', offset: [16, offsetY] }).setLngLat(lngLat).addTo(map);
  // Class toggles, not className: the marker's own class (its positioning) must stay.
  return {
    set(text, state) {
      element.textContent = text;
      element.classList.toggle('alarm', state === 'alarm');
      element.classList.toggle('offline', state === 'offline');
      element.classList.toggle('stale', state === 'stale');
    },
    marker,
  };
}
