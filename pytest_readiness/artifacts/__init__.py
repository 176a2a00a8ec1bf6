"""Reading the stack's files: one door (``Artifacts``), bounded YAML with line marks, located errors."""

from .door import ArtifactError, Artifacts, JsonFile, TextFile
from .yamldoc import KeyPath, MarkedDocument, Tagged, YamlLimits, YamlProblem, dotted, parse_yaml

__all__ = [
    "ArtifactError",
    "Artifacts",
    "JsonFile",
    "KeyPath",
    "MarkedDocument",
    "Tagged",
    "TextFile",
    "YamlLimits",
    "YamlProblem",
    "dotted",
    "parse_yaml",
]
