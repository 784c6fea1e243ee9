"""dvc.yaml, the stage modules, params.yaml, the typed config and the flow agree with each other."""
import ast
import re
import typing
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel, TypeAdapter

from tasks.core.config import Params, load_params
from tasks.testing.projects import ROOT, STAGES

DVC = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text())


# --- code deps: each stage's real import closure ----------------------------------------------

def module_file(name: str) -> Path | None:
    """The project file a dotted module name refers to, or None (a library, or not a module)."""
    base = ROOT.joinpath(*name.split("."))
    return next((p for p in (base.with_suffix(".py"), base / "__init__.py") if p.is_file()), None)


def imported(path: Path) -> set[Path]:
    """The project files `path` imports anywhere in its code (function-level imports included),
    plus each package __init__ on the way, since Python runs those too."""
    found: set[Path] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for name in names:
            parts = name.split(".")
            found |= {f for i in range(1, len(parts) + 1) if (f := module_file(".".join(parts[:i])))}
    return found


def closure(module: str) -> set[str]:
    """Every project file that running `python -m <module>` can execute, as paths from the root."""
    seen: set[Path] = set()
    todo = [module_file(module)]
    while todo:
        f = todo.pop()
        if f not in seen:
            seen.add(f)
            todo += imported(f) - seen
    return {f.relative_to(ROOT).as_posix() for f in seen}


def code_deps(stage: dict) -> set[str]:
    """The deps of a stage that are project code: .py files, and those inside a listed code folder."""
    deps = [d if isinstance(d, str) else next(iter(d)) for d in stage["deps"]]
    files = {d for d in deps if d.endswith(".py")}
    for d in deps:
        if d.split("/")[0] in ("tasks", "flows") and (ROOT / d).is_dir():
            files |= {f.relative_to(ROOT).as_posix() for f in (ROOT / d).rglob("*.py")}
    return files


def stage_module(stage: dict) -> str:
    m = re.fullmatch(r"(?:\$\{python\}|python) -m ([\w.]+)", stage["cmd"])
    assert m, f"cmd {stage['cmd']!r} is not '${{python}} -m <module>'"
    return m.group(1)


def test_closure_follows_imports_inside_functions():
    """Regression: generate imports the teacher inside a function body; dvc.yaml once missed it."""
    assert "tasks/teacher/jobs.py" in closure("tasks.generate")
    assert "tasks/tuner/blas.py" in closure("tasks.train")  # imported inside train.train only
    assert "tasks/tuner/tiny_model.py" not in closure("tasks.evaluate")


@pytest.mark.parametrize("name", list(DVC))
def test_code_deps_equal_the_stage_import_closure(name):
    stage = DVC[name]
    real = closure(stage_module(stage))
    listed = code_deps(stage)
    missing, extra = sorted(real - listed), sorted(listed - real)
    assert not missing and not extra, (
        f"dvc.yaml stage {name}: code deps differ from what `python -m {stage_module(stage)}` imports;\n"
        f"  missing: {missing}\n  extra:   {extra}")


def test_the_contract_finds_a_missing_dep():
    """The check above can fail: take a real import away from a stage's deps."""
    stage = dict(DVC["generate"])
    stage["deps"] = [d for d in stage["deps"] if d != "tasks/teacher/jobs.py"]
    assert "tasks/teacher/jobs.py" in closure(stage_module(stage)) - code_deps(stage)


# --- stages, params and the flow -----------------------------------------------------------

def test_each_stage_runs_its_own_module_and_names_its_params_section():
    for name, stage in DVC.items():
        assert stage_module(stage) == f"tasks.{name}"
        assert name in stage["params"] and name in PARAMS
        outs = [next(iter(o)) if isinstance(o, dict) else o for o in stage["outs"]]
        assert f"${{paths.reports}}/{name}.json" in outs  # cached, so `dvc pull` brings it back


