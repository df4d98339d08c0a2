// The page's Python: a module Web Worker that loads Pyodide and the requests wheels served with
// the page (python/vendor/, installed by `cargo xtask setup`), runs the learner's code, streams
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

async function boot() {
  const started = performance.now();
  post({ type: "progress", text: "Loading Python (Pyodide 314.0.8, about 6.5 MB)…" });
  const pyodide = await loadPyodide({ indexURL: here("./vendor/pyodide/") });
  pyodide.setStdout(writer("stdout"));
  pyodide.setStderr(writer("stderr"));
  post({ type: "progress", text: "Installing requests…" });
  const sitePackages = pyodide.runPython("import site; site.getsitepackages()[0]");
  const wheels = await (await fetch(here("./vendor/wheels/index.json"))).json();
  const archives = await Promise.all(
    wheels.map(async (name) => {
      const response = await fetch(here(`./vendor/wheels/${name}`));
      if (!response.ok) throw new Error(`${name}: ${response.status} ${response.statusText}`);
      return response.arrayBuffer();
    }),
  );
  for (const archive of archives) {
    pyodide.unpackArchive(archive, "wheel", { extractDir: sitePackages });
  }
  const transport = await (await fetch(here("./playground_transport.py"))).text();
  pyodide.FS.writeFile(`${sitePackages}/playground_transport.py`, transport);
  const module = pyodide.pyimport("playground_transport");
  module.exchange = exchange;
  const namespace = pyodide.globals.get("dict")();
  namespace.set("__name__", "__main__");
  post({ type: "ready", ms: performance.now() - started });
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
