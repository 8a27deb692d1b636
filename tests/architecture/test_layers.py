"""The layer rule of docs/architecture.md, enforced: an app refers only to apps of a lower layer.

A reference is an import, an `apps.get_model`, a URL name (`reverse`, `resolve_url`, `redirect`,
`{% url %}` in the app's templates), a migration dependency, or a model named by string in a
relation (`ForeignKey("cases.Case")`). Apps of one layer do not refer to each other either: a
lower app that must point at a higher one's row keeps its id.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

HOTLINE = Path(__file__).resolve().parents[2] / "hotline"

# One place: the layer of every app. docs/architecture.md shows the same table.
LAYERS: dict[str, int] = {
    "core": 1,
    "audit": 2,
    "portals": 3,
    "accounts": 4,
    "members": 4,
    "urllist": 5,
    "hashlist": 5,
    "cases": 6,
    "takedown": 7,
    "outcomes": 8,
    "intake": 9,
    "assessment": 9,
    "stats": 10,
    "demo": 11,
}

URL_FUNCTIONS = {"reverse", "reverse_lazy", "resolve_url", "redirect"}
RELATIONS = {"ForeignKey", "OneToOneField", "ManyToManyField"}
TEMPLATE_URL = re.compile(r"""\{%\s*url\s+['"]([a-z_]+):""")


@dataclass(frozen=True)
class Reference:
    source: str  # app that refers
    target: str  # app referred to
    where: str  # file:line
    what: str

    def __str__(self) -> str:
        source = f"{self.source} (layer {LAYERS[self.source]})"
        target = f"{self.target} (layer {LAYERS[self.target]})"
        return f"{self.where}: {source} {self.what} {target}"


def _string(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def references_in_python(app: str, source: str, where: str) -> list[Reference]:
    """Every reference from `source` (a module of `app`) to another Hotline app."""
    found: list[Reference] = []

    def add(target: str, line: int, what: str) -> None:
        if target in LAYERS and target != app:
            found.append(Reference(app, target, f"{where}:{line}", what))

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            if parts[0] == "hotline" and len(parts) > 1:
                add(parts[1], node.lineno, "imports")
            elif node.module == "hotline":
                for alias in node.names:
                    add(alias.name, node.lineno, "imports")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "hotline" and len(parts) > 1:
                    add(parts[1], node.lineno, "imports")
        elif isinstance(node, ast.Call):
            name = _call_name(node)
            first = _string(node.args[0]) if node.args else None
            if name == "get_model" and first:
                add(first.split(".")[0], node.lineno, "get_model names")
            elif name in URL_FUNCTIONS and first and ":" in first:
                add(first.split(":")[0], node.lineno, "names a URL of")
            elif name in RELATIONS:
                target = first or next(
                    (_string(k.value) for k in node.keywords if k.arg == "to"), None
                )
                if target and "." in target:
                    add(target.split(".")[0].lower(), node.lineno, "relates by string to")
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "dependencies" for t in node.targets
        ):
            for element in ast.walk(node.value):
                if isinstance(element, ast.Tuple) and element.elts:
                    target = _string(element.elts[0])
                    if target:
                        add(target, element.lineno, "has a migration depending on")
    return found


def references_in_template(app: str, text: str, where: str) -> list[Reference]:
    return [
        Reference(
            app, m.group(1), f"{where}:{text.count(chr(10), 0, m.start()) + 1}", "names a URL of"
        )
        for m in TEMPLATE_URL.finditer(text)
        if m.group(1) in LAYERS and m.group(1) != app
    ]


def all_references() -> list[Reference]:
    found: list[Reference] = []
    for app in LAYERS:
        folder = HOTLINE / app
        for path in sorted(folder.rglob("*.py")):
            where = str(path.relative_to(HOTLINE.parent))
            found += references_in_python(app, path.read_text(encoding="utf-8"), where)
        for path in sorted((folder / "templates").rglob("*.html")):
            where = str(path.relative_to(HOTLINE.parent))
            found += references_in_template(app, path.read_text(encoding="utf-8"), where)
    return found


def test_every_app_has_a_layer() -> None:
    apps = {p.parent.name for p in HOTLINE.glob("*/apps.py")}
    assert apps == set(LAYERS), "add the new app to LAYERS and to docs/architecture.md"


def test_apps_refer_only_to_lower_layers() -> None:
    wrong = [ref for ref in all_references() if LAYERS[ref.target] >= LAYERS[ref.source]]
    assert not wrong, "references to the same or a higher layer:\n" + "\n".join(map(str, wrong))


@pytest.mark.parametrize(
    ("source", "target", "what"),
    [
        ("from hotline.intake.models import Report", "intake", "imports"),
        ("import hotline.cases.canonical", "cases", "imports"),
        ("from hotline import assessment", "assessment", "imports"),
        ("apps.get_model('cases', 'Case')", "cases", "get_model names"),
        ("reverse('assessment:queue')", "assessment", "names a URL of"),
        ("resolve_url('intake:report')", "intake", "names a URL of"),
        ("case = models.ForeignKey('cases.Case', on_delete=models.PROTECT)", "cases", "relates"),
        ("x = models.ForeignKey(to='cases.case', on_delete=None)", "cases", "relates"),
        ("dependencies = [('cases', '0001_initial')]", "cases", "migration"),
    ],
)
def test_the_checker_sees_each_kind_of_reference(source: str, target: str, what: str) -> None:
    refs = references_in_python("urllist", source, "example.py")
    assert [r.target for r in refs] == [target] and what in refs[0].what


def test_the_checker_sees_url_names_in_templates() -> None:
    refs = references_in_template("portals", "<a href=\"{% url 'intake:report' %}\">", "t.html")
    assert [r.target for r in refs] == ["intake"]


def test_scope_strings_are_not_mistaken_for_url_names() -> None:
    assert references_in_python("members", 'URLLIST_READ = "urllist:read"', "m.py") == []
