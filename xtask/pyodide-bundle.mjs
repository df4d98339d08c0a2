// Builds python/vendor/bundle/ for the page's Python (run by `cargo xtask setup`, see
// xtask/src/pyodide.rs): Pyodide's python_stdlib.zip with bytecode beside the modules the page
// imports, and site-packages.zip (the five wheels) with bytecode. Pyodide ships its stdlib as
// source only, so without this every cold start compiles ~150 modules in WebAssembly.
//
// The bytecode is made by the same Pyodide the page runs (Node loads it here), so it matches
// that interpreter exactly; it is "unchecked-hash" .pyc, used without looking at the source's
// mtime, which an archive does not keep reliably. The sources stay in both archives, for
// tracebacks.
//
// Usage: node xtask/pyodide-bundle.mjs <python dir>   (reads <dir>/vendor/, writes <dir>/vendor/bundle/)
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const python = resolve(process.argv[2] ?? "python");
const vendor = join(python, "vendor");
const { loadPyodide } = await import(pathToFileURL(join(vendor, "pyodide", "pyodide.mjs")).href);
const pyodide = await loadPyodide({ indexURL: join(vendor, "pyodide") + "/" });
const sitePackages = pyodide.runPython("import site; site.getsitepackages()[0]");
for (const name of JSON.parse(readFileSync(join(vendor, "wheels", "index.json"), "utf8"))) {
  const bytes = new Uint8Array(readFileSync(join(vendor, "wheels", name)));
  pyodide.unpackArchive(bytes, "wheel", { extractDir: sitePackages });
}
pyodide.FS.writeFile(
  `${sitePackages}/playground_transport.py`,
  readFileSync(join(python, "playground_transport.py"), "utf8"),
);

// What the page does on a first run: the transport, then the chapter's kind of code, each
// request answered here as the page would, so every module they import is seen.
pyodide.setStdout({ batched: () => {} });
pyodide.setStderr({ batched: () => {} });
const transport = pyodide.pyimport("playground_transport");
transport.exchange = (request) => {
  const { method } = JSON.parse(request);
  return JSON.stringify({
    status: 200,
    reason: "OK",
    headers: [
      { name: "Content-Type", value: "application/json" },
      { name: "Set-Cookie", value: "session=eyJ2aXNpdHMiOjF9.aAAAAA.c2ln; HttpOnly; Path=/" },
    ],
    body: JSON.stringify({ message: `Welcome, cobra! (${method})` }),
  });
};
const namespace = pyodide.globals.get("dict")();
namespace.set("__name__", "__main__");
const ok = transport.run(
  `import requests
with requests.Session() as s:
    s.auth = ("cobra", "hiss")
    r = s.get("http://localhost:5000/greeting")
    s.post("http://localhost:5000/logout", json={"bye": True})
    print(r.json(), r.headers, s.cookies, r.request.headers)
print(requests.get("http://localhost:5000/greeting", auth=("cobra", "hiss"), timeout=5).text)
raise ValueError("a traceback, as a learner's error prints one")
`,
  "exec",
  namespace,
);
if (ok !== false) throw new Error("the sample run should have ended with its ValueError");
transport.run(JSON.stringify(["1 + 1", "r.status_code"]), "console", namespace);

const out = join(vendor, "bundle");
mkdirSync(out, { recursive: true });
pyodide.runPython(`
import compileall, importlib.util, os, shutil, sys, zipfile
from importlib._bootstrap_external import _code_to_hash_pyc
from py_compile import PycInvalidationMode

stdlib = next(p for p in sys.path if p.endswith(".zip"))
imported = set()
for module in list(sys.modules.values()):
    origin = getattr(getattr(module, "__spec__", None), "origin", None) or ""
    if origin.startswith(stdlib + "/") and origin.endswith(".py"):
        imported.add(origin[len(stdlib) + 1 :])

with zipfile.ZipFile(stdlib) as src, zipfile.ZipFile("/tmp/python_stdlib.zip", "w", zipfile.ZIP_DEFLATED) as dst:
    for info in src.infolist():
        data = src.read(info)
        dst.writestr(info, data)
        if info.filename in imported:
            code = compile(data, info.filename, "exec", dont_inherit=True)
            pyc = _code_to_hash_pyc(code, importlib.util.source_hash(data), checked=False)
            entry = zipfile.ZipInfo(info.filename + "c", info.date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, bytes(pyc))

# The transport is served on its own and written at every start: no stale copy in the bundle.
for stale in ("playground_transport.py", "__pycache__"):
    path = os.path.join("${sitePackages}", stale)
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.exists(path):
        os.remove(path)
compileall.compile_dir("${sitePackages}", quiet=1, invalidation_mode=PycInvalidationMode.UNCHECKED_HASH)
shutil.make_archive("/tmp/site-packages", "zip", "${sitePackages}")
print(len(imported))
`);
for (const name of ["python_stdlib.zip", "site-packages.zip"]) {
  writeFileSync(join(out, name), pyodide.FS.readFile(`/tmp/${name}`));
}
console.log(`pyodide-bundle: wrote ${out}/python_stdlib.zip and site-packages.zip`);
