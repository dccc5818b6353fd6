"""A name-based call graph of the workspace's Rust code, for infra/stack/test_privileges.py.

What it is: every `fn` outside test code (`#[cfg(test)] mod`, `*_tests.rs`, `fakes.rs`) with
its body, and every call in a body (`.name(args)`, `name(args)`, `Path::name(args)`), linked to
the fns of that NAME whose kind and arity fit: a `.name(..)` call to methods (a `self`
parameter) with as many other parameters as arguments, a bare `name(..)` to free fns with as
many parameters, a `Path::name(..)` to either: to the fns of that module (`runtime::run`), of a
file that implements that type (`SignedLink::parse`) or of the caller's file (`Self::new`). No
other types are resolved: a method call goes to every method of that name and arity.

Limits, and why they are acceptable for its one use (is this AWS call reachable from that
function?): it over-approximates — `map.get(&k)` reaches every one-argument method named `get`,
including the S3 adapter's — so "reachable" can be true for a call the function never makes.
It misses a call only when the path names a renamed import (`use a::b as c; c::f()`), a type
whose impl sits in another file than the fn, or a trait's default method through `Self::`. A fn only passed as a value (a handler
given to `runtime::run`, a method in `.map(Self::name)`) is linked only when named as a root or
when its path appears (`handlers::cas`), which the test does for the binaries' roots. Macros'
bodies are read like code (their calls count), closures are part of the fn they are in.
"""

import pathlib
import re


def strip(src: str) -> str:
    """Rust source with comments removed and string and char literals emptied (so a `//` in
    a URL or a brace in a string cannot break what follows)."""
    out = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        prev = src[i - 1] if i else ' '
        if src.startswith('//', i):
            j = src.find('\n', i)
            i = n if j < 0 else j
        elif src.startswith('/*', i):
            depth = 0
            while i < n:
                if src.startswith('/*', i):
                    depth += 1
                    i += 2
                elif src.startswith('*/', i):
                    depth -= 1
                    i += 2
                    if depth == 0:
                        break
                else:
                    i += 1
        elif (m := re.match(r'b?r(#*)"', src[i:i + 80])) and not (prev.isalnum() or prev == '_'):
            end = '"' + m.group(1)
            i = src.find(end, i + m.end()) + len(end)
            out.append('""')
        elif c == '"' or (src.startswith('b"', i) and not (prev.isalnum() or prev == '_')):
            j = i + (2 if c == 'b' else 1)
            while src[j] != '"':
                j += 2 if src[j] == '\\' else 1
            i = j + 1
            out.append('""')
        elif c == "'":
            m = re.match(r"'(\\(x[0-9a-fA-F]{2}|u\{[0-9a-fA-F]+\}|.)|[^\\'])'", src[i:i + 14])
            if m:
                out.append("' '")
                i += m.end()
            else:  # a lifetime
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return ''.join(out)


def _close(src: str, i: int, open_: str = '{', close: str = '}') -> int:
    depth = 0
    for j in range(i, len(src)):
        if src[j] == open_:
            depth += 1
        elif src[j] == close:
            depth -= 1
            if depth == 0:
                return j
    return len(src)


def _args(s: str) -> list:
    # Arguments: `<` does not nest here, since `a < b` is an argument too; a closure's
    # parameters (`|caller, _| ...`) are one argument, not two.
    parts, depth, cur, in_pipes = [], 0, '', False
    for ch in s:
        if ch == '|' and (in_pipes or (depth == 0 and cur.strip() in ('', 'move', 'async move'))):
            in_pipes = not in_pipes
        elif ch in '([{':
            depth += 1
        elif ch in ')]}':
            depth -= 1
        if ch == ',' and depth == 0 and not in_pipes:
            parts.append(cur)
            cur = ''
        else:
            cur += ch
    parts.append(cur)
    return [p for p in parts if p.strip()]


class Fn:
    def __init__(self, name, path, params, body, is_method):
        self.name, self.path, self.params, self.body = name, path, params, body
        self.is_method = is_method
        self.arity = len(params) - is_method

    def __repr__(self):
        return f'{self.path}::{self.name}'


