"""The model cannot lie: a Framework, its nodes and stage rule, and a Dataset cannot be changed
after construction (so a digest keeps describing what it certified), and the specs hash."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

import mfgindex as mi
from mfgindex.framework import Framework, Node, StageRule


@pytest.fixture
def fw(mini: tuple[Path, Path]) -> Framework:
    return mi.load_framework(mini[0])


@pytest.fixture
def ds(mini: tuple[Path, Path], fw: Framework) -> mi.Dataset:
    return mi.read_data(mini[1], fw)


def test_framework_fields_and_mappings_are_read_only(fw: Framework) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        fw.id = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        fw.nodes["x1"] = Node(id="x1", parent="a", name="x")  # type: ignore[index]
    with pytest.raises(TypeError):
        del fw.nodes["x1"]  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        fw.defaults["normalize"] = "zscore"  # type: ignore[index]
    with pytest.raises(TypeError):
        fw.comparisons["a"] = ((), ())  # type: ignore[index]
    with pytest.raises(TypeError):
        fw.judgements["j.csv"] = None  # type: ignore[index]
    with pytest.raises(AttributeError):
        fw.scale.append(1.0)  # type: ignore[attr-defined]


def test_a_mapping_given_to_the_framework_is_copied(fw: Framework) -> None:
    """dataclasses.replace with a dict: the framework keeps its own read-only copy."""
    nodes = dict(fw.nodes)
    changed = dataclasses.replace(fw, nodes=nodes)
    nodes.pop("x1")
    assert "x1" in changed.nodes and changed == fw


def test_nodes_and_stage_rules_are_frozen_and_hashable(fw: Framework) -> None:
    node = fw.nodes["x1"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        node.weight = 2.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        node.direction = -1  # type: ignore[misc]
    assert fw.stages is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        fw.stages.labels = ("a",)  # type: ignore[misc]
    rule = StageRule(method="rank", labels=["a", "b"])  # type: ignore[arg-type]
    assert rule.labels == ("a", "b")
    assert len({node, rule, *fw.nodes.values()}) == len(fw.nodes) + 1


def test_frameworks_hash_as_specs(fw: Framework, mini: tuple[Path, Path]) -> None:
    again = mi.load_framework(mini[0])
    assert again == fw and hash(again) == hash(fw)
    heavier = dataclasses.replace(
        fw, nodes={**fw.nodes, "x1": dataclasses.replace(fw.nodes["x1"], weight=5.0)}
    )
    assert heavier != fw
    assert len({fw, again, heavier}) == 2


def test_dataset_cannot_be_changed(ds: mi.Dataset) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        ds.file_digest = "0" * 64  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        ds.units[0] = "forged"
    with pytest.raises(ValueError, match="read-only"):
        ds.matrix[0, 0] = 1e9
    with pytest.raises(ValueError, match="read-only"):
        ds.column(ds.columns[0])[0] = 1e9
    with pytest.raises(ValueError, match="read-only"):
        ds.values.to_numpy()[0, 0] = 1e9
    assert ds.years is None or not ds.years.flags.writeable
    assert ds.names is None or not ds.names.flags.writeable


def test_frames_handed_out_are_copies(ds: mi.Dataset) -> None:
    """Editing the DataFrames a dataset hands out never reaches the values it holds, so the
    file digest and the content digest keep describing them."""
    before = ds.content_digest
    held = ds.matrix.copy()
    frame = ds.values
    frame[ds.columns[0]] = -1.0
    frame["extra"] = 0.0
    text = ds.unit_columns
    if len(text.columns):
        text[text.columns[0]] = "forged"
    assert list(ds.values.columns) == list(ds.columns)
    np.testing.assert_array_equal(ds.matrix, held)
    assert ds.content_digest == before == dataclasses.replace(ds).content_digest


def test_content_digest_follows_the_values(ds: mi.Dataset) -> None:
    """A dataset derived with other values has their content digest and no file digest: it
    cannot claim to be the file it was derived from."""
    assert len(ds.digest) == 64 and dataclasses.replace(ds).digest == ds.digest
    shifted = dataclasses.replace(ds, matrix=ds.matrix + 1.0)
    assert shifted.content_digest != ds.content_digest and shifted.digest == ""
    assert not shifted.matrix.flags.writeable
    part = ds.select(np.arange(len(ds)) < 2)
    assert len(part) == 2 and part.digest == "" and part.content_digest != ds.content_digest


def test_frameworks_and_datasets_pickle(fw: Framework, ds: mi.Dataset) -> None:
    """Dask's distributed workers and process pools receive them pickled: still read-only."""
    import pickle

    fw.children(fw.id)  # fill the cache, which is not sent
    fw2 = pickle.loads(pickle.dumps(fw))
    assert fw2 == fw and hash(fw2) == hash(fw) and fw2.children(fw.id) == fw.children(fw.id)
    with pytest.raises(TypeError):
        fw2.nodes["x1"] = fw.nodes["x2"]  # type: ignore[index]
    ds2 = pickle.loads(pickle.dumps(ds))
    assert ds2.digest == ds.digest and not ds2.matrix.flags.writeable