def test_only_the_headline_figures_are_metrics():
    """`dvc exp show` makes a column of every metric: the stage reports' hundreds of counters are
    outs, and the one metrics file is the few headline figures."""
    metrics = [m for stage in DVC.values() for m in stage.get("metrics", [])]
    assert metrics == ["${paths.headline}"]


def test_the_flow_orders_stages_by_dependency_not_by_file_order(tmp_path):
    """The flow asks DVC's graph: listing evaluate first in dvc.yaml does not make it run first."""
    import shutil

    from flows.pipeline import stage_order
    from tasks.testing.projects import run

    run(["git", "init", "-q"], tmp_path)
    for f in ("params.yaml", "dvc.yaml", ".dvcignore"):
        shutil.copy(ROOT / f, tmp_path / f)
    shutil.copytree(ROOT / ".dvc", tmp_path / ".dvc", ignore=shutil.ignore_patterns("tmp", "cache"))
    stages = yaml.safe_load((tmp_path / "dvc.yaml").read_text())
    stages["stages"] = dict(reversed(list(stages["stages"].items())))
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump(stages, sort_keys=False))
    assert list(stages["stages"])[0] == "evaluate"
    assert stage_order(tmp_path) == STAGES  # dvc.yaml lists them in dependency order


def test_every_interpolated_key_exists_in_params():
    text = (ROOT / "dvc.yaml").read_text()
    for key in re.findall(r"\$\{([\w.]+)\}", text):
        node = PARAMS
        for part in key.split("."):
            assert part in node, f"dvc.yaml uses ${{{key}}} but params.yaml has no {key}"
            node = node[part]


def written(stage: dict) -> list[str]:
    """Every path a stage declares it writes: outs, metrics and plots (templated, as in dvc.yaml)."""
    entries = stage.get("outs", []) + stage.get("metrics", []) + stage.get("plots", [])
    return [next(iter(e)) if isinstance(e, dict) else e for e in entries]


def test_every_artifact_path_is_declared_by_exactly_one_stage_or_is_a_cache():
    """Each written path has one writer and overlaps no other (a folder out holds no other stage's
    file); each entry of params.yaml's paths is written by exactly one stage (whole, or file by
    file, as the adapter folder is: train's weights, evaluate's card), or holds the reports, or
    lives outside DVC on purpose (caches, failure reports)."""
    outs = [(name, path) for name, stage in DVC.items() for path in written(stage)]
    for i, (stage_a, a) in enumerate(outs):
        for stage_b, b in outs[i + 1:]:
            assert a != b and not b.startswith(a + "/") and not a.startswith(b + "/"), \
                f"{stage_a} writes {a} and {stage_b} writes {b}: one writer per path"
    outside_dvc = {"teacher_cache", "train_checkpoints", "failures", "model_cache"}
    for key in PARAMS["paths"]:
        ref = "${paths." + key + "}"
        writers = {name for name, path in outs if path == ref or path.startswith(ref + "/")}
        if key in outside_dvc:
            assert not writers and ref not in (ROOT / "dvc.yaml").read_text(), key
        elif key == "reports":
            assert len(writers) == len(DVC)  # every stage writes its report there
        elif key == "adapter":
            assert writers == {"train", "evaluate"}  # the weights, and the card beside them
        else:
            assert len(writers) == 1, f"paths.{key} is written by {sorted(writers) or 'no stage'}"


def test_each_stage_reads_a_dep_another_stage_writes_before_it():
    outs_so_far: list[str] = []
    for name, stage in DVC.items():
        outs = [next(iter(o)) if isinstance(o, dict) else o for o in stage.get("outs", [])]
        upstream = [d for d in stage["deps"] if any(d.startswith(o) for o in outs_so_far)]
        if name != "parse":
            assert upstream, f"{name} depends on no earlier stage's output"
        outs_so_far += outs


# --- params.yaml is the one config: every knob there, commented, equal to the code's defaults ----

