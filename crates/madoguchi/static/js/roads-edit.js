// Staff map editing of a section (/staff/roads/map/sections/{id}): the vertices of the
// "経度, 緯度" text field become draggable markers; dragging one rewrites its line of the field,
// which is what the form saves. Without JavaScript the field is edited as text.
import * as maplibregl from '/static/vendor/maplibre-gl/maplibre-gl.mjs';

const el = document.getElementById('roads-edit-map');
const field = document.getElementById('f-vertices');
if (el && field) {
  const parse = () =>
    field.value
      .split('\n')
      .map((l) => l.replace(/[，、]/g, ',').split(/[\s,]+/).filter(Boolean).map(Number))
      .filter((p) => p.length === 2 && p.every(Number.isFinite));
  const pts = parse();
  const lons = pts.map((p) => p[0]);
  const lats = pts.map((p) => p[1]);
  const map = new maplibregl.Map({
    container: el,
    style: {
      version: 8,
      sources: {
        roads: { type: 'vector', tiles: [location.origin + el.dataset.tiles], minzoom: 10, maxzoom: 18 },
        edit: { type: 'geojson', data: { type: 'Feature', geometry: { type: 'LineString', coordinates: pts }, properties: {} } },
      },
      layers: [
        { id: 'background', type: 'background', paint: { 'background-color': '#f5f5f0' } },
        { id: 'sections', type: 'line', source: 'roads', 'source-layer': 'sections', paint: { 'line-color': '#949497', 'line-width': 3 } },
        { id: 'edit', type: 'line', source: 'edit', paint: { 'line-color': '#c8102e', 'line-width': 4 } },
      ],
    },
    bounds: [[Math.min(...lons), Math.min(...lats)], [Math.max(...lons), Math.max(...lats)]],
    fitBoundsOptions: { padding: 60, maxZoom: 19 },
    maxZoom: 21,
  });
  el.roadsMap = map;
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  const write = () => {
    field.value = pts.map((p) => `${p[0].toFixed(9)}, ${p[1].toFixed(9)}`).join('\n') + '\n';
    map.getSource('edit')?.setData({ type: 'Feature', geometry: { type: 'LineString', coordinates: pts }, properties: {} });
  };
  pts.forEach((p, i) => {
    const m = new maplibregl.Marker({ draggable: true, color: '#c8102e' }).setLngLat(p).addTo(map);
    const node = m.getElement();
    node.setAttribute('aria-label', `${el.dataset.markerLabel} ${i + 1}`);
    m.on('drag', () => {
      const ll = m.getLngLat();
      pts[i] = [ll.lng, ll.lat];
      write();
    });
  });
  map.on('load', () => {
    el.dataset.loaded = 'true';
  });
}
