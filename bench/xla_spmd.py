#!/usr/bin/env python3
"""The GPU check's xlaspmd stage, XLA's side: hlo4j's sharded programs compiled by XLA for N partitions.

Usage: xla_spmd.py DIR [JAVA_COMMAND...]
       xla_spmd.py --probe-plugin [SITE_DIR...]   (only the CPU plugin search below, in SITE_DIR first; no JAX needed)

DIR is what runtime/src/test/pjrt-gpu/io/hlo4j/gpucheck/XlaSpmdEmit.java wrote: per program the StableHLO text hlo4j sends a PJRT plugin
(NAME.mlir, with sdy.mesh, sdy.sharding and mhlo.num_partitions), hlo4j's serialized CompileOptionsProto
(NAME.options.pb: N partitions on devices 0..N-1, SPMD, Shardy), global inputs, the global results of hlo4j's
interpreter (NAME.want<i>.npy), and manifest.json with each argument's and result's mesh and dimension axes.

Each program is compiled with jaxlib's client API on JAX's CPU backend with 8 simulated devices
(--xla_force_host_platform_device_count=8): CompileOptions.ParseFromString(hlo4j's bytes), then
client.compile_and_load(text, devices, options) (fallbacks: the ir.Module overload through
jax._src.compiler.backend_compile_and_load, then the older client.compile(text, options)); the line says which ran.
Inputs are placed by JAX itself (jax.device_put with a NamedSharding built from the manifest), the executable runs with
execute_sharded, and every device's block of every result is compared with the interpreter's global result sliced at
that device's index (JAX's devices_indices_map), so a wrong block, a wrong placement or a wrong copy all show:
  xlaspmd <name> (<N> partitions, <path>): <results> results, <blocks> blocks, max rel err <e> -> ok|FAIL (tol 1e-4)
XLA's refusal prints its message verbatim. Without JAX (import fails) that part is one FAIL line and the rest still
runs. Every program's failure (a timeout, a missing file) is its own FAIL line; the last line is always
XLASPMD OK or XLASPMD FAILED: n.

Then it looks for a PJRT C API plugin for the CPU (a .so exporting GetPjrtApi other than a CUDA plugin) in the
site-packages folders (GPU_CHECK_SITE first, when set), prints what it found, and if it found one and JAVA_COMMAND is given, runs hlo4j's own PJRT
binding on it with 8 devices (JAVA_COMMAND io.hlo4j.cli.Main run NAME.mlir --input ... --pjrt-plugin SO
--pjrt-option cpu_device_count=8) and compares the same way:  xlaspmd-pjrt <name> ... -> ok|FAIL.
"""
import glob
import json
import os
import site
import subprocess
import sys
import tempfile

os.environ["JAX_PLATFORMS"] = "cpu"   # no GPU client: it would take 75% of the GPU's memory for nothing, and 8 CPU devices are wanted
# 8 CPU devices: JAX 0.11 reads jax_num_cpu_devices (env JAX_NUM_CPU_DEVICES) first and falls back to the XLA flag
# when it is unset (jax/_src/xla_bridge.py make_cpu_client and num_cpu_devices, jax-ml/jax cec06d11); both are set,
# the flag for a JAX without the option.
os.environ.setdefault("JAX_NUM_CPU_DEVICES", "8")
if "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=8").strip()

import numpy as np

TOL = 1e-4


def rel_err(got, want):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    if got.shape != want.shape:
        raise ValueError(f"block shape {got.shape} vs {want.shape}")
    den = np.max(np.abs(want)) if want.size else 0.0
    num = np.max(np.abs(got - want)) if want.size else 0.0
    return float(num / den) if den else float(num)


def first_line(e):
    s = str(e).strip()
    return type(e).__name__ + ": " + (s.splitlines()[0] if s else "")


def compile_program(client, xc, text, devices, options):
    """Returns (executable, path); raises what the last path raised.

    Read in jax-ml/jax cec06d11 (0.11.1.dev): jaxlib/py_client.cc binds Client.compile_and_load(computation: str,
    executable_devices: Sequence[Device], compile_options) for callers without a DeviceList (it parses the text with
    xla::ParseMlirModuleString, as a PJRT plugin's compile does); the DeviceList overloads take an ir.Module, which
    jax._src.compiler.backend_compile_and_load(backend, module, executable_devices: DeviceList, options,
    host_callbacks) passes on. CompileOptions.ParseFromString is a static method taking the serialized
    CompileOptionsProto; LoadedExecutable.execute_sharded(arguments: Sequence[Array]) returns ExecuteResults, whose
    disassemble_into_single_device_arrays() gives, per result, one single-device Array per device (jaxlib/_jax/__init__.pyi).
    A nanobind overload that does not match raises TypeError; XLA's refusal raises JaxRuntimeError, which ends here.
    """
    errors = []
    try:
        return client.compile_and_load(text, devices, options), "client.compile_and_load(str, devices, CompileOptions)"
    except TypeError as e:   # an overload this jaxlib lacks: try the next path
        errors.append(e)
    try:
        from jax._src import compiler
        from jax._src.interpreters import mlir
        from jax._src.lib.mlir import ir
        with mlir.make_ir_context():
            module = ir.Module.parse(text)
            return (compiler.backend_compile_and_load(client, module, xc.DeviceList(tuple(devices)), options, []),
                    "jax._src.compiler.backend_compile_and_load(ir.Module)")
    except (TypeError, AttributeError, ImportError) as e:
        errors.append(e)
    try:
        return client.compile(text, compile_options=options), "client.compile(str, CompileOptions) (old jaxlib)"
    except (TypeError, AttributeError) as e:
        errors.append(e)
    raise RuntimeError("no jaxlib compile API took the program: " + "; ".join(first_line(e) for e in errors))


