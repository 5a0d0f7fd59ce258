"""YAML as carecase reads it: PyYAML's safe loader, except that a key repeated in one
mapping is an error. PyYAML keeps the last value silently, so a copy-paste slip
(``deadweight: 0.3`` then ``deadweight: 0.03``) changed a model's result with no word."""

from __future__ import annotations

from typing import Any

import yaml


class DuplicateKeyError(yaml.constructor.ConstructorError):
    """A key given twice in one mapping; ``key``, ``first_line`` and ``line`` (1-based) name it."""

    def __init__(self, key: Any, first_line: int, line: int, mark: Any) -> None:
        super().__init__(None, None, f"key {key!r} appears twice in one mapping", mark)
        self.key, self.first_line, self.line = key, first_line, line

    def explain(self) -> str:
        return (f"key {self.key!r} is given twice in one mapping (line {self.first_line}, then line "
                f"{self.line}); YAML would keep the second silently. Keep one of them.")


class _UniqueKeyLoader(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: PyYAML reports it itself
                continue
            if first is not None:
                raise DuplicateKeyError(key, first, key_node.start_mark.line + 1, key_node.start_mark)
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def load(text: str) -> Any:
    """``yaml.safe_load`` that refuses a key repeated in one mapping (:class:`DuplicateKeyError`)."""
    return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