def _params(text: str) -> list:
    # Parameters are split on top-level commas; `<>` count here (types: HashMap<K, V>).
    parts, depth, cur = [], 0, ''
    for ch in text:
        if ch in '([{<':
            depth += 1
        elif ch in ')]}>':
            depth -= 1
        if ch == ',' and depth == 0:
            parts.append(cur)
            cur = ''
        else:
            cur += ch
    parts.append(cur)
    return [p for p in parts if p.strip()]


class Graph:
    def __init__(self, dirs):
        self.fns = {}
        self.files = {}
        for d in dirs:
            for p in sorted(pathlib.Path(d).rglob('*.rs')):
                if p.name == 'fakes.rs' or p.name.endswith('_tests.rs') or 'target' in p.parts:
                    continue
                src = strip(p.read_text())
                while m := re.search(r'#\[cfg\(test\)\]\s*(pub(\([^)]*\))?\s+)?mod\s+\w+\s*\{', src):
                    src = src[:m.start()] + src[_close(src, m.end() - 1) + 1:]
                self.files[str(p)] = src
                for m in re.finditer(r'\bfn\s+(\w+)\s*(<[^(]*>)?\s*\(', src):
                    pe = _close(src, m.end() - 1, '(', ')')
                    params = _params(src[m.end():pe])
                    is_method = bool(params) and re.match(
                        r"\s*(&\s*('\w+\s*)?(mut\s+)?)?(mut\s+)?self\b", params[0]) is not None
                    k, semi = src.find('{', pe), src.find(';', pe)
                    if k < 0 or 0 <= semi < k:
                        continue  # a trait method without a body
                    body = src[k:_close(src, k) + 1]
                    self.fns.setdefault(m.group(1), []).append(
                        Fn(m.group(1), str(p), params, body, is_method))

    @staticmethod
    def calls(body: str):
        """(kind, name, arity, qualifier): kind '.', '::' or ''; qualifier the path segment
        before `name` in a `::` call (`runtime::run(..)` -> 'runtime', `Self::new` -> 'Self')."""
        for m in re.finditer(r'(?:\b(\w+)\s*)?(\.|::)?\s*\b(\w+)\s*(?:::<[^()]*>)?\s*\(', body):
            pe = _close(body, m.end() - 1, '(', ')')
            kind, qualifier = m.group(2) or '', m.group(1) or ''
            if kind != '::':
                qualifier = ''
            elif not qualifier:
                kind = ''  # a leading `::name(` is a bare call
            yield kind, m.group(3), len(_args(body[m.end():pe])), qualifier

    def in_module(self, f, module):
        return re.search(rf'/{module}(\.rs|/)', f.path) is not None

    def implements(self, f, type_name):
        return re.search(rf'\b(impl|trait)\b[^{{;]*\b{type_name}\b', self.files[f.path]) is not None

    def targets(self, kind, name, arity, qualifier='', caller=None):
        candidates = self.fns.get(name, [])
        if qualifier == 'Self' and caller is not None:
            # Self::name: the caller's own impl, i.e. its file.
            candidates = [f for f in candidates if f.path == caller.path]
        elif qualifier[:1].isupper():
            # Type::name: fns in a file with an impl (or trait) of that type; none when the
            # type is not the workspace's (Url::parse, String::from).
            candidates = [f for f in candidates if self.implements(f, qualifier)]
        elif qualifier and qualifier not in ('self', 'super', 'crate'):
            # module::name: that module's fns; none when it is a crate's (tokio::spawn).
            candidates = [f for f in candidates if self.in_module(f, qualifier)]
        for f in candidates:
            if kind == '.' and f.is_method and f.arity == arity:
                yield f
            elif kind == '' and not f.is_method and f.arity == arity:
                yield f
            elif kind == '::' and (f.arity == arity or (f.is_method and f.arity + 1 == arity)):
                yield f

    def reachable(self, roots):
        """Every fn reachable from `roots` (Fn objects), roots included."""
        seen, todo = set(), list(roots)
        while todo:
            f = todo.pop()
            if f in seen:
                continue
            seen.add(f)
            for call in self.calls(f.body):
                todo.extend(t for t in self.targets(*call, caller=f) if t not in seen)
        return seen
