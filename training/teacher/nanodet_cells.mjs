// Runs the NanoDet teacher (TF.js graph model, WASM backend, one thread) over raw RGB frames and prints, per
// frame, the raw output cells that could hold an object of interest. Decoding (bins -> boxes, NMS, class map)
// is done in Python (training/mobile_former/teacher.py) so that it is unit-tested on a recorded fixture.
//
// stdin:  concatenated frames, rgb24, W x H each (W, H given on the command line)
// stdout: one JSON line per frame: {"frame": i, "tile": [x0, y0, w, h], "cells": [[stride, index, s_0.., d_0..43], ..]}
//
// Tiles: each frame is run whole and, with --tiles CxR, also as C x R overlapping crops (each resized to the
// network's 416 x 416), so that small people are seen at about twice the scale. A cell is kept when any class
// listed in --classes scores at least --min-score (the scores are already sigmoid outputs).
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel, parseArgs, readFrames } from './tfjs_local.mjs';

const args = parseArgs(process.argv.slice(2));
const W = +args.width, H = +args.height;
const MODEL = args.model;                        // path to nanodet.json
const CLASSES = (args.classes || '0,2,3,5,7').split(',').map(Number);
const MIN = +(args['min-score'] || 0.05);
const [TC, TR] = (args.tiles || '1x1').split('x').map(Number);
const SIDE = 416;
// Upstream NanoDet normalisation, in BGR order (scored better on vtest than the packager's x / 255).
const MEAN_BGR = [103.53, 116.28, 123.675], STD_BGR = [57.375, 57.12, 58.395];
// Output tensor names from the model's signature: scores then distributions, strides 8, 16, 32.
const OUTS = [['Identity:0', 'Identity_3:0', 8], ['Identity_1:0', 'Identity_4:0', 16], ['Identity_2:0', 'Identity_5:0', 32]];

const model = await loadGraphModel(MODEL);

function tiles() {
  const out = [[0, 0, W, H]];
  if (TC * TR > 1) {
    // Overlap of 1/4 tile between neighbours, so a person cut by one tile border is whole in the next tile.
    const tw = Math.round(W / (TC - (TC - 1) * 0.25)), th = Math.round(H / (TR - (TR - 1) * 0.25));
    for (let r = 0; r < TR; r++) for (let c = 0; c < TC; c++) {
      const x0 = TC === 1 ? 0 : Math.round(c * (W - tw) / (TC - 1));
      const y0 = TR === 1 ? 0 : Math.round(r * (H - th) / (TR - 1));
      out.push([x0, y0, tw, th]);
    }
  }
  return out;
}

async function runTile(frame, [x0, y0, tw, th]) {
  const outs = tf.tidy(() => {
    // Functional ops only: the chained-op methods (t.slice, ...) are not registered by tfjs-core alone.
    const img = tf.cast(tf.slice(tf.tensor3d(frame, [H, W, 3], 'int32'), [y0, x0, 0], [th, tw, 3]), 'float32');
    const sized = tf.image.resizeBilinear(img, [SIDE, SIDE], false, true);   // stretch, pixel-centre aligned
    const bgr = tf.reverse(sized, -1);
    const norm = tf.div(tf.sub(bgr, tf.tensor1d(MEAN_BGR)), tf.tensor1d(STD_BGR));
    const nchw = tf.expandDims(tf.transpose(norm, [2, 0, 1]), 0);           // [1, 3, 416, 416]
    return model.execute(nchw, OUTS.flatMap(([s, d]) => [s, d]));
  });
  const cells = [];
  for (let k = 0; k < OUTS.length; k++) {
    const scores = await outs[2 * k].data(), dists = await outs[2 * k + 1].data();
    const n = scores.length / 80;
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (const c of CLASSES) best = Math.max(best, scores[i * 80 + c]);
      if (best < MIN) continue;
      const row = [OUTS[k][2], i];
      for (const c of CLASSES) row.push(+scores[i * 80 + c].toFixed(4));
      for (let j = 0; j < 44; j++) row.push(+dists[i * 44 + j].toFixed(3));
      cells.push(row);
    }
  }
  outs.forEach((t) => t.dispose());
  return cells;
}

const every = +(args.every || 1);
const t0 = Date.now();
let ran = 0;
for await (const [index, frame] of readFrames(process.stdin, W, H, every, +(args.from || 0), +(args.to || Infinity))) {
  for (const t of tiles()) {
    const cells = await runTile(frame, t);
    process.stdout.write(JSON.stringify({ frame: index, tile: t, classes: CLASSES, cells }) + '\n');
  }
  ran++;
}
process.stderr.write(`nanodet: ${ran} frames in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
