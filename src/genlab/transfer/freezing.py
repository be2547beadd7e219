"""Freezing policies: which layers of a model keep their (pretrained) weights.

A model exposes freezable *groups* through :meth:`GenerativeModel.transfer_blocks`:
``{group name: [block, block, ...]}``, blocks in forward order, each a list of layers. By
default there is one group per sub-network (``encoder``, ``decoder``, ``generator``,
``discriminator``, ...) and one block per layer with weights (a BatchNorm joins the layer
before it). A *freeze spec* names parts of these groups, comma-separated:

* ``encoder``       every block of the group ``encoder``;
* ``d:2``           the first 2 blocks of the group whose name starts with ``d`` (a unique
                    prefix is enough: ``g`` = generator, ``d`` = discriminator);
* ``g:-1``          every block of ``g`` except the last one;
* ``re:PATTERN``    every layer whose qualified name ``group/layer`` (nested layers
                    ``group/outer/inner``) matches the regular expression (``re.search``);
                    ``re:`` takes the rest of the spec, so put it last;
* ``""`` or ``none``  nothing.

Freezing sets ``layer.trainable = False``. Frozen variables leave ``trainable_variables``,
so a family's ``train_step`` (which differentiates with respect to ``trainable_variables``)
never updates them, and a frozen ``BatchNormalization`` runs in inference mode: it
normalizes with its stored moving statistics and does not update them (Keras 3 semantics).

Example::

    from genlab.transfer import freeze, freeze_summary
    freeze(model, "mapping,g:2,d:2")
    print(freeze_summary(model))
"""

from __future__ import annotations

import dataclasses
import math
import re

import keras

from genlab.core.errors import GenlabError


@dataclasses.dataclass(frozen=True)
class SpecItem:
    """One comma-separated part of a freeze spec: a group (optionally its first ``count``
    blocks; negative: all but the last ``-count``) or a regular expression on layer names."""

    group: str | None = None
    count: int | None = None
    pattern: str | None = None


def parse_spec(spec: str | None) -> list[SpecItem]:
    """Parse a freeze spec (see the module docstring); GenlabError names a malformed part."""
    if spec is None or spec.strip().lower() in ("", "none"):
        return []
    text = spec.strip()
    items: list[SpecItem] = []
    while text:
        if text.startswith("re:"):
            pattern = text[3:]
            try:
                re.compile(pattern)
            except re.error as error:
                raise GenlabError(f"freeze spec {spec!r}: bad regular expression {pattern!r} ({error})") from None
            if not pattern:
                raise GenlabError(f"freeze spec {spec!r}: re: needs a pattern")
            items.append(SpecItem(pattern=pattern))
            break
        part, _, text = text.partition(",")
        part, text = part.strip(), text.strip()
        if not part:
            raise GenlabError(f"freeze spec {spec!r} has an empty part")
        name, _, count_text = part.partition(":")
        if not name.strip():
            raise GenlabError(f"freeze spec {spec!r}: {part!r} names no group")
        count = None
        if count_text:
            try:
                count = int(count_text)
            except ValueError:
                raise GenlabError(f"freeze spec {spec!r}: block count in {part!r} must be an integer") from None
            if count == 0:
                raise GenlabError(f"freeze spec {spec!r}: block count in {part!r} must not be 0")
        items.append(SpecItem(group=name.strip(), count=count))
    return items


def transfer_groups(model) -> dict[str, list[list[keras.layers.Layer]]]:
    """The model's freezable groups (``model.transfer_blocks()``), checked to be non-empty."""
    groups = model.transfer_blocks()
    if not groups:
        raise GenlabError(f"model {model.name!r} declares no freezable groups")
    return groups


def resolve_group(groups: dict, name: str) -> str:
    """The group called ``name``, or the only group whose name starts with ``name``."""
    if name in groups:
        return name
    matches = [group for group in groups if group.startswith(name)]
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(f"{group} ({len(blocks)} blocks)" for group, blocks in groups.items())
    if matches:
        raise GenlabError(f"group {name!r} is ambiguous ({', '.join(matches)}); groups: {known}")
    raise GenlabError(f"this model has no group {name!r}; groups: {known}")


