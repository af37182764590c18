#!/usr/bin/env python3
"""gpu_isa.py - compiles autorec's kernels for AMD and NVIDIA GPUs without a GPU, and prints
what each kernel costs there: registers, spills, private (stack) memory, local memory, calls
that were not inlined, and on AMD the waves a SIMD can hold (occupancy).

    python3 bench/gpu_isa.py [--params LIST ...] [--targets amd,nvidia] [--check]
                             [--source-tool PATH] [--amd-cpu GFX] [--nv-arch SM]

The program is the one autorec hands a driver (build/autorec_kernel_source prints it; the
kernels from $AUTOREC_CL_DIR when set) at a GPU's default kernel parameters, then at each
--params LIST over them (as $AUTOREC_KERNEL_PARAMS; only sp_width, spmm_width and
sddmm_lanes change the program). It is compiled as the open drivers do: Clang's OpenCL front end, the
OpenCL builtins from libclc (the bitcode Mesa's drivers link), then
  amd:    Clang's AMDGPU back end for GFX (default gfx906: Vega 20 / MI50, GCN's 64-wide waves)
  nvidia: Clang's NVPTX back end to PTX (for sm_80 at most), assembled by NVIDIA's ptxas for
          SM (default sm_80; sm_90 for H100 / H200).
Vendors' own OpenCL compilers (ROCm's, NVIDIA's NVVM) differ in detail, so the figures are
estimates of theirs, not measurements; what they catch surely is a kernel that does not compile
for a GPU, registers spilled to memory, and a helper left as a call.

--check: exit 1 when any kernel fails to compile, spills registers (AMD scratch, NVIDIA spill
stores) or calls a function (AMD s_swappc), or none is found; used by the ctest gpu_isa. Exit 77
(ctest's skip) when a tool is missing: CLANG (default clang-15, else clang, as long as it reads
libclc's bitcode: libclc-15's needs Clang 15; Debian 12's PoCL brings it), LIBCLC_DIR (default
/usr/lib/clc: Debian's libclc-15, which Mesa's OpenCL brings). Without PTXAS (default ptxas on
PATH, else /usr/local/cuda/bin/ptxas: the CUDA toolkit) the nvidia target is left out with a
note. Exit 2 for a wrong option or a tool named by CLANG, LIBCLC_DIR or PTXAS that is not there
or does not work (an --amd-cpu Clang does not know, an --nv-arch ptxas does not, a clang that
cannot read libclc's bitcode), all before anything is compiled.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77


def say(msg):
    print('gpu_isa: ' + msg, file=sys.stderr)


def die(code, msg):
    say(msg)
    sys.exit(code)


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, as the script's own errors (argparse adds its usage)
        die(2, '%s (see --help)' % message)


def find_tool(env, names):
    """(path or None, whether $ENV named it): $ENV when set, else the first of names found."""
    if os.environ.get(env):
        return shutil.which(os.environ[env]), True
    for n in names:
        p = shutil.which(n)
        if p:
            return p, False
    return None, False


def run(cmd, **kw):
    if 'stdout' not in kw:
        kw['capture_output'] = True
    try:
        return subprocess.run(cmd, text=True, **kw)
    except OSError as e:  # not a program that runs (a directory, a script without #!)
        die(2, '%s: %s' % (cmd[0], e.strerror))


def amd_parse(asm):
    """{kernel: {vgpr, sgpr, scratch, lds, occupancy, calls}} from the AMDGPU assembly."""
    out, cur, calls, info = {}, None, {}, None
    for line in asm.splitlines():
        m = re.match(r'^([A-Za-z_]\w*):\s+; @', line)
        if m:
            cur, info = m.group(1), None
            calls[cur] = 0
            continue
        if cur and 's_swappc' in line:
            calls[cur] += 1
        if line.startswith('; Kernel info:'):
            info = out.setdefault(cur, {'calls': calls.get(cur, 0)})
            continue
        if line.startswith('; Function info:'):
            info = None
            continue
        if info is None:
            continue
        m = re.match(r'^; (NumVgprs|NumSgprs|ScratchSize|LDSByteSize|Occupancy): (\d+)', line)
        if m:
            key = {'NumVgprs': 'vgpr', 'NumSgprs': 'sgpr', 'ScratchSize': 'scratch',
                   'LDSByteSize': 'lds', 'Occupancy': 'occupancy'}[m.group(1)]
            info[key] = int(m.group(2))
    return out


def nv_parse(ptxas_log, ptx):
    """{kernel: {regs, stack, spill, smem, calls}} from ptxas -v and the PTX."""
    out, cur = {}, None
    for line in ptxas_log.splitlines():
        m = re.search(r"Compiling entry function '(\w+)'", line)
        if m:
            cur = out.setdefault(m.group(1), {'regs': 0, 'stack': 0, 'spill': 0, 'smem': 0})
            continue
        m = re.search(r"Function properties for (\w+)", line)
        if m:
            cur = out.get(m.group(1))  # a called function's properties: not a kernel's
            continue
        if cur is None:
            continue
        m = re.search(r'(\d+) bytes stack frame, (\d+) bytes spill stores', line)
        if m:
            cur['stack'], cur['spill'] = int(m.group(1)), int(m.group(2))
        m = re.search(r'Used (\d+) registers', line)
        if m:
            cur['regs'] = int(m.group(1))
        m = re.search(r'(\d+) bytes smem', line)
        if m:
            cur['smem'] = int(m.group(1))
    # calls left in the PTX, per entry (a .entry's body runs to its closing brace at column 0)
    calls, name = {}, None
    for line in ptx.splitlines():
        m = re.match(r'^(?:\.visible\s+)?\.entry\s+(\w+)', line)
        if m:
            name = m.group(1)
            calls[name] = 0
        elif line.startswith('}'):
            name = None
        elif name and re.match(r'^\s*call(\.uni)?\b', line):
            calls[name] += 1
    for k, v in out.items():
        v['calls'] = calls.get(k, 0)
    return out


def amd_bitcode(libclc, gfx):
    """(libclc's bitcode for GFX, a note or None), or (None, why not)."""
    lib = os.path.join(libclc, '%s-amdgcn-mesa-mesa3d.bc' % gfx)
    if os.path.exists(lib):
        return lib, None
    # libclc 15 builds up to gfx906; its builtins are the same IR for later GFX (the back end
    # lowers them for the -mcpu asked), so the newest it has stands in
    have = sorted(f for f in os.listdir(libclc) if re.match(r'gfx\d+-amdgcn-mesa-mesa3d\.bc$', f))
    if not have:
        return None, 'no libclc bitcode for AMD GCN (gfxNNN-amdgcn-mesa-mesa3d.bc) in %s' % libclc
    return (os.path.join(libclc, have[-1]),
            'note: %s has no bitcode for %s; %s used' % (libclc, gfx, have[-1]))


def ptx_sm(sm):
    # PTX for sm_80 at most (Clang 15 knows no newer), which ptxas assembles for any later SM,
    # as a driver JIT-compiles old PTX: sm_90 (H100, H200) from the same PTX
    return 'sm_%d' % min(int(re.match(r'sm_(\d+)', sm).group(1)), 80)


def clang_cmd(clang, target, lib, a):
    """Clang as Mesa's drivers run it for TARGET, libclc's LIB linked in."""
    arch = (['-target', 'amdgcn-mesa-mesa3d', '-mcpu=' + a.amd_cpu] if target == 'amd' else
            ['-target', 'nvptx64-nvidia-nvcl', '-march=' + ptx_sm(a.nv_arch)])
    return [clang, '-x', 'cl', '-cl-std=CL1.2', '-nogpulib'] + arch + [
        '-Wno-linker-warnings', '-Xclang', '-mlink-builtin-bitcode', '-Xclang', lib]


def first_error(log):
    """The compiler's first error line (the log's first line when it has none)."""
    for line in log.splitlines():
        if 'error' in line:
            return line.strip()
    return log.splitlines()[0].strip() if log.strip() else '(no message)'


def compile_amd(cmd, src, opts, tmp):
    asm = os.path.join(tmp, 'amd.s')
    r = run(cmd + ['-D__OPENCL_VERSION__=120', '-Xclang', '-finclude-default-header', '-O3']
            + opts + ['-S', '-o', asm, src])
    if r.returncode != 0:
        return None, r.stderr.strip()
    with open(asm) as f:
        return amd_parse(f.read()), None


def compile_nvidia(cmd, ptxas, src, opts, sm, tmp):
    ptx = os.path.join(tmp, 'nv.ptx')
    r = run(cmd + ['-D__OPENCL_VERSION__=120', '-Xclang', '-finclude-default-header', '-O3']
            + opts + ['-S', '-o', ptx, src])
    if r.returncode != 0:
        return None, r.stderr.strip()
    r = run([ptxas, '-arch=' + sm, '-v', '-o', os.path.join(tmp, 'nv.cubin'), ptx])
    if r.returncode != 0:
        return None, 'ptxas: ' + r.stderr.strip()
    with open(ptx) as f:
        return nv_parse(r.stderr + r.stdout, f.read()), None


def tools(a, targets):
    """(clang, ptxas, {target: clang command}), each target's tried on an empty program first,
    so that a wrong --amd-cpu or --nv-arch, or a clang that cannot read libclc's bitcode
    (libclc-15's needs Clang 15), is one line now, not every kernel failing later. Exits 2 where
    the user named what does not work, 77 where nothing usable was found."""
    clang, clang_set = find_tool('CLANG', ['clang-15', 'clang'])
    libclc_set = bool(os.environ.get('LIBCLC_DIR'))
    libclc = os.environ.get('LIBCLC_DIR') or '/usr/lib/clc'
    ptxas, ptxas_set = find_tool('PTXAS', ['ptxas', '/usr/local/cuda/bin/ptxas'])
    if clang_set and not clang:
        die(2, 'CLANG=%s: no such program' % os.environ['CLANG'])
    if libclc_set and not os.path.isdir(libclc):
        die(2, 'LIBCLC_DIR=%s: not a directory' % libclc)
    if ptxas_set and not ptxas and 'nvidia' in targets:
        die(2, 'PTXAS=%s: no such program' % os.environ['PTXAS'])
    missing = []
    if not clang:
        missing.append('clang (CLANG, default clang-15)')
    if not os.path.isdir(libclc):
        missing.append('libclc (LIBCLC_DIR, default /usr/lib/clc: Debian\'s libclc-15)')
    if 'nvidia' in targets and not ptxas:
        say('nvidia left out: no ptxas (PTXAS, or the CUDA toolkit\'s /usr/local/cuda/bin)')
        targets.remove('nvidia')
        if not targets:
            missing.append('ptxas')
    if missing:
        die(SKIP, 'skipped, missing ' + '; '.join(missing))
    cmds = {}
    for t in targets:
        if t == 'amd':
            lib, note = amd_bitcode(libclc, a.amd_cpu)
        else:
            lib = os.path.join(libclc, 'nvptx64--nvidiacl.bc')
            lib, note = (lib, None) if os.path.exists(lib) else (None, 'no libclc bitcode for '
                                                                 'NVPTX (%s)' % lib)
        if lib is None:
            die(2, note) if libclc_set else die(SKIP, 'skipped, ' + note)
        cmds[t] = clang_cmd(clang, t, lib, a)
        r = run(cmds[t] + ['-S', '-o', os.devnull, '-'], input='')
        if r.returncode != 0:
            err = first_error(r.stderr)
            if t == 'amd' and "'%s'" % a.amd_cpu in err:  # invalid target ID / unknown CPU
                die(2, '--amd-cpu %s: %s' % (a.amd_cpu, err))
            err = '%s cannot compile with %s: %s' % (clang, lib, err)
            die(2, err) if clang_set or libclc_set else die(SKIP, 'skipped, ' + err)
        if note:
            say(note)
    if 'nvidia' in targets:
        r = run([ptxas, '-arch=' + a.nv_arch, os.devnull])
        if "'gpu-name'" in r.stderr:  # "Value 'sm_30' is not defined for option 'gpu-name'"
            die(2, '--nv-arch %s: %s says: %s' % (a.nv_arch, ptxas, first_error(r.stderr)))
    return ptxas, cmds


def main():
    ap = Parser(description=__doc__.split('\n')[0])
    ap.add_argument('--params', action='append', default=[],
                    help='kernel parameters over a GPU\'s defaults, compiled after them '
                    '(repeatable)')
    ap.add_argument('--targets', default='amd,nvidia')
    ap.add_argument('--amd-cpu', default='gfx906')
    ap.add_argument('--nv-arch', default='sm_80')
    ap.add_argument('--source-tool', default=os.environ.get('AUTOREC_KERNEL_SOURCE'))
    ap.add_argument('--check', action='store_true')
    a = ap.parse_args()
    targets = list(dict.fromkeys(t for t in a.targets.split(',') if t))
    bad = [t for t in targets if t not in ('amd', 'nvidia')]
    if bad or not targets:
        ap.error('--targets: amd and/or nvidia, got %r' % a.targets)
    if not re.match(r'sm_\d+[af]?$', a.nv_arch):
        ap.error('--nv-arch: sm_NN expected (sm_80, sm_90a), got %r' % a.nv_arch)

    here = os.path.dirname(os.path.abspath(__file__))
    tool = a.source_tool or os.path.normpath(os.path.join(here, '..', 'build',
                                                          'autorec_kernel_source'))
    if not (os.path.isfile(tool) and os.access(tool, os.X_OK)):
        die(2, ('--source-tool %s: not an executable file' % tool) if a.source_tool else
             'no autorec_kernel_source at %s (build it, or --source-tool)' % tool)
    # every --params read before anything is compiled: a wrong one is said at once
    runs, opts = list(dict.fromkeys([''] + a.params)), {}
    for params in runs:
        argv = [tool, '--type', 'gpu'] + (['--params', params] if params else [])
        r = run(argv + ['--options'])
        if r.returncode != 0:
            die(2, r.stderr.strip() or '%s exited %d, no message' % (' '.join(argv),
                                                                      r.returncode))
        opts[params] = r.stdout.split()
    ptxas, cmds = tools(a, targets)

    failures = []
    for params in runs:
        with tempfile.TemporaryDirectory(prefix='gpu_isa.') as tmp:
            src = os.path.join(tmp, 'program.cl')
            argv = [tool, '--type', 'gpu'] + (['--params', params] if params else [])
            with open(src, 'w') as f:
                r = run(argv, stdout=f, stderr=subprocess.PIPE)
            if r.returncode != 0:
                die(2, r.stderr.strip() or '%s exited %d, no message' % (' '.join(argv),
                                                                          r.returncode))
            res = {}
            for t in targets:
                if t == 'amd':
                    res[t], err = compile_amd(cmds[t], src, opts[params], tmp)
                else:
                    res[t], err = compile_nvidia(cmds[t], ptxas, src, opts[params], a.nv_arch,
                                                 tmp)
                if err:
                    failures.append('%s, params "%s": does not compile: %s'
                                    % (t, params or 'GPU defaults', first_error(err)))
                    print(err, file=sys.stderr)
            report(params, opts[params], res, a, failures)
    for f in failures:
        say(f)
    if a.check and failures:
        say('%d problem(s)' % len(failures))
        return 1
    return 0


def report(params, opts, res, a, failures):
    print('# params: %s (%s)' % (params or 'GPU defaults', ' '.join(opts)))
    head = ['kernel']
    if res.get('amd') is not None:
        head += ['%s VGPRs' % a.amd_cpu, 'scratch B', 'LDS B', 'waves/SIMD', 'calls']
    if res.get('nvidia') is not None:
        head += ['%s regs' % a.nv_arch, 'stack B', 'spill B', 'calls']
    names = sorted(set().union(*[set(r) for r in res.values() if r]))
    for t, r in res.items():
        if r is not None and not r:  # compiled, yet no kernel: a check of nothing passes nothing
            failures.append('%s, params "%s": no kernel found in the program'
                            % (t, params or 'GPU defaults'))
    print('| ' + ' | '.join(head) + ' |')
    print('|' + '---|' * len(head))
    for k in names:
        row = [k]
        if res.get('amd') is not None:
            d = res['amd'].get(k, {})
            row += [str(d.get(x, '-')) for x in ('vgpr', 'scratch', 'lds', 'occupancy', 'calls')]
            if d.get('scratch', 0) or d.get('calls', 0):
                failures.append('amd, params "%s": %s uses %d bytes of scratch, %d calls'
                                % (params or 'GPU defaults', k, d.get('scratch', 0),
                                   d.get('calls', 0)))
        if res.get('nvidia') is not None:
            d = res['nvidia'].get(k, {})
            row += [str(d.get(x, '-')) for x in ('regs', 'stack', 'spill', 'calls')]
            if d.get('spill', 0) or d.get('calls', 0):
                failures.append('nvidia, params "%s": %s spills %d bytes, %d calls'
                                % (params or 'GPU defaults', k, d.get('spill', 0),
                                   d.get('calls', 0)))
        print('| ' + ' | '.join(row) + ' |')
    print()


if __name__ == '__main__':
    try:
        rc = main()
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went (| head -1): stop quietly, as a C tool would
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        rc = 1
    sys.exit(rc)
