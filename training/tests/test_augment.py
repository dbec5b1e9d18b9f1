"""Augmentation invariants: after paste, scale-and-crop and flip, every box still frames its object's pixels."""
import numpy as np
import pytest

from mobile_former import augment
from mobile_former.metrics import iou_matrix


def scene(h=120, w=160):
    """Grey image with two solid coloured rectangles; their boxes are exact."""
    img = np.full((h, w, 3), 100, np.uint8)
    boxes = np.array([[20, 30, 40, 90], [100, 10, 130, 50]], np.float32)
    img[30:90, 20:40] = (255, 0, 0)
    img[10:50, 100:130] = (0, 0, 255)
    return img, boxes, np.array([0, 1])


def coloured_bbox(img, colour):
    """Bounding box of the pixels close to `colour` (after resampling, the core of the object)."""
    mask = (np.abs(img.astype(int) - colour).sum(-1) < 60)
    ys, xs = np.nonzero(mask)
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.float32)


@pytest.mark.parametrize("seed", range(8))
def test_scale_crop_and_flip_move_boxes_with_pixels(seed):
    rng = np.random.default_rng(seed)
    img, boxes, classes = scene()
    out, b, c, ig = augment.scale_crop(img, boxes, classes, np.zeros((0, 4)), (96, 128), rng, zoom=(0.6, 1.8),
                                       min_visible=0.999)
    if rng.random() < 0.5:
        out, b, ig = augment.flip(out, b, ig)
    assert out.shape == (96, 128, 3)
    for box, cls in zip(b, c):
        colour = (255, 0, 0) if cls == 0 else (0, 0, 255)
        np.testing.assert_allclose(coloured_bbox(out, colour), box, atol=1.6)


def test_plain_stretch_without_rng_is_the_plugins_mapping():
    img, boxes, classes = scene()
    out, b, c, ig = augment.scale_crop(img, boxes, classes, np.zeros((0, 4)), (60, 80), None)
    np.testing.assert_allclose(b, boxes / 2)
    assert c.tolist() == [0, 1] and len(ig) == 0


def test_objects_cut_by_the_window_become_ignore_regions():
    img, boxes, classes = scene()
    # zoom 2 at the top-left: the window is x 0..80, y 0..60; box 0 (y 30..90) is half visible, box 1 outside
    rng = np.random.default_rng(0)
    out, b, c, ig = augment.scale_crop(img, boxes, classes, np.zeros((0, 4)), (120, 160), None)
    assert len(b) == 2
    out, b, c, ig = augment.scale_crop(img, boxes[:1] + [0, 0, 0, 0], classes[:1], np.zeros((0, 4)), (120, 160),
                                       _FixedRng(), zoom=(2.0, 2.0 + 1e-9))
    assert len(b) == 0 and len(ig) == 1
    np.testing.assert_allclose(ig[0], [40, 60, 80, 120], atol=0.5)


class _FixedRng:
    """uniform() returns the lower bound: zoom = low, window at the top-left."""

    def uniform(self, lo, hi):
        return lo


def test_paste_adds_a_box_around_the_pasted_pixels():
    img, boxes, classes = scene()
    crop_img = np.full((30, 14, 3), 100, np.uint8)
    crop_img[3:27, 2:12] = (0, 255, 0)
    crop = augment.Crop(crop_img, np.array([2, 3, 12, 27], np.float32), 0)
    pasted = 0
    for seed in range(10):
        out, b, c = augment.paste(img, boxes, classes, [crop], np.random.default_rng(seed), count=1, scale=(1.0, 1.0))
        if len(b) == 2:
            continue          # this draw overlapped an existing object and was refused
        pasted += 1
        assert len(b) == 3 and c.tolist() == [0, 1, 0]
        np.testing.assert_allclose(coloured_bbox(out, (0, 255, 0)), b[2], atol=1.0)
        assert iou_matrix(b[2:], boxes).max() <= 0.1
    assert pasted >= 5


def test_colour_jitter_keeps_shape_and_range():
    img, _, _ = scene()
    out = augment.colour_jitter(img, np.random.default_rng(1))
    assert out.shape == img.shape and out.dtype == np.uint8 and not np.array_equal(out, img)
