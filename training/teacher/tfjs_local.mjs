// TF.js from local files only: the WASM backend's .wasm binaries come from its npm package and a graph model's
// JSON and weight shards are read from disk, so nothing is fetched at run time.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import * as tfc from '@tensorflow/tfjs-converter';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

const require = createRequire(import.meta.url);
setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + '/');
// One thread: labelling runs beside training on a 2-core machine, and results must not depend on thread count.
setThreadsCount(1);
await tf.setBackend('wasm');
await tf.ready();

export async function loadGraphModel(jsonPath) {
  const json = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
  const dir = path.dirname(jsonPath);
  const weights = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(dir, p)))));
  return tfc.loadGraphModel({
    load: async () => ({
      modelTopology: json.modelTopology, format: json.format, generatedBy: json.generatedBy,
      convertedBy: json.convertedBy, signature: json.signature,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    }),
  });
}

// Yields [index, Int32Array of rgb24 pixels] for frames from..to-1, every `every`-th, of a raw rgb24 stream, as
// frames arrive (a whole 80 s 768x576 clip is 1 GB of raw RGB).
export async function* readFrames(stream, width, height, every = 1, from = 0, to = Infinity) {
  const frameBytes = width * height * 3;
  let pending = Buffer.alloc(0), index = 0;
  for await (const chunk of stream) {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= frameBytes) {
      const frame = pending.subarray(0, frameBytes);
      pending = pending.subarray(frameBytes);
      if (index >= from && index < to && (index - from) % every === 0) yield [index, new Int32Array(frame)];
      index++;
    }
  }
}

export function parseArgs(argv) {
  return Object.fromEntries(argv.map((a) => a.replace(/^--/, '').split('=')));
}