def model_of(annotation):
    """The pydantic model inside an annotation such as `TeacherParams | None`, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next((m for a in typing.get_args(annotation) if (m := model_of(a))), None)


def commented_example(key: str):
    """The commented-out example of `key` in params.yaml (teacher, skills), as YAML: it must be a
    complete, valid example."""
    lines = (ROOT / "params.yaml").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == f"# {key}:")
    block = []
    for line in lines[start + 1:]:
        if not line.strip().startswith("#   "):
            break
        block.append(line.strip()[2:])
    return yaml.safe_load("\n".join(block))


def compare(model: type[BaseModel], values: dict, where: str, defaults: bool = True) -> list[str]:
    """Every field of `model` missing from `values`, and (defaults=True) every value that differs
    from the code's default."""
    problems = []
    fields = {f.alias or name: (name, f) for name, f in model.model_fields.items()}
    for key, (_, field) in fields.items():
        if key not in values:
            problems.append(f"{where}{key}: in the code, not in params.yaml")
            continue
        sub = model_of(field.annotation)
        if sub is not None and isinstance(values[key], dict):
            problems += compare(sub, values[key], f"{where}{key}.")
        elif not field.is_required() and defaults:
            default = field.get_default(call_default_factory=True)
            if TypeAdapter(field.annotation).validate_python(values[key]) != default:
                problems.append(f"{where}{key}: params.yaml says {values[key]!r}, the code's default is {default!r}")
    return problems


def test_every_knob_is_in_params_yaml_with_the_codes_default():
    problems = compare(Params, PARAMS, "")
    from tasks.core.config import TeacherParams

    problems += compare(TeacherParams, commented_example("teacher"), "generate.teacher (commented example).")
    from tasks.core.config import SkillParams

    skill = commented_example("skills")[0]  # an example, not the defaults: every knob named, and valid
    problems += compare(SkillParams, skill, "generate.skills (commented example).", defaults=False)
    SkillParams.model_validate(skill)
    assert not problems, "\n".join(problems)


def test_every_key_in_params_yaml_has_a_comment():
    """A comment on the key's line or on the line above it (nanoGPT's config files are the model)."""
    lines = (ROOT / "params.yaml").read_text().splitlines()
    bare = []
    for i, line in enumerate(lines):
        if re.match(r"\s*(- )?[\w-]+:", line) and "#" not in line:
            above = lines[i - 1].strip() if i else ""
            if not above.startswith("#"):
                bare.append(f"params.yaml:{i + 1}: {line.strip()}")
    # keys of the second curriculum stage repeat the first's, which is commented
    bare = [b for b in bare if not re.search(r": (categories|iters|learning_rate):", b)]
    assert not bare, "\n".join(bare)


def test_the_check_catches_a_default_that_drifts():
    drifted = yaml.safe_load((ROOT / "params.yaml").read_text())
    drifted["train"]["tiny"]["pretrain_iters"] = 300
    assert any("pretrain_iters" in p for p in compare(Params, drifted, ""))
    del drifted["parse"]["doc_suffixes"]
    assert any("doc_suffixes: in the code" in p for p in compare(Params, drifted, ""))


def test_params_yaml_loads_into_the_typed_models():
    assert isinstance(load_params(ROOT / "params.yaml"), Params)


def test_dvc_writes_params_yaml_back_unchanged(tmp_path):
    """`dvc exp run -S key=value` rewrites params.yaml with DVC's own YAML writer (ruamel: comments
    kept, but single quotes, empty for null, sequences not indented). params.yaml is kept in that
    form, so an experiment changes the value it sets and nothing else."""
    from dvc.utils.serialize import modify_yaml

    copy = tmp_path / "params.yaml"
    copy.write_text((ROOT / "params.yaml").read_text())
    with modify_yaml(str(copy)) as data:
        data["train"]["lora_rank"] = 16
    before, after = (ROOT / "params.yaml").read_text().splitlines(), copy.read_text().splitlines()
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    assert len(before) == len(after) and len(changed) == 1 and "lora_rank: 16" in changed[0][1]
