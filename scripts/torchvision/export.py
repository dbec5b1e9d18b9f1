# Exports torchvision MobileNetV3-small and ResNet-18 (random weights, opset 17, input "images" [N,3,224,224]) for
# the Java engine parity and speed check (scripts/torchvision/run.sh). Debian python3-torchvision.
import torch, torchvision
torch.manual_seed(0)
for name, ctor in [("mobilenet_v3_small", torchvision.models.mobilenet_v3_small), ("resnet18", torchvision.models.resnet18)]:
    m = ctor(weights=None).eval()
    x = torch.randn(1, 3, 224, 224)
    torch.onnx.export(m, x, f"{name}.onnx", opset_version=17, input_names=["images"], output_names=["logits"],
                      dynamic_axes={"images": {0: "n"}, "logits": {0: "n"}})
    print("exported", name)
