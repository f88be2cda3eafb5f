"""The source layout keeps `platform` from shadowing the standard library's module."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _top_level_modules(folder: Path) -> set[str]:
    names = set()
    for path in folder.iterdir():
        if path.suffix == ".py" or (path.is_dir() and (path / "__init__.py").exists()):
            names.add(path.stem)
    return names


def test_platform_is_a_source_root_not_a_package():
    assert not (ROOT / "platform" / "__init__.py").exists()


def test_no_top_level_module_shadows_the_standard_library():
    clashes = {
        name
        for folder in (ROOT, ROOT / "platform")
        for name in _top_level_modules(folder)
        if name in sys.stdlib_module_names
    }
    assert clashes == set()


def test_the_standard_library_platform_module_is_the_one_imported():
    import platform

    assert hasattr(platform, "python_version")
    assert not Path(platform.__file__).resolve().is_relative_to(ROOT)


def test_required_folders_exist():
    for folder in (
        "platform/config",
        "tenants",
        "verticals/aesthetic",
        "verticals/dental",
        "verticals/optical",
        "api",
        "billing",
        "notifications",
        "deploy",
        "tests",
        "bench",
    ):
        assert (ROOT / folder).is_dir(), folder
