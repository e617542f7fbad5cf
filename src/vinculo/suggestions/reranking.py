"""The second look at the best candidates: a reranker fitted on the community's own network.

`ranking.rank` scores every candidate with the additive points of `ranking.points`, cheap
enough for thousands of candidates and easy to put into words. The best `DEPTH` of them are then
looked at again with what is too costly to compute for all (paths of three steps, the
connections among the mutual connections, the classic indices) and ordered by a `Reranker`, a
linear model over those and the first score's own inputs. Its weights are fitted on the
community's own connections (`vinculo.suggestions.fitting`), because what predicts a connection
in a college of a thousand members is not what predicts it in a university of twenty thousand;
see docs/adr/0007-suggestions-ranking.md.

Pure: numpy and the compiled kernels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from vinculo.suggestions import kernels

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DEPTH = 200  # the candidates looked at again
# A grid over the mutual term and the candidate's number of connections: one indicator per cell
# lets the model bend where the additive score is straight.
MUTUAL_EDGES = np.array([0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 5])
CONNECTION_EDGES = np.log(np.array([20, 40, 80, 160, 320]))
CELLS = (len(MUTUAL_EDGES) + 1) * (len(CONNECTION_EDGES) + 1)
COLUMNS = 19 + CELLS - 1


@dataclass(frozen=True)
class Reranker:
    """A linear score over `design`'s columns, standardized by the mean and scale seen when
    fitting. `examples` is how many members it was fitted on."""

    mean: FloatArray
    scale: FloatArray
    weights: FloatArray
    examples: int

    def score(self, x: FloatArray) -> FloatArray:
        result: FloatArray = ((x - self.mean) / self.scale) @ self.weights
        return result


def design(mutual: FloatArray, features: FloatArray, structure: FloatArray) -> FloatArray:
    """The reranker's inputs for some candidates: the mutual term of their first score
    (`ranking.mutual_term`), their first-stage features (`kernels.collect`) and what
    `kernels.structure` says of them, as `COLUMNS` columns."""
    connections = np.maximum(features[:, kernels.CONNECTIONS], 1.0)
    log_connections = np.log(connections)
    common = structure[:, kernels.COMMON]
    links = structure[:, kernels.LINKS]
    link_weight = structure[:, kernels.LINK_WEIGHT]
    cell = np.searchsorted(MUTUAL_EDGES, mutual) * (len(CONNECTION_EDGES) + 1) + np.searchsorted(
        CONNECTION_EDGES, log_connections
    )
    cells = np.zeros((len(mutual), CELLS))
    cells[np.arange(len(mutual)), cell] = 1.0
    return np.column_stack(
        (
            mutual,
            features[:, kernels.PLACES : kernels.PLACES + 6],
            features[:, kernels.SAME_SECTOR],
            features[:, kernels.SAME_LOCATION],
            features[:, kernels.SHARED_GROUPS],
            np.log1p(common),
            np.log1p(structure[:, kernels.ADAMIC_ADAR]),
            np.log1p(100.0 * structure[:, kernels.RESOURCE]),
            log_connections,
            np.log1p(structure[:, kernels.THREE_STEPS]),
            np.log1p(links),
            np.log1p(10.0 * link_weight),
            links / np.maximum(common * (common - 1) / 2, 1.0),
            np.log1p(10.0 * link_weight / connections**0.25),
            cells[:, 1:],
        )
    )


def conditional_logit(
    x: FloatArray, y: FloatArray, starts: IntArray, *, ridge: float = 1e-2
) -> FloatArray:
    """Weights maximizing the likelihood that each member's hidden connections are the ones
    picked among their candidates (a softmax per member, whose candidates start at `starts`),
    with a small ridge penalty, by Newton's method with step halving."""
    sizes = np.diff(np.append(starts, len(y)))
    positives = np.add.reduceat(y, starts)

    def objective(weights: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        score = x @ weights
        top_score = np.maximum.reduceat(score, starts)
        odds = np.exp(score - np.repeat(top_score, sizes))
        total = np.add.reduceat(odds, starts)
        share = odds / np.repeat(total, sizes)
        likelihood = float(y @ score - positives @ (np.log(total) + top_score))
        expected = np.add.reduceat(x * share[:, None], starts)
        gradient = x.T @ y - positives @ expected
        hessian = (x * (share * np.repeat(positives, sizes))[:, None]).T @ x - (
            expected * positives[:, None]
        ).T @ expected
        penalty = ridge * len(sizes)
        return (
            likelihood - penalty * float(weights @ weights) / 2,
            gradient - penalty * weights,
            hessian + penalty * np.eye(len(weights)),
        )

    weights = np.zeros(x.shape[1])
    value, gradient, hessian = objective(weights)
    for _ in range(100):
        step = np.linalg.solve(hessian, gradient)
        for _ in range(30):
            trial = objective(weights + step)
            if trial[0] >= value:
                break
            step /= 2
        else:
            break
        weights = weights + step
        value, gradient, hessian = trial
        if np.abs(step).max() < 1e-6:
            break
    return weights


def fitted(x: FloatArray, y: FloatArray, starts: IntArray) -> Reranker:
    """A reranker fitted on candidates `x` of several members (each member's rows starting at
    `starts`, `y` marking the connections to find)."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0  # a column that never varies gets no weight, whatever its scale
    weights = conditional_logit((x - mean) / scale, y, starts)
    return Reranker(mean, scale, weights, len(starts))


__all__ = ["COLUMNS", "DEPTH", "Reranker", "conditional_logit", "design", "fitted"]
