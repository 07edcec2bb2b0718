"""Tiny, randomly initialised pretrained models, saved the way their libraries save them.

Each builder makes a model from the library's own config classes with a few thousand weights,
saves it with ``save_pretrained`` into a folder, and returns the folder, so tests exercise the
real loading code (config parsing, pipeline dispatch, weight loading) with no network. Weights are
drawn from a fixed torch seed inside ``fork_rng``, so the global generator is untouched.

``weights(kind)`` builds each kind once per test session (in a temporary folder removed at exit)
and skips the calling test when the kind's library (the foundation extra) is not installed.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile
from pathlib import Path

import pytest

# The hub must never be reached from the tests: hub ids fail fast instead of waiting on network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

_T5 = dict(d_model=16, d_kv=4, d_ff=16, num_layers=1, num_decoder_layers=1, num_heads=2,
           dropout_rate=0.0, relative_attention_num_buckets=8, feed_forward_proj="relu")
_QUANTILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]


def chronos_t5(path: Path) -> None:
    """Chronos (T5): 32 bins plus 2 special tokens, context 64, native horizon 8."""
    from transformers import T5Config, T5ForConditionalGeneration

    n_tokens = 34
    config = T5Config(
        vocab_size=n_tokens, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0, **_T5,
        chronos_config={
            "tokenizer_class": "MeanScaleUniformBins",
            "tokenizer_kwargs": {"low_limit": -15.0, "high_limit": 15.0},
            "context_length": 64, "prediction_length": 8, "n_tokens": n_tokens,
            "n_special_tokens": 2, "pad_token_id": 0, "eos_token_id": 1, "use_eos_token": True,
            "model_type": "seq2seq", "num_samples": 4, "temperature": 1.0, "top_k": 50,
            "top_p": 1.0,
        },
    )
    T5ForConditionalGeneration(config).save_pretrained(path)


def chronos_bolt(path: Path) -> None:
    """Chronos-Bolt: patches of 4, context 64, native horizon 8, 9 quantiles."""
    from chronos.chronos_bolt import ChronosBoltModelForForecasting
    from transformers import T5Config

    config = T5Config(
        **_T5, decoder_start_token_id=0, chronos_pipeline_class="ChronosBoltPipeline",
        chronos_config={"context_length": 64, "prediction_length": 8, "input_patch_size": 4,
                        "input_patch_stride": 4, "quantiles": _QUANTILES, "use_reg_token": True},
    )
    ChronosBoltModelForForecasting(config).save_pretrained(path)


def chronos2(path: Path) -> None:
    """Chronos-2: patches of 4, context 64, 4 output patches (native horizon 16)."""
    from chronos.chronos2 import Chronos2Model
    from chronos.chronos2.config import Chronos2CoreConfig

    config = Chronos2CoreConfig(
        d_model=16, d_kv=4, d_ff=16, num_layers=1, num_heads=2, dropout_rate=0.0,
        chronos_pipeline_class="Chronos2Pipeline",
        chronos_config={"context_length": 64, "input_patch_size": 4, "input_patch_stride": 4,
                        "output_patch_size": 4, "max_output_patches": 4, "quantiles": _QUANTILES,
                        "use_reg_token": True, "use_arcsinh": True},
    )
    Chronos2Model(config).save_pretrained(path)


def timesfm(path: Path) -> None:
    """TimesFM 3: input patches of 4, output patches of 8, one 16-wide transformer layer."""
    from timesfm3.torch import configs
    from timesfm3.torch.model import TimesFM3Torch

    layer = configs.TransformerConfig(
        model_dims=16, hidden_dims=16, num_heads=2, attention_norm="rms", feedforward_norm="rms",
        qk_norm="rms", use_bias=False, use_rope_seq=True, use_rope_var=True, ff_activation="relu",
        deterministic=True, training=False)
    model = TimesFM3Torch(
        input_patch_len=4, output_patch_len=8,
        residual_block_config=configs.ResidualBlockConfig(hidden_dims=16, output_dims=16,
                                                          use_bias=False, activation="relu"),
        transformer_config=configs.StackedTransformersConfig(num_layers=1, transformer=layer),
    )
    model.save_pretrained(path)


def fracast(path: Path) -> None:
    """Fracast: the release architecture (the wheel's config.json), 64-point window, width 16."""
    import json

    from fracast._core.model import build_from_cfg
    from fracast.inference import _PACKAGE_WEIGHTS_DIR
    from safetensors.torch import save_file

    config = json.loads((_PACKAGE_WEIGHTS_DIR / "config.json").read_text())
    config["model"].update(d_model=16, d_ff=32, W=64, level_widths=[64], n_stages=6,
                           head_d_ff=16)
    core, head = build_from_cfg(config)
    state = {f"core.{k}": v for k, v in core.state_dict().items()}
    state.update({f"head.{k}": v for k, v in head.state_dict().items()})
    path.mkdir(parents=True)
    save_file({k: v.contiguous() for k, v in state.items()}, str(path / "model.safetensors"))
    (path / "config.json").write_text(json.dumps(config))


BUILDERS = {"chronos": chronos_t5, "chronos_bolt": chronos_bolt, "chronos2": chronos2,
            "timesfm": timesfm, "fracast": fracast}
_LIBRARIES = {"chronos": "chronos", "chronos_bolt": "chronos", "chronos2": "chronos",
              "timesfm": "timesfm3", "fracast": "fracast"}


@functools.lru_cache(maxsize=None)
def _root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="chaosbench-tiny-weights-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return root


@functools.lru_cache(maxsize=None)
def weights(kind: str) -> str:
    """Folder holding tiny ``kind`` weights (built on first use); skips without the extra."""
    pytest.importorskip(_LIBRARIES[kind], reason="the foundation extra is not installed")
    import torch

    path = _root() / kind
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        BUILDERS[kind](path)
    return str(path)

