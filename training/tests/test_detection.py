"""Both heads: targets and decoding agree, the losses behave, and a few steps of training lower the loss."""
import torch

from mobile_former import model as M
from mobile_former.detection import (CenterNetDetector, DetrDetector, box_cxcywh_to_xyxy, centernet_decode,
                                     centernet_targets, detr_loss, generalized_iou)


def test_centernet_targets_decode_back_to_the_boxes():
    boxes = [torch.tensor([[10.0, 20.0, 50.0, 44.0], [70.0, 8.0, 120.0, 90.0]])]
    classes = [torch.tensor([1, 3])]
    heat, batch_of, idx, logwh, off = centernet_targets(boxes, classes, 4, 16, 16, 8)
    assert heat.max() == 1 and int((heat == 1).sum()) == 2
    wh = torch.ones(1, 2, 16, 16)
    offset = torch.zeros(1, 2, 16, 16)
    for i, cell in enumerate(idx.tolist()):
        y, x = divmod(cell, 16)
        wh[0, :, y, x] = logwh[i].exp()
        offset[0, :, y, x] = off[i]
    dets = centernet_decode(heat, wh, offset, stride=8, threshold=0.99)[0]
    got = sorted((d[0], [round(v, 3) for v in d[2:]]) for d in dets)
    assert got == [(1, [10.0, 20.0, 50.0, 44.0]), (3, [70.0, 8.0, 120.0, 90.0])]


def test_centernet_learns_on_one_batch():
    torch.manual_seed(0)
    model = CenterNetDetector(M.tiny_variant(), 4)
    x = torch.randn(4, 3, 64, 64)
    boxes = [torch.tensor([[8.0, 8.0, 30.0, 30.0]]), torch.tensor([[30.0, 20.0, 60.0, 50.0]]),
             torch.zeros(0, 4), torch.tensor([[4.0, 40.0, 20.0, 60.0]])]
    classes = [torch.tensor([0]), torch.tensor([2]), torch.zeros(0, dtype=torch.long), torch.tensor([3])]
    from mobile_former.detection import centernet_loss
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(25):
        raw = model.forward_raw(x)
        loss, _ = centernet_loss(raw, centernet_targets(boxes, classes, 4, 8, 8, 8))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert losses[-1] < 0.5 * losses[0]


def test_giou_of_identical_boxes_is_one_and_of_far_boxes_negative():
    a = torch.tensor([[0.0, 0.0, 1.0, 1.0]])
    b = torch.tensor([[0.0, 0.0, 1.0, 1.0], [3.0, 3.0, 4.0, 4.0]])
    g = generalized_iou(a, b)[0]
    assert abs(float(g[0]) - 1) < 1e-6 and float(g[1]) < -0.5


def test_hungarian_loss_is_lowest_for_the_matching_predictions():
    gt_boxes = [torch.tensor([[0.3, 0.3, 0.2, 0.2], [0.7, 0.6, 0.3, 0.1]])]
    gt_classes = [torch.tensor([2, 0])]
    q = 5
    logits = torch.full((1, q, 5), -10.0)
    logits[0, :, 4] = 10.0                                     # every query: no object
    boxes = torch.full((1, q, 4), 0.5)
    logits[0, 3, 2], logits[0, 3, 4] = 10.0, -10.0             # query 3 predicts gt 0 exactly
    logits[0, 1, 0], logits[0, 1, 4] = 10.0, -10.0             # query 1 predicts gt 1 exactly
    boxes[0, 3], boxes[0, 1] = gt_boxes[0][0], gt_boxes[0][1]
    perfect, parts = detr_loss([(logits, boxes)], gt_classes, gt_boxes, 4)
    assert parts["l1"] < 1e-6 and parts["giou"] < 1e-6 and float(perfect) < 0.01
    swapped = boxes.clone()
    swapped[0, 3], swapped[0, 1] = gt_boxes[0][1], gt_boxes[0][0]
    worse, _ = detr_loss([(logits, swapped)], gt_classes, gt_boxes, 4)
    assert float(worse) > float(perfect) + 1.0


def test_detr_runs_and_learns_on_one_batch():
    torch.manual_seed(0)
    model = DetrDetector(M.tiny_variant(), 4, (64, 64), queries=6, decoder_blocks=2)
    x = torch.randn(2, 3, 64, 64)
    logits, boxes = model(x)
    assert logits.shape == (2, 6, 5) and boxes.shape == (2, 6, 4)
    assert float(boxes.min()) >= 0 and float(boxes.max()) <= 1
    gt_boxes = [torch.tensor([[0.3, 0.3, 0.2, 0.2]]), torch.tensor([[0.6, 0.5, 0.4, 0.3], [0.2, 0.8, 0.1, 0.1]])]
    gt_classes = [torch.tensor([1]), torch.tensor([0, 3])]
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(30):
        loss, _ = detr_loss(model.forward_all(x), gt_classes, gt_boxes, 4)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(float(loss))
    assert losses[-1] < 0.7 * losses[0]
    assert torch.allclose(box_cxcywh_to_xyxy(torch.tensor([0.5, 0.5, 0.2, 0.4])), torch.tensor([0.4, 0.3, 0.6, 0.7]))
