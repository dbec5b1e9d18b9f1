"""Loading the official Mobile-Former release checkpoints (timm style) into our modules."""
from __future__ import annotations

from typing import Dict

import torch


def load_official(model: torch.nn.Module, checkpoint: Dict) -> torch.nn.Module:
    """Loads a checkpoint dict (weights under `state_dict`, or the bare state dict) strictly, stripping `module.`."""
    state = checkpoint.get("state_dict", checkpoint)
    state = {k[len("module."):] if k.startswith("module.") else k: v for k, v in state.items()}
    model.load_state_dict(state, strict=True)
    return model
