"""`Lambda`: a module-level function as an op, saved by its import path; lambdas and closures
work but refuse to be saved, with a typed error."""

from __future__ import annotations

import numpy as np
import pytest

import augkit
from augkit import Sample, from_dict, to_dict
from augkit.poor.lambdas import Lambda
from augkit.testing import check_op, default_sample


def brighten(img):
    """A module-level function (importable as tests.test_lambda:brighten when run by pytest)."""
    return np.minimum(img.astype(np.int32) + 10, 255).astype(img.dtype) \
        if img.dtype == np.uint8 else np.minimum(img + 0.04, 1.0).astype(np.float32)


def noisy(img, rng):
    return np.clip(img + rng.integers(-3, 4, img.shape), 0, 255).astype(img.dtype)


def crop_sample(s):
    return augkit.poor.Crop(size=(8, 8))(s, rng=np.random.default_rng(0))


def test_a_function_is_stored_by_its_import_path_and_round_trips():
    op = Lambda(brighten)
    assert op.fn == f"{brighten.__module__}:brighten"
    assert op == Lambda(f"{brighten.__module__}:brighten")
    back = from_dict(to_dict(op))
    assert back == op and hash(back) == hash(op)
    img = np.full((4, 5, 3), 100, np.uint8)
    np.testing.assert_array_equal(back(img), brighten(img))


def test_a_lambda_or_closure_runs_but_refuses_to_be_saved():
    op = Lambda(lambda img: img[::-1].copy())
    img = np.arange(12, dtype=np.uint8).reshape(4, 3)
    np.testing.assert_array_equal(op(img), img[::-1])
    with pytest.raises(augkit.AugkitTypeError, match="Lambda: fn holds '.*<lambda>'.*module-level"):
        to_dict(op)

    def inner(img):
        return img

    with pytest.raises(augkit.AugkitTypeError, match="Lambda: fn holds .*inner"):
        to_dict(Lambda(inner))


def test_seeded_functions_get_a_reproducible_generator():
    op = Lambda(noisy, seeded=True)
    img = np.full((6, 6, 3), 128, np.uint8)
    a = op(img, np.random.default_rng(3))
    assert np.array_equal(a, op(img, np.random.default_rng(3)))
    assert not np.array_equal(a, op(img, np.random.default_rng(4)))
    params = op.sample(np.random.default_rng(3), Sample(img))
    np.testing.assert_array_equal(op.apply(Sample(img), params).image, a)


def test_sample_functions_move_their_own_targets():
    op = Lambda(crop_sample, kind="sample")
    out = op(default_sample(1))
    assert out.image.shape[:2] == (8, 8) and out.mask.shape == (8, 8)


def test_the_contract_holds_for_pixel_functions():
    check_op(Lambda(brighten))
    check_op(Lambda(noisy, seeded=True))


@pytest.mark.parametrize("kwargs,err,match", [
    (dict(fn=3), augkit.AugkitTypeError, "Lambda: fn is 3; expected a function"),
    (dict(fn="no_colon"), augkit.AugkitValueError, "Lambda: fn is 'no_colon'"),
    (dict(fn=brighten, kind="mask"), augkit.AugkitValueError, "Lambda: kind is 'mask'"),
    (dict(fn=brighten, seeded=1), augkit.AugkitValueError, "Lambda: seeded is 1"),
])
def test_bad_fields_are_typed_errors(kwargs, err, match):
    with pytest.raises(err, match=match):
        Lambda(**kwargs)


def test_bad_outputs_and_paths_are_typed_errors_naming_the_op():
    img = np.zeros((4, 4, 3), np.uint8)
    with pytest.raises(augkit.AugkitValueError, match="Lambda: fn is 'numpy:no_such'"):
        Lambda("numpy:no_such")(img)
    with pytest.raises(augkit.AugkitTypeError, match="Lambda: fn .* returned list"):
        Lambda(lambda im: [1])(img)
    with pytest.raises(augkit.AugkitValueError, match="changed the image size"):
        Lambda(lambda im: im[:2])(Sample(img, mask=np.zeros((4, 4), np.uint8)))
    with pytest.raises(augkit.AugkitError, match="Lambda: fn output"):
        Lambda(lambda im: im.astype(np.float64))(img)
    with pytest.raises(augkit.AugkitTypeError, match="raised TypeError.*second argument"):
        Lambda("numpy:copy", seeded=True)(img)  # np.copy(img, rng): order must be str
