#!/usr/bin/env python3
"""PTX gates for the CUDA backend (run by ctest -L gates; no GPU needed).

  ptx_check.py loop PTX [--entry REGEX] [--min-entries N] [--allow-byte-loops REGEX]
      Every .entry whose name matches REGEX (default: ring_kernel_loop) must hold at least one
      system-scope acquire load and one system-scope release store (the rings' protocol in mapped host
      memory: kernels/core/include/rk/core/config.hpp uses cuda::atomic_ref<T, thread_scope_system>).
      nvcc 13 for sm_90 emits them through libcu++'s inline asm as `ld.acquire.sys.b32|b64` and
      `st.release.sys.b32|b64`; `.sys` fences (`fence.acq_rel.sys`, `fence.sc.sys`, `membar.sys`) next to
      relaxed/volatile `.sys` accesses are accepted as the equivalent form. At least N entries must match.
      It also fails on a byte-copy loop: an innermost loop (a backward branch whose body holds no other
      loop) with both an 8-bit load and an 8-bit store, except in entries matching --allow-byte-loops.
  ptx_check.py bytes PTX [--entry REGEX]
      Zero 8-bit loads/stores (ld/st/ldu of u8/s8/b8 in any state space, vector forms included) in the
      matching entries: for probes that only move rk::Slot through the rings.
  ptx_check.py spill NVCC SOURCE [nvcc args...]
      Shows that the spill gate bites: SOURCE must compile without the gate flags and ptxas must report
      spill bytes (control), then must FAIL with -Xptxas=-warn-spills,-Werror (the flags rk_cuda_gates
      adds). Exit 0 only when both hold.
  ptx_check.py resources PTXAS_LOG|PTX [--ptxas PTXAS --arch sm_90] [--markdown] [--json FILE] [--log FILE]
                          [--max-spill BYTES]
      Table of registers, stack frame, spill stores/loads and barriers per kernel from `ptxas -v` output;
      given a .ptx file it runs `PTXAS -arch ARCH -v` on it first (and keeps that output in --log FILE).
      Fails when a kernel spills more than --max-spill bytes (default: no limit).

--expect-fail [REGEX] (loop, bytes): invert the result, for negative tests: exit 0 only when the gate found
a violation (whose message matches REGEX when given); exit 1 when it found none, 2 on a usage error.
Exit codes: 0 pass, 1 gate failed, 2 usage/parse error.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ENTRY_RE = re.compile(r"^\s*(?:\.visible\s+|\.weak\s+)?\.entry\s+([A-Za-z_$][\w$]*)", re.M)
FUNC_RE = re.compile(r"^\s*(?:\.visible\s+|\.weak\s+)?\.func\s+(?:\([^)]*\)\s*)?([A-Za-z_$][\w$]*)", re.M)
# An instruction line (an optional guard predicate, then the opcode).
INSN_RE = re.compile(r"^\s*(?:@!?%\w+\s+)?([a-z][\w.:]*)")
BYTE_RE = re.compile(r"^(ld|ldu|st)(\.[\w:]+)*\.(?:v[248]\.)?[usb]8$")
ACQ_LOAD_RE = re.compile(r"^ld(\.[\w:]+)*\.acquire\.sys\b|^ld\.acquire\.sys")
REL_STORE_RE = re.compile(r"^st(\.[\w:]+)*\.release\.sys\b|^st\.release\.sys")
SYS_FENCE_RE = re.compile(r"^(fence\.(acq_rel|sc)\.sys|membar\.sys)\b")
SYS_RELAXED_LD_RE = re.compile(r"^ld(\.[\w:]+)*\.(relaxed\.sys|volatile)\b")
SYS_RELAXED_ST_RE = re.compile(r"^st(\.[\w:]+)*\.(relaxed\.sys|volatile)\b")
LABEL_RE = re.compile(r"^\s*(\$?[\w$]+):")
BRA_RE = re.compile(r"\bbra(?:\.uni)?\s+(\$?[\w$]+)\s*;")


def demangle(names: list[str]) -> dict[str, str]:
    tool = shutil.which("c++filt") or shutil.which("cu++filt")
    if not tool or not names:
        return {n: n for n in names}
    out = subprocess.run([tool], input="\n".join(names), capture_output=True, text=True, check=False).stdout
    lines = out.splitlines()
    return {n: (lines[i] if i < len(lines) else n) for i, n in enumerate(names)}


def functions(ptx: str) -> list[tuple[str, str, list[str]]]:
    """(kind, mangled name, body lines) for each .entry and .func definition with a body."""
    marks = [(m.start(), "entry", m.group(1)) for m in ENTRY_RE.finditer(ptx)]
    marks += [(m.start(), "func", m.group(1)) for m in FUNC_RE.finditer(ptx)]
    marks.sort()
    result = []
    for i, (start, kind, name) in enumerate(marks):
        end = marks[i + 1][0] if i + 1 < len(marks) else len(ptx)
        text = ptx[start:end]
        if "{" not in text:  # a declaration (.extern .func) has no body
            continue
        result.append((kind, name, text.splitlines()))
    return result


def opcodes(lines: list[str]) -> list[str]:
    ops = []
    for line in lines:
        s = line.split("//", 1)[0]
        m = INSN_RE.match(s)
        if m and not s.strip().startswith("."):
            ops.append(m.group(1))
    return ops


def byte_ops(lines: list[str]) -> list[str]:
    return [line.strip() for line in lines if (o := opcodes([line])) and BYTE_RE.match(o[0])]


def innermost_loops(lines: list[str]) -> list[tuple[str, int, int]]:
    """(label, first, last) of loops closed by a backward branch that contain no other such loop."""
    labels = {}
    for i, line in enumerate(lines):
        m = LABEL_RE.match(line)
        if m:
            labels[m.group(1)] = i
    loops = []
    for i, line in enumerate(lines):
        m = BRA_RE.search(line.split("//", 1)[0])
        if m and m.group(1) in labels and labels[m.group(1)] <= i:
            loops.append((m.group(1), labels[m.group(1)], i))
    inner = []
    for lab, a, b in loops:
        if not any((a2, b2) != (a, b) and a <= a2 and b2 <= b for _, a2, b2 in loops):
            inner.append((lab, a, b))
    return inner


def byte_copy_loops(lines: list[str]) -> list[tuple[str, list[str]]]:
    found = []
    for lab, a, b in innermost_loops(lines):
        ops = byte_ops(lines[a : b + 1])
        loads = [o for o in ops if re.search(r"(^|\s)ldu?\.", o)]
        stores = [o for o in ops if re.search(r"(^|\s)st\.", o)]
        if loads and stores:
            found.append((lab, loads[:2] + stores[:2]))
    return found


def select(ptx_path: str, entry_re: str):
    """(matching entries, .func definitions) of the PTX file."""
    try:
        ptx = Path(ptx_path).read_text()
    except OSError as e:
        print(f"ptx_check: cannot read {ptx_path}: {e}", file=sys.stderr)
        sys.exit(2)
    fns = functions(ptx)
    if any(k == "func" for k, _, _ in fns):
        # A non-inlined device function would hide the loop's accesses from a per-entry count.
        names = [n for k, n, _ in fns if k == "func"]
        print(f"note: {len(names)} .func definitions present; their accesses are counted in every entry")
    rx = re.compile(entry_re)
    return [f for f in fns if f[0] == "entry" and rx.search(f[1])], [f for f in fns if f[0] == "func"]


def cmd_loop(a) -> int:
    entries, funcs = select(a.ptx, a.entry)
    func_lines = [line for _, _, body in funcs for line in body]
    pretty = demangle([n for _, n, _ in entries])
    allow = re.compile(a.allow_byte_loops) if a.allow_byte_loops else None
    failures = []
    print(f"{'entry':60} {'ld.acq.sys':>10} {'st.rel.sys':>10} {'sys fences':>10} {'8-bit ld/st':>11} {'byte loops':>10}")
    for _, name, body in entries:
        ops = opcodes(body + func_lines)
        acq = sum(1 for o in ops if ACQ_LOAD_RE.match(o))
        rel = sum(1 for o in ops if REL_STORE_RE.match(o))
        fences = sum(1 for o in ops if SYS_FENCE_RE.match(o))
        rlx_ld = any(SYS_RELAXED_LD_RE.match(o) for o in ops)
        rlx_st = any(SYS_RELAXED_ST_RE.match(o) for o in ops)
        nbytes = len(byte_ops(body))
        loops = byte_copy_loops(body)
        label = pretty[name]
        print(f"{label[:60]:60} {acq:>10} {rel:>10} {fences:>10} {nbytes:>11} {len(loops):>10}")
        if acq == 0 and not (fences and rlx_ld):
            failures.append(f"{label}: no system-scope acquire load (ld.acquire.sys, or a .sys fence after a relaxed .sys load)")
        if rel == 0 and not (fences and rlx_st):
            failures.append(f"{label}: no system-scope release store (st.release.sys, or a .sys fence before a relaxed .sys store)")
        for lab, sample in loops:
            msg = f"{label}: byte-copy loop at {lab}: {' | '.join(sample)}"
            if allow and allow.search(name):
                print(f"  allowed (--allow-byte-loops): {msg}")
            else:
                failures.append(msg)
        if allow and allow.search(name) and not loops:
            print(f"  note: {label} matches --allow-byte-loops but has no byte-copy loop: narrow the allowance")
    if len(entries) < a.min_entries:
        failures.append(f"only {len(entries)} entries match /{a.entry}/, expected at least {a.min_entries}")
    return report(failures, a.expect_fail)


def cmd_bytes(a) -> int:
    entries, funcs = select(a.ptx, a.entry)
    failures = []
    if not entries:
        failures.append(f"no entry matches /{a.entry}/")
    pretty = demangle([n for _, n, _ in entries])
    for _, name, body in entries + [("func", n, b) for _, n, b in funcs]:
        ops = byte_ops(body)
        label = pretty.get(name, name)
        print(f"{label[:90]:90} 8-bit loads/stores: {len(ops)}")
        for o in ops[:8]:
            failures.append(f"{label}: 8-bit access: {o}")
        if len(ops) > 8:
            failures.append(f"{label}: ... {len(ops) - 8} more 8-bit accesses")
    return report(failures, a.expect_fail)


def report(failures: list[str], expect_fail: str | None) -> int:
    for f in failures:
        print(f"GATE FAILED: {f}")
    if expect_fail is not None:
        if any(re.search(expect_fail, f) for f in failures):
            print(f"ok: the gate caught the planted violation ({len(failures)} finding(s)), as expected")
            return 0
        print(f"NEGATIVE TEST FAILED: no finding matches /{expect_fail}/ in a probe built to violate the gate")
        return 1
    if failures:
        return 1
    print("ok: all PTX gates passed")
    return 0


PTXAS_FUNC = re.compile(r"ptxas info\s*:\s*Function properties for (\S+)")
PTXAS_FRAME = re.compile(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads")
PTXAS_USED = re.compile(r"ptxas info\s*:\s*Used (\d+) registers(?:, used (\d+) barriers)?")
PTXAS_ENTRY = re.compile(r"Compiling entry function '(\S+)' for '(\w+)'")


def parse_ptxas(text: str) -> list[dict]:
    rows: dict[str, dict] = {}
    order: list[str] = []
    cur = None
    arch = ""
    for line in text.splitlines():
        if m := PTXAS_ENTRY.search(line):
            cur, arch = m.group(1), m.group(2)
            if cur not in rows:
                rows[cur] = {"kernel": cur, "arch": arch}
                order.append(cur)
        elif m := PTXAS_FUNC.search(line):
            cur = m.group(1)
            if cur not in rows:
                rows[cur] = {"kernel": cur, "arch": arch}
                order.append(cur)
        elif (m := PTXAS_FRAME.search(line)) and cur:
            rows[cur].update(stack_frame=int(m.group(1)), spill_stores=int(m.group(2)), spill_loads=int(m.group(3)))
        elif (m := PTXAS_USED.search(line)) and cur:
            rows[cur].update(registers=int(m.group(1)), barriers=int(m.group(2) or 0))
    out = [rows[k] for k in order if "registers" in rows[k]]
    names = demangle([r["kernel"] for r in out])
    for r in out:
        r["name"] = names[r["kernel"]]
    return out


def cmd_resources(a) -> int:
    if a.input.endswith(".ptx"):
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [a.ptxas, f"-arch={a.arch}", "-v", a.input, "-o", str(Path(tmp) / "out.cubin")]
            r = subprocess.run(cmd, capture_output=True, text=True, check=False)
        text = r.stdout + r.stderr
        if a.log:
            Path(a.log).write_text(" ".join(cmd) + "\n" + text)
        if r.returncode != 0:
            print(text)
            print(f"ptx_check: {' '.join(cmd)} failed (exit {r.returncode})", file=sys.stderr)
            return 2
    else:
        try:
            text = Path(a.input).read_text()
        except OSError as e:
            print(f"ptx_check: cannot read {a.input}: {e}", file=sys.stderr)
            return 2
    rows = parse_ptxas(text)
    if not rows:
        print(f"ptx_check: no 'ptxas info' kernel records in {a.input} (was it built with -Xptxas -v?)", file=sys.stderr)
        return 2
    if a.json:
        Path(a.json).write_text(json.dumps(rows, indent=2) + "\n")
    if a.markdown:
        print("| kernel | registers | stack frame (B) | spill stores (B) | spill loads (B) | barriers |")
        print("|---|---:|---:|---:|---:|---:|")
        for r in rows:
            short = re.sub(r"\(.*\)$", "", r["name"]).replace("rk::cuda::", "").replace("rk::workloads::", "")
            short = re.sub(r"^void ", "", short)
            print(f"| `{short}` | {r['registers']} | {r.get('stack_frame', 0)} | {r.get('spill_stores', 0)} | "
                  f"{r.get('spill_loads', 0)} | {r.get('barriers', 0)} |")
    else:
        for r in rows:
            print(f"{r['name'][:90]:90} regs={r['registers']} stack={r.get('stack_frame', 0)} "
                  f"spill_st={r.get('spill_stores', 0)} spill_ld={r.get('spill_loads', 0)} bar={r.get('barriers', 0)}")
    if a.max_spill is not None:
        bad = [r for r in rows if r.get("spill_stores", 0) + r.get("spill_loads", 0) > a.max_spill]
        for r in bad:
            print(f"GATE FAILED: {r['name']}: {r.get('spill_stores', 0)} B spill stores, {r.get('spill_loads', 0)} B spill loads")
        if bad:
            return 1
    return 0


def cmd_spill(a) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        obj = str(Path(tmp) / "probe.o")
        base = [a.nvcc, *a.args, "-c", a.source, "-o", obj]
        control = subprocess.run(base + ["-Xptxas=-v"], capture_output=True, text=True, check=False)
        spills = [int(x) for m in PTXAS_FRAME.finditer(control.stderr + control.stdout) for x in m.groups()[1:]]
        print("control (no gate):", " ".join(base + ["-Xptxas=-v"]))
        print((control.stdout + control.stderr).strip())
        if control.returncode != 0:
            print("NEGATIVE TEST FAILED: the probe does not even compile without the gate")
            return 1
        if not any(spills):
            print("NEGATIVE TEST FAILED: ptxas reports no spill for the probe, so the gate cannot be shown to bite")
            return 1
        gated = subprocess.run(base + ["-Xptxas=-warn-spills,-Werror"], capture_output=True, text=True, check=False)
        print("gated:", " ".join(base + ["-Xptxas=-warn-spills,-Werror"]))
        print((gated.stdout + gated.stderr).strip())
        if gated.returncode == 0:
            print("NEGATIVE TEST FAILED: the spilling probe compiled with -Xptxas=-warn-spills,-Werror")
            return 1
        if "spill" not in (gated.stdout + gated.stderr).lower():
            print("NEGATIVE TEST FAILED: the gated compile failed, but not because of a spill")
            return 1
    print("ok: the spill gate failed the spilling probe, as expected")
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    lp = sub.add_parser("loop")
    lp.add_argument("ptx")
    lp.add_argument("--entry", default="ring_kernel_loop")
    lp.add_argument("--min-entries", type=int, default=1)
    lp.add_argument("--allow-byte-loops", default="")
    lp.add_argument("--expect-fail", nargs="?", const="", default=None, metavar="REGEX")
    bp = sub.add_parser("bytes")
    bp.add_argument("ptx")
    bp.add_argument("--entry", default=".")
    bp.add_argument("--expect-fail", nargs="?", const="", default=None, metavar="REGEX")
    sp = sub.add_parser("spill")
    sp.add_argument("nvcc")
    sp.add_argument("source")
    sp.add_argument("args", nargs=argparse.REMAINDER)
    rp = sub.add_parser("resources")
    rp.add_argument("input", metavar="PTXAS_LOG|PTX")
    rp.add_argument("--ptxas", default="ptxas")
    rp.add_argument("--arch", default="sm_90")
    rp.add_argument("--log")
    rp.add_argument("--max-spill", type=int)
    rp.add_argument("--markdown", action="store_true")
    rp.add_argument("--json")
    a = p.parse_args()
    return {"loop": cmd_loop, "bytes": cmd_bytes, "spill": cmd_spill, "resources": cmd_resources}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
