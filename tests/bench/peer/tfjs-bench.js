// The same three workloads as `agora_engine::bench`, written the fastest way TensorFlow.js
// offers (raw ops, variables, `optimizer.minimize`, batches uploaded once), and timed by the
// same rule: warm-up, then segments of ≥ min_steps steps and ≥ min_ms, each closed by one read;
// up to `segments` segments within `budget_ms`. Runs one backend per page load.
'use strict';

/** Mulberry32: a small seeded generator, so the synthetic data is the same every run. */
function generator(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** TensorFlow Playground's spiral, two classes, 500 points (as Agora's `data.rs`). */
function spiral(count, random) {
  const xs = new Float32Array(count * 2);
  const labels = new Int32Array(count);
  const half = count / 2;
  for (let i = 0; i < count; i++) {
    const label = i < half ? 0 : 1;
    const k = i % half;
    const r = (k / half) * 5;
    const t = (1.75 * k / half) * 2 * Math.PI + label * Math.PI;
    xs[i * 2] = r * Math.sin(t);
    xs[i * 2 + 1] = r * Math.cos(t);
    labels[i] = label;
  }
  return { xs, labels };
}

/**
 * Conv2DBackpropFilter is not registered for the wasm backend in TF.js 4.22, so a CNN cannot
 * train there as shipped. This re-registers Conv2D's gradient (stride 1, no dilation, NHWC)
 * with kernels wasm has: dW = transpose(conv2d(xᵀ, dyᵀ)), dx = conv2dTranspose(dy, W).
 */
function shimConv2dGradient() {
  tf.registerGradient({
    kernelName: 'Conv2D',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved;
      const pad = attrs.pad;
      return {
        x: () => tf.conv2dTranspose(dy, filter, x.shape, 1, pad),
        filter: () => {
          const xt = tf.transpose(x, [3, 1, 2, 0]);
          const dyt = tf.transpose(dy, [1, 2, 0, 3]);
          return tf.transpose(tf.conv2d(xt, dyt, 1, pad), [1, 2, 0, 3]);
        },
      };
    },
  });
}

function glorot(shape, random) {
  const fanIn = shape.length === 4 ? shape[0] * shape[1] * shape[2] : shape[0];
  const fanOut = shape.length === 4 ? shape[0] * shape[1] * shape[3] : shape[1];
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = (random() * 2 - 1) * limit;
  return tf.variable(tf.tensor(values, shape));
}

