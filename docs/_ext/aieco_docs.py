"""Sphinx directives that generate pages of aieco's documentation from the code, so they cannot drift from it.

``.. aieco-api:: MODULE`` (reST)
    The module's docstring and an autodoc entry for each name of its ``__all__`` (functions, classes, data),
    in that order. A name exported by an earlier API page too (``sim.run_replications`` is also
    ``sim.analysis.run_replications``) is documented once, on the first page of :data:`API_MODULES`, and
    listed as a link on the later ones. Submodules named in ``__all__`` are listed.

``{aieco-markdown} NAME`` (MyST)
    Markdown that a function of this module generates, parsed in place: ``policy_levers``,
    ``scenario_library``, ``bibliography``, ``citation_bibtex``.

And four adapters that let the repository's own text build without warnings, none of which changes that
text: a constant's docstring is found where the constant is defined (not the docstring of ``dict``); the
docstrings' numpy-style ``Parameters`` sections become definition lists; the CLI's help, plain text for a
terminal, is escaped before sphinx-click reads it as reST; and the links of the README (written relative to
the repository root, for GitHub) resolve to a page of the site, or to a download of the repository file.
"""

from __future__ import annotations

import inspect
import os
import re
import sys
import tomllib
import types
from functools import cache
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from docutils.transforms import Transform
from sphinx import addnodes
from sphinx.pycode import ModuleAnalyzer
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

ROOT = Path(__file__).resolve().parents[2]

API_MODULES = ("sim", "sim.scenario", "sim.empirical", "sim.model", "sim.analysis", "sim.plots", "sim.dashboard",
               "sim.cli")
"""The public API, in the package's layer order: the top-level names, then each subpackage's ``__all__``."""


# ---------------------------------------------------------------------------------------------- API pages


@cache
def documented_at() -> dict[int, str]:
    """id(object) -> the qualified name it is documented under (its first module in API_MODULES)."""
    import importlib

    first: dict[int, str] = {}
    for modname in API_MODULES:
        mod = importlib.import_module(modname)
        for name in mod.__all__:
            obj = getattr(mod, name)
            if _kind(obj) in ("function", "class", "exception") and id(obj) not in first:
                first[id(obj)] = f"{modname}.{name}"
    return first


def _kind(obj: object) -> str:
    if isinstance(obj, types.ModuleType):
        return "module"
    if inspect.isclass(obj):
        return "exception" if issubclass(obj, BaseException) else "class"
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return "function"
    return "data"


def api_rst(modname: str) -> list[str]:
    """reST for one API page: automodule (docstring only), then the autodoc entries of ``__all__``."""
    import importlib

    mod = importlib.import_module(modname)
    lines = [f".. automodule:: {modname}", "   :no-members:", ""]
    elsewhere, submodules = [], []
    for name in mod.__all__:
        obj = getattr(mod, name)
        kind = _kind(obj)
        if kind == "module":
            submodules.append(obj.__name__)
            continue
        if modname == "sim.cli" and name == "main":
            lines += [".. py:data:: main", "",
                      "   The ``aieco`` command (a click group); its commands and options: :doc:`/cli`.", ""]
            continue
        qual = f"{modname}.{name}"
        home = documented_at().get(id(obj), qual)
        if home != qual:
            elsewhere.append(f":py:obj:`{name} <{home}>`")
            continue
        directive = {"function": "autofunction", "class": "autoclass", "exception": "autoexception",
                     "data": "autodata"}[kind]
        lines += [f".. {directive}:: {qual}"]
        if kind in ("class", "exception"):
            lines += ["   :members:"]
        if kind == "data":
            lines += ["   :no-value:"] if not isinstance(obj, str | int | float | tuple) or len(repr(obj)) > 80 else []
        lines += [""]
    if elsewhere:
        lines += [f"Also exported here, documented on an earlier page: {', '.join(elsewhere)}.", ""]
    if submodules:
        lines += ["Submodules in ``__all__``: " + ", ".join(f"``{s}``" for s in submodules) + ".", ""]
    return lines


class ApiDirective(SphinxDirective):
    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        node = nodes.section()
        node.document = self.state.document
        nested_parse_with_titles(self.state, StringList(api_rst(self.arguments[0]), source="aieco-api"), node)
        return node.children


# ------------------------------------------------------------------------------------- generated Markdown


