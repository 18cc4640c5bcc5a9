"""The synthetic key-account portfolio: every table of the data contract from one latent process,
plus the ``truth`` table of true PDs for tests and benchmarks.

Only the CLI (``workbench data generate``, ``workbench demo``), tests and benchmarks import
this package; no production module does (import-linter holds it). It reads its code lists,
the questionnaire and the master scale from ``workbench.reference``; what is its own are the
simulation assumptions (``norms``: the industry levels statements are drawn around) and the
order it draws codes in (``codes``).

How the portfolio is drawn
--------------------------
Each obligor *i* in industry *k* has a monthly latent credit quality

    z[i,t] = mu[i] + A_MACRO * cyclicality[k] * M[t] + A_IND * I[k,t] + A_IDIO * e[i,t]

with a macro factor ``M`` (a business cycle plus an AR(1) shock), an industry
factor ``I`` (AR(1)) and an idiosyncratic, mean-reverting AR(1) ``e``. Default
happens in month *t* with hazard ``Phi(HAZARD_INTERCEPT - z[i,t])`` (``latent``). Everything
the bank observes is a noisy function of ``z`` *up to that date*: annual
statements (``statements``: margins, leverage, working capital, cash flow; published after a
reporting lag, some unaudited, some items missing), monthly behaviour
(``behaviour``: utilisation, days past due as a roll-rate chain, covenant tests), questionnaire
answers, quotes, interactions. Nothing observed depends on the future.

``truth`` holds, per obligor-month, the *true* 12-month PD given the latent
state at that month end: since each component is Gaussian AR(1), ``z[t+s]`` given
the state at *t* is normal with known mean and variance, so the expected hazard
is ``Phi((c - mean) / sqrt(1 + var))`` (probit-normal identity) and
``pd_12m = 1 - prod_s (1 - E[h_{t+s}])``. It is the benchmark for discrimination
and calibration and must never be read by feature code.

Random streams are drawn per table and per calendar year from
``SeedSequence([seed, stream, year])`` (``streams``), so the data are deterministic per seed and
the first *Y* years are the same whether *Y* or more years are generated, which
lets a test show that later events cannot leak into earlier records.

Money is in EUR million. Dates are month ends unless a column says otherwise.

Scale: the work is vectorised over obligors (the (n, T) quantities, ``truth``'s PD
included, are computed in obligor blocks, so no (n, T, 12) array is ever held);
what still runs per obligor (the facility terms and loss draws, each from the
obligor's own stream) only draws random numbers. 200,000 obligors over 10 years
(about 18M behaviour rows) take about half a minute and under 5 GB.
``GeneratorSettings.tables`` skips the tables a caller does not need.
"""

from .norms import INDUSTRY_NORMS, IndustryNorms
from .portfolio import generate_portfolio
from .settings import GeneratorSettings

__all__ = ["GeneratorSettings", "generate_portfolio", "IndustryNorms", "INDUSTRY_NORMS"]
