// The public road map (/roads/map): MapLibre GL JS served from this server, vector tiles from
// /roads/tiles/{z}/{x}/{y}.mvt, no request to any other host unless a base map is configured
// (its URL and attribution come in data attributes). Everything here is an enhancement: the
// page's search, results and the list view (/roads/list) work without JavaScript.
import * as maplibregl from '/static/vendor/maplibre-gl/maplibre-gl.mjs';

const el = document.getElementById('roads-map');
if (el) {
  start(el);
}

function start(el) {
  const d = el.dataset;
  const sources = {
    roads: {
      type: 'vector',
      tiles: [location.origin + d.tiles],
      minzoom: Number(d.minzoom),
      maxzoom: Number(d.maxzoom),
      attribution: d.attribution,
    },
  };
  const layers = [{ id: 'background', type: 'background', paint: { 'background-color': '#f5f5f0' } }];
  if (d.basemap) {
    sources.basemap = {
      type: 'raster',
      tiles: [d.basemap],
      tileSize: 256,
      attribution: d.basemapAttribution,
    };
    layers.push({ id: 'basemap', type: 'raster', source: 'basemap' });
  }
  const selected = Number(d.selected || 0);
  layers.push(
    {
      id: 'road-area',
      type: 'line',
      source: 'roads',
      'source-layer': 'road_area',
      paint: {
        'line-color': ['match', ['get', 'boundary_status'], 'confirmed', '#1d6b35', '#a34700'],
        'line-width': 1.5,
        'line-dasharray': ['match', ['get', 'boundary_status'], 'confirmed', ['literal', [1, 0]], ['literal', [3, 2]]],
      },
    },
    {
      id: 'sections-casing',
      type: 'line',
      source: 'roads',
      'source-layer': 'sections',
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: {
        'line-color': '#ffffff',
        'line-width': ['interpolate', ['linear'], ['zoom'], 10, 2, 14, 5, 18, 16],
      },
    },
    {
      id: 'sections',
      type: 'line',
      source: 'roads',
      'source-layer': 'sections',
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: {
        'line-color': ['case', ['==', ['get', 'route_id'], selected], '#c8102e', '#0031d8'],
        'line-width': ['interpolate', ['linear'], ['zoom'], 10, 1, 14, 3, 18, 12],
      },
    },
    {
      id: 'boundary-points',
      type: 'circle',
      source: 'roads',
      'source-layer': 'boundary_points',
      paint: {
        'circle-radius': 3.5,
        'circle-color': '#ffffff',
        'circle-stroke-color': '#1a1a1c',
        'circle-stroke-width': 1.5,
      },
    },
  );
  const opts = {
    container: el,
    style: { version: 8, sources, layers },
    attributionControl: false,
    minZoom: Number(d.minzoom),
    maxZoom: 20,
    canvasContextAttributes: { preserveDrawingBuffer: true },
  };
  const bbox = (d.bbox || '').split(',').map(Number);
  if (bbox.length === 4 && bbox.every(Number.isFinite)) {
    opts.bounds = [[bbox[0], bbox[1]], [bbox[2], bbox[3]]];
    opts.fitBoundsOptions = { padding: 40, maxZoom: 17 };
  } else {
    opts.center = [Number(d.lon), Number(d.lat)];
    opts.zoom = Number(d.zoom);
  }
  const map = new maplibregl.Map(opts);
  el.roadsMap = map; // for tests and the print button
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric', maxWidth: 160 }), 'bottom-left');
  map.addControl(new maplibregl.AttributionControl({ compact: false }), 'bottom-right');

  const label = (v) => String(v ?? '');
  map.on('click', 'sections', (e) => {
    const f = e.features && e.features[0];
    if (!f) return;
    const p = f.properties;
    const box = document.createElement('div');
    box.className = 'roads-popup';
    const h = document.createElement('p');
    h.className = 'roads-popup__title';
    h.textContent = `${label(p.route_number)} ${label(p.route_name)}`;
    const info = document.createElement('p');
    info.textContent = `${d.labelSection} ${label(p.section_code)} / ${d.labelWidth} ${label(p.carriageway_width_m)} m`;
    const a = document.createElement('a');
    a.href = `/roads/list/${encodeURIComponent(p.route_id)}`;
    a.textContent = d.labelOpen;
    a.className = 'roads-popup__link';
    box.append(h, info, a);
    new maplibregl.Popup({ maxWidth: '320px' }).setLngLat(e.lngLat).setDOMContent(box).addTo(map);
    a.focus();
  });
  map.on('mouseenter', 'sections', () => {
    map.getCanvas().style.cursor = 'pointer';
  });
  map.on('mouseleave', 'sections', () => {
    map.getCanvas().style.cursor = '';
  });
  map.on('error', (e) => {
    console.error('map error:', e.error && e.error.message ? e.error.message : String(e.error || e));
  });
  map.on('load', () => {
    el.dataset.loaded = 'true';
  });

  window.addEventListener('beforeprint', () => map.resize());
  window.addEventListener('afterprint', () => map.resize());
}
