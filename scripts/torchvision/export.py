# Exports torchvision MobileNetV3-small and ResNet-18 (random weights, opset 17, input "images" [N,3,224,224]) for
# the Java engine's parity and speed checks (./mfs bench engines --torchvision, TorchvisionParityIT). Debian
# python3-torchvision.
#
# torchvision's own initialisation leaves MobileNetV3-small's logits at ~2e-9 (its classifier is drawn at std 0.01
# after many shrinking blocks): any two engines agree there, so the comparison would say nothing. BatchNorm statistics
# and affine terms and the Linear layers are redrawn so the logits are O(0.1) (MobileNetV3) and O(10) (ResNet-18).
import torch, torchvision

torch.manual_seed(0)
for name, ctor in [("mobilenet_v3_small", torchvision.models.mobilenet_v3_small),
                   ("resnet18", torchvision.models.resnet18)]:
    m = ctor(weights=None).eval()
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.uniform_(-0.1, 0.1)
                mod.running_var.uniform_(0.5, 1.5)
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.1, 0.1)
            elif isinstance(mod, torch.nn.Linear):
                mod.weight.normal_(0, mod.in_features ** -0.5)
                mod.bias.uniform_(-0.1, 0.1)
    x = torch.randn(1, 3, 224, 224)
    torch.onnx.export(m, x, f"{name}.onnx", opset_version=17, input_names=["images"], output_names=["logits"],
                      dynamic_axes={"images": {0: "n"}, "logits": {0: "n"}})
    print("exported", name)