def _strip_unit_and_source(description: str) -> str:
    """The schema's descriptions end in ``[unit] Source: ...`` (the unit is shown beside the name here, the
    sources on the references page)."""
    return re.sub(r"\s*\[[^\]]*\]\s*Source:.*$", "", description or "", flags=re.S).strip()


def policy_levers() -> str:
    """Every government field (the policy levers) with its unit, default, valid range and description, as a
    definition list."""
    from sim.scenario import Government, field_info, parameter_paths

    paths = parameter_paths()
    entries = []
    for name, f in Government.model_fields.items():
        first = next((p for p in paths if p == f"governments.US.{name}" or p.startswith(f"governments.US.{name}.")),
                     None)
        info = field_info(first) if first else {}
        key = first.removeprefix("governments.US.") if first else name
        facts = [f"unit: {info['unit']}"] if info.get("unit") else []
        facts.append(f"default (US): {info.get('default', f.default)}")
        if info.get("ge") is not None or info.get("le") is not None:
            facts.append(f"valid: {info.get('ge')} to {info.get('le')}")
        entries += [f"`{key}` ({'; '.join(facts)})",
                    f": {' '.join(_strip_unit_and_source(f.description or info.get('description', '')).split())}",
                    ""]
    return "\n".join(entries)


def scenario_library() -> str:
    """The scenarios in ``scenarios/``: what each is, which it extends and how many dated policy events it has."""
    from sim.scenario import load_scenario

    entries = []
    for path in sorted((ROOT / "scenarios").glob("*.toml")):
        raw = tomllib.loads(path.read_text())
        sc = load_scenario(path)
        parent = f"extends `{raw['extends']}`; " if raw.get("extends") else ""
        n = len(sc.events)
        entries += [f"`{path.name}` ({parent}{n} dated event{'s' * (n != 1)})",
                    f": {' '.join(sc.description.split())}", ""]
    return "\n".join(entries)


_NOT_A_REFERENCE = re.compile(r"^(scenario|assumption|numerical choice|normalisation|model resolution|argued|"
                              r"default .* lies outside)\b", re.I)


def bibliography() -> str:
    """The references behind the parameters, from the ``source`` column of the parameter table (the schema's
    field metadata): each distinct source with the parameters that cite it; then the stated assumptions, and
    the parameters that scenarios set (policy)."""
    from sim.empirical import EPOCH_CITATION
    from sim.scenario.paramdoc import parameter_table

    table = parameter_table()
    by_source: dict[str, list[str]] = {}
    for r in table.itertuples(index=False):
        if r.source:
            by_source.setdefault(r.source.strip(), []).append(r.path)
    refs = sorted((s for s in by_source if not _NOT_A_REFERENCE.match(s)), key=str.casefold)
    assumptions = sorted((s for s in by_source if _NOT_A_REFERENCE.match(s) and not s.startswith("scenario")
                          and not s.startswith("default ")), key=str.casefold)
    scenario = sorted(s for s in by_source if s.startswith("scenario"))

    def entry(source: str) -> str:
        params = ", ".join(f"`{p}`" for p in by_source[source])
        return f"1. {source.replace(chr(10), ' ')}\\\n   *Parameters:* {params}"

    out = ["## Data", "", f"- {EPOCH_CITATION}", "",
           f"## Sources of parameter values ({len(refs)})", "",
           "Empirical estimates, published figures and the project's own fits, as the schema records them.", ""]
    out += [entry(s) for s in refs]
    out += ["", f"## Stated assumptions ({len(assumptions)})", "",
            "Parameters without a direct empirical source; their plausible ranges are varied in the sensitivity "
            "analyses.", ""]
    out += [entry(s) for s in assumptions]
    out += ["", f"## Set by the scenario ({len(scenario)})", "",
            "Policy levers: their values come from each scenario's dated events (see [Scenarios and policy "
            "levers](scenarios.md)).", ""]
    out += [entry(s) for s in scenario]
    return "\n".join(out)


