"""Configuration of the anomaly detector: which columns, which reconstruction model, how to
score and how to choose the threshold."""

from __future__ import annotations

import dataclasses

from genlab.core.config import ModelConfig, TrainConfig, check_choice
from genlab.data.tabular import IMPUTE_CHOICES, LOG_CHOICES, SCALINGS
from genlab.core.errors import GenlabError
from genlab.core.registry import declare_tabular

SCORES = ("mse", "mae")


@dataclasses.dataclass
class DetectorConfig(ModelConfig):
    """Detector over a reconstruction model. ``input_shape`` is ``(number of features,)``, set at fit.

    Threshold rule: ``target_recall`` if given, else ``max_fpr`` if given (both chosen on a
    labelled validation split), else ``contamination`` (PyOD's percentile of training scores).
    """

    input_shape: tuple[int, ...] = dataclasses.field(default=(1,), metadata={"help": "(number of features,), from the data"})
    latent_dim: int = dataclasses.field(default=8, metadata={"help": "size of the autoencoder's code"})
    reconstruction_family: str = dataclasses.field(
        default="autoencoder", metadata={"help": "genlab family that reconstructs the rows (a dense autoencoder)"}
    )
    hidden_units: tuple[int, ...] = dataclasses.field(
        default=(64, 32), metadata={"help": "hidden layer sizes of the encoder (the decoder mirrors them)"}
    )
    score: str = dataclasses.field(default="mse", metadata={"help": "per-row reconstruction error: mse or mae"})
    contamination: float = dataclasses.field(
        default=0.01, metadata={"help": "share of training rows above the threshold (PyOD's rule)"}
    )
    max_fpr: float | None = dataclasses.field(
        default=None, metadata={"help": "choose the threshold on the validation split for this false-positive rate"}
    )
    target_recall: float | None = dataclasses.field(
        default=None, metadata={"help": "choose the threshold on the validation split for this recall"}
    )
    validation_fraction: float = dataclasses.field(
        default=0.2, metadata={"help": "with labels: stratified share of rows held out to validate and set thresholds"}
    )
    features: tuple[str, ...] = dataclasses.field(
        default=(), metadata={"help": "feature columns, comma-separated; empty: all but --label and --drop"}
    )
    label: str | None = dataclasses.field(default=None, metadata={"help": "label column: 0 normal, 1 anomaly"})
    drop: tuple[str, ...] = dataclasses.field(default=(), metadata={"help": "columns to ignore, comma-separated"})
    impute: str = dataclasses.field(default="none", metadata={"help": "missing values: none (error) or median"})
    log_transform: str = dataclasses.field(
        default="auto", metadata={"help": "auto: log1p of skewed non-negative columns; none"}
    )
    scaling: str = dataclasses.field(
        default="minmax", metadata={"help": "minmax: training normals span [0, 1], sigmoid output (rows outside that "
                                            "range cannot be reconstructed); standard: z-scores, linear output"}
    )
    top_features: int = dataclasses.field(default=3, metadata={"help": "features named per row as the main contributors"})

    def validate(self) -> None:
        super().validate()
        if len(self.input_shape) != 1:
            raise GenlabError(f"the detector reads rows of features: input_shape must be (n,), got {self.input_shape!r}")
        if not self.hidden_units or any(u <= 0 for u in self.hidden_units):
            raise GenlabError(f"hidden_units must be positive, got {self.hidden_units!r}")
        check_choice("score", self.score, SCORES)
        if not 0.0 < self.contamination <= 0.5:
            raise GenlabError(f"contamination must be in (0, 0.5], got {self.contamination!r}")
        for name in ("max_fpr", "target_recall"):
            value = getattr(self, name)
            if value is not None and not 0.0 < value < 1.0:
                raise GenlabError(f"{name} must be in (0, 1), got {value!r}")
        if self.max_fpr is not None and self.target_recall is not None:
            raise GenlabError("give --max-fpr or --target-recall, not both")
        if not 0.0 <= self.validation_fraction < 1.0:
            raise GenlabError(f"validation_fraction must be in [0, 1), got {self.validation_fraction!r}")
        if self.threshold_method != "contamination" and self.validation_fraction == 0.0:
            raise GenlabError(f"--{self.threshold_method.replace('_', '-')} chooses the threshold on a validation split: "
                              f"validation_fraction must be > 0")
        check_choice("impute", self.impute, IMPUTE_CHOICES)
        check_choice("log_transform", self.log_transform, LOG_CHOICES)
        check_choice("scaling", self.scaling, SCALINGS)
        if self.top_features < 0:
            raise GenlabError(f"top_features must be >= 0, got {self.top_features!r}")

    @property
    def threshold_method(self) -> str:
        if self.target_recall is not None:
            return "target_recall"
        return "max_fpr" if self.max_fpr is not None else "contamination"


@dataclasses.dataclass
class DetectorTrainConfig(TrainConfig):
    """Training budget of the detector's network: tables are small, so more epochs and larger batches."""

    epochs: int = 30
    batch_size: int = 256


declare_tabular("detector", DetectorConfig, aliases=("anomaly",),
                description="anomaly detector for tabular rows: reconstruction error of a dense autoencoder")
