"""The project's own error types.

Every failure a user can cause (a bad file, a wrong flag, a missing extra) raises one of these; the CLI
turns it into a single line on stderr and a non-zero exit code. Anything else is a bug and keeps its
traceback.
"""


class LowlightError(Exception):
    """Base class: a user-facing failure with a one-line message."""

    exit_code = 2


class InputError(LowlightError):
    """A file or argument the user gave cannot be used (missing, corrupt, wrong shape, non-finite)."""


class CheckpointError(InputError):
    """A checkpoint cannot be loaded safely or does not match the architecture."""


class ModelError(InputError):
    """An exported model (ONNX, engine) cannot be loaded or does not take packed Bayer input."""


class OutsideProfile(ModelError):
    """An input whose shape the model was not built for (a TensorRT engine's optimization profile): that frame
    cannot run on it, other frames may; `validate` reports the frame as skipped for that model."""


class DeviceError(LowlightError):
    """The GPU layer cannot run here (no device, a CUDA driver older than the CUDA bindings need)."""


class ExportError(LowlightError):
    """Export or conversion failed a gate (checker, parity); nothing was written."""


class OutputError(LowlightError):
    """An output cannot be written (exists without --force, folder not writable, disk full)."""


class MissingDependency(LowlightError):
    """An optional dependency is not installed; the message names the extra to install."""


class BackendUnavailable(InputError):
    """A backend cannot run on this machine (no GPU, no such ONNX Runtime provider); benchmarks list it as skipped."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C's KeyboardInterrupt so every cleanup that handles an interrupt handles it too."""
