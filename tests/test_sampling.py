"""Inverse-CDF sampling is exact (equal to scipy's quantile functions) and respects its means."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from twin.sampling import (duration_from_uniform, negbin_from_uniform, normal_from_uniform,
                           poisson_from_uniform)


@pytest.mark.parametrize("lam", [0.01, 0.3, 2.5, 11.9, 12.0, 37.0, 640.0])
def test_poisson_equals_scipy_quantiles(lam):
    u = np.random.default_rng(1).random(20_000)
    assert np.array_equal(poisson_from_uniform(u, np.full(u.shape, lam)), stats.poisson.ppf(u, lam))


def test_poisson_keeps_shape_and_zero_means():
    u = np.random.default_rng(2).random((3, 4))
    lam = np.array([[0.0, 1.0, 5.0, 50.0]] * 3)
    x = poisson_from_uniform(u, lam)
    assert x.shape == (3, 4) and np.all(x[:, 0] == 0)


@pytest.mark.parametrize("mean,sd", [(0.4, 0.9), (5.0, 4.0), (30.0, 12.0), (150.0, 30.0)])
def test_negbin_equals_scipy_quantiles(mean, sd):
    u = np.random.default_rng(3).random(20_000)
    n, p = mean**2 / (sd**2 - mean), mean / sd**2
    x = negbin_from_uniform(u, np.full(u.shape, mean), np.full(u.shape, sd))
    assert np.array_equal(x, stats.nbinom.ppf(u, n, p))


def test_normal_is_clipped_at_zero_and_exact_with_zero_sd():
    u = np.array([0.0, 0.001, 0.5, 0.999])
    assert normal_from_uniform(u, 5.0, 0.0).tolist() == [5.0] * 4
    x = normal_from_uniform(u, 1.0, 2.0)
    assert x[0] == 0.0 and x[2] == pytest.approx(1.0)


@pytest.mark.parametrize("dist", ["normal", "lognormal", "gamma"])
def test_duration_means_and_sds(dist):
    u = np.random.default_rng(4).random(200_000)
    x = duration_from_uniform({"dist": dist, "mean": 3.0, "sd": 0.6}, u)
    assert x.mean() == pytest.approx(3.0, abs=0.01)
    assert x.std() == pytest.approx(0.6, abs=0.01)
    assert np.all(x >= 0)


def test_empirical_duration_draws_observed_values_uniformly():
    u = np.random.default_rng(5).random(100_000)
    x = duration_from_uniform({"dist": "empirical", "values": [1.0, 2.0, 5.0]}, u)
    assert set(np.unique(x)) == {1.0, 2.0, 5.0}
    assert np.bincount(x.astype(int))[[1, 2, 5]] / len(x) == pytest.approx([1 / 3] * 3, abs=0.01)
