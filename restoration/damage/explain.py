"""Grad-CAM for a segmentation target, written with hooks.

Hand-written rather than the `grad-cam` package: that package imports torchvision at module level
(`pytorch_grad_cam/utils/model_targets.py`, `utils/image.py`), and PyPI's torchvision does not
import beside the CPU build of torch this project pins. The method is the same as its GradCAM with a
SemanticSegmentationTarget: the target is the class logit summed over the pixels predicted as
that class, weights are the spatial means of the gradients, the map is ReLU(sum_k w_k A_k).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def grad_cam(
    net: nn.Module, layer: nn.Module, x: torch.Tensor, class_index: int, threshold: float = 0.5
) -> torch.Tensor:
    """Un-normalised Grad-CAM maps (N, H, W) >= 0 at the input's resolution."""
    store: dict[str, torch.Tensor] = {}

    def hook(_module: nn.Module, _inputs: tuple, output: torch.Tensor) -> torch.Tensor:
        # Detach and re-attach: the gradient then reaches this tensor even when the weights are
        # frozen (load_model turns requires_grad off for speed).
        act = output.detach().requires_grad_(True)
        store["act"] = act
        return act

    handle = layer.register_forward_hook(hook)
    try:
        with torch.enable_grad():
            logits = net(x)
            logit = logits[:, class_index]
            mask = (torch.sigmoid(logit) >= threshold).float()
            # With nothing predicted, explain the class score everywhere instead of nothing.
            empty = mask.flatten(1).sum(1) == 0
            mask[empty] = 1.0
            target = (logit * mask).sum()
            (grad,) = torch.autograd.grad(target, store["act"])
    finally:
        handle.remove()
    act = store["act"].detach()
    weights = grad.mean(dim=(2, 3), keepdim=True)
    cam = F.relu((weights * act).sum(dim=1, keepdim=True))
    cam = F.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False)
    return cam[:, 0]
