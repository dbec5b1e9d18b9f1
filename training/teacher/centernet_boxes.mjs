// The cross-check teacher: MobileNetV3-CenterNet (512 x 512, RGB 0-255, NHWC), whose output is already final
// boxes: tower_0/detections [1, 100, 6] = x1, y1, x2, y2, score, class in input pixels. It has no licence
// upstream, so it is used only to verify how NanoDet's raw outputs are decoded, never as a source of labels.
// stdin: rgb24 frames W x H; stdout: one JSON line per frame {"frame": i, "boxes": [[x1,y1,x2,y2,score,class],..]}
// in source pixels.
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel, parseArgs, readFrames } from './tfjs_local.mjs';

const args = parseArgs(process.argv.slice(2));
const W = +args.width, H = +args.height, SIDE = 512, MIN = +(args['min-score'] || 0.2);
const model = await loadGraphModel(args.model);
for await (const [index, frame] of readFrames(process.stdin, W, H, +(args.every || 1), +(args.from || 0), +(args.to || Infinity))) {
  const out = tf.tidy(() => {
    const img = tf.cast(tf.tensor3d(frame, [H, W, 3], 'int32'), 'float32');
    const x = tf.expandDims(tf.image.resizeBilinear(img, [SIDE, SIDE], false, true), 0);
    return model.execute(x, 'tower_0/detections');
  });
  const d = await out.data();
  out.dispose();
  const boxes = [];
  for (let i = 0; i < d.length / 6; i++) {
    const [x1, y1, x2, y2, s, c] = d.subarray(6 * i, 6 * i + 6);
    if (s >= MIN) boxes.push([x1 * W / SIDE, y1 * H / SIDE, x2 * W / SIDE, y2 * H / SIDE, +s.toFixed(4), c]);
  }
  process.stdout.write(JSON.stringify({ frame: index, boxes }) + '\n');
}
