import numpy as np

from mobile_former.metrics import mean_ap


def _gt():
    return [(np.array([[0, 0, 10, 10], [20, 20, 40, 40]], dtype=float), np.array([0, 1])),
            (np.array([[5, 5, 15, 25]], dtype=float), np.array([0]))]


def test_perfect_detections_score_one():
    dets = [[(0, 0.9, 0, 0, 10, 10), (1, 0.8, 20, 20, 40, 40)], [(0, 0.7, 5, 5, 15, 25)]]
    m = mean_ap(dets, _gt(), 2)
    assert abs(m["map50"] - 1) < 1e-9 and abs(m["map50_95"] - 1) < 1e-9


def test_misses_wrong_classes_and_loose_boxes_lower_the_score():
    assert mean_ap([[], []], _gt(), 2)["map50"] == 0
    wrong_class = [[(1, 0.9, 0, 0, 10, 10), (1, 0.8, 20, 20, 40, 40)], [(0, 0.7, 5, 5, 15, 25)]]
    assert mean_ap(wrong_class, _gt(), 2)["map50"] < 1
    loose = [[(0, 0.9, 0, 0, 12, 12), (1, 0.8, 20, 20, 40, 40)], [(0, 0.7, 5, 5, 15, 25)]]
    m = mean_ap(loose, _gt(), 2)
    assert m["map50"] == 1 and m["map50_95"] < 1


def test_a_high_scoring_false_positive_costs_precision():
    dets = [[(0, 0.99, 50, 50, 60, 60), (0, 0.9, 0, 0, 10, 10), (1, 0.8, 20, 20, 40, 40)], [(0, 0.7, 5, 5, 15, 25)]]
    assert 0.5 < mean_ap(dets, _gt(), 2)["map50"] < 1
