#!/usr/bin/env python3
"""readme_blocks.py — the README's examples as tests (used by test_readme.sh).

  readme_blocks.py extract README OUTDIR   one file per example block + OUTDIR/index
  readme_blocks.py compare EXPECTED ACTUAL  exit 1 (and say where) when the output differs

The convention, in README.md itself (an HTML comment, invisible when rendered,
on the line right before a fence):

  ```sh block, no marker                      run; every labelaudit call must exit 0
  <!-- readme-test: exit N -->                run; the last labelaudit call must exit N
  <!-- readme-test: skip: REASON -->          shown, not run (a reason is required)
  <!-- readme-test: output -->                this block is the output of the last run block
                                              above it (not across a skipped block)
  <!-- readme-test: output of: COMMAND -->    this block is what COMMAND prints (run after the
                                              blocks above, from the same folder)

In an output block a line "..." elides any number of lines, a trailing "  # text"
is an annotation, blank lines and runs of spaces do not count; every other line
must be printed, in order, lines between two "..." contiguous. Any other marker,
or a marker on a block it cannot apply to, is an error: the convention checks
itself. Stdlib only.
"""
import os
import re
import sys

MARK = re.compile(r'^<!--\s*readme-test:\s*(.*?)\s*-->\s*$')
FENCE = re.compile(r'^(```+|~~~+)\s*([A-Za-z0-9_+-]*)')


def blocks(lines):
    """Yields (fence_line_no, info, marker or None, body lines) for every fenced block."""
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, info, start = m.group(1), m.group(2), i
        mk = MARK.match(lines[i - 1]) if i > 0 else None
        j = i + 1
        while j < len(lines) and not lines[j].startswith(fence):
            j += 1
        if j >= len(lines):
            raise SystemExit('README line %d: unclosed fence' % (start + 1))
        yield start + 1, info, mk.group(1) if mk else None, lines[i + 1:j]
        i = j + 1


def parse_marker(line, info, marker):
    """(kind, arg) of one block: run, exit, skip, output, output-of or None (ignored)."""
    where = 'README line %d' % line
    if marker is None:
        return ('run', '') if info == 'sh' else (None, '')
    if marker == 'output':
        return 'output', ''
    m = re.match(r'^output of:\s*(\S.*)$', marker)
    if m:
        return 'output-of', m.group(1)
    if info != 'sh':
        raise SystemExit('%s: readme-test marker "%s" on a non-sh block' % (where, marker))
    m = re.match(r'^exit (\d+)$', marker)
    if m:
        return 'exit', m.group(1)
    m = re.match(r'^skip:\s*(\S.*)$', marker)
    if m:
        return 'skip', m.group(1)
    raise SystemExit('%s: unknown readme-test marker "%s" (exit N, skip: REASON, output, '
                     'output of: COMMAND)' % (where, marker))


def extract(readme, outdir):
    with open(readme, encoding='utf-8') as f:
        lines = f.read().split('\n')
    os.makedirs(outdir, exist_ok=True)
    index, prev = [], None
    for line, info, marker, body in blocks(lines):
        kind, arg = parse_marker(line, info, marker)
        if kind is None:
            continue
        if kind == 'output' and prev is None:
            raise SystemExit('README line %d: "output" block with no run block above it' % line)
        name = '%05d' % line
        if kind == 'output':
            arg = prev              # whose output it is
        ext = 'sh' if kind in ('run', 'exit', 'skip') else 'expect'
        with open(os.path.join(outdir, name + '.' + ext), 'w', encoding='utf-8') as f:
            f.write('\n'.join(body) + '\n')
        index.append('%s\t%s\t%s' % (name, kind, arg))
        if kind in ('run', 'exit', 'skip'):
            prev = None if kind == 'skip' else name
    with open(os.path.join(outdir, 'index'), 'w', encoding='utf-8') as f:
        f.write(''.join(s + '\n' for s in index))


def norm(s):
    return ' '.join(s.split())


NUMBER = re.compile(r'[-+]?\d+(?:\.(\d+))?(?:[eE]([-+]?\d+))?')


def same_line(want, got):
    """Equal, or equal but for decimals that differ by a rounding in the last
    printed digit (or 1e-6 relative): floating-point sums and BLAS kernels
    differ in the last bits between CPUs. Integers must match exactly."""
    if want == got:
        return True
    wn, gn = list(NUMBER.finditer(want)), list(NUMBER.finditer(got))
    if len(wn) != len(gn) or NUMBER.sub('#', want) != NUMBER.sub('#', got):
        return False
    for w, g in zip(wn, gn):
        if w.group(0) == g.group(0):
            continue
        if w.group(1) is None or g.group(1) is None:
            return False
        # one unit of the expected number's last printed digit, exponent included
        unit = 10.0 ** (int(w.group(2) or 0) - len(w.group(1)))
        tol = max(1e-6 * abs(float(w.group(0))), 1.01 * unit)
        if abs(float(w.group(0)) - float(g.group(0))) > tol:
            return False
    return True


def same_run(act, k, seg):
    return all(same_line(w, g) for w, g in zip(seg, act[k:k + len(seg)]))


def compare(expected, actual):
    with open(expected, encoding='utf-8') as f:
        exp = [re.sub(r'\s{2,}#\s.*$', '', s) for s in f.read().split('\n')]
    with open(actual, encoding='utf-8', errors='replace') as f:
        act = [norm(s) for s in f.read().split('\n') if s.strip()]
    segs, cur = [], []
    for s in exp:
        if s.strip() == '...':
            segs.append(cur)
            cur = []
        elif s.strip():
            cur.append(norm(s))
    segs.append(cur)
    at = 0
    for seg in segs:
        if not seg:
            continue
        found = next((k for k in range(at, len(act) - len(seg) + 1) if same_run(act, k, seg)), None)
        if found is None:
            # say which line first differs from the best partial match
            best, bk = 0, at
            for k in range(at, len(act)):
                n = 0
                while n < len(seg) and k + n < len(act) and same_line(seg[n], act[k + n]):
                    n += 1
                if n > best:
                    best, bk = n, k
            got = act[bk + best] if best and bk + best < len(act) else '(no such line)'
            print("expected '%s', got '%s'" % (seg[best], got))
            return 1
        at = found + len(seg)
    return 0


if __name__ == '__main__':
    if len(sys.argv) == 4 and sys.argv[1] == 'extract':
        extract(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == 'compare':
        sys.exit(compare(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(__doc__)