def sharding_of(entry, devices, jax):
    """A NamedSharding from the manifest's mesh and dims, devices in partition order (device_ids when given)."""
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
    names = [a[0] for a in entry["mesh"]]
    sizes = [int(a[1]) for a in entry["mesh"]]
    ids = entry.get("mesh_device_ids") or list(range(int(np.prod(sizes))))
    mesh = Mesh(np.array([devices[i] for i in ids], dtype=object).reshape(sizes), tuple(names))
    spec = P(*[None if not d else (d[0] if len(d) == 1 else tuple(d)) for d in entry["dims"]])
    return NamedSharding(mesh, spec)


def run_xla(d, prog, devs, client, xc, jax):
    name, n = prog["name"], int(prog["partitions"])
    head = f"xlaspmd {name} ({n} partitions"
    refused = [e["file"] + ": " + e["refused"] for e in prog["inputs"] + prog["outputs"] if "refused" in e]
    if refused:
        print(f"{head}): not run: {'; '.join(refused)} -> FAIL", flush=True)
        return 1
    if any(e.get("mesh_device_ids") and e["mesh_device_ids"] != list(range(n)) for e in prog["inputs"] + prog["outputs"]):
        print(f"{head}): not run: a mesh with device_ids in another order (the executable's devices would not be the arrays') -> FAIL")
        return 1
    if len(devs) < n:
        print(f"{head}): only {len(devs)} CPU devices -> FAIL", flush=True)
        return 1
    devices = [devs[i] for i in prog["device_ids"]]
    text = open(os.path.join(d, prog["mlir"])).read()
    options = xc.CompileOptions.ParseFromString(open(os.path.join(d, prog["options"]), "rb").read())
    try:
        exe, path = compile_program(client, xc, text, devices, options)
    except Exception as e:
        print(f"{head}): XLA refused the program: {type(e).__name__}: {e} -> FAIL", flush=True)
        return 1
    head += f", {path}"
    try:
        args = [jax.device_put(np.load(os.path.join(d, e["file"])), sharding_of(e, devices, jax)) for e in prog["inputs"]]
        results = exe.execute_sharded(args).disassemble_into_single_device_arrays()
        worst, blocks = 0.0, 0
        if len(results) != len(prog["outputs"]):
            raise ValueError(f"{len(results)} results, the interpreter gave {len(prog['outputs'])}")
        for per_device, e in zip(results, prog["outputs"]):
            want = np.load(os.path.join(d, e["file"]))
            where = sharding_of(e, devices, jax).devices_indices_map(want.shape)
            for block in per_device:
                (dev,) = block.devices()
                worst = max(worst, rel_err(np.asarray(block), want[where[dev]]))
                blocks += 1
    except Exception as e:
        print(f"{head}): running failed: {type(e).__name__}: {e} -> FAIL", flush=True)
        return 1
    ok = worst <= TOL
    print(f"{head}): {len(results)} results, {blocks} blocks, max rel err {worst:.2e} -> {'ok' if ok else 'FAIL'} (tol {TOL:.0e})",
          flush=True)
    return 0 if ok else 1


def find_cpu_plugin(extra=()):
    """(path, note) of a .so exporting GetPjrtApi in site-packages that is not a CUDA plugin, or (None, note)."""
    sites = []
    for s in list(extra) + site.getsitepackages() + [site.getusersitepackages()] + [p for p in sys.path if p.endswith("-packages")]:
        if os.path.isdir(s) and s not in sites:
            sites.append(s)
    names = ["jaxlib/**/*.so", "jax_plugins/**/*.so", "**/*pjrt*cpu*.so", "**/*cpu*pjrt*.so", "**/pjrt_c_api_cpu_plugin.so"]
    seen, found = set(), []
    for s in sites:
        for pattern in names:
            for so in glob.glob(os.path.join(s, pattern), recursive=True):
                real = os.path.realpath(so)
                if real in seen or "cuda" in os.path.basename(so) or "xla_cuda" in so:
                    continue
                seen.add(real)
                try:
                    with open(real, "rb") as f:
                        if b"GetPjrtApi\x00" not in f.read():
                            continue
                except OSError:
                    continue
                found.append(so)
    note = f"searched {len(seen)} .so files under {', '.join(sites) or 'no site-packages'}"
    for so in found:   # confirm in a child process: a plugin that crashes on load must not take this script with it
        probe = ("import ctypes,sys; p=ctypes.CDLL(sys.argv[1]).GetPjrtApi; p.restype=ctypes.c_void_p; a=p(); "
                 "print('%d.%d' % (ctypes.c_int.from_address(a+32).value, ctypes.c_int.from_address(a+36).value))")
        try:
            r = subprocess.run([sys.executable, "-c", probe, so], capture_output=True, text=True, timeout=60)
        except (subprocess.TimeoutExpired, OSError) as e:
            note += f"; {so} names GetPjrtApi but its probe did not finish: {first_line(e)}"
            continue
        if r.returncode == 0:
            return so, f"{note}; {so} exports GetPjrtApi (PJRT C API {r.stdout.strip()})"
        note += f"; {so} names GetPjrtApi but its probe failed: {(r.stderr.strip().splitlines() or ['?'])[-1]}"
    return None, note + ("; none exports GetPjrtApi" if not found else "")


