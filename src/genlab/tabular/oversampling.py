"""``VAEOversampler``: synthetic minority rows from a tabular conditional VAE.

The contract is imbalanced-learn's (Lemaitre, Nogueira & Aridas 2017, "Imbalanced-learn: A
Python Toolbox to Tackle the Curse of Imbalanced Datasets in Machine Learning"):
``fit_resample(X, y) -> (X_resampled, y_resampled)`` returns the original rows followed by
the synthetic ones, so it drops in where ``imblearn.over_sampling.SMOTE`` (Chawla et al.
2002) goes. ``fit(X, y)`` then ``sample(n, label)`` gives synthetic rows of one class.

The generator is genlab's conditional VAE (family ``cvae``, ``arch="dense"``, ``loss="mse"``;
Kingma et al. 2014, "Semi-Supervised Learning with Deep Generative Models"; Sohn, Lee & Yan
2015, "Learning Structured Output Representation using Deep Conditional Generative
Models"), trained with ``fit()`` on *every* row with its one-hot class label y, so the
encoder and decoder learn the structure the classes share and the label only has to carry
what differs. A synthetic row of class y is

    z ~ q(z | y) = 1/n_y sum_i N(mu_i, sigma_i^2)     (latent="posterior", the default)
    z ~ N(0, I)                                       (latent="prior", the textbook CVAE sample)
    u^ = sigmoid(decoder(z, y))                       the decoder's mean, no pixel noise added

where (mu_i, sigma_i^2) are the encoder's posterior q(z | x_i, y) of the n_y training rows
of class y: the "posterior" draw is a random class-y row's posterior, i.e. the class's
aggregated posterior (Makhzani et al. 2016, "Adversarial Autoencoders"). Why not the prior:
the KL term never makes z fully independent of y, and with few minority rows the encoder
can put the class into z as well, so prior draws decoded with y = minority fall partly among
the majority. Measured on two Gaussian classes 3 standard deviations apart (400 and 40
rows): with the defaults both draws have per-feature means 2.7 to 3.0, but with beta = 0.001
prior draws drop to 2.2 to 2.6 while posterior draws stay at 2.7 to 3.0 (and with a tenth of
the training, prior draws were at 1.0 to 1.4). Decoded means are smoother than real rows
(smaller spread), as VAE samples usually are.

Preprocessing of one row x (D raw features), fitted on the rows given to ``fit``
(:class:`genlab.data.tabular.TabularPreprocessor`, ``scaling="minmax"``):

    x' = sign(x) log(1 + |x|)    for skewed non-negative columns (e.g. an amount)
    z  = (x' - mean) / std
    u  = (z - min) / (max - min)      the training rows span [0, 1], the range of the VAE's
                                      sigmoid output (the family models data in [0, 1])

and the synthetic rows go back through the inverse (:func:`inverse_transform`) to the
original column units; integer and boolean columns are rounded back to their type.

Training objective per row (see :mod:`genlab.models.vae.model`), in the [0, 1] units:

    L = sum_j (u_j - u^_j)^2 + beta * KL(N(mu, sigma^2) || N(0, I))

which is the negative ELBO of a Gaussian decoder N(u^, s^2 I) with s^2 = beta / 2, up to a
constant and a factor 2 s^2: ``beta`` sets the decoder's noise level, and with it how much
the latent code must carry. Min-max units are small (a feature's spread is often 0.02 to
0.2), so ``beta`` must be far below 1 (beta = 1 would mean a noise std of 0.7, larger than
the whole range, and every sample would collapse to the class mean). The default 0.005
(noise std 0.05) is the middle of the values tried on benchmarks/fraud.py (0.001, 0.005,
0.02 gave the same classifier figures within one standard deviation).

Training budget: ``epochs=None`` (default) trains for ``training_steps`` = 3,000 optimizer
steps of ``batch_size`` 128 whatever the table's size, so a 400-row table and a 10,000-row
one both get a usable number of updates; ``epochs=E`` asks for E passes over the rows instead.

``sampling_strategy`` is imbalanced-learn's float: the wanted ratio (rows of the minority
class) / (rows of the majority class) after resampling, default 0.5, i.e. the minority is
raised to half the majority. With more than two classes every class below that ratio is
raised to it. Asking for fewer rows than a class already has is an error, as in
imbalanced-learn.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd

import genlab.models.families  # noqa: F401  (the reconstruction families it builds on)
from genlab.callbacks import NanGuard, TrainingDiverged
from genlab.core.config import Config, TrainConfig
from genlab.core.errors import GenlabError
from genlab.core.registry import get_family
from genlab.data.tabular import TabularPreprocessor, numeric_values

SAMPLING_BATCH = 8192
LATENT_SOURCES = ("posterior", "prior")
LOG_EVERY = 100  # optimizer steps per entry of history_


@dataclasses.dataclass
class OversamplerConfig(Config):
    """Options of :class:`VAEOversampler` (see the module docstring for what they mean)."""

    sampling_strategy: float = 0.5  # wanted minority / majority rows after resampling (imbalanced-learn's float)
    latent_dim: int = 8  # size of z
    hidden_units: tuple[int, ...] = (64, 32)  # encoder's dense layers (the decoder mirrors them)
    beta: float = 0.005  # KL weight = twice the decoder's noise variance in min-max units
    epochs: int | None = None  # None: training_steps optimizer steps
    batch_size: int = 128
    learning_rate: float = 1e-3  # Adam
    training_steps: int = 3000  # the budget when epochs is None
    latent: str = "posterior"  # where z comes from when sampling: posterior (class's rows) or prior N(0, I)
    log_transform: str = "auto"  # auto: log1p of skewed non-negative columns; none
    seed: int = 0  # weights, shuffling, and the sampling stream

    def validate(self) -> None:
        if not self.sampling_strategy > 0:
            raise GenlabError(f"sampling_strategy must be > 0 (minority / majority rows after resampling), "
                              f"got {self.sampling_strategy!r}")
        for name in ("latent_dim", "batch_size", "training_steps"):
            if getattr(self, name) < 1:
                raise GenlabError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        if self.epochs is not None and self.epochs < 1:
            raise GenlabError(f"epochs must be >= 1 (or None for training_steps steps), got {self.epochs!r}")
        if not self.learning_rate > 0:
            raise GenlabError(f"learning_rate must be > 0, got {self.learning_rate!r}")
        if not self.hidden_units or any(u <= 0 for u in self.hidden_units):
            raise GenlabError(f"hidden_units must be positive, got {self.hidden_units!r}")
        if not self.beta > 0:
            raise GenlabError(f"beta must be > 0 (it is twice the decoder's noise variance), got {self.beta!r}")
        if self.latent not in LATENT_SOURCES:
            raise GenlabError(f"latent must be one of {', '.join(LATENT_SOURCES)}, got {self.latent!r}")
        if self.log_transform not in ("auto", "none"):
            raise GenlabError(f"log_transform must be one of auto, none, got {self.log_transform!r}")


def inverse_transform(processor: TabularPreprocessor, values: np.ndarray) -> np.ndarray:
    """Preprocessed rows (N, D) back to the original units: the inverse of ``transform_values``."""
    values = np.asarray(values, np.float64)
    if processor.scaling == "minmax":
        low, high = np.asarray(processor.low), np.asarray(processor.high)
        values = values * (high - low) + low  # z = u (max - min) + min
    values = values * np.asarray(processor.std) + np.asarray(processor.mean)  # x' = z std + mean
    logged = [processor.features.index(name) for name in processor.log1p]
    values[:, logged] = np.sign(values[:, logged]) * np.expm1(np.abs(values[:, logged]))  # x = sign(x') (e^|x'| - 1)
    return values


def training_steps(config: OversamplerConfig, rows: int, batch_size: int) -> int:
    """Optimizer steps of one fit: ``epochs`` passes over ``rows`` if given, else ``training_steps``."""
    if config.epochs is None:
        return config.training_steps
    return config.epochs * math.ceil(rows / batch_size)


def _check_table(X) -> tuple[pd.DataFrame, bool]:
    """(X as a DataFrame, whether it was one); GenlabError for anything but a numeric 2-D table."""
    if isinstance(X, pd.DataFrame):
        frame, was_frame = X, True
    else:
        array = np.asarray(X)
        if array.ndim != 2:
            raise GenlabError(f"X must be a 2-D table (rows, features), got an array shaped {array.shape}")
        frame, was_frame = pd.DataFrame(array, columns=[f"x{j}" for j in range(array.shape[1])]), False
    if frame.shape[1] == 0 or len(frame) == 0:
        raise GenlabError(f"X is empty (shape {frame.shape})")
    text = [str(c) for c in frame.columns
            if not (pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c]))]
    if text:
        kinds = ", ".join(f"{name!r} ({frame[name].dtype})" for name in text[:5])
        raise GenlabError(f"VAEOversampler needs numeric columns; X has non-numeric column(s) {kinds}: "
                          f"encode them as numbers first")
    missing = frame.isna().to_numpy()
    if missing.any():
        rows, columns = np.nonzero(missing)
        where = ", ".join(f"row {r} column {frame.columns[c]!r}" for r, c in zip(rows[:3], columns[:3]))
        raise GenlabError(f"X has {int(missing.sum())} missing value(s) (NaN), e.g. at {where}; "
                          f"impute them before resampling")
    return frame, was_frame


def _check_target(y, count: int) -> np.ndarray:
    """Labels as a 1-D integer array of length ``count``; GenlabError otherwise."""
    labels = np.asarray(y)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1:
        raise GenlabError(f"y must be one label per row (1-D), got an array shaped {labels.shape}")
    if len(labels) != count:
        raise GenlabError(f"X has {count} rows but y has {len(labels)} labels")
    if labels.dtype == bool:
        labels = labels.astype(np.int64)
    if not np.issubdtype(labels.dtype, np.number):
        raise GenlabError(f"y must hold integer class labels, got dtype {labels.dtype} (e.g. {labels[:3].tolist()})")
    if not np.all(np.isfinite(labels)) or not np.all(np.mod(labels, 1) == 0):
        bad = labels[~np.isfinite(labels) | (np.mod(np.nan_to_num(labels), 1) != 0)]
        raise GenlabError(f"y must hold integer class labels, got {bad[:3].tolist()}")
    labels = labels.astype(np.int64)
    if len(np.unique(labels)) < 2:
        raise GenlabError(f"y has a single class ({int(labels[0])}): there is no minority to oversample")
    return labels


class VAEOversampler:
    """Oversampler with imbalanced-learn's contract whose new rows come from a conditional VAE.

    ``VAEOversampler(sampling_strategy=0.5, seed=0).fit_resample(X, y)``: keyword
    options are the fields of :class:`OversamplerConfig`. See the module docstring.
    """

    def __init__(self, config: OversamplerConfig | dict | None = None, **options: Any):
        if isinstance(config, OversamplerConfig):
            config = config.to_dict()
        self.config = OversamplerConfig.from_dict({**(config or {}), **options})
        self.model_ = None

    def __repr__(self) -> str:
        fitted = "fitted" if self.model_ is not None else "not fitted"
        return f"VAEOversampler(sampling_strategy={self.config.sampling_strategy:g}, {fitted})"

    # fitting -----------------------------------------------------------------------------
    def fit(self, X, y, verbose: int = 0) -> "VAEOversampler":
        """Fit the preprocessing and train the conditional VAE on every row of ``X`` with its label ``y``."""
        frame, was_frame = _check_table(X)
        labels = _check_target(y, len(frame))
        features = [str(c) for c in frame.columns]
        values = numeric_values(frame, list(frame.columns), where="X")  # float64; infinities refused
        config = self.config
        self.classes_, label_index = np.unique(labels, return_inverse=True)
        self.class_counts_ = {int(c): int(n) for c, n in zip(self.classes_, np.bincount(label_index))}
        self.columns_, self.was_frame_ = list(frame.columns), was_frame
        self.dtypes_ = list(frame.dtypes)
        self.preprocessor_ = TabularPreprocessor.fit(values, features, log_transform=config.log_transform,
                                                     scaling="minmax")
        rows = self.preprocessor_.transform_values(values)  # u in [0, 1], float32 (N, D)
        import keras

        keras.utils.set_random_seed(config.seed)  # initial weights, shuffling, the sampling layer's noise
        self.model_ = self._build_model(len(features))
        self.history_ = self._train(rows, label_index.astype(np.int32), verbose)
        mean, log_variance = self.model_.encode(rows, label_index, batch_size=SAMPLING_BATCH)
        self.posteriors_ = {i: (mean[label_index == i], log_variance[label_index == i])
                            for i in range(len(self.classes_))}  # q(z|x_i, y) of every training row
        self._rng = np.random.default_rng(config.seed)
        return self

    def _build_model(self, feature_count: int):
        family = get_family("cvae")
        model_config = family.config_class.from_dict({
            "input_shape": [feature_count], "num_classes": len(self.classes_), "latent_dim": self.config.latent_dim,
            "arch": "dense", "hidden_units": list(self.config.hidden_units), "loss": "mse", "beta": self.config.beta,
            "seed": self.config.seed,
        })
        return family.model_class(model_config)

    def _train(self, rows: np.ndarray, labels: np.ndarray, verbose) -> list[dict[str, float]]:
        import tensorflow as tf

        config = self.config
        batch_size = min(config.batch_size, len(rows))
        total_steps = training_steps(config, len(rows), batch_size)
        # a repeated, reshuffled stream cut into rounds of at least LOG_EVERY steps: a small table
        # then costs no per-epoch overhead for hundreds of tiny epochs
        steps_per_round = max(LOG_EVERY, math.ceil(len(rows) / batch_size))
        stream = (tf.data.Dataset.from_tensor_slices((rows, labels))
                  .shuffle(len(rows), seed=config.seed, reshuffle_each_iteration=True).repeat().batch(batch_size))
        model = self.model_
        model.compile_for_training(TrainConfig(batch_size=batch_size, learning_rate=config.learning_rate))
        guard = NanGuard(type(model).divergence_hint)
        history = model.fit(stream, epochs=math.ceil(total_steps / steps_per_round), steps_per_epoch=steps_per_round,
                            shuffle=False, callbacks=[guard], verbose=verbose)  # the stream shuffles
        if guard.message:
            raise TrainingDiverged(guard.message)
        keys = ("loss", "reconstruction", "kl")
        return [{"step": (i + 1) * steps_per_round, **{k: float(history.history[k][i]) for k in keys}}
                for i in range(len(history.history["loss"]))]

    # sampling ------------------------------------------------------------------------------
    def _require_fitted(self) -> None:
        if self.model_ is None:
            raise GenlabError("this oversampler is not fitted yet: call fit(X, y) or fit_resample(X, y)")

    def sample(self, n: int, label: int, seed: int | None = None):
        """``n`` synthetic rows of class ``label`` in the original column units (a DataFrame if
        ``fit`` got one, else an array). Without ``seed``, successive calls continue one seeded stream."""
        self._require_fitted()
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise GenlabError(f"number of rows must be an integer >= 0, got {n!r}")
        matches = np.flatnonzero(self.classes_ == label)
        if len(matches) == 0:
            shown = label.item() if isinstance(label, np.generic) else label  # 2, not np.int64(2)
            raise GenlabError(f"label {shown!r} is not one of the fitted classes {self.classes_.tolist()}")
        rng = self._rng if seed is None else np.random.default_rng(seed)
        noise = rng.standard_normal((n, self.config.latent_dim))
        if self.config.latent == "prior":
            latents = noise  # z ~ N(0, I)
        else:  # z ~ q(z|y) = 1/n_y sum_i q(z|x_i, y): a random row's posterior, z = mu_i + sigma_i * eps
            mean, log_variance = self.posteriors_[int(matches[0])]
            picked = rng.integers(0, len(mean), n)
            latents = mean[picked] + np.exp(0.5 * log_variance[picked]) * noise
        latents = latents.astype(np.float32)
        if n == 0:
            rows = np.zeros((0, len(self.columns_)))
        else:
            decoded = self.model_.decode_latents(latents, np.full(n, matches[0]), batch_size=SAMPLING_BATCH)  # u^
            rows = inverse_transform(self.preprocessor_, decoded)
        return self._as_output(rows)

    def _as_output(self, rows: np.ndarray):
        frame = pd.DataFrame(rows, columns=self.columns_)
        for name, dtype in zip(self.columns_, self.dtypes_):
            if pd.api.types.is_bool_dtype(dtype):
                frame[name] = frame[name] > 0.5
            elif pd.api.types.is_integer_dtype(dtype):
                frame[name] = np.round(frame[name]).astype(dtype)
            else:
                frame[name] = frame[name].astype(dtype)
        return frame if self.was_frame_ else frame.to_numpy()

    def counts_to_generate(self, class_counts: dict[int, int] | None = None) -> dict[int, int]:
        """New rows per class that ``sampling_strategy`` asks for: each class below ``ratio *
        majority`` rows is raised to it (classes needing none are left out)."""
        counts = class_counts or self.class_counts_
        majority = max(counts.values())
        ratio = self.config.sampling_strategy
        wanted = {c: int(round(ratio * majority)) - n for c, n in counts.items()}  # ratio = minority / majority
        wanted = {c: v for c, v in wanted.items() if v > 0 and counts[c] < majority}
        if not wanted:
            minority = min(counts, key=counts.get)
            raise GenlabError(f"sampling_strategy {ratio:g} asks for no new rows: class {minority} already has "
                              f"{counts[minority]} rows for {majority} of the majority (ratio "
                              f"{counts[minority] / majority:.3g}); give a ratio above that")
        return wanted

    def fit_resample(self, X, y, verbose: int = 0):
        """Fit, then return (X, y) with the synthetic rows appended (imbalanced-learn's contract)."""
        frame, _ = _check_table(X)
        labels = _check_target(y, len(frame))
        classes, counts = np.unique(labels, return_counts=True)
        wanted = self.counts_to_generate({int(c): int(n) for c, n in zip(classes, counts)})  # errors before training
        self.fit(X, y, verbose=verbose)
        new_rows = [self.sample(n, label) for label, n in sorted(wanted.items())]
        new_labels = np.concatenate([np.full(n, label, np.int64) for label, n in sorted(wanted.items())] or
                                    [np.zeros(0, np.int64)])
        y_dtype = np.asarray(y).dtype
        if isinstance(X, pd.DataFrame):
            X_out = pd.concat([X, *new_rows], ignore_index=True)
        else:
            X_out = np.concatenate([np.asarray(X), *new_rows])
        y_out = np.concatenate([labels, new_labels]).astype(y_dtype if y_dtype != object else np.int64)
        if isinstance(y, pd.Series):
            y_out = pd.Series(y_out, name=y.name)
        return X_out, y_out