def citation_bibtex() -> str:
    """A BibTeX entry for the software, from CITATION.cff (title, authors, version, release date, licence)."""
    import yaml

    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    authors = " and ".join(a.get("name") or f"{a.get('family-names', '')}, {a.get('given-names', '')}"
                           for a in cff["authors"])
    released = str(cff.get("date-released", ""))
    fields = {"title": cff["title"], "author": f"{{{authors}}}", "version": cff["version"],
              "year": released[:4], "date": released, "license": cff.get("license", "")}
    body = ",\n".join(f"  {k:<8}= {{{v}}}" for k, v in fields.items() if v)
    return f"```bibtex\n@software{{aieco_{cff['version'].replace('.', '_')},\n{body}\n}}\n```"


GENERATORS = {"policy_levers": policy_levers, "scenario_library": scenario_library, "bibliography": bibliography,
              "citation_bibtex": citation_bibtex}


class MarkdownDirective(SphinxDirective):
    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        text = GENERATORS[self.arguments[0]]()
        node = nodes.section()
        node.document = self.state.document
        self.state.nested_parse(StringList(text.splitlines(), source=self.arguments[0]), 0, node,
                                match_titles=True)
        return node.children


# ----------------------------------------------------------------------- the repository's text as it is


def data_docstring(app, what, name, obj, options, lines):  # noqa: ANN001, ARG001
    """A re-exported constant has its ``#:``/string docstring in the module that defines it; without one,
    autodoc would show the docstring of its type (``dict``'s, which is not reST)."""
    if what != "data" or not lines or "\n".join(lines).strip() != (inspect.getdoc(type(obj)) or "").strip():
        return
    attr = name.rsplit(".", 1)[-1]
    lines[:] = []
    for modname, mod in sorted(sys.modules.items()):
        if modname.split(".")[0] == "sim" and getattr(mod, attr, None) is obj:
            try:
                docs = ModuleAnalyzer.for_module(modname).find_attr_docs()
            except Exception:  # noqa: BLE001 - no source to analyse: look in the next module
                continue
            if ("", attr) in docs:
                lines[:] = list(docs[("", attr)])
                return


_UNDERLINE = re.compile(r"-{3,}")
_ITEM = re.compile(r"^([A-Za-z_*][\w*]*(?:, [A-Za-z_*][\w*]*)*) : (.*)$")


def numpy_sections(app, what, name, obj, options, lines):  # noqa: ANN001, ARG001
    """The docstrings' numpy-style sections (``Parameters`` over a line of dashes, then ``name : what it is``
    with indented continuation lines) as a rubric and a definition list. (Napoleon would read the text after
    the colon as a type; here it is the description.)"""
    out: list[str] = []
    in_section = in_item = False
    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if line.strip() and not line.startswith(" ") and _UNDERLINE.fullmatch(nxt.strip()):
            out += ["", f".. rubric:: {line.strip()}", ""]
            in_section, in_item, i = True, False, i + 2
            continue
        item = _ITEM.match(line) if in_section else None
        if item:
            out += [f"``{item[1]}``", f"    {item[2]}"]
            in_item = True
        elif in_item and line.startswith(" "):
            out.append("    " + line.strip())
        else:
            if in_item and line.strip():
                out.append("")  # a paragraph after the list
            in_item = False
            out.append(line)
        i += 1
    lines[:] = out


_RST_INLINE = re.compile(r"([\\*`|])|(?<=\w)_(?=\W|$)")


_CLICK_MARKUP = re.compile(r"(^\*\*Required\*\*|``[^`]+``)")


def escape_click_help(app, ctx, lines):  # noqa: ANN001, ARG001
    """click help is plain text for a terminal; sphinx-click reads it as reST, where ``*``, ``|x|``, backquotes
    and ``name_`` are markup. Escape them in the text, not in the directive lines sphinx-click writes around it
    (``.. option::``, ``:noindex:``) nor in the ``| `` of the line blocks it makes from click's ``\\b``
    paragraphs. A ``\\b`` paragraph of prose (no line indented, unlike an example block) becomes an ordinary
    paragraph: the terminal's line breaks would be ragged on the page."""
    _unblock_prose(lines)
    for i, line in enumerate(lines):
        body = line.lstrip()
        if body.startswith((".. ", ":")):
            continue
        indent = line[: len(line) - len(body)]
        block = ""
        if body.startswith("| ") or body == "|":
            block, body = body[:2], body[2:]
        pieces = _CLICK_MARKUP.split(body)  # sphinx-click's own markup at odd indices, kept
        lines[i] = indent + block + "".join(p if k % 2 else _RST_INLINE.sub(lambda m: "\\" + m.group(0), p)
                                            for k, p in enumerate(pieces))