def run_pjrt(d, prog, plugin, java):
    """hlo4j's own PJRT binding on the CPU plugin (a Java process per program); one line, never an exception."""
    name, n = prog["name"], int(prog["partitions"])
    head = f"xlaspmd-pjrt {name} (hlo4j's PJRT binding, {n} partitions)"
    try:
        with tempfile.TemporaryDirectory() as out:
            cmd = java + ["io.hlo4j.cli.Main", "run", os.path.join(d, prog["mlir"])]
            for e in prog["inputs"]:
                cmd += ["--input", os.path.join(d, e["file"])]
            cmd += ["--pjrt-plugin", plugin, "--pjrt-option", "cpu_device_count=8", "-o", out]
            try:
                r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
            except subprocess.TimeoutExpired:
                print(f"{head}: no answer within 120 s (stopped) -> FAIL", flush=True)
                return 1
            if r.returncode != 0:
                print(f"{head}: exit {r.returncode}: {(r.stderr.strip().splitlines() or r.stdout.strip().splitlines() or ['?'])[-1]} -> FAIL",
                      flush=True)
                return 1
            worst = 0.0
            for j, e in enumerate(prog["outputs"]):
                got = os.path.join(out, f"result{j}.npy")
                if not os.path.exists(got):
                    print(f"{head}: hlo4j wrote no result{j}.npy ({len(prog['outputs'])} expected) -> FAIL", flush=True)
                    return 1
                worst = max(worst, rel_err(np.load(got), np.load(os.path.join(d, e["file"]))))
    except Exception as e:   # an unreadable file, a shape that differs: this program's line, then the next program
        print(f"{head}: {first_line(e)} -> FAIL", flush=True)
        return 1
    ok = worst <= TOL
    print(f"{head}: max rel err {worst:.2e} -> {'ok' if ok else 'FAIL'} (tol {TOL:.0e})", flush=True)
    return 0 if ok else 1


def main(d, java):
    """Every program through XLA, then the CPU plugin through hlo4j's binding; the summary line in every case."""
    failed = 0
    try:
        programs = json.load(open(os.path.join(d, "manifest.json")))["programs"]
    except Exception as e:
        print(f"XLASPMD FAILED: no readable manifest in {d}: {first_line(e)}", flush=True)
        return 1
    try:
        import jax
        from jax._src.lib import xla_client as xc
        devs = sorted(jax.devices("cpu"), key=lambda x: x.id)
        client = devs[0].client
        print(f"jax {jax.__version__}, CPU client {client.platform} "
              f"{client.platform_version.splitlines()[0] if client.platform_version else ''}, {len(devs)} devices", flush=True)
    except Exception as e:   # no JAX here: XLA's side cannot run; the plugin search and hlo4j's binding still can
        print(f"xlaspmd: JAX unavailable ({first_line(e)}): none of the {len(programs)} programs compiled by XLA -> FAIL", flush=True)
        failed += 1
        jax = None
    if jax is not None:
        for p in programs:
            try:
                failed += run_xla(d, p, devs, client, xc, jax)
            except Exception as e:
                print(f"xlaspmd {p.get('name', '?')}: {first_line(e)} -> FAIL", flush=True)
                failed += 1
    extra = [s for s in [os.environ.get("GPU_CHECK_SITE", "")] if s]
    try:
        plugin, note = find_cpu_plugin(extra)
    except Exception as e:
        plugin, note = None, "search failed: " + first_line(e)
    print("cpu pjrt plugin: " + (plugin or "none") + " (" + note + ")", flush=True)
    if plugin and java:
        failed += sum(run_pjrt(d, p, plugin, java) for p in programs)
    elif plugin:
        print("cpu pjrt plugin found, but no Java command given: hlo4j's binding not run on it")
    print("XLASPMD OK" if failed == 0 else f"XLASPMD FAILED: {failed}", flush=True)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["--probe-plugin"]:
        found, how = find_cpu_plugin(sys.argv[2:])
        print("cpu pjrt plugin: " + (found or "none") + " (" + how + ")")
        sys.exit(0)
    if len(sys.argv) < 2:
        print("usage: xla_spmd.py DIR [JAVA_COMMAND...]", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2:]))
