// The page's Python: a module Web Worker that loads Pyodide and the requests bundle served with
// the page (python/vendor/, installed and bundled by `cargo xtask setup`), runs the learner's code, streams
// its output and hands every HTTP request to the page. The messages are documented in
// python/README.md (run, output, exchange, stop); the page's side is src/python.rs.
import { loadPyodide } from "./vendor/pyodide/pyodide.mjs";

const here = (path) => new URL(path, import.meta.url).href;
const post = (message) => self.postMessage(message);

/** Answers the page has not sent yet, by exchange number. */
const waiting = new Map();
let lastExchange = 0;
/** The run whose output is being streamed. */
let currentRun = 0;

function exchange(requestJson) {
  const id = ++lastExchange;
  post({ type: "exchange", exchange: id, request: requestJson });
  return new Promise((resolve) => waiting.set(id, resolve));
}

function writer(stream) {
  const decoder = new TextDecoder();
  return {
    write(bytes) {
      const text = decoder.decode(bytes, { stream: true });
      if (text) post({ type: "output", run: currentRun, stream, text });
      return bytes.length;
    },
  };
}

/** Milliseconds since the worker was created (its `performance.timeOrigin`) when this module
 * began to run: the worker itself and `pyodide.mjs` fetched and parsed. */
const moduleStarted = performance.now();

/** When the response for `path` (a file under this folder) had arrived, by Resource Timing. */
function arrived(path) {
  const url = here(path);
  const entry = performance.getEntriesByType("resource").find((e) => e.name === url);
  return entry ? entry.responseEnd : null;
}

async function fetchBytes(path) {
  const response = await fetch(here(path));
  if (!response.ok) throw new Error(`${path}: ${response.status} ${response.statusText}`);
  return response.arrayBuffer();
}

async function boot() {
  const started = performance.now();
  post({ type: "progress", text: "Loading Python (Pyodide 314.0.8, about 6.5 MB)…" });
  // The wheels and the transport come while the runtime compiles: nothing waits on them.
  const sitePackagesZip = fetchBytes("./vendor/bundle/site-packages.zip");
  const transport = fetch(here("./playground_transport.py")).then((r) => r.text());
  sitePackagesZip.catch(() => {});
  transport.catch(() => {});
  // The bundle's stdlib carries bytecode for what the page imports (xtask/pyodide-bundle.mjs).
  const pyodide = await loadPyodide({
    indexURL: here("./vendor/pyodide/"),
    stdLibURL: here("./vendor/bundle/python_stdlib.zip"),
  });
  const runtimeLoaded = performance.now();
  pyodide.setStdout(writer("stdout"));
  pyodide.setStderr(writer("stderr"));
  post({ type: "progress", text: "Installing requests…" });
  const sitePackages = pyodide.runPython("import site; site.getsitepackages()[0]");
  pyodide.unpackArchive(await sitePackagesZip, "zip", { extractDir: sitePackages });
  pyodide.FS.writeFile(`${sitePackages}/playground_transport.py`, await transport);
  const unpacked = performance.now();
  const module = pyodide.pyimport("playground_transport");
  module.exchange = exchange;
  const namespace = pyodide.globals.get("dict")();
  namespace.set("__name__", "__main__");
  const ready = performance.now();
  // Where the time went: milestones in ms since the worker was created (python/README.md).
  const milestones = [
    ["worker.mjs and pyodide.mjs loaded", moduleStarted],
    ["pyodide.asm.wasm arrived", arrived("./vendor/pyodide/pyodide.asm.wasm")],
    ["python_stdlib.zip arrived", arrived("./vendor/bundle/python_stdlib.zip")],
    ["loadPyodide done", runtimeLoaded],
    ["site-packages unpacked", unpacked],
    ["requests and the transport imported", ready],
  ]
    .filter(([, ms]) => ms !== null)
    .map(([name, ms]) => ({ name, ms: Math.round(ms) }));
  post({ type: "ready", ms: ready - started, milestones });
  return { run: module.run, namespace };
}

let python = null;
let loaded = false;

self.onmessage = async (event) => {
  const message = event.data;
  if (message.type === "answer") {
    const resolve = waiting.get(message.exchange);
    waiting.delete(message.exchange);
    if (resolve) resolve(message.response);
    return;
  }
  if (message.type === "load") {
    // The page expects a run soon (a learner is at an editor): load Python now.
    python ??= boot();
    python.then(() => (loaded = true)).catch(() => (python = null));
    return;
  }
  if (message.type !== "run") return;
  try {
    python ??= boot();
    const { run, namespace } = await python;
    loaded = true;
    currentRun = message.run;
    const ok = await run.callPromising(message.code, message.mode, namespace);
    post({ type: "done", run: message.run, ok: Boolean(ok) });
  } catch (error) {
    // A failed load is tried again on the next run.
    if (!loaded) python = null;
    post({ type: "done", run: message.run, ok: false, error: String(error?.stack ?? error) });
  }
};