def _unblock_prose(lines: list[str]) -> None:
    i = 0
    while i < len(lines):
        if not lines[i].lstrip().startswith("| "):
            i += 1
            continue
        j = i
        while j < len(lines) and lines[j].lstrip().startswith("| "):
            j += 1
        texts = [line.lstrip()[2:] for line in lines[i:j]]
        if not any(text.startswith(" ") for text in texts):
            for k in range(i, j):
                lines[k] = lines[k].replace("| ", "", 1)
        i = j


def _repo_file(target: str) -> Path | None:
    path = (ROOT / target.split("#")[0]).resolve()
    return path if path.is_file() and path.is_relative_to(ROOT) else None


class RepositoryLinks(Transform):
    """The README and the other repository Markdown the site includes link to files relative to the repository
    root (``CITATION.cff``, ``benchmarks/README.md``): a link that names no page of the site but a file of the
    repository becomes a download of that file."""

    default_priority = 800

    def apply(self, **kwargs) -> None:  # noqa: ANN003
        env = self.document.settings.env
        here = Path(env.doc2path(env.docname)).parent
        for node in list(self.document.findall(addnodes.pending_xref)):
            if node.get("reftype") != "myst" or node.get("refdomain") or "#" in node["reftarget"]:
                continue
            target = node["reftarget"]
            if (here / target).exists() or target.startswith(("/", "http")):
                continue
            path = _repo_file(target)
            if path is None or env.path2doc(str(path)) in env.found_docs:
                continue
            download = addnodes.download_reference(refdoc=env.docname, reftarget=os.path.relpath(path, here),
                                                   refexplicit=node.get("refexplicit"), reftype="myst",
                                                   refdomain=None, classes=["xref", "download", "myst"])
            download.extend(node.children)
            node.replace_self(download)


class SiteLinks(SphinxPostTransform):
    """Links to a page through the repository's layout: ``experiments/README.md`` (``docs/experiments`` links to
    that folder, and Sphinx resolves the link through it), ``docs/X.md`` or ``#anchor`` of a README section that
    this page does not include (``#data-and-licence``) point at the page of the site that has it."""

    default_priority = 8  # before MyST's resolver (9), which warns about what it cannot find

    def run(self, **kwargs) -> None:  # noqa: ANN003
        env = self.env
        for node in list(self.document.findall(addnodes.pending_xref)):
            if node.get("reftype") != "myst":
                continue
            target = node["reftarget"]
            if node.get("refdomain") == "doc" and target not in env.all_docs and target.startswith(str(ROOT)):
                rel = Path(target).relative_to(ROOT).as_posix()
                for doc in (rel, rel.removeprefix("docs/")):
                    if doc in env.all_docs:
                        node["reftarget"] = doc
                        break
            elif not node.get("refdomain"):
                path = _repo_file(target)
                doc = env.path2doc(str(path)) if path else None
                if path and not doc and path.is_relative_to(ROOT / "docs"):
                    doc = env.path2doc(str(path.relative_to(ROOT / "docs")))
                if doc in env.all_docs:
                    node["refdomain"], node["reftarget"], node["reftargetid"] = "doc", doc, None
                    continue
                pages = [d for d in env.all_docs if target in _slugs(env, d)]
                if len(pages) == 1 and target not in _slugs(env, node.get("refdoc", env.docname)):
                    node["refdomain"], node["reftarget"], node["reftargetid"] = "doc", pages[0], target


def _slugs(env, docname: str) -> set[str]:  # noqa: ANN001
    return set(env.metadata.get(docname, {}).get("myst_slugs", {}))


def setup(app):  # noqa: ANN001, ANN201
    from pygments.lexers.special import TextLexer

    app.add_directive("aieco-api", ApiDirective)
    app.add_directive("aieco-markdown", MarkdownDirective)
    app.connect("autodoc-process-docstring", data_docstring)
    app.connect("autodoc-process-docstring", numpy_sections)
    for event in ("description", "usage", "options", "arguments", "envvars", "epilog"):
        app.connect(f"sphinx-click-process-{event}", escape_click_help)
    app.add_transform(RepositoryLinks)
    app.add_post_transform(SiteLinks)
    app.add_lexer("csv", TextLexer)  # Pygments has no CSV lexer; the README's roster example is CSV
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
