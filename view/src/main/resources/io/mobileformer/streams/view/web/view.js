// The live view's page: one EventSource of the state; each camera's JPEG is fetched only when its version changes,
// then drawn on a canvas with its boxes. Plain script, no framework, nothing loaded from elsewhere.
'use strict';
const PALETTE = ['#ff4040', '#40dc40', '#40a0ff', '#ffc800', '#dc40ff', '#00dcdc', '#ff8a40', '#a0ff40'];
const tiles = new Map();
let largeId = null;

function color(label) {
  let h = 0;
  for (const ch of label) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return PALETTE[h % PALETTE.length];
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function tile(id) {
  let t = tiles.get(id);
  if (t) return t;
  document.getElementById('empty')?.remove();
  const div = el('div', 'tile');
  div.dataset.camera = id;
  div.dataset.frames = '0';
  const canvas = el('canvas');
  const meta = el('div', 'meta');
  div.append(canvas, meta);
  div.addEventListener('click', () => openLarge(largeId === id ? null : id));
  t = { id, div, canvas, meta, requested: 0, cam: null, img: null, frames: 0 };
  tiles.set(id, t);
  const grid = document.getElementById('grid');
  const after = [...grid.children].find(c => c.dataset.camera > id);
  grid.insertBefore(div, after || null);
  return t;
}

function draw(canvas, img, cam) {
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  canvas.style.aspectRatio = `${img.naturalWidth} / ${img.naturalHeight}`;
  const g = canvas.getContext('2d');
  g.drawImage(img, 0, 0);
  const sx = canvas.width / cam.imageWidth, sy = canvas.height / cam.imageHeight;
  const drawn = [];
  g.lineWidth = 2;
  g.font = 'bold 12px sans-serif';
  g.textBaseline = 'bottom';
  for (const b of cam.boxes) {
    const c = color(b.label);
    const [x0, y0, x1, y1] = [b.box[0] * sx, b.box[1] * sy, b.box[2] * sx, b.box[3] * sy];
    g.strokeStyle = c;
    g.strokeRect(x0, y0, x1 - x0, y1 - y0);
    const text = (b.track !== undefined ? '#' + b.track + ' ' : '') + b.label + ' ' + b.score.toFixed(2);
    const tw = g.measureText(text).width + 4, ty = Math.max(14, y0);
    g.fillStyle = c;
    g.fillRect(x0 - 1, ty - 14, tw, 14);
    g.fillStyle = '#000';
    g.fillText(text, x0 + 1, ty - 1);
    drawn.push([Math.round(x0), Math.round(y0), Math.round(x1), Math.round(y1), c]);
  }
  // what was drawn where, for anyone checking the page (the browser test reads it back with the pixels)
  canvas.dataset.boxes = JSON.stringify(drawn);
}

function metaLine(target, cam) {
  target.replaceChildren();
  const parts = [el('b', '', cam.id), ` · ${cam.fps} fps · ${cam.latencyMs ?? '–'} ms latency`];
  if (cam.engine) parts.push(` · ${cam.engine} · ${cam.boxes.length} boxes${cam.tracked ? ' (tracked)' : ''}`);
  if (cam.error) parts.push(el('span', 'err', ' · ' + cam.error));
  target.append(...parts);
  target.title = cam.model ? `${cam.model}; segment ${cam.segment} frame ${cam.frame} at ${cam.frameTime}; `
    + `inference ${cam.inferenceMs} ms; drawn in ${cam.renderMs} ms` : '';
}

function update(cam) {
  const t = tile(cam.id);
  t.div.classList.toggle('stale', cam.stale);
  if (!cam.version) {
    metaLine(t.meta, cam);
    return;
  }
  if (cam.version !== t.requested) {
    t.requested = cam.version;
    const img = new Image();
    img.onload = () => {
      if (cam.version < (t.cam?.version ?? 0)) return;
      t.img = img;
      t.cam = cam;
      t.frames++;
      t.div.dataset.frames = String(t.frames);
      t.div.dataset.boxes = String(cam.boxes.length);
      render(t);
    };
    img.src = `frame?camera=${encodeURIComponent(cam.id)}&v=${cam.version}`;
  } else if (t.cam && t.cam.version === cam.version && JSON.stringify(t.cam.boxes) !== JSON.stringify(cam.boxes)) {
    t.cam = cam; // track ids arrived after the frame was drawn
    render(t);
  }
}

function render(t) {
  draw(t.canvas, t.img, t.cam);
  metaLine(t.meta, t.cam);
  if (largeId === t.id) {
    draw(document.getElementById('large-canvas'), t.img, t.cam);
    metaLine(document.getElementById('large-meta'), t.cam);
  }
}

function openLarge(id) {
  largeId = id;
  document.getElementById('large').hidden = id === null;
  for (const t of tiles.values()) t.div.classList.toggle('open', t.id === id);
  if (id === null) return;
  document.getElementById('large-title').textContent = id;
  const t = tiles.get(id);
  if (t && t.img) render(t);
}

function time(ms) {
  return new Date(ms).toLocaleTimeString();
}

function deadLetters(list, total) {
  document.getElementById('dlq-total').textContent = total ? `(${total})` : '';
  const body = document.querySelector('#dlq tbody');
  if (!list.length) return;
  body.replaceChildren(...list.map(d => {
    const tr = el('tr');
    tr.append(el('td', '', time(d.time)), el('td', '', d.camera), el('td', '', d.stage),
      el('td', 'reason', d.reason), el('td', 'msg', d.message));
    tr.title = `${d.topic} offset ${d.offset}, ${d.bytes} bytes`;
    return tr;
  }));
}

function events(list, total) {
  document.getElementById('event-total').textContent = total ? `(${total})` : '';
  if (!list.length) return;
  document.getElementById('events').replaceChildren(...list.map(e =>
    el('li', '', `${time(e.time)} ${e.camera} ${e.type} ${e.text}`)));
}

function apply(s) {
  s.cameras.forEach(update);
  deadLetters(s.deadLetters, s.deadLetterTotal);
  events(s.events, s.eventTotal);
  const bad = Object.entries(s.undecodable).map(([k, v]) => `${v} undecodable on ${k}`).join(', ');
  document.getElementById('summary').textContent = `${s.cameras.length} camera(s) · topics ${s.topics.join(', ')}`
    + (bad ? ' · ' + bad : '') + (s.camerasRefused ? ` · ${s.camerasRefused} records of cameras over the limit` : '');
}

function status(text, on) {
  const e = document.getElementById('status');
  e.textContent = text;
  e.className = on ? 'on' : 'off';
}

document.getElementById('large-close').addEventListener('click', () => openLarge(null));
document.addEventListener('keydown', e => { if (e.key === 'Escape') openLarge(null); });
const source = new EventSource('events');
source.onopen = () => status('live', true);
source.onerror = () => status('reconnecting…', false);
source.onmessage = e => apply(JSON.parse(e.data));