def leaf_layers(layer: keras.layers.Layer, prefix: str) -> list[tuple[str, keras.layers.Layer]]:
    """``(qualified name, layer)`` for ``layer`` or, for a nested model, each layer inside it that has weights."""
    if isinstance(layer, keras.Model):
        found = []
        for inner in layer.layers:
            if inner.weights:
                found += leaf_layers(inner, f"{prefix}/{inner.name}")
        return found
    return [(prefix, layer)] if layer.weights else []


def block_layers(group: str, block: list[keras.layers.Layer]) -> list[tuple[str, keras.layers.Layer]]:
    """Qualified leaf layers of one block of ``group``."""
    return [item for layer in block for item in leaf_layers(layer, f"{group}/{layer.name}")]


def all_layers(model) -> list[tuple[str, keras.layers.Layer]]:
    """Every qualified leaf layer of every group (each layer once, first group wins)."""
    seen: set[int] = set()
    found = []
    for group, blocks in transfer_groups(model).items():
        for block in blocks:
            for name, layer in block_layers(group, block):
                if id(layer) not in seen:
                    seen.add(id(layer))
                    found.append((name, layer))
    return found


def select_layers(model, spec: str | None) -> list[tuple[str, keras.layers.Layer]]:
    """The qualified leaf layers a freeze spec names, in model order, without duplicates."""
    groups = transfer_groups(model)
    chosen: set[int] = set()
    for item in parse_spec(spec):
        if item.pattern is not None:
            matched = [layer for name, layer in all_layers(model) if re.search(item.pattern, name)]
            if not matched:
                names = ", ".join(name for name, _ in all_layers(model)[:12])
                raise GenlabError(f"freeze pattern {item.pattern!r} matches no layer; layer names look like: {names}, ...")
            chosen.update(id(layer) for layer in matched)
            continue
        group = resolve_group(groups, item.group)
        blocks = groups[group]
        count = len(blocks) if item.count is None else item.count
        if abs(count) > len(blocks) or (count < 0 and -count >= len(blocks)):
            raise GenlabError(
                f"{item.group}:{item.count} asks for more blocks than group {group!r} has ({len(blocks)})"
            )
        for block in blocks[:count]:
            chosen.update(id(layer) for _, layer in block_layers(group, block))
    return [(name, layer) for name, layer in all_layers(model) if id(layer) in chosen]


def set_trainable(layers, trainable: bool) -> None:
    """Set ``trainable`` on each layer (a frozen BatchNorm then runs in inference mode)."""
    for item in layers:
        layer = item[1] if isinstance(item, tuple) else item
        layer.trainable = trainable


def freeze(model, spec: str | None) -> list[str]:
    """Freeze the layers ``spec`` names (others are left as they are); return their qualified names."""
    selected = select_layers(model, spec)
    set_trainable(selected, False)
    return [name for name, _ in selected]


def unfreeze_all(model) -> None:
    """Make every layer of every group trainable again."""
    set_trainable(all_layers(model), True)


def _count(variables) -> int:
    return int(sum(math.prod(variable.shape) for variable in variables))


def freeze_summary(model) -> str:
    """A printable table: per group and block, its layers and whether they are frozen."""
    lines = []
    total_frozen = total = 0
    for group, blocks in transfer_groups(model).items():
        frozen_blocks = 0
        rows = []
        for index, block in enumerate(blocks):
            layers = block_layers(group, block)
            frozen = [name for name, layer in layers if not layer.trainable]
            params = _count([w for _, layer in layers for w in layer.weights])
            state = "frozen" if len(frozen) == len(layers) else ("partly frozen" if frozen else "trainable")
            frozen_blocks += state == "frozen"
            names = [name.split("/", 1)[1] for name, _ in layers]
            names = ", ".join(names[:4] + ([f"... ({len(names)} layers)"] if len(names) > 4 else []))
            rows.append(f"    block {index:2d}  {state:13s} {params:>10,d} params  {names}")
        group_params = _count([w for block in blocks for _, layer in block_layers(group, block) for w in layer.weights])
        group_frozen = _count([w for block in blocks for _, layer in block_layers(group, block)
                               if not layer.trainable for w in layer.weights])
        total += group_params
        total_frozen += group_frozen
        lines.append(f"  {group}: {frozen_blocks}/{len(blocks)} blocks frozen, {group_frozen:,d} of {group_params:,d} params")
        lines += rows
    header = f"frozen: {total_frozen:,d} of {total:,d} params ({100.0 * total_frozen / max(total, 1):.1f}%)"
    return "\n".join([header, *lines])
