"""Mobile-Former (Chen, Dai et al., CVPR 2022, arXiv 2108.05895) for mobileformer-streams.

The network is defined once here and exported to the single ONNX file every engine of the plugin runs.
Layout follows ../shared/mobile-former-spec.md: `blocks` holds the few block classes, `model` the variant
table, `detection` the two detection heads, `counting` the parameter and MAdds counters.
"""
from .model import MobileFormer, VARIANTS, build_trunk, build_classifier  # noqa: F401