/** Builds a workload: its variables, its batches (on the backend), and a loss function. */
function build(workload, random) {
  if (workload === 'playground') {
    const batch = 10;
    const { xs, labels } = spiral(500, random);
    const order = Array.from({ length: 500 }, (_, i) => i).sort(() => random() - 0.5);
    const batches = [];
    for (let start = 0; start + batch <= 450; start += batch) {
      const x = new Float32Array(batch * 2);
      const y = new Float32Array(batch * 2);
      for (let j = 0; j < batch; j++) {
        const i = order[start + j];
        x[j * 2] = xs[i * 2]; x[j * 2 + 1] = xs[i * 2 + 1];
        y[j * 2 + labels[i]] = 1;
      }
      batches.push({ x: tf.tensor2d(x, [batch, 2]), y: tf.tensor2d(y, [batch, 2]) });
    }
    const w1 = glorot([2, 8], random), b1 = tf.variable(tf.zeros([8]));
    const w2 = glorot([8, 8], random), b2 = tf.variable(tf.zeros([8]));
    const w3 = glorot([8, 2], random), b3 = tf.variable(tf.zeros([2]));
    const loss = ({ x, y }) => {
      const h1 = tf.tanh(tf.add(tf.matMul(x, w1), b1));
      const h2 = tf.tanh(tf.add(tf.matMul(h1, w2), b2));
      return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(h2, w3), b3));
    };
    return { batch, batches, loss, vars: [w1, b1, w2, b2, w3, b3], last: b3 };
  }
  const batch = 64;
  const batches = [];
  for (let b = 0; b < 16; b++) {
    const x = new Float32Array(batch * 784);
    for (let i = 0; i < x.length; i++) x[i] = Math.floor(random() * 256) / 255;
    const y = new Float32Array(batch * 10);
    for (let j = 0; j < batch; j++) y[j * 10 + Math.floor(random() * 10)] = 1;
    const shape = workload === 'mlp' ? [batch, 784] : [batch, 28, 28, 1];
    batches.push({ x: tf.tensor(x, shape), y: tf.tensor2d(y, [batch, 10]) });
  }
  if (workload === 'mlp') {
    const w1 = glorot([784, 128], random), b1 = tf.variable(tf.zeros([128]));
    const w2 = glorot([128, 10], random), b2 = tf.variable(tf.zeros([10]));
    const loss = ({ x, y }) => {
      const h = tf.relu(tf.add(tf.matMul(x, w1), b1));
      return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(h, w2), b2));
    };
    return { batch, batches, loss, vars: [w1, b1, w2, b2], last: b2 };
  }
  const k1 = glorot([3, 3, 1, 8], random), c1 = tf.variable(tf.zeros([8]));
  const k2 = glorot([3, 3, 8, 16], random), c2 = tf.variable(tf.zeros([16]));
  const w = glorot([400, 10], random), b = tf.variable(tf.zeros([10]));
  const loss = ({ x, y }) => {
    let h = tf.relu(tf.add(tf.conv2d(x, k1, 1, 'valid'), c1));
    h = tf.maxPool(h, 2, 2, 'valid');
    h = tf.relu(tf.add(tf.conv2d(h, k2, 1, 'valid'), c2));
    h = tf.maxPool(h, 2, 2, 'valid');
    const logits = tf.add(tf.matMul(tf.reshape(h, [batch, 400]), w), b);
    return tf.losses.softmaxCrossEntropy(y, logits);
  };
  return { batch, batches, loss, vars: [k1, c1, k2, c2, w, b], last: b };
}

/**
 * Times `workload` on `backend`. Returns { backend, threads, segments (samples/s), steps,
 * batch } or { error }.
 */
window.runTfjs = async function runTfjs(backend, workload, plan, options = {}) {
  try {
    if (backend === 'wasm') tf.wasm.setWasmPaths(new URL('tfjs/tfjs-backend-wasm/dist/', location.href).href);
    if (!(await tf.setBackend(backend))) return { error: `backend ${backend} did not start` };
    await tf.ready();
    if (options.shim) shimConv2dGradient();
    const random = generator(1);
    const work = build(workload, random);
    const optimizer = tf.train.adam(1e-3);
    let next = 0;
    const steps = (count) => {
      for (let i = 0; i < count; i++) {
        const batch = work.batches[next++ % work.batches.length];
        optimizer.minimize(() => work.loss(batch), false, work.vars);
      }
    };
    const sync = async () => { await work.last.data(); };
    steps(plan.warmup_steps);
    await sync();
    const segments = [];
    let total = 0;
    const started = performance.now();
    while (segments.length < Math.max(1, plan.segments)
      && (segments.length === 0 || performance.now() - started < plan.budget_ms)) {
      const start = performance.now();
      let done = 0;
      let chunk = Math.max(1, Math.min(plan.min_steps, 10));
      for (;;) {
        steps(chunk);
        await sync();
        done += chunk;
        const elapsed = performance.now() - start;
        if (done >= plan.min_steps && elapsed >= plan.min_ms) {
          segments.push((done * work.batch) / (elapsed / 1000));
          break;
        }
        if (elapsed < plan.min_ms / 4) chunk = Math.min(chunk * 2, 1000);
      }
      total += done;
    }
    const threads = backend === 'wasm' && tf.wasm.getThreadsCount ? tf.wasm.getThreadsCount() : null;
    return { backend: tf.getBackend(), threads, segments, steps: total, batch: work.batch, tensors: tf.memory().numTensors };
  } catch (error) {
    return { error: String(error && error.message || error) };
  }
};
