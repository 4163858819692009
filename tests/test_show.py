"""`augkit.show` and ``augkit show``: grids of augmented copies with targets drawn on top."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

import augkit as A
import augkit.show as show_mod
from augkit.cli import main


def test_show_callable_after_module_import_and_grid_shape():
    g = A.show(A.HFlip(p=1.0), n=5, seed=0, tile=64)
    assert g.dtype == np.uint8 and g.ndim == 3 and g.shape[2] == 3
    # 5 tiles -> 3 columns x 2 rows of 64 px cells with 4 px gaps
    assert g.shape == (2 * 64 + 3 * 4, 3 * 64 + 4 * 4, 3)
    assert np.array_equal(show_mod(A.HFlip(p=1.0), n=5, seed=0, tile=64), g)


def test_show_is_reproducible_and_seed_dependent():
    a = A.show(A.Rotate(degrees=40), n=4, seed=1, tile=48)
    assert np.array_equal(a, A.show(A.Rotate(degrees=40), n=4, seed=1, tile=48))
    assert not np.array_equal(a, A.show(A.Rotate(degrees=40), n=4, seed=2, tile=48))


def test_render_draws_mask_boxes_and_keypoints_where_they_are():
    img = np.full((40, 50, 3), 100, np.uint8)
    mask = np.zeros((40, 50), np.uint8)
    mask[5:15, 5:15] = 1
    s = A.Sample(img, mask=mask, boxes=np.array([[20.0, 20.0, 40.0, 35.0]]),
                 box_labels=np.array([2]), keypoints=np.array([[45.5, 5.5, 1.0], [2.5, 35.5, 0]]))
    pic = show_mod.render(s)
    assert (pic[10, 10] != 100).any() and (pic[2, 30] == 100).all()  # overlay only on the mask
    assert tuple(pic[27, 20]) == tuple(show_mod.PALETTE[2])  # box edge, label 2 colour
    assert (pic[27, 30] == 100).all()  # box inside untouched
    assert (pic[5, 45] != 100).any()  # visible keypoint drawn
    assert (pic[35, 2] == 100).all()  # invisible keypoint not drawn
    assert np.array_equal(s.image, img)  # input untouched


def test_targets_follow_the_flip_in_the_picture():
    s = show_mod.astronaut()
    flipped = show_mod.render(A.HFlip(p=1.0)(s))
    # mask, boxes and keypoints moved with the pixels: the picture is the mirrored picture
    assert np.array_equal(flipped, show_mod.render(s)[:, ::-1])


def test_bundled_photo_targets_are_consistent():
    s = show_mod.astronaut()
    assert s.image.shape == (512, 512, 3) and set(np.unique(s.mask)) == {0, 1, 2, 3}
    for label in (1, 2):  # face and patch boxes enclose their mask regions
        ys, xs = np.nonzero(s.mask == label)
        b = s.boxes[label - 1]
        assert b[0] <= xs.min() and xs.max() < b[2] and b[1] <= ys.min() and ys.max() < b[3]
    assert (s.mask[s.keypoints[0, :, 1].astype(int), s.keypoints[0, :, 0].astype(int)] == 1).all()


def test_show_accepts_images_and_rejects_bad_args():
    g = A.show(A.VFlip(p=1.0), np.zeros((10, 20), np.uint8), n=1)
    assert g.shape == (18, 28, 3)
    with pytest.raises(A.AugkitTypeError, match="show: op"):
        A.show("Rotate")
    with pytest.raises(A.AugkitValueError, match="show: n"):
        A.show(A.HFlip(), n=0)


def test_resolve_targets(tmp_path):
    assert show_mod.resolve("Rotate") == A.Rotate()
    assert show_mod.resolve('{"type": "Rotate", "degrees": 45}') == A.Rotate(degrees=45)
    pipe = A.Seq([A.HFlip(), A.Rotate(degrees=10)])
    assert show_mod.resolve(str(A.save(pipe, tmp_path / "p.yaml"))) == pipe
    assert isinstance(show_mod.resolve("poor", size=32), A.Seq)
    assert type(show_mod.resolve("rand-m9-n2-mstd0.5")).__name__ == "RandAugment"
    assert type(show_mod.resolve("autoaugment-cifar10")).__name__ == "AutoAugment"
    from augkit.policy import policies_dir

    yaml_file = sorted(policies_dir().glob("*.yaml"))[0]
    runner = show_mod.resolve(str(yaml_file))
    assert type(runner).__name__ == "AutoAugment" and runner(show_mod.astronaut()).image.shape \
        == (512, 512, 3)
    with pytest.raises(A.AugkitValueError, match="show: target"):
        show_mod.resolve("NoSuchOp")


def test_cli_show_writes_a_png(tmp_path, capsys):
    out = tmp_path / "grid.png"
    assert main(["show", "Rotate", "--n", "4", "--tile", "64", "--out", str(out)]) == 0
    pic = cv2.imread(str(out))
    assert pic is not None and pic.shape == (2 * 64 + 12, 2 * 64 + 12, 3)
    assert "Rotate" in capsys.readouterr().out
    img = tmp_path / "in.png"
    cv2.imwrite(str(img), np.full((30, 40, 3), 200, np.uint8))
    pipe = tmp_path / "pipe.json"
    pipe.write_text(json.dumps({"format": "augkit/1", "op": {"type": "VFlip", "p": 1.0}}))
    assert main(["show", str(pipe), "--image", str(img), "--n", "1", "--out", str(out)]) == 0
    assert cv2.imread(str(out)).shape == (38, 48, 3)
    # no arguments: the poor tier on the bundled photo
    assert main(["show", "--n", "2", "--tile", "40", "--out", str(out)]) == 0
    assert cv2.imread(str(out)).shape == (48, 2 * 40 + 12, 3)


def test_show_rejects_a_tile_below_one_pixel():
    for tile in (0, -5, True, 2.5):
        with pytest.raises(A.AugkitValueError, match="show: tile is"):
            A.show(A.HFlip(), np.zeros((10, 20), np.uint8), n=1, tile=tile)


def test_cli_show_refuses_an_unwritable_out_before_rendering(tmp_path, capsys, monkeypatch):
    """`--out missing_dir/x.png` printed a traceback after rendering the whole grid."""
    monkeypatch.setattr(show_mod, "show", lambda *a, **k: pytest.fail("rendered anyway"))
    out = tmp_path / "missing_dir" / "x.png"
    assert main(["show", "Rotate", "--n", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == (f"augkit show: error: out {str(out)!r}: the folder "
                   f"{str(out.parent)!r} does not exist\n")
    assert not out.parent.exists()


def test_resolve_names_both_failures_of_a_file_that_is_no_op_and_no_policy(tmp_path):
    bad = tmp_path / "policy.yaml"
    bad.write_text("format: augkit-policy/1\nsubpolicies: [[[NoSuchOp, 0.5, 3]]]\n")
    with pytest.raises(A.AugkitValueError, match=r"show: target .* is neither an op file "
                       r"\(load: .*no 'op' key\)\) nor a policy file \(.*NoSuchOp"):
        show_mod.resolve(str(bad))
    with pytest.raises(A.AugkitValueError, match=r"show: target \(inline JSON\) is not valid "
                       "JSON"):
        show_mod.resolve('{"type": ')
