"""Errors and warnings raised by radiocausal.

Every exception derives from :class:`RadiocausalError` *and* from the built-in
type a caller would naturally catch (``ValueError``, ``KeyError``, ...), so both
``except RadiocausalError`` and ``except ValueError`` work.  Messages name the
parameter, the offending value and what was expected.

Examples
--------
>>> from radiocausal.errors import CycleError, GraphError
>>> issubclass(CycleError, GraphError) and issubclass(CycleError, ValueError)
True
"""

from __future__ import annotations

__all__ = [
    "RadiocausalError",
    "GraphError",
    "CycleError",
    "UnknownNodeError",
    "RoleError",
    "DagittyParseError",
    "IdentificationError",
    "DataError",
    "ImageError",
    "GeometryMismatchError",
    "EmptyMaskError",
    "ModelError",
    "ConvergenceError",
    "RadiocausalWarning",
    "RoleWarning",
    "DataWarning",
    "ConvergenceWarning",
]


class RadiocausalError(Exception):
    """Base class of every error raised on purpose by radiocausal."""


# --- causal graphs ---------------------------------------------------------------------------
class GraphError(RadiocausalError, ValueError):
    """A causal graph is malformed or a query on it makes no sense."""


class CycleError(GraphError, ValueError):
    """The declared graph has a directed cycle; ``cycle`` lists it as ``[a, b, ..., a]``."""

    def __init__(self, message: str, cycle: list[str] | None = None):
        super().__init__(message)
        self.cycle = list(cycle) if cycle is not None else []


class UnknownNodeError(GraphError, KeyError):
    """A query names a node that the graph does not have."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class RoleError(GraphError, ValueError):
    """Roles conflict (e.g. a node is both exposure and outcome, or a latent node is adjusted)."""


class DagittyParseError(GraphError, ValueError):
    """Malformed dagitty-style text; ``line`` and ``column`` are 1-based positions."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        where = f" (line {line}, column {column})" if line is not None else ""
        super().__init__(f"{message}{where}")
        self.line = line
        self.column = column


class IdentificationError(GraphError, ValueError):
    """The requested causal quantity is not identified by the asked-for method."""


# --- data and images ---------------------------------------------------------------------------
class DataError(RadiocausalError, ValueError):
    """Input data are malformed: missing columns, NaN where not allowed, mismatched ids, ..."""


class ImageError(RadiocausalError, ValueError):
    """An image or mask cannot be used (unreadable, non-finite intensities, ...)."""


class GeometryMismatchError(ImageError, ValueError):
    """Image and mask do not share size, spacing, origin or direction."""


class EmptyMaskError(ImageError, ValueError):
    """The mask (or the chosen label) contains no voxels."""


# --- models -----------------------------------------------------------------------------------
class ModelError(RadiocausalError, ValueError):
    """A statistical model cannot be built or used as asked."""


class ConvergenceError(ModelError, RuntimeError):
    """A fit did not converge and its result must not be used."""


# --- warnings ---------------------------------------------------------------------------------
class RadiocausalWarning(UserWarning):
    """Base class of radiocausal's warnings."""


class RoleWarning(RadiocausalWarning):
    """A declared role contradicts the graph's structure."""


class DataWarning(RadiocausalWarning):
    """Data are usable but suspicious (few events, constant columns, dropped rows, ...)."""


class ConvergenceWarning(RadiocausalWarning):
    """Sampler diagnostics (R-hat, ESS, divergences) suggest the posterior is unreliable."""
